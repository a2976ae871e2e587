package binder

import (
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/basaltdb/basalt/sql/expr"
	"github.com/basaltdb/basalt/sql/session"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// This file binds the session and system information functions that
// clients and BI tools call on connect (version(), current_schema,
// current_setting, set_config, pg_backend_pid ...). Each has one value per
// statement, so it folds to a constant here, through Binder.Session.

// startTime is pg_postmaster_start_time(): when this process started
// serving.
var startTime = time.Now()

// xactCounter hands out txid_current() values. Basalt is read-only and has
// no transaction ids; clients use the value only as an opaque, increasing
// number.
var xactCounter atomic.Int64

func init() { xactCounter.Store(1000) }

// knownSchemas are the schemas that exist in every Basalt database.
var knownSchemas = map[string]bool{"public": true, "pg_catalog": true, "information_schema": true}

// versionString is version()'s text. Clients parse the leading
// "PostgreSQL 16.x" to decide which catalog queries to send.
func versionString(serverVersion string) string {
	arch := runtime.GOARCH
	switch arch {
	case "amd64":
		arch = "x86_64"
	case "arm64":
		arch = "aarch64"
	}
	return "PostgreSQL " + serverVersion + " on " + arch + "-pc-" + runtime.GOOS +
		"-gnu, compiled by " + runtime.Version() + ", 64-bit"
}

// searchPath returns the schemas of search_path that exist, in order
// (session.SearchPath); implicit adds pg_catalog in front when the path
// does not name it (current_schemas(true)). The system catalog knows which
// schemas exist; without one, those of every Basalt database.
func (b *Binder) searchPath(implicit bool) []string {
	sess := b.session()
	path, ok := sess.Setting("search_path")
	if !ok {
		path = `"$user", public`
	}
	exists := func(s string) bool { return knownSchemas[s] }
	if b.Sys != nil {
		exists = b.Sys.SchemaExists
	}
	return session.SearchPath(path, sess.User(), implicit, exists)
}

func (b *Binder) session() session.Info {
	if b.Session == nil {
		b.Session = session.NewEmbedded()
	}
	return b.Session
}

func textConst(s string) *expr.Const { return &expr.Const{Value: s, T: types.TextT} }

// nameConst is a value of type name: the session functions that return an
// identifier (current_user, current_database, current_schema ...) are
// typed name in PostgreSQL, and clients read the column's OID.
func nameConst(s string) *expr.Const { return &expr.Const{Value: s, T: types.NameT} }

// textArrayConst is an array of elem (text or name) values; the cast from
// its text form folds to a constant like any other literal cast, and
// ANY/subscripts see through it.
func textArrayConst(elems []string, elem types.T) expr.Expr {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, e := range elems {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('"')
		sb.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(e))
		sb.WriteByte('"')
	}
	sb.WriteByte('}')
	return &expr.Cast{Arg: textConst(sb.String()), T: types.ArrayOf(elem)}
}

// constArg returns the value of a constant argument: a literal, possibly
// cast. ok is false for anything computed per row.
func constArg(x expr.Expr) (v any, ok bool) {
	switch c := x.(type) {
	case *expr.Const:
		return c.Value, true
	case *expr.Param:
		// A parameter of a statement being described has no value yet;
		// as NULL it gives the function's result type.
		return nil, true
	case *paramRef:
		// Described: current_setting($1) takes text (constBoolArg
		// settles a flag's parameter as boolean first).
		c.settle(types.TextT)
		return nil, true
	case *expr.Cast:
		if in, ok := c.Arg.(*expr.Const); ok {
			if in.Value == nil {
				return nil, true
			}
			switch c.T.Kind {
			case types.Text:
				if s, ok := in.Value.(string); ok {
					return s, true
				}
			case types.Bool:
				if s, ok := in.Value.(string); ok {
					switch strings.ToLower(strings.TrimSpace(s)) {
					case "t", "true", "yes", "on", "1", "y":
						return true, true
					case "f", "false", "no", "off", "0", "n":
						return false, true
					}
				}
				if v, ok := in.Value.(bool); ok {
					return v, true
				}
			}
		}
	}
	return nil, false
}

