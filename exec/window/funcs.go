package window

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// compiled is a Func checked against the input schema.
type compiled struct {
	f       Func
	out     arrow.DataType
	args    []arrow.DataType
	rangeOn int // ORDER BY column of a RANGE frame with offsets, or -1
	orderBy []ops.SortKey
	agg     aggKind
}

var rankingNames = map[string]int{ // name -> number of arguments
	"row_number": 0, "rank": 0, "dense_rank": 0, "percent_rank": 0, "cume_dist": 0, "ntile": 1,
}

func compile(f Func, in *arrow.Schema, orderBy []ops.SortKey) (*compiled, error) {
	c := &compiled{f: f, rangeOn: -1, orderBy: orderBy}
	for _, a := range f.Args {
		if a < 0 || a >= in.NumFields() {
			return nil, internalErr("window function %s argument column %d out of range", f.Name, a)
		}
		c.args = append(c.args, in.Field(a).Type)
	}
	switch f.Name {
	case "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead":
		// These ignore the frame (as in PostgreSQL), so any value will do,
		// including the zero Frame.
		c.f.Frame = DefaultFrame
	default:
		if err := checkFrame(&c.f.Frame, in, orderBy); err != nil {
			return nil, err
		}
	}
	f = c.f
	if f.Frame.Mode == Range && (f.Frame.Start.Kind == Preceding || f.Frame.Start.Kind == Following ||
		f.Frame.End.Kind == Preceding || f.Frame.End.Kind == Following) {
		c.rangeOn = orderBy[0].Col
	}
	nargs := func(lo, hi int) error {
		if len(f.Args) < lo || len(f.Args) > hi {
			return internalErr("window function %s takes %d to %d arguments, got %d", f.Name, lo, hi, len(f.Args))
		}
		return nil
	}
	intArg := func(k int) error {
		switch c.args[k].ID() {
		case arrow.INT16, arrow.INT32, arrow.INT64, arrow.NULL:
			return nil
		}
		return internalErr("window function %s argument %d must be an integer, got %s", f.Name, k+1, c.args[k])
	}
	switch f.Name {
	case "row_number", "rank", "dense_rank", "ntile":
		if err := nargs(rankingNames[f.Name], rankingNames[f.Name]); err != nil {
			return nil, err
		}
		if f.Name == "ntile" {
			if err := intArg(0); err != nil {
				return nil, err
			}
		}
		c.out = arrow.PrimitiveTypes.Int64
	case "percent_rank", "cume_dist":
		if err := nargs(0, 0); err != nil {
			return nil, err
		}
		c.out = arrow.PrimitiveTypes.Float64
	case "lag", "lead":
		if err := nargs(1, 3); err != nil {
			return nil, err
		}
		if len(f.Args) > 1 {
			if err := intArg(1); err != nil {
				return nil, err
			}
		}
		if len(f.Args) > 2 && !arrow.TypeEqual(c.args[2], c.args[0]) && c.args[2].ID() != arrow.NULL {
			return nil, internalErr("%s default of type %s for a value of type %s", f.Name, c.args[2], c.args[0])
		}
		c.out = c.args[0]
	case "first_value", "last_value":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		c.out = c.args[0]
	case "nth_value":
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		if err := intArg(1); err != nil {
			return nil, err
		}
		c.out = c.args[0]
	default:
		k, out, err := compileAgg(f, c.args)
		if err != nil {
			return nil, err
		}
		c.agg, c.out = k, out
	}
	if byteWidth(c.out) == 0 {
		switch c.out.ID() {
		case arrow.BOOL, arrow.STRING, arrow.BINARY, arrow.NULL:
		default:
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "window function %s over type %s is not supported", f.Name, c.out)
		}
	}
	if f.Result.Kind != types.Unknown && !arrow.TypeEqual(f.Result.Arrow(), c.out) {
		return nil, internalErr("window function %s yields %s, planner expects %s", f.Name, c.out, f.Result.Arrow())
	}
	return c, nil
}

// checkFrame applies PostgreSQL's rules on frame clauses (the binder checks
// them too; these keep the operator safe on its own).
func checkFrame(fr *Frame, in *arrow.Schema, orderBy []ops.SortKey) error {
	s, e := fr.Start.Kind, fr.End.Kind
	switch {
	case s == UnboundedFollowing:
		return windowErr(codeWindowingError, "frame start cannot be UNBOUNDED FOLLOWING")
	case e == UnboundedPreceding:
		return windowErr(codeWindowingError, "frame end cannot be UNBOUNDED PRECEDING")
	case s == CurrentRow && e == Preceding:
		return windowErr(codeWindowingError, "frame starting from current row cannot have preceding rows")
	case s == Following && (e == Preceding || e == CurrentRow):
		return windowErr(codeWindowingError, "frame starting from following row cannot have preceding rows")
	}
	if fr.Mode == Groups && len(orderBy) == 0 {
		return windowErr(codeWindowingError, "GROUPS mode requires an ORDER BY clause")
	}
	for _, b := range []*Bound{&fr.Start, &fr.End} {
		if b.Kind != Preceding && b.Kind != Following {
			continue
		}
		which := "starting"
		if b == &fr.End {
			which = "ending"
		}
		if b.Offset == nil {
			return windowErr(codeNullValueNotAllowed, "frame %s offset must not be null", which)
		}
		if fr.Mode != Range {
			n, ok := asInt64(b.Offset)
			if !ok {
				return internalErr("ROWS/GROUPS frame offset of type %T", b.Offset)
			}
			if n < 0 {
				return windowErr(codeInvalidPrecedingSize, "frame %s offset must not be negative", which)
			}
			b.Offset = n
			continue
		}
		if len(orderBy) != 1 {
			return windowErr(codeWindowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
		}
		key := in.Field(orderBy[0].Col).Type
		off, err := rangeOffset(key, b.Offset)
		if err != nil {
			return err
		}
		b.Offset = off
	}
	return nil
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int:
		return int64(x), true
	}
	return 0, false
}

