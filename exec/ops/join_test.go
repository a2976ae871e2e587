package ops

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
)

// lessPred is a test residual: column a < column b over int64 columns, NULL
// when either is NULL.
type lessPred struct{ a, b int }

func (p lessPred) Eval(_ context.Context, b arrow.RecordBatch, alloc memory.Allocator) (arrow.Array, error) {
	x, y := b.Column(p.a).(*array.Int64), b.Column(p.b).(*array.Int64)
	bb := array.NewBooleanBuilder(alloc)
	defer bb.Release()
	for i := 0; i < int(b.NumRows()); i++ {
		if x.IsNull(i) || y.IsNull(i) {
			bb.AppendNull()
		} else {
			bb.Append(x.Value(i) < y.Value(i))
		}
	}
	return bb.NewArray(), nil
}

func (p lessPred) ref(l, r []arrow.Array, li, ri int, nl int) bool {
	get := func(c int) (int64, bool) {
		if c < nl {
			a := l[c].(*array.Int64)
			return a.Value(li), a.IsValid(li)
		}
		a := r[c-nl].(*array.Int64)
		return a.Value(ri), a.IsValid(ri)
	}
	x, ok1 := get(p.a)
	y, ok2 := get(p.b)
	return ok1 && ok2 && x < y
}

func rowCells(cols []arrow.Array, i int) []string {
	out := make([]string, len(cols))
	for c, a := range cols {
		if i < 0 {
			out[c] = "NULL"
		} else {
			out[c] = cellStr(a, i)
		}
	}
	return out
}

// refJoin is the nested-loop reference for every join kind.
func refJoin(l, r []arrow.Array, lk, rk []int, kind JoinKind, res *lessPred) []string {
	nl, nr := 0, 0
	if len(l) > 0 {
		nl = l[0].Len()
	}
	if len(r) > 0 {
		nr = r[0].Len()
	}
	keyNull := func(cols []arrow.Array, keys []int, i int) bool {
		for _, k := range keys {
			if cols[k].IsNull(i) {
				return true
			}
		}
		return false
	}
	keyStr := func(cols []arrow.Array, keys []int, i int) string {
		var ks []string
		for _, k := range keys {
			ks = append(ks, cellStr(cols[k], i))
		}
		return strings.Join(ks, "\x00")
	}
	// Candidates by key: the reference still checks every pair's predicate
	// but only scans right rows with an equal key (or all rows without keys).
	byKey := map[string][]int{}
	var all []int
	for j := 0; j < nr; j++ {
		all = append(all, j)
		if !keyNull(r, rk, j) {
			byKey[keyStr(r, rk, j)] = append(byKey[keyStr(r, rk, j)], j)
		}
	}
	candidates := func(i int) []int {
		if len(lk) == 0 {
			return all
		}
		if keyNull(l, lk, i) {
			return nil
		}
		return byKey[keyStr(l, lk, i)]
	}
	match := func(i, j int) bool {
		return res == nil || res.ref(l, r, i, j, len(l))
	}
	var out []string
	rMatched := make([]bool, nr)
	rightHasNull := false
	for j := 0; j < nr; j++ {
		if keyNull(r, rk, j) {
			rightHasNull = true
		}
	}
	for i := 0; i < nl; i++ {
		matched := false
		for _, j := range candidates(i) {
			if match(i, j) {
				matched = true
				rMatched[j] = true
				if !kind.leftOnly() {
					out = append(out, strings.Join(append(rowCells(l, i), rowCells(r, j)...), "|"))
				}
			}
		}
		switch kind {
		case JoinLeft, JoinFull:
			if !matched {
				out = append(out, strings.Join(append(rowCells(l, i), rowCells(r, -1)...), "|"))
			}
		case JoinSemi:
			if matched {
				out = append(out, strings.Join(rowCells(l, i), "|"))
			}
		case JoinAnti:
			if !matched {
				out = append(out, strings.Join(rowCells(l, i), "|"))
			}
		case JoinAntiNullAware:
			if !matched && !rightHasNull && (nr == 0 || !keyNull(l, lk, i)) {
				out = append(out, strings.Join(rowCells(l, i), "|"))
			}
		}
	}
	if kind == JoinRight || kind == JoinFull {
		for j := 0; j < nr; j++ {
			if !rMatched[j] {
				out = append(out, strings.Join(append(rowCells(l, -1), rowCells(r, j)...), "|"))
			}
		}
	}
	return sorted(out)
}

