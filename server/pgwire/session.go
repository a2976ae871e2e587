package pgwire

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// param is one run-time parameter a session can SHOW (and maybe SET).
type param struct {
	name     string // canonical spelling, as SHOW names its column
	def      string
	report   bool // sent as ParameterStatus at startup and when it changes
	readOnly bool
	desc     string
	// check validates and normalises a value; nil accepts any value.
	check func(v string) (string, error)
}

func oneOf(name string, allowed ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				return a, nil
			}
		}
		return "", sqlerr.New(sqlerr.InvalidParameterValue, "invalid value for parameter \"%s\": \"%s\"", name, v)
	}
}

func boolParam(name string) func(string) (string, error) {
	return func(v string) (string, error) {
		switch strings.ToLower(v) {
		case "on", "true", "yes", "1", "t", "y":
			return "on", nil
		case "off", "false", "no", "0", "f", "n":
			return "off", nil
		}
		return "", sqlerr.New(sqlerr.InvalidParameterValue, "parameter \"%s\" requires a Boolean value", name)
	}
}

func intParam(name string, lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return "", sqlerr.New(sqlerr.InvalidParameterValue, "invalid value for parameter \"%s\": \"%s\"", name, v)
		}
		if n < lo || n > hi {
			return "", sqlerr.New(sqlerr.InvalidParameterValue, "%d is outside the valid range for parameter \"%s\" (%d .. %d)", n, name, lo, hi)
		}
		return strconv.Itoa(n), nil
	}
}

// durationParam accepts milliseconds or a number with a unit (ms, s, min,
// h, d) and shows the value as PostgreSQL does, in the largest exact unit.
func durationParam(name string) func(string) (string, error) {
	return func(v string) (string, error) {
		ms, err := parseDurationMS(v)
		if err != nil {
			return "", sqlerr.New(sqlerr.InvalidParameterValue, "invalid value for parameter \"%s\": \"%s\"", name, v)
		}
		return formatDurationMS(ms), nil
	}
}

func parseDurationMS(v string) (int64, error) {
	v = strings.TrimSpace(strings.ToLower(v))
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	f, err := strconv.ParseFloat(v[:i], 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("bad duration %q", v)
	}
	mult := map[string]float64{"": 1, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}[strings.TrimSpace(v[i:])]
	if mult == 0 {
		return 0, fmt.Errorf("bad duration unit %q", v)
	}
	ms := f * mult
	if ms > float64(1<<31-1) {
		return 0, fmt.Errorf("duration out of range")
	}
	return int64(ms + 0.5), nil
}

