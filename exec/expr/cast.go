package expr

import (
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// castNode converts its argument to t with PostgreSQL's rules.
type castNode struct {
	arg node
	to  types.T
}

func compileCast(arg node, to types.T) (node, error) {
	from := arg.typ()
	if needsJSONInput(from, to) {
		if from.Kind != types.Text && from.Kind != types.Unknown {
			return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type %s to %s", from, to)
		}
		if c, ok := arg.(*constNode); ok {
			return foldCastConst(c, to)
		}
		return &castNode{arg: arg, to: to}, nil
	}
	if from.Kind == to.Kind && from.Kind != types.Numeric && (from.Kind != types.Array || from.Equal(to)) {
		return arg, nil
	}
	if from.Kind == types.Numeric && to.Kind == types.Numeric && from.Scale == to.Scale && to.Precision == 0 {
		return arg, nil
	}
	if !castSupported(from, to) {
		return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type %s to %s", from, to)
	}
	if c, ok := arg.(*constNode); ok {
		// Casting a literal is done once, here, rather than per batch.
		return foldCastConst(c, to)
	}
	return &castNode{arg: arg, to: to}, nil
}

func castSupported(from, to types.T) bool {
	if from.Kind == types.Unknown || to.Kind == types.Text || from.Kind == types.Text || from.Kind == to.Kind {
		return true
	}
	if from.IsNumeric() && to.IsNumeric() {
		return true
	}
	if from.Kind == types.Array && to.Kind == types.Array {
		return castSupported(from.ElemType(), to.ElemType())
	}
	switch from.Kind {
	case types.Bool:
		return to.IsInteger()
	case types.Int16, types.Int64, types.Int32:
		return to.Kind == types.Bool
	case types.Date:
		return to.Kind == types.Timestamp || to.Kind == types.TimestampTZ
	case types.Timestamp, types.TimestampTZ:
		return to.Kind == types.Date || to.Kind == types.Time || to.Kind == types.Timestamp || to.Kind == types.TimestampTZ
	case types.Time:
		return to.Kind == types.Interval
	case types.Interval:
		return to.Kind == types.Time
	}
	return false
}

func foldCastConst(c *constNode, to types.T) (node, error) {
	ec := &evalCtx{alloc: memory.DefaultAllocator}
	out, err := castArray(ec, c.one, c.t, to)
	if err != nil {
		return nil, err
	}
	return &constNode{val: nil, t: to, one: out, null: out.IsNull(0)}, nil
}

func (c *castNode) typ() types.T { return c.to }
func (c *castNode) mayFail() bool {
	from := c.arg.typ()
	if c.arg.mayFail() {
		return true
	}
	switch {
	case needsJSONInput(from, c.to):
		return true
	case c.to.Kind == types.Text, from.Kind == types.Unknown:
		return false
	case from.IsInteger() && (c.to.Kind == types.Float64 || c.to.Kind == types.Int64 && from.Kind != types.Int64):
		return false
	case from.Kind == types.Date && (c.to.Kind == types.Timestamp || c.to.Kind == types.TimestampTZ):
		return false
	}
	return true
}

func (c *castNode) eval(ec *evalCtx, b arrow.RecordBatch) (arrow.Array, error) {
	a, err := c.arg.eval(ec, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	return castArray(ec, a, c.arg.typ(), c.to)
}

// intsOf returns the values of an integer (or boolean) array as int64.
func intsOf(a arrow.Array) []int64 {
	switch x := a.(type) {
	case *array.Int64:
		return x.Int64Values()
	case *array.Int32:
		out := make([]int64, x.Len())
		for i, v := range x.Int32Values() {
			out[i] = int64(v)
		}
		return out
	case *array.Int16:
		out := make([]int64, x.Len())
		for i, v := range x.Int16Values() {
			out[i] = int64(v)
		}
		return out
	case *array.Boolean:
		out := make([]int64, x.Len())
		for i := range out {
			if x.Value(i) {
				out[i] = 1
			}
		}
		return out
	}
	return nil
}

func intRange(k types.Kind) (int64, int64) {
	switch k {
	case types.Int16:
		return math.MinInt16, math.MaxInt16
	case types.Int32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// putInts writes int64 values into an integer array of kind k, failing on
// the first valid row out of range.
func putInts(alloc memory.Allocator, to types.T, vals []int64, n int, valid *memory.Buffer, nulls int, bad []bool) (arrow.Array, error) {
	lo, hi := intRange(to.Kind)
	for i, v := range vals {
		if (v < lo || v > hi || (bad != nil && bad[i])) && isValid(valid, i) {
			releaseBuf(valid)
			return nil, outOfRange(to)
		}
	}
	dt := to.Arrow()
	switch to.Kind {
	case types.Int16:
		buf, out := newFixed[int16](alloc, n)
		for i, v := range vals {
			out[i] = int16(v)
		}
		return finish(dt, n, buf, valid, nulls), nil
	case types.Int32:
		buf, out := newFixed[int32](alloc, n)
		for i, v := range vals {
			out[i] = int32(v)
		}
		return finish(dt, n, buf, valid, nulls), nil
	}
	buf, out := newFixed[int64](alloc, n)
	copy(out, vals)
	return finish(dt, n, buf, valid, nulls), nil
}

func floatsOf(a arrow.Array) []float64 {
	switch x := a.(type) {
	case *array.Float64:
		return x.Float64Values()
	case *array.Float32:
		out := make([]float64, x.Len())
		for i, v := range x.Float32Values() {
			out[i] = float64(v)
		}
		return out
	}
	return nil
}

// decToFloat converts exactly when possible (|v| < 2^53, scale <= 22 makes
// the division correctly rounded), else through the decimal string.
func decToFloat(v decimal128.Num, scale int32) float64 {
	if fits64(v) && scale >= 0 && scale <= 22 {
		x := int64(v.LowBits())
		if x > -(1<<53) && x < 1<<53 {
			return float64(x) / math.Pow10(int(scale))
		}
	}
	f, _ := strconv.ParseFloat(v.ToString(scale), 64)
	return f
}

// castArray converts a (values of from) to type to.
func castArray(ec *evalCtx, a arrow.Array, from, to types.T) (arrow.Array, error) {
	n := a.Len()
	alloc := ec.alloc
	if from.Kind == types.Unknown && a.DataType().ID() == arrow.NULL {
		return array.MakeArrayOfNull(alloc, to.Arrow(), n), nil
	}
	if needsJSONInput(from, to) {
		return castToJSON(alloc, a, from, to)
	}
	if to.Kind == types.Text {
		return castToText(alloc, a, from), nil
	}
	if to.Kind == types.Array && (from.Kind == types.Text || from.Kind == types.Unknown) {
		return castTextToArray(ec, a.(*array.String), to)
	}
	if from.Kind == types.Text || from.Kind == types.Unknown {
		return castFromText(alloc, a.(*array.String), to)
	}
	if from.Kind == types.Array && to.Kind == types.Array {
		return castArrayElems(ec, a.(*array.List), from, to)
	}
	valid, nulls := validity(alloc, n, a)
	dt := to.Arrow()
	switch {
	case from.IsInteger() || from.Kind == types.Bool:
		ints := intsOf(a)
		switch {
		case to.IsInteger():
			return putInts(alloc, to, ints, n, valid, nulls, nil)
		case to.Kind == types.Bool:
			buf := newBitmap(alloc, n, false)
			for i, v := range ints {
				setBits(buf.Bytes(), i, v != 0)
			}
			return finish(dt, n, buf, valid, nulls), nil
		case to.Kind == types.Float64:
			buf, out := newFixed[float64](alloc, n)
			for i, v := range ints {
				out[i] = float64(v)
			}
			return finish(dt, n, buf, valid, nulls), nil
		case to.Kind == types.Float32:
			buf, out := newFixed[float32](alloc, n)
			for i, v := range ints {
				out[i] = float32(v)
			}
			return finish(dt, n, buf, valid, nulls), nil
		case to.Kind == types.Numeric:
			buf, out := newFixed[decimal128.Num](alloc, n)
			for i, v := range ints {
				d, ok := decMul(decimal128.FromI64(v), pow10Num[to.Scale])
				if (!ok || !fitsPrecision(d, to)) && isValid(valid, i) {
					buf.Release()
					releaseBuf(valid)
					return nil, pgtext.NumericOverflow()
				}
				out[i] = d
			}
			return finish(dt, n, buf, valid, nulls), nil
		}
	case from.IsFloat():
		fs := floatsOf(a)
		switch {
		case to.IsInteger():
			ints := make([]int64, n)
			bad := make([]bool, n)
			for i, f := range fs {
				r := math.RoundToEven(f)
				if math.IsNaN(r) || r < -9.223372036854775808e18 || r >= 9.223372036854775808e18 {
					bad[i] = true
					continue
				}
				ints[i] = int64(r)
			}
			return putInts(alloc, to, ints, n, valid, nulls, bad)
		case to.Kind == types.Float64:
			buf, out := newFixed[float64](alloc, n)
			copy(out, fs)
			return finish(dt, n, buf, valid, nulls), nil
		case to.Kind == types.Float32:
			buf, out := newFixed[float32](alloc, n)
			for i, f := range fs {
				out[i] = float32(f)
				if math.IsInf(float64(out[i]), 0) && !math.IsInf(f, 0) && isValid(valid, i) {
					buf.Release()
					releaseBuf(valid)
					return nil, outOfRange(to)
				}
			}
			return finish(dt, n, buf, valid, nulls), nil
		case to.Kind == types.Numeric:
			buf, out := newFixed[decimal128.Num](alloc, n)
			var tmp []byte
			for i, f := range fs {
				if !isValid(valid, i) {
					continue
				}
				if math.IsNaN(f) || math.IsInf(f, 0) {
					buf.Release()
					releaseBuf(valid)
					return nil, sqlerr.New(sqlerr.FeatureNotSupported, "cannot convert %s to numeric", pgtext.AppendFloat64(nil, f))
				}
				// PostgreSQL converts through the shortest decimal text, so
				// 0.1::float8::numeric is exactly 0.1.
				tmp = strconv.AppendFloat(tmp[:0], f, 'g', -1, bitsOf(from))
				d, err := pgtext.ParseNumeric(string(tmp), to.Scale)
				if err == nil && !fitsPrecision(d, to) {
					err = pgtext.NumericOverflow()
				}
				if err != nil {
					buf.Release()
					releaseBuf(valid)
					return nil, err
				}
				out[i] = d
			}
			return finish(dt, n, buf, valid, nulls), nil
		}
	case from.Kind == types.Numeric:
		vals := values[decimal128.Num](a)
		scale := decScale(a)
		switch {
		case to.IsInteger():
			ints := make([]int64, n)
			bad := make([]bool, n)
			for i, v := range vals {
				r, _ := decRescale(v, scale, 0)
				if !fits64(r) {
					bad[i] = true
					continue
				}
				ints[i] = int64(r.LowBits())
			}
			return putInts(alloc, to, ints, n, valid, nulls, bad)
		case to.Kind == types.Float64:
			buf, out := newFixed[float64](alloc, n)
			for i, v := range vals {
				out[i] = decToFloat(v, scale)
			}
			return finish(dt, n, buf, valid, nulls), nil
		case to.Kind == types.Float32:
			buf, out := newFixed[float32](alloc, n)
			for i, v := range vals {
				out[i] = float32(decToFloat(v, scale))
			}
			return finish(dt, n, buf, valid, nulls), nil
		case to.Kind == types.Numeric:
			buf, out := newFixed[decimal128.Num](alloc, n)
			for i, v := range vals {
				d, ok := decRescale(v, scale, to.Scale)
				if (!ok || !fitsPrecision(d, to)) && isValid(valid, i) {
					buf.Release()
					releaseBuf(valid)
					return nil, pgtext.NumericOverflow()
				}
				out[i] = d
			}
			return finish(dt, n, buf, valid, nulls), nil
		}
	case from.Kind == types.Date:
		days := values[int32](a)
		buf, out := newFixed[int64](alloc, n)
		for i, d := range days {
			switch d {
			case pgtext.DateNoBegin:
				out[i] = pgtext.TimestampNoBegin
			case pgtext.DateNoEnd:
				out[i] = pgtext.TimestampNoEnd
			default:
				out[i] = int64(d) * pgtext.MicrosPerDay
			}
		}
		return finish(dt, n, buf, valid, nulls), nil
	case from.Kind == types.Timestamp || from.Kind == types.TimestampTZ:
		ts := values[int64](a)
		switch to.Kind {
		case types.Timestamp, types.TimestampTZ:
			buf, out := newFixed[int64](alloc, n)
			copy(out, ts)
			return finish(dt, n, buf, valid, nulls), nil
		case types.Date:
			buf, out := newFixed[int32](alloc, n)
			for i, t := range ts {
				switch t {
				case pgtext.TimestampNoBegin:
					out[i] = pgtext.DateNoBegin
				case pgtext.TimestampNoEnd:
					out[i] = pgtext.DateNoEnd
				default:
					d, _ := floorDivMod(t, pgtext.MicrosPerDay)
					out[i] = int32(d)
				}
			}
			return finish(dt, n, buf, valid, nulls), nil
		case types.Time:
			buf, out := newFixed[int64](alloc, n)
			for i, t := range ts {
				_, out[i] = floorDivMod(t, pgtext.MicrosPerDay)
			}
			return finish(dt, n, buf, valid, nulls), nil
		}
	case from.Kind == types.Time && to.Kind == types.Interval:
		buf, out := newFixed[arrow.MonthDayNanoInterval](alloc, n)
		for i, t := range values[int64](a) {
			out[i] = arrow.MonthDayNanoInterval{Nanoseconds: t * 1000}
		}
		return finish(dt, n, buf, valid, nulls), nil
	case from.Kind == types.Interval && to.Kind == types.Time:
		buf, out := newFixed[int64](alloc, n)
		for i, v := range values[arrow.MonthDayNanoInterval](a) {
			_, out[i] = floorDivMod(v.Nanoseconds/1000, pgtext.MicrosPerDay)
		}
		return finish(dt, n, buf, valid, nulls), nil
	}
	releaseBuf(valid)
	return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type %s to %s", from, to)
}

func bitsOf(t types.T) int {
	if t.Kind == types.Float32 {
		return 32
	}
	return 64
}

// fitsPrecision checks numeric(p, s): at most p-s digits before the point.
func fitsPrecision(d decimal128.Num, t types.T) bool {
	if t.Precision <= 0 || t.Precision >= types.MaxNumericPrecision {
		return true
	}
	return d.FitsInPrecision(t.Precision)
}

func floorDivMod(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}

// castToText formats every row with PostgreSQL's output functions.
func castToText(alloc memory.Allocator, a arrow.Array, from types.T) arrow.Array {
	n := a.Len()
	bld := array.NewStringBuilder(alloc)
	defer bld.Release()
	bld.Reserve(n)
	var tmp []byte
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			bld.AppendNull()
			continue
		}
		if from.Kind == types.Bool {
			// boolean's cast to text spells the word, unlike its output
			// function's t/f.
			if a.(*array.Boolean).Value(i) {
				bld.Append("true")
			} else {
				bld.Append("false")
			}
			continue
		}
		tmp = pgtext.AppendValue(tmp[:0], a, i, from)
		bld.BinaryBuilder.Append(tmp)
	}
	return bld.NewArray()
}

// castFromText parses every row with PostgreSQL's input functions.
func castFromText(alloc memory.Allocator, a *array.String, to types.T) (arrow.Array, error) {
	n := a.Len()
	bld := array.NewBuilder(alloc, to.Arrow())
	defer bld.Release()
	bld.Reserve(n)
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			bld.AppendNull()
			continue
		}
		s := a.Value(i)
		var err error
		switch b := bld.(type) {
		case *array.BooleanBuilder:
			var v bool
			v, err = pgtext.ParseBool(s)
			b.Append(v)
		case *array.Int16Builder:
			var v int64
			v, err = pgtext.ParseInt(s, types.Int16)
			b.Append(int16(v))
		case *array.Int32Builder:
			var v int64
			v, err = pgtext.ParseInt(s, types.Int32)
			b.Append(int32(v))
		case *array.Int64Builder:
			var v int64
			v, err = pgtext.ParseInt(s, types.Int64)
			b.Append(v)
		case *array.Float32Builder:
			var v float32
			v, err = pgtext.ParseFloat32(s)
			b.Append(v)
		case *array.Float64Builder:
			var v float64
			v, err = pgtext.ParseFloat(s)
			b.Append(v)
		case *array.Decimal128Builder:
			var v decimal128.Num
			v, err = pgtext.ParseNumeric(s, to.Scale)
			if err == nil && !fitsPrecision(v, to) {
				err = pgtext.NumericOverflow()
			}
			b.Append(v)
		case *array.BinaryBuilder:
			var v []byte
			v, err = pgtext.ParseBytea(s)
			b.Append(v)
		case *array.Date32Builder:
			var v int32
			v, err = pgtext.ParseDate(s)
			b.Append(arrow.Date32(v))
		case *array.Time64Builder:
			var v int64
			v, err = pgtext.ParseTime(s)
			b.Append(arrow.Time64(v))
		case *array.TimestampBuilder:
			var v int64
			if to.Kind == types.TimestampTZ {
				v, err = pgtext.ParseTimestampTZ(s)
			} else {
				v, err = pgtext.ParseTimestamp(s)
			}
			b.Append(arrow.Timestamp(v))
		case *array.MonthDayNanoIntervalBuilder:
			var v types.IntervalValue
			v, err = pgtext.ParseInterval(s)
			b.Append(arrow.MonthDayNanoInterval{Months: v.Months, Days: v.Days, Nanoseconds: v.Micros * 1000})
		default:
			return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type text to %s", to)
		}
		if err != nil {
			return nil, err
		}
	}
	return bld.NewArray(), nil
}

