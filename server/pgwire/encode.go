package pgwire

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// Offsets between the Unix epoch (Arrow) and PostgreSQL's 2000-01-01 epoch
// (binary date and timestamp formats).
const (
	pgEpochDays   = 10957
	pgEpochMicros = pgEpochDays * pgtext.MicrosPerDay
)

// PostgreSQL sends one NaN, C's NAN (quiet, no payload); Go's math.NaN
// has a payload bit set, and NaNs computed by kernels may carry others.
const (
	pgFloat4NaN = 0x7fc00000
	pgFloat8NaN = 0x7ff8000000000000
)

// typeSize is pg_type.typlen of t: the fixed width, or -1 for varlena.
func typeSize(t types.T) int16 {
	switch {
	case t.Kind == types.Array:
		return -1
	case t.Variant == types.Oid || t.Variant == types.Xid || t.IsReg():
		return 4
	case t.Variant == types.Name:
		return 64
	case t.Variant == types.Char:
		return 1
	}
	switch t.Kind {
	case types.Bool:
		return 1
	case types.Int16:
		return 2
	case types.Int32, types.Float32, types.Date:
		return 4
	case types.Int64, types.Float64, types.Time, types.Timestamp, types.TimestampTZ:
		return 8
	case types.Interval:
		return 16
	case types.Unknown:
		return -2
	}
	return -1
}

// typeMod is the typmod RowDescription carries (types.T.TypeMod).
func typeMod(t types.T) int32 { return t.TypeMod() }

// binarySupported reports whether results of t can be sent in binary.
func binarySupported(t types.T) bool {
	switch {
	case t.IsReg() && t.Kind == types.Text:
		// A reg* result column holds the name; its binary form is the
		// oid, which the name no longer gives.
		return false
	case t.Variant == types.Int2Vector || t.Variant == types.OidVector || t.Variant == types.AclItem:
		return false
	}
	switch t.Kind {
	case types.Bool, types.Int16, types.Int32, types.Int64, types.Float32, types.Float64,
		types.Text, types.Bytea, types.Date, types.Time, types.Timestamp, types.TimestampTZ,
		types.Numeric, types.Interval:
		return true
	case types.Array:
		return t.Elem != types.Array && binarySupported(t.ElemType())
	}
	return false
}

// resultFormats expands Bind's result format codes (none: all text; one:
// all columns; else one per column) and checks them.
func resultFormats(codes []int16, cols []engine.Column) ([]int16, error) {
	out := make([]int16, len(cols))
	switch {
	case len(codes) == 0:
	case len(codes) == 1:
		for i := range out {
			out[i] = codes[0]
		}
	case len(codes) == len(cols):
		copy(out, codes)
	default:
		return nil, sqlerr.New(codeProtocolViolation, "bind message has %d result formats but query has %d columns", len(codes), len(cols))
	}
	for i, f := range out {
		if f != 0 && f != 1 {
			return nil, sqlerr.New(codeProtocolViolation, "unsupported format code: %d", f)
		}
		if f == 1 && !binarySupported(cols[i].Type) {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "binary output of type %s is not supported", cols[i].Type)
		}
	}
	return out, nil
}

// rowDescription describes cols with the given formats (nil: text).
func rowDescription(cols []engine.Column, formats []int16) *pgproto3.RowDescription {
	rd := &pgproto3.RowDescription{Fields: make([]pgproto3.FieldDescription, len(cols))}
	for i, c := range cols {
		f := pgproto3.FieldDescription{
			Name:         []byte(c.Name),
			DataTypeOID:  c.Type.OID(),
			DataTypeSize: typeSize(c.Type),
			TypeModifier: typeMod(c.Type),
		}
		if formats != nil {
			f.Format = formats[i]
		}
		rd.Fields[i] = f
	}
	return rd
}

// valueEncoder appends the wire form of row i (not NULL) to dst.
type valueEncoder func(dst []byte, i int) []byte