func formatDurationMS(ms int64) string {
	switch {
	case ms == 0:
		return "0"
	case ms%86400000 == 0:
		return strconv.FormatInt(ms/86400000, 10) + "d"
	case ms%3600000 == 0:
		return strconv.FormatInt(ms/3600000, 10) + "h"
	case ms%60000 == 0:
		return strconv.FormatInt(ms/60000, 10) + "min"
	case ms%1000 == 0:
		return strconv.FormatInt(ms/1000, 10) + "s"
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// params are the settings Basalt knows. Those whose value changes output
// accept only what the engine honours (DateStyle ISO, IntervalStyle
// postgres, UTF8); the others are stored and shown back, as clients set
// them on connect and expect them to stick.
var params = func() map[string]*param {
	list := []*param{
		{name: "server_version", def: "16.4 (Basalt)", report: true, readOnly: true, desc: "Shows the server version."},
		{name: "server_version_num", def: "160004", readOnly: true, desc: "Shows the server version as an integer."},
		{name: "server_encoding", def: "UTF8", report: true, readOnly: true, desc: "Shows the server (database) character set encoding."},
		{name: "client_encoding", def: "UTF8", report: true, desc: "Sets the client's character set encoding.", check: func(v string) (string, error) {
			switch strings.ToUpper(strings.ReplaceAll(v, "-", "")) {
			case "UTF8", "UNICODE":
				return "UTF8", nil
			}
			return "", sqlerr.New(sqlerr.FeatureNotSupported, "client encoding \"%s\" is not supported: Basalt speaks UTF8 only", v)
		}},
		{name: "DateStyle", def: "ISO, MDY", report: true, desc: "Sets the display format for date and time values.", check: func(v string) (string, error) {
			u := strings.ToUpper(v)
			if strings.Contains(u, "ISO") && !strings.Contains(u, "DMY") && !strings.Contains(u, "YMD") {
				return "ISO, MDY", nil
			}
			return "", sqlerr.New(sqlerr.InvalidParameterValue, "invalid value for parameter \"DateStyle\": \"%s\" (Basalt supports ISO, MDY only)", v)
		}},
		{name: "IntervalStyle", def: "postgres", report: true, desc: "Sets the display format for interval values.", check: oneOf("IntervalStyle", "postgres")},
		{name: "TimeZone", def: "UTC", report: true, desc: "Sets the time zone for displaying and interpreting time stamps."},
		{name: "integer_datetimes", def: "on", report: true, readOnly: true, desc: "Shows whether datetimes are integer based."},
		{name: "standard_conforming_strings", def: "on", report: true, desc: "Causes '...' strings to treat backslashes literally.", check: oneOf("standard_conforming_strings", "on")},
		{name: "application_name", def: "", report: true, desc: "Sets the application name to be reported in statistics and logs."},
		{name: "is_superuser", def: "off", report: true, readOnly: true, desc: "Shows whether the current user is a superuser."},
		{name: "session_authorization", def: "", report: true, readOnly: true, desc: "Sets the session user name."},
		{name: "in_hot_standby", def: "off", report: true, readOnly: true, desc: "Shows whether hot standby is currently active."},
		{name: "default_transaction_read_only", def: "off", report: true, desc: "Sets the default read-only status of new transactions.", check: boolParam("default_transaction_read_only")},
		{name: "transaction_read_only", def: "off", desc: "Sets the current transaction's read-only status.", check: boolParam("transaction_read_only")},
		{name: "statement_timeout", def: "0", desc: "Sets the maximum allowed duration of any statement.", check: durationParam("statement_timeout")},
		{name: "lock_timeout", def: "0", desc: "Sets the maximum allowed duration of any wait for a lock.", check: durationParam("lock_timeout")},
		{name: "idle_in_transaction_session_timeout", def: "0", desc: "Sets the maximum allowed idle time between queries, when in a transaction.", check: durationParam("idle_in_transaction_session_timeout")},
		{name: "idle_session_timeout", def: "0", desc: "Sets the maximum allowed idle time between queries, when not in a transaction.", check: durationParam("idle_session_timeout")},
		{name: "extra_float_digits", def: "1", desc: "Sets the number of digits displayed for floating-point values.", check: intParam("extra_float_digits", -15, 3)},
		{name: "search_path", def: `"$user", public`, desc: "Sets the schema search order for names that are not schema-qualified."},
		{name: "client_min_messages", def: "notice", desc: "Sets the message levels that are sent to the client.", check: oneOf("client_min_messages", "debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error")},
		{name: "default_transaction_isolation", def: "read committed", desc: "Sets the transaction isolation level of each new transaction.", check: oneOf("default_transaction_isolation", "serializable", "repeatable read", "read committed", "read uncommitted")},
		{name: "transaction_isolation", def: "read committed", desc: "Sets the current transaction's isolation level.", check: oneOf("transaction_isolation", "serializable", "repeatable read", "read committed", "read uncommitted")},
		{name: "default_transaction_deferrable", def: "off", desc: "Sets the default deferrable status of new transactions.", check: boolParam("default_transaction_deferrable")},
		{name: "bytea_output", def: "hex", desc: "Sets the output format for bytea.", check: oneOf("bytea_output", "hex")},
		{name: "max_identifier_length", def: "63", readOnly: true, desc: "Shows the maximum identifier length."},
		{name: "max_index_keys", def: "32", readOnly: true, desc: "Shows the maximum number of index keys."},
		{name: "block_size", def: "8192", readOnly: true, desc: "Shows the size of a disk block."},
		{name: "lc_collate", def: "C", readOnly: true, desc: "Shows the collation order locale."},
		{name: "lc_ctype", def: "C", readOnly: true, desc: "Shows the character classification and case conversion locale."},
		{name: "lc_messages", def: "C", desc: "Sets the language in which messages are displayed."},
		{name: "lc_monetary", def: "C", desc: "Sets the locale for formatting monetary amounts."},
		{name: "lc_numeric", def: "C", desc: "Sets the locale for formatting numbers."},
		{name: "lc_time", def: "C", desc: "Sets the locale for formatting date and time values."},
		{name: "work_mem", def: "4MB", desc: "Sets the maximum memory to be used for query workspaces."},
		{name: "jit", def: "off", desc: "Allow JIT compilation.", check: boolParam("jit")},
		{name: "row_security", def: "on", desc: "Enable row security.", check: boolParam("row_security")},
		{name: "array_nulls", def: "on", desc: "Enable input of NULL elements in arrays.", check: boolParam("array_nulls")},
		{name: "escape_string_warning", def: "on", desc: "Warn about backslash escapes in ordinary string literals.", check: boolParam("escape_string_warning")},
		{name: "timezone_abbreviations", def: "Default", desc: "Selects a file of time zone abbreviations."},
		{name: "xmloption", def: "content", desc: "Sets whether XML data in implicit parsing and serialization operations is to be considered as documents or content fragments.", check: oneOf("xmloption", "content", "document")},
		{name: "geqo", def: "on", desc: "Enables genetic query optimization.", check: boolParam("geqo")},
		{name: "role", def: "none", desc: "Sets the current role."},
	}
	m := map[string]*param{}
	for _, p := range list {
		m[strings.ToLower(p.name)] = p
	}
	return m
}()

// session holds a connection's settings.
type session struct {
	values map[string]string // by lower-cased name
	user   string
	db     string
}

func newSession(user, db string) *session {
	s := &session{values: map[string]string{}, user: user, db: db}
	s.resetAll()
	return s
}

func (s *session) resetAll() {
	for k, p := range params {
		s.values[k] = p.def
	}
	s.values["session_authorization"] = s.user
}

func lookup(name string) (*param, error) {
	p := params[strings.ToLower(name)]
	if p == nil {
		if isPlaceholder(name) {
			// A dotted name is an extension's custom setting: PostgreSQL
			// accepts any value for it.
			return &param{name: strings.ToLower(name)}, nil
		}
		return nil, sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter \"%s\"", name)
	}
	return p, nil
}

// isPlaceholder reports whether name is a custom setting (prefix.name).
func isPlaceholder(name string) bool {
	i := strings.IndexByte(name, '.')
	return i > 0 && i < len(name)-1
}

// get returns the current value of a parameter; a custom setting never
// set is unknown.
func (s *session) get(name string) (*param, string, error) {
	p, err := lookup(name)
	if err != nil {
		return nil, "", err
	}
	v, ok := s.values[strings.ToLower(p.name)]
	if !ok {
		return nil, "", sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter \"%s\"", name)
	}
	return p, v, nil
}

