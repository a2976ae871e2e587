package pgtext

import (
	"strconv"
	"strings"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// ParseConst reads PostgreSQL text input of type t into expr.Const's value
// encoding (see sql/expr), with the type the value gets: a plain numeric
// takes the scale it is written with, as a numeric literal does. Arrays
// have no Const encoding; callers cast their text instead.
func ParseConst(s string, t types.T) (any, types.T, error) {
	var v any
	var err error
	switch t.Kind {
	case types.Bool:
		v, err = ParseBool(s)
	case types.Int16, types.Int32, types.Int64:
		v, err = ParseInt(s, t.Kind)
	case types.Float32:
		var f float32
		f, err = ParseFloat32(s)
		v = float64(f)
	case types.Float64:
		v, err = ParseFloat(s)
	case types.Numeric:
		if t.Precision == 0 {
			n, scale, perr := ParseNumericAuto(s)
			return n, types.NumericT(0, scale), perr
		}
		v, err = ParseNumeric(s, t.Scale)
	case types.Text, types.Unknown:
		return s, types.TextT, nil
	case types.Bytea:
		v, err = ParseBytea(s)
	case types.Date:
		v, err = ParseDate(s)
	case types.Time:
		v, err = ParseTime(s)
	case types.Timestamp:
		v, err = ParseTimestamp(s)
	case types.TimestampTZ:
		v, err = ParseTimestampTZ(s)
	case types.Interval:
		v, err = ParseInterval(s)
	default:
		return nil, t, sqlerr.New(sqlerr.FeatureNotSupported, "input of type %s as a constant is not supported", t)
	}
	return v, t, err
}

// ParseBytea reads bytea input: hex format (\x...) or raw bytes with
// backslash escapes.
func ParseBytea(s string) ([]byte, error) {
	if strings.HasPrefix(s, `\x`) || strings.HasPrefix(s, `\X`) {
		h := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' {
				return -1
			}
			return r
		}, s[2:])
		if len(h)%2 != 0 {
			return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid hexadecimal data: odd number of digits")
		}
		out := make([]byte, len(h)/2)
		for i := 0; i < len(out); i++ {
			v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
			if err != nil {
				return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid hexadecimal digit: \"%s\"", h[2*i:2*i+1])
			}
			out[i] = byte(v)
		}
		return out, nil
	}
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3':
			v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
			if err != nil {
				return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type bytea")
			}
			out = append(out, byte(v))
			i += 3
		default:
			return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type bytea")
		}
	}
	return out, nil
}
