package ops

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// CollectFunc is an aggregate a CollectAggregate computes.
type CollectFunc uint8

const (
	// CollectPlain is any HashAggregate aggregate (CollectSpec.Plain), so
	// one operator computes every aggregate of a query.
	CollectPlain CollectFunc = iota
	// CollectStringAgg is string_agg(Arg, Sep [ORDER BY ...]) over text or
	// bytea: NULL values are skipped; each value after the first is
	// preceded by its own row's separator (nothing when that is NULL).
	CollectStringAgg
	// CollectArrayAgg is array_agg(Arg [ORDER BY ...]); NULL elements are
	// kept. The result is a list array of types.ArrayOf(arg).
	CollectArrayAgg
	// CollectPercentileCont is percentile_cont(Fraction) WITHIN GROUP
	// (ORDER BY Arg) over float8 or interval Arg, interpolating linearly.
	CollectPercentileCont
	// CollectPercentileDisc is percentile_disc(Fraction) WITHIN GROUP
	// (ORDER BY Arg): the first value whose position in the ordered group
	// reaches the fraction; any sortable type.
	CollectPercentileDisc
	// CollectMode is mode() WITHIN GROUP (ORDER BY Arg): the most frequent
	// value, the first in the ordering on ties.
	CollectMode
)

func (f CollectFunc) String() string {
	switch f {
	case CollectPlain:
		return "plain"
	case CollectStringAgg:
		return "string_agg"
	case CollectArrayAgg:
		return "array_agg"
	case CollectPercentileCont:
		return "percentile_cont"
	case CollectPercentileDisc:
		return "percentile_disc"
	case CollectMode:
		return "mode"
	}
	return fmt.Sprintf("CollectFunc(%d)", f)
}

// CollectSpec is one aggregate of a CollectAggregate. Column indexes refer
// to the operator's input (the planner projects expressions into columns
// first).
//
//   - Fn == CollectPlain: Plain says everything (count, sum, avg, min, max,
//     var_*, stddev_*, bool_and/or, with Distinct), with Plain's result
//     types. Their own ORDER BY, if any, is irrelevant and dropped.
//   - string_agg: Arg is the value column, Sep the delimiter column (same
//     type). array_agg: Arg.
//   - OrderBy (string_agg, array_agg) is the aggregate's ORDER BY; without
//     it values come in input order. Distinct drops repeated values (for
//     string_agg, repeated (value, delimiter) pairs); as in PostgreSQL the
//     ORDER BY of a DISTINCT aggregate may only name its arguments (the
//     binder checks, 42P10) and without ORDER BY the values come out
//     ascending.
//   - percentile_cont/percentile_disc/mode: Arg is the WITHIN GROUP
//     (ORDER BY x) column; OrderBy may hold one key on Arg to give its
//     direction (DESC reverses). NULL values are skipped. Fraction is the
//     direct argument (a constant; FractionNull for NULL, which makes the
//     result NULL). A fraction outside [0, 1] fails with 22003 when a group
//     is finalized, as in PostgreSQL.
//   - HasFilter: FILTER (WHERE Filter): only rows whose boolean Filter
//     column is true feed the aggregate (any Fn).
//
// Result is the aggregate's type (expr.ResolveAggregate's); an unset
// (Unknown) Result takes the derived type.
type CollectSpec struct {
	Fn           CollectFunc
	Plain        AggSpec
	Arg          int
	Sep          int
	Fraction     float64
	FractionNull bool
	Distinct     bool
	OrderBy      []SortKey
	HasFilter    bool
	Filter       int
	Result       types.T
}

