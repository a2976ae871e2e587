package ops

import (
	"context"
	"fmt"
	"io"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/types"
)

// AggFunc is an aggregate function HashAggregate computes.
type AggFunc uint8

const (
	AggCountStar AggFunc = iota // count(*)
	AggCount                    // count(x): non-NULL inputs
	AggSum
	AggAvg
	AggMin
	AggMax
	AggVarSamp    // var_samp and variance
	AggVarPop     // var_pop
	AggStddevSamp // stddev_samp and stddev
	AggStddevPop  // stddev_pop
	AggBoolAnd    // bool_and and every
	AggBoolOr     // bool_or
)

func (f AggFunc) String() string {
	switch f {
	case AggCountStar:
		return "count(*)"
	case AggCount:
		return "count"
	case AggSum:
		return "sum"
	case AggAvg:
		return "avg"
	case AggMin:
		return "min"
	case AggMax:
		return "max"
	case AggVarSamp:
		return "var_samp"
	case AggVarPop:
		return "var_pop"
	case AggStddevSamp:
		return "stddev_samp"
	case AggStddevPop:
		return "stddev_pop"
	case AggBoolAnd:
		return "bool_and"
	case AggBoolOr:
		return "bool_or"
	}
	return fmt.Sprintf("AggFunc(%d)", f)
}

// AggSpec is one aggregate of a HashAggregate.
//
// Result types (PostgreSQL's): count -> int8; sum(int2/int4) -> int8;
// sum(int8) -> numeric scale 0; sum(numeric(s)) -> numeric(s); sum(float4/8)
// -> same float; avg(int*) and avg(numeric) -> numeric with Result.Scale;
// avg(float) -> float8; min/max -> the argument's type.
type AggSpec struct {
	Fn       AggFunc
	Arg      int // input column; -1 for count(*)
	Distinct bool
	Result   types.T
}

// AggMode says which half of a two-phase aggregation an operator runs.
type AggMode uint8

const (
	// AggSingle aggregates raw rows into final values.
	AggSingle AggMode = iota
	// AggPartial aggregates raw rows into partial states (PartialSchema).
	AggPartial
	// AggFinal merges partial states into final values.
	AggFinal
)

// HashAggregate groups its input by key columns and computes aggregates.
//
// Partial/Final layout: a Partial operator outputs the group columns (in
// groupCols order) followed by each aggregate's state columns, in aggs order:
//
//	count(*), count(x)      -> count int8
//	sum(int2/int4)          -> sum int8
//	sum(int8)               -> sum numeric(38,0)
//	sum(numeric(s))         -> sum numeric(38,s)
//	sum(float)              -> sum of the same float type
//	avg(int*)               -> sum numeric(38,0), count int8
//	avg(numeric(s))         -> sum numeric(38,s), count int8
//	avg(float)              -> sum float8, count int8
//	min(x), max(x)          -> x's type
//
// PartialSchema computes it. A Final operator takes exactly that layout as its
// input and is built with the SAME groupCols and aggs slices as the Partial
// one (their indexes then refer to the Partial operator's input; the Final
// operator only uses their count and functions). DISTINCT aggregates are only
// allowed in AggSingle mode. Output order is unspecified.
type HashAggregate struct {
	input     exec.Operator
	groupCols []int
	aggs      []AggSpec
	mode      AggMode
	schema    *arrow.Schema
	alloc     memory.Allocator
	res       reservation

	table    *groupTable
	accs     []accumulator
	argCols  [][]int // input columns per accumulator (state columns in Final mode)
	distinct []*groupTable
	groups   int

	consumed bool
	emitted  int
	out      arrow.RecordBatch
	gids     []int32

	// What reset needs to start a fresh table, and the spilling state
	// (spill_agg.go).
	keyTypes []arrow.DataType
	argTypes []arrow.DataType
	sp       aggSpill
}

var _ exec.Operator = (*HashAggregate)(nil)

