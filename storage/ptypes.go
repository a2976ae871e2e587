package storage

import (
	"fmt"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// timeUnit is the unit a Parquet TIME or TIMESTAMP column stores; values are
// normalised to microseconds, the engine's unit.
type timeUnit uint8

const (
	unitNone timeUnit = iota
	unitMillis
	unitMicros
	unitNanos
)

// leaf is one top-level primitive column of a Parquet file with everything
// the decoder needs to turn its physical values into the engine's type.
type leaf struct {
	name     string
	index    int // position among the file's leaf columns (= column chunk index in a row group)
	optional bool
	phys     format.Type
	typeLen  int  // byte length of FIXED_LEN_BYTE_ARRAY values
	unsigned bool // INT(n, false) annotation: compare and widen as unsigned
	decimal  bool // DECIMAL annotation: values are unscaled integers
	interval bool // legacy INTERVAL: FIXED[12] months, days, millis
	allNull  bool // NULL logical type: no values are ever stored
	unit     timeUnit
	t        types.T // the natural engine type of the column
}

// fileLeaves walks a file's flattened schema and returns its usable
// top-level columns. Nested columns (groups: LIST, MAP, structs) and
// top-level REPEATED leaves are skipped on purpose: the engine has no nested
// types, and a table with such columns should still serve its flat ones. Leaf
// indexes still count the skipped leaves so they address the right chunks.
// It also returns the number of leaf columns the schema declares.
func fileLeaves(schema []format.SchemaElement) (out []leaf, numLeaves int, err error) {
	if len(schema) == 0 {
		return nil, 0, fmt.Errorf("empty schema")
	}
	root := schema[0]
	n := 0
	if root.NumChildren.Valid {
		n = int(root.NumChildren.V)
	}
	pos := 1
	for range n {
		if pos >= len(schema) {
			return nil, 0, fmt.Errorf("schema ends early")
		}
		el := &schema[pos]
		if el.NumChildren.Valid && el.NumChildren.V > 0 || !el.Type.Valid {
			// A group: skip its whole subtree, counting its leaves.
			end, leaves, err := skipSubtree(schema, pos)
			if err != nil {
				return nil, 0, err
			}
			numLeaves += leaves
			pos = end
			continue
		}
		idx := numLeaves
		numLeaves++
		pos++
		rep := format.Required
		if el.RepetitionType.Valid {
			rep = el.RepetitionType.V
		}
		if rep == format.Repeated {
			continue
		}
		l, ok, err := leafOf(el)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			continue // a physical/logical combination the engine has no type for
		}
		l.index = idx
		l.optional = rep == format.Optional
		out = append(out, l)
	}
	return out, numLeaves, nil
}

// skipSubtree returns the position after the subtree rooted at pos and the
// number of leaves in it.
func skipSubtree(schema []format.SchemaElement, pos int) (end, leaves int, err error) {
	pending := 1
	for pending > 0 {
		if pos >= len(schema) {
			return 0, 0, fmt.Errorf("schema ends early")
		}
		el := &schema[pos]
		pending--
		if el.NumChildren.Valid && el.NumChildren.V > 0 {
			pending += int(el.NumChildren.V)
		} else if el.Type.Valid {
			leaves++
		}
		pos++
	}
	return pos, leaves, nil
}