// castTextToArray reads array literals: each row is split into element
// texts (pgtext.ParseArray), all elements of the batch are parsed at once
// by the element type's input function, and the list is assembled around
// them.
func castTextToArray(ec *evalCtx, a *array.String, to types.T) (arrow.Array, error) {
	n := a.Len()
	eb := array.NewStringBuilder(ec.alloc)
	defer eb.Release()
	offBuf, offs := newFixed[int32](ec.alloc, n+1)
	valid, nulls := validity(ec.alloc, n, a)
	for i := 0; i < n; i++ {
		offs[i] = int32(eb.Len())
		if a.IsNull(i) {
			continue
		}
		elems, isNull, err := pgtext.ParseArray(a.Value(i))
		if err != nil {
			offBuf.Release()
			releaseBuf(valid)
			return nil, err
		}
		for k, e := range elems {
			if isNull[k] {
				eb.AppendNull()
			} else {
				eb.Append(e)
			}
		}
	}
	offs[n] = int32(eb.Len())
	texts := eb.NewStringArray()
	defer texts.Release()
	child, err := castArray(ec, texts, types.TextT, to.ElemType())
	if err != nil {
		offBuf.Release()
		releaseBuf(valid)
		return nil, err
	}
	defer child.Release()
	return newList(to, n, offBuf, valid, nulls, child), nil
}

// newList wraps offsets and child values into a list array, taking over
// the buffers.
func newList(t types.T, n int, offBuf, valid *memory.Buffer, nulls int, child arrow.Array) arrow.Array {
	if valid != nil && nulls == 0 {
		valid.Release()
		valid = nil
	}
	data := array.NewData(t.Arrow(), n, []*memory.Buffer{valid, offBuf}, []arrow.ArrayData{child.Data()}, nulls, 0)
	offBuf.Release()
	if valid != nil {
		valid.Release()
	}
	out := array.MakeFromData(data)
	data.Release()
	return out
}

// castArrayElems casts every element of a list array (int[] -> text[]).
func castArrayElems(ec *evalCtx, a *array.List, from, to types.T) (arrow.Array, error) {
	n := a.Len()
	vals := a.ListValues()
	child, err := castArray(ec, vals, from.ElemType(), to.ElemType())
	if err != nil {
		return nil, err
	}
	defer child.Release()
	offBuf, offs := newFixed[int32](ec.alloc, n+1)
	copy(offs, a.Offsets()[:n+1])
	valid, nulls := validity(ec.alloc, n, a)
	return newList(to, n, offBuf, valid, nulls, child), nil
}
