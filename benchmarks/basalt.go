package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgtext"
)

// Basalt runs queries on the embedded engine, in this process.
type Basalt struct {
	eng *engine.Engine
}

// BasaltConfig says how to open the engine; zero values are the engine's
// defaults (no memory limit, GOMAXPROCS workers).
type BasaltConfig struct {
	MemoryLimit int64 // bytes
	Parallelism int
}

// OpenBasalt opens the engine over dataDir.
func OpenBasalt(ctx context.Context, dataDir string, cfg BasaltConfig) (*Basalt, error) {
	eng, err := engine.Open(ctx, engine.Config{DataDir: dataDir, MemoryLimit: cfg.MemoryLimit, Parallelism: cfg.Parallelism})
	if err != nil {
		return nil, fmt.Errorf("basalt: %w", err)
	}
	return &Basalt{eng: eng}, nil
}

// Close closes the engine.
func (b *Basalt) Close() error { return b.eng.Close() }

// Query runs one statement and returns its rows in PostgreSQL's text form.
// The error keeps the engine's *sqlerr.Error in its chain.
func (b *Basalt) Query(ctx context.Context, query string) (*Result, error) {
	start := time.Now()
	res, err := b.eng.Query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("basalt: %w", err)
	}
	defer res.Close()
	out := &Result{}
	for _, c := range res.Columns {
		out.Columns = append(out.Columns, c.Name)
	}
	var buf []byte
	for {
		batch, err := res.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("basalt: %w", err)
		}
		n := int(batch.NumRows())
		rows := make([][]Value, n)
		cells := make([]Value, n*len(res.Columns)) // one allocation a batch
		for r := range rows {
			rows[r] = cells[r*len(res.Columns) : (r+1)*len(res.Columns)]
		}
		for c, col := range res.Columns {
			arr := batch.Column(c)
			for r := 0; r < n; r++ {
				if arr.IsNull(r) {
					rows[r][c] = Value{Null: true}
					continue
				}
				buf = pgtext.AppendValue(buf[:0], arr, r, col.Type)
				rows[r][c] = Value{S: string(buf)}
			}
		}
		out.Rows = append(out.Rows, rows...)
	}
	out.Elapsed = time.Since(start)
	out.PeakMemory = res.PeakMemory()
	return out, nil
}
