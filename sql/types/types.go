// Package types is the engine's type system: PostgreSQL's types as the user
// sees them, and the one Arrow type each is stored as in a batch. Every array
// the executor sees has exactly the Arrow type T.Arrow() of its column, so
// kernels switch on Kind only. It imports only Arrow.
package types

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Kind is a PostgreSQL type family.
type Kind uint8

const (
	Unknown Kind = iota // the type of an untyped NULL or string literal before coercion
	Bool
	Int16
	Int32
	Int64
	Float32
	Float64
	Numeric
	Text
	Bytea
	Date
	Time
	Timestamp
	TimestampTZ
	Interval
	Array // a one-dimensional array of Elem (with Scale for numeric elements)
)

// MaxNumericPrecision is the largest precision a Decimal128 holds.
const MaxNumericPrecision = 38

// T is a type: a kind and, for numeric, its precision and scale. Precision 0
// means unconstrained numeric (PostgreSQL's plain "numeric"); values still have
// a fixed Scale in a column, since batches are Decimal128 arrays.
type T struct {
	Kind      Kind
	Precision int32
	Scale     int32
	Elem      Kind // element kind of an Array
	// Variant names a PostgreSQL type stored exactly like Kind (oid and
	// the reg* types as Int64, name and "char" as Text...): kernels see
	// only the Kind, clients see the variant's OID and name.
	// For varchar and bpchar, Precision is the declared length n
	// (0: none), which clients read as the typmod n+4.
	Variant Variant
}

// Variant is a PostgreSQL type that shares another kind's storage. The
// system catalogs are full of them; giving them their own kinds would mean
// kernels for types that only ever hold identifiers.
type Variant uint8

const (
	NoVariant Variant = iota
	Oid               // Int64: 0..2^32-1, text is the number
	Xid               // Int64: transaction ids (always 0 here)
	// The reg* types: Int64 (an oid) while a query runs; a result column
	// of one carries the object's name as Text (binder: the output form),
	// because their text output needs the catalog.
	RegClass
	RegType
	RegProc
	RegProcedure
	RegNamespace
	RegRole
	RegOper
	Name       // Text: an identifier (PostgreSQL truncates to 63 bytes)
	Char       // Text: "char", one byte
	Int2Vector // Array of Int16: PostgreSQL's int2vector (0-based, printed space-separated)
	OidVector  // Array of Int64 oids: oidvector (0-based, printed space-separated)
	PgNodeTree // Text
	AclItem    // Text (arrays of it are always NULL here)
	Varchar    // Text: character varying
	// Bpchar is character(n). Values are kept without their trailing
	// spaces, which PostgreSQL ignores in comparisons, length() and casts
	// to text; output pads them back to n (pgtext.PadBpchar).
	Bpchar
	// json and jsonb hold their text form: json the input as written
	// (validated), jsonb PostgreSQL's normalized output (keys sorted and
	// unique, ", " and ": " separators), so output is a copy either way.
	Json  // Text
	Jsonb // Text
	// Record is an anonymous composite (PostgreSQL's record): its text
	// form "(a,b)" in a batch; the binder keeps its fields as columns of
	// their own, so field selection never parses the text.
	Record // Text
)

// Convenience values for the catalog types.
var (
	OidT          = T{Kind: Int64, Variant: Oid}
	XidT          = T{Kind: Int64, Variant: Xid}
	RegClassT     = T{Kind: Int64, Variant: RegClass}
	RegTypeT      = T{Kind: Int64, Variant: RegType}
	RegProcT      = T{Kind: Int64, Variant: RegProc}
	RegProcedureT = T{Kind: Int64, Variant: RegProcedure}
	RegNamespaceT = T{Kind: Int64, Variant: RegNamespace}
	RegRoleT      = T{Kind: Int64, Variant: RegRole}
	RegOperT      = T{Kind: Int64, Variant: RegOper}
	NameT         = T{Kind: Text, Variant: Name}
	CharT         = T{Kind: Text, Variant: Char}
	Int2VectorT   = T{Kind: Array, Elem: Int16, Variant: Int2Vector}
	OidVectorT    = T{Kind: Array, Elem: Int64, Variant: OidVector}
	PgNodeTreeT   = T{Kind: Text, Variant: PgNodeTree}
	VarcharT      = T{Kind: Text, Variant: Varchar}
	BpcharT       = T{Kind: Text, Variant: Bpchar}
	AclItemArrayT = T{Kind: Array, Elem: Text, Variant: AclItem}
	JsonT         = T{Kind: Text, Variant: Json}
	JsonbT        = T{Kind: Text, Variant: Jsonb}
	RecordT       = T{Kind: Text, Variant: Record}
)

