package pgtext

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// AppendArray appends PostgreSQL's text of the one-dimensional array in
// row i of a: {1,2,NULL}, with elements quoted when they are empty, spell
// NULL, or hold a delimiter, brace, quote, backslash or white space.
func AppendArray(dst []byte, a *array.List, i int, t types.T) []byte {
	elem := t.ElemType()
	if t.Kind != types.Array {
		elem = types.UnknownT
	}
	s, e := a.ValueOffsets(i)
	vals := a.ListValues()
	if t.IsVector() {
		// int2vector and oidvector print as space-separated numbers.
		for j := int(s); j < int(e); j++ {
			if j > int(s) {
				dst = append(dst, ' ')
			}
			dst = AppendValue(dst, vals, j, elem)
		}
		return dst
	}
	dst = append(dst, '{')
	var tmp []byte
	for j := int(s); j < int(e); j++ {
		if j > int(s) {
			dst = append(dst, ',')
		}
		if vals.IsNull(j) {
			dst = append(dst, "NULL"...)
			continue
		}
		tmp = AppendValue(tmp[:0], vals, j, elem)
		dst = AppendArrayElem(dst, tmp)
	}
	return append(dst, '}')
}

// AppendArrayElem appends one element of an array's text form, quoted
// when array input would otherwise read it differently.
func AppendArrayElem(dst, v []byte) []byte {
	quote := len(v) == 0 || strings.EqualFold(string(v), "null")
	for _, c := range v {
		switch c {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			quote = true
		}
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	for _, c := range v {
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

func arraySyntax(s, detail string) error {
	return &sqlerr.Error{Code: sqlerr.InvalidTextRepresentation,
		Message: "malformed array literal: \"" + s + "\"", Detail: detail}
}

// ParseArray splits the text of a one-dimensional array ('{a,"b c",NULL}')
// into its element texts; null[k] marks an unquoted NULL. Element values
// are parsed by the caller with the element type's input function.
// Dimension decorations ('[1:2]={...}') and nested arrays are rejected.
func ParseArray(s string) (elems []string, null []bool, err error) {
	v := trimSpace(s)
	if strings.HasPrefix(v, "[") {
		return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "array bounds are not supported: \"%s\"", s)
	}
	if len(v) < 2 || v[0] != '{' {
		return nil, nil, arraySyntax(s, "Array value must start with \"{\" or dimension information.")
	}
	i := 1
	skip := func() {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') {
			i++
		}
	}
	skip()
	if i < len(v) && v[i] == '}' {
		i++
		skip()
		if i != len(v) {
			return nil, nil, arraySyntax(s, "Junk after closing right brace.")
		}
		return []string{}, []bool{}, nil
	}
	for {
		skip()
		if i >= len(v) {
			return nil, nil, arraySyntax(s, "Unexpected end of input.")
		}
		if v[i] == '{' {
			return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "multidimensional arrays are not supported: \"%s\"", s)
		}
		var sb strings.Builder
		quoted := false
		sawAny := false
		trailingSpace := 0
		escaped := false // quoted or backslashed: never NULL
	elem:
		for i < len(v) {
			c := v[i]
			switch {
			case c == '"':
				quoted = !quoted
				sawAny, escaped = true, true
				trailingSpace = 0
				i++
			case c == '\\':
				if i+1 >= len(v) {
					return nil, nil, arraySyntax(s, "Unexpected end of input.")
				}
				sb.WriteByte(v[i+1])
				sawAny, escaped = true, true
				trailingSpace = 0
				i += 2
			case quoted:
				sb.WriteByte(c)
				i++
			case c == ',' || c == '}':
				break elem
			case c == '{':
				return nil, nil, arraySyntax(s, "Unexpected \"{\" character.")
			case c == ' ' || c == '\t' || c == '\n' || c == '\r':
				// Unquoted white space inside an element is kept, at its
				// end it is dropped.
				sb.WriteByte(c)
				trailingSpace++
				i++
			default:
				sb.WriteByte(c)
				sawAny = true
				trailingSpace = 0
				i++
			}
		}
		if quoted || i >= len(v) {
			return nil, nil, arraySyntax(s, "Unexpected end of input.")
		}
		text := sb.String()
		text = text[:len(text)-trailingSpace]
		if !sawAny {
			return nil, nil, arraySyntax(s, "Unexpected \""+string(v[i])+"\" character.")
		}
		isNull := !escaped && strings.EqualFold(text, "null")
		elems = append(elems, text)
		null = append(null, isNull)
		if v[i] == '}' {
			i++
			skip()
			if i != len(v) {
				return nil, nil, arraySyntax(s, "Junk after closing right brace.")
			}
			return elems, null, nil
		}
		i++ // ','
	}
}
