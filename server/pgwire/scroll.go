package pgwire

import (
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// A SCROLL cursor can move backward, so it keeps the rows it has read: the
// batches of its query (slices retained as they stream past) with their
// memory reserved from the query's budget, so a scroll over more rows than
// --memory-limit allows fails with 53200 where PostgreSQL would spill its
// tuplestore to disk. Rows are read from the query only as far as a FETCH
// needs them.
type scrollBuf struct {
	res     *engine.Result // whose budget the rows are reserved from
	batches []arrow.RecordBatch
	starts  []int64 // 0-based row number of each batch's first row
	n       int64   // rows read
	bytes   int64   // reserved
	// pos is PostgreSQL's cursor position: 0 before the first row, k on
	// row k, n+1 after the last (then the query is done).
	pos int64
}

// readAhead is how many rows a SCROLL cursor reads at least when it needs
// more, so that fetching row by row does not pull the query row by row.
const readAhead = 1024

func (s *scrollBuf) free() {
	for _, b := range s.batches {
		b.Release()
	}
	s.batches, s.starts = nil, nil
	if s.res != nil && s.bytes > 0 {
		s.res.Release(s.bytes)
	}
	s.bytes = 0
}

// ensure reads until row k (1-based) is kept; false means the rows end
// before k.
func (c *conn) ensure(p *portal, k int64) (bool, error) {
	s := p.cur.scroll
	if k <= s.n {
		return true, nil
	}
	if p.done {
		return false, nil
	}
	want := max(k-s.n, readAhead)
	if k == pgfront.FetchAll {
		want = 0
	}
	var rerr error
	_, _, err := c.pump(p, want, func(rec arrow.RecordBatch, from, to int) {
		if rerr != nil || from == to {
			return
		}
		b := rec.NewSlice(int64(from), int64(to))
		size := batchBytes(rec) * int64(to-from) / max(rec.NumRows(), 1)
		if err := s.res.Reserve(size); err != nil {
			b.Release()
			rerr = err
			return
		}
		s.bytes += size
		s.batches = append(s.batches, b)
		s.starts = append(s.starts, s.n)
		s.n += int64(to - from)
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return false, err
	}
	return k <= s.n, nil
}

// batchBytes is the size of rec's buffers.
func batchBytes(rec arrow.RecordBatch) int64 {
	var n int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
		for _, ch := range d.Children() {
			walk(ch)
		}
	}
	for _, col := range rec.Columns() {
		walk(col.Data())
	}
	return n
}

// scrollEmitter sends rows of a SCROLL cursor as DataRows in the formats
// of the statement that asked for them, coalescing forward runs so that
// each run's encoders are built once a batch.
type scrollEmitter struct {
	c       *conn
	s       *scrollBuf
	cols    []engine.Column
	formats []int16
	from    int64 // pending forward run [from, to], 1-based; from 0: none
	to      int64
	count   int64
	send    bool // false for MOVE: count only
}

func (e *scrollEmitter) row(k int64) {
	e.count++
	if !e.send {
		return
	}
	if e.from != 0 && k == e.to+1 {
		e.to = k
		return
	}
	e.flush()
	e.from, e.to = k, k
}

func (e *scrollEmitter) flush() {
	if e.from == 0 {
		return
	}
	for k := e.from; k <= e.to; {
		i := sort.Search(len(e.s.starts), func(i int) bool { return e.s.starts[i] > k-1 }) - 1
		b := e.s.batches[i]
		off := k - 1 - e.s.starts[i]
		end := min(int64(b.NumRows()), off+e.to-k+1)
		e.c.out = appendDataRows(e.c.out, b, e.cols, e.formats, int(off), int(end))
		k += end - off
	}
	e.from = 0
}

// scrollFetch moves a SCROLL cursor as FETCH/MOVE f says (PostgreSQL's
// DoPortalRunFetch over a materialised portal) and reports the rows it
// returned.
func (c *conn) scrollFetch(p *portal, f *pgfront.FetchSpec, e *scrollEmitter) (int64, error) {
	s := p.cur.scroll
	forward := func(count int64, out bool) error {
		for got := int64(0); got < count; got++ {
			if s.pos > s.n {
				return nil
			}
			ok, err := c.ensure(p, s.pos+1)
			if err != nil {
				return err
			}
			if !ok {
				s.pos = s.n + 1
				return nil
			}
			s.pos++
			if out {
				e.row(s.pos)
			}
		}
		return nil
	}
	backward := func(count int64, out bool) {
		for got := int64(0); got < count && s.pos > 0; got++ {
			s.pos--
			if s.pos == 0 {
				return
			}
			if out {
				e.row(s.pos)
			}
		}
	}
	var err error
	switch f.Direction {
	case pgfront.FetchForward, pgfront.FetchBackward:
		switch {
		case f.Count == 0:
			// Re-fetch the current row.
			if s.pos >= 1 && s.pos <= s.n {
				e.row(s.pos)
			}
		case f.Direction == pgfront.FetchForward:
			err = forward(f.Count, true)
		default:
			backward(f.Count, true)
		}
	case pgfront.FetchAbsolute:
		switch {
		case f.Count > 0:
			var ok bool
			if ok, err = c.ensure(p, f.Count); err == nil {
				if ok {
					s.pos = f.Count
					e.row(s.pos)
				} else {
					s.pos = s.n + 1
				}
			}
		case f.Count < 0:
			if _, err = c.ensure(p, pgfront.FetchAll); err == nil {
				if t := s.n + 1 + f.Count; t >= 1 {
					s.pos = t
					e.row(t)
				} else {
					s.pos = 0
				}
			}
		default:
			s.pos = 0
		}
	case pgfront.FetchRelative:
		switch {
		case f.Count > 0:
			if err = forward(f.Count-1, false); err == nil {
				err = forward(1, true)
			}
		case f.Count < 0:
			backward(-f.Count-1, false)
			backward(1, true)
		default:
			if s.pos >= 1 && s.pos <= s.n {
				e.row(s.pos)
			}
		}
	default:
		return 0, sqlerr.New(sqlerr.InternalError, "internal error: unknown fetch direction %d", f.Direction)
	}
	e.flush()
	return e.count, err
}

// runScroll is Execute on a SCROLL cursor's portal: it fetches forward.
func (c *conn) runScroll(p *portal, maxRows int) (bool, error) {
	count := int64(maxRows)
	if count <= 0 {
		count = pgfront.FetchAll
	}
	e := &scrollEmitter{c: c, s: p.cur.scroll, cols: p.cols, formats: p.formats, send: true}
	n, err := c.scrollFetch(p, &pgfront.FetchSpec{Direction: pgfront.FetchForward, Count: count}, e)
	if err != nil {
		return false, err
	}
	if maxRows > 0 && n == count {
		c.send(&pgproto3.PortalSuspended{})
		return true, nil
	}
	return false, c.commandComplete(p, n)
}
