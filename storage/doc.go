// Package storage is Basalt's catalog and Parquet reader. Open scans a data
// directory, reads every Parquet footer and builds one Table per folder (or
// top-level file), merging the schemas of all its files and turning key=value
// folders into partition columns. A table is split into row groups; Prune
// drops the row groups whose statistics rule out a predicate, and Read decodes
// one row group's projected columns page by page straight into Arrow record
// batches whose column types are exactly the engine's (sql/types) types.
//
// Reading uses github.com/parquet-go/parquet-go. The package imports sql/types,
// sql/sqlerr, Arrow and parquet-go; it never imports the planner or executor.
package storage
