package clients

import "testing"

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
