//go:build !sltnoengine

package slt

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/server/dist"
)

// TestDistributed runs every .slt file on an in-process cluster of three
// nodes that distributes every query it can, however small: the answers
// must be those of one node (the same expectations), whatever the
// fragmenter cuts and wherever the tasks run.
func TestDistributed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ctx := context.Background()
	lc, err := dist.StartLocal(ctx, dataDir, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	eng := lc.Nodes[1].Engine
	for _, path := range sltFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".slt"), func(t *testing.T) {
			f, err := ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			runFile(t, f, "basalt", func(ctx context.Context, r *Record) *Outcome {
				return runBasalt(ctx, eng, r)
			}, false)
		})
	}
	// The suite must have gone through the cluster, not around it.
	if n := len(lc.Nodes[1].Coordinator.SystemTables()[0].Rows()); n == 0 {
		t.Fatal("no query was distributed")
	} else {
		t.Logf("%d queries distributed (the last 100 kept)", n)
	}
}