// NewHashAggregate builds a hash aggregation. outSchema may be nil, in which
// case AggregateSchema computes it.
func NewHashAggregate(input exec.Operator, groupCols []int, aggs []AggSpec, mode AggMode, outSchema *arrow.Schema, mem *exec.Memory, alloc memory.Allocator) (*HashAggregate, error) {
	in := input.Schema()
	a := &HashAggregate{input: input, groupCols: groupCols, aggs: aggs, mode: mode, alloc: alloc, res: reservation{mem: mem}}
	keyTypes := make([]arrow.DataType, len(groupCols))
	for i, c := range groupCols {
		if mode == AggFinal {
			c = i
		}
		if c < 0 || c >= in.NumFields() {
			return nil, internalErr("group column %d out of range", c)
		}
		keyTypes[i] = in.Field(c).Type
	}
	pos := len(groupCols) // next state column in Final mode
	for _, spec := range aggs {
		if spec.Distinct && mode != AggSingle {
			return nil, internalErr("DISTINCT aggregate %s in a two-phase aggregation", spec.Fn)
		}
		var arg arrow.DataType
		var cols []int
		if mode == AggFinal {
			if pos >= in.NumFields() {
				return nil, internalErr("final aggregate input has too few state columns")
			}
			// The first state column's type determines the accumulator: it
			// has the same type as the input of an equivalent raw aggregate
			// (see the layout above).
			arg = in.Field(pos).Type
			if spec.Fn == AggSum && arg.ID() == arrow.INT64 {
				arg = arrow.PrimitiveTypes.Int32 // sum(int2/4) state: int8 sum
			}
		} else if spec.Fn != AggCountStar {
			if spec.Arg < 0 || spec.Arg >= in.NumFields() {
				return nil, internalErr("aggregate argument column %d out of range", spec.Arg)
			}
			arg = in.Field(spec.Arg).Type
			cols = []int{spec.Arg}
		}
		acc, err := newAccumulator(spec, arg)
		if err != nil {
			return nil, err
		}
		a.argTypes = append(a.argTypes, arg)
		if mode != AggPartial && spec.Result.Kind != types.Unknown && !arrow.TypeEqual(resultType(acc), spec.Result.Arrow()) {
			return nil, internalErr("%s over %s yields %s, planner expects %s", spec.Fn, arg, resultType(acc), spec.Result.Arrow())
		}
		if mode == AggFinal {
			for range acc.stateTypes() {
				cols = append(cols, pos)
				pos++
			}
		}
		a.accs = append(a.accs, acc)
		a.argCols = append(a.argCols, cols)
		var dt *groupTable
		if spec.Distinct {
			dt = newGroupTable([]arrow.DataType{arrow.PrimitiveTypes.Int32, arg})
		}
		a.distinct = append(a.distinct, dt)
	}
	a.table = newGroupTable(keyTypes)
	a.keyTypes = keyTypes
	derived := a.deriveSchema(keyTypes, in)
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
	a.schema = outSchema
	return a, nil
}

func (a *HashAggregate) deriveSchema(keyTypes []arrow.DataType, in *arrow.Schema) *arrow.Schema {
	var fs []arrow.Field
	for i, c := range a.groupCols {
		if a.mode == AggFinal {
			c = i
		}
		fs = append(fs, in.Field(c))
	}
	for i, acc := range a.accs {
		name := fmt.Sprintf("%s_%d", a.aggs[i].Fn, i)
		if a.mode == AggPartial {
			for j, dt := range acc.stateTypes() {
				fs = append(fs, arrow.Field{Name: fmt.Sprintf("%s_state%d", name, j), Type: dt, Nullable: true})
			}
			continue
		}
		fs = append(fs, arrow.Field{Name: name, Type: resultType(acc), Nullable: true})
	}
	return arrow.NewSchema(fs, nil)
}

// PartialSchema is the output schema of a Partial HashAggregate over input
// (and so the input schema of the matching Final one).
func PartialSchema(input *arrow.Schema, groupCols []int, aggs []AggSpec) (*arrow.Schema, error) {
	return AggregateSchema(input, groupCols, aggs, AggPartial)
}

