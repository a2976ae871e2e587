package session

import "strings"

// SearchPath reads a search_path value ("$user", public) as PostgreSQL's
// recomputeNamespacePath does: the schemas it names, in order, that exist
// (exists), "$user" standing for the user's schema and skipped when there
// is none, duplicates dropped. With implicit, pg_catalog goes first unless
// the path names it (where PostgreSQL looks up unqualified names, and
// current_schemas(true)); without, only the path's own schemas
// (current_schema(), current_schemas(false)).
func SearchPath(value, user string, implicit bool, exists func(schema string) bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, part := range splitPath(value) {
		name := part
		if name == "$user" {
			name = user
		}
		if seen[name] || !exists(name) {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	if implicit && !seen["pg_catalog"] {
		out = append([]string{"pg_catalog"}, out...)
	}
	return out
}

// splitPath splits a comma-separated list of identifiers: quoted ones keep
// their case (and "" is a quote), unquoted ones fold to lower case.
func splitPath(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		var name string
		if s[0] == '"' {
			var b strings.Builder
			i := 1
			for ; i < len(s); i++ {
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteByte('"')
						i++
						continue
					}
					break
				}
				b.WriteByte(s[i])
			}
			name = b.String()
			if i < len(s) {
				i++
			}
			s = s[i:]
			if j := strings.IndexByte(s, ','); j >= 0 {
				s = s[j:]
			} else {
				s = ""
			}
		} else {
			j := strings.IndexByte(s, ',')
			if j < 0 {
				j = len(s)
			}
			name, s = strings.ToLower(strings.TrimSpace(s[:j])), s[j:]
		}
		if name != "" {
			out = append(out, name)
		}
		s = strings.TrimPrefix(strings.TrimSpace(s), ",")
	}
	return out
}