func constTextArg(x expr.Expr, fn string) (s string, null bool, err error) {
	v, ok := constArg(x)
	if !ok {
		return "", false, sqlerr.New(sqlerr.FeatureNotSupported, "%s with a non-constant argument is not supported", fn)
	}
	if v == nil {
		return "", true, nil
	}
	s, ok = v.(string)
	if !ok {
		return "", false, sqlerr.New(sqlerr.UndefinedFunction, "function %s(%s) does not exist", fn, x.Type())
	}
	return s, false, nil
}

func constBoolArg(x expr.Expr, fn string) (v bool, null bool, err error) {
	if r, ok := x.(*paramRef); ok {
		r.settle(types.BoolT)
	}
	c, ok := constArg(x)
	if !ok {
		return false, false, sqlerr.New(sqlerr.FeatureNotSupported, "%s with a non-constant argument is not supported", fn)
	}
	if c == nil {
		return false, true, nil
	}
	v, ok = c.(bool)
	if !ok {
		if s, isStr := c.(string); isStr {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "t", "true", "yes", "on", "1", "y":
				return true, false, nil
			case "f", "false", "no", "off", "0", "n":
				return false, false, nil
			}
			return false, false, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type boolean: \"%s\"", s)
		}
		return false, false, sqlerr.New(sqlerr.UndefinedFunction, "function %s(%s) does not exist", fn, x.Type())
	}
	return v, false, nil
}