// IsReg reports whether t is one of the reg* types, whose text form is an
// object's name.
func (t T) IsReg() bool {
	switch t.Variant {
	case RegClass, RegType, RegProc, RegProcedure, RegNamespace, RegRole, RegOper:
		return true
	}
	return false
}

// Plain is t without its variant: the type kernels compute with.
func (t T) Plain() T { t.Variant = NoVariant; return t }

// variantInfo holds each variant's PostgreSQL name, type OID and array
// type OID.
var variantInfo = map[Variant]struct {
	name     string
	oid, arr uint32
}{
	Oid: {"oid", 26, 1028}, Xid: {"xid", 28, 1011},
	RegClass: {"regclass", 2205, 2210}, RegType: {"regtype", 2206, 2211},
	RegProc: {"regproc", 24, 1008}, RegProcedure: {"regprocedure", 2202, 2207},
	RegNamespace: {"regnamespace", 4089, 4090}, RegRole: {"regrole", 4096, 4097},
	RegOper: {"regoper", 2203, 2208},
	Name:    {"name", 19, 1003}, Char: {"\"char\"", 18, 1002},
	Int2Vector: {"int2vector", 22, 1006}, OidVector: {"oidvector", 30, 1013},
	PgNodeTree: {"pg_node_tree", 194, 0}, AclItem: {"aclitem", 1033, 1034},
	Varchar: {"character varying", 1043, 1015}, Bpchar: {"character", 1042, 1014},
	Json: {"json", 114, 199}, Jsonb: {"jsonb", 3802, 3807},
	Record: {"record", 2249, 2287},
}

// Length is the declared length n of varchar(n) or character(n), 0 for
// every other type.
func (t T) Length() int {
	if t.Kind == Text && (t.Variant == Varchar || t.Variant == Bpchar) {
		return int(t.Precision)
	}
	return 0
}

// TypeMod is the typmod PostgreSQL reports for t (RowDescription,
// pg_attribute.atttypmod): ((p << 16) | s) + 4 for numeric(p,s), n + 4 for
// varchar(n) and character(n) and arrays of them, -1 otherwise.
func (t T) TypeMod() int32 {
	if t.Kind == Numeric && t.Precision > 0 {
		return (t.Precision<<16 | t.Scale) + 4
	}
	if t.Kind == Array && t.Elem == Text && !t.IsVector() {
		t = t.ElemType()
	}
	if n := t.Length(); n > 0 {
		return int32(n) + 4
	}
	return -1
}

// IsJSON reports whether t is json or jsonb.
func (t T) IsJSON() bool { return t.Kind == Text && (t.Variant == Json || t.Variant == Jsonb) }

// ArrayOf returns the type of arrays of e (e must not be an array).
func ArrayOf(e T) T {
	return T{Kind: Array, Elem: e.Kind, Precision: e.Precision, Scale: e.Scale, Variant: e.Variant}
}

// ElemType is the element type of an array type.
func (t T) ElemType() T {
	v := t.Variant
	switch v {
	case Int2Vector:
		v = NoVariant
	case OidVector:
		v = Oid
	}
	return T{Kind: t.Elem, Precision: t.Precision, Scale: t.Scale, Variant: v}
}

// IsVector reports whether t is int2vector or oidvector: arrays whose
// subscripts start at 0 and whose text form is space-separated.
func (t T) IsVector() bool { return t.Variant == Int2Vector || t.Variant == OidVector }

// Convenience values for the parameterless types.
var (
	UnknownT     = T{Kind: Unknown}
	BoolT        = T{Kind: Bool}
	Int16T       = T{Kind: Int16}
	Int32T       = T{Kind: Int32}
	Int64T       = T{Kind: Int64}
	Float32T     = T{Kind: Float32}
	Float64T     = T{Kind: Float64}
	TextT        = T{Kind: Text}
	ByteaT       = T{Kind: Bytea}
	DateT        = T{Kind: Date}
	TimeT        = T{Kind: Time}
	TimestampT   = T{Kind: Timestamp}
	TimestampTZT = T{Kind: TimestampTZ}
	IntervalT    = T{Kind: Interval}
)

// NumericT returns numeric(p, s); p == 0 means unconstrained.
func NumericT(p, s int32) T { return T{Kind: Numeric, Precision: p, Scale: s} }

