package plancodec_test

import (
	"context"
	"testing"

	"github.com/basaltdb/basalt/planner/logical"
	"github.com/basaltdb/basalt/planner/plancodec"
	"github.com/basaltdb/basalt/storage"
	"github.com/basaltdb/basalt/test/slt"
)

// FuzzDecode feeds Decode arbitrary bytes, seeded with the encodings of
// the SQL shapes over the slt fixtures (shapes on TPC-H tables are skipped:
// generating it would slow every fuzz worker down). Decode must never
// panic; what it accepts must print, re-encode and decode to the same plan.
func FuzzDecode(f *testing.F) {
	dir := f.TempDir()
	if err := slt.WriteParquet(dir, slt.Fixtures()); err != nil {
		f.Fatal(err)
	}
	cat, err := storage.Open(context.Background(), dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range shapes {
		n, ok := tryPlan(cat, s.sql)
		if !ok {
			continue
		}
		b, err := plancodec.Encode(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("BPL\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := plancodec.Decode(b, cat.Table)
		if err != nil {
			return
		}
		text := logical.Format(n)
		again, err := plancodec.Encode(n)
		if err != nil {
			t.Fatalf("decoded plan does not encode: %v\n%s", err, text)
		}
		m, err := plancodec.Decode(again, cat.Table)
		if err != nil {
			t.Fatalf("re-encoded plan does not decode: %v\n%s", err, text)
		}
		if logical.Format(m) != text {
			t.Fatalf("re-encoded plan prints\n%s\nwant\n%s", logical.Format(m), text)
		}
	})
}