// AggregateSchema is the output schema a HashAggregate derives when given no
// outSchema: group columns keep their input fields; aggregates are named
// "<fn>_<i>" with their Result type (or state types in Partial mode).
func AggregateSchema(input *arrow.Schema, groupCols []int, aggs []AggSpec, mode AggMode) (*arrow.Schema, error) {
	a, err := NewHashAggregate(schemaOnly{input}, groupCols, aggs, mode, nil, nil, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	return a.schema, nil
}

// schemaOnly is an operator stand-in used only for its schema.
type schemaOnly struct{ s *arrow.Schema }

func (s schemaOnly) Open(context.Context) error                      { return nil }
func (s schemaOnly) Next(context.Context) (arrow.RecordBatch, error) { return nil, io.EOF }
func (s schemaOnly) Close() error                                    { return nil }
func (s schemaOnly) Schema() *arrow.Schema                           { return s.s }

// Schema implements exec.Operator.
func (a *HashAggregate) Schema() *arrow.Schema { return a.schema }

// Open implements exec.Operator.
func (a *HashAggregate) Open(ctx context.Context) error { return exec.Open(ctx, a.input) }

// Next implements exec.Operator.
func (a *HashAggregate) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if a.out != nil {
		a.out.Release()
		a.out = nil
	}
	// Consume input (or a spilled partition) until there are groups to
	// emit; with spilling there can be several rounds.
	for !a.consumed || a.emitted >= a.groups {
		done, err := a.nextRound(ctx)
		if err != nil {
			return nil, err
		}
		if done {
			return nil, io.EOF
		}
	}
	from := a.emitted
	to := min(a.groups, from+exec.BatchSize)
	cols := make([]arrow.Array, 0, a.schema.NumFields())
	for _, k := range a.table.keys {
		cols = append(cols, k.array(a.alloc, from, to))
	}
	for _, acc := range a.accs {
		if a.mode == AggPartial {
			cols = append(cols, acc.partial(a.alloc, from, to)...)
			continue
		}
		c, err := acc.final(a.alloc, from, to)
		if err != nil {
			releaseArrays(cols)
			return nil, err
		}
		cols = append(cols, c)
	}
	a.emitted = to
	a.out = newBatch(a.schema, cols, to-from)
	return a.out, nil
}

func (a *HashAggregate) addBatch(b arrow.RecordBatch) error {
	n := int(b.NumRows())
	a.gids = grow(a.gids, n)
	gids := a.gids
	if len(a.groupCols) == 0 {
		clear(gids)
		if a.groups == 0 && n > 0 {
			a.groups = 1
		}
	} else {
		keys := make([]arrow.Array, len(a.groupCols))
		for i, c := range a.groupCols {
			if a.mode == AggFinal {
				c = i
			}
			keys[i] = b.Column(c)
		}
		a.table.find(keys, n, gids, nil)
		a.groups = a.table.n
	}
	return a.accumulate(b, gids)
}

// accumulate folds the rows of b into groups gids and resizes the
// reservation to what the table and states now hold.
func (a *HashAggregate) accumulate(b arrow.RecordBatch, gids []int32) error {
	for i, acc := range a.accs {
		acc.grow(a.groups)
		switch {
		case a.mode == AggFinal:
			state := make([]arrow.Array, len(a.argCols[i]))
			for j, c := range a.argCols[i] {
				state[j] = b.Column(c)
			}
			acc.merge(gids, state)
		case a.aggs[i].Fn == AggCountStar:
			acc.update(gids, nil)
		case a.distinct[i] != nil:
			a.updateDistinct(i, gids, b.Column(a.argCols[i][0]))
		default:
			acc.update(gids, b.Column(a.argCols[i][0]))
		}
	}
	size := a.table.bytes()
	for i, acc := range a.accs {
		size += acc.bytes()
		if a.distinct[i] != nil {
			size += a.distinct[i].bytes()
		}
	}
	return a.res.resize(size)
}

// updateDistinct feeds only the (group, value) pairs not seen before.
func (a *HashAggregate) updateDistinct(i int, gids []int32, arg arrow.Array) {
	n := len(gids)
	gidArr := int32ArrayView(gids)
	defer gidArr.Release()
	isNew := make([]bool, n)
	ids := make([]int32, n)
	a.distinct[i].find([]arrow.Array{gidArr, arg}, n, ids, isNew)
	var rows []int32
	var sub []int32
	for r := 0; r < n; r++ {
		if isNew[r] {
			rows = append(rows, int32(r))
			sub = append(sub, gids[r])
		}
	}
	if len(rows) == 0 {
		return
	}
	vals := take(a.alloc, arg, rows)
	defer vals.Release()
	a.accs[i].update(sub, vals)
}

// int32ArrayView wraps a Go slice as an Int32 array without copying; valid
// while the slice is.
func int32ArrayView(v []int32) arrow.Array {
	var raw []byte
	if len(v) > 0 {
		raw = unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
	}
	d := array.NewData(arrow.PrimitiveTypes.Int32, len(v), []*memory.Buffer{nil, memory.NewBufferBytes(raw)}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// Close implements exec.Operator.
func (a *HashAggregate) Close() error {
	if a.out != nil {
		a.out.Release()
		a.out = nil
	}
	a.table = nil
	a.accs = nil
	a.distinct = nil
	serr := a.sp.close()
	a.res.releaseAll()
	if err := a.input.Close(); err != nil {
		return err
	}
	return serr
}
