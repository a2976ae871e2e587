// Package tpchgen writes the TPC-H benchmark tables as Parquet files and
// carries the 22 TPC-H queries. Rows come from go-tpc's port of dbgen; this
// package turns them into Arrow columns of the standard schema (keys INTEGER,
// money DECIMAL(15,2), dates DATE, text UTF-8) and writes one folder a table,
// the layout Basalt's --data directories read. It imports Arrow, parquet
// (through pqarrow) and dbgen only; nothing of the engine.
package tpchgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/pingcap/go-tpc/tpch/dbgen"
)

// Layout of the output files. Big tables are cut into files of at most
// maxFileRows rows so a scan has several files to spread over cores and
// nodes, and each file into row groups of about targetRowGroupRows rows, the
// unit of a scan split and of statistics pruning. lineitem and orders get at
// least minFiles files even at small scale factors.
const (
	maxFileRows        = 1_000_000
	targetRowGroupRows = 125_000
	minFiles           = 4
	dataPageBytes      = 64 << 10
)

// MaxScaleFactor is the largest scale factor whose keys fit the INTEGER
// columns: o_orderkey is sparse and reaches 4 * 1,500,000 * SF.
const MaxScaleFactor = 300

// itemBatch is how many dbgen items the generator hands to the writers at a
// time; larger batches mean fewer channel operations, smaller ones less
// memory in flight.
const itemBatch = 2048

// genMu serialises Generate: dbgen keeps all of its state in package globals.
var genMu sync.Mutex

// errLimit stops dbgen once a fractional scale factor has its rows.
var errLimit = errors.New("tpchgen: row limit reached")

// job is one dbgen run: the dbgen table to generate, its base row count at
// scale factor 1, whether that count scales, and the output tables fed from
// its items.
type job struct {
	gen    dbgen.Table
	base   int64
	scaled bool
	// rowsPerItem estimates output rows per item, for each output table,
	// to size files before the rows exist.
	rowsPerItem []int64
	split       bool // whether the output tables get at least minFiles files
	tables      []*table
}

// Generate writes the eight TPC-H tables at scale factor sf into outDir, one
// folder a table holding part-N.parquet files, rows in key order. Existing
// .parquet files in those folders are removed first. Progress lines (table,
// rows, elapsed time) go to progress, which may be nil.
//
// Scale factors of 1 and more must be whole numbers. A fractional sf (0.01,
// 0.1) is generated with dbgen's scale 1 and each scaled table is cut after
// sf times its base row count: the rows are those of SF1's first rows, so
// foreign keys only partly match (lineitem refers to parts, suppliers and
// orders refer to customers beyond the cut). That keeps small data sets
// cheap and deterministic, which is what quick local runs need; it is not a
// conforming TPC-H database.
//
// dbgen prints a line to standard output per table it generates; that
// cannot be turned off from outside it.
func Generate(ctx context.Context, sf float64, outDir string, progress io.Writer) error {
	if math.IsNaN(sf) || sf <= 0 || sf > MaxScaleFactor {
		return fmt.Errorf("tpchgen: scale factor %v out of range (0, %d]", sf, MaxScaleFactor)
	}
	if sf >= 1 && sf != math.Trunc(sf) {
		return fmt.Errorf("tpchgen: scale factor %v: scale factors of 1 and more must be whole numbers", sf)
	}
	if progress == nil {
		progress = io.Discard
	}
	out := &syncWriter{w: progress}

	genMu.Lock()
	defer genMu.Unlock()
	// dbgen's setup alone takes seconds; don't start it for a dead context.
	if err := ctx.Err(); err != nil {
		return err
	}

	start := time.Now()
	scale := int64(1)
	if sf >= 1 {
		scale = int64(sf)
	}
	dbgen.InitDbGen(scale)
	fmt.Fprintf(out, "tpch sf %v: generator ready in %s\n", sf, since(start))

	jobs := []job{
		{gen: dbgen.TNation, base: 25, rowsPerItem: []int64{1}, tables: []*table{newNation()}},
		{gen: dbgen.TRegion, base: 5, rowsPerItem: []int64{1}, tables: []*table{newRegion()}},
		{gen: dbgen.TSupp, base: 10_000, scaled: true, rowsPerItem: []int64{1}, tables: []*table{newSupplier()}},
		{gen: dbgen.TCust, base: 150_000, scaled: true, rowsPerItem: []int64{1}, tables: []*table{newCustomer()}},
		{gen: dbgen.TPartPsupp, base: 200_000, scaled: true, rowsPerItem: []int64{1, 4},
			tables: []*table{newPart(), newPartsupp()}},
		// An order has 1 to 7 lines, 4 on average.
		{gen: dbgen.TOrderLine, base: 1_500_000, scaled: true, rowsPerItem: []int64{1, 4}, split: true,
			tables: []*table{newOrders(), newLineitem()}},
	}
	for _, j := range jobs {
		items := j.base
		if j.scaled {
			if sf >= 1 {
				items *= scale
			} else {
				items = max(1, int64(math.Round(float64(j.base)*sf)))
			}
		}
		if err := runJob(ctx, j, items, outDir, out); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "tpch sf %v: done in %s\n", sf, since(start))
	return nil
}