// rangeOffset normalizes a RANGE offset for a key of Arrow type key and
// rejects negative ones.
func rangeOffset(key arrow.DataType, off any) (any, error) {
	neg := windowErr(codeInvalidPrecedingSize, "invalid preceding or following size in window function")
	switch key.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		n, ok := asInt64(off)
		if !ok {
			break
		}
		if n < 0 {
			return nil, neg
		}
		return n, nil
	case arrow.FLOAT32, arrow.FLOAT64:
		var f float64
		switch x := off.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			n, ok := asInt64(off)
			if !ok {
				return nil, internalErr("RANGE offset %T for a %s key", off, key)
			}
			f = float64(n)
		}
		if f < 0 || f != f {
			return nil, neg
		}
		return f, nil
	case arrow.DECIMAL128:
		scale := key.(*arrow.Decimal128Type).Scale
		var d decimal128.Num
		switch x := off.(type) {
		case decimal128.Num:
			d = x
		default:
			n, ok := asInt64(off)
			if !ok {
				return nil, internalErr("RANGE offset %T for a %s key", off, key)
			}
			d = decimal128.FromI64(n)
			for s := int32(0); s < scale; s++ {
				d = d.Mul(decimal128.FromI64(10))
			}
		}
		if d.Sign() < 0 {
			return nil, neg
		}
		return d, nil
	case arrow.DATE32, arrow.TIMESTAMP, arrow.TIME64:
		iv, ok := off.(types.IntervalValue)
		if !ok {
			break
		}
		if intervalNegative(iv) {
			return nil, neg
		}
		return iv, nil
	default:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s", key)
	}
	return nil, internalErr("RANGE offset %T for a %s key", off, key)
}

func intervalNegative(iv types.IntervalValue) bool {
	d, us := intervalSpan(arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000})
	return d < 0 || (d == 0 && us < 0)
}

// eval computes the function's column for a chunk.
func (c *compiled) eval(ch *chunk, alloc memory.Allocator) (arrow.Array, error) {
	switch c.f.Name {
	case "row_number", "rank", "dense_rank", "percent_rank", "cume_dist":
		return c.ranking(ch, alloc), nil
	case "ntile":
		return c.ntile(ch, alloc)
	case "lag", "lead":
		return c.lagLead(ch, alloc)
	}
	var rk *rangeKey
	if c.rangeOn >= 0 {
		rk = newRangeKey(ch.cols[c.rangeOn], c.orderBy[0])
	}
	fr := ch.computeFrames(c.f.Frame, rk)
	switch c.f.Name {
	case "first_value", "last_value", "nth_value":
		return c.frameValue(ch, fr, alloc)
	}
	return c.aggregate(ch, fr, alloc)
}

func (c *compiled) ranking(ch *chunk, alloc memory.Allocator) arrow.Array {
	n := ch.n
	ints := c.out.ID() == arrow.INT64
	var iv []int64
	var fv []float64
	if ints {
		iv = make([]int64, n)
	} else {
		fv = make([]float64, n)
	}
	for p := 0; p < ch.numParts(); p++ {
		ps, pe := int(ch.parts[p]), int(ch.parts[p+1])
		g0 := ch.partGrp[p]
		size := pe - ps
		for i := ps; i < pe; i++ {
			g := ch.grp[i]
			switch c.f.Name {
			case "row_number":
				iv[i] = int64(i - ps + 1)
			case "rank":
				iv[i] = int64(int(ch.grpStart[g]) - ps + 1)
			case "dense_rank":
				iv[i] = int64(g - g0 + 1)
			case "percent_rank":
				if size > 1 {
					fv[i] = float64(int(ch.grpStart[g])-ps) / float64(size-1)
				}
			case "cume_dist":
				fv[i] = float64(int(ch.grpStart[g+1])-ps) / float64(size)
			}
		}
	}
	if ints {
		return fixedArray(alloc, c.out, iv, nil)
	}
	return fixedArray(alloc, c.out, fv, nil)
}

