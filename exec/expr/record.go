package expr

import (
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/types"
)

// compileRecord builds "row": a record's text form, "(a,b)", as
// PostgreSQL's record_out writes it: NULL fields empty, fields that are
// empty or hold quotes, backslashes, parentheses, commas or spaces in
// double quotes with " and \ doubled.
func compileRecord(args []node, t types.T) node {
	argT := make([]types.T, len(args))
	for k, a := range args {
		argT[k] = a.typ()
	}
	var buf []byte
	return &rowNode{fn: "row", args: args, t: t, f: func(a rowArgs, i int, bld array.Builder) error {
		buf = append(buf[:0], '(')
		for k := range args {
			if k > 0 {
				buf = append(buf, ',')
			}
			if a.null(k, i) {
				continue
			}
			start := len(buf)
			buf = pgtext.AppendValue(buf, a.arrs[k], i, argT[k])
			v := string(buf[start:])
			if !recordNeedsQuotes(v) {
				continue
			}
			buf = append(buf[:start], '"')
			for j := 0; j < len(v); j++ {
				if v[j] == '"' || v[j] == '\\' {
					buf = append(buf, v[j])
				}
				buf = append(buf, v[j])
			}
			buf = append(buf, '"')
		}
		buf = append(buf, ')')
		bld.(*array.StringBuilder).BinaryBuilder.Append(buf)
		return nil
	}}
}

func recordNeedsQuotes(v string) bool {
	if v == "" {
		return true
	}
	for j := 0; j < len(v); j++ {
		switch v[j] {
		case '"', '\\', '(', ')', ',', ' ', '\t', '\n', '\r', '\v', '\f':
			return true
		}
	}
	return false
}
