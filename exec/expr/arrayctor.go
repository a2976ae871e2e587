package expr

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/types"
)

// arrayNode builds ARRAY[e1, e2, ...]: one list of len(elems) values per
// row. The element columns are concatenated and taken into row-major order
// with one vectorized take, then wrapped in fixed-stride list offsets.
type arrayNode struct {
	elems []node
	t     types.T
}

func (n *arrayNode) typ() types.T { return n.t }

func (n *arrayNode) mayFail() bool {
	for _, e := range n.elems {
		if e.mayFail() {
			return true
		}
	}
	return false
}

func (n *arrayNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	rows := int(b.NumRows())
	k := len(n.elems)
	cols := make([]arrow.Array, 0, k)
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, e := range n.elems {
		c, err := e.eval(ec, b)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	var child arrow.Array
	if k == 0 {
		child = array.MakeArrayOfNull(ec.alloc, n.t.ElemType().Arrow(), 0)
	} else {
		all, err := array.Concatenate(cols, ec.alloc)
		if err != nil {
			return nil, fmt.Errorf("ARRAY constructor: %w", err)
		}
		idxBuf, idx := newFixed[int32](ec.alloc, rows*k)
		for i := 0; i < rows; i++ {
			for j := 0; j < k; j++ {
				idx[i*k+j] = int32(j*rows + i)
			}
		}
		ia := array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, rows*k, []*memory.Buffer{nil, idxBuf}, nil, 0, 0))
		idxBuf.Release()
		child, err = compute.TakeArray(compute.WithAllocator(context.Background(), ec.alloc), all, ia)
		all.Release()
		ia.Release()
		if err != nil {
			return nil, fmt.Errorf("ARRAY constructor: %w", err)
		}
	}
	defer child.Release()
	offBuf, offs := newFixed[int32](ec.alloc, rows+1)
	for i := range offs {
		offs[i] = int32(i * k)
	}
	data := array.NewData(n.t.Arrow(), rows, []*memory.Buffer{nil, offBuf}, []arrow.ArrayData{child.Data()}, 0, 0)
	offBuf.Release()
	defer data.Release()
	return array.MakeFromData(data), nil
}

// compileArray compiles expr.ArrayCtor calls.
func compileArray(e *expr.Call, args []node) (node, error) {
	if e.T.Kind != types.Array {
		return nil, internalErr("ARRAY constructor typed %s", e.T)
	}
	return &arrayNode{elems: args, t: e.T}, nil
}
