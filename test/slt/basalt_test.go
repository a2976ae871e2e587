//go:build !sltnoengine

// The Basalt half of the suite. The build tag lets the PostgreSQL half be
// built on its own (go test -tags sltnoengine) while the engine does not
// compile, which is how expectations are authored during engine rewrites.

package slt

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// TestBasalt runs every .slt file against a fresh embedded engine over the
// fixture Parquet files.
func TestBasalt(t *testing.T) {
	for _, path := range sltFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".slt"), func(t *testing.T) {
			f, err := ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			eng, err := engine.Open(ctx, engine.Config{DataDir: dataDir})
			if err != nil {
				t.Fatalf("open engine: %v", err)
			}
			defer eng.Close()
			runFile(t, f, "basalt", func(ctx context.Context, r *Record) *Outcome {
				return runBasalt(ctx, eng, r)
			}, *complete)
		})
	}
}

// runBasalt executes one record and formats its result with pgtext, the
// same text output Basalt's wire protocol sends.
func runBasalt(ctx context.Context, eng *engine.Engine, r *Record) *Outcome {
	fail := func(err error) *Outcome {
		var se *sqlerr.Error
		code := "XX000"
		if errors.As(err, &se) {
			code = se.Code
		}
		return &Outcome{Err: err, ErrCode: code}
	}
	res, err := eng.Query(ctx, r.SQL)
	if err != nil {
		return fail(err)
	}
	defer res.Close()
	tc := make([]byte, len(res.Columns))
	for i, c := range res.Columns {
		tc[i] = TypeChar(c.Type.String())
	}
	var rows [][]string
	for {
		b, err := res.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		if int(b.NumCols()) != len(res.Columns) {
			return fail(errors.New("batch has a different column count from the result's columns"))
		}
		for i := 0; i < int(b.NumRows()); i++ {
			vals := make([]string, len(res.Columns))
			for j, c := range res.Columns {
				vals[j] = FormatValue(pgtext.Format(b.Column(j), i, c.Type))
			}
			rows = append(rows, vals)
		}
	}
	return &Outcome{Types: string(tc), Rows: FinishRows(rows, r.Sort)}
}
