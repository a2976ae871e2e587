package session

import (
	"reflect"
	"testing"
)

func TestSearchPath(t *testing.T) {
	exists := func(s string) bool {
		return s == "public" || s == "pg_catalog" || s == "information_schema" || s == "alice"
	}
	cases := []struct {
		value, user string
		implicit    bool
		want        []string
	}{
		{`"$user", public`, "bob", true, []string{"pg_catalog", "public"}},
		{`"$user", public`, "bob", false, []string{"public"}},
		{`"$user", public`, "alice", false, []string{"alice", "public"}},
		{`information_schema, nosuch, public`, "bob", true, []string{"pg_catalog", "information_schema", "public"}},
		{`public, pg_catalog`, "bob", true, []string{"public", "pg_catalog"}},
		{`PUBLIC, "Public", public`, "bob", false, []string{"public"}},
		{`""`, "bob", true, []string{"pg_catalog"}},
		{``, "bob", false, nil},
		{`"pg_catalog" , "a""b"`, "bob", false, []string{"pg_catalog"}},
	}
	for _, c := range cases {
		if got := SearchPath(c.value, c.user, c.implicit, exists); !reflect.DeepEqual(got, c.want) {
			t.Errorf("SearchPath(%q, %q, %v) = %q, want %q", c.value, c.user, c.implicit, got, c.want)
		}
	}
	if got := splitPath(`"a""b" , C,"d,e"`); !reflect.DeepEqual(got, []string{`a"b`, "c", "d,e"}) {
		t.Errorf("splitPath = %q", got)
	}
}
