package ops

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// modPred keeps rows whose int32 column c is NULL-free and divisible by m;
// NULL input gives a NULL mask entry.
type modPred struct{ c, m int }

func (p modPred) Eval(_ context.Context, b arrow.RecordBatch, alloc memory.Allocator) (arrow.Array, error) {
	x := b.Column(p.c).(*array.Int32)
	bb := array.NewBooleanBuilder(alloc)
	defer bb.Release()
	for i := 0; i < x.Len(); i++ {
		if x.IsNull(i) {
			bb.AppendNull()
		} else {
			bb.Append(int(x.Value(i))%p.m == 0)
		}
	}
	return bb.NewArray(), nil
}

// colEval is a test projection: it returns column c.
type colEval struct{ c int }

func (e colEval) Eval(_ context.Context, b arrow.RecordBatch, _ memory.Allocator) (arrow.Array, error) {
	a := b.Column(e.c)
	a.Retain()
	return a, nil
}

type failEval struct{}

func (failEval) Eval(context.Context, arrow.RecordBatch, memory.Allocator) (arrow.Array, error) {
	return nil, sqlerr.New(sqlerr.DivisionByZero, "division by zero")
}

func testInput(t *testing.T, alloc memory.Allocator, n int) (*arrow.Schema, []arrow.RecordBatch, []string) {
	s := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, types3())
	rng := rand.New(rand.NewPCG(uint64(n), 3))
	b := genBatches(alloc, s, n, 100, 10, rng)
	t.Cleanup(func() { releaseBatches(b) })
	return s, b, rowsOf(b)
}

func types3() arrow.DataType { return arrow.FixedWidthTypes.MonthDayNanoInterval }

func TestFilter(t *testing.T) {
	alloc := checked(t)
	for _, m := range []int{1, 3, 1000} {
		s, b, rows := testInput(t, alloc, 10000)
		var want []string
		for _, r := range rows {
			c := strings.Split(r, "|")[0]
			var v int
			if _, err := fmt.Sscan(c, &v); c != "NULL" && err == nil && v%m == 0 {
				want = append(want, r)
			}
		}
		got := collect(t, NewFilter(newSource(s, b...), modPred{0, m}, alloc))
		sameRows(t, fmt.Sprint("mod ", m), got, want)
	}
}

func TestProject(t *testing.T) {
	alloc := checked(t)
	s, b, rows := testInput(t, alloc, 3000)
	out := arrow.NewSchema([]arrow.Field{s.Field(2), s.Field(0)}, nil)
	p, err := NewProject(newSource(s, b...), []Evaluator{colEval{2}, colEval{0}}, out, alloc)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range rows {
		c := strings.Split(r, "|")
		want = append(want, c[2]+"|"+c[0])
	}
	sameRows(t, "project", collect(t, p), want)

	p, _ = NewProject(newSource(s, b...), []Evaluator{failEval{}}, arrow.NewSchema([]arrow.Field{s.Field(0)}, nil), alloc)
	if _, err := collectErr(p); sqlerr.Code(err) != sqlerr.DivisionByZero {
		t.Fatalf("want 22012, got %v", err)
	}
}

func TestLimit(t *testing.T) {
	alloc := checked(t)
	s, b, rows := testInput(t, alloc, 10000)
	for _, tc := range []struct{ off, cnt int64 }{{0, -1}, {0, 0}, {0, 1}, {5, 10}, {2999, 3000}, {9999, 5}, {10000, 5}, {20000, -1}, {100, -1}} {
		src := newSource(s, b...)
		got := collect(t, NewLimit(src, tc.off, tc.cnt))
		lo := min(int(tc.off), len(rows))
		hi := len(rows)
		if tc.cnt >= 0 {
			hi = min(hi, lo+int(tc.cnt))
		}
		sameRows(t, fmt.Sprint(tc), got, rows[lo:hi])
		// It stops pulling once done: never more batches than needed + 1.
		if tc.cnt == 0 && src.calls != 0 {
			t.Fatalf("limit 0 pulled %d batches", src.calls)
		}
	}
}

func TestValuesUnionSingleRow(t *testing.T) {
	alloc := checked(t)
	s, b, rows := testInput(t, alloc, 5000)
	u := NewUnionAll(newSource(s, b[:1]...), newSource(s), newSource(s, b[1:]...))
	sameRows(t, "union", collect(t, u), rows)

	ib := array.NewInt32Builder(alloc)
	ib.AppendValues([]int32{7, 8}, nil)
	col := ib.NewArray()
	ib.Release()
	vs := schemaOf(arrow.PrimitiveTypes.Int32)
	v, err := NewValues(vs, []arrow.Array{col})
	col.Release()
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "values", collect(t, v), []string{"7", "8"})

	// EnforceSingleRow: zero rows -> one NULL row; one -> it; two -> 21000.
	sameRows(t, "none", collect(t, NewEnforceSingleRow(newSource(s), alloc)), []string{"NULL|NULL|NULL"})
	one := b[0].NewSlice(3, 4)
	defer one.Release()
	sameRows(t, "one", collect(t, NewEnforceSingleRow(newSource(s, one), alloc)), rows[3:4])
	_, err = collectErr(NewEnforceSingleRow(newSource(s, one, one), alloc))
	if sqlerr.Code(err) != sqlerr.CardinalityViolation {
		t.Fatalf("want 21000, got %v", err)
	}
}

func TestGather(t *testing.T) {
	alloc := checked(t)
	s, b, rows := testInput(t, alloc, 20000)
	before := runtime.NumGoroutine()

	// All rows arrive, in some order.
	var ins []exec.Operator
	for p := 0; p < 4; p++ {
		var part []arrow.RecordBatch
		for i := p; i < len(b); i += 4 {
			part = append(part, b[i])
		}
		ins = append(ins, newSource(s, part...))
	}
	sameRows(t, "gather", sorted(collect(t, NewGather(ins...))), sorted(rows))

	// An error in one input surfaces once and cancels the rest.
	failing := newSource(s, b...)
	failing.failAt = 3
	blocked := newSource(s)
	blocked.block = true
	_, err := collectErr(NewGather(newSource(s, b...), failing, blocked))
	if !errors.Is(err, errFail) {
		t.Fatalf("want source error, got %v", err)
	}
	if !blocked.closed || !failing.closed {
		t.Fatal("inputs not closed")
	}

	// Early Close while producers are blocked on a full channel.
	g := NewGather(newSource(s, b...), newSource(s, b...), newSource(s, b...))
	ctx := context.Background()
	if err := g.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Next(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // let producers fill the channel
	g.Close()
	g.Close() // idempotent

	// Close without Open closes the inputs.
	src := newSource(s, b...)
	NewGather(src).Close()
	if !src.closed {
		t.Fatal("input not closed")
	}

	// Cancellation of the consumer's context.
	cctx, cancel := context.WithCancel(ctx)
	blocked = newSource(s)
	blocked.block = true
	g = NewGather(blocked)
	g.Open(cctx)
	cancel()
	if _, err := exec.Next(cctx, g); sqlerr.Code(err) != sqlerr.QueryCanceled {
		t.Fatalf("want 57014, got %v", err)
	}
	g.Close()

	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("goroutine leak: %d before, %d after", before, n)
	}
}
