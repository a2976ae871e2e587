package ops

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/sql/types"
)

// PostgreSQL equality: -0 = 0, NaN = NaN, '1 mon' = '30 days'; NULLs group
// together but never join.
func TestSQLEqualityOfSpecialValues(t *testing.T) {
	alloc := checked(t)
	fb := array.NewFloat64Builder(alloc)
	fb.AppendValues([]float64{0, math.Copysign(0, -1), math.NaN(), math.NaN(), 1}, nil)
	fb.AppendNull()
	fb.AppendNull()
	f := fb.NewArray()
	fb.Release()
	ib := array.NewMonthDayNanoIntervalBuilder(alloc)
	ib.AppendValues([]arrow.MonthDayNanoInterval{{Months: 1}, {Days: 30}, {Days: 1}, {Nanoseconds: 86400e9}, {Months: -1, Days: 31}}, nil)
	ib.AppendNull()
	ib.AppendNull()
	iv := ib.NewArray()
	ib.Release()
	s := schemaOf(arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.MonthDayNanoInterval)
	batch := newBatch(s, []arrow.Array{f, iv}, 7)
	defer batch.Release()

	count := []AggSpec{{Fn: AggCountStar, Arg: -1, Result: types.Int64T}}
	agg, err := NewHashAggregate(newSource(s, batch), []int{0}, count, AggSingle, nil, nil, alloc)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "float groups", sorted(collect(t, agg)), []string{"0|2", "1|1", "NULL|2", "NaN|2"})

	// Interval groups: {1 mon, 30 days}, {1 day, 24h, -1 mon +31 days}, {NULL};
	// each group shows one of its members.
	agg, err = NewHashAggregate(newSource(s, batch), []int{1}, count, AggSingle, nil, nil, alloc)
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, agg)
	counts := map[string]bool{}
	for _, r := range got {
		counts[r[strings.Index(r, "|")+1:]] = true
	}
	if len(got) != 3 || !counts["2"] || !counts["3"] {
		t.Fatalf("interval groups: %v", got)
	}

	// Self-join on each column: equal specials match, NULLs do not.
	for col, want := range []int{2*2 + 2*2 + 1, 2*2 + 3*3} {
		build := NewHashBuild(newSource(s, batch), []int{col}, nil, alloc)
		j, err := NewHashJoin(newSource(s, batch), build, []int{col}, JoinInner, nil, false, alloc)
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, j); len(got) != want {
			t.Fatalf("join on column %d: %d rows, want %d: %v", col, len(got), want, got)
		}
	}
}
