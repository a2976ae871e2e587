package ops

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Every join kind, build side, residual and probe parallelism gives the
// reference answer when the build spills (one level, or several under a
// tiny budget).
func TestHashJoinSpills(t *testing.T) {
	if testing.Short() {
		t.Skip("slow reference joins")
	}
	noLeft := spillTmp(t)
	alloc := checked(t)
	ls := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	rs := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	kinds := []JoinKind{JoinInner, JoinLeft, JoinRight, JoinFull, JoinSemi, JoinAnti, JoinAntiNullAware}
	type sizes struct{ nl, nr, card, nullPct int }
	for _, sz := range []sizes{{2000, 1600, 900, 5}, {1500, 1600, 900, 0}} {
		rng := rand.New(rand.NewPCG(uint64(sz.nl), uint64(sz.nr)))
		lb := genBatches(alloc, ls, sz.nl, sz.card, sz.nullPct, rng)
		rb := genBatches(alloc, rs, sz.nr, sz.card, sz.nullPct, rng)
		lcols := concatForRef(t, alloc, ls, lb)
		rcols := concatForRef(t, alloc, rs, rb)
		for _, kind := range kinds {
			for _, keys := range [][]int{{0}, {0, 1}} {
				for _, res := range []*lessPred{nil, {2, 5}} {
					general := kind == JoinAntiNullAware && (res != nil || len(keys) > 1)
					if general {
						continue // cannot spill; TestHashJoinMemoryLimit
					}
					want := refJoin(lcols, rcols, keys, keys, kind, res)
					if kind == JoinAntiNullAware {
						want = refNotIn(lcols, rcols, keys, keys, res)
					}
					for _, buildIsLeft := range []bool{false, true} {
						for _, probes := range []int{1, 3} {
							for _, limit := range []int64{24 << 10, 4 << 10} {
								if limit < 8<<10 && (res != nil || probes > 1) {
									continue // deep recursion is slow: once per kind and keys
								}
								name := fmt.Sprintf("%v/%s/keys%d/res%v/buildLeft%v/probes%d/limit%d", sz, kind, len(keys), res != nil, buildIsLeft, probes, limit)
								t.Run(name, func(t *testing.T) {
									buildS, buildB, probeS, probeB := rs, rb, ls, lb
									if buildIsLeft {
										buildS, buildB, probeS, probeB = ls, lb, rs, rb
									}
									mem := exec.NewMemory(limit)
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
									if files, _ := build.SpillStats(); files == 0 {
										t.Fatal("build did not spill")
									}
									if mem.Used() != 0 {
										t.Fatalf("memory still reserved: %d", mem.Used())
									}
									noLeft()
								})
							}
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

// NOT IN keeps its global NULL rules when spilled: a NULL in the subquery
// empties the result even though it sits in one partition.
func TestHashJoinSpillNotInNull(t *testing.T) {
	noLeft := spillTmp(t)
	alloc := checked(t)
	s := schemaOf(arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64)
	rng := rand.New(rand.NewPCG(2, 2))
	lb := genBatches(alloc, s, 3000, 100000, 0, rng)
	rb := genBatches(alloc, s, 3000, 100000, 1, rng) // some NULL keys
	defer releaseBatches(lb)
	defer releaseBatches(rb)
	mem := exec.NewMemory(16 << 10)
	for _, buildIsLeft := range []bool{false, true} {
		probe, buildB := lb, rb
		if buildIsLeft {
			probe, buildB = rb, lb
		}
		build := NewHashBuild(newSource(s, buildB...), []int{0}, mem, alloc)
		j, err := NewHashJoin(newSource(s, probe...), build, []int{0}, JoinAntiNullAware, nil, buildIsLeft, alloc)
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, j); len(got) != 0 {
			t.Fatalf("buildLeft %v: NOT IN with a NULL in the subquery returned %d rows", buildIsLeft, len(got))
		}
		if files, _ := build.SpillStats(); files == 0 {
			t.Fatal("build did not spill")
		}
	}
	if mem.Used() != 0 {
		t.Fatalf("memory still reserved: %d", mem.Used())
	}
	noLeft()
}

// Canceling while partitions are joined removes every file; a build of one
// key that never fits fails with 53200 after maxSpillLevel levels, and the
// budget serves the next query.
func TestHashJoinSpillCancelAndCannotFit(t *testing.T) {
	noLeft := spillTmp(t)
	alloc := checked(t)
	s := schemaOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String)
	rng := rand.New(rand.NewPCG(3, 3))
	b := genBatches(alloc, s, 20000, 5000, 0, rng)
	defer releaseBatches(b)
	mem := exec.NewMemory(64 << 10)
	build := NewHashBuild(newSource(s, b...), []int{0}, mem, alloc)
	j, err := NewHashJoin(newSource(s, b...), build, []int{0}, JoinInner, nil, false, alloc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := exec.Open(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Next(ctx, j); err != nil {
		t.Fatal(err)
	}
	cancel()
	for {
		_, err := exec.Next(ctx, j)
		if err == nil {
			continue
		}
		if sqlerr.Code(err) != sqlerr.QueryCanceled {
			t.Fatalf("want 57014, got %v", err)
		}
		break
	}
	j.Close()
	j.Close()
	if mem.Used() != 0 {
		t.Fatalf("memory still reserved: %d", mem.Used())
	}
	noLeft()

	// Every build row has the same key: no partitioning can split it.
	one := genBatches(alloc, s, 20000, 1, 0, rng)
	defer releaseBatches(one)
	build = NewHashBuild(newSource(s, one...), []int{0}, mem, alloc)
	j, _ = NewHashJoin(newSource(s, one[:1]...), build, []int{0}, JoinSemi, nil, false, alloc)
	_, err = collectErr(j)
	if sqlerr.Code(err) != sqlerr.OutOfMemory {
		t.Fatalf("want 53200, got %v", err)
	}
	if mem.Used() != 0 {
		t.Fatalf("memory still reserved: %d", mem.Used())
	}
	noLeft()
	build = NewHashBuild(newSource(s, b...), []int{0}, exec.NewMemory(64<<20), alloc)
	j, _ = NewHashJoin(newSource(s, b[:1]...), build, []int{0}, JoinSemi, nil, false, alloc)
	if got := collect(t, j); len(got) == 0 {
		t.Fatal("next query: no rows")
	}
}