// CollectAggregate groups its input by key columns and computes aggregates
// that need their group's values (string_agg, array_agg, percentile_cont,
// percentile_disc, mode, each with its own ORDER BY, DISTINCT and FILTER)
// together with any plain aggregates of the same query, so the planner
// uses it instead of HashAggregate whenever one aggregate of a query needs
// it (expr.NeedsCollect). It only runs in Single mode.
//
// Plain aggregates are folded into per-group accumulators batch by batch,
// exactly as in HashAggregate. The input columns the other aggregates read
// are buffered (reserved from the query's memory budget) with each row's
// group; at the end the rows are bucketed by group (keeping input order),
// each aggregate filters and sorts its group's rows by its own ORDER BY,
// and the results are built column-wise (array_agg gathers every element
// with one take and wraps it in list offsets).
//
// Output: the group columns (in groupCols order) followed by one column per
// spec; group order is unspecified. A query without GROUP BY yields one row
// even over no input (array_agg and string_agg are then NULL).
type CollectAggregate struct {
	input     exec.Operator
	groupCols []int
	specs     []CollectSpec
	schema    *arrow.Schema
	alloc     memory.Allocator
	res       reservation

	table    *groupTable
	groups   int
	accs     []accumulator // per spec; nil for collect specs
	distinct []*groupTable // per plain DISTINCT spec
	argTypes []arrow.DataType

	need    []int       // input columns buffered for collect specs
	pos     map[int]int // input column -> index in need
	parts   [][]arrow.Array
	gparts  [][]int32
	bufSize int64

	cols   []arrow.Array // buffered columns, concatenated
	rows   [][]int32     // per spec: rows of every group, grouped and ordered
	bounds [][]int32     // per spec: group g's rows are rows[bounds[g]:bounds[g+1]]

	consumed bool
	emitted  int
	out      arrow.RecordBatch
	gids     []int32
}

var _ exec.Operator = (*CollectAggregate)(nil)

// NewCollectAggregate builds the operator. outSchema may be nil, in which
// case the output is named like HashAggregate's ("<fn>_<i>").
func NewCollectAggregate(input exec.Operator, groupCols []int, aggs []CollectSpec, outSchema *arrow.Schema, mem *exec.Memory, alloc memory.Allocator) (*CollectAggregate, error) {
	in := input.Schema()
	c := &CollectAggregate{input: input, groupCols: groupCols, specs: aggs, alloc: alloc, res: reservation{mem: mem}, pos: map[int]int{}}
	col := func(i int) (arrow.DataType, error) {
		if i < 0 || i >= in.NumFields() {
			return nil, internalErr("aggregate column %d out of range", i)
		}
		return in.Field(i).Type, nil
	}
	keyTypes := make([]arrow.DataType, len(groupCols))
	var fs []arrow.Field
	for i, gc := range groupCols {
		dt, err := col(gc)
		if err != nil {
			return nil, err
		}
		keyTypes[i] = dt
		fs = append(fs, in.Field(gc))
	}
	addNeed := func(i int) {
		if _, ok := c.pos[i]; !ok {
			c.pos[i] = len(c.need)
			c.need = append(c.need, i)
		}
	}
	for i, s := range aggs {
		if s.HasFilter {
			dt, err := col(s.Filter)
			if err != nil {
				return nil, err
			}
			if dt.ID() != arrow.BOOL {
				return nil, internalErr("FILTER column is %s, not boolean", dt)
			}
		}
		var res arrow.DataType
		var arg arrow.DataType
		switch s.Fn {
		case CollectPlain:
			if s.Plain.Fn != AggCountStar {
				dt, err := col(s.Plain.Arg)
				if err != nil {
					return nil, err
				}
				arg = dt
			}
			acc, err := newAccumulator(s.Plain, arg)
			if err != nil {
				return nil, err
			}
			res = resultType(acc)
			c.accs = append(c.accs, acc)
			var dt *groupTable
			if s.Plain.Distinct {
				dt = newGroupTable([]arrow.DataType{arrow.PrimitiveTypes.Int32, arg})
			}
			c.distinct = append(c.distinct, dt)
			if s.Plain.Result.Kind != types.Unknown && !arrow.TypeEqual(res, s.Plain.Result.Arrow()) {
				return nil, internalErr("%s over %s yields %s, planner expects %s", s.Plain.Fn, arg, res, s.Plain.Result.Arrow())
			}
		default:
			dt, err := col(s.Arg)
			if err != nil {
				return nil, err
			}
			arg = dt
			if res, err = collectResultType(s, in, arg); err != nil {
				return nil, err
			}
			for _, k := range s.OrderBy {
				if _, err := col(k.Col); err != nil {
					return nil, err
				}
				addNeed(k.Col)
			}
			addNeed(s.Arg)
			if s.Fn == CollectStringAgg {
				addNeed(s.Sep)
			}
			if s.HasFilter {
				addNeed(s.Filter)
			}
			c.accs = append(c.accs, nil)
			c.distinct = append(c.distinct, nil)
		}
		if s.Fn != CollectPlain && s.Result.Kind != types.Unknown && !arrow.TypeEqual(res, s.Result.Arrow()) {
			return nil, internalErr("%s over %s yields %s, planner expects %s", s.Fn, arg, res, s.Result.Arrow())
		}
		c.argTypes = append(c.argTypes, arg)
		name := s.Fn.String()
		if s.Fn == CollectPlain {
			name = s.Plain.Fn.String()
		}
		fs = append(fs, arrow.Field{Name: fmt.Sprintf("%s_%d", name, i), Type: res, Nullable: true})
	}
	derived := arrow.NewSchema(fs, nil)
	if outSchema == nil {
		outSchema = derived
	}
	if outSchema.NumFields() != derived.NumFields() {
		return nil, internalErr("aggregate output schema has %d columns, want %d", outSchema.NumFields(), derived.NumFields())
	}
	for i, f := range outSchema.Fields() {
		if !arrow.TypeEqual(f.Type, derived.Field(i).Type) {
			return nil, internalErr("aggregate output column %d is %s, want %s", i, f.Type, derived.Field(i).Type)
		}
	}
	c.schema = outSchema
	c.table = newGroupTable(keyTypes)
	return c, nil
}