func TestHashJoinRandom(t *testing.T) {
	alloc := checked(t)
	ls := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	rs := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	kinds := []JoinKind{JoinInner, JoinLeft, JoinRight, JoinFull, JoinSemi, JoinAnti, JoinAntiNullAware}
	type sizes struct{ nl, nr, card, nullPct int }
	for _, sz := range []sizes{{1500, 1000, 40, 10}, {500, 0, 10, 10}, {0, 300, 10, 10}, {700, 500, 15, 0}, {9000, 300, 25, 5}} {
		rng := rand.New(rand.NewPCG(uint64(sz.nl), uint64(sz.nr)))
		lb := genBatches(alloc, ls, sz.nl, sz.card, sz.nullPct, rng)
		rb := genBatches(alloc, rs, sz.nr, sz.card, sz.nullPct, rng)
		lcols := concatForRef(t, alloc, ls, lb)
		rcols := concatForRef(t, alloc, rs, rb)
		for _, kind := range kinds {
			for _, keys := range [][]int{{0}, {0, 1}} {
				for _, res := range []*lessPred{nil, {2, 5}} {
					want := refJoin(lcols, rcols, keys, keys, kind, res)
					if kind == JoinAntiNullAware {
						want = refNotIn(lcols, rcols, keys, keys, res)
					}
					for _, buildIsLeft := range []bool{false, true} {
						for _, probes := range []int{1, 3} {
							name := fmt.Sprintf("%v/%s/keys%d/res%v/buildLeft%v/probes%d", sz, kind, len(keys), res != nil, buildIsLeft, probes)
							general := kind == JoinAntiNullAware && (res != nil || len(keys) > 1)
							if general && buildIsLeft {
								continue // the planner must build the right side
							}
							t.Run(name, func(t *testing.T) {
								buildS, buildB, probeS, probeB := rs, rb, ls, lb
								if buildIsLeft {
									buildS, buildB, probeS, probeB = ls, lb, rs, rb
								}
								mem := exec.NewMemory(0)
								build := NewHashBuild(newSource(buildS, buildB...), keys, mem, alloc)
								var pipes []exec.Operator
								for p := 0; p < probes; p++ {
									var part []arrow.RecordBatch
									for i := p; i < len(probeB); i += probes {
										part = append(part, probeB[i])
									}
									var pred Predicate
									if res != nil {
										pred = *res
									}
									j, err := NewHashJoin(newSource(probeS, part...), build, keys, kind, pred, buildIsLeft, alloc)
									if err != nil {
										t.Fatal(err)
									}
									pipes = append(pipes, j)
								}
								var op exec.Operator = pipes[0]
								if probes > 1 {
									op = NewGather(pipes...)
								}
								sameRows(t, "join", sorted(collect(t, op)), want)
								if mem.Used() != 0 {
									t.Fatalf("memory still reserved: %d", mem.Used())
								}
							})
						}
					}
				}
			}
		}
		releaseBatches(lb)
		releaseBatches(rb)
		releaseArrays(lcols)
		releaseArrays(rcols)
	}
}

// Every key type joins with SQL equality.
func TestHashJoinKeyTypes(t *testing.T) {
	alloc := checked(t)
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, uint64(typ.Kind)))
			s := schemaOf(typ.Arrow(), arrow.PrimitiveTypes.Int64)
			lb := genBatches(alloc, s, 400, 30, 10, rng)
			rb := genBatches(alloc, s, 300, 30, 10, rng)
			defer releaseBatches(lb)
			defer releaseBatches(rb)
			lcols := concatForRef(t, alloc, s, lb)
			rcols := concatForRef(t, alloc, s, rb)
			defer releaseArrays(lcols)
			defer releaseArrays(rcols)
			for _, kind := range []JoinKind{JoinInner, JoinFull, JoinAnti} {
				want := refJoin(lcols, rcols, []int{0}, []int{0}, kind, nil)
				build := NewHashBuild(newSource(s, rb...), []int{0}, nil, alloc)
				j, err := NewHashJoin(newSource(s, lb...), build, []int{0}, kind, nil, false, alloc)
				if err != nil {
					t.Fatal(err)
				}
				sameRows(t, kind.String(), sorted(collect(t, j)), want)
			}
		})
	}
}

