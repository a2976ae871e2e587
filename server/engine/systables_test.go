package engine_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/server/pgcatalog"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// TestSystemTables: a provider's table is schema system's, read afresh
// by each statement, listed by the catalog, and absent without a provider.
func TestSystemTables(t *testing.T) {
	var calls atomic.Int64
	tbl := pgcatalog.SystemTable{
		Name: "nodes",
		Columns: []storage.Column{
			{Name: "node_name", Type: types.TextT},
			{Name: "cores", Type: types.Int32T, Nullable: true},
			{Name: "is_self", Type: types.BoolT},
			{Name: "joined_at", Type: types.TimestampTZT, Nullable: true},
		},
		Rows: func() [][]any {
			n := calls.Add(1)
			rows := [][]any{{"a", int64(2), true, int64(0)}}
			if n > 1 {
				rows = append(rows, []any{"b", nil, false, nil})
			}
			return rows
		},
	}
	e := open(t, engine.Config{SystemTables: []pgcatalog.SystemTable{tbl}})
	if got := mustQuery(t, e, "select * from system.nodes"); !slices.Equal(got, []string{"a|2|t|1970-01-01 00:00:00+00"}) {
		t.Errorf("first scan: %q", got)
	}
	if got := mustQuery(t, e, "select node_name from system.nodes where not is_self"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("second scan sees new rows: %q", got)
	}
	for q, want := range map[string][]string{
		"select table_schema, table_name from information_schema.tables where table_schema = 'system'": {"system|nodes"},
		"select nspname from pg_namespace where nspname = 'system'":                                    {"system"},
		"select 'system.nodes'::regclass::text":                                                        {"system.nodes"},
		"select count(*) from pg_attribute where attrelid = 'system.nodes'::regclass and attnum > 0":   {"4"},
	} {
		if got := mustQuery(t, e, q); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
	// system is not on the search path, as PostgreSQL's non-default schemas.
	_, err := query(context.Background(), e, "select * from nodes")
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.UndefinedTable {
		t.Errorf("unqualified nodes: %v", err)
	}
	plain := open(t, engine.Config{})
	if _, err := query(context.Background(), plain, "select * from system.nodes"); !errors.As(err, &se) || se.Code != sqlerr.UndefinedTable {
		t.Errorf("system.nodes without a provider: %v", err)
	}
	if got := mustQuery(t, plain, "select count(*) from pg_namespace where nspname = 'system'"); !slices.Equal(got, []string{"0"}) {
		t.Errorf("schema system without tables: %q", got)
	}
}