// collectResultType checks a non-plain spec's argument types and returns
// its result's Arrow type.
func collectResultType(s CollectSpec, in *arrow.Schema, arg arrow.DataType) (arrow.DataType, error) {
	switch s.Fn {
	case CollectStringAgg:
		if s.Sep < 0 || s.Sep >= in.NumFields() {
			return nil, internalErr("string_agg delimiter column %d out of range", s.Sep)
		}
		if id := arg.ID(); (id != arrow.STRING && id != arrow.BINARY) || !arrow.TypeEqual(in.Field(s.Sep).Type, arg) {
			return nil, internalErr("string_agg over %s with a %s delimiter", arg, in.Field(s.Sep).Type)
		}
		return arg, nil
	case CollectArrayAgg:
		if arg.ID() == arrow.LIST {
			return nil, internalErr("array_agg of arrays")
		}
		return arrow.ListOf(arg), nil
	case CollectPercentileCont:
		if id := arg.ID(); id != arrow.FLOAT64 && id != arrow.INTERVAL_MONTH_DAY_NANO {
			return nil, internalErr("percentile_cont over %s", arg)
		}
	case CollectPercentileDisc, CollectMode:
		if arg.ID() == arrow.LIST {
			return nil, internalErr("%s over arrays", s.Fn)
		}
	default:
		return nil, internalErr("unknown collect aggregate %d", s.Fn)
	}
	if len(s.OrderBy) > 1 || (len(s.OrderBy) == 1 && s.OrderBy[0].Col != s.Arg) {
		return nil, internalErr("%s orders by its argument only", s.Fn)
	}
	return arg, nil
}

// Schema implements exec.Operator.
func (c *CollectAggregate) Schema() *arrow.Schema { return c.schema }

// Open implements exec.Operator.
func (c *CollectAggregate) Open(ctx context.Context) error { return exec.Open(ctx, c.input) }

// Next implements exec.Operator.
func (c *CollectAggregate) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if c.out != nil {
		c.out.Release()
		c.out = nil
	}
	if !c.consumed {
		if err := c.consume(ctx); err != nil {
			return nil, err
		}
		c.consumed = true
	}
	if c.emitted >= c.groups {
		return nil, io.EOF
	}
	from := c.emitted
	to := min(c.groups, from+exec.BatchSize)
	cols := make([]arrow.Array, 0, c.schema.NumFields())
	for _, k := range c.table.keys {
		cols = append(cols, k.array(c.alloc, from, to))
	}
	for i := range c.specs {
		a, err := c.result(i, from, to)
		if err != nil {
			releaseArrays(cols)
			return nil, err
		}
		cols = append(cols, a)
	}
	c.emitted = to
	c.out = newBatch(c.schema, cols, to-from)
	return c.out, nil
}

