package pgwire

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// Bind values arrive as text or in binary; binary ones are turned into
// their PostgreSQL text here, so the binder reads every value one way
// (pgtext's input functions, with PostgreSQL's errors) as a constant of
// the parameter's type.

// paramText turns one Bind value into its PostgreSQL text.
func paramText(v []byte, format int16, oid uint32, n int) (string, error) {
	if format == 0 {
		if !utf8.Valid(v) {
			return "", sqlerr.New(codeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\" in parameter $%d", n)
		}
		if strings.IndexByte(string(v), 0) >= 0 {
			return "", sqlerr.New(codeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x00")
		}
		return string(v), nil
	}
	if format != 1 {
		return "", sqlerr.New(codeProtocolViolation, "unsupported format code: %d", format)
	}
	be := binary.BigEndian
	bad := func() (string, error) {
		return "", sqlerr.New(codeInvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
	}
	switch oid {
	case 16:
		if len(v) != 1 {
			return bad()
		}
		return string(pgtext.AppendBool(nil, v[0] != 0)), nil
	case 21:
		if len(v) != 2 {
			return bad()
		}
		return strconv.FormatInt(int64(int16(be.Uint16(v))), 10), nil
	case 23:
		if len(v) != 4 {
			return bad()
		}
		return strconv.FormatInt(int64(int32(be.Uint32(v))), 10), nil
	case 20:
		if len(v) != 8 {
			return bad()
		}
		return strconv.FormatInt(int64(be.Uint64(v)), 10), nil
	case 700:
		if len(v) != 4 {
			return bad()
		}
		return string(pgtext.AppendFloat32(nil, math.Float32frombits(be.Uint32(v)))), nil
	case 701:
		if len(v) != 8 {
			return bad()
		}
		return string(pgtext.AppendFloat64(nil, math.Float64frombits(be.Uint64(v)))), nil
	case 1700:
		s, err := numericFromBinary(v)
		if err != nil {
			return "", err
		}
		return s, nil
	case 25, 1043, 1042, 0, 705, 114:
		return paramText(v, 0, oid, n)
	case 3802:
		// jsonb_send: a version byte (1) before the text.
		if len(v) == 0 || v[0] != 1 {
			return bad()
		}
		return paramText(v[1:], 0, oid, n)
	case 17:
		return string(pgtext.AppendBytea(nil, v)), nil
	case 1082:
		if len(v) != 4 {
			return bad()
		}
		return string(pgtext.AppendDate(nil, dateFromPG(int32(be.Uint32(v))))), nil
	case 1083:
		if len(v) != 8 {
			return bad()
		}
		return string(pgtext.AppendTime(nil, int64(be.Uint64(v)))), nil
	case 1114:
		if len(v) != 8 {
			return bad()
		}
		return string(pgtext.AppendTimestamp(nil, timestampFromPG(int64(be.Uint64(v))))), nil
	case 1184:
		if len(v) != 8 {
			return bad()
		}
		return string(pgtext.AppendTimestampTZ(nil, timestampFromPG(int64(be.Uint64(v))))), nil
	case 1186:
		if len(v) != 16 {
			return bad()
		}
		return string(pgtext.AppendInterval(nil, types.IntervalValue{
			Micros: int64(be.Uint64(v)), Days: int32(be.Uint32(v[8:])), Months: int32(be.Uint32(v[12:]))})), nil
	}
	if t, ok := types.FromOID(oid); ok && t.Kind == types.Array {
		return arrayParamText(v, n)
	}
	return "", sqlerr.New(sqlerr.FeatureNotSupported, "binary format for parameters of type OID %d is not supported", oid)
}

// arrayParamText turns a binary one-dimensional array (array_send's
// layout: dimensions, null flag, element OID, per dimension its size and
// lower bound, then each element as a length and its binary form, -1 for
// NULL) into its text form {e1,"e 2",NULL}.
func arrayParamText(v []byte, n int) (string, error) {
	be := binary.BigEndian
	bad := func() (string, error) {
		return "", sqlerr.New(codeInvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
	}
	if len(v) < 12 {
		return bad()
	}
	ndim, elemOID := int32(be.Uint32(v)), be.Uint32(v[8:])
	v = v[12:]
	if ndim == 0 {
		return "{}", nil
	}
	if ndim != 1 {
		return "", sqlerr.New(sqlerr.FeatureNotSupported, "multidimensional arrays are not supported")
	}
	if len(v) < 8 {
		return bad()
	}
	count := int64(int32(be.Uint32(v)))
	v = v[8:]
	if et, ok := types.FromOID(elemOID); !ok || et.Kind == types.Array || et.Kind == types.Unknown {
		return "", sqlerr.New(sqlerr.FeatureNotSupported, "binary format for arrays of type OID %d is not supported", elemOID)
	}
	// Each element takes at least its 4-byte length: a count beyond what
	// the message holds is malformed, not a reason to allocate.
	if count < 0 || count > int64(len(v)/4) {
		return bad()
	}
	b := []byte{'{'}
	for i := int64(0); i < count; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		if len(v) < 4 {
			return bad()
		}
		size := int32(be.Uint32(v))
		v = v[4:]
		if size < 0 {
			b = append(b, "NULL"...)
			continue
		}
		if int64(size) > int64(len(v)) {
			return bad()
		}
		s, err := paramText(v[:size], 1, elemOID, n)
		if err != nil {
			return "", err
		}
		v = v[size:]
		b = pgtext.AppendArrayElem(b, []byte(s))
	}
	return string(append(b, '}')), nil
}
