package pgcatalog

import (
	"sort"

	"github.com/basaltdb/basalt/sql/session"
)

// cursorsRows lists the session's open cursors (pg_cursors).
func cursorsRows(v *View) []map[string]any {
	cl, ok := v.sess.(session.CursorLister)
	if !ok {
		return nil
	}
	cs := cl.Cursors()
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	var out []map[string]any
	for _, c := range cs {
		out = append(out, map[string]any{"name": c.Name, "statement": c.Statement, "is_holdable": c.Holdable,
			"is_binary": c.Binary, "is_scrollable": c.Scrollable, "creation_time": c.Created.UnixMicro()})
	}
	return out
}
