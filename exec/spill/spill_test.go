package spill

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func makeBatch(alloc memory.Allocator, from, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(alloc, testSchema)
	defer b.Release()
	ib := b.Field(0).(*array.Int64Builder)
	sb := b.Field(1).(*array.StringBuilder)
	for r := from; r < from+n; r++ {
		if r%7 == 0 {
			ib.AppendNull()
		} else {
			ib.Append(int64(r))
		}
		sb.Append(strings.Repeat("x", r%5))
	}
	return b.NewRecordBatch()
}

// leftovers lists basalt spill directories under the temp dir.
func withTempDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	t.Setenv("TMPDIR", d)
	return d
}

func assertEmpty(t *testing.T, tmp string) {
	t.Helper()
	ents, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), Prefix) {
			t.Errorf("spill directory %s left behind", filepath.Join(tmp, e.Name()))
		}
	}
}

func TestRoundTripCoalescesAndRemoves(t *testing.T) {
	tmp := withTempDir(t)
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	d := NewDir()
	if d.Path() != "" {
		t.Fatal("directory created before the first file")
	}
	w, err := d.Create(testSchema, alloc)
	if err != nil {
		t.Fatal(err)
	}
	// 100 small slices: coalesced into a few messages.
	total := 0
	for k := 0; k < 100; k++ {
		b := makeBatch(alloc, total, 300)
		total += 300
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	f, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows() != int64(total) || d.BytesWritten() != f.Size() || f.Size() == 0 {
		t.Fatalf("rows %d size %d written %d", f.Rows(), f.Size(), d.BytesWritten())
	}
	if !strings.HasPrefix(filepath.Base(d.Path()), Prefix) || filepath.Dir(d.Path()) != tmp {
		t.Fatalf("directory %s not under %s with prefix", d.Path(), tmp)
	}
	r, err := f.Open(alloc)
	if err != nil {
		t.Fatal(err)
	}
	row, msgs := 0, 0
	for {
		b, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		msgs++
		is := b.Column(0).(*array.Int64)
		ss := b.Column(1).(*array.String)
		for i := 0; i < int(b.NumRows()); i++ {
			if row%7 == 0 {
				if !is.IsNull(i) {
					t.Fatalf("row %d: want NULL", row)
				}
			} else if is.Value(i) != int64(row) {
				t.Fatalf("row %d: got %d", row, is.Value(i))
			}
			if ss.Value(i) != strings.Repeat("x", row%5) {
				t.Fatalf("row %d: string %q", row, ss.Value(i))
			}
			row++
		}
	}
	if row != total {
		t.Fatalf("read %d rows, want %d", row, total)
	}
	if msgs > 5 {
		t.Fatalf("%d messages: small writes were not coalesced", msgs)
	}
	r.Close()
	if err := f.Remove(); err != nil {
		t.Fatal(err)
	}
	if d.LiveBytes() != 0 {
		t.Fatalf("live bytes %d after remove", d.LiveBytes())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, tmp)
}

// Close removes everything whatever state the files are in: finished,
// half written, being read.
func TestCloseRemovesInEveryState(t *testing.T) {
	tmp := withTempDir(t)
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	d := NewDir()
	w1, err := d.Create(testSchema, alloc)
	if err != nil {
		t.Fatal(err)
	}
	b := makeBatch(alloc, 0, 10000)
	defer b.Release()
	w1.Write(b)
	f1, err := w1.Finish()
	if err != nil {
		t.Fatal(err)
	}
	r, err := f1.Open(alloc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	w2, err := d.Create(testSchema, alloc)
	if err != nil {
		t.Fatal(err)
	}
	w2.Write(b)
	small := makeBatch(alloc, 0, 10)
	w2.Write(small) // pending in the writer
	small.Release()
	if d.Files() != 2 {
		t.Fatalf("files %d", d.Files())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, tmp)
	// Handles of a closed Dir fail or are no-ops, and free their memory.
	r.Close()
	w2.Abort()
	if _, err := d.Create(testSchema, alloc); err == nil {
		t.Fatal("create on closed dir succeeded")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAbortRemovesFile(t *testing.T) {
	tmp := withTempDir(t)
	alloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer alloc.AssertSize(t, 0)
	d := NewDir()
	defer d.Close()
	w, err := d.Create(testSchema, alloc)
	if err != nil {
		t.Fatal(err)
	}
	b := makeBatch(alloc, 0, 9000)
	w.Write(b)
	b.Release()
	w.Abort()
	ents, _ := os.ReadDir(d.Path())
	if len(ents) != 0 {
		t.Fatalf("%d files after abort", len(ents))
	}
	d.Close()
	assertEmpty(t, tmp)
}

// Directories of dead processes are swept by the first spill of another.
func TestSweepStale(t *testing.T) {
	tmp := withTempDir(t)
	// pid 0x7fffffff does not exist; the current process's is kept.
	dead := filepath.Join(tmp, Prefix+"2147483647-123")
	mine := filepath.Join(tmp, fmt.Sprintf("%s%d-456", Prefix, os.Getpid()))
	for _, d := range []string{dead, mine} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sweepStale()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Fatal("dead process's directory kept")
	}
	if _, err := os.Stat(mine); err != nil {
		t.Fatal("live process's directory removed")
	}
	os.RemoveAll(mine)
}