func (c *CollectAggregate) consume(ctx context.Context) error {
	for {
		b, err := exec.Next(ctx, c.input)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := c.addBatch(b); err != nil {
			return err
		}
	}
	if len(c.groupCols) == 0 && c.groups == 0 {
		c.groups = 1 // a global aggregate yields one row even over no input
	}
	for _, acc := range c.accs {
		if acc != nil {
			acc.grow(c.groups)
		}
	}
	return c.arrange()
}

func (c *CollectAggregate) addBatch(b arrow.RecordBatch) error {
	n := int(b.NumRows())
	c.gids = grow(c.gids, n)
	gids := c.gids
	if len(c.groupCols) == 0 {
		clear(gids)
		if n > 0 {
			c.groups = 1
		}
	} else {
		keys := make([]arrow.Array, len(c.groupCols))
		for i, gc := range c.groupCols {
			keys[i] = b.Column(gc)
		}
		c.table.find(keys, n, gids, nil)
		c.groups = c.table.n
	}
	for i, s := range c.specs {
		acc := c.accs[i]
		if acc == nil {
			continue
		}
		acc.grow(c.groups)
		g := gids
		var arg arrow.Array
		if s.Plain.Fn != AggCountStar {
			arg = b.Column(s.Plain.Arg)
			arg.Retain()
		}
		if s.HasFilter {
			idx, err := maskIndexes(b.Column(s.Filter), nil)
			if err != nil {
				if arg != nil {
					arg.Release()
				}
				return err
			}
			g = make([]int32, len(idx))
			for k, r := range idx {
				g[k] = gids[r]
			}
			if arg != nil {
				sub := take(c.alloc, arg, idx)
				arg.Release()
				arg = sub
			}
		}
		switch {
		case arg == nil:
			acc.update(g, nil)
		case c.distinct[i] != nil:
			updateDistinct(c.alloc, c.distinct[i], acc, g, arg)
		default:
			acc.update(g, arg)
		}
		if arg != nil {
			arg.Release()
		}
	}
	if len(c.need) > 0 && n > 0 {
		part := make([]arrow.Array, len(c.need))
		for k, col := range c.need {
			part[k] = b.Column(col)
			part[k].Retain()
			c.bufSize += arrayBytes(part[k])
		}
		c.parts = append(c.parts, part)
		c.gparts = append(c.gparts, slices.Clone(gids[:n]))
		c.bufSize += int64(n) * 4
	}
	return c.reserve()
}

// reserve moves the reservation to what the operator holds now.
func (c *CollectAggregate) reserve() error {
	size := c.table.bytes() + c.bufSize
	for i, acc := range c.accs {
		if acc != nil {
			size += acc.bytes()
		}
		if c.distinct[i] != nil {
			size += c.distinct[i].bytes()
		}
	}
	return c.res.resize(size)
}

// updateDistinct feeds acc only the (group, value) pairs not seen before.
func updateDistinct(alloc memory.Allocator, seen *groupTable, acc accumulator, gids []int32, arg arrow.Array) {
	n := len(gids)
	gidArr := int32ArrayView(gids)
	defer gidArr.Release()
	isNew := make([]bool, n)
	ids := make([]int32, n)
	seen.find([]arrow.Array{gidArr, arg}, n, ids, isNew)
	var rows, sub []int32
	for r := 0; r < n; r++ {
		if isNew[r] {
			rows = append(rows, int32(r))
			sub = append(sub, gids[r])
		}
	}
	if len(rows) == 0 {
		return
	}
	vals := take(alloc, arg, rows)
	defer vals.Release()
	acc.update(sub, vals)
}