// set changes a parameter; changed reports whether a reported value
// changed, so the caller sends ParameterStatus.
func (s *session) set(name, value string) (p *param, changed bool, err error) {
	p, err = lookup(name)
	if err != nil {
		return nil, false, err
	}
	if p.readOnly {
		return nil, false, sqlerr.New(codeCantChangeRuntimeParam, "parameter \"%s\" cannot be changed", p.name)
	}
	if p.check != nil {
		if value, err = p.check(value); err != nil {
			return nil, false, err
		}
	}
	k := strings.ToLower(p.name)
	changed = s.values[k] != value
	s.values[k] = value
	return p, changed && p.report, nil
}

func (s *session) reset(name string) (*param, bool, error) {
	p, err := lookup(name)
	if err != nil {
		return nil, false, err
	}
	if p.readOnly {
		return nil, false, sqlerr.New(codeCantChangeRuntimeParam, "parameter \"%s\" cannot be changed", p.name)
	}
	k := strings.ToLower(p.name)
	changed := s.values[k] != p.def
	s.values[k] = p.def
	return p, changed && p.report, nil
}

// statementTimeout is statement_timeout as a duration (0: none).
func (s *session) statementTimeout() time.Duration {
	ms, err := parseDurationMS(s.values["statement_timeout"])
	if err != nil {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// reported lists the parameters sent as ParameterStatus, sorted by name.
func (s *session) reported() [][2]string {
	var out [][2]string
	for k, p := range params {
		if p.report {
			out = append(out, [2]string{p.name, s.values[k]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// all lists every parameter for SHOW ALL.
func (s *session) all() [][3]string {
	var out [][3]string
	for k, p := range params {
		out = append(out, [3]string{p.name, s.values[k], p.desc})
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i][0]) < strings.ToLower(out[j][0]) })
	return out
}

// info is the connection's session as the engine sees it (session.Info).
type info struct{ c *conn }

func (i info) User() string     { return i.c.sess.user }
func (i info) Database() string { return i.c.sess.db }
func (i info) BackendPID() int32 {
	return int32(i.c.pid)
}

func (i info) Setting(name string) (string, bool) {
	_, v, err := i.c.sess.get(name)
	return v, err == nil
}

// SetSetting is set_config: it acts as SET (or SET LOCAL) does, so a
// changed reported parameter reaches the client as ParameterStatus and the
// transaction block's end restores what it must.
func (i info) SetSetting(name, value string, local bool) (string, error) {
	return i.c.setParam(name, value, local, false)
}
