package pgwire_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/server/pgwire"
)

const nRows = 5000

// writeFixtures writes table t (nRows rows of every common type, in two
// row groups) and table big (3000 integers, for slow cross joins).
func writeFixtures(t *testing.T, dir string) {
	t.Helper()
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64},
		{Name: "n", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	bld := array.NewRecordBuilder(mem, schema)
	defer bld.Release()
	for r := 0; r < nRows; r++ {
		bld.Field(0).(*array.Int64Builder).Append(int64(r))
		if r%10 == 3 {
			bld.Field(1).AppendNull()
			bld.Field(2).AppendNull()
		} else {
			bld.Field(1).(*array.Int32Builder).Append(int32(r % 100))
			bld.Field(2).(*array.StringBuilder).Append("s" + string(rune('a'+r%26)))
		}
		bld.Field(3).(*array.Float64Builder).Append(float64(r) / 4)
		bld.Field(4).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(r)*101 - 50000))
		bld.Field(5).(*array.Date32Builder).Append(arrow.Date32(18262 + r%1000)) // from 2020-01-01
		bld.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(1577836800+r*3600) * 1_000_000))
		bld.Field(7).(*array.BooleanBuilder).Append(r%2 == 0)
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	writeParquet(t, filepath.Join(dir, "t.parquet"), rec, nRows/2)

	bs := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	bb := array.NewRecordBuilder(mem, bs)
	defer bb.Release()
	for r := 0; r < 3000; r++ {
		bb.Field(0).(*array.Int64Builder).Append(int64(r))
	}
	brec := bb.NewRecordBatch()
	defer brec.Release()
	writeParquet(t, filepath.Join(dir, "big.parquet"), brec, 1000)
}

func writeParquet(t *testing.T, path string, rec arrow.RecordBatch, rowGroup int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(rec.Schema(), f, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(rowGroup)), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// startServer serves a fresh fixture directory on 127.0.0.1:0.
func startServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFixtures(t, dir)
	return serveDir(t, dir)
}

// serveDir serves the tables of dir on 127.0.0.1:0.
func serveDir(t *testing.T, dir string) string {
	t.Helper()
	eng, err := engine.Open(context.Background(), engine.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pgwire.New(pgwire.Config{Engine: eng, Logf: t.Logf})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		// Shutdown waits for statements still winding down (a canceled
		// cross join, a client that just left); on a loaded machine that
		// can take more than a few seconds.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, pgwire.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		eng.Close()
	})
	return ln.Addr().String()
}

func connect(t *testing.T, addr string, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig("postgres://tester@" + addr + "/basalt?sslmode=prefer&application_name=pgwire-test")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