// encoderFor builds the encoder of one column of a batch. The switch runs
// once a batch and column; the returned closure works on the typed slice.
func encoderFor(arr arrow.Array, t types.T, format int16) valueEncoder {
	if format == 1 {
		if enc := binaryEncoder(arr, t); enc != nil {
			return enc
		}
	}
	switch a := arr.(type) {
	case *array.Int64:
		v := a.Int64Values()
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, v[i], 10) }
	case *array.Int32:
		v := a.Int32Values()
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(v[i]), 10) }
	case *array.String:
		if n := t.Length(); n > 0 && t.Variant == types.Bpchar {
			return func(dst []byte, i int) []byte { return pgtext.AppendBpchar(dst, a.Value(i), n) }
		}
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.Date32:
		v := a.Date32Values()
		return func(dst []byte, i int) []byte { return pgtext.AppendDate(dst, int32(v[i])) }
	case *array.Decimal128:
		// The scale is looked up once a batch, not per value through
		// AppendValue's type switches (about 10% of numeric text).
		v := a.Values()
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(dst []byte, i int) []byte { return pgtext.AppendNumeric(dst, v[i], scale) }
	}
	return func(dst []byte, i int) []byte { return pgtext.AppendValue(dst, arr, i, t) }
}

func binaryEncoder(arr arrow.Array, t types.T) valueEncoder {
	be := binary.BigEndian
	switch a := arr.(type) {
	case *array.Boolean:
		return func(dst []byte, i int) []byte {
			if a.Value(i) {
				return append(dst, 1)
			}
			return append(dst, 0)
		}
	case *array.Int16:
		v := a.Int16Values()
		return func(dst []byte, i int) []byte { return be.AppendUint16(dst, uint16(v[i])) }
	case *array.Int32:
		v := a.Int32Values()
		return func(dst []byte, i int) []byte { return be.AppendUint32(dst, uint32(v[i])) }
	case *array.Int64:
		v := a.Int64Values()
		if t.Variant == types.Oid || t.Variant == types.Xid || t.IsReg() {
			// oid, xid and the reg* types are 4-byte unsigned on the wire.
			return func(dst []byte, i int) []byte { return be.AppendUint32(dst, uint32(v[i])) }
		}
		return func(dst []byte, i int) []byte { return be.AppendUint64(dst, uint64(v[i])) }
	case *array.Float32:
		v := a.Float32Values()
		return func(dst []byte, i int) []byte {
			if v[i] != v[i] {
				return be.AppendUint32(dst, pgFloat4NaN)
			}
			return be.AppendUint32(dst, math.Float32bits(v[i]))
		}
	case *array.Float64:
		v := a.Float64Values()
		return func(dst []byte, i int) []byte {
			if v[i] != v[i] {
				return be.AppendUint64(dst, pgFloat8NaN)
			}
			return be.AppendUint64(dst, math.Float64bits(v[i]))
		}
	case *array.String:
		if t.Variant == types.Jsonb {
			// jsonb_send: version 1, then the text.
			return func(dst []byte, i int) []byte { return append(append(dst, 1), a.Value(i)...) }
		}
		if n := t.Length(); n > 0 && t.Variant == types.Bpchar {
			// bpcharsend sends the padded text, as output does.
			return func(dst []byte, i int) []byte { return pgtext.AppendBpchar(dst, a.Value(i), n) }
		}
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.Binary:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.Date32:
		v := a.Date32Values()
		return func(dst []byte, i int) []byte { return be.AppendUint32(dst, uint32(dateToPG(int32(v[i])))) }
	case *array.Time64:
		v := a.Time64Values()
		return func(dst []byte, i int) []byte { return be.AppendUint64(dst, uint64(v[i])) }
	case *array.Timestamp:
		v := a.TimestampValues()
		return func(dst []byte, i int) []byte { return be.AppendUint64(dst, uint64(timestampToPG(int64(v[i])))) }
	case *array.MonthDayNanoInterval:
		return func(dst []byte, i int) []byte {
			x := a.Value(i)
			dst = be.AppendUint64(dst, uint64(x.Nanoseconds/1000))
			dst = be.AppendUint32(dst, uint32(x.Days))
			return be.AppendUint32(dst, uint32(x.Months))
		}
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(dst []byte, i int) []byte { return appendNumericBinary(dst, a.Value(i), scale) }
	case *array.List:
		return arrayBinaryEncoder(a, t)
	}
	return nil
}

// dateToPG moves days since 1970 to days since 2000, keeping the infinities.
func dateToPG(d int32) int32 {
	if d == pgtext.DateNoBegin || d == pgtext.DateNoEnd {
		return d
	}
	return d - pgEpochDays
}

