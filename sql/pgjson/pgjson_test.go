package pgjson

import (
	"errors"
	"testing"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

func TestNormalizeJsonb(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":2,"aa":3,"a":4}`, `{"a": 4, "b": 1, "aa": 3}`},
		{` [ 1 , 2e2, -0, -0.0, 1.5E-3, 12.30e1, 0.5e+1, "\u00e9\n\/" ] `, `[1, 200, 0, 0.0, 0.0015, 123.0, 5, "é\n/"]`},
		{`"\ud83d\ude00"`, `"😀"`},
		{`{}`, `{}`},
		{`[[],{}]`, `[[], {}]`},
		{`null`, `null`},
		{`true`, `true`},
	}
	for _, c := range cases {
		got, err := NormalizeJsonb(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeJsonb(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestInvalid(t *testing.T) {
	for _, in := range []string{``, `x`, `{"a"}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `-`, `"a`, "\"a\nb\"", `"\x"`, `"\u12"`, `"\udc00"`, `tru`, `truex`, `1 2`, `{1:2}`} {
		err := Validate(in, "json")
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != "22P02" {
			t.Errorf("Validate(%q) = %v, want 22P02", in, err)
		}
	}
	if _, err := NormalizeJsonb(`"\u0000"`); err == nil {
		t.Error(`jsonb accepted \u0000`)
	}
	if err := Validate(`"\u0000"`, "json"); err != nil {
		t.Errorf(`json refused \u0000: %v`, err)
	}
}

func TestQuoteAndNumber(t *testing.T) {
	if got := string(Quote(nil, "a\"\\\b\f\n\r\t\x01é")); got != `"a\"\\\b\f\n\r\t\u0001é"` {
		t.Errorf("Quote = %s", got)
	}
	for s, want := range map[string]bool{"1": true, "-1.5e+20": true, "NaN": false, "Infinity": false, "-Infinity": false, "1e": false, "": false} {
		if IsNumber(s) != want {
			t.Errorf("IsNumber(%q) = %v", s, !want)
		}
	}
}
