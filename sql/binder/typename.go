package binder

import (
	"strconv"
	"strings"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// ParseTypeName reads a PostgreSQL type name as written in a cast
// ("numeric(10,2)", "double precision", "varchar(25)", "timestamptz"...).
func ParseTypeName(s string) (types.T, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if strings.HasSuffix(name, "[]") || strings.HasPrefix(name, "_") {
		elem := strings.TrimSuffix(name, "[]")
		if strings.HasPrefix(name, "_") {
			elem = name[1:]
		}
		e, err := ParseTypeName(elem)
		if err != nil {
			return types.T{}, err
		}
		if e.Kind == types.Array {
			return types.T{}, sqlerr.New(sqlerr.FeatureNotSupported, "multidimensional arrays are not supported")
		}
		return types.ArrayOf(e), nil
	}
	name = strings.TrimPrefix(name, "pg_catalog.")
	var args []int32
	if i := strings.IndexByte(name, '('); i >= 0 {
		j := strings.LastIndexByte(name, ')')
		if j < i {
			return types.T{}, sqlerr.New(sqlerr.SyntaxError, "syntax error in type name %q", s)
		}
		for _, a := range strings.Split(name[i+1:j], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(a))
			if err != nil {
				return types.T{}, sqlerr.New(sqlerr.SyntaxError, "invalid type modifier in %q", s)
			}
			args = append(args, int32(n))
		}
		name = strings.TrimSpace(name[:i] + name[j+1:])
	}
	name = strings.Join(strings.Fields(name), " ")
	switch name {
	case "bool", "boolean":
		return types.BoolT, nil
	case "int2", "smallint":
		return types.Int16T, nil
	case "int", "int4", "integer", "serial":
		return types.Int32T, nil
	case "int8", "bigint", "bigserial":
		return types.Int64T, nil
	case "real", "float4":
		return types.Float32T, nil
	case "float", "float8", "double precision", "double":
		if name == "float" && len(args) == 1 && args[0] <= 24 {
			return types.Float32T, nil
		}
		return types.Float64T, nil
	case "numeric", "decimal", "dec":
		switch len(args) {
		case 0:
			return types.NumericT(0, 0), nil
		case 1, 2:
			p := args[0]
			var sc int32
			if len(args) == 2 {
				sc = args[1]
			}
			if p < 1 || p > types.MaxNumericPrecision {
				return types.T{}, sqlerr.New(sqlerr.InvalidParameterValue, "NUMERIC precision %d must be between 1 and %d", p, types.MaxNumericPrecision)
			}
			if sc < 0 || sc > p {
				return types.T{}, sqlerr.New(sqlerr.InvalidParameterValue, "NUMERIC scale %d must be between 0 and precision %d", sc, p)
			}
			return types.NumericT(p, sc), nil
		}
	case "text", "string":
		return types.TextT, nil
	case "varchar", "character varying", "char", "character", "bpchar":
		t := types.VarcharT
		if name != "varchar" && name != "character varying" {
			t = types.BpcharT
		}
		switch {
		case len(args) > 1:
			return types.T{}, sqlerr.New(sqlerr.SyntaxError, "invalid type modifier in %q", s)
		case len(args) == 1:
			kind := "varchar"
			if t.Variant == types.Bpchar {
				kind = "char"
			}
			if args[0] < 1 {
				return types.T{}, sqlerr.New(sqlerr.InvalidParameterValue, "length for type %s must be at least 1", kind)
			}
			if args[0] > 10485760 {
				return types.T{}, sqlerr.New(sqlerr.InvalidParameterValue, "length for type %s cannot exceed 10485760", kind)
			}
			t.Precision = args[0]
		case name == "char" || name == "character":
			// char without a length is char(1).
			t.Precision = 1
		}
		return t, nil
	case "name":
		return types.NameT, nil
	case `"char"`:
		return types.CharT, nil
	case "oid":
		return types.OidT, nil
	case "xid":
		return types.XidT, nil
	case "regclass":
		return types.RegClassT, nil
	case "regtype":
		return types.RegTypeT, nil
	case "regproc":
		return types.RegProcT, nil
	case "regprocedure":
		return types.RegProcedureT, nil
	case "regnamespace":
		return types.RegNamespaceT, nil
	case "regrole":
		return types.RegRoleT, nil
	case "int2vector":
		return types.Int2VectorT, nil
	case "oidvector":
		return types.OidVectorT, nil
	case "pg_node_tree":
		return types.PgNodeTreeT, nil
	case "json":
		return types.JsonT, nil
	case "jsonb":
		return types.JsonbT, nil
	case "bytea":
		return types.ByteaT, nil
	case "date":
		return types.DateT, nil
	case "time", "time without time zone":
		return types.TimeT, nil
	case "timestamp", "timestamp without time zone":
		return types.TimestampT, nil
	case "timestamptz", "timestamp with time zone":
		return types.TimestampTZT, nil
	case "interval":
		return types.IntervalT, nil
	}
	return types.T{}, sqlerr.New(sqlerr.UndefinedObject, "type %q does not exist", strings.TrimSpace(s))
}

// pgTypeName is the short name PostgreSQL uses as a cast's column name.
func pgTypeName(t types.T) string {
	if t.Variant == types.Char {
		return "char"
	}
	if t.Variant != types.NoVariant {
		return t.String()
	}
	switch t.Kind {
	case types.Bool:
		return "bool"
	case types.Int16:
		return "int2"
	case types.Int32:
		return "int4"
	case types.Int64:
		return "int8"
	case types.Float32:
		return "float4"
	case types.Float64:
		return "float8"
	case types.Numeric:
		return "numeric"
	case types.Text:
		return "text"
	case types.Date:
		return "date"
	case types.Timestamp:
		return "timestamp"
	case types.TimestampTZ:
		return "timestamptz"
	case types.Interval:
		return "interval"
	case types.Time:
		return "time"
	}
	return t.String()
}
