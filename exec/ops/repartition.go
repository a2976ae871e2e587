package ops

import (
	"context"
	"errors"
	"io"
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// Repartition is the local hash exchange: it reads several input streams
// and deals their rows out to n output streams by a hash of key columns, so
// every row with the same key (of any type, NULL included, with SQL
// equality: -0 = 0, NaN = NaN, '1 mon' = '30 days') reaches the same output.
// The planner uses it to run the final phase of a grouped aggregation in
// parallel, one Final HashAggregate per output.
//
// One producer goroutine per input opens, drains and closes that input (so
// each input is only ever used from one goroutine), hashes each batch's key
// columns, splits it by partition and sends the pieces to bounded
// per-partition channels. Producers start on the first Open (or Next) of any
// output and run under that call's context.
//
// The outputs must be pulled concurrently, for example each under its own
// Gather goroutine: a producer that has filled one partition's channel
// waits for that partition's consumer, so pulling the outputs one after
// another from a single goroutine deadlocks. An output that is closed early
// stops receiving (its rows are dropped) and never blocks the others.
//
// The first error of any producer cancels the other producers and is
// returned by every output that is still read. Closing all outputs cancels
// the producers, waits for them and releases every batch in flight.
type repartition struct {
	inputs []exec.Operator
	keys   []int
	n      int
	alloc  memory.Allocator
	schema *arrow.Schema

	start  sync.Once
	cancel context.CancelFunc
	chans  []chan arrow.RecordBatch
	// gone[p] is closed when output p is closed, so producers blocked on a
	// send to it give up and later batches for it are not built at all.
	gone []chan struct{}
	wg   sync.WaitGroup
	done chan struct{} // closed once every producer has returned

	mu      sync.Mutex
	err     error
	open    int  // outputs not yet closed
	started bool // producers were launched (guarded by mu)
}

// repartOut is one output stream of a repartition.
type repartOut struct {
	r      *repartition
	part   int
	out    arrow.RecordBatch
	failed bool
	closed bool
}

var _ exec.Operator = (*repartOut)(nil)

// NewRepartition returns n operators that together yield every row of
// inputs (which must share one schema), each row on the output numbered by
// the hash of its key columns. With no key columns every row goes to output
// 0, since all rows then have the same (empty) key.
//
// The outputs must be pulled concurrently (under Gather or another parent
// that reads each from its own goroutine); see repartition.
func NewRepartition(inputs []exec.Operator, keys []int, n int, alloc memory.Allocator) []exec.Operator {
	if n < 1 {
		n = 1
	}
	r := &repartition{
		inputs: inputs,
		keys:   keys,
		n:      n,
		alloc:  alloc,
		schema: inputs[0].Schema(),
		open:   n,
		done:   make(chan struct{}),
	}
	// A few batches per partition keep producers busy while consumers
	// work, without holding much more than a batch per input in flight.
	depth := len(inputs) + 1
	r.chans = make([]chan arrow.RecordBatch, n)
	r.gone = make([]chan struct{}, n)
	for p := range r.chans {
		r.chans[p] = make(chan arrow.RecordBatch, depth)
		r.gone[p] = make(chan struct{})
	}
	outs := make([]exec.Operator, n)
	for p := range outs {
		outs[p] = &repartOut{r: r, part: p}
	}
	return outs
}

// launch starts the producers once. It runs under ctx, the context of the
// first output to be opened: under a Gather every output shares it.
func (r *repartition) launch(ctx context.Context) {
	r.start.Do(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.open == 0 {
			// Every output was closed before anything started.
			return
		}
		r.started = true
		pctx, cancel := context.WithCancel(ctx)
		r.cancel = cancel
		r.wg.Add(len(r.inputs))
		for _, in := range r.inputs {
			go r.produce(pctx, in)
		}
		go func() {
			r.wg.Wait()
			for _, ch := range r.chans {
				close(ch)
			}
			close(r.done)
		}()
	})
}

func (r *repartition) fail(ctx context.Context, err error) {
	// An input that stops because the producers' context ended may return
	// the bare context error; report it as the cancellation it is.
	if cerr := ctx.Err(); cerr != nil && errors.Is(err, cerr) {
		var se *sqlerr.Error
		if !errors.As(err, &se) {
			err = exec.Canceled(cerr)
		}
	}
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.cancel()
}

func (r *repartition) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// partitionOf maps a row hash to a partition. The hash is mixed again first
// because the hash tables downstream take their slot from the low bits of
// this very hash: using those bits for the partition as well would leave
// each partition's table with all its keys in a fraction of the slots. The
// multiply-high maps the mixed value onto [0, n) without a division.
func partitionOf(h uint64, n int) int {
	hi, _ := bits.Mul64(mix64(h^0x5851f42d4c957f2d), uint64(n))
	return int(hi)
}

// Pieces of fewer than minPiece rows are not sent alone: with many
// partitions a batch splits into slivers, and the per-batch work downstream
// (binding key views, probing setup) would dominate. A producer keeps them
// per partition and sends them concatenated once flushRows have gathered
// (so a sent batch stays under exec.BatchSize). With few partitions the
// pieces are large and go out uncopied.
const (
	minPiece  = exec.BatchSize / 4
	flushRows = exec.BatchSize / 2
)