// arrange concatenates the buffered columns and, for every collect spec,
// lists each group's rows filtered and in the spec's order.
func (c *CollectAggregate) arrange() error {
	if len(c.need) == 0 {
		return nil
	}
	c.cols = make([]arrow.Array, len(c.need))
	rowsTotal := 0
	for _, g := range c.gparts {
		rowsTotal += len(g)
	}
	// Concatenation briefly holds both copies.
	if err := c.res.grow(c.bufSize); err != nil {
		return err
	}
	for k := range c.need {
		parts := make([]arrow.Array, len(c.parts))
		for p, part := range c.parts {
			parts[p] = part[k]
		}
		switch len(parts) {
		case 0:
			c.cols[k] = array.MakeArrayOfNull(c.alloc, c.input.Schema().Field(c.need[k]).Type, 0)
		case 1:
			c.cols[k] = parts[0]
			c.cols[k].Retain()
		default:
			a, err := array.Concatenate(parts, c.alloc)
			if err != nil {
				return internalErr("concatenate: %v", err)
			}
			c.cols[k] = a
		}
	}
	for _, part := range c.parts {
		releaseArrays(part)
	}
	c.parts = nil
	gids := make([]int32, 0, rowsTotal)
	for _, g := range c.gparts {
		gids = append(gids, g...)
	}
	c.gparts = nil
	c.res.resize(c.res.held - c.bufSize)

	// Bucket rows by group, keeping input order inside each group.
	start := make([]int32, c.groups+1)
	for _, g := range gids {
		start[g+1]++
	}
	for g := 0; g < c.groups; g++ {
		start[g+1] += start[g]
	}
	byGroup := make([]int32, len(gids))
	fill := slices.Clone(start[:c.groups])
	for r, g := range gids {
		byGroup[fill[g]] = int32(r)
		fill[g]++
	}
	c.rows = make([][]int32, len(c.specs))
	c.bounds = make([][]int32, len(c.specs))
	for i, s := range c.specs {
		if s.Fn == CollectPlain {
			continue
		}
		if err := c.res.grow(int64(len(gids))*4 + int64(c.groups+1)*4); err != nil {
			return err
		}
		c.rows[i], c.bounds[i] = c.arrangeSpec(s, start, byGroup)
	}
	return nil
}

// arrangeSpec filters and orders the rows of every group for spec s.
func (c *CollectAggregate) arrangeSpec(s CollectSpec, start, byGroup []int32) ([]int32, []int32) {
	val := c.cols[c.pos[s.Arg]]
	vb, vo := validity(val)
	keepNull := s.Fn == CollectArrayAgg
	var fvals *array.Boolean
	var fb []byte
	var fo int
	if s.HasFilter {
		fvals = c.cols[c.pos[s.Filter]].(*array.Boolean)
		fb, fo = validity(fvals)
	}
	// Sort keys over c.cols positions.
	var keys []SortKey
	switch s.Fn {
	case CollectStringAgg, CollectArrayAgg:
		for _, k := range s.OrderBy {
			k.Col = c.pos[k.Col]
			keys = append(keys, k)
		}
		if s.Distinct {
			// Equal values must be adjacent to drop repeats.
			keys = append(keys, SortKey{Col: c.pos[s.Arg]})
			if s.Fn == CollectStringAgg {
				keys = append(keys, SortKey{Col: c.pos[s.Sep]})
			}
		}
	default:
		k := SortKey{Col: c.pos[s.Arg]}
		if len(s.OrderBy) == 1 {
			k.Desc = s.OrderBy[0].Desc
		}
		keys = []SortKey{k}
	}
	var less rowCmp
	if len(keys) > 0 {
		less = multiCmp(c.cols, c.cols, keys)
	}
	var same rowCmp
	if s.Distinct {
		eqKeys := []SortKey{{Col: c.pos[s.Arg]}}
		if s.Fn == CollectStringAgg {
			eqKeys = append(eqKeys, SortKey{Col: c.pos[s.Sep]})
		}
		same = multiCmp(c.cols, c.cols, eqKeys)
	}
	rows := make([]int32, 0, len(byGroup))
	bounds := make([]int32, c.groups+1)
	for g := 0; g < c.groups; g++ {
		bounds[g] = int32(len(rows))
		for _, r := range byGroup[start[g]:start[g+1]] {
			if fvals != nil && (!isValid(fb, fo, int(r)) || !fvals.Value(int(r))) {
				continue
			}
			if !keepNull && !isValid(vb, vo, int(r)) {
				continue
			}
			rows = append(rows, r)
		}
		seg := rows[bounds[g]:]
		if less != nil && len(seg) > 1 {
			slices.SortStableFunc(seg, func(a, b int32) int { return less(int(a), int(b)) })
		}
		if same != nil && len(seg) > 1 {
			w := 1
			for k := 1; k < len(seg); k++ {
				if same(int(seg[k]), int(seg[w-1])) != 0 {
					seg[w] = seg[k]
					w++
				}
			}
			rows = rows[:int(bounds[g])+w]
		}
	}
	bounds[c.groups] = int32(len(rows))
	return rows, bounds
}

