package clients

import (
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// The comparison must tell answers apart, or every client test passes
// vacuously.
func TestDiffCSV(t *testing.T) {
	want := "a,b,c\n1,0.0500,x\n2,1.5,\n"
	// One column holding NULL: an empty line, or "" from other writers.
	if msg := diffCSV("x\n\"\"\n", "x\n\n"); msg != "" {
		t.Errorf("one NULL row: %s", msg)
	}
	if msg := diffCSV("x\n", "x\n\n"); msg == "" {
		t.Errorf("a missing NULL row went unnoticed")
	}
	for _, tc := range []struct {
		got  string
		same bool
	}{
		{want, true},
		{"a,b,c\n1,0.05,x\n2,1.50,\n", true},               // numeric printed another way
		{"a,b,c\n1,5E-2,x\n2,1.5000000000000002,\n", true}, // float noise within 1e-12
		{"a,b,c\n1,0.06,x\n2,1.5,\n", false},               // a wrong value
		{"a,b,c\n2,1.5,\n1,0.0500,x\n", false},             // another order
		{"a,b,c\n1,0.0500,x\n", false},                     // a missing row
		{"a,b,d\n1,0.0500,x\n2,1.5,\n", false},             // another column name
		{"a,b,c\n1,0.0500,x\n2,1.5,NULL\n", false},         // NULL is an empty field
		{"a,b,c\n1,0.0500,x\n2,1.5001,\n", false},
	} {
		msg := diffCSV(tc.got, want)
		if (msg == "") != tc.same {
			t.Errorf("diffCSV(%q) = %q, want same=%v", tc.got, msg, tc.same)
		}
	}
}

// The recorder's reading of Bind must find binary result formats, or the
// JDBC binary_results_used check proves nothing.
func TestBindWantsBinary(t *testing.T) {
	for _, tc := range []struct {
		bind pgproto3.Bind
		want bool
	}{
		{pgproto3.Bind{PreparedStatement: "S_1", Parameters: [][]byte{[]byte("42"), nil}, ResultFormatCodes: []int16{0, 1}}, true},
		{pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 1}}, ResultFormatCodes: []int16{1}}, true},
		{pgproto3.Bind{Parameters: [][]byte{[]byte("x")}, ResultFormatCodes: []int16{0}}, false},
		{pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s"}, false},
	} {
		raw, err := tc.bind.Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := bindWantsBinary(raw[5:]); got != tc.want {
			t.Errorf("bindWantsBinary(%+v) = %v, want %v", tc.bind, got, tc.want)
		}
	}
	if bindWantsBinary([]byte("p\x00s\x00\x00")) {
		t.Error("a truncated Bind reads as binary")
	}
}