// produce drains one input, splitting each batch among the partitions.
func (r *repartition) produce(ctx context.Context, in exec.Operator) {
	defer r.wg.Done()
	defer in.Close()
	pend := make([][]arrow.RecordBatch, r.n)
	pendRows := make([]int, r.n)
	defer func() {
		for _, bs := range pend {
			releaseBatches(bs)
		}
	}()
	// flush sends partition p's pending pieces as one batch.
	flush := func(p int) bool {
		bs := pend[p]
		pend[p], pendRows[p] = nil, 0
		if len(bs) == 0 || r.isGone(p) {
			releaseBatches(bs)
			return true
		}
		cols, rows, err := concatBatches(r.alloc, r.schema, bs)
		releaseBatches(bs)
		if err != nil {
			r.fail(ctx, err)
			return false
		}
		return r.send(ctx, p, newBatch(r.schema, cols, rows))
	}
	if err := exec.Open(ctx, in); err != nil {
		r.fail(ctx, err)
		return
	}
	pt := NewPartitioner(in.Schema(), r.keys, r.n)
	for {
		b, err := exec.Next(ctx, in)
		if err == io.EOF {
			for p := range pend {
				if !flush(p) {
					return
				}
			}
			return
		}
		if err != nil {
			r.fail(ctx, err)
			return
		}
		rows := int(b.NumRows())
		if rows == 0 {
			continue
		}
		if pt.Trivial() {
			b.Retain()
			if !r.send(ctx, 0, b) {
				return
			}
			continue
		}
		idx, count := pt.Split(b)
		for p := 0; p < r.n; p++ {
			lo, hi := count[p], count[p+1]
			if lo == hi || r.isGone(p) {
				continue
			}
			var sub arrow.RecordBatch
			if int(hi-lo) == rows {
				// The whole batch (typical when its rows share one
				// key) needs no copy, only a reference of its own:
				// it is valid only until the next in.Next.
				b.Retain()
				sub = b
			} else {
				sub = takeBatch(r.alloc, r.schema, b, idx[lo:hi])
			}
			if int(hi-lo) >= minPiece {
				if !r.send(ctx, p, sub) {
					return
				}
				continue
			}
			pend[p] = append(pend[p], sub)
			pendRows[p] += int(hi - lo)
			if pendRows[p] >= flushRows && !flush(p) {
				return
			}
		}
	}
}

func (r *repartition) isGone(p int) bool {
	select {
	case <-r.gone[p]:
		return true
	default:
		return false
	}
}

// send hands b to partition p, or drops it if p's output is closed. It
// reports false when the producer should stop (its context is done).
func (r *repartition) send(ctx context.Context, p int, b arrow.RecordBatch) bool {
	select {
	case r.chans[p] <- b:
		return true
	case <-r.gone[p]:
		b.Release()
		return true
	case <-ctx.Done():
		b.Release()
		return false
	}
}

// Schema implements exec.Operator.
func (o *repartOut) Schema() *arrow.Schema { return o.r.schema }

// Open implements exec.Operator: the first output opened starts the
// producers.
func (o *repartOut) Open(ctx context.Context) error {
	o.r.launch(ctx)
	return nil
}

// Next implements exec.Operator.
func (o *repartOut) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if o.out != nil {
		o.out.Release()
		o.out = nil
	}
	if o.failed {
		return nil, io.EOF
	}
	r := o.r
	r.launch(ctx)
	select {
	case b, ok := <-r.chans[o.part]:
		if err := r.failure(); err != nil {
			// Once a producer failed, report that rather than more rows.
			if ok {
				b.Release()
			}
			o.failed = true
			return nil, err
		}
		if !ok {
			return nil, io.EOF
		}
		o.out = b
		return b, nil
	case <-ctx.Done():
		return nil, exec.Canceled(ctx.Err())
	}
}

// Close implements exec.Operator. Closing one output lets the producers
// drop its rows; closing the last one cancels the producers, waits for
// them and releases whatever is still queued.
func (o *repartOut) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	if o.out != nil {
		o.out.Release()
		o.out = nil
	}
	r := o.r
	close(r.gone[o.part])
	// Free what already waits for this output; producers add no more
	// except for a send racing with the close, which the last Close drains.
	for drained := false; !drained; {
		select {
		case b, ok := <-r.chans[o.part]:
			if !ok {
				drained = true
			} else {
				b.Release()
			}
		default:
			drained = true
		}
	}
	r.mu.Lock()
	r.open--
	last := r.open == 0
	started := r.started
	r.mu.Unlock()
	if !last {
		return nil
	}
	if !started {
		// Producers never ran: nobody opened the inputs, but they may hold
		// resources from construction. Block a late launch first.
		r.start.Do(func() {})
		var errs []error
		for _, in := range r.inputs {
			errs = append(errs, in.Close())
		}
		return errors.Join(errs...)
	}
	r.cancel()
	<-r.done
	for _, ch := range r.chans {
		for b := range ch {
			b.Release()
		}
	}
	return nil
}
