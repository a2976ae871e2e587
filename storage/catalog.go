package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// SchemaName is the one schema every table of a data directory lives in.
const SchemaName = "public"

// readBufferSize is the buffer each column chunk reader fills per read
// system call. Column chunks of analytic files run to megabytes, so a large
// buffer turns a scan into few big sequential reads.
const readBufferSize = 1 << 20

// Catalog is the set of tables found under one data directory. It is
// immutable after Open and safe for concurrent use.
type Catalog struct {
	dir    string
	tables []*Table
	byName map[string]*Table
}

// Table is one table: a folder of Parquet files or one top-level file.
//
// A table whose files cannot all be read, or whose files disagree on a
// column's type, still appears in the catalog (so the other tables keep
// working and the user gets a precise error): Err reports the problem and
// Read fails with it.
type Table struct {
	Name    string
	Schema  string // always SchemaName
	Columns []Column

	dir      string // folder of the table, "" for a single-file table
	files    []*tableFile
	partCols []int // indexes in Columns of the partition columns, in order
	splits   []Split
	rows     int64
	bytes    int64
	err      error
	mem      RowsFunc // rows of an in-memory table; nil for Parquet
}

// Column is one column of a table.
type Column struct {
	Name      string
	Type      types.T
	Nullable  bool
	Partition bool // a key=value folder, not stored in the files
}

// tableFile is one Parquet file of a table with its footer.
type tableFile struct {
	path   string
	size   int64
	pf     *parquet.File // footer only: the handle it was read from is closed
	leaves []leaf
	err    error // the file could not be opened or its footer is corrupt
	parts  []partKV
	// colLeaf maps each table column to an index in leaves, or -1 when the
	// file lacks the column (it reads as NULL) or it is a partition column.
	colLeaf []int
	// partVals holds the value of each partition column (t.partCols order)
	// in the Const encoding of its type; nil is NULL.
	partVals []any
}

// Split is the unit of parallel work: one row group of one file. It is plain
// data so a coordinator can ship it to the node that runs it.
type Split struct {
	Table     string
	File      string // path of the Parquet file
	FileIndex int    // index of the file in its table
	RowGroup  int    // -1 for a file whose footer could not be read
	Rows      int64
	Bytes     int64 // compressed bytes of the row group's column chunks
	// Partition holds the value of each partition column, in the order of
	// the table's partition columns; nil is NULL.
	Partition []any
}

// Open scans dir and reads the footer of every Parquet file below it (in
// parallel). It fails only when dir itself cannot be listed; problems with
// individual files are deferred to the tables holding them (Table.Err).
func Open(ctx context.Context, dir string) (*Catalog, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, sqlerr.Wrap(sqlerr.IOError, err, "could not open data directory %q", dir)
	}
	c := &Catalog{dir: dir, byName: map[string]*Table{}}
	add := func(t *Table) {
		if prev, ok := c.byName[t.Name]; ok {
			prev.err = sqlerr.New("42P07", "table %q is defined both by a folder and by a file in %q", t.Name, dir)
			return
		}
		c.byName[t.Name] = t
		c.tables = append(c.tables, t)
	}
	for _, e := range entries {
		name := e.Name()
		if hiddenName(name) {
			continue
		}
		full := filepath.Join(dir, name)
		info, err := os.Stat(full) // follows symbolic links
		if err != nil {
			continue
		}
		switch {
		case info.IsDir():
			t := &Table{Name: name, Schema: SchemaName, dir: full}
			paths, err := parquetFilesUnder(full)
			if err != nil {
				t.err = sqlerr.Wrap(sqlerr.IOError, err, "could not list table folder %q", full)
			}
			for _, p := range paths {
				t.files = append(t.files, &tableFile{path: p})
			}
			add(t)
		case isParquetName(name):
			t := &Table{Name: strings.TrimSuffix(name, filepath.Ext(name)), Schema: SchemaName}
			t.files = []*tableFile{{path: full}}
			add(t)
		}
	}

	var all []*tableFile
	for _, t := range c.tables {
		all = append(all, t.files...)
	}
	if err := readFooters(ctx, all); err != nil {
		return nil, err
	}
	for _, t := range c.tables {
		t.build()
	}
	sort.Slice(c.tables, func(i, j int) bool { return c.tables[i].Name < c.tables[j].Name })
	return c, nil
}

// Dir is the data directory the catalog was opened on.
func (c *Catalog) Dir() string { return c.dir }

// Tables returns every table, sorted by name.
func (c *Catalog) Tables() []*Table { return append([]*Table(nil), c.tables...) }

// Table finds a table by its exact name, or failing that by a
// case-insensitive match (the binder has already folded unquoted names to
// lower case, while folder names often are not).
func (c *Catalog) Table(name string) (*Table, bool) {
	if t, ok := c.byName[name]; ok {
		return t, true
	}
	for _, t := range c.tables {
		if strings.EqualFold(t.Name, name) {
			return t, true
		}
	}
	return nil, false
}

