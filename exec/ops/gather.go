package ops

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/exec"
)

// Gather is the local exchange: it runs each input in its own goroutine and
// merges their batches, in arrival order, through a bounded channel, so the
// pipelines below it use all cores. The first error from any input cancels
// the others and is returned once; Close cancels and waits for every
// goroutine.
type Gather struct {
	inputs []exec.Operator

	cancel context.CancelFunc
	ch     chan arrow.RecordBatch
	wg     sync.WaitGroup
	errMu  sync.Mutex
	err    error
	out    arrow.RecordBatch
	opened bool
	closed bool
}

var _ exec.Operator = (*Gather)(nil)

// NewGather merges inputs, which must share one schema.
func NewGather(inputs ...exec.Operator) *Gather {
	return &Gather{inputs: inputs}
}

// Schema implements exec.Operator.
func (g *Gather) Schema() *arrow.Schema { return g.inputs[0].Schema() }

// Open starts one goroutine per input. Each opens, drains and closes its
// input itself, so an operator is only ever used from one goroutine.
func (g *Gather) Open(ctx context.Context) error {
	if g.opened {
		return nil
	}
	g.opened = true
	// The producers outlive this call, so they get their own context that
	// follows ctx and that Close and errors can cancel.
	pctx, cancel := context.WithCancel(ctx)
	g.cancel = cancel
	g.ch = make(chan arrow.RecordBatch, 2*len(g.inputs))
	g.wg.Add(len(g.inputs))
	for _, in := range g.inputs {
		go g.produce(pctx, in)
	}
	go func() {
		g.wg.Wait()
		close(g.ch)
	}()
	return nil
}

func (g *Gather) fail(err error) {
	g.errMu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.errMu.Unlock()
	g.cancel()
}

func (g *Gather) produce(ctx context.Context, in exec.Operator) {
	defer g.wg.Done()
	defer in.Close()
	if err := exec.Open(ctx, in); err != nil {
		g.fail(err)
		return
	}
	for {
		b, err := exec.Next(ctx, in)
		if err == io.EOF {
			return
		}
		if err != nil {
			g.fail(err)
			return
		}
		// The batch is only valid until in.Next is called again; the
		// consumer gets its own reference and releases it.
		b.Retain()
		select {
		case g.ch <- b:
		case <-ctx.Done():
			b.Release()
			return
		}
	}
}

// Next implements exec.Operator.
func (g *Gather) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if g.out != nil {
		g.out.Release()
		g.out = nil
	}
	select {
	case b, ok := <-g.ch:
		if !ok {
			g.errMu.Lock()
			err := g.err
			g.errMu.Unlock()
			if err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		// A producer that failed cancels the rest; prefer reporting the
		// failure over more rows once it is known.
		g.errMu.Lock()
		err := g.err
		g.errMu.Unlock()
		if err != nil {
			b.Release()
			return nil, err
		}
		g.out = b
		return b, nil
	case <-ctx.Done():
		return nil, exec.Canceled(ctx.Err())
	}
}

// Close implements exec.Operator: it cancels the producers, drops the
// batches in flight and waits for every goroutine to exit.
func (g *Gather) Close() error {
	if g.closed {
		return nil
	}
	g.closed = true
	if g.out != nil {
		g.out.Release()
		g.out = nil
	}
	if !g.opened {
		var errs []error
		for _, in := range g.inputs {
			errs = append(errs, in.Close())
		}
		return errors.Join(errs...)
	}
	g.cancel()
	for b := range g.ch { // closed once every producer has returned
		b.Release()
	}
	return nil
}
