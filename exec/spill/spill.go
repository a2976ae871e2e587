// Package spill keeps data that blocking operators (sort, hash aggregate,
// hash join) cannot hold in their memory budget in temporary files on local
// disk, as LZ4-compressed Arrow IPC streams.
//
// A Dir is one operator's (or query's) temporary directory, created under
// os.TempDir() on the first spill and named "basalt-spill-<pid>-<random>",
// so operators that never spill touch no disk, and the first spill of a
// process removes directories whose process died without cleaning up. Dir.Close removes the directory
// and every file in it whatever state the files are in, so operators call it
// from their Close on success, error and cancellation alike.
//
// spill imports only Arrow and sql/sqlerr.
package spill

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Prefix starts the name of every spill directory.
const Prefix = "basalt-spill-"

// diskFull is PostgreSQL's SQLSTATE for "could not write: no space left".
const diskFull = "53100"

// coalesceRows is how many rows a Writer gathers before writing a message:
// callers often write small slices (one partition's share of a batch), and
// one IPC message per slice would cost a header and a compression frame
// each.
const coalesceRows = 8192

// ErrClosed is returned when a closed Dir is used.
var ErrClosed = errors.New("spill directory is closed")

// Dir is a lazily created temporary directory of spill files. It is safe
// for concurrent use.
type Dir struct {
	mu      sync.Mutex
	path    string
	seq     int
	closed  bool
	open    map[*os.File]struct{} // files not yet closed, closed by Close
	written atomic.Int64
	files   atomic.Int64
	live    atomic.Int64 // bytes in files not yet removed
}

// NewDir returns a Dir; nothing is created on disk until the first file.
func NewDir() *Dir { return &Dir{open: map[*os.File]struct{}{}} }

// ioErr turns an OS error into a user-facing error: 53100 when the disk is
// full, 58030 otherwise.
func ioErr(err error, what string) error {
	code := sqlerr.IOError
	if errors.Is(err, syscall.ENOSPC) {
		code = diskFull
	}
	return sqlerr.Wrap(code, err, "could not %s spill file", what)
}

func (d *Dir) newFile() (*os.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if d.path == "" {
		sweepOnce.Do(sweepStale)
		p, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", Prefix, os.Getpid()))
		if err != nil {
			return nil, ioErr(err, "create directory for")
		}
		d.path = p
	}
	d.seq++
	f, err := os.OpenFile(filepath.Join(d.path, fmt.Sprintf("%06d.arrows", d.seq)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, ioErr(err, "create")
	}
	d.open[f] = struct{}{}
	d.files.Add(1)
	return f, nil
}

func (d *Dir) openFile(path string) (*os.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, ioErr(err, "open")
	}
	d.open[f] = struct{}{}
	return f, nil
}

func (d *Dir) closeFile(f *os.File) error {
	d.mu.Lock()
	_, ok := d.open[f]
	delete(d.open, f)
	d.mu.Unlock()
	if !ok {
		return nil // Dir.Close got there first
	}
	return f.Close()
}

// Path is the directory's path, "" until the first file is created.
func (d *Dir) Path() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.path
}

// BytesWritten is the total size of every file written so far (removed
// ones included): what EXPLAIN ANALYZE reports as spilled.
func (d *Dir) BytesWritten() int64 { return d.written.Load() }

// Files is the number of files created so far.
func (d *Dir) Files() int64 { return d.files.Load() }

// LiveBytes is the size of the files written and not yet removed.
func (d *Dir) LiveBytes() int64 { return d.live.Load() }

// Close closes every open file and removes the directory with everything
// in it. It is idempotent; the Dir cannot be used afterwards.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	for f := range d.open {
		f.Close()
	}
	d.open = nil
	d.live.Store(0)
	if d.path == "" {
		return nil
	}
	if err := os.RemoveAll(d.path); err != nil {
		return ioErr(err, "remove")
	}
	return nil
}

var sweepOnce sync.Once

// sweepStale removes spill directories left by Basalt processes that no
// longer exist (killed before they could clean up): directory names carry
// the owner's pid.
func sweepStale() {
	tmp := os.TempDir()
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, Prefix) {
			continue
		}
		rest := name[len(Prefix):]
		dash := strings.IndexByte(rest, '-')
		if dash <= 0 {
			continue
		}
		pid, err := strconv.Atoi(rest[:dash])
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(filepath.Join(tmp, name))
		}
	}
}

// countingWriter counts the bytes that reach the file.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Writer appends batches of one schema to a new spill file.
type Writer struct {
	dir     *Dir
	f       *os.File
	buf     *bufio.Writer
	cnt     *countingWriter
	ipc     *ipc.Writer
	schema  *arrow.Schema
	alloc   memory.Allocator
	pending []arrow.RecordBatch
	pendN   int64
	pendB   int64
	rows    int64
	done    bool
}

// Create starts a new spill file for batches of schema. alloc is used for
// coalescing small batches and compression buffers.
func (d *Dir) Create(schema *arrow.Schema, alloc memory.Allocator) (*Writer, error) {
	f, err := d.newFile()
	if err != nil {
		return nil, err
	}
	w := &Writer{dir: d, f: f, schema: schema, alloc: alloc}
	w.buf = bufio.NewWriterSize(f, 1<<16)
	w.cnt = &countingWriter{w: w.buf}
	w.ipc = ipc.NewWriter(w.cnt, ipc.WithSchema(schema), ipc.WithAllocator(alloc), ipc.WithLZ4(), ipc.WithMinSpaceSavings(0.1))
	return w, nil
}