// result builds spec i's values for groups [from, to).
func (c *CollectAggregate) result(i, from, to int) (arrow.Array, error) {
	s := c.specs[i]
	if s.Fn == CollectPlain {
		return c.accs[i].final(c.alloc, from, to)
	}
	rows, bounds := c.rows[i], c.bounds[i]
	if rows == nil && bounds == nil {
		// No buffered input at all: every group is empty.
		bounds = make([]int32, c.groups+1)
	}
	val := c.colOrNull(s.Arg)
	defer val.Release()
	switch s.Fn {
	case CollectArrayAgg:
		return listArray(c.alloc, val, rows, bounds[from:to+1]), nil
	case CollectStringAgg:
		sep := c.colOrNull(s.Sep)
		defer sep.Release()
		return stringAgg(c.alloc, val, sep, rows, bounds[from:to+1])
	}
	if !s.FractionNull && (s.Fn == CollectPercentileCont || s.Fn == CollectPercentileDisc) {
		if f := s.Fraction; f < 0 || f > 1 || math.IsNaN(f) {
			return nil, sqlerr.New(sqlerr.NumericValueOutOfRange, "percentile value %s is not between 0 and 1", formatG(f))
		}
	}
	n := to - from
	if s.FractionNull {
		return nullArray(c.alloc, c.schema.Field(len(c.groupCols)+i).Type, n), nil
	}
	if s.Fn == CollectPercentileCont {
		return percentileCont(c.alloc, val, rows, bounds[from:to+1], s.Fraction)
	}
	pick := make([]int32, n)
	for k := range pick {
		seg := rows[bounds[from+k]:bounds[from+k+1]]
		if len(seg) == 0 {
			pick[k] = -1
			continue
		}
		if s.Fn == CollectPercentileDisc {
			r := int(math.Ceil(s.Fraction * float64(len(seg))))
			pick[k] = seg[max(r, 1)-1]
			continue
		}
		pick[k] = modeOf(val, seg)
	}
	return take(c.alloc, val, pick), nil
}

// colOrNull returns the buffered column for input column col (retained),
// or an empty array of its type when nothing was buffered.
func (c *CollectAggregate) colOrNull(col int) arrow.Array {
	if c.cols != nil {
		a := c.cols[c.pos[col]]
		a.Retain()
		return a
	}
	return array.MakeArrayOfNull(c.alloc, c.input.Schema().Field(col).Type, 0)
}

// formatG prints a float as PostgreSQL's %g does.
func formatG(f float64) string { return fmt.Sprintf("%g", f) }

// modeOf returns the row of seg (sorted, NULL-free) whose value repeats the
// most; the first such run wins, as in PostgreSQL's mode_final.
func modeOf(val arrow.Array, seg []int32) int32 {
	eq := valueCmp(val, val)
	best, bestN := seg[0], 0
	runStart, runN := seg[0], 0
	for _, r := range seg {
		if runN > 0 && eq(int(r), int(runStart)) == 0 {
			runN++
			continue
		}
		if runN > bestN {
			best, bestN = runStart, runN
		}
		runStart, runN = r, 1
	}
	if runN > bestN {
		best = runStart
	}
	return best
}

