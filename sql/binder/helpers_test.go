package binder_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/sql/binder"
	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/storage"
	"github.com/basaltdb/basalt/test/slt"
)

var (
	catOnce sync.Once
	catDir  string
	cat     *storage.Catalog
	catErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if catDir != "" {
		os.RemoveAll(catDir)
	}
	os.Exit(code)
}

// catalog writes the shared PostgreSQL-checked fixture tables once per test
// binary; binding never reads rows, only footers.
func catalog(t *testing.T) *storage.Catalog {
	t.Helper()
	catOnce.Do(func() {
		catDir, catErr = os.MkdirTemp("", "binder-test-")
		if catErr != nil {
			return
		}
		if catErr = slt.WriteParquet(catDir, slt.Fixtures()); catErr != nil {
			return
		}
		cat, catErr = storage.Open(context.Background(), catDir)
	})
	if catErr != nil {
		t.Fatal(catErr)
	}
	return cat
}

func bind(t *testing.T, sql string) (*binder.Bound, error) {
	t.Helper()
	stmts, err := pgfront.Parse(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		t.Fatalf("%q: %d statements", sql, len(stmts))
	}
	return binder.New(catalog(t), stmts[0].ColumnAliases).BindQuery(stmts[0].AST)
}

func mustBind(t *testing.T, sql string) *binder.Bound {
	t.Helper()
	b, err := bind(t, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	noOuterRefs(t, sql, b.Plan)
	return b
}

func wantCode(t *testing.T, sql, code string) *sqlerr.Error {
	t.Helper()
	_, err := bind(t, sql)
	if err == nil {
		t.Fatalf("%s: bound without error, want SQLSTATE %s", sql, code)
	}
	var e *sqlerr.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T) carries no SQLSTATE, want %s", sql, err, err, code)
	}
	if e.Code != code {
		t.Fatalf("%s: SQLSTATE %s (%v), want %s", sql, e.Code, err, code)
	}
	return e
}

// nodeExprs lists every expression a node holds.
func nodeExprs(n logical.Node) []expr.Expr {
	var es []expr.Expr
	switch n := n.(type) {
	case *logical.Scan:
		es = append(es, n.Filters...)
	case *logical.Values:
		for _, r := range n.Rows {
			es = append(es, r...)
		}
	case *logical.Filter:
		es = append(es, n.Cond)
	case *logical.Project:
		es = append(es, n.Exprs...)
	case *logical.Aggregate:
		es = append(es, n.Groups...)
		for _, a := range n.Aggs {
			es = append(es, a.Args...)
			if a.Filter != nil {
				es = append(es, a.Filter)
			}
		}
	case *logical.Join:
		if n.Cond != nil {
			es = append(es, n.Cond)
		}
	case *logical.Sort:
		for _, k := range n.Keys {
			es = append(es, k.E)
		}
	}
	return es
}

func walkPlan(n logical.Node, f func(logical.Node)) {
	f(n)
	for _, c := range n.Children() {
		walkPlan(c, f)
	}
}

// noOuterRefs fails if a correlation survived binding: every subquery must
// be decorrelated into a join.
func noOuterRefs(t *testing.T, sql string, plan logical.Node) {
	t.Helper()
	walkPlan(plan, func(n logical.Node) {
		for _, e := range nodeExprs(n) {
			expr.Walk(e, func(x expr.Expr) bool {
				if _, ok := x.(*expr.OuterRef); ok {
					t.Errorf("%s: OuterRef %s left in %s\n%s", sql, x, n, logical.Format(plan))
				}
				return true
			})
		}
	})
}

// joins returns the kinds of every join in plan, in pre-order.
func joins(plan logical.Node) []logical.JoinKind {
	var ks []logical.JoinKind
	walkPlan(plan, func(n logical.Node) {
		if j, ok := n.(*logical.Join); ok {
			ks = append(ks, j.Kind)
		}
	})
	return ks
}

func hasLine(plan logical.Node, prefix string) bool {
	for _, l := range strings.Split(logical.Format(plan), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return true
		}
	}
	return false
}
