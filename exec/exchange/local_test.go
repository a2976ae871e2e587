package exchange

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

// A consumer on the producer's node reads the stream from the queue: every
// row in order, counters, the stream unregistered, nothing leaked.
func TestLocalReceiver(t *testing.T) {
	noLeaks(t)
	prod := startNode(t, Config{})
	key := StreamKey{Query: "ql", Stage: 1, Partition: 0}
	rcv := prod.svc.NewLocalReceiver(key, mixedSchema)
	// The consumer opens first and waits for the producer.
	opened := make(chan error, 1)
	go func() { opened <- rcv.Open(context.Background()) }()
	out, err := prod.svc.Register(key, mixedSchema)
	if err != nil {
		t.Fatal(err)
	}
	const rows = 100_000
	src := &genSource{alloc: prod.alloc, total: rows, size: exec.BatchSize}
	done := runSender(NewSender([]exec.Operator{src}, nil, []Outlet{out}, prod.alloc))
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	next := int64(0)
	err = exec.Drain(context.Background(), rcv, func(b arrow.RecordBatch) error {
		ids := b.Column(0).(*array.Int64)
		for i := 0; i < int(b.NumRows()); i++ {
			if ids.Value(i) != next {
				return fmt.Errorf("row %d arrived where %d was due", ids.Value(i), next)
			}
			next++
			if err := checkRow(b, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if next != rows || rcv.Rows() != rows || out.Rows() != rows {
		t.Fatalf("rows: read %d, counted %d, shipped %d; want %d", next, rcv.Rows(), out.Rows(), rows)
	}
	if prod.svc.Streams() != 0 {
		t.Errorf("%d streams left registered", prod.svc.Streams())
	}
	zeroAfter(t, "producer", prod.alloc)
}

// A local consumer that stops early frees the producer (its rows are
// dropped), and a producer's error reaches a local consumer with its
// SQLSTATE.
func TestLocalReceiverEarlyCloseAndError(t *testing.T) {
	noLeaks(t)
	prod := startNode(t, Config{StreamBuffer: 1 << 16})
	key := StreamKey{Query: "qe", Stage: 1, Partition: 0}
	out, err := prod.svc.Register(key, mixedSchema)
	if err != nil {
		t.Fatal(err)
	}
	src := &genSource{alloc: prod.alloc, size: exec.BatchSize, endless: true}
	done := runSender(NewSender([]exec.Operator{src}, nil, []Outlet{out}, prod.alloc))
	rcv := prod.svc.NewLocalReceiver(key, mixedSchema)
	if err := rcv.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := rcv.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	rcv.Close()
	if err := <-done; err != nil {
		t.Fatalf("sender after its only consumer left: %v", err)
	}
	zeroAfter(t, "producer", prod.alloc)

	key.Query = "qf"
	out, err = prod.svc.Register(key, mixedSchema)
	if err != nil {
		t.Fatal(err)
	}
	src = &genSource{alloc: prod.alloc, total: 1 << 20, size: exec.BatchSize, failAt: 3}
	done = runSender(NewSender([]exec.Operator{src}, nil, []Outlet{out}, prod.alloc))
	rcv = prod.svc.NewLocalReceiver(key, mixedSchema)
	err = exec.Drain(context.Background(), rcv, func(arrow.RecordBatch) error { return nil })
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.DivisionByZero {
		t.Fatalf("local consumer got %v, want the producer's 22012", err)
	}
	<-done
	zeroAfter(t, "producer", prod.alloc)
}
