package tpchgen

import (
	"embed"
	"fmt"
	"strings"
)

// The 22 TPC-H queries in PostgreSQL's dialect, with the substitution
// parameters of the specification's validation runs (section 2.4, "Query
// Validation"). Q15's view is written as a CTE; LIMITs are only those the
// specification asks for (Q2, Q3, Q10, Q18, Q21).
//
//go:embed queries/*.sql
var queryFS embed.FS

// NumQueries is the number of TPC-H queries.
const NumQueries = 22

// QueryNames returns "q01" ... "q22", in order; QueryName(n) is the n-th.
func QueryNames() []string {
	names := make([]string, NumQueries)
	for i := range names {
		names[i] = QueryName(i + 1)
	}
	return names
}

// QueryName returns the name of query n, "q01" ... "q22".
func QueryName(n int) string { return fmt.Sprintf("q%02d", n) }

// Query returns the text of TPC-H query n (1 to 22) as one statement, without
// the trailing semicolon the files carry; it returns "" for any other n.
func Query(n int) string {
	if n < 1 || n > NumQueries {
		return ""
	}
	b, err := queryFS.ReadFile("queries/" + QueryName(n) + ".sql")
	if err != nil {
		// The files are embedded at build time; a missing one is a build bug.
		panic(fmt.Sprintf("tpchgen: embedded query %d: %v", n, err))
	}
	return strings.TrimRight(strings.TrimSpace(string(b)), ";")
}