func dateFromPG(d int32) int32 {
	if d == pgtext.DateNoBegin || d == pgtext.DateNoEnd {
		return d
	}
	return d + pgEpochDays
}

func timestampToPG(us int64) int64 {
	if us == pgtext.TimestampNoBegin || us == pgtext.TimestampNoEnd {
		return us
	}
	return us - pgEpochMicros
}

func timestampFromPG(us int64) int64 {
	if us == pgtext.TimestampNoBegin || us == pgtext.TimestampNoEnd {
		return us
	}
	return us + pgEpochMicros
}

// appendNumericBinary writes PostgreSQL's binary numeric: ndigits, weight,
// sign, dscale (int16 each), then base-10000 digits, the first of which is
// multiplied by 10000^weight. Leading and trailing zero digits are dropped.
func appendNumericBinary(dst []byte, v decimal128.Num, scale int32) []byte {
	if out, ok := appendNumericBinarySmall(dst, v, scale); ok {
		return out
	}
	return appendNumericBinaryBig(dst, v, scale)
}

// pow10 holds 10^0 ... 10^3, the factors that pad a fraction to whole
// base-10000 digits.
var pow10 = [4]uint64{1, 10, 100, 1000}

// appendNumericBinarySmall is appendNumericBinary in machine integers for
// the common case, a value whose unscaled magnitude fits in 63 bits with a
// scale from 0 to 1000 (binary results of numeric columns spent most of
// their time in big.Int and string work before). It reports false for
// anything else.
func appendNumericBinarySmall(dst []byte, v decimal128.Num, scale int32) ([]byte, bool) {
	hi, lo := v.HighBits(), v.LowBits()
	var u uint64
	sign := uint16(0)
	switch {
	case hi == 0 && lo < 1<<63:
		u = lo
	case hi == -1 && lo > 1<<63:
		u = -lo // two's complement magnitude
		sign = 0x4000
	default:
		return dst, false
	}
	if scale < 0 || scale > 1000 {
		return dst, false
	}
	// Scale the fraction up to a whole number of base-10000 digits: u then
	// counts units of 10000^-fracGroups.
	pad := (4 - scale%4) % 4
	if u > math.MaxUint64/pow10[pad] {
		return dst, false
	}
	u *= pow10[pad]
	fracGroups := int((scale + pad) / 4)
	// Base-10000 digits from the lowest; a 64-bit value has at most 5.
	var groups [5]uint16
	n := 0
	for u != 0 {
		groups[n] = uint16(u % 10000)
		u /= 10000
		n++
	}
	weight := n - fracGroups - 1
	low := 0 // trailing zero digits are dropped; the top one is never zero
	for low < n && groups[low] == 0 {
		low++
	}
	be := binary.BigEndian
	if n == 0 {
		weight, sign = 0, 0
	}
	dst = be.AppendUint16(dst, uint16(n-low))
	dst = be.AppendUint16(dst, uint16(int16(weight)))
	dst = be.AppendUint16(dst, sign)
	dst = be.AppendUint16(dst, uint16(scale))
	for k := n - 1; k >= low; k-- {
		dst = be.AppendUint16(dst, groups[k])
	}
	return dst, true
}

// appendNumericBinaryBig is appendNumericBinary for any Decimal128, through
// its decimal string.
func appendNumericBinaryBig(dst []byte, v decimal128.Num, scale int32) []byte {
	be := binary.BigEndian
	sign := uint16(0)
	bi := v.BigInt()
	if bi.Sign() < 0 {
		sign = 0x4000
		bi.Neg(bi)
	}
	digits := bi.String()
	if scale < 0 {
		digits += zeros(int(-scale))
		scale = 0
	}
	s := int(scale)
	if len(digits) <= s {
		digits = zeros(s-len(digits)+1) + digits
	}
	intPart, frac := digits[:len(digits)-s], digits[len(digits)-s:]
	// Pad the integer part on the left and the fraction on the right to
	// whole groups of four decimal digits.
	if r := len(intPart) % 4; r != 0 {
		intPart = zeros(4-r) + intPart
	}
	if r := len(frac) % 4; r != 0 {
		frac += zeros(4 - r)
	}
	all := intPart + frac
	groups := make([]int16, 0, len(all)/4)
	for k := 0; k < len(all); k += 4 {
		n, _ := strconv.Atoi(all[k : k+4])
		groups = append(groups, int16(n))
	}
	weight := len(intPart)/4 - 1
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	if len(groups) == 0 {
		weight = 0
		sign = 0
	}
	dst = be.AppendUint16(dst, uint16(len(groups)))
	dst = be.AppendUint16(dst, uint16(int16(weight)))
	dst = be.AppendUint16(dst, sign)
	dst = be.AppendUint16(dst, uint16(s))
	for _, g := range groups {
		dst = be.AppendUint16(dst, uint16(g))
	}
	return dst
}

