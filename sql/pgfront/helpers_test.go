package pgfront

import (
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/format"
)

const restoreFlags = format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase |
	format.RestoreNameBackQuotes | format.RestoreStringWithoutCharset

// restoreAll prints the statements' ASTs (or Specials) back as text, so
// tests check the structure TiDB built rather than the front's spelling.
func restoreAll(t testing.TB, sts []Statement) string {
	t.Helper()
	var parts []string
	for _, st := range sts {
		if st.Special != nil {
			parts = append(parts, specialString(st.Special))
			continue
		}
		var sb strings.Builder
		if err := st.AST.Restore(format.NewRestoreCtx(restoreFlags, &sb)); err != nil {
			t.Fatalf("restore %q: %v", st.Rewritten, err)
		}
		parts = append(parts, sb.String())
	}
	return strings.Join(parts, "; ")
}

func specialString(s *Special) string {
	out := string(s.Kind)
	if s.Local {
		out += " LOCAL"
	}
	if s.Name != "" {
		out += " " + s.Name
	}
	if s.Default {
		out += " DEFAULT"
	}
	if s.Chain {
		out += " AND CHAIN"
	}
	if len(s.Args) > 0 {
		out += " [" + strings.Join(s.Args, "|") + "]"
	}
	return out
}
