// Package benchmarks runs SQL on Basalt and on DuckDB over the same Parquet
// folders and compares the answers: the TPC-H correctness test and the
// side-by-side timing command live on it. It is its own Go module because
// DuckDB comes in through cgo; the main module stays cgo-free.
package benchmarks

import "time"

// Value is one result cell as text. Numbers keep their digits as the engine
// printed them; the comparison parses them.
type Value struct {
	S    string
	Null bool
}

func (v Value) String() string {
	if v.Null {
		return "NULL"
	}
	return v.S
}

// Result is a whole query answer, kept as text so that the two engines'
// values meet in one form.
type Result struct {
	Columns []string
	Rows    [][]Value
	// Elapsed is the wall time from sending the query to the last row.
	Elapsed time.Duration
	// PeakMemory is the query's peak reserved memory in bytes, as the
	// engine reports it (Basalt only; 0 when unknown).
	PeakMemory int64
}