// Write appends b. Small batches are kept (retained) until coalesceRows rows
// are pending and written as one message; Buffered says how many bytes that
// holds.
func (w *Writer) Write(b arrow.RecordBatch) error {
	if w.done {
		return fmt.Errorf("spill: write after finish")
	}
	if b.NumRows() == 0 {
		return nil
	}
	w.rows += b.NumRows()
	if b.NumRows() >= coalesceRows && len(w.pending) == 0 {
		return w.writeOne(b)
	}
	b.Retain()
	w.pending = append(w.pending, b)
	w.pendN += b.NumRows()
	w.pendB += batchBytes(b)
	if w.pendN >= coalesceRows {
		return w.flush()
	}
	return nil
}

// Buffered is the size of the batches held for coalescing.
func (w *Writer) Buffered() int64 { return w.pendB }

// Rows is the number of rows written so far.
func (w *Writer) Rows() int64 { return w.rows }

func (w *Writer) writeOne(b arrow.RecordBatch) error {
	before := w.cnt.n
	err := w.ipc.Write(b)
	w.dir.written.Add(w.cnt.n - before)
	w.dir.live.Add(w.cnt.n - before)
	if err != nil {
		return ioErr(err, "write")
	}
	return nil
}

func (w *Writer) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	pending := w.pending
	w.pending, w.pendN, w.pendB = nil, 0, 0
	defer func() {
		for _, p := range pending {
			p.Release()
		}
	}()
	if len(pending) == 1 {
		return w.writeOne(pending[0])
	}
	cols := make([]arrow.Array, w.schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	parts := make([]arrow.Array, len(pending))
	var rows int64
	for _, p := range pending {
		rows += p.NumRows()
	}
	for c := range cols {
		for i, p := range pending {
			parts[i] = p.Column(c)
		}
		a, err := array.Concatenate(parts, w.alloc)
		if err != nil {
			return fmt.Errorf("spill: concatenate: %w", err)
		}
		cols[c] = a
	}
	b := array.NewRecordBatch(w.schema, cols, rows)
	defer b.Release()
	return w.writeOne(b)
}

// Finish writes what is pending, ends the stream and closes the file,
// returning a handle to read it back.
func (w *Writer) Finish() (*File, error) {
	if w.done {
		return nil, fmt.Errorf("spill: finish twice")
	}
	err := w.flush()
	w.done = true
	before := w.cnt.n
	if cerr := w.ipc.Close(); err == nil && cerr != nil {
		err = ioErr(cerr, "write")
	}
	if ferr := w.buf.Flush(); err == nil && ferr != nil {
		err = ioErr(ferr, "write")
	}
	w.dir.written.Add(w.cnt.n - before)
	w.dir.live.Add(w.cnt.n - before)
	name := w.f.Name()
	if cerr := w.dir.closeFile(w.f); err == nil && cerr != nil {
		err = ioErr(cerr, "close")
	}
	if err != nil {
		os.Remove(name)
		return nil, err
	}
	return &File{dir: w.dir, path: name, rows: w.rows, size: w.cnt.n, schema: w.schema}, nil
}

// Abort drops the writer and its file.
func (w *Writer) Abort() {
	for _, p := range w.pending {
		p.Release()
	}
	w.pending = nil
	if w.done {
		return
	}
	w.done = true
	w.ipc.Close()
	name := w.f.Name()
	w.dir.closeFile(w.f)
	os.Remove(name)
	w.dir.live.Add(-w.cnt.n)
}

// File is a finished spill file.
type File struct {
	dir     *Dir
	path    string
	rows    int64
	size    int64
	schema  *arrow.Schema
	removed bool
}

// Rows is the number of rows in the file.
func (f *File) Rows() int64 { return f.rows }

// Size is the file's size in bytes.
func (f *File) Size() int64 { return f.size }

// Schema is the schema of the file's batches.
func (f *File) Schema() *arrow.Schema { return f.schema }

// Remove deletes the file (idempotent). Dir.Close removes it anyway.
func (f *File) Remove() error {
	if f == nil || f.removed {
		return nil
	}
	f.removed = true
	f.dir.live.Add(-f.size)
	if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return ioErr(err, "remove")
	}
	return nil
}

// Reader reads a spill file's batches back in order.
type Reader struct {
	dir *Dir
	f   *os.File
	r   *ipc.Reader
}

// Open starts reading the file from its beginning.
func (f *File) Open(alloc memory.Allocator) (*Reader, error) {
	fh, err := f.dir.openFile(f.path)
	if err != nil {
		return nil, err
	}
	r, err := ipc.NewReader(bufio.NewReaderSize(fh, 1<<16), ipc.WithAllocator(alloc), ipc.WithSchema(f.schema))
	if err != nil {
		f.dir.closeFile(fh)
		return nil, ioErr(err, "read")
	}
	return &Reader{dir: f.dir, f: fh, r: r}, nil
}

// Next returns the next batch or io.EOF. The batch is valid until the next
// call; Retain it to keep it.
func (r *Reader) Next() (arrow.RecordBatch, error) {
	if r.r.Next() {
		return r.r.RecordBatch(), nil
	}
	if err := r.r.Err(); err != nil && err != io.EOF {
		return nil, ioErr(err, "read")
	}
	return nil, io.EOF
}

// Close stops reading (idempotent).
func (r *Reader) Close() error {
	if r.r == nil {
		return nil
	}
	r.r.Release()
	r.r = nil
	return r.dir.closeFile(r.f)
}

func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		for _, buf := range c.Data().Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
	}
	return n
}