// listArray builds a list array: group k holds val[rows[bounds[k]:bounds[k+1]]],
// and is NULL when empty (array_agg over no rows is NULL).
func listArray(alloc memory.Allocator, val arrow.Array, rows, bounds []int32) arrow.Array {
	n := len(bounds) - 1
	lo, hi := bounds[0], bounds[n]
	child := take(alloc, val, rows[lo:hi])
	defer child.Release()
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	ob := newBuf(alloc, 4*(n+1))
	offs := unsafe.Slice((*int32)(unsafe.Pointer(&ob.Bytes()[0])), n+1)
	nulls := 0
	for k := 0; k <= n; k++ {
		offs[k] = bounds[k] - lo
		if k < n {
			if bounds[k+1] > bounds[k] {
				bitutil.SetBit(valid.Bytes(), k)
			} else {
				nulls++
			}
		}
	}
	if nulls == 0 {
		valid.Release()
		valid = nil
	}
	d := array.NewData(arrow.ListOf(val.DataType()), n, []*memory.Buffer{valid, ob}, []arrow.ArrayData{child.Data()}, nulls, 0)
	if valid != nil {
		valid.Release()
	}
	ob.Release()
	defer d.Release()
	return array.MakeFromData(d)
}

// stringAgg concatenates each group's values, putting each row's own
// delimiter before every value but the first (string_agg_transfn).
func stringAgg(alloc memory.Allocator, val, sep arrow.Array, rows, bounds []int32) (arrow.Array, error) {
	n := len(bounds) - 1
	vo, vd := binaryValues(val)
	so, sd := binaryValues(sep)
	sb, sbo := validity(sep)
	total := 0
	for k := 0; k < n; k++ {
		for j, r := range rows[bounds[k]:bounds[k+1]] {
			total += int(vo[r+1] - vo[r])
			if j > 0 && isValid(sb, sbo, int(r)) {
				total += int(so[r+1] - so[r])
			}
		}
	}
	if total > math.MaxInt32 {
		return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "string_agg result exceeds 2 GB")
	}
	valid := newBuf(alloc, int(bitutil.BytesForBits(int64(n))))
	ob := newBuf(alloc, 4*(n+1))
	offs := unsafe.Slice((*int32)(unsafe.Pointer(&ob.Bytes()[0])), n+1)
	db := newBuf(alloc, total)
	d := db.Bytes()
	p, nulls := 0, 0
	for k := 0; k < n; k++ {
		offs[k] = int32(p)
		seg := rows[bounds[k]:bounds[k+1]]
		if len(seg) == 0 {
			nulls++
			continue
		}
		bitutil.SetBit(valid.Bytes(), k)
		for j, r := range seg {
			if j > 0 && isValid(sb, sbo, int(r)) {
				p += copy(d[p:], sd[so[r]:so[r+1]])
			}
			p += copy(d[p:], vd[vo[r]:vo[r+1]])
		}
	}
	offs[n] = int32(p)
	return makeArray(val.DataType(), n, []*memory.Buffer{valid, ob, db}, nulls), nil
}