// Arrow types used for each kind.
var (
	TimeArrow        = &arrow.Time64Type{Unit: arrow.Microsecond}
	TimestampArrow   = &arrow.TimestampType{Unit: arrow.Microsecond}
	TimestampTZArrow = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

// Arrow returns the Arrow type that holds values of t.
func (t T) Arrow() arrow.DataType {
	switch t.Kind {
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case Int16:
		return arrow.PrimitiveTypes.Int16
	case Int32:
		return arrow.PrimitiveTypes.Int32
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case Float32:
		return arrow.PrimitiveTypes.Float32
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Numeric:
		return &arrow.Decimal128Type{Precision: MaxNumericPrecision, Scale: t.Scale}
	case Text:
		return arrow.BinaryTypes.String
	case Bytea:
		return arrow.BinaryTypes.Binary
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Time:
		return TimeArrow
	case Timestamp:
		return TimestampArrow
	case TimestampTZ:
		return TimestampTZArrow
	case Interval:
		return arrow.FixedWidthTypes.MonthDayNanoInterval
	case Array:
		return arrow.ListOf(t.ElemType().Arrow())
	default:
		return arrow.Null
	}
}

// FromArrow maps an Arrow type produced by the engine back to T. Numeric
// precision is not recoverable from a batch and comes back unconstrained.
func FromArrow(dt arrow.DataType) (T, error) {
	switch d := dt.(type) {
	case *arrow.NullType:
		return UnknownT, nil
	case *arrow.BooleanType:
		return BoolT, nil
	case *arrow.Int16Type:
		return Int16T, nil
	case *arrow.Int32Type:
		return Int32T, nil
	case *arrow.Int64Type:
		return Int64T, nil
	case *arrow.Float32Type:
		return Float32T, nil
	case *arrow.Float64Type:
		return Float64T, nil
	case *arrow.Decimal128Type:
		return NumericT(d.Precision, d.Scale), nil
	case *arrow.StringType, *arrow.LargeStringType:
		return TextT, nil
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		return ByteaT, nil
	case *arrow.Date32Type:
		return DateT, nil
	case *arrow.Time64Type:
		return TimeT, nil
	case *arrow.TimestampType:
		if d.TimeZone != "" {
			return TimestampTZT, nil
		}
		return TimestampT, nil
	case *arrow.MonthDayNanoIntervalType:
		return IntervalT, nil
	case *arrow.DictionaryType:
		return FromArrow(d.ValueType)
	case *arrow.ListType:
		e, err := FromArrow(d.Elem())
		if err != nil || e.Kind == Array {
			return UnknownT, fmt.Errorf("unsupported Arrow type %s", dt)
		}
		return ArrayOf(e), nil
	}
	return UnknownT, fmt.Errorf("unsupported Arrow type %s", dt)
}

// String is the PostgreSQL name of t, as format_type prints it.
func (t T) String() string {
	if v, ok := variantInfo[t.Variant]; ok {
		name := v.name
		if (t.Variant == Varchar || t.Variant == Bpchar) && t.Precision > 0 {
			name = fmt.Sprintf("%s(%d)", name, t.Precision)
		}
		if t.Kind == Array && !t.IsVector() {
			return name + "[]"
		}
		return name
	}
	switch t.Kind {
	case Bool:
		return "boolean"
	case Int16:
		return "smallint"
	case Int32:
		return "integer"
	case Int64:
		return "bigint"
	case Float32:
		return "real"
	case Float64:
		return "double precision"
	case Numeric:
		if t.Precision == 0 {
			return "numeric"
		}
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
	case Text:
		return "text"
	case Bytea:
		return "bytea"
	case Date:
		return "date"
	case Time:
		return "time without time zone"
	case Timestamp:
		return "timestamp without time zone"
	case TimestampTZ:
		return "timestamp with time zone"
	case Interval:
		return "interval"
	case Array:
		return t.ElemType().String() + "[]"
	default:
		return "unknown"
	}
}

// OID is the PostgreSQL type OID of t.
func (t T) OID() uint32 {
	if v, ok := variantInfo[t.Variant]; ok {
		if t.Kind == Array && !t.IsVector() {
			return v.arr
		}
		return v.oid
	}
	switch t.Kind {
	case Bool:
		return 16
	case Int16:
		return 21
	case Int32:
		return 23
	case Int64:
		return 20
	case Float32:
		return 700
	case Float64:
		return 701
	case Numeric:
		return 1700
	case Text:
		return 25
	case Bytea:
		return 17
	case Date:
		return 1082
	case Time:
		return 1083
	case Timestamp:
		return 1114
	case TimestampTZ:
		return 1184
	case Interval:
		return 1186
	case Array:
		return arrayOIDs[t.Elem]
	default:
		return 705
	}
}

// arrayOIDs are the OIDs of PostgreSQL's array types by element kind.
var arrayOIDs = map[Kind]uint32{
	Bool: 1000, Int16: 1005, Int32: 1007, Int64: 1016, Float32: 1021, Float64: 1022,
	Numeric: 1231, Text: 1009, Bytea: 1001, Date: 1182, Time: 1183, Timestamp: 1115,
	TimestampTZ: 1185, Interval: 1187,
}

// FromOID is the type of a PostgreSQL type OID, as a client names it in a
// Parse message. varchar, bpchar, name and "char" read as text, which is
// how the engine stores them; unknown (705) is Unknown, left to infer.
func FromOID(oid uint32) (T, bool) {
	switch oid {
	case 16:
		return BoolT, true
	case 21:
		return Int16T, true
	case 23:
		return Int32T, true
	case 20:
		return Int64T, true
	case 700:
		return Float32T, true
	case 701:
		return Float64T, true
	case 1700:
		return NumericT(0, 0), true
	case 25, 1043, 1042, 19, 18:
		return TextT, true
	case 17:
		return ByteaT, true
	case 1082:
		return DateT, true
	case 1083:
		return TimeT, true
	case 1114:
		return TimestampT, true
	case 1184:
		return TimestampTZT, true
	case 1186:
		return IntervalT, true
	case 705:
		return UnknownT, true
	case 114:
		return JsonT, true
	case 3802:
		return JsonbT, true
	case 1015, 1014: // varchar[], bpchar[]
		return ArrayOf(TextT), true
	}
	for k, o := range arrayOIDs {
		if o == oid {
			return ArrayOf(T{Kind: k}), true
		}
	}
	return T{}, false
}

// IsNumeric reports whether t is a number type (integer, float or numeric).
func (t T) IsNumeric() bool {
	switch t.Kind {
	case Int16, Int32, Int64, Float32, Float64, Numeric:
		return true
	}
	return false
}

// IsInteger reports whether t is int2, int4 or int8.
func (t T) IsInteger() bool { return t.Kind == Int16 || t.Kind == Int32 || t.Kind == Int64 }

// IsFloat reports whether t is real or double precision.
func (t T) IsFloat() bool { return t.Kind == Float32 || t.Kind == Float64 }

// IsTemporal reports whether t is a date/time type (not interval).
func (t T) IsTemporal() bool {
	return t.Kind == Date || t.Kind == Time || t.Kind == Timestamp || t.Kind == TimestampTZ
}

// numericRank orders the number kinds for PostgreSQL's implicit promotion:
// int2 < int4 < int8 < numeric < real < double.
func numericRank(k Kind) int {
	switch k {
	case Int16:
		return 1
	case Int32:
		return 2
	case Int64:
		return 3
	case Numeric:
		return 4
	case Float32:
		return 5
	case Float64:
		return 6
	}
	return 0
}

// CommonNumeric returns the type both a and b promote to in arithmetic and
// comparison, following PostgreSQL's implicit casts. For two numerics the
// scale is the larger one (values are rescaled); precision is unconstrained.
func CommonNumeric(a, b T) T {
	ra, rb := numericRank(a.Kind), numericRank(b.Kind)
	if ra == 0 || rb == 0 {
		return UnknownT
	}
	if a.Kind == Numeric && b.Kind == Numeric {
		return NumericT(0, max(a.Scale, b.Scale))
	}
	if ra >= rb {
		if a.Kind == Numeric {
			return NumericT(0, a.Scale)
		}
		return T{Kind: a.Kind}
	}
	if b.Kind == Numeric {
		return NumericT(0, b.Scale)
	}
	return T{Kind: b.Kind}
}

// Equal reports whether a and b are the same type, ignoring numeric
// precision and the variant: whether kernels may treat values of one as
// the other (oid and int8 compare alike). Identical also compares variants.
func (t T) Equal(o T) bool {
	if t.Kind != o.Kind || t.Elem != o.Elem {
		return false
	}
	return (t.Kind != Numeric && !(t.Kind == Array && t.Elem == Numeric)) || t.Scale == o.Scale
}

// Identical reports whether t and o are the same type to a client: Equal
// and the same variant.
func (t T) Identical(o T) bool { return t.Equal(o) && t.Variant == o.Variant }

// IntervalValue is the value of an interval: PostgreSQL keeps months, days
// and microseconds apart because their lengths vary. In batches it is stored
// as arrow.MonthDayNanoInterval with nanoseconds = micros*1000.
type IntervalValue struct {
	Months int32
	Days   int32
	Micros int64
}