// numericFromBinary decodes PostgreSQL's binary numeric into its decimal
// text, for parameter substitution.
func numericFromBinary(b []byte) (string, error) {
	if len(b) < 8 {
		return "", sqlerr.New(codeInvalidBinaryRepresentation, "insufficient data left in message")
	}
	be := binary.BigEndian
	nd := int(be.Uint16(b))
	weight := int(int16(be.Uint16(b[2:])))
	sign := be.Uint16(b[4:])
	dscale := int(be.Uint16(b[6:]))
	if len(b) != 8+2*nd {
		return "", sqlerr.New(codeInvalidBinaryRepresentation, "invalid numeric length")
	}
	switch sign {
	case 0xC000:
		return "NaN", nil
	case 0xD000:
		return "Infinity", nil
	case 0xF000:
		return "-Infinity", nil
	case 0, 0x4000:
	default:
		return "", sqlerr.New(codeInvalidBinaryRepresentation, "invalid sign in external \"numeric\" value")
	}
	n := new(big.Int)
	tenK := big.NewInt(10000)
	for k := 0; k < nd; k++ {
		d := int64(be.Uint16(b[8+2*k:]))
		if d > 9999 {
			return "", sqlerr.New(codeInvalidBinaryRepresentation, "invalid digit in external \"numeric\" value")
		}
		n.Mul(n, tenK)
		n.Add(n, big.NewInt(d))
	}
	// n * 10000^(weight - nd + 1) is the value.
	exp := 4 * (weight - nd + 1)
	s := n.String()
	if exp >= 0 {
		s += zeros(exp)
		if dscale > 0 {
			s += "." + zeros(dscale)
		}
	} else {
		fracDigits := -exp
		if len(s) <= fracDigits {
			s = zeros(fracDigits-len(s)+1) + s
		}
		ip, fp := s[:len(s)-fracDigits], s[len(s)-fracDigits:]
		for len(fp) > dscale && fp[len(fp)-1] == '0' {
			fp = fp[:len(fp)-1]
		}
		for len(fp) < dscale {
			fp += "0"
		}
		s = ip
		if fp != "" {
			s += "." + fp
		}
	}
	if sign == 0x4000 {
		s = "-" + s
	}
	return s, nil
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}

// appendDataRows appends one DataRow message per row [from, to) of rec.
func appendDataRows(dst []byte, rec arrow.RecordBatch, cols []engine.Column, formats []int16, from, to int) []byte {
	ncol := int(rec.NumCols())
	encs := make([]valueEncoder, ncol)
	arrs := make([]arrow.Array, ncol)
	for c := 0; c < ncol; c++ {
		arrs[c] = rec.Column(c)
		var f int16
		if formats != nil {
			f = formats[c]
		}
		encs[c] = encoderFor(arrs[c], cols[c].Type, f)
	}
	be := binary.BigEndian
	for i := from; i < to; i++ {
		start := len(dst)
		dst = append(dst, 'D', 0, 0, 0, 0)
		dst = be.AppendUint16(dst, uint16(ncol))
		for c := 0; c < ncol; c++ {
			if arrs[c].IsNull(i) {
				dst = be.AppendUint32(dst, math.MaxUint32)
				continue
			}
			lp := len(dst)
			dst = append(dst, 0, 0, 0, 0)
			dst = encs[c](dst, i)
			be.PutUint32(dst[lp:], uint32(len(dst)-lp-4))
		}
		be.PutUint32(dst[start+1:], uint32(len(dst)-start-1))
	}
	return dst
}
