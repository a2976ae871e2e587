package pgtext

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

func TestParseArray(t *testing.T) {
	cases := []struct {
		in, want string // want: elements joined by |, NULL for nulls, or ERR:code
	}{
		{"{}", ""},
		{" { } ", ""},
		{"{1,2,3}", "1|2|3"},
		{`{a, "b c" ,"",NULL,"NULL",\"q}`, `a|b c||NULL|"NULL"|"q`},
		{"{ a b ,c}", "a b|c"},
		{"{null}", "NULL"},
		{"{a,b", "ERR:22P02"},
		{"a,b}", "ERR:22P02"},
		{"{a,}", "ERR:22P02"},
		{"{a}x", "ERR:22P02"},
		{"{{1,2}}", "ERR:0A000"},
	}
	for _, c := range cases {
		elems, nulls, err := ParseArray(c.in)
		var got string
		if err != nil {
			got = "ERR:" + sqlerr.Code(err)
		} else {
			parts := make([]string, len(elems))
			for i, e := range elems {
				switch {
				case nulls[i]:
					parts[i] = "NULL"
				case strings.EqualFold(e, "null"):
					parts[i] = `"` + e + `"`
				default:
					parts[i] = e
				}
			}
			got = strings.Join(parts, "|")
		}
		if got != c.want {
			t.Errorf("ParseArray(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAppendArray(t *testing.T) {
	b := array.NewListBuilder(memory.DefaultAllocator, arrow.BinaryTypes.String)
	defer b.Release()
	vb := b.ValueBuilder().(*array.StringBuilder)
	b.Append(true)
	vb.Append("a")
	vb.Append("")
	vb.AppendNull()
	vb.Append("null")
	vb.Append(`x"y\z`)
	vb.Append("b c")
	vb.Append("{")
	b.Append(true)
	b.AppendNull()
	a := b.NewListArray()
	defer a.Release()
	tt := types.ArrayOf(types.TextT)
	want := []string{`{a,"",NULL,"null","x\"y\\z","b c","{"}`, "{}"}
	for i, w := range want {
		if got, _ := Format(a, i, tt); got != w {
			t.Errorf("row %d: %s, want %s", i, got, w)
		}
	}
	if _, null := Format(a, 2, tt); !null {
		t.Errorf("row 2 should be NULL")
	}
}