// sessionFunc binds the functions of this file; ok is false for other names.
func (b *Binder) sessionFunc(name string, n *ast.FuncCallExpr, ctx *exprCtx) (x expr.Expr, ok bool, err error) {
	switch name {
	case "version", "current_schema", "current_schemas", "current_database", "current_catalog",
		"current_user", "session_user", "user", "current_role", "current_setting", "set_config",
		"pg_backend_pid", "txid_current", "pg_current_xact_id", "inet_server_addr", "inet_server_port",
		"inet_client_addr", "inet_client_port", "pg_postmaster_start_time", "pg_conf_load_time",
		"pg_is_in_recovery", "pg_typeof", "current_query":
	default:
		return nil, false, nil
	}
	args := make([]expr.Expr, len(n.Args))
	for i, a := range n.Args {
		if args[i], err = b.bindExpr(a, ctx); err != nil {
			return nil, true, err
		}
	}
	arity := func(counts ...int) error {
		for _, c := range counts {
			if len(args) == c {
				return nil
			}
		}
		ts := make([]string, len(args))
		for i, a := range args {
			ts[i] = a.Type().String()
		}
		return &sqlerr.Error{Code: sqlerr.UndefinedFunction,
			Message: "function " + name + "(" + strings.Join(ts, ", ") + ") does not exist",
			Hint:    "No function matches the given name and argument types. You might need to add explicit type casts."}
	}
	sess := b.session()
	switch name {
	case "version":
		if err := arity(0); err != nil {
			return nil, true, err
		}
		v, ok := sess.Setting("server_version")
		if !ok {
			v = "16.4 (Basalt)"
		}
		return textConst(versionString(v)), true, nil
	case "current_schema":
		if err := arity(0); err != nil {
			return nil, true, err
		}
		if path := b.searchPath(false); len(path) > 0 {
			return nameConst(path[0]), true, nil
		}
		return &expr.Const{T: types.NameT}, true, nil
	case "current_schemas":
		if err := arity(1); err != nil {
			return nil, true, err
		}
		implicit, null, err := constBoolArg(args[0], name)
		if err != nil || null {
			return &expr.Const{T: types.ArrayOf(types.NameT)}, true, err
		}
		return textArrayConst(b.searchPath(implicit), types.NameT), true, nil
	case "current_database", "current_catalog":
		if err := arity(0); err != nil {
			return nil, true, err
		}
		return nameConst(sess.Database()), true, nil
	case "current_user", "session_user", "user", "current_role":
		if err := arity(0); err != nil {
			return nil, true, err
		}
		return nameConst(sess.User()), true, nil
	case "current_setting":
		if err := arity(1, 2); err != nil {
			return nil, true, err
		}
		setting, null, err := constTextArg(args[0], name)
		if err != nil {
			return nil, true, err
		}
		missingOK := false
		if len(args) == 2 {
			var nullFlag bool
			if missingOK, nullFlag, err = constBoolArg(args[1], name); err != nil {
				return nil, true, err
			}
			null = null || nullFlag
		}
		if null {
			return &expr.Const{T: types.TextT}, true, nil
		}
		v, found := sess.Setting(setting)
		if !found {
			if missingOK {
				return &expr.Const{T: types.TextT}, true, nil
			}
			return nil, true, sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter \"%s\"", setting)
		}
		return textConst(v), true, nil
	case "set_config":
		if err := arity(3); err != nil {
			return nil, true, err
		}
		setting, nullName, err := constTextArg(args[0], name)
		if err != nil {
			return nil, true, err
		}
		value, nullValue, err := constTextArg(args[1], name)
		if err != nil {
			return nil, true, err
		}
		local, _, err := constBoolArg(args[2], name)
		if err != nil {
			return nil, true, err
		}
		if b.describing() {
			// Parse binds a statement to describe it; the setting changes
			// only when it runs.
			return &expr.Const{T: types.TextT}, true, nil
		}
		if nullName {
			return nil, true, sqlerr.New(sqlerr.NullValueNotAllowed, "SET requires parameter name")
		}
		if nullValue {
			return nil, true, sqlerr.New(sqlerr.FeatureNotSupported, "set_config with a NULL value is not supported; use RESET")
		}
		v, err := sess.SetSetting(setting, value, local)
		if err != nil {
			return nil, true, err
		}
		return textConst(v), true, nil
	case "pg_backend_pid":
		if err := arity(0); err != nil {
			return nil, true, err
		}
		return &expr.Const{Value: int64(sess.BackendPID()), T: types.Int32T}, true, nil
	case "txid_current", "pg_current_xact_id":
		if err := arity(0); err != nil {
			return nil, true, err
		}
		return &expr.Const{Value: xactCounter.Add(1), T: types.Int64T}, true, nil
	case "inet_server_addr", "inet_client_addr":
		// NULL, as PostgreSQL answers over a Unix socket: Basalt has no inet
		// type to carry an address in.
		if err := arity(0); err != nil {
			return nil, true, err
		}
		return &expr.Const{T: types.TextT}, true, nil
	case "inet_server_port", "inet_client_port":
		if err := arity(0); err != nil {
			return nil, true, err
		}
		return &expr.Const{T: types.Int32T}, true, nil
	case "pg_postmaster_start_time", "pg_conf_load_time":
		if err := arity(0); err != nil {
			return nil, true, err
		}
		return &expr.Const{Value: startTime.UnixMicro(), T: types.TimestampTZT}, true, nil
	case "pg_is_in_recovery":
		if err := arity(0); err != nil {
			return nil, true, err
		}
		return &expr.Const{Value: false, T: types.BoolT}, true, nil
	case "pg_typeof":
		// The argument's type as regtype (its OID, shown by name).
		if err := arity(1); err != nil {
			return nil, true, err
		}
		return &expr.Const{Value: int64(args[0].Type().OID()), T: types.RegTypeT}, true, nil
	case "current_query":
		if err := arity(0); err != nil {
			return nil, true, err
		}
		if b.Query == "" {
			return &expr.Const{T: types.TextT}, true, nil
		}
		return textConst(b.Query), true, nil
	}
	return nil, false, nil
}