// leafOf maps one primitive schema element to the engine type. ok is false
// for combinations with no engine type (the column is skipped); err is set for
// columns that are valid Parquet but exceed the engine (DECIMAL over 38 digits).
func leafOf(el *format.SchemaElement) (l leaf, ok bool, err error) {
	l.name = el.Name
	l.phys = el.Type.V
	if el.TypeLength.Valid {
		l.typeLen = int(el.TypeLength.V)
	}
	phys := l.phys
	isInt := phys == format.Int32 || phys == format.Int64
	isBin := phys == format.ByteArray || phys == format.FixedLenByteArray

	decimal := func(p, s int32) (leaf, bool, error) {
		if p > types.MaxNumericPrecision {
			return l, false, sqlerr.New(sqlerr.FeatureNotSupported, "column %q: DECIMAL(%d,%d) exceeds the maximum numeric precision %d", el.Name, p, s, types.MaxNumericPrecision)
		}
		if p <= 0 || s < 0 || s > p || !(isInt || isBin) {
			return l, false, nil
		}
		if phys == format.FixedLenByteArray && (l.typeLen <= 0 || l.typeLen > 16) {
			return l, false, nil
		}
		l.decimal = true
		l.t = types.NumericT(p, s)
		return l, true, nil
	}
	intType := func(bits int, signed bool) (leaf, bool, error) {
		if !isInt {
			return l, false, nil
		}
		l.unsigned = !signed
		switch {
		case signed && bits <= 16:
			l.t = types.Int16T
		case signed && bits == 32:
			l.t = types.Int32T
		case signed:
			l.t = types.Int64T
		case bits == 8:
			l.t = types.Int16T
		case bits == 16:
			l.t = types.Int32T
		case bits == 32:
			l.t = types.Int64T
		default:
			l.t = types.NumericT(20, 0)
		}
		// An INT(n) annotation must match the physical width; a mismatch
		// (INT(64) on INT32) would make the widening below wrong.
		if (bits == 64) != (phys == format.Int64) {
			return l, false, nil
		}
		return l, true, nil
	}
	timeType := func(unit timeUnit) (leaf, bool, error) {
		l.unit = unit
		l.t = types.TimeT
		return l, (unit == unitMillis && phys == format.Int32) || (unit != unitMillis && phys == format.Int64), nil
	}
	tsType := func(unit timeUnit, utc bool) (leaf, bool, error) {
		l.unit = unit
		l.t = types.TimestampT
		if utc {
			l.t = types.TimestampTZT
		}
		return l, phys == format.Int64, nil
	}

	if lt := el.LogicalType.Value; lt != nil {
		switch v := lt.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			l.t = types.TextT
			return l, phys == format.ByteArray, nil
		case *format.DecimalType:
			return decimal(v.Precision, v.Scale)
		case *format.DateType:
			l.t = types.DateT
			return l, phys == format.Int32, nil
		case *format.TimeType:
			return timeType(unitOf(&v.Unit))
		case *format.TimestampType:
			return tsType(unitOf(&v.Unit), v.IsAdjustedToUTC)
		case *format.IntType:
			return intType(int(v.BitWidth), v.IsSigned)
		case *format.NullType:
			// Arrow writes all-NULL columns with this annotation on some
			// physical type; no value is ever decoded.
			// The type is left Unknown so it merges with whatever other
			// files of the table say; a column NULL everywhere reads as text.
			l.allNull = true
			l.t = types.UnknownT
			return l, true, nil
		}
		// Other annotations (UUID, BSON, FLOAT16, geometry ...) fall back
		// to the physical type: their bytes read as bytea.
	} else if el.ConvertedType.Valid {
		switch el.ConvertedType.V {
		case deprecated.UTF8, deprecated.Enum, deprecated.Json:
			l.t = types.TextT
			return l, phys == format.ByteArray, nil
		case deprecated.Decimal:
			return decimal(el.Precision.V, el.Scale.V)
		case deprecated.Date:
			l.t = types.DateT
			return l, phys == format.Int32, nil
		case deprecated.TimeMillis:
			return timeType(unitMillis)
		case deprecated.TimeMicros:
			return timeType(unitMicros)
		// The Parquet spec maps the legacy TIMESTAMP_* annotations to
		// instants (isAdjustedToUTC = true).
		case deprecated.TimestampMillis:
			return tsType(unitMillis, true)
		case deprecated.TimestampMicros:
			return tsType(unitMicros, true)
		case deprecated.Int8:
			return intType(8, true)
		case deprecated.Int16:
			return intType(16, true)
		case deprecated.Int32:
			return intType(32, true)
		case deprecated.Int64:
			return intType(64, true)
		case deprecated.Uint8:
			return intType(8, false)
		case deprecated.Uint16:
			return intType(16, false)
		case deprecated.Uint32:
			return intType(32, false)
		case deprecated.Uint64:
			return intType(64, false)
		case deprecated.Interval:
			if phys == format.FixedLenByteArray && l.typeLen == 12 {
				l.interval = true
				l.t = types.IntervalT
				return l, true, nil
			}
		}
	}

	switch phys {
	case format.Boolean:
		l.t = types.BoolT
	case format.Int32:
		l.t = types.Int32T
	case format.Int64:
		l.t = types.Int64T
	case format.Int96:
		// Legacy Impala/Spark timestamps: wall-clock nanoseconds of a Julian day.
		l.unit = unitNanos
		l.t = types.TimestampT
	case format.Float:
		l.t = types.Float32T
	case format.Double:
		l.t = types.Float64T
	case format.ByteArray:
		l.t = types.ByteaT
	case format.FixedLenByteArray:
		if l.typeLen <= 0 {
			return l, false, nil
		}
		l.t = types.ByteaT
	default:
		return l, false, nil
	}
	return l, true, nil
}

func unitOf(u *format.TimeUnit) timeUnit {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return unitMillis
	case *format.MicroSeconds:
		return unitMicros
	case *format.NanoSeconds:
		return unitNanos
	}
	return unitMicros
}

// mergeTypes returns the type a column has when two files declare it as a and
// b, and false when no single type holds both. Integers widen to the larger,
// real widens to double precision, and numerics of one scale merge to the
// larger precision; anything else is a conflict the user must fix.
func mergeTypes(a, b types.T) (types.T, bool) {
	if a.Kind == types.Unknown {
		return b, true
	}
	if b.Kind == types.Unknown {
		return a, true
	}
	if a.Kind == b.Kind {
		if a.Kind != types.Numeric {
			return a, true
		}
		if a.Scale != b.Scale {
			return a, false
		}
		if a.Precision == 0 || b.Precision == 0 {
			return types.NumericT(0, a.Scale), true
		}
		return types.NumericT(max(a.Precision, b.Precision), a.Scale), true
	}
	if a.IsInteger() && b.IsInteger() {
		if a.Kind > b.Kind {
			return a, true
		}
		return b, true
	}
	if a.IsFloat() && b.IsFloat() {
		return types.Float64T, true
	}
	return a, false
}
