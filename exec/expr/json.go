package expr

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/pgjson"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// json and jsonb are text in batches (types.Json, types.Jsonb): json as
// written, jsonb in its normalized output form. Casting text to either runs
// the type's input function; the builders below write json text with
// PostgreSQL's spacing and let jsonb normalize it.

// needsJSONInput reports whether a cast from -> to must run json's or
// jsonb's input function (jsonb's text is already valid json).
func needsJSONInput(from, to types.T) bool {
	if !to.IsJSON() || from.Kind == to.Kind && from.Variant == to.Variant {
		return false
	}
	return !(from.Variant == types.Jsonb && to.Variant == types.Json)
}

// castToJSON validates (json) or normalizes (jsonb) every text of a.
func castToJSON(alloc memory.Allocator, a arrow.Array, from, to types.T) (arrow.Array, error) {
	s, ok := a.(*array.String)
	if !ok {
		return nil, sqlerr.New(sqlerr.CannotCoerce, "cannot cast type %s to %s", from, to)
	}
	bld := array.NewStringBuilder(alloc)
	defer bld.Release()
	bld.Reserve(s.Len())
	for i := 0; i < s.Len(); i++ {
		if s.IsNull(i) {
			bld.AppendNull()
			continue
		}
		v := s.Value(i)
		if to.Variant == types.Jsonb {
			norm, err := pgjson.NormalizeJsonb(v)
			if err != nil {
				return nil, err
			}
			bld.Append(norm)
			continue
		}
		if err := pgjson.Validate(v, "json"); err != nil {
			return nil, err
		}
		bld.Append(v)
	}
	return bld.NewArray(), nil
}