// Err reports why the table cannot be read (an unreadable file, conflicting
// schemas), or nil. Binders should check it so queries fail early with the
// precise error; Read returns it too.
func (t *Table) Err() error { return t.err }

// Column returns the index of the named column: exact match first, then a
// case-insensitive one.
func (t *Table) Column(name string) (int, bool) {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return i, true
		}
	}
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return i, true
		}
	}
	return -1, false
}

// RowCount is the number of rows, from the file footers.
func (t *Table) RowCount() int64 { return t.rows }

// ByteSize is the total size of the table's files on disk (compressed).
func (t *Table) ByteSize() int64 { return t.bytes }

// Files returns the paths of the table's Parquet files.
func (t *Table) Files() []string {
	out := make([]string, len(t.files))
	for i, f := range t.files {
		out[i] = f.path
	}
	return out
}

// Splits returns one split per row group of every file. A file whose footer
// is unreadable yields one split with RowGroup -1 whose Read reports the
// error, so a scan of a broken table fails instead of silently skipping data.
func (t *Table) Splits() []Split { return append([]Split(nil), t.splits...) }

func hiddenName(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

func isParquetName(name string) bool {
	return strings.EqualFold(filepath.Ext(name), ".parquet") && !hiddenName(name)
}

// parquetFilesUnder lists the *.parquet files at any depth below dir, sorted,
// skipping hidden and underscore-prefixed entries (writers' temporary and
// metadata folders such as _temporary or .spark-staging).
func parquetFilesUnder(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if hiddenName(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && isParquetName(d.Name()) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// readFooters opens every file and decodes its footer, a few at a time:
// footers are small random reads, so overlapping them hides disk and
// network-filesystem latency.
func readFooters(ctx context.Context, files []*tableFile) error {
	work := make(chan *tableFile)
	var wg sync.WaitGroup
	workers := min(len(files), max(4, 2*runtime.GOMAXPROCS(0)))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				f.open()
			}
		}()
	}
	var err error
feed:
	for _, f := range files {
		select {
		case work <- f:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err != nil {
		return sqlerr.Wrap(sqlerr.QueryCanceled, err, "reading Parquet footers")
	}
	return nil
}

// open reads the file's footer and schema, recording any failure in f.err.
func (f *tableFile) open() {
	defer func() {
		// parquet-go can panic on corrupt metadata; a bad file must never
		// take the process down.
		if r := recover(); r != nil {
			f.pf = nil
			f.err = corruptFile(f.path, fmt.Errorf("%v", r))
		}
	}()
	h, err := os.Open(f.path)
	if err != nil {
		f.err = sqlerr.Wrap(sqlerr.IOError, err, "could not open Parquet file %q", f.path)
		return
	}
	defer h.Close()
	st, err := h.Stat()
	if err != nil {
		f.err = sqlerr.Wrap(sqlerr.IOError, err, "could not stat Parquet file %q", f.path)
		return
	}
	f.size = st.Size()
	pf, err := parquet.OpenFile(h, f.size,
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(readBufferSize),
	)
	if err != nil {
		f.err = corruptFile(f.path, err)
		return
	}
	md := pf.Metadata()
	leaves, numLeaves, err := fileLeaves(md.Schema)
	if e, ok := err.(*sqlerr.Error); ok {
		f.err = &sqlerr.Error{Code: e.Code, Message: fmt.Sprintf("Parquet file %q: %s", f.path, e.Message), Err: e}
		return
	}
	if err != nil {
		f.err = corruptFile(f.path, err)
		return
	}
	for i := range md.RowGroups {
		if len(md.RowGroups[i].Columns) != numLeaves {
			f.err = corruptFile(f.path, fmt.Errorf("row group %d has %d column chunks, schema has %d columns", i, len(md.RowGroups[i].Columns), numLeaves))
			return
		}
	}
	f.pf = pf
	f.leaves = leaves
}

func corruptFile(path string, err error) error {
	return sqlerr.Wrap(sqlerr.DataCorrupted, err, "could not read Parquet file %q", path)
}

// build merges the schemas of the table's readable files and lists its
// splits. Errors are recorded in t.err; the columns stay as complete as the
// readable files allow, so the catalog can still describe the table.
func (t *Table) build() {
	fail := func(err error) {
		if t.err == nil {
			t.err = err
		}
	}
	// Partition keys first: a file column with a partition key's name is
	// shadowed by the folder value, as Hive-style readers do.
	partIdx := map[string]int{}
	var partNames []string
	var partValues [][]string
	partNullable := []bool{}
	for _, f := range t.files {
		if t.dir == "" {
			break
		}
		f.parts = partitionsOf(t.dir, f.path)
		for _, kv := range f.parts {
			i, ok := partIdx[kv.key]
			if !ok {
				i = len(partNames)
				partIdx[kv.key] = i
				partNames = append(partNames, kv.key)
				partValues = append(partValues, nil)
				partNullable = append(partNullable, false)
			}
			if kv.null {
				partNullable[i] = true
			} else {
				partValues[i] = append(partValues[i], kv.value)
			}
		}
	}

	colIdx := map[string]int{}
	origin := []string{} // the file that fixed each column's type
	for _, f := range t.files {
		if f.err != nil {
			fail(f.err)
			continue
		}
		t.bytes += f.size
		t.rows += f.pf.NumRows()
		for _, l := range f.leaves {
			if _, isPart := partIdx[l.name]; isPart {
				continue
			}
			i, ok := colIdx[l.name]
			if !ok {
				colIdx[l.name] = len(t.Columns)
				t.Columns = append(t.Columns, Column{Name: l.name, Type: l.t, Nullable: l.optional})
				origin = append(origin, f.path)
				continue
			}
			col := &t.Columns[i]
			merged, ok := mergeTypes(col.Type, l.t)
			if !ok {
				fail(sqlerr.New(sqlerr.DatatypeMismatch, "column %q of table %q has type %s in %q but %s in %q",
					l.name, t.Name, col.Type, origin[i], l.t, f.path))
				continue
			}
			if col.Type.Kind == types.Unknown {
				origin[i] = f.path
			}
			col.Type = merged
			col.Nullable = col.Nullable || l.optional
		}
	}
	numFileCols := len(t.Columns)
	for i := range t.Columns {
		if t.Columns[i].Type.Kind == types.Unknown {
			t.Columns[i].Type = types.TextT
		}
	}
	for i, name := range partNames {
		t.partCols = append(t.partCols, len(t.Columns))
		t.Columns = append(t.Columns, Column{Name: name, Type: inferPartitionType(partValues[i]), Nullable: partNullable[i], Partition: true})
	}

	for fi, f := range t.files {
		if f.err != nil {
			t.splits = append(t.splits, Split{Table: t.Name, File: f.path, FileIndex: fi, RowGroup: -1})
			continue
		}
		f.colLeaf = make([]int, len(t.Columns))
		for i := range f.colLeaf {
			f.colLeaf[i] = -1
		}
		present := map[int]bool{}
		for li, l := range f.leaves {
			if i, ok := colIdx[l.name]; ok && i < numFileCols {
				f.colLeaf[i] = li
				present[i] = true
			}
		}
		for i := range numFileCols {
			if !present[i] {
				t.Columns[i].Nullable = true // missing in this file: NULL there
			}
		}
		f.partVals = make([]any, len(t.partCols))
		for pi, ci := range t.partCols {
			var kv partKV
			found := false
			for _, p := range f.parts {
				if p.key == t.Columns[ci].Name {
					kv, found = p, true
				}
			}
			if !found {
				t.Columns[ci].Nullable = true
				kv = partKV{null: true}
			}
			f.partVals[pi] = partitionValue(kv, t.Columns[ci].Type)
		}
		md := f.pf.Metadata()
		for rg := range md.RowGroups {
			g := &md.RowGroups[rg]
			var bytes int64
			for ci := range g.Columns {
				bytes += g.Columns[ci].MetaData.TotalCompressedSize
			}
			t.splits = append(t.splits, Split{
				Table: t.Name, File: f.path, FileIndex: fi, RowGroup: rg,
				Rows: g.NumRows, Bytes: bytes, Partition: f.partVals,
			})
		}
	}
}

// fileOf resolves the file of a split, by index and, as a check (splits may
// come from another node), by path.
func (t *Table) fileOf(s Split) (*tableFile, error) {
	if s.FileIndex >= 0 && s.FileIndex < len(t.files) && t.files[s.FileIndex].path == s.File {
		return t.files[s.FileIndex], nil
	}
	for _, f := range t.files {
		if f.path == s.File {
			return f, nil
		}
	}
	return nil, sqlerr.New(sqlerr.InternalError, "split refers to file %q which is not part of table %q", s.File, t.Name)
}

// errNoRowGroup is returned for a split whose row group does not exist.
var errNoRowGroup = errors.New("no such row group")

// SplitID names a split by its file and row group: what a coordinator
// sends a node to say which splits of a table it reads.
type SplitID struct {
	File     string
	RowGroup int
}

func (id SplitID) String() string { return fmt.Sprintf("%s#%d", id.File, id.RowGroup) }

// ID is the split's SplitID.
func (s Split) ID() SplitID { return SplitID{File: s.File, RowGroup: s.RowGroup} }
