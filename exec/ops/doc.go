// Package ops holds Basalt's vectorized physical operators: filter, project,
// hash aggregate, hash and nested-loop joins, sort, top-N, limit, union, the
// local exchange (Gather) and the small helpers they share (take rows by
// index, concatenate batches, hash and compare key columns).
//
// Every operator implements exec.Operator over arrow.RecordBatch values whose
// column types are exactly types.T.Arrow() of sql/types. Keys and aggregate
// inputs are column indexes: the planner projects expressions into columns
// first, so the only expression evaluation here goes through the small
// Predicate / Evaluator interfaces declared in this package (exec/expr
// satisfies them).
//
// Blocking operators (hash aggregate, hash join build, sort, top-N, nested
// loop join) reserve the bytes they hold from the query's *exec.Memory and
// fail with SQLSTATE 53200 when refused; streaming operators reserve nothing.
//
// ops imports exec, sql/types, sql/sqlerr and Arrow; never the planner.
package ops