// percentileCont interpolates between the two rows around fraction f of
// each sorted group (percentile_cont_final_common).
func percentileCont(alloc memory.Allocator, val arrow.Array, rows, bounds []int32, f float64) (arrow.Array, error) {
	n := len(bounds) - 1
	null := make([]bool, n)
	at := func(k int) (lo, hi int32, pct float64, ok bool) {
		seg := rows[bounds[k]:bounds[k+1]]
		if len(seg) == 0 {
			return 0, 0, 0, false
		}
		pos := f * float64(len(seg)-1)
		first, second := math.Floor(pos), math.Ceil(pos)
		return seg[int(first)], seg[int(second)], pos - first, true
	}
	if val.DataType().ID() == arrow.FLOAT64 {
		v := fixedValues[float64](val)
		out := make([]float64, n)
		for k := range out {
			lo, hi, pct, ok := at(k)
			switch {
			case !ok:
				null[k] = true
			case lo == hi:
				out[k] = v[lo]
			default:
				out[k] = v[lo] + pct*(v[hi]-v[lo])
			}
		}
		return fixedArray(alloc, arrow.PrimitiveTypes.Float64, out, null), nil
	}
	v := fixedValues[arrow.MonthDayNanoInterval](val)
	out := make([]arrow.MonthDayNanoInterval, n)
	for k := range out {
		lo, hi, pct, ok := at(k)
		switch {
		case !ok:
			null[k] = true
		case lo == hi:
			out[k] = v[lo]
		default:
			r, ok := intervalLerp(ivOfArrow(v[lo]), ivOfArrow(v[hi]), pct)
			if !ok {
				return nil, sqlerr.New(sqlerr.DatetimeFieldOverflow, "interval out of range")
			}
			out[k] = arrow.MonthDayNanoInterval{Months: r.Months, Days: r.Days, Nanoseconds: r.Micros * 1000}
		}
	}
	return fixedArray(alloc, arrow.FixedWidthTypes.MonthDayNanoInterval, out, null), nil
}

func ivOfArrow(v arrow.MonthDayNanoInterval) types.IntervalValue {
	return types.IntervalValue{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
}

// intervalLerp is PostgreSQL's interval_lerp: lo + (hi - lo) * pct.
func intervalLerp(lo, hi types.IntervalValue, pct float64) (types.IntervalValue, bool) {
	d, ok := ivAddSub(hi, lo, -1)
	if !ok {
		return d, false
	}
	if d, ok = ivMulFloat(d, pct); !ok {
		return d, false
	}
	return ivAddSub(d, lo, 1)
}

// ivAddSub is a + sign·b field by field, failing on overflow as
// interval_pl/interval_mi do.
func ivAddSub(a, b types.IntervalValue, sign int64) (types.IntervalValue, bool) {
	mo := int64(a.Months) + sign*int64(b.Months)
	dy := int64(a.Days) + sign*int64(b.Days)
	us := a.Micros + int64(sign)*b.Micros
	if mo != int64(int32(mo)) || dy != int64(int32(dy)) ||
		(sign > 0 && (b.Micros > 0 && us < a.Micros || b.Micros < 0 && us > a.Micros)) ||
		(sign < 0 && (b.Micros < 0 && us < a.Micros || b.Micros > 0 && us > a.Micros)) {
		return a, false
	}
	return types.IntervalValue{Months: int32(mo), Days: int32(dy), Micros: us}, true
}

// ivMulFloat is PostgreSQL's interval_mul: fractional months spill into
// days (30 a month), fractional days into time, rounded to microseconds.
func ivMulFloat(v types.IntervalValue, f float64) (types.IntervalValue, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return v, false
	}
	mo := float64(v.Months) * f
	dy := float64(v.Days) * f
	if math.Abs(mo) > math.MaxInt32 || math.Abs(dy) > math.MaxInt32 {
		return v, false
	}
	out := types.IntervalValue{Months: int32(mo), Days: int32(dy)}
	tsRound := func(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }
	monthRemDays := tsRound((mo - float64(out.Months)) * 30)
	secRem := tsRound((dy - float64(out.Days) + monthRemDays - math.Trunc(monthRemDays)) * 86400)
	if math.Abs(secRem) >= 86400 {
		out.Days += int32(secRem / 86400)
		secRem -= math.Trunc(secRem/86400) * 86400
	}
	out.Days += int32(monthRemDays)
	t := math.RoundToEven(float64(v.Micros)*f + secRem*1e6)
	if math.Abs(t) > 9.2e18 {
		return v, false
	}
	out.Micros = int64(t)
	return out, true
}

// Close implements exec.Operator.
func (c *CollectAggregate) Close() error {
	if c.out != nil {
		c.out.Release()
		c.out = nil
	}
	for _, part := range c.parts {
		releaseArrays(part)
	}
	c.parts = nil
	releaseArrays(c.cols)
	c.cols = nil
	c.table = nil
	c.accs = nil
	c.distinct = nil
	c.rows, c.bounds = nil, nil
	c.res.releaseAll()
	return c.input.Close()
}
