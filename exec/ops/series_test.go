package ops

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

func tsMicros(t *testing.T, s string) int64 {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UnixMicro()
}

func seriesRows(t *testing.T, op exec.Operator) ([]string, error) {
	t.Helper()
	rows, err := collectErr(op)
	for i, r := range rows {
		// Arrow prints timestamps as RFC 3339; PostgreSQL with a space.
		rows[i] = strings.TrimSuffix(strings.Replace(r, "T", " ", 1), "Z")
	}
	return rows, err
}

// Expected rows are PostgreSQL 15's (select * from generate_series(...)).
func TestGenerateSeriesPostgres(t *testing.T) {
	alloc := checked(t)
	dec := func(v int64) decimal128.Num { return decimal128.FromI64(v) }
	day := int64(86400e6)
	for _, tc := range []struct {
		name              string
		start, stop, step any
		typ               types.T
		want              []string
	}{
		{"int4 overflow end", int64(2147483645), int64(2147483647), int64(2), types.Int32T, []string{"2147483645", "2147483647"}},
		{"int4 down", int64(5), int64(1), int64(-2), types.Int32T, []string{"5", "3", "1"}},
		{"int4 empty", int64(5), int64(1), int64(1), types.Int32T, nil},
		{"int8 min end", int64(-9223372036854775807), int64(math.MinInt64), int64(-1), types.Int64T, []string{"-9223372036854775807", "-9223372036854775808"}},
		{"NULL step", int64(1), int64(3), nil, types.Int32T, nil},
		{"NULL start", nil, int64(3), int64(1), types.Int64T, nil},
		// generate_series(1.5, 3, 0.55) at scale 2
		{"numeric", dec(150), dec(300), dec(55), types.NumericT(0, 2), []string{"1.50", "2.05", "2.60"}},
		{"numeric down", dec(3), dec(1), dec(-1), types.NumericT(0, 0), []string{"3", "2", "1"}},
		// generate_series('2024-01-31'::timestamp, '2024-06-01', '1 month')
		{"timestamp months", tsMicros(t, "2024-01-31 00:00:00"), tsMicros(t, "2024-06-01 00:00:00"), types.IntervalValue{Months: 1}, types.TimestampT,
			[]string{"2024-01-31 00:00:00", "2024-02-29 00:00:00", "2024-03-29 00:00:00", "2024-04-29 00:00:00", "2024-05-29 00:00:00"}},
		// generate_series('2024-03-10 12:00+00'::timestamptz, '2024-03-08', '-1 day')
		{"timestamptz back", tsMicros(t, "2024-03-10 12:00:00"), tsMicros(t, "2024-03-08 00:00:00"), types.IntervalValue{Days: -1}, types.TimestampTZT,
			[]string{"2024-03-10 12:00:00", "2024-03-09 12:00:00", "2024-03-08 12:00:00"}},
		{"timestamp hours", tsMicros(t, "1969-12-31 22:00:00"), tsMicros(t, "1970-01-01 01:00:00"), types.IntervalValue{Micros: 5400e6}, types.TimestampT,
			[]string{"1969-12-31 22:00:00", "1969-12-31 23:30:00", "1970-01-01 01:00:00"}},
		{"timestamp before 1970 months", -40*day + 3600e6, int64(0), types.IntervalValue{Months: 1, Days: -1}, types.TimestampT,
			[]string{"1969-11-22 01:00:00", "1969-12-21 01:00:00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op, err := NewGenerateSeries(tc.start, tc.stop, tc.step, tc.typ, alloc)
			if err != nil {
				t.Fatal(err)
			}
			if !arrow.TypeEqual(op.Schema().Field(0).Type, tc.typ.Arrow()) || op.Schema().Field(0).Name != "generate_series" {
				t.Fatalf("schema %s", op.Schema())
			}
			got, err := seriesRows(t, op)
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, tc.name, got, tc.want)
		})
	}
}

func TestGenerateSeriesErrors(t *testing.T) {
	alloc := checked(t)
	for _, tc := range []struct {
		start, stop, step any
		typ               types.T
		code, msg         string
	}{
		{int64(1), int64(10), int64(0), types.Int32T, sqlerr.InvalidParameterValue, "step size cannot equal zero"},
		{decimal128.FromI64(10), decimal128.FromI64(20), decimal128.FromI64(0), types.NumericT(0, 1), sqlerr.InvalidParameterValue, "step size cannot equal zero"},
		// '1 month -30 days' compares equal to a zero interval.
		{int64(0), int64(1), types.IntervalValue{Months: 1, Days: -30}, types.TimestampT, sqlerr.InvalidParameterValue, "step size cannot equal zero"},
		{int64(pgtext.TimestampNoBegin), int64(0), types.IntervalValue{Days: 1}, types.TimestampT, sqlerr.InvalidParameterValue, "start value cannot be infinity"},
		{int64(math.MaxInt64 - 10), int64(math.MaxInt64 - 1), types.IntervalValue{Days: 1}, types.TimestampT, sqlerr.DatetimeFieldOverflow, "timestamp out of range"},
	} {
		op, err := NewGenerateSeries(tc.start, tc.stop, tc.step, tc.typ, alloc)
		if err != nil {
			t.Fatal(err)
		}
		_, err = seriesRows(t, op)
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != tc.code || se.Message != tc.msg {
			t.Errorf("%v..%v step %v: got %v, want %s %q", tc.start, tc.stop, tc.step, err, tc.code, tc.msg)
		}
	}
	// Mistyped arguments are planner bugs.
	for _, args := range [][3]any{{int32(1), int64(2), int64(1)}, {int64(1), int64(1 << 40), int64(1)}, {1.5, 2.5, 1.0}} {
		if _, err := NewGenerateSeries(args[0], args[1], args[2], types.Int32T, alloc); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
	if _, err := NewGenerateSeries(int64(1), int64(2), int64(1), types.TextT, alloc); err == nil {
		t.Error("text series: want an error")
	}
}

// Long and endless series come in full batches; an endless one is read
// as far as needed and closed.
func TestGenerateSeriesBatches(t *testing.T) {
	alloc := checked(t)
	op, err := NewGenerateSeries(int64(1), int64(20000), int64(1), types.Int64T, alloc)
	if err != nil {
		t.Fatal(err)
	}
	rows := collect(t, op)
	if len(rows) != 20000 || rows[0] != "1" || rows[19999] != "20000" {
		t.Fatalf("got %d rows, %v..", len(rows), head(rows))
	}
	inf, err := NewGenerateSeries(int64(0), int64(pgtext.TimestampNoEnd), types.IntervalValue{Days: 1}, types.TimestampT, alloc)
	if err != nil {
		t.Fatal(err)
	}
	lim := NewLimit(inf, 0, 10000)
	rows = collect(t, lim)
	if len(rows) != 10000 {
		t.Fatalf("endless series under LIMIT: %d rows", len(rows))
	}
	b, err := NewGenerateSeries(int64(0), int64(100), int64(7), types.Int32T, alloc)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	err = exec.Drain(t.Context(), b, func(r arrow.RecordBatch) error {
		for _, v := range r.Column(0).(*array.Int32).Int32Values() {
			sum += int64(v)
		}
		return nil
	})
	if err != nil || sum != 7*(14*15/2) {
		t.Fatalf("sum %d, %v", sum, err)
	}
}
