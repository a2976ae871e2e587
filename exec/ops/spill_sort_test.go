package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/spill"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// spillTmp points os.TempDir at a fresh directory and returns a check that
// no spill directory is left in it.
func spillTmp(t *testing.T) func() {
	t.Helper()
	d := t.TempDir()
	t.Setenv("TMPDIR", d)
	return func() {
		t.Helper()
		ents, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), spill.Prefix) {
				t.Fatalf("spill directory %s left behind", e.Name())
			}
		}
	}
}

func TestSortSpillsAllTypes(t *testing.T) {
	noLeft := spillTmp(t)
	alloc := checked(t)
	for _, typ := range allTypes {
		if typ.Kind == 0 {
			continue
		}
		t.Run(typ.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, uint64(typ.Kind)))
			s := schemaOf(typ.Arrow(), arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String)
			batches := genBatches(alloc, s, 40000, 5000, 10, rng)
			defer releaseBatches(batches)
			cols := concatForRef(t, alloc, s, batches)
			defer releaseArrays(cols)
			all := sorted(rowsOf(batches))
			for _, keys := range [][]SortKey{
				{{Col: 0}},
				{{Col: 0, Desc: true, NullsFirst: true}, {Col: 1}},
				{{Col: 2}, {Col: 0, Desc: true}},
			} {
				want := refOrder(cols, keys)
				mem := exec.NewMemory(600 << 10)
				op := NewSort(newSource(s, batches...), keys, mem, alloc)
				got := collect(t, op)
				sameRows(t, fmt.Sprint("sort ", keys), keyCells(got, keys), want)
				sameRows(t, "rows", sorted(got), all)
				if files, bytes := op.SpillStats(); files < 2 || bytes == 0 {
					t.Fatalf("expected a spilled sort, got %d files %d bytes", files, bytes)
				}
				if mem.Used() != 0 {
					t.Fatalf("sort left %d bytes reserved", mem.Used())
				}
				noLeft()
			}
		})
	}
}

// A fan-in of 2 forces intermediate merge passes.
func TestSortSpillMultiPass(t *testing.T) {
	noLeft := spillTmp(t)
	alloc := checked(t)
	rng := rand.New(rand.NewPCG(5, 5))
	s := schemaOf(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	batches := genBatches(alloc, s, 60000, 100000, 5, rng)
	defer releaseBatches(batches)
	cols := concatForRef(t, alloc, s, batches)
	defer releaseArrays(cols)
	keys := []SortKey{{Col: 0, Desc: true}, {Col: 1}}
	mem := exec.NewMemory(1 << 20)
	op := NewSort(newSource(s, batches...), keys, mem, alloc)
	op.fanIn = 2
	got := collect(t, op)
	sameRows(t, "multipass", keyCells(got, keys), refOrder(cols, keys))
	if files, _ := op.SpillStats(); files < 6 {
		t.Fatalf("only %d files: no intermediate passes", files)
	}
	if mem.Used() != 0 {
		t.Fatalf("left %d bytes reserved", mem.Used())
	}
	noLeft()
}

// Files are removed when the input fails after runs were written and when
// the query is canceled during the merge.
func TestSortSpillCleanupOnErrorAndCancel(t *testing.T) {
	noLeft := spillTmp(t)
	alloc := checked(t)
	rng := rand.New(rand.NewPCG(8, 8))
	s := schemaOf(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	batches := genBatches(alloc, s, 60000, 100000, 5, rng)
	defer releaseBatches(batches)

	src := newSource(s, batches...)
	src.failAt = len(batches) - 1
	mem := exec.NewMemory(1 << 20)
	op := NewSort(src, []SortKey{{Col: 0}}, mem, alloc)
	_, err := collectErr(op)
	if !errors.Is(err, errFail) {
		t.Fatalf("want source error, got %v", err)
	}
	if files, _ := op.SpillStats(); files == 0 {
		t.Fatal("failed before spilling: test proves nothing")
	}
	if mem.Used() != 0 {
		t.Fatalf("left %d bytes reserved", mem.Used())
	}
	noLeft()

	ctx, cancel := context.WithCancel(context.Background())
	op = NewSort(newSource(s, batches...), []SortKey{{Col: 1}}, mem, alloc)
	if err := exec.Open(ctx, op); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Next(ctx, op); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := exec.Next(ctx, op); sqlerr.Code(err) != sqlerr.QueryCanceled {
		t.Fatalf("want 57014, got %v", err)
	}
	if op.dir == nil || op.dir.Path() == "" {
		t.Fatal("sort did not spill")
	}
	op.Close()
	op.Close()
	if mem.Used() != 0 {
		t.Fatalf("left %d bytes reserved", mem.Used())
	}
	noLeft()
}

// A merge that cannot hold even two batches fails with 53200, frees
// everything, and the budget serves the next query.
func TestSortSpillTooSmall(t *testing.T) {
	noLeft := spillTmp(t)
	alloc := checked(t)
	rng := rand.New(rand.NewPCG(9, 9))
	s := schemaOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String)
	batches := genBatches(alloc, s, 30000, 100000, 0, rng)
	defer releaseBatches(batches)
	mem := exec.NewMemory(16 << 10)
	_, err := collectErr(NewSort(newSource(s, batches...), []SortKey{{Col: 0}}, mem, alloc))
	if sqlerr.Code(err) != sqlerr.OutOfMemory {
		t.Fatalf("want 53200, got %v", err)
	}
	if mem.Used() != 0 {
		t.Fatalf("left %d bytes reserved", mem.Used())
	}
	noLeft()
	mem = exec.NewMemory(64 << 20)
	if got := collect(t, NewSort(newSource(s, batches...), []SortKey{{Col: 0}}, mem, alloc)); len(got) != 30000 {
		t.Fatalf("next query: %d rows", len(got))
	}
}

var _ = io.EOF
