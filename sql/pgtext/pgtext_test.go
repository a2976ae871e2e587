package pgtext

import (
	"math"
	"testing"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

func TestFloatOutput(t *testing.T) {
	cases := []struct {
		v    float64
		want string
	}{
		{0.1, "0.1"}, {1e20, "1e+20"}, {1e15, "1e+15"}, {123456789012345, "123456789012345"},
		{1e-4, "0.0001"}, {1e-5, "1e-05"}, {-2.5, "-2.5"}, {3, "3"}, {1.0 / 3, "0.3333333333333333"},
		{math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"}, {math.NaN(), "NaN"}, {0, "0"},
	}
	for _, c := range cases {
		if got := string(AppendFloat64(nil, c.v)); got != c.want {
			t.Errorf("float8 %v: got %s want %s", c.v, got, c.want)
		}
	}
	if got := string(AppendFloat32(nil, 1234567)); got != "1.234567e+06" {
		t.Errorf("float4 1234567: got %s", got)
	}
	if got := string(AppendFloat32(nil, 0.1)); got != "0.1" {
		t.Errorf("float4 0.1: got %s", got)
	}
}

func TestDateTimeRoundTrip(t *testing.T) {
	dates := []string{"1998-12-01", "1970-01-01", "2000-02-29", "0044-03-15 BC", "0001-01-01", "9999-12-31", "infinity"}
	for _, s := range dates {
		d, err := ParseDate(s)
		if err != nil {
			t.Fatalf("ParseDate(%q): %v", s, err)
		}
		if got := string(AppendDate(nil, d)); got != s {
			t.Errorf("date %q printed as %q", s, got)
		}
	}
	for s, want := range map[string]string{"12/01/1998": "1998-12-01", "19981201": "1998-12-01", "Dec 1 1998": "1998-12-01", "1998-12-01 10:00": "1998-12-01"} {
		d, err := ParseDate(s)
		if err != nil || string(AppendDate(nil, d)) != want {
			t.Errorf("ParseDate(%q) = %s, %v", s, AppendDate(nil, d), err)
		}
	}
	tss := []string{"1998-12-01 04:05:06.123456", "1998-12-01 04:05:06.5", "1969-12-31 23:59:59", "0044-03-15 12:00:00 BC"}
	for _, s := range tss {
		v, err := ParseTimestamp(s)
		if err != nil {
			t.Fatalf("ParseTimestamp(%q): %v", s, err)
		}
		if got := string(AppendTimestamp(nil, v)); got != s {
			t.Errorf("timestamp %q printed as %q", s, got)
		}
	}
	v, err := ParseTimestampTZ("1998-12-01 04:05:06+02")
	if err != nil || string(AppendTimestampTZ(nil, v)) != "1998-12-01 02:05:06+00" {
		t.Errorf("timestamptz with offset: %s, %v", AppendTimestampTZ(nil, v), err)
	}
	v, err = ParseTimestamp("1998-12-01T04:05:06Z")
	if err != nil || string(AppendTimestamp(nil, v)) != "1998-12-01 04:05:06" {
		t.Errorf("ISO timestamp: %s, %v", AppendTimestamp(nil, v), err)
	}
	tm, err := ParseTime("04:05:06.5")
	if err != nil || string(AppendTime(nil, tm)) != "04:05:06.5" {
		t.Errorf("time: %s, %v", AppendTime(nil, tm), err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		f    func() error
		code string
		msg  string
	}{
		{func() error { _, err := ParseInt("abc", types.Int32); return err }, sqlerr.InvalidTextRepresentation, `invalid input syntax for type integer: "abc"`},
		{func() error { _, err := ParseInt("99999999999", types.Int32); return err }, sqlerr.NumericValueOutOfRange, `value "99999999999" is out of range for type integer`},
		{func() error { _, err := ParseInt("40000", types.Int16); return err }, sqlerr.NumericValueOutOfRange, `value "40000" is out of range for type smallint`},
		{func() error { _, err := ParseBool("maybe"); return err }, sqlerr.InvalidTextRepresentation, `invalid input syntax for type boolean: "maybe"`},
		{func() error { _, err := ParseFloat("x1"); return err }, sqlerr.InvalidTextRepresentation, `invalid input syntax for type double precision: "x1"`},
		{func() error { _, err := ParseNumeric("1.2.3", 2); return err }, sqlerr.InvalidTextRepresentation, `invalid input syntax for type numeric: "1.2.3"`},
		{func() error { _, err := ParseDate("1998-02-30"); return err }, sqlerr.DatetimeFieldOverflow, `date/time field value out of range: "1998-02-30"`},
		{func() error { _, err := ParseDate("nonsense"); return err }, sqlerr.InvalidDatetimeFormat, `invalid input syntax for type date: "nonsense"`},
		{func() error { _, err := ParseInterval("3 fortnights"); return err }, sqlerr.InvalidDatetimeFormat, `invalid input syntax for type interval: "3 fortnights"`},
	}
	for _, c := range cases {
		err := c.f()
		if err == nil {
			t.Errorf("%s: no error", c.msg)
			continue
		}
		if sqlerr.Code(err) != c.code || err.Error() != c.msg {
			t.Errorf("got %s %q, want %s %q", sqlerr.Code(err), err, c.code, c.msg)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	for s, want := range map[string]int64{" 42 ": 42, "-2147483648": math.MinInt32, "0x1F": 31, "1_000": 1000, "+7": 7} {
		v, err := ParseInt(s, types.Int32)
		if err != nil || v != want {
			t.Errorf("ParseInt(%q) = %d, %v", s, v, err)
		}
	}
	for _, c := range []struct {
		s     string
		scale int32
		want  string
	}{{"12.5", 2, "12.50"}, {"0.005", 2, "0.01"}, {"-0.005", 2, "-0.01"}, {"1e3", 0, "1000"}, {"1.5e-1", 3, "0.150"}, {"123.456", 0, "123"}} {
		v, err := ParseNumeric(c.s, c.scale)
		if err != nil || string(AppendNumeric(nil, v, c.scale)) != c.want {
			t.Errorf("ParseNumeric(%q, %d) = %s, %v", c.s, c.scale, AppendNumeric(nil, v, c.scale), err)
		}
	}
	if _, err := ParseNumeric("1e40", 0); sqlerr.Code(err) != sqlerr.NumericValueOutOfRange {
		t.Errorf("1e40: %v", err)
	}
	v, s, err := ParseNumericAuto("3.1400")
	if err != nil || s != 4 || string(AppendNumeric(nil, v, s)) != "3.1400" {
		t.Errorf("ParseNumericAuto: %v %d %v", v, s, err)
	}
	for _, b := range []string{"t", "TRUE", "yes", "on", "1"} {
		if v, err := ParseBool(b); err != nil || !v {
			t.Errorf("ParseBool(%q) = %v, %v", b, v, err)
		}
	}
}

func TestIntervals(t *testing.T) {
	cases := map[string]string{
		"1 month":                       "1 mon",
		"7 days":                        "7 days",
		"3 day":                         "3 days",
		"1 year 2 mons 3 days 04:05:06": "1 year 2 mons 3 days 04:05:06",
		"-1 day":                        "-1 days",
		"0":                             "00:00:00",
		"P1Y2M":                         "1 year 2 mons",
		"P1DT2H":                        "1 day 02:00:00",
		"1.5 months":                    "1 mon 15 days",
		"@ 1 hour ago":                  "-01:00:00",
		"2 years -1 mons":               "1 year 11 mons",
		"-1 day +02:00:00":              "-1 days +02:00:00",
		"90 minutes":                    "01:30:00",
		"1 week":                        "7 days",
		"0.5 seconds":                   "00:00:00.5",
	}
	for in, want := range cases {
		v, err := ParseInterval(in)
		if err != nil {
			t.Errorf("ParseInterval(%q): %v", in, err)
			continue
		}
		if got := string(AppendInterval(nil, v)); got != want {
			t.Errorf("interval %q printed as %q, want %q", in, got, want)
		}
	}
}

func TestFormatConst(t *testing.T) {
	if s, null := FormatConst(nil, types.Int32T); !null || s != "" {
		t.Error("NULL const")
	}
	if s, _ := FormatConst(int32(10561), types.DateT); s != "1998-12-01" {
		t.Errorf("date const %s", s)
	}
	if s, _ := FormatConst([]byte{1, 2}, types.ByteaT); s != `\x0102` {
		t.Errorf("bytea const %s", s)
	}
	if s, _ := FormatConst(types.IntervalValue{Days: -1}, types.IntervalT); s != "-1 days" {
		t.Errorf("interval const %s", s)
	}
	if s, _ := FormatConst(true, types.BoolT); s != "t" {
		t.Errorf("bool const %s", s)
	}
}

// TestZoneAfterDate: a zone after a date without a time, as pgjdbc sends
// dates ("1995-06-30 +00"); PostgreSQL 15's answers.
func TestZoneAfterDate(t *testing.T) {
	cases := []struct{ in, date, ts, tz string }{
		{"1995-06-30 +00", "1995-06-30", "1995-06-30 00:00:00", "1995-06-30 00:00:00+00"},
		{"1995-06-30 -05", "1995-06-30", "1995-06-30 00:00:00", "1995-06-30 05:00:00+00"},
		{"1995-06-30 +05:30", "1995-06-30", "1995-06-30 00:00:00", "1995-06-29 18:30:00+00"},
		{"1995-06-30 UTC", "1995-06-30", "1995-06-30 00:00:00", "1995-06-30 00:00:00+00"},
		{"1995-06-30 12:00:00 -02", "1995-06-30", "1995-06-30 12:00:00", "1995-06-30 14:00:00+00"},
	}
	for _, c := range cases {
		d, err := ParseDate(c.in)
		if err != nil || string(AppendDate(nil, d)) != c.date {
			t.Errorf("date %q: %s %v", c.in, AppendDate(nil, d), err)
		}
		ts, err := ParseTimestamp(c.in)
		if err != nil || string(AppendTimestamp(nil, ts)) != c.ts {
			t.Errorf("timestamp %q: %s %v", c.in, AppendTimestamp(nil, ts), err)
		}
		tz, err := ParseTimestampTZ(c.in)
		if err != nil || string(AppendTimestampTZ(nil, tz)) != c.tz {
			t.Errorf("timestamptz %q: %s %v", c.in, AppendTimestampTZ(nil, tz), err)
		}
	}
	if _, err := ParseDate("1995-06-30 +0x"); sqlerr.Code(err) != sqlerr.InvalidDatetimeFormat && sqlerr.Code(err) != sqlerr.InvalidTextRepresentation {
		t.Errorf("bad zone: %v", err)
	}
}
