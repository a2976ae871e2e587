package pgcatalog

import (
	"fmt"
	"strings"
)

// Basalt reports server_version 16.4, so clients built for PostgreSQL 16
// send 16's catalog queries, but relspecs_data.go is generated from a
// PostgreSQL 15 server (the one Debian ships here). pg16Columns adds the
// columns 16 added to the relations this package serves, at 16's
// positions, from PostgreSQL 16's documentation (catalogs and monitoring
// chapters, release notes "system catalog changes"):
//
//   - pg_database.daticurules, pg_collation.collicurules (ICU tailoring
//     rules; NULL here, as for every libc collation);
//   - pg_stat_all_tables/pg_stat_user_tables last_seq_scan, last_idx_scan
//     (NULL: never scanned as far as statistics go) and n_tup_newpage_upd
//     (0); pg_stat_user_indexes.last_idx_scan;
//   - pg_auth_members.oid, inherit_option, set_option (no rows here);
//   - pg_prepared_statements.result_types.
//
// Left as in 15: pg_subscription (16 changed substream to "char" and added
// suborigin, subpasswordrequired, subrunasowner; Basalt has no
// subscriptions and clients do not read them), and 16's new views
// (pg_stat_io) that Basalt does not serve.
var pg16Columns = map[string][]struct{ after, col string }{
	"pg_catalog.pg_database":  {{"daticulocale", "daticurules text"}},
	"pg_catalog.pg_collation": {{"colliculocale", "collicurules text"}},
	"pg_catalog.pg_stat_all_tables": {{"seq_scan", "last_seq_scan timestamp with time zone"},
		{"idx_scan", "last_idx_scan timestamp with time zone"}, {"n_tup_hot_upd", "n_tup_newpage_upd bigint"}},
	"pg_catalog.pg_stat_user_tables": {{"seq_scan", "last_seq_scan timestamp with time zone"},
		{"idx_scan", "last_idx_scan timestamp with time zone"}, {"n_tup_hot_upd", "n_tup_newpage_upd bigint"}},
	"pg_catalog.pg_stat_user_indexes":   {{"idx_scan", "last_idx_scan timestamp with time zone"}},
	"pg_catalog.pg_auth_members":        {{"", "oid oid!"}, {"admin_option", "inherit_option boolean!"}, {"inherit_option", "set_option boolean!"}},
	"pg_catalog.pg_prepared_statements": {{"parameter_types", "result_types regtype[]"}},
}

// withPG16Columns returns the column spec of relation rel ("name type,...")
// with 16's added columns inserted, each after the column it follows (""
// for first). A column to follow that is missing is an error: the 15 data
// and this list disagree.
func withPG16Columns(rel, spec string) (string, error) {
	adds := pg16Columns[rel]
	if len(adds) == 0 {
		return spec, nil
	}
	cols := strings.Split(spec, ",")
	for _, a := range adds {
		at := -1
		if a.after == "" {
			at = 0
		} else {
			for i, c := range cols {
				if name, _, _ := strings.Cut(c, " "); name == a.after {
					at = i + 1
					break
				}
			}
		}
		if at < 0 {
			return "", fmt.Errorf("pgcatalog: %s has no column %s to add %s after", rel, a.after, a.col)
		}
		cols = append(cols[:at], append([]string{a.col}, cols[at:]...)...)
	}
	return strings.Join(cols, ","), nil
}
