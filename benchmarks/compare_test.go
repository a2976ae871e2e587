package benchmarks

import (
	"strings"
	"testing"
)

func res(rows ...[]string) *Result {
	r := &Result{}
	for i := range rows[0] {
		r.Columns = append(r.Columns, string(rune('a'+i)))
	}
	for _, row := range rows {
		var vs []Value
		for _, s := range row {
			if s == "NULL" {
				vs = append(vs, Value{Null: true})
			} else {
				vs = append(vs, Value{S: s})
			}
		}
		r.Rows = append(r.Rows, vs)
	}
	return r
}

func TestValuesMatch(t *testing.T) {
	tests := []struct {
		w, g string
		k    Kind
		ok   bool
	}{
		{"17", "17.00", Exact, true},
		{"17", "17.01", Exact, false},
		{"BRAZIL", "BRAZIL", Exact, true},
		{"BRAZIL", "BRAZIL ", Exact, false},
		{"1996-01-02", "1996-01-02", Exact, true},
		{"1000000.00", "1000099.99", Sum, true},
		{"1000000.00", "1000100.01", Sum, false},
		{"-5.00", "95.00", Sum, true},
		{"25.522005853257337", "25.52", Avg, true},
		{"25.52", "25.77", Avg, true},  // 0.25 is within 1% (0.2552)
		{"25.52", "25.27", Avg, true},  // also below
		{"25.52", "25.78", Avg, false}, // 0.26 is not
		{"0.0399", "0.04", Ratio, true},
		{"0.03", "0.04", Ratio, false},
		{"0.1", "0.1000000000001", Auto, true},
		{"1", "2", Auto, false},
		{"0.1", "0.11", Auto, false},
		{"NULL", "NULL", Exact, true},
		{"NULL", "0", Exact, false},
		{"0", "NULL", Sum, false},
	}
	for _, tc := range tests {
		w, g := Value{S: tc.w, Null: tc.w == "NULL"}, Value{S: tc.g, Null: tc.g == "NULL"}
		if got := valuesMatch(w, g, tc.k); got != tc.ok {
			t.Errorf("valuesMatch(%s, %s, %d) = %v, want %v", tc.w, tc.g, tc.k, got, tc.ok)
		}
	}
}

func TestCompare(t *testing.T) {
	spec := Spec{Kinds: []Kind{E, S}, Order: []OrderKey{{1, true}}}
	want := res([]string{"1", "300.00"}, []string{"2", "200.00"}, []string{"3", "200.00"}, []string{"4", "100.00"})
	// Same answer, money off by cents.
	if err := Compare(want, res([]string{"1", "300.01"}, []string{"2", "200"}, []string{"3", "199.99"}, []string{"4", "100"}), spec); err != nil {
		t.Errorf("equal answers differ: %v", err)
	}
	// Rows tied on the ORDER BY key may swap.
	if err := Compare(want, res([]string{"1", "300"}, []string{"3", "200"}, []string{"2", "200"}, []string{"4", "100"}), spec); err != nil {
		t.Errorf("tied rows swapped: %v", err)
	}
	// Rows not tied may not.
	if err := Compare(want, res([]string{"2", "200"}, []string{"1", "300"}, []string{"3", "200"}, []string{"4", "100"}), spec); err == nil {
		t.Errorf("wrong order accepted")
	}
	// A wrong value in a non-key column.
	if err := Compare(want, res([]string{"1", "300"}, []string{"2", "200"}, []string{"5", "200"}, []string{"4", "100"}), spec); err == nil ||
		!strings.Contains(err.Error(), "want 3") {
		t.Errorf("wrong value accepted or badly reported: %v", err)
	}
	// Row counts.
	if err := Compare(want, res([]string{"1", "300"}), spec); err == nil {
		t.Errorf("missing rows accepted")
	}
	// Without ORDER BY, any order.
	free := Spec{Kinds: []Kind{E, S}}
	if err := Compare(want, res([]string{"4", "100"}, []string{"3", "200"}, []string{"2", "200"}, []string{"1", "300"}), free); err != nil {
		t.Errorf("unordered answer: %v", err)
	}
	if err := Compare(want, res([]string{"4", "100"}, []string{"3", "200"}, []string{"2", "200"}, []string{"1", "500"}), free); err == nil {
		t.Errorf("sum off by 200 accepted")
	}
}
