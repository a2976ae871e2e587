package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// singleRowNode evaluates expr.CheckSingleRow.
type singleRowNode struct {
	count, value node
}

func (n *singleRowNode) typ() types.T  { return n.value.typ() }
func (n *singleRowNode) mayFail() bool { return true }

func (n *singleRowNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	c, err := n.count.eval(ec, b)
	if err != nil {
		return nil, err
	}
	counts, ok := c.(*array.Int64)
	if !ok {
		c.Release()
		return nil, internalErr("%s: count is %s, not bigint", expr.CheckSingleRow, c.DataType())
	}
	for i, v := range counts.Int64Values() {
		if v > 1 && counts.IsValid(i) {
			c.Release()
			return nil, sqlerr.New(sqlerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
		}
	}
	c.Release()
	return n.value.eval(ec, b)
}