// runJob runs dbgen for one job on this goroutine (dbgen is single threaded)
// and writes each output table on a goroutine of its own, so building Arrow
// columns, encoding and compressing overlap with generation.
func runJob(ctx context.Context, j job, items int64, outDir string, out io.Writer) error {
	writers := make([]*tableWriter, len(j.tables))
	chans := make([]chan []any, len(j.tables))
	var wg sync.WaitGroup
	var failed atomic.Bool
	fileItems, rgRows := layout(items, j.rowsPerItem, j.split)
	for i, t := range j.tables {
		w, err := newTableWriter(t, filepath.Join(outDir, t.name), fileItems, rgRows[i], items > fileItems, out)
		if err != nil {
			return err
		}
		writers[i] = w
		ch := make(chan []any, 8)
		chans[i] = ch
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range ch {
				if w.err != nil {
					continue // keep draining so the generator never blocks
				}
				if err := w.consume(batch); err != nil {
					w.err = err
					failed.Store(true)
				}
			}
			if w.err == nil {
				w.err = w.finish()
			} else {
				w.abort()
			}
		}()
	}

	l := &loader{ctx: ctx, limit: items, chans: chans, failed: &failed}
	genErr := dbgen.DbGen(map[dbgen.Table]dbgen.Loader{j.gen: l}, []dbgen.Table{j.gen})
	l.send()
	for _, ch := range chans {
		close(ch)
	}
	wg.Wait()

	var errs []error
	for _, w := range writers {
		if w.err != nil {
			errs = append(errs, w.err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if l.stop != nil && l.stop != errLimit {
		return l.stop
	}
	if genErr != nil && l.stop == nil {
		return fmt.Errorf("tpchgen: dbgen: %w", genErr)
	}
	return nil
}

// loader receives dbgen's items and passes them on in batches. Returning an
// error from Load is the only way to stop dbgen early; the reason is kept
// in stop since dbgen does not wrap it.
type loader struct {
	ctx     context.Context
	limit   int64
	n       int64
	pending []any
	chans   []chan []any
	failed  *atomic.Bool
	stop    error
}

func (l *loader) Load(item any) error {
	l.pending = append(l.pending, item)
	l.n++
	if len(l.pending) >= itemBatch {
		l.send()
		if err := l.ctx.Err(); err != nil {
			l.stop = err
			return err
		}
		if l.failed.Load() {
			l.stop = errors.New("tpchgen: writer failed")
			return l.stop
		}
	}
	if l.n >= l.limit {
		l.stop = errLimit
		return errLimit
	}
	return nil
}

// Flush is called by dbgen at the end of a table; the final batch is sent by
// runJob instead, after dbgen returns for whatever reason.
func (l *loader) Flush() error { return nil }

func (l *loader) send() {
	if len(l.pending) == 0 {
		return
	}
	for _, ch := range l.chans {
		ch <- l.pending // the writers only read the items
	}
	l.pending = make([]any, 0, itemBatch)
}

// tableWriter writes one table's rows into files of fileItems dbgen items and row
// groups of rgRows rows.
type tableWriter struct {
	t         *table
	dir       string
	schema    *arrow.Schema
	props     *parquet.WriterProperties
	fileItems int64 // dbgen items a file holds
	rgRows    int
	multi     bool // more than one file expected: report each file
	out       io.Writer
	start     time.Time

	buffered int // rows in the column buffers
	total    int64
	files    int
	inFile   int   // rows in the open file
	items    int64 // dbgen items in the open file
	f        *os.File
	bw       *bufio.Writer
	fw       *pqarrow.FileWriter
	err      error
}

func newTableWriter(t *table, dir string, fileItems int64, rgRows int, multi bool, out io.Writer) (*tableWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tpchgen: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil {
		return nil, fmt.Errorf("tpchgen: %w", err)
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return nil, fmt.Errorf("tpchgen: removing old file: %w", err)
		}
	}
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithStoreDecimalAsInteger(true),
		// Dictionaries only where values repeat: on comments and names
		// they grow to the page limit and fall back, wasting the work.
		parquet.WithDictionaryDefault(false),
		// Pages of about 64 KiB (arrow-go's default is 1 MiB, one page
		// per column chunk of a 125,000-row group) with a page index let
		// a selective scan decompress and decode only the pages that can
		// match instead of whole chunks.
		parquet.WithDataPageSize(dataPageBytes),
		parquet.WithPageIndexEnabled(true),
		parquet.WithCreatedBy("basalt tpchgen"),
	}
	for _, c := range t.cols {
		if c.dict {
			opts = append(opts, parquet.WithDictionaryFor(c.name, true))
		}
	}
	return &tableWriter{
		t:         t,
		dir:       dir,
		schema:    t.schema(),
		props:     parquet.NewWriterProperties(opts...),
		fileItems: fileItems,
		rgRows:    rgRows,
		multi:     multi,
		out:       out,
		start:     time.Now(),
	}, nil
}