// appendJSON appends value i of a (of type t) as json, as PostgreSQL's
// datum_to_json does: numbers and booleans bare (non-finite floats quoted),
// json and jsonb as they are, arrays as [a,b] with their elements
// converted, dates and timestamps in ISO 8601 with a T, everything else as
// its text output in a JSON string.
func appendJSON(dst []byte, a arrow.Array, i int, t types.T) []byte {
	if a.IsNull(i) {
		return append(dst, "null"...)
	}
	switch {
	case t.IsJSON():
		return append(dst, a.(*array.String).Value(i)...)
	case t.Kind == types.Array:
		l := a.(*array.List)
		s, e := l.ValueOffsets(i)
		vals := l.ListValues()
		et := t.ElemType()
		dst = append(dst, '[')
		for j := int(s); j < int(e); j++ {
			if j > int(s) {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, vals, j, et)
		}
		return append(dst, ']')
	case t.Kind == types.Bool:
		if a.(*array.Boolean).Value(i) {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case t.Variant == types.NoVariant && (t.IsInteger() || t.Kind == types.Numeric):
		return pgtext.AppendValue(dst, a, i, t)
	case t.IsFloat():
		start := len(dst)
		dst = pgtext.AppendValue(dst, a, i, t)
		if pgjson.IsNumber(string(dst[start:])) {
			return dst
		}
		txt := string(dst[start:])
		return pgjson.Quote(dst[:start], txt)
	case t.Kind == types.Timestamp || t.Kind == types.TimestampTZ:
		// XSD form: 2024-01-02T03:04:05[.ffffff][+00:00]; the infinities
		// stay words.
		txt := pgtext.AppendValue(nil, a, i, t)
		if k := bytes.IndexByte(txt, ' '); k > 0 && !bytes.HasSuffix(txt, []byte("infinity")) {
			txt[k] = 'T'
		}
		if t.Kind == types.TimestampTZ {
			if k := bytes.Index(txt, []byte("+00")); k > 0 {
				txt = append(txt[:k:k], append([]byte("+00:00"), txt[k+3:]...)...)
			}
		}
		return pgjson.Quote(dst, string(txt))
	}
	return pgjson.Quote(dst, string(pgtext.AppendValue(nil, a, i, t)))
}

// compileJSONFunc builds the json constructors.
func compileJSONFunc(fn string, args []node, t types.T) (node, bool, error) {
	argT := make([]types.T, len(args))
	for k, a := range args {
		argT[k] = a.typ()
	}
	jsonb := t.Variant == types.Jsonb
	row := func(strict bool, build func(a rowArgs, i int, dst []byte) ([]byte, error)) (node, bool, error) {
		var buf []byte
		return &rowNode{fn: fn, args: args, t: t, strict: strict, fails: true, f: func(a rowArgs, i int, bld array.Builder) error {
			var err error
			if buf, err = build(a, i, buf[:0]); err != nil {
				return err
			}
			return appendJSONResult(bld, buf, jsonb)
		}}, true, nil
	}
	switch fn {
	case "json_build_object", "jsonb_build_object":
		if len(args)%2 != 0 {
			return nil, true, oddBuildObject(fn)
		}
		return row(false, func(a rowArgs, i int, dst []byte) ([]byte, error) {
			dst = append(dst, '{')
			for k := 0; k < len(args); k += 2 {
				if k > 0 {
					dst = append(dst, ", "...)
				}
				if a.null(k, i) {
					return nil, &sqlerr.Error{Code: sqlerr.InvalidParameterValue, Message: fmt.Sprintf("argument %d cannot be null", k+1),
						Hint: "Object keys should be text."}
				}
				kt := argT[k]
				if kt.Kind == types.Array || kt.IsJSON() {
					return nil, sqlerr.New(sqlerr.InvalidParameterValue, "key value must be scalar, not array, composite, or json")
				}
				// A key is always a string: a number's or boolean's json
				// text is quoted too.
				if kj := appendJSON(nil, a.arrs[k], i, kt); len(kj) > 0 && kj[0] == '"' {
					dst = append(dst, kj...)
				} else {
					dst = pgjson.Quote(dst, string(kj))
				}
				dst = append(dst, " : "...)
				dst = appendJSON(dst, a.arrs[k+1], i, argT[k+1])
			}
			return append(dst, '}'), nil
		})
	case "json_build_array", "jsonb_build_array":
		return row(false, func(a rowArgs, i int, dst []byte) ([]byte, error) {
			dst = append(dst, '[')
			for k := range args {
				if k > 0 {
					dst = append(dst, ", "...)
				}
				dst = appendJSON(dst, a.arrs[k], i, argT[k])
			}
			return append(dst, ']'), nil
		})
	case "json_object_field", "json_object_field_text", "json_array_element", "json_array_element_text",
		"jsonb_object_field", "jsonb_object_field_text", "jsonb_array_element", "jsonb_array_element_text":
		asText := t.Kind == types.Text && t.Variant == types.NoVariant
		field := strings.Contains(fn, "_object_field")
		typ := "json"
		if strings.HasPrefix(fn, "jsonb") {
			typ = "jsonb"
		}
		return &rowNode{fn: fn, args: args, t: t, strict: true, fails: true, f: func(a rowArgs, i int, bld array.Builder) error {
			doc, err := pgjson.Parse(a.str(0, i), typ)
			if err != nil {
				return err
			}
			var v pgjson.Value
			var ok bool
			if field {
				v, ok = pgjson.Field(doc, a.str(1, i))
			} else {
				v, ok = pgjson.Element(doc, a.i64(1, i))
			}
			switch {
			case !ok, asText && v.Kind == pgjson.Null:
				bld.AppendNull()
			case asText && v.Kind == pgjson.String:
				appendText(bld, v.Str)
			default:
				appendText(bld, v.Raw)
			}
			return nil
		}}, true, nil
	case "to_json", "to_jsonb":
		return row(true, func(a rowArgs, i int, dst []byte) ([]byte, error) {
			return appendJSON(dst, a.arrs[0], i, argT[0]), nil
		})
	}
	return nil, false, nil
}

// appendJSONResult appends a built json text, normalized for jsonb.
func appendJSONResult(bld array.Builder, js []byte, jsonb bool) error {
	if !jsonb {
		bld.(*array.StringBuilder).BinaryBuilder.Append(js)
		return nil
	}
	norm, err := pgjson.NormalizeJsonb(string(js))
	if err != nil {
		return err
	}
	bld.(*array.StringBuilder).Append(norm)
	return nil
}

func oddBuildObject(fn string) error {
	return &sqlerr.Error{Code: sqlerr.InvalidParameterValue, Message: "argument list must have even number of elements",
		Hint: "The arguments of " + fn + "() must consist of alternating keys and values."}
}
