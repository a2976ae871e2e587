package expr

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	cexec "github.com/apache/arrow-go/v18/arrow/compute/exec"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

func compileInList(e *expr.InList) (node, error) {
	arg, err := compile(e.Arg)
	if err != nil {
		return nil, err
	}
	n := &inListNode{arg: arg, negated: e.Negated}
	for _, x := range e.List {
		c, err := compile(x)
		if err != nil {
			return nil, err
		}
		if err := sameType("IN", arg, c); err != nil {
			return nil, err
		}
		n.list = append(n.list, c)
	}
	all := append([]node{n.arg}, n.list...)
	if err := alignNumeric(all); err != nil {
		return nil, err
	}
	n.arg, n.list = all[0], all[1:]
	return n, nil
}

// Fold replaces every sub-tree of e that reads no column (and no outer
// reference or parameter) by the constant it evaluates to, by running it on
// a one-row batch. Errors such as 1/0 surface here, as PostgreSQL reports
// them when planning. Volatile calls (random) are kept.
func Fold(e expr.Expr) (expr.Expr, error) {
	var ferr error
	out := expr.Rewrite(e, func(x expr.Expr) expr.Expr {
		if ferr != nil {
			return x
		}
		if _, ok := x.(*expr.Const); ok || !columnFree(x) {
			return x
		}
		if x.Type().Kind == types.Array {
			// expr.Const has no encoding for arrays; the kernels fold
			// them at compile time instead (foldNode).
			return x
		}
		v, err := evalConst(x)
		if err != nil {
			// Keep the expression: it may sit in a CASE branch no row
			// reaches, and PostgreSQL raises only when it is evaluated.
			return x
		}
		return v
	})
	if ferr != nil {
		return nil, ferr
	}
	return out, nil
}

// columnFree reports whether x reads no column, outer reference or
// parameter and calls nothing volatile, so it has one value per statement.
// Its children need not be constants themselves: an array-typed child
// (which expr.Const cannot hold) or one that failed to evaluate is still
// constant, and the whole of x can be evaluated: array_upper(ARRAY['a'], 1)
// folds to 1 (generate_series in FROM needs constant bounds), and
// CASE WHEN false THEN 1/0 ELSE 2 END to 2.
func columnFree(x expr.Expr) bool {
	switch n := x.(type) {
	case *expr.ColRef, *expr.OuterRef, *expr.Param:
		return false
	case *expr.Call:
		if !foldable(n.Fn, len(n.Args)) {
			return false
		}
	}
	for _, c := range expr.Children(x) {
		if !columnFree(c) {
			return false
		}
	}
	return true
}

var emptySchema = arrow.NewSchema(nil, nil)

// foldable reports whether a call of fn with n constant arguments has one
// value per statement known at plan time. random() is volatile; now() and
// its kin, and age(ts) which counts from today, take the statement's
// clock, which the engine gives at run time (WithNow).
func foldable(fn string, n int) bool {
	switch fn {
	case "random", "now", "current_timestamp", "transaction_timestamp", "statement_timestamp", "localtimestamp", "current_date",
		"clock_timestamp", "timeofday", "pg_sleep":
		return false
	case "age":
		return n != 1
	}
	return true
}

// evalConst evaluates a column-free expression to a Const.
func evalConst(x expr.Expr) (*expr.Const, error) {
	ev, err := Compile(x)
	if err != nil {
		return nil, err
	}
	b := array.NewRecordBatch(emptySchema, nil, 1)
	defer b.Release()
	arr, err := ev.Eval(context.Background(), b, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	defer arr.Release()
	return &expr.Const{Value: ConstValue(arr, 0, x.Type()), T: x.Type()}, nil
}

// ConstValue returns row i of arr in expr.Const's value encoding.
func ConstValue(arr arrow.Array, i int, t types.T) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Decimal128:
		return decimal128.Num(a.Value(i))
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return append([]byte(nil), a.Value(i)...)
	case *array.Date32:
		return int32(a.Value(i))
	case *array.Time64:
		return int64(a.Value(i))
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.MonthDayNanoInterval:
		return ivOf(a.Value(i))
	}
	return nil
}

// Filter returns the rows of b where mask is true (NULL counts as false).
// The caller releases the result.
func Filter(ctx context.Context, b arrow.RecordBatch, mask arrow.Array, alloc memory.Allocator) (arrow.RecordBatch, error) {
	m, ok := mask.(*array.Boolean)
	if !ok {
		return nil, internalErr("filter mask is %s, not boolean", mask.DataType())
	}
	if m.Len() != int(b.NumRows()) {
		return nil, internalErr("filter mask has %d rows for a batch of %d", m.Len(), b.NumRows())
	}
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	n := m.Len()
	vals, valid, rel := boolBits(alloc, m)
	defer rel()
	count := 0
	if valid == nil {
		count = countBits(vals, n)
	} else {
		for i := 0; i < n; i++ {
			if vals[i>>3]&valid[i>>3]&(1<<(uint(i)&7)) != 0 {
				count++
			}
		}
	}
	if count == n {
		b.Retain()
		return b, nil
	}
	if count == 0 {
		cols := make([]arrow.Array, b.NumCols())
		for i := range cols {
			cols[i] = array.MakeArrayOfNull(alloc, b.Column(i).DataType(), 0)
		}
		out := array.NewRecordBatch(b.Schema(), cols, 0)
		releaseAll(cols)
		return out, nil
	}
	// Dense selections copy with the filter kernel; sparse ones gather by
	// index.
	ctx = cexec.WithAllocator(ctx, alloc)
	out, err := compute.FilterRecordBatch(ctx, b, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, fmt.Errorf("filtering batch: %w", err)
	}
	return out, nil
}

func countBits(bm []byte, n int) int {
	c := 0
	for i := 0; i < n; i++ {
		if bm[i>>3]&(1<<(uint(i)&7)) != 0 {
			c++
		}
	}
	return c
}
