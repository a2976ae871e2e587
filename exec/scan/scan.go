// Package scan is the leaf operator that reads a table's splits. It knows
// nothing of Parquet: the planner hands it a function that opens one split,
// and several Scan instances share one queue of splits so that each core
// takes the next row group when it is free (morsel-driven parallelism).
package scan

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/exec"
)

// Reader yields the batches of one split; the scan releases each batch.
type Reader interface {
	Next() (arrow.RecordBatch, error)
	Close() error
}

// OpenFunc opens split i.
type OpenFunc func(ctx context.Context, i int) (Reader, error)

// Queue hands out split numbers 0..n-1 to whichever scan asks first.
type Queue struct {
	n    int
	next atomic.Int64
	done atomic.Int64
}

// Progress reports how many splits have been read completely, of how many.
func (q *Queue) Progress() (done, total int) { return int(q.done.Load()), q.n }

// NewQueue returns a queue of n splits.
func NewQueue(n int) *Queue { return &Queue{n: n} }

func (q *Queue) take() (int, bool) {
	i := int(q.next.Add(1) - 1)
	return i, i < q.n
}

// Scan reads splits from a shared queue until it is empty.
type Scan struct {
	q      *Queue
	open   OpenFunc
	schema *arrow.Schema
	cur    Reader
	last   arrow.RecordBatch
	rows   atomic.Int64
}

var _ exec.Operator = (*Scan)(nil)

// New returns a scan over q's splits producing batches of schema.
func New(q *Queue, open OpenFunc, schema *arrow.Schema) *Scan {
	return &Scan{q: q, open: open, schema: schema}
}

func (s *Scan) Schema() *arrow.Schema      { return s.schema }
func (s *Scan) Open(context.Context) error { return nil }

func (s *Scan) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.last != nil {
		s.last.Release()
		s.last = nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, exec.Canceled(err)
		}
		if s.cur == nil {
			i, ok := s.q.take()
			if !ok {
				return nil, io.EOF
			}
			r, err := s.open(ctx, i)
			if err != nil {
				return nil, err
			}
			s.cur = r
		}
		b, err := s.cur.Next()
		if err == io.EOF {
			err = s.cur.Close()
			s.cur = nil
			s.q.done.Add(1)
			if err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		s.last = b
		s.rows.Add(b.NumRows())
		return b, nil
	}
}

// Rows is the number of rows this scan has produced.
func (s *Scan) Rows() int64 { return s.rows.Load() }

func (s *Scan) Close() error {
	if s.last != nil {
		s.last.Release()
		s.last = nil
	}
	if s.cur != nil {
		err := s.cur.Close()
		s.cur = nil
		return err
	}
	return nil
}
