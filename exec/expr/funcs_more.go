package expr

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// compileMoreFunc builds the kernels of the library functions issue 3
// added: regular expressions, text arrays, quoting and format, the rarer
// math functions, and date/time constructors and formatting.
func compileMoreFunc(fn string, args []node, t types.T) (node, bool, error) {
	row := func(strict, fails bool, f func(a rowArgs, i int, bld array.Builder) error) (node, bool, error) {
		return &rowNode{fn: fn, args: args, t: t, strict: strict, fails: fails, f: f}, true, nil
	}
	nargs := len(args)
	argT := make([]types.T, nargs)
	for k, a := range args {
		argT[k] = a.typ()
	}
	if n, ok, err := compileJSONFunc(fn, args, t); ok || err != nil {
		return n, ok, err
	}
	switch fn {
	case "~", "~*", "!~", "!~*", "regexp_like":
		icase := fn == "~*" || fn == "!~*"
		neg := strings.HasPrefix(fn, "!")
		cache := &regexCache{}
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			ic := icase
			if nargs == 3 {
				_, fi, err := regexFlags(fn, a.str(2, i))
				if err != nil {
					return err
				}
				ic = fi
			}
			re, err := cache.get(a.str(1, i), ic)
			if err != nil {
				return err
			}
			bld.(*array.BooleanBuilder).Append(re.MatchString(a.str(0, i)) != neg)
			return nil
		})
	case "substring_regex":
		cache := &regexCache{}
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			re, err := cache.get(a.str(1, i), false)
			if err != nil {
				return err
			}
			s := a.str(0, i)
			m := re.FindStringSubmatchIndex(s)
			switch {
			case m == nil:
				bld.AppendNull()
			case len(m) > 2:
				// With a parenthesised group, the first group is returned.
				if m[2] < 0 {
					bld.AppendNull()
				} else {
					appendText(bld, s[m[2]:m[3]])
				}
			default:
				appendText(bld, s[m[0]:m[1]])
			}
			return nil
		})
	case "regexp_replace":
		cache := &regexCache{}
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			global, icase := false, false
			if nargs == 4 {
				var err error
				if global, icase, err = regexFlags(fn, a.str(3, i)); err != nil {
					return err
				}
			}
			re, err := cache.get(a.str(1, i), icase)
			if err != nil {
				return err
			}
			s, rep := a.str(0, i), a.str(2, i)
			limit := 1
			if global {
				limit = -1
			}
			ms := re.FindAllStringSubmatchIndex(s, limit)
			if len(ms) == 0 {
				appendText(bld, s)
				return nil
			}
			out := make([]byte, 0, len(s)+len(rep))
			last := 0
			for _, m := range ms {
				out = append(out, s[last:m[0]]...)
				out = expandReplacement(out, rep, s, m)
				last = m[1]
			}
			out = append(out, s[last:]...)
			appendText(bld, string(out))
			return nil
		})
	case "regexp_match":
		cache := &regexCache{}
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			icase := false
			if nargs == 3 {
				var err error
				if _, icase, err = regexFlags(fn, a.str(2, i)); err != nil {
					return err
				}
			}
			re, err := cache.get(a.str(1, i), icase)
			if err != nil {
				return err
			}
			s := a.str(0, i)
			m := re.FindStringSubmatchIndex(s)
			if m == nil {
				bld.AppendNull()
				return nil
			}
			if len(m) == 2 {
				appendTextList(bld, []string{s[m[0]:m[1]]}, nil)
				return nil
			}
			g := len(m)/2 - 1
			vals, nulls := make([]string, g), make([]bool, g)
			for k := 1; k <= g; k++ {
				if m[2*k] < 0 {
					nulls[k-1] = true
					continue
				}
				vals[k-1] = s[m[2*k]:m[2*k+1]]
			}
			appendTextList(bld, vals, nulls)
			return nil
		})
	case "string_to_array":
		return row(false, false, func(a rowArgs, i int, bld array.Builder) error {
			if a.null(0, i) {
				bld.AppendNull()
				return nil
			}
			s := a.str(0, i)
			var parts []string
			switch {
			case s == "":
				parts = nil
			case a.null(1, i):
				// A NULL delimiter splits into characters.
				for _, r := range s {
					parts = append(parts, string(r))
				}
			case a.str(1, i) == "":
				parts = []string{s}
			default:
				parts = strings.Split(s, a.str(1, i))
			}
			var nulls []bool
			if nargs == 3 && !a.null(2, i) {
				ns := a.str(2, i)
				nulls = make([]bool, len(parts))
				for k, p := range parts {
					nulls[k] = p == ns
				}
			}
			appendTextList(bld, parts, nulls)
			return nil
		})
	case "array_to_string":
		elem := argT[0].ElemType()
		return row(false, false, func(a rowArgs, i int, bld array.Builder) error {
			if a.null(0, i) || a.null(1, i) {
				bld.AppendNull()
				return nil
			}
			vals, nulls := a.list(0, i, elem)
			sep := a.str(1, i)
			hasNull := nargs == 3 && !a.null(2, i)
			var sb strings.Builder
			first := true
			for k, v := range vals {
				if nulls[k] {
					if !hasNull {
						continue
					}
					v = a.str(2, i)
				}
				if !first {
					sb.WriteString(sep)
				}
				first = false
				sb.WriteString(v)
			}
			appendText(bld, sb.String())
			return nil
		})
	case "ascii":
		return row(true, false, func(a rowArgs, i int, bld array.Builder) error {
			s := a.str(0, i)
			v := int32(0)
			for _, r := range s {
				v = r
				break
			}
			bld.(*array.Int32Builder).Append(v)
			return nil
		})
	case "chr":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			c := a.i64(0, i)
			switch {
			case c == 0:
				return sqlerr.New(codeProgramLimit, "null character not permitted")
			case c < 0 || c > 0x10FFFF || c >= 0xD800 && c <= 0xDFFF:
				return sqlerr.New(codeProgramLimit, "requested character too large for encoding: %d", c)
			}
			appendText(bld, string(rune(c)))
			return nil
		})
	case "quote_ident":
		return row(true, false, func(a rowArgs, i int, bld array.Builder) error {
			appendText(bld, quoteIdent(a.str(0, i)))
			return nil
		})
	case "quote_literal":
		return row(true, false, func(a rowArgs, i int, bld array.Builder) error {
			appendText(bld, quoteLiteral(a.str(0, i)))
			return nil
		})
	case "quote_nullable":
		return row(false, false, func(a rowArgs, i int, bld array.Builder) error {
			if a.null(0, i) {
				appendText(bld, "NULL")
			} else {
				appendText(bld, quoteLiteral(a.str(0, i)))
			}
			return nil
		})
	case "format":
		return row(false, true, func(a rowArgs, i int, bld array.Builder) error {
			if a.null(0, i) {
				bld.AppendNull()
				return nil
			}
			s, err := pgFormat(a, i, argT)
			if err != nil {
				return err
			}
			appendText(bld, s)
			return nil
		})
	case "encode":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			v := a.arrs[0].(*array.Binary).Value(i)
			switch strings.ToLower(a.str(1, i)) {
			case "hex":
				appendText(bld, hex.EncodeToString(v))
			case "base64":
				appendText(bld, base64.StdEncoding.EncodeToString(v))
			case "escape":
				var sb strings.Builder
				for _, c := range v {
					switch {
					case c == '\\':
						sb.WriteString(`\\`)
					case c == 0 || c >= 0x80:
						sb.WriteString(`\` + string('0'+c>>6) + string('0'+(c>>3)&7) + string('0'+c&7))
					default:
						sb.WriteByte(c)
					}
				}
				appendText(bld, sb.String())
			default:
				return sqlerr.New(sqlerr.InvalidParameterValue, "unrecognized encoding: \"%s\"", a.str(1, i))
			}
			return nil
		})
	case "decode":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			s := a.str(0, i)
			var v []byte
			var err error
			switch strings.ToLower(a.str(1, i)) {
			case "hex":
				v, err = hex.DecodeString(s)
				if err != nil {
					return sqlerr.New(sqlerr.InvalidParameterValue, "invalid hexadecimal data")
				}
			case "base64":
				v, err = base64.StdEncoding.DecodeString(s)
				if err != nil {
					return sqlerr.New(sqlerr.InvalidParameterValue, "invalid base64 end sequence")
				}
			case "escape":
				if v, err = pgtext.ParseBytea(s); err != nil {
					return err
				}
			default:
				return sqlerr.New(sqlerr.InvalidParameterValue, "unrecognized encoding: \"%s\"", a.str(1, i))
			}
			bld.(*array.BinaryBuilder).Append(v)
			return nil
		})
	case "cot":
		return &floatFnNode{fn: fn, args: args, f1: func(x float64) (float64, error) {
			return checkFloat(1/math.Tan(x), x)
		}}, true, nil
	case "width_bucket":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			var op, lo, hi float64
			if argT[0].Kind == types.Numeric {
				op, lo, hi = decArg(a, 0, i), decArg(a, 1, i), decArg(a, 2, i)
			} else {
				op, lo, hi = a.f64(0, i), a.f64(1, i), a.f64(2, i)
			}
			v, err := widthBucket(op, lo, hi, a.i64(3, i))
			if err != nil {
				return err
			}
			bld.(*array.Int32Builder).Append(v)
			return nil
		})
	case "gcd", "lcm":
		if t.Kind == types.Numeric {
			return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
				x, y := decOf(a, 0, i), decOf(a, 1, i)
				g := gcdDec(x, y)
				r := g
				if fn == "lcm" {
					if x == (decimal128.Num{}) || y == (decimal128.Num{}) {
						r = decimal128.Num{}
					} else {
						// x/g is a plain integer, so (x/g)*y keeps y's scale.
						q, _ := x.Abs().Div(g)
						p, ok := decMul(q, y.Abs())
						if !ok || !p.FitsInPrecision(types.MaxNumericPrecision) {
							return pgtext.NumericOverflow()
						}
						r = p
					}
				}
				bld.(*array.Decimal128Builder).Append(r)
				return nil
			})
		}
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			x, y := a.i64(0, i), a.i64(1, i)
			minV := int64(math.MinInt32)
			if t.Kind == types.Int64 {
				minV = math.MinInt64
			}
			var r int64
			if fn == "gcd" {
				if x == minV && (y == 0 || y == minV) || y == minV && x == 0 {
					return outOfRange(t)
				}
				r = gcdInt(x, y)
			} else {
				if x == 0 || y == 0 {
					r = 0
				} else {
					g := gcdInt(x, y)
					q := x / g
					p := q * y
					if p/y != q || p == math.MinInt64 {
						return outOfRange(t)
					}
					if p < 0 {
						p = -p
					}
					if t.Kind == types.Int32 && p > math.MaxInt32 {
						return outOfRange(t)
					}
					r = p
				}
			}
			if t.Kind == types.Int32 {
				bld.(*array.Int32Builder).Append(int32(r))
			} else {
				bld.(*array.Int64Builder).Append(r)
			}
			return nil
		})
	case "factorial":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			k := a.i64(0, i)
			if k < 0 {
				return sqlerr.New(sqlerr.NumericValueOutOfRange, "factorial of a negative number is undefined")
			}
			r := decimal128.FromI64(1)
			for j := int64(2); j <= k; j++ {
				var ok bool
				if r, ok = decMul(r, decimal128.FromI64(j)); !ok || !r.FitsInPrecision(types.MaxNumericPrecision) {
					return pgtext.NumericOverflow()
				}
			}
			bld.(*array.Decimal128Builder).Append(r)
			return nil
		})
	case "div":
		return row(true, true, func(a rowArgs, i int, bld array.Builder) error {
			x, y := decOf(a, 0, i), decOf(a, 1, i)
			if y == (decimal128.Num{}) {
				return divisionByZero()
			}
			// Both sides share one scale, so the quotient of the raw
			// values is the truncated quotient.
			q, _ := x.Div(y)
			bld.(*array.Decimal128Builder).Append(q)
			return nil
		})
	}
	if n, ok, err := compileDateMore(fn, args, argT, t); ok || err != nil {
		return n, ok, err
	}
	return nil, false, nil
}

func decOf(a rowArgs, k, i int) decimal128.Num { return a.arrs[k].(*array.Decimal128).Value(i) }

func decArg(a rowArgs, k, i int) float64 {
	return decToFloat(decOf(a, k, i), decScale(a.arrs[k]))
}

func gcdInt(x, y int64) int64 {
	// Work on magnitudes in uint64 so MinInt64 does not overflow midway.
	ux, uy := uint64(x), uint64(y)
	if x < 0 {
		ux = uint64(-x)
	}
	if y < 0 {
		uy = uint64(-y)
	}
	for uy != 0 {
		ux, uy = uy, ux%uy
	}
	return int64(ux)
}

func gcdDec(x, y decimal128.Num) decimal128.Num {
	x, y = x.Abs(), y.Abs()
	for y != (decimal128.Num{}) {
		_, r := x.Div(y)
		x, y = y, r
	}
	return x
}

const codeWidthBucket = "2201G"

func widthBucket(op, lo, hi float64, count int64) (int32, error) {
	if count <= 0 {
		return 0, sqlerr.New(codeWidthBucket, "count must be greater than zero")
	}
	if lo == hi {
		return 0, sqlerr.New(codeWidthBucket, "lower bound cannot equal upper bound")
	}
	if math.IsNaN(op) || math.IsNaN(lo) || math.IsNaN(hi) {
		return 0, sqlerr.New(codeWidthBucket, "operand, lower bound, and upper bound cannot be NaN")
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, sqlerr.New(codeWidthBucket, "lower and upper bounds must be finite")
	}
	var r int64
	if lo < hi {
		switch {
		case op < lo:
			r = 0
		case op >= hi:
			r = count + 1
		default:
			r = int64(float64(count)*((op-lo)/(hi-lo))) + 1
		}
	} else {
		switch {
		case op > lo:
			r = 0
		case op <= hi:
			r = count + 1
		default:
			r = int64(float64(count)*((lo-op)/(lo-hi))) + 1
		}
	}
	if r > math.MaxInt32 {
		return 0, sqlerr.New(sqlerr.NumericValueOutOfRange, "integer out of range")
	}
	return int32(min(r, count+1)), nil
}