// layout picks how many dbgen items go into a file and how many rows into a
// row group. Files hold at most maxFileRows rows (at least minFiles files
// when split) and, since every output table of a job cuts its files at the
// same items, lineitem's part-N holds exactly the lines of orders' part-N.
// Row groups cut each file into equal parts near targetRowGroupRows.
func layout(items int64, rowsPerItem []int64, split bool) (fileItems int64, rgRows []int) {
	fileItems = math.MaxInt64
	for _, r := range rowsPerItem {
		fileItems = min(fileItems, maxFileRows/r)
	}
	if split {
		fileItems = min(fileItems, (items+minFiles-1)/minFiles)
	}
	fileItems = max(fileItems, 1)
	for _, r := range rowsPerItem {
		fileRows := int(min(fileItems, items) * r)
		groups := max(1, (fileRows+targetRowGroupRows-1)/targetRowGroupRows)
		rgRows = append(rgRows, max(1, (fileRows+groups-1)/groups))
	}
	return fileItems, rgRows
}

func (w *tableWriter) consume(items []any) error {
	for _, it := range items {
		w.buffered += w.t.add(it)
		w.items++
		// A row group ends at rgRows or where the file ends. An item's rows
		// (an order's lines) stay together, so groups may run a few over.
		if w.buffered >= w.rgRows || w.items == w.fileItems {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush writes the buffered rows as one row group, opening a file first and
// closing it when it is full.
func (w *tableWriter) flush() error {
	if w.buffered == 0 {
		return nil
	}
	if w.fw == nil {
		if err := w.open(); err != nil {
			return err
		}
	}
	cols := w.t.arrays()
	rec := array.NewRecordBatch(w.schema, cols, int64(w.buffered))
	for _, c := range cols {
		c.Release()
	}
	err := w.fw.Write(rec)
	rec.Release()
	if err != nil {
		return fmt.Errorf("tpchgen: writing %s: %w", w.t.name, err)
	}
	w.t.reset()
	w.inFile += w.buffered
	w.total += int64(w.buffered)
	w.buffered = 0
	if w.items == w.fileItems {
		return w.closeFile()
	}
	return nil
}

func (w *tableWriter) open() error {
	name := filepath.Join(w.dir, fmt.Sprintf("part-%d.parquet", w.files))
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("tpchgen: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	fw, err := pqarrow.NewFileWriter(w.schema, bw, w.props, pqarrow.DefaultWriterProps())
	if err != nil {
		f.Close()
		return fmt.Errorf("tpchgen: %w", err)
	}
	w.f, w.bw, w.fw = f, bw, fw
	w.files++
	return nil
}

func (w *tableWriter) closeFile() error {
	err := w.fw.Close()
	if err == nil {
		err = w.bw.Flush()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.fw, w.bw, w.f = nil, nil, nil
	if err != nil {
		return fmt.Errorf("tpchgen: closing %s file: %w", w.t.name, err)
	}
	if w.multi {
		fmt.Fprintf(w.out, "%s/part-%d.parquet: %d rows, %s\n", w.t.name, w.files-1, w.inFile, since(w.start))
	}
	// Reset here, not in open: items are counted before the next file opens.
	w.inFile, w.items = 0, 0
	return nil
}

// finish writes what is left; a table with no rows still gets one file so
// that its folder has a schema.
func (w *tableWriter) finish() error {
	if err := w.flush(); err != nil {
		return err
	}
	if w.fw == nil && w.files == 0 {
		if err := w.open(); err != nil {
			return err
		}
	}
	if w.fw != nil {
		if err := w.closeFile(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w.out, "%s: %d rows in %d files, %s\n", w.t.name, w.total, w.files, since(w.start))
	return nil
}

// abort closes a half-written file after an error; the error already
// recorded is the one reported.
func (w *tableWriter) abort() {
	if w.f != nil {
		w.f.Close()
		w.fw, w.bw, w.f = nil, nil, nil
	}
}

// syncWriter lets the table writers share one progress writer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
