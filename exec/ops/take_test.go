package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/basaltdb/basalt/sql/types"
)

func TestTakeAllTypes(t *testing.T) {
	alloc := checked(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range append(allTypes, types.ArrayOf(types.Int32T), types.ArrayOf(types.TextT), types.ArrayOf(types.NumericT(12, 2))) {
		t.Run(typ.String(), func(t *testing.T) {
			src := genArray(alloc, typ.Arrow(), 500, 40, 20, rng)
			defer src.Release()
			// Take from a slice too, to exercise array offsets.
			sl := newSlice(src, 7, 400)
			defer sl.Release()
			idx := make([]int32, 1000)
			for i := range idx {
				idx[i] = int32(rng.IntN(sl.Len()+1)) - 1 // -1 = NULL padding
			}
			got := take(alloc, sl, idx)
			defer got.Release()
			if got.Len() != len(idx) {
				t.Fatalf("len %d", got.Len())
			}
			for k, i := range idx {
				want := "NULL"
				if i >= 0 {
					want = cellStr(sl, int(i))
				}
				if g := cellStr(got, k); g != want {
					t.Fatalf("row %d (src %d): got %s want %s", k, i, g, want)
				}
			}
		})
	}
}
