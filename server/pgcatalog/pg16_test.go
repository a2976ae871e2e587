package pgcatalog

import (
	"strings"
	"testing"
)

// TestPG16Columns checks that 16's columns land where PostgreSQL 16 has
// them (column lists from its documentation) and that every insertion
// finds the column it follows in the 15 data.
func TestPG16Columns(t *testing.T) {
	for _, spec := range strings.Split(strings.TrimSpace(relationSpecs), "\n") {
		parts := strings.SplitN(spec, "|", 4)
		if len(parts) != 4 {
			continue
		}
		if _, err := withPG16Columns(parts[0], parts[3]); err != nil {
			t.Error(err)
		}
	}
	c := testCatalog(t)
	want := map[string]string{
		"pg_database": "oid datname datdba encoding datlocprovider datistemplate datallowconn datconnlimit datfrozenxid " +
			"datminmxid dattablespace datcollate datctype daticulocale daticurules datcollversion datacl",
		"pg_collation": "oid collname collnamespace collowner collprovider collisdeterministic collencoding collcollate " +
			"collctype colliculocale collicurules collversion",
		"pg_stat_user_tables": "relid schemaname relname seq_scan last_seq_scan seq_tup_read idx_scan last_idx_scan " +
			"idx_tup_fetch n_tup_ins n_tup_upd n_tup_del n_tup_hot_upd n_tup_newpage_upd n_live_tup n_dead_tup " +
			"n_mod_since_analyze n_ins_since_vacuum last_vacuum last_autovacuum last_analyze last_autoanalyze " +
			"vacuum_count autovacuum_count analyze_count autoanalyze_count",
		"pg_stat_user_indexes": "relid indexrelid schemaname relname indexrelname idx_scan last_idx_scan idx_tup_read idx_tup_fetch",
		"pg_auth_members":      "oid roleid member grantor admin_option inherit_option set_option",
		"pg_prepared_statements": "name statement prepare_time parameter_types result_types from_sql generic_plans " +
			"custom_plans",
	}
	for rel, cols := range want {
		r := c.lookup(nil, "pg_catalog", rel)
		if r == nil {
			t.Fatalf("no relation %s", rel)
		}
		var got []string
		for _, col := range r.cols {
			got = append(got, col.Name)
		}
		if strings.Join(got, " ") != cols {
			t.Errorf("%s columns:\n got %s\nwant %s", rel, strings.Join(got, " "), cols)
		}
	}
}
