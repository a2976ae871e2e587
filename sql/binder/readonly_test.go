package binder_test

import "testing"

// Writes get PostgreSQL's read-only-transaction error, message included
// (checked against PostgreSQL 15 inside BEGIN READ ONLY).
func TestWritesAreReadOnly(t *testing.T) {
	for sql, msg := range map[string]string{
		"insert into t values (1)":       "cannot execute INSERT in a read-only transaction",
		"update t set a = 1":             "cannot execute UPDATE in a read-only transaction",
		"delete from t":                  "cannot execute DELETE in a read-only transaction",
		"truncate pgbench_history":       "cannot execute TRUNCATE TABLE in a read-only transaction",
		"create table x (a int)":         "cannot execute CREATE TABLE in a read-only transaction",
		"drop table t":                   "cannot execute DROP TABLE in a read-only transaction",
		"drop view v":                    "cannot execute DROP VIEW in a read-only transaction",
		"alter table t add column b int": "cannot execute ALTER TABLE in a read-only transaction",
	} {
		if e := wantCode(t, sql, "25006"); e.Message != msg {
			t.Errorf("%s: %q, want %q", sql, e.Message, msg)
		}
	}
}
