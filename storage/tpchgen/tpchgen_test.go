package tpchgen

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// Generating costs several seconds (dbgen builds a 300 MB text pool), so
// the tests share one SF 0.01 data set.
var (
	genOnce sync.Once
	genDir  string
	genErr  error
)

func testData(t *testing.T) string {
	t.Helper()
	genOnce.Do(func() {
		genDir, genErr = os.MkdirTemp("", "tpchgen-test-")
		if genErr != nil {
			return
		}
		var progress strings.Builder
		genErr = Generate(context.Background(), 0.01, genDir, &progress)
		if genErr == nil && !strings.Contains(progress.String(), "lineitem:") {
			t.Logf("progress output lacks lineitem line:\n%s", progress.String())
		}
	})
	if genErr != nil {
		t.Fatalf("Generate: %v", genErr)
	}
	return genDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if genDir != "" {
		os.RemoveAll(genDir)
	}
	os.Exit(code)
}

// readTable reads every file of a table folder, in file order.
func readTable(t *testing.T, dir, name string) (arrow.Table, []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, name, "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no files (%v)", name, err)
	}
	sort.Slice(files, func(i, j int) bool { return fileNum(files[i]) < fileNum(files[j]) })
	var recs []arrow.RecordBatch
	var sch *arrow.Schema
	for _, f := range files {
		tbl := readFile(t, f)
		sch = tbl.Schema()
		tr := array.NewTableReader(tbl, -1)
		for tr.Next() {
			r := tr.RecordBatch()
			r.Retain()
			recs = append(recs, r)
		}
		tr.Release()
		tbl.Release()
	}
	tbl := array.NewTableFromRecords(sch, recs)
	for _, r := range recs {
		r.Release()
	}
	t.Cleanup(tbl.Release)
	return tbl, files
}

func fileNum(p string) int {
	var n int
	for _, c := range strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "part-"), ".parquet") {
		n = n*10 + int(c-'0')
	}
	return n
}

