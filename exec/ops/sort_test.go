package ops

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/exec"
)

// refOrder sorts rows of cols by keys with boxed values (tests only) and
// returns the key cells of the ordered rows (ties may legitimately come in
// any order, so only key cells are compared).
func refOrder(cols []arrow.Array, keys []SortKey) []string {
	n := cols[0].Len()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	cmpVal := func(a, b any) int {
		switch x := a.(type) {
		case float64:
			y := b.(float64)
			switch {
			case math.IsNaN(x) && math.IsNaN(y):
				return 0
			case math.IsNaN(x):
				return 1
			case math.IsNaN(y):
				return -1
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
		if refLess(a, b) {
			return -1
		}
		if refLess(b, a) {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		for _, k := range keys {
			a := cols[k.Col]
			in, jn := a.IsNull(i), a.IsNull(j)
			if in || jn {
				if in && jn {
					continue
				}
				if in == k.NullsFirst {
					return -1
				}
				return 1
			}
			c := cmpVal(refValue(a, i), refValue(a, j))
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	out := make([]string, n)
	for p, i := range idx {
		var cells []string
		for _, k := range keys {
			cells = append(cells, cellStr(cols[k.Col], i))
		}
		out[p] = strings.Join(cells, "|")
	}
	return out
}

// keyCells projects formatted rows onto the key columns.
func keyCells(rows []string, keys []SortKey) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		cells := strings.Split(r, "|")
		var ks []string
		for _, k := range keys {
			ks = append(ks, cells[k.Col])
		}
		out[i] = strings.Join(ks, "|")
	}
	return out
}

func TestSortAndTopN(t *testing.T) {
	alloc := checked(t)
	for _, typ := range allTypes {
		if typ.Kind == 0 {
			continue
		}
		t.Run(typ.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(typ.Kind)))
			s := schemaOf(typ.Arrow(), arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String)
			batches := genBatches(alloc, s, 12000, 300, 10, rng)
			defer releaseBatches(batches)
			cols := concatForRef(t, alloc, s, batches)
			defer releaseArrays(cols)
			for _, keys := range [][]SortKey{
				{{Col: 0}},
				{{Col: 0, Desc: true, NullsFirst: true}},
				{{Col: 0, NullsFirst: true}, {Col: 1, Desc: true}},
				{{Col: 1}, {Col: 0, Desc: true}, {Col: 2}},
			} {
				want := refOrder(cols, keys)
				mem := exec.NewMemory(0)
				got := collect(t, NewSort(newSource(s, batches...), keys, mem, alloc))
				sameRows(t, fmt.Sprint("sort ", keys), keyCells(got, keys), want)
				if mem.Used() != 0 {
					t.Fatalf("sort left %d bytes reserved", mem.Used())
				}
				for _, n := range []int64{0, 1, 7, 5000, 20000} {
					got := collect(t, NewTopN(newSource(s, batches...), keys, n, mem, alloc))
					w := want[:min(int(n), len(want))]
					sameRows(t, fmt.Sprint("topn ", n, keys), keyCells(got, keys), w)
				}
				if mem.Used() != 0 {
					t.Fatalf("topn left %d bytes reserved", mem.Used())
				}
			}
		})
	}
}

func TestSortFloatSpecials(t *testing.T) {
	alloc := checked(t)
	b := array.NewFloat64Builder(alloc)
	for _, v := range []float64{3, math.NaN(), -1, math.Inf(1), math.Inf(-1), 0} {
		b.Append(v)
	}
	b.AppendNull()
	arr := b.NewArray()
	b.Release()
	s := schemaOf(arrow.PrimitiveTypes.Float64)
	batch := newBatch(s, []arrow.Array{arr}, 7)
	defer batch.Release()
	got := collect(t, NewSort(newSource(s, batch), []SortKey{{Col: 0}}, nil, alloc))
	sameRows(t, "asc", got, []string{"-Inf", "-1", "0", "3", "+Inf", "NaN", "NULL"})
	got = collect(t, NewSort(newSource(s, batch), []SortKey{{Col: 0, Desc: true, NullsFirst: true}}, nil, alloc))
	sameRows(t, "desc", got, []string{"NULL", "NaN", "+Inf", "3", "0", "-1", "-Inf"})
}

func TestSortEmpty(t *testing.T) {
	alloc := checked(t)
	s := schemaOf(arrow.BinaryTypes.String)
	if got := collect(t, NewSort(newSource(s), []SortKey{{Col: 0}}, nil, alloc)); len(got) != 0 {
		t.Fatalf("got %v", got)
	}
	if got := collect(t, NewTopN(newSource(s), []SortKey{{Col: 0}}, 5, nil, alloc)); len(got) != 0 {
		t.Fatalf("got %v", got)
	}
}

// Over its budget the sort spills instead of failing.
func TestSortMemoryLimit(t *testing.T) {
	defer spillTmp(t)()
	alloc := checked(t)
	s := schemaOf(arrow.BinaryTypes.String)
	rng := rand.New(rand.NewPCG(1, 1))
	batches := genBatches(alloc, s, 50000, 1000, 0, rng)
	defer releaseBatches(batches)
	mem := exec.NewMemory(400 << 10)
	got, err := collectErr(NewSort(newSource(s, batches...), []SortKey{{Col: 0}}, mem, alloc))
	if err != nil || len(got) != 50000 {
		t.Fatalf("got %d rows, %v", len(got), err)
	}
	if mem.Used() != 0 {
		t.Fatalf("reserved after close: %d", mem.Used())
	}
}

var _ = context.Background