// Over its budget the build spills (grace hash join) instead of failing,
// except NOT IN with several keys, which cannot be partitioned: 53200.
func TestHashJoinMemoryLimit(t *testing.T) {
	defer spillTmp(t)()
	alloc := checked(t)
	s := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	rng := rand.New(rand.NewPCG(1, 1))
	b := genBatches(alloc, s, 20000, 1000, 0, rng)
	defer releaseBatches(b)
	mem := exec.NewMemory(100 << 10)
	build := NewHashBuild(newSource(s, b...), []int{0}, mem, alloc)
	j, err := NewHashJoin(newSource(s, b...), build, []int{0}, JoinSemi, nil, false, alloc)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := collectErr(j); err != nil || len(got) != 20000 {
		t.Fatalf("semi join: %d rows, %v", len(got), err)
	}
	if files, _ := build.SpillStats(); files == 0 {
		t.Fatal("build did not spill")
	}
	build = NewHashBuild(newSource(s, b...), []int{0, 1}, mem, alloc)
	j, err = NewHashJoin(newSource(s, b...), build, []int{0, 1}, JoinAntiNullAware, nil, false, alloc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = collectErr(j)
	if err == nil || !strings.Contains(err.Error(), "out of memory") {
		t.Fatalf("want out of memory, got %v", err)
	}
	if mem.Used() != 0 {
		t.Fatalf("memory still reserved: %d", mem.Used())
	}
}

func TestNestedLoopJoinRandom(t *testing.T) {
	alloc := checked(t)
	ls := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	for _, sz := range [][2]int{{300, 200}, {0, 50}, {70, 0}, {20, 9000}} {
		rng := rand.New(rand.NewPCG(uint64(sz[0]), uint64(sz[1])))
		lb := genBatches(alloc, ls, sz[0], 50, 10, rng)
		rb := genBatches(alloc, ls, sz[1], 50, 10, rng)
		lcols := concatForRef(t, alloc, ls, lb)
		rcols := concatForRef(t, alloc, ls, rb)
		for _, kind := range []JoinKind{JoinInner, JoinLeft, JoinRight, JoinFull, JoinSemi, JoinAnti, JoinCross} {
			for _, res := range []*lessPred{nil, {2, 5}} {
				t.Run(fmt.Sprintf("%v/%s/%v", sz, kind, res != nil), func(t *testing.T) {
					refKind := kind
					if kind == JoinCross {
						refKind = JoinInner
					}
					want := refJoin(lcols, rcols, nil, nil, refKind, res)
					var pred Predicate
					if res != nil {
						pred = *res
					}
					mem := exec.NewMemory(0)
					j, err := NewNestedLoopJoin(newSource(ls, lb...), newSource(ls, rb...), kind, pred, mem, alloc)
					if err != nil {
						t.Fatal(err)
					}
					sameRows(t, "nlj", sorted(collect(t, j)), want)
					if mem.Used() != 0 {
						t.Fatalf("memory still reserved: %d", mem.Used())
					}
				})
			}
		}
		releaseBatches(lb)
		releaseBatches(rb)
		releaseArrays(lcols)
		releaseArrays(rcols)
	}
}

// eqPred is a test residual: int32 column a = column b, NULL if either is.
type eqPred struct{ a, b int }

func (p eqPred) Eval(_ context.Context, b arrow.RecordBatch, alloc memory.Allocator) (arrow.Array, error) {
	x, y := b.Column(p.a).(*array.Int32), b.Column(p.b).(*array.Int32)
	bb := array.NewBooleanBuilder(alloc)
	defer bb.Release()
	for i := 0; i < int(b.NumRows()); i++ {
		if x.IsNull(i) || y.IsNull(i) {
			bb.AppendNull()
		} else {
			bb.Append(x.Value(i) == y.Value(i))
		}
	}
	return bb.NewArray(), nil
}

// NOT IN through a nested loop: the residual is the comparison; a NULL
// comparison removes the left row as a match does.
func TestNestedLoopNotIn(t *testing.T) {
	alloc := checked(t)
	ls := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	for _, tc := range []struct{ nl, nr, nullPct int }{{200, 50, 0}, {200, 50, 3}, {100, 0, 10}, {0, 10, 0}} {
		rng := rand.New(rand.NewPCG(uint64(tc.nl), uint64(tc.nullPct)))
		lb := genBatches(alloc, ls, tc.nl, 60, tc.nullPct, rng)
		rb := genBatches(alloc, ls, tc.nr, 60, tc.nullPct, rng)
		lcols := concatForRef(t, alloc, ls, lb)
		rcols := concatForRef(t, alloc, ls, rb)
		want := refJoin(lcols, rcols, []int{0}, []int{0}, JoinAntiNullAware, nil)
		j, err := NewNestedLoopJoin(newSource(ls, lb...), newSource(ls, rb...), JoinAntiNullAware, eqPred{0, 3}, nil, alloc)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, fmt.Sprint(tc), sorted(collect(t, j)), want)
		releaseBatches(lb)
		releaseBatches(rb)
		releaseArrays(lcols)
		releaseArrays(rcols)
	}
}

// refNotIn is PostgreSQL's (keys) NOT IN (SELECT keys FROM right WHERE res):
// a left row survives unless some right row passing res compares true or
// NULL with it (no key column non-NULL on both sides and different).
func refNotIn(l, r []arrow.Array, lk, rk []int, res *lessPred) []string {
	nl, nr := 0, 0
	if len(l) > 0 {
		nl = l[0].Len()
	}
	if len(r) > 0 {
		nr = r[0].Len()
	}
	var out []string
	for i := 0; i < nl; i++ {
		removed := false
		for j := 0; j < nr && !removed; j++ {
			if res != nil && !res.ref(l, r, i, j, len(l)) {
				continue
			}
			differs := false
			for k := range lk {
				a, b := l[lk[k]], r[rk[k]]
				if a.IsValid(i) && b.IsValid(j) && cellStr(a, i) != cellStr(b, j) {
					differs = true
				}
			}
			removed = !differs
		}
		if !removed {
			out = append(out, strings.Join(rowCells(l, i), "|"))
		}
	}
	return sorted(out)
}