func readFile(t *testing.T, path string) arrow.Table {
	t.Helper()
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestRowCounts(t *testing.T) {
	dir := testData(t)
	want := map[string]int64{
		"nation": 25, "region": 5, "supplier": 100, "customer": 1500,
		"part": 2000, "partsupp": 8000, "orders": 15000,
	}
	for name, n := range want {
		tbl, _ := readTable(t, dir, name)
		if tbl.NumRows() != n {
			t.Errorf("%s: %d rows, want %d", name, tbl.NumRows(), n)
		}
	}
	li, files := readTable(t, dir, "lineitem")
	// Every order has 1 to 7 lines.
	if li.NumRows() < 15000 || li.NumRows() > 7*15000 {
		t.Errorf("lineitem: %d rows, want between 15000 and 105000", li.NumRows())
	}
	if len(files) < minFiles {
		t.Errorf("lineitem: %d files, want at least %d", len(files), minFiles)
	}
}

// TestPhysicalTypes checks the Parquet schema the engine's readers see.
func TestPhysicalTypes(t *testing.T) {
	dir := testData(t)
	rdr, err := file.OpenParquetFile(filepath.Join(dir, "lineitem", "part-0.parquet"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	sch := rdr.MetaData().Schema
	check := func(name string, phys parquet.Type, logical schema.LogicalType) {
		t.Helper()
		i := sch.ColumnIndexByName(name)
		if i < 0 {
			t.Fatalf("column %s missing", name)
		}
		col := sch.Column(i)
		if col.PhysicalType() != phys || !col.LogicalType().Equals(logical) {
			t.Errorf("%s: %s %s, want %s %s", name, col.PhysicalType(), col.LogicalType(), phys, logical)
		}
		if col.MaxDefinitionLevel() != 0 {
			t.Errorf("%s: optional, want required", name)
		}
	}
	check("l_orderkey", parquet.Types.Int32, schema.NewIntLogicalType(32, true))
	check("l_linenumber", parquet.Types.Int32, schema.NewIntLogicalType(32, true))
	check("l_extendedprice", parquet.Types.Int64, schema.NewDecimalLogicalType(15, 2))
	check("l_shipdate", parquet.Types.Int32, schema.DateLogicalType{})
	check("l_comment", parquet.Types.ByteArray, schema.StringLogicalType{})
	if n := rdr.NumRowGroups(); n < 1 {
		t.Errorf("no row groups")
	}
	chunk, err := rdr.MetaData().RowGroup(0).ColumnChunk(0)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := chunk.Statistics(); err != nil || st == nil || !st.HasMinMax() {
		t.Errorf("l_orderkey chunk has no min/max statistics (%v)", err)
	}

	tbl, _ := readTable(t, dir, "orders")
	wantTypes := map[string]arrow.DataType{
		"o_orderkey":    arrow.PrimitiveTypes.Int32,
		"o_orderstatus": arrow.BinaryTypes.String,
		"o_totalprice":  &arrow.Decimal128Type{Precision: 15, Scale: 2},
		"o_orderdate":   arrow.FixedWidthTypes.Date32,
	}
	for name, typ := range wantTypes {
		idx := tbl.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("orders.%s missing", name)
		}
		if got := tbl.Schema().Field(idx[0]).Type; !arrow.TypeEqual(got, typ) {
			t.Errorf("orders.%s: %s, want %s", name, got, typ)
		}
	}
}

func col[T any](t *testing.T, tbl arrow.Table, name string) []T {
	t.Helper()
	idx := tbl.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("column %s missing", name)
	}
	var out []T
	for _, c := range tbl.Column(idx[0]).Data().Chunks() {
		switch a := c.(type) {
		case *array.Int32:
			out = append(out, any(a.Int32Values()).([]T)...)
		case *array.Date32:
			for _, d := range a.Date32Values() {
				out = append(out, any(d.ToTime().Format("2006-01-02")).(T))
			}
		case *array.Decimal128:
			for i := 0; i < a.Len(); i++ {
				out = append(out, any(a.Value(i).ToString(2)).(T))
			}
		case *array.String:
			for i := 0; i < a.Len(); i++ {
				out = append(out, any(a.Value(i)).(T))
			}
		default:
			t.Fatalf("column %s: unexpected array %T", name, c)
		}
	}
	return out
}

// TestKnownValues compares rows with those of the reference dbgen at SF1,
// which a fractional scale factor reproduces at its start.
func TestKnownValues(t *testing.T) {
	dir := testData(t)

	region, _ := readTable(t, dir, "region")
	if got := col[string](t, region, "r_name"); strings.Join(got, ",") != "AFRICA,AMERICA,ASIA,EUROPE,MIDDLE EAST" {
		t.Errorf("r_name = %v", got)
	}
	nation, _ := readTable(t, dir, "nation")
	names, regions := col[string](t, nation, "n_name"), col[int32](t, nation, "n_regionkey")
	if names[0] != "ALGERIA" || regions[0] != 0 || names[2] != "BRAZIL" || regions[2] != 1 ||
		names[24] != "UNITED STATES" || regions[24] != 1 {
		t.Errorf("nation rows wrong: %v %v", names, regions)
	}
	if got := col[string](t, nation, "n_comment")[0]; got != " haggle. carefully final deposits detect slyly agai" {
		t.Errorf("n_comment[0] = %q", got)
	}

	orders, _ := readTable(t, dir, "orders")
	if got := []any{col[int32](t, orders, "o_orderkey")[1], col[int32](t, orders, "o_custkey")[1],
		col[string](t, orders, "o_orderstatus")[1], col[string](t, orders, "o_totalprice")[1],
		col[string](t, orders, "o_orderdate")[1], col[string](t, orders, "o_orderpriority")[1],
		col[string](t, orders, "o_clerk")[1]}; !equalAny(got, []any{int32(2), int32(78002), "O", "46929.18", "1996-12-01", "1-URGENT", "Clerk#000000880"}) {
		t.Errorf("orders row 2 = %v", got)
	}

	li, _ := readTable(t, dir, "lineitem")
	row := func(i int) []any {
		return []any{col[int32](t, li, "l_orderkey")[i], col[int32](t, li, "l_partkey")[i],
			col[int32](t, li, "l_suppkey")[i], col[int32](t, li, "l_linenumber")[i],
			col[string](t, li, "l_quantity")[i], col[string](t, li, "l_extendedprice")[i],
			col[string](t, li, "l_discount")[i], col[string](t, li, "l_tax")[i],
			col[string](t, li, "l_returnflag")[i], col[string](t, li, "l_linestatus")[i],
			col[string](t, li, "l_shipdate")[i], col[string](t, li, "l_commitdate")[i],
			col[string](t, li, "l_receiptdate")[i], col[string](t, li, "l_shipinstruct")[i],
			col[string](t, li, "l_shipmode")[i], col[string](t, li, "l_comment")[i]}
	}
	// 1|155190|7706|1|17|21168.23|0.04|0.02|N|O|1996-03-13|1996-02-12|1996-03-22|DELIVER IN PERSON|TRUCK|egular courts above the|
	if got := row(0); !equalAny(got, []any{int32(1), int32(155190), int32(7706), int32(1), "17.00", "21168.23", "0.04", "0.02",
		"N", "O", "1996-03-13", "1996-02-12", "1996-03-22", "DELIVER IN PERSON", "TRUCK", "egular courts above the"}) {
		t.Errorf("lineitem row 1 = %v", got)
	}
	// 3|4297|1798|1|45|54058.05|0.06|0.00|R|F|1994-02-02|1994-01-04|1994-02-23|NONE|AIR|ongside of the furiously brave acco|
	if got := row(7); !equalAny(got, []any{int32(3), int32(4297), int32(1798), int32(1), "45.00", "54058.05", "0.06", "0.00",
		"R", "F", "1994-02-02", "1994-01-04", "1994-02-23", "NONE", "AIR", "ongside of the furiously brave acco"}) {
		t.Errorf("lineitem row 8 = %v", got)
	}

	part, _ := readTable(t, dir, "part")
	if got := []any{col[string](t, part, "p_name")[0], col[string](t, part, "p_brand")[0], col[string](t, part, "p_type")[0],
		col[int32](t, part, "p_size")[0], col[string](t, part, "p_container")[0], col[string](t, part, "p_retailprice")[0]}; !equalAny(got,
		[]any{"goldenrod lavender spring chocolate lace", "Brand#13", "PROMO BURNISHED COPPER", int32(7), "JUMBO PKG", "901.00"}) {
		t.Errorf("part row 1 = %v", got)
	}
	ps, _ := readTable(t, dir, "partsupp")
	if got := []any{col[int32](t, ps, "ps_partkey")[1], col[int32](t, ps, "ps_suppkey")[1], col[int32](t, ps, "ps_availqty")[1],
		col[string](t, ps, "ps_supplycost")[1]}; !equalAny(got, []any{int32(1), int32(2502), int32(8076), "993.49"}) {
		t.Errorf("partsupp row 2 = %v", got)
	}
	cust, _ := readTable(t, dir, "customer")
	if got := []any{col[string](t, cust, "c_name")[0], col[int32](t, cust, "c_nationkey")[0], col[string](t, cust, "c_phone")[0],
		col[string](t, cust, "c_acctbal")[0], col[string](t, cust, "c_mktsegment")[0]}; !equalAny(got,
		[]any{"Customer#000000001", int32(15), "25-989-741-2988", "711.56", "BUILDING"}) {
		t.Errorf("customer row 1 = %v", got)
	}
	supp, _ := readTable(t, dir, "supplier")
	if got := []any{col[string](t, supp, "s_name")[2], col[int32](t, supp, "s_nationkey")[2], col[string](t, supp, "s_acctbal")[2]}; !equalAny(got,
		[]any{"Supplier#000000003", int32(1), "4192.40"}) {
		t.Errorf("supplier row 3 = %v", got)
	}
}

func equalAny(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestKeyOrderAndCoPartitioning checks rows are in key order and that
// lineitem's part-N holds exactly the lines of orders' part-N.
func TestKeyOrderAndCoPartitioning(t *testing.T) {
	dir := testData(t)
	_, ofiles := readTable(t, dir, "orders")
	_, lfiles := readTable(t, dir, "lineitem")
	if len(ofiles) != len(lfiles) {
		t.Fatalf("orders has %d files, lineitem %d", len(ofiles), len(lfiles))
	}
	prevOrder := int32(0)
	for i := range ofiles {
		o, l := readFile(t, ofiles[i]), readFile(t, lfiles[i])
		okeys, lkeys := col[int32](t, o, "o_orderkey"), col[int32](t, l, "l_orderkey")
		o.Release()
		l.Release()
		seen := map[int32]bool{}
		for _, k := range okeys {
			if k <= prevOrder {
				t.Fatalf("file %d: o_orderkey %d after %d", i, k, prevOrder)
			}
			prevOrder = k
			seen[k] = true
		}
		for j, k := range lkeys {
			if j > 0 && k < lkeys[j-1] {
				t.Fatalf("file %d: l_orderkey %d after %d", i, k, lkeys[j-1])
			}
			if _, ok := seen[k]; !ok {
				t.Fatalf("lineitem file %d has order %d not in orders file %d", i, k, i)
			}
			seen[k] = false
		}
		// Every order has at least one line.
		for k, noLines := range seen {
			if noLines {
				t.Fatalf("file %d: order %d has no lines", i, k)
			}
		}
	}
}

func TestGenerateRejectsBadScale(t *testing.T) {
	for _, sf := range []float64{0, -1, 1.5, MaxScaleFactor + 1} {
		if err := Generate(context.Background(), sf, t.TempDir(), nil); err == nil {
			t.Errorf("Generate(sf=%v) succeeded", sf)
		}
	}
}

func TestGenerateCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Generate(ctx, 0.01, t.TempDir(), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate with a canceled context = %v, want context.Canceled", err)
	}
}

func TestParseDate(t *testing.T) {
	for d := time.Date(1992, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2000; d = d.AddDate(0, 0, 1) {
		want := int32(d.Unix() / 86400)
		if got := parseDate(d.Format("2006-01-02")); got != want {
			t.Fatalf("parseDate(%s) = %d, want %d", d.Format("2006-01-02"), got, want)
		}
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		items       int64
		rowsPerItem []int64
		split       bool
		fileItems   int64
		rgRows      []int
	}{
		// SF1 orders+lineitem: 6 files of 250K orders, ~1M lines.
		{1_500_000, []int64{1, 4}, true, 250_000, []int{125_000, 125_000}},
		// SF0.1: at least 4 files.
		{150_000, []int64{1, 4}, true, 37_500, []int{37_500, 75_000}},
		// SF1 part+partsupp: one file, row groups under the target.
		{200_000, []int64{1, 4}, false, 250_000, []int{100_000, 114_286}},
		{25, []int64{1}, false, 1_000_000, []int{25}},
	}
	for _, tc := range tests {
		fi, rg := layout(tc.items, tc.rowsPerItem, tc.split)
		if fi != tc.fileItems || len(rg) != len(tc.rgRows) {
			t.Errorf("layout(%d, %v, %v) = %d, %v; want %d, %v", tc.items, tc.rowsPerItem, tc.split, fi, rg, tc.fileItems, tc.rgRows)
			continue
		}
		for i := range rg {
			if rg[i] != tc.rgRows[i] {
				t.Errorf("layout(%d, %v, %v) row groups %v, want %v", tc.items, tc.rowsPerItem, tc.split, rg, tc.rgRows)
			}
		}
	}
}

func TestQueries(t *testing.T) {
	names := QueryNames()
	if len(names) != 22 || names[0] != "q01" || names[21] != "q22" {
		t.Fatalf("QueryNames() = %v", names)
	}
	limits := map[int]string{2: "100", 3: "10", 10: "20", 18: "100", 21: "100"}
	limitRE := regexp.MustCompile(`(?i)\blimit\s+(\d+)`)
	for n := 1; n <= 22; n++ {
		q := Query(n)
		if !strings.Contains(strings.ToLower(q), "select") || strings.HasSuffix(q, ";") {
			t.Errorf("Query(%d) malformed: %q", n, q)
		}
		m := limitRE.FindAllStringSubmatch(q, -1)
		switch want, ok := limits[n]; {
		case ok && (len(m) != 1 || m[0][1] != want):
			t.Errorf("Query(%d): limits %v, want LIMIT %s", n, m, want)
		case !ok && len(m) != 0:
			t.Errorf("Query(%d): unexpected LIMIT %v", n, m)
		}
	}
	if Query(0) != "" || Query(23) != "" {
		t.Errorf("out-of-range queries are not empty")
	}
	if !strings.Contains(Query(15), "with revenue0 as") {
		t.Errorf("Q15 is not a CTE")
	}
}