// intAt reads an integer argument column; ok is false for NULL.
func intAt(col arrow.Array) func(i int) (int64, bool) {
	bm, off := validity(col)
	switch col.DataType().ID() {
	case arrow.INT16:
		v := fixedValues[int16](col)
		return func(i int) (int64, bool) { return int64(v[i]), isValid(bm, off, i) }
	case arrow.INT32:
		v := fixedValues[int32](col)
		return func(i int) (int64, bool) { return int64(v[i]), isValid(bm, off, i) }
	case arrow.INT64:
		v := fixedValues[int64](col)
		return func(i int) (int64, bool) { return v[i], isValid(bm, off, i) }
	}
	return func(int) (int64, bool) { return 0, false }
}

// ntile distributes a partition's rows over n buckets as PostgreSQL does:
// the first size%n buckets get one row more. Like PostgreSQL it reads n at
// the first row where it is not NULL (rows before that get NULL) and sizes
// buckets from the whole partition's row count.
func (c *compiled) ntile(ch *chunk, alloc memory.Allocator) (arrow.Array, error) {
	arg := intAt(ch.cols[c.f.Args[0]])
	vals := make([]int64, ch.n)
	null := make([]bool, ch.n)
	for p := 0; p < ch.numParts(); p++ {
		ps, pe := int(ch.parts[p]), int(ch.parts[p+1])
		total := int64(pe - ps)
		var tile, perBucket, boundary, remainder int64
		for i := ps; i < pe; i++ {
			if tile == 0 {
				buckets, ok := arg(i)
				if !ok {
					null[i] = true
					continue
				}
				if buckets <= 0 {
					return nil, windowErr(codeInvalidNtileGroups, "argument of ntile must be greater than zero")
				}
				tile, perBucket, remainder = 1, 0, 0
				boundary = total / buckets
				if boundary <= 0 {
					boundary = 1
				} else {
					remainder = total % buckets
					if remainder != 0 {
						boundary++
					}
				}
			}
			perBucket++
			if boundary < perBucket {
				if remainder != 0 && tile == remainder {
					remainder = 0
					boundary--
				}
				tile++
				perBucket = 1
			}
			vals[i] = tile
		}
	}
	return fixedArray(alloc, c.out, vals, null), nil
}

// lagLead picks the row offset rows before (lag) or after (lead) each row
// within its partition; outside it the default (or NULL), a NULL offset
// yields NULL.
func (c *compiled) lagLead(ch *chunk, alloc memory.Allocator) (arrow.Array, error) {
	val := ch.cols[c.f.Args[0]]
	var offAt func(int) (int64, bool)
	if len(c.f.Args) > 1 {
		offAt = intAt(ch.cols[c.f.Args[1]])
	}
	var def arrow.Array
	if len(c.f.Args) > 2 && ch.cols[c.f.Args[2]].DataType().ID() != arrow.NULL {
		def = ch.cols[c.f.Args[2]]
	}
	sign := int64(1)
	if c.f.Name == "lag" {
		sign = -1
	}
	idx := make([]int32, ch.n)
	for p := 0; p < ch.numParts(); p++ {
		ps, pe := int(ch.parts[p]), int(ch.parts[p+1])
		for i := ps; i < pe; i++ {
			off := int64(1)
			if offAt != nil {
				o, ok := offAt(i)
				if !ok {
					idx[i] = -1
					continue
				}
				off = o
			}
			t := int64(-1) // out of the partition, also for huge offsets
			if off <= int64(ch.n) && off >= -int64(ch.n) {
				t = int64(i) + sign*off
			}
			switch {
			case t >= int64(ps) && t < int64(pe):
				idx[i] = int32(t)
			case def != nil:
				idx[i] = int32(-i - 2)
			default:
				idx[i] = -1
			}
		}
	}
	return take2(alloc, val, def, idx)
}

// frameValue computes first_value, last_value and nth_value: the value at a
// row of the frame (EXCLUDE applied), NULL when the frame has no such row.
func (c *compiled) frameValue(ch *chunk, fr *frames, alloc memory.Allocator) (arrow.Array, error) {
	val := ch.cols[c.f.Args[0]]
	var nthAt func(int) (int64, bool)
	if c.f.Name == "nth_value" {
		nthAt = intAt(ch.cols[c.f.Args[1]])
	}
	idx := make([]int32, ch.n)
	for i := 0; i < ch.n; i++ {
		a0, a1, cur, b0, b1 := ch.segments(fr, i)
		size := int64(a1-a0) + int64(b1-b0)
		if cur {
			size++
		}
		var k int64 // 0-based position in the frame
		switch c.f.Name {
		case "first_value":
			k = 0
		case "last_value":
			k = size - 1
		default:
			nth, ok := nthAt(i)
			if !ok {
				idx[i] = -1
				continue
			}
			if nth <= 0 {
				return nil, windowErr(codeInvalidArgumentForNth, "argument of nth_value must be greater than zero")
			}
			k = nth - 1
		}
		if k < 0 || k >= size {
			idx[i] = -1
			continue
		}
		if k < int64(a1-a0) {
			idx[i] = int32(int64(a0) + k)
			continue
		}
		k -= int64(a1 - a0)
		if cur {
			if k == 0 {
				idx[i] = int32(i)
				continue
			}
			k--
		}
		idx[i] = int32(int64(b0) + k)
	}
	return take2(alloc, val, nil, idx)
}
