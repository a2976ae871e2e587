package exchange

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

var testKey = []byte("test cluster key")

// mixedSchema has a column of each storage kind the engine ships: the id
// the checks key on, then float, text, numeric, date, timestamp, boolean.
var mixedSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: &arrow.Decimal128Type{Precision: 38, Scale: 2}, Nullable: true},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

// Row id's values, so a consumer can check every cell it receives.
func rowF(id int64) (float64, bool) { return float64(id) / 7, id%11 != 0 }
func rowS(id int64) (string, bool) {
	return fmt.Sprintf("key-%d-%s", id%1000, strings.Repeat("x", int(id%13))), id%17 != 0
}
func rowD(id int64) (int64, bool)    { return id*137 - 50000, id%19 != 0 }
func rowDay(id int64) (int32, bool)  { return int32(id % 20000), id%23 != 0 }
func rowTS(id int64) (int64, bool)   { return id * 1_000_003, id%29 != 0 }
func rowB(id int64) (bool, bool)     { return id%3 == 0, id%31 != 0 }
func rowKey(id int64) (string, bool) { s, ok := rowS(id); return s, ok }

func mixedBatch(alloc memory.Allocator, from, n int64) arrow.RecordBatch {
	id := array.NewInt64Builder(alloc)
	f := array.NewFloat64Builder(alloc)
	s := array.NewStringBuilder(alloc)
	d := array.NewDecimal128Builder(alloc, mixedSchema.Field(3).Type.(*arrow.Decimal128Type))
	day := array.NewDate32Builder(alloc)
	ts := array.NewTimestampBuilder(alloc, mixedSchema.Field(5).Type.(*arrow.TimestampType))
	b := array.NewBooleanBuilder(alloc)
	for i := from; i < from+n; i++ {
		id.Append(i)
		if v, ok := rowF(i); ok {
			f.Append(v)
		} else {
			f.AppendNull()
		}
		if v, ok := rowS(i); ok {
			s.Append(v)
		} else {
			s.AppendNull()
		}
		if v, ok := rowD(i); ok {
			d.Append(decimal128.FromI64(v))
		} else {
			d.AppendNull()
		}
		if v, ok := rowDay(i); ok {
			day.Append(arrow.Date32(v))
		} else {
			day.AppendNull()
		}
		if v, ok := rowTS(i); ok {
			ts.Append(arrow.Timestamp(v))
		} else {
			ts.AppendNull()
		}
		if v, ok := rowB(i); ok {
			b.Append(v)
		} else {
			b.AppendNull()
		}
	}
	bs := []array.Builder{id, f, s, d, day, ts, b}
	cols := make([]arrow.Array, len(bs))
	for i, x := range bs {
		cols[i] = x.NewArray()
		x.Release()
	}
	rec := array.NewRecordBatch(mixedSchema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// checkRow fails unless row i of b holds row id's values.
func checkRow(b arrow.RecordBatch, i int) error {
	id := b.Column(0).(*array.Int64).Value(i)
	bad := func(col string) error { return fmt.Errorf("row %d: wrong %s", id, col) }
	f := b.Column(1).(*array.Float64)
	if v, ok := rowF(id); ok != f.IsValid(i) || ok && f.Value(i) != v {
		return bad("f")
	}
	s := b.Column(2).(*array.String)
	if v, ok := rowS(id); ok != s.IsValid(i) || ok && s.Value(i) != v {
		return bad("s")
	}
	d := b.Column(3).(*array.Decimal128)
	if v, ok := rowD(id); ok != d.IsValid(i) || ok && d.Value(i) != decimal128.FromI64(v) {
		return bad("d")
	}
	day := b.Column(4).(*array.Date32)
	if v, ok := rowDay(id); ok != day.IsValid(i) || ok && int32(day.Value(i)) != v {
		return bad("day")
	}
	ts := b.Column(5).(*array.Timestamp)
	if v, ok := rowTS(id); ok != ts.IsValid(i) || ok && int64(ts.Value(i)) != v {
		return bad("ts")
	}
	bo := b.Column(6).(*array.Boolean)
	if v, ok := rowB(id); ok != bo.IsValid(i) || ok && bo.Value(i) != v {
		return bad("b")
	}
	return nil
}

// genSource yields rows [from, from+total) in batches of size, built as it
// goes; each batch is released at the next call, as operators do.
type genSource struct {
	alloc       memory.Allocator
	from, total int64
	size        int64
	pos         int64
	cur         arrow.RecordBatch
	batches     atomic.Int64 // batches produced
	endless     bool         // never ends (for cancellation tests)
	failAt      int64        // > 0: fail at this batch
	closed      atomic.Bool
}

func (g *genSource) Schema() *arrow.Schema      { return mixedSchema }
func (g *genSource) Open(context.Context) error { return nil }
func (g *genSource) Next(ctx context.Context) (arrow.RecordBatch, error) {
	g.release()
	if g.failAt > 0 && g.batches.Load()+1 == g.failAt {
		return nil, &sqlerr.Error{Code: sqlerr.DivisionByZero, Message: "division by zero"}
	}
	if !g.endless && g.pos >= g.total {
		return nil, io.EOF
	}
	n := g.size
	if !g.endless {
		n = min(n, g.total-g.pos)
	}
	g.cur = mixedBatch(g.alloc, g.from+g.pos, n)
	g.pos += n
	g.batches.Add(1)
	return g.cur, nil
}
func (g *genSource) release() {
	if g.cur != nil {
		g.cur.Release()
		g.cur = nil
	}
}
func (g *genSource) Close() error { g.release(); g.closed.Store(true); return nil }

// node is an exchange service on a free loopback port.
type node struct {
	svc   *Service
	addr  string
	alloc *memory.CheckedAllocator
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startNode(t testing.TB, cfg Config) *node {
	t.Helper()
	n := &node{alloc: memory.NewCheckedAllocator(memory.NewGoAllocator()), logs: &syncBuffer{}}
	if cfg.ClusterKey == nil {
		cfg.ClusterKey = testKey
	}
	cfg.Alloc = n.alloc
	cfg.Log = log.New(n.logs, "", 0)
	n.svc = NewService(cfg)
	addr, err := n.svc.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.addr = addr.String()
	t.Cleanup(n.svc.Close)
	return n
}

func newTestClient(t testing.TB, key []byte) *Client {
	c := NewClient(key)
	t.Cleanup(func() { c.Close() })
	return c
}

// zeroAfter fails t unless alloc holds nothing once background work ends.
func zeroAfter(t *testing.T, what string, alloc *memory.CheckedAllocator) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alloc.CurrentAlloc() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := alloc.CurrentAlloc(); n != 0 {
		t.Errorf("%s allocator holds %d bytes", what, n)
	}
}

func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// runSender runs a sender to the end in the background; the channel gets
// its error (nil at a normal end).
func runSender(s *Sender) <-chan error {
	ch := make(chan error, 1)
	go func() {
		ch <- exec.Drain(context.Background(), s, func(arrow.RecordBatch) error { return nil })
	}()
	return ch
}

func TestTicket(t *testing.T) {
	k := StreamKey{Query: "q-7f3a", Stage: 3, Task: 12, Partition: 400}
	got, err := parseTicket(k.ticket())
	if err != nil || got != k {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range [][]byte{nil, []byte("bsx1"), []byte("nope"), append([]byte("bsx1\x01\x02\x03"), ""...), []byte("bsx1\xff\xff\xff\xff\xff\x01\x01q")} {
		if _, err := parseTicket(bad); err == nil {
			t.Errorf("ticket %q accepted", bad)
		}
	}
}

// A producer streams 1M rows of mixed types to a consumer on another
// service; every cell arrives exactly, in order, and both sides end with
// nothing allocated.
func TestStreamMillionRows(t *testing.T) {
	noLeaks(t)
	for _, tc := range []struct {
		comp Compression
		rows int64
	}{{LZ4, 1_000_000}, {Zstd, 200_000}, {NoCompression, 200_000}} {
		t.Run(tc.comp.String(), func(t *testing.T) {
			prod := startNode(t, Config{Compression: tc.comp})
			consAlloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
			key := StreamKey{Query: "q1", Stage: 1, Partition: 0}
			out, err := prod.svc.Register(key, mixedSchema)
			if err != nil {
				t.Fatal(err)
			}
			src := &genSource{alloc: prod.alloc, total: tc.rows, size: exec.BatchSize}
			done := runSender(NewSender([]exec.Operator{src}, nil, []Outlet{out}, prod.alloc))

			rcv := NewReceiver(newTestClient(t, testKey), prod.addr, key, mixedSchema, consAlloc)
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
			if next != tc.rows {
				t.Fatalf("%d rows arrived, want %d", next, tc.rows)
			}
			if rcv.Rows() != tc.rows || out.Rows() != tc.rows {
				t.Errorf("counters: received %d, shipped %d", rcv.Rows(), out.Rows())
			}
			t.Logf("%s: %d rows, %d bytes on the wire", tc.comp, tc.rows, rcv.WireBytes())
			if prod.svc.Streams() != 0 {
				t.Errorf("%d streams left registered", prod.svc.Streams())
			}
			zeroAfter(t, "producer", prod.alloc)
			zeroAfter(t, "consumer", consAlloc)
		})
	}
}

// An empty stream still carries its schema and ends cleanly; a consumer
// that calls before its producer registers waits for it.
func TestEmptyStreamConsumerFirst(t *testing.T) {
	noLeaks(t)
	prod := startNode(t, Config{})
	key := StreamKey{Query: "q-empty", Stage: 2}
	got := make(chan error, 1)
	go func() {
		rcv := NewReceiver(newTestClient(t, testKey), prod.addr, key, mixedSchema, memory.DefaultAllocator)
		n := 0
		got <- exec.Drain(context.Background(), rcv, func(arrow.RecordBatch) error { n++; return nil })
		if n != 0 {
			t.Errorf("%d batches from an empty stream", n)
		}
	}()
	time.Sleep(100 * time.Millisecond)
	out, err := prod.svc.Register(key, mixedSchema)
	if err != nil {
		t.Fatal(err)
	}
	out.Close(nil)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

// Two producer nodes hash-partition their rows to three consumers, each
// reading its partition from both producers: every key reaches exactly one
// consumer, the one ops.Partitioner (and so ops.Repartition) picks, and no
// row is lost or doubled.
func TestHashPartitionThreeReceivers(t *testing.T) {
	noLeaks(t)
	const parts = 3
	const perProducer = 60_000
	keys := []int{2, 4} // text and date: a string hash and a fixed-width one
	producers := []*node{startNode(t, Config{}), startNode(t, Config{Compression: Zstd})}
	var senders []<-chan error
	for task, p := range producers {
		var outs []Outlet
		for q := 0; q < parts; q++ {
			o, err := p.svc.Register(StreamKey{Query: "qh", Stage: 1, Task: int32(task), Partition: int32(q)}, mixedSchema)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, o)
		}
		// Two inputs per producer: the sender's goroutines share outlets.
		ins := []exec.Operator{
			&genSource{alloc: p.alloc, from: int64(task) * perProducer, total: perProducer / 2, size: 5000},
			&genSource{alloc: p.alloc, from: int64(task)*perProducer + perProducer/2, total: perProducer / 2, size: 3000},
		}
		senders = append(senders, runSender(NewSender(ins, keys, outs, p.alloc)))
	}
	client := newTestClient(t, testKey)
	consAlloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
	type seen struct {
		ids  map[int64]bool
		keys map[string]bool
	}
	results := make([]seen, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for q := 0; q < parts; q++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rcvs []exec.Operator
			for task, p := range producers {
				rcvs = append(rcvs, NewReceiver(client, p.addr, StreamKey{Query: "qh", Stage: 1, Task: int32(task), Partition: int32(q)}, mixedSchema, consAlloc))
			}
			res := seen{ids: map[int64]bool{}, keys: map[string]bool{}}
			pt := ops.NewPartitioner(mixedSchema, keys, parts)
			errs[q] = exec.Drain(context.Background(), ops.NewGather(rcvs...), func(b arrow.RecordBatch) error {
				rows, bounds := pt.Split(b)
				if int(bounds[q+1]-bounds[q]) != int(b.NumRows()) {
					return fmt.Errorf("partition %d got rows ops.Partitioner puts elsewhere", q)
				}
				_ = rows
				ids := b.Column(0).(*array.Int64)
				for i := 0; i < int(b.NumRows()); i++ {
					id := ids.Value(i)
					if res.ids[id] {
						return fmt.Errorf("row %d twice", id)
					}
					res.ids[id] = true
					if err := checkRow(b, i); err != nil {
						return err
					}
					res.keys[b.Column(2).ValueStr(i)+"|"+b.Column(4).ValueStr(i)] = true
				}
				return nil
			})
			results[q] = res
		}()
	}
	wg.Wait()
	for _, ch := range senders {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	owner := map[string]int{}
	for q, r := range results {
		if errs[q] != nil {
			t.Fatalf("consumer %d: %v", q, errs[q])
		}
		total += len(r.ids)
		if len(r.ids) == 0 {
			t.Errorf("consumer %d got nothing", q)
		}
		for k := range r.keys {
			if o, ok := owner[k]; ok {
				t.Fatalf("key %s on consumers %d and %d", k, o, q)
			}
			owner[k] = q
		}
	}
	if total != 2*perProducer {
		t.Fatalf("%d distinct rows, want %d", total, 2*perProducer)
	}
	for _, p := range producers {
		zeroAfter(t, "producer", p.alloc)
	}
	zeroAfter(t, "consumer", consAlloc)
}

// peakAllocator tracks the most bytes held at once.
type peakAllocator struct {
	*memory.CheckedAllocator
	mu   sync.Mutex
	peak int
}

func (a *peakAllocator) Allocate(n int) []byte {
	b := a.CheckedAllocator.Allocate(n)
	a.note()
	return b
}
func (a *peakAllocator) Reallocate(n int, b []byte) []byte {
	b = a.CheckedAllocator.Reallocate(n, b)
	a.note()
	return b
}
func (a *peakAllocator) note() {
	a.mu.Lock()
	a.peak = max(a.peak, a.CheckedAllocator.CurrentAlloc())
	a.mu.Unlock()
}

// A slow consumer holds its producer back: the producer's queued bytes stay
// within the stream buffer, the memory it allocates stays within a few
// batches of it, and it is never far ahead of what the consumer has read.
func TestBackpressure(t *testing.T) {
	noLeaks(t)
	const buffer = 1 << 20
	prod := startNode(t, Config{StreamBuffer: buffer})
	palloc := &peakAllocator{CheckedAllocator: memory.NewCheckedAllocator(memory.NewGoAllocator())}
	key := StreamKey{Query: "qb", Stage: 1}
	out, err := prod.svc.Register(key, mixedSchema)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 8192
	src := &genSource{alloc: palloc, total: 200 * batch, size: batch}
	done := runSender(NewSender([]exec.Operator{src}, nil, []Outlet{out}, palloc))

	one := mixedBatch(memory.DefaultAllocator, 0, batch)
	batchBytes := ops.BatchBytes(one)
	one.Release()

	rcv := NewReceiver(newTestClient(t, testKey), prod.addr, key, mixedSchema, memory.DefaultAllocator)
	read := int64(0)
	maxAhead := int64(0)
	err = exec.Drain(context.Background(), rcv, func(b arrow.RecordBatch) error {
		read++
		if read%20 == 0 {
			// What the producer made beyond what was read sits in the
			// queue, the IPC writer or the gRPC windows.
			maxAhead = max(maxAhead, src.batches.Load()-read)
		}
		time.Sleep(2 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if read != 200 {
		t.Fatalf("read %d batches", read)
	}
	// Encoded batches compress to well under their Arrow size, so the
	// flow-control windows (stream 8 MiB) hold more batches than bytes
	// suggest; allow the queue plus the windows' worth of raw batches.
	windowBatches := int64(streamWindow)/(batchBytes/4) + 2
	queueBatches := int64(buffer)/batchBytes + 2
	t.Logf("batch %d bytes; queue peak %d; producer peak allocation %d; producer at most %d batches ahead",
		batchBytes, out.PeakQueued(), palloc.peak, maxAhead)
	if out.PeakQueued() > buffer {
		t.Errorf("queue peaked at %d bytes, buffer %d", out.PeakQueued(), buffer)
	}
	if lim := buffer + 4*int(batchBytes); palloc.peak > lim {
		t.Errorf("producer allocated up to %d bytes, bound %d", palloc.peak, lim)
	}
	if maxAhead > queueBatches+windowBatches || maxAhead >= 150 {
		t.Errorf("producer ran %d batches ahead of a slow consumer", maxAhead)
	}
	zeroAfter(t, "producer", palloc.CheckedAllocator)
}

// Cancellation from either side ends both and frees everything: the
// consumer closing early, the query canceled on the producer's node, and
// the same through the cancel action from another node.
func TestCancelMidStream(t *testing.T) {
	noLeaks(t)
	for _, how := range []string{"consumer-close", "cancel-query", "cancel-action", "consumer-ctx"} {
		t.Run(how, func(t *testing.T) {
			prod := startNode(t, Config{StreamBuffer: 256 << 10})
			consAlloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
			client := newTestClient(t, testKey)
			key := StreamKey{Query: "qc-" + how, Stage: 4, Task: 1}
			out, err := prod.svc.Register(key, mixedSchema)
			if err != nil {
				t.Fatal(err)
			}
			src := &genSource{alloc: prod.alloc, size: 4096, endless: true}
			done := runSender(NewSender([]exec.Operator{src}, nil, []Outlet{out}, prod.alloc))

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rcv := NewReceiver(client, prod.addr, key, mixedSchema, consAlloc)
			if err := rcv.Open(ctx); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 10; i++ {
				if _, err := rcv.Next(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var rerr error
			switch how {
			case "consumer-close":
			case "consumer-ctx":
				cancel()
				_, rerr = rcv.Next(ctx)
			case "cancel-query":
				prod.svc.CancelQuery(key.Query, nil)
			case "cancel-action":
				if err := client.CancelQuery(context.Background(), prod.addr, key.Query); err != nil {
					t.Fatal(err)
				}
			}
			if how == "cancel-query" || how == "cancel-action" {
				// The consumer gets the cancellation after at most
				// what was already on the wire.
				for rerr == nil {
					_, rerr = rcv.Next(ctx)
				}
			}
			rcv.Close()
			serr := <-done
			switch how {
			case "consumer-close", "consumer-ctx":
				// Nobody reads any more: the producer stops, cleanly.
				if serr != nil {
					t.Errorf("sender: %v", serr)
				}
				if how == "consumer-ctx" && sqlState(rerr) != sqlerr.QueryCanceled {
					t.Errorf("consumer: %v, want 57014", rerr)
				}
			default:
				if sqlState(serr) != sqlerr.QueryCanceled || sqlState(rerr) != sqlerr.QueryCanceled {
					t.Errorf("sender %v, receiver %v: want 57014 on both", serr, rerr)
				}
			}
			if !src.closed.Load() {
				t.Error("source not closed")
			}
			if prod.svc.Streams() != 0 {
				t.Errorf("%d streams left", prod.svc.Streams())
			}
			zeroAfter(t, "producer", prod.alloc)
			zeroAfter(t, "consumer", consAlloc)
			if how != "consumer-close" && how != "consumer-ctx" {
				// A canceled query takes no new streams.
				if _, err := prod.svc.Register(StreamKey{Query: key.Query, Stage: 9}, mixedSchema); sqlState(err) != sqlerr.QueryCanceled {
					t.Errorf("register after cancel: %v", err)
				}
			}
		})
	}
}

// A producer's failure reaches its consumer with the same SQLSTATE.
func TestProducerErrorReachesConsumer(t *testing.T) {
	noLeaks(t)
	prod := startNode(t, Config{})
	key := StreamKey{Query: "qe", Stage: 1}
	out, err := prod.svc.Register(key, mixedSchema)
	if err != nil {
		t.Fatal(err)
	}
	src := &genSource{alloc: prod.alloc, total: 1 << 20, size: 1000, failAt: 5}
	done := runSender(NewSender([]exec.Operator{src}, nil, []Outlet{out}, prod.alloc))
	rcv := NewReceiver(newTestClient(t, testKey), prod.addr, key, mixedSchema, memory.DefaultAllocator)
	err = exec.Drain(context.Background(), rcv, func(arrow.RecordBatch) error { return nil })
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.DivisionByZero || se.Message != "division by zero" {
		t.Fatalf("consumer got %v", err)
	}
	if err := <-done; sqlState(err) != sqlerr.DivisionByZero {
		t.Fatalf("sender: %v", err)
	}
	zeroAfter(t, "producer", prod.alloc)
}

// Calls without the cluster's token are refused and logged: another
// cluster's node, and a stranger speaking plain Flight.
func TestWrongTokenRefused(t *testing.T) {
	noLeaks(t)
	prod := startNode(t, Config{})
	key := StreamKey{Query: "qa", Stage: 1}
	out, err := prod.svc.Register(key, mixedSchema)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close(nil)

	rcv := NewReceiver(newTestClient(t, []byte("another cluster")), prod.addr, key, mixedSchema, memory.DefaultAllocator)
	err = exec.Drain(context.Background(), rcv, func(arrow.RecordBatch) error { return nil })
	if sqlState(err) != codeInvalidAuthorization {
		t.Fatalf("other cluster's node: %v", err)
	}
	if err := newTestClient(t, nil).CancelQuery(context.Background(), prod.addr, "qa"); sqlState(err) != codeInvalidAuthorization {
		t.Fatalf("cancel action without the key: %v", err)
	}

	cc, err := grpc.NewClient(prod.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	st, err := flight.NewFlightServiceClient(cc).DoGet(context.Background(), &flight.Ticket{Ticket: key.ticket()})
	if err == nil {
		_, err = st.Recv()
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("stranger: %v", err)
	}
	logs := prod.logs.String()
	if strings.Count(logs, "exchange: refused") != 3 || !strings.Contains(logs, "wrong cluster token") || !strings.Contains(logs, "no cluster token") {
		t.Fatalf("log:\n%s", logs)
	}
	// The stream was never touched: the right node still reads it.
	if prod.svc.Streams() != 1 {
		t.Fatalf("%d streams", prod.svc.Streams())
	}
}

// A consumer whose producer never registers gives up after ConsumerWait.
func TestConsumerWaitTimesOut(t *testing.T) {
	noLeaks(t)
	prod := startNode(t, Config{ConsumerWait: 200 * time.Millisecond})
	rcv := NewReceiver(newTestClient(t, testKey), prod.addr, StreamKey{Query: "nobody", Stage: 1}, mixedSchema, memory.DefaultAllocator)
	err := exec.Drain(context.Background(), rcv, func(arrow.RecordBatch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no stream") {
		t.Fatalf("got %v", err)
	}
}

// A node that is not there is a connection failure (08006).
func TestUnreachableNode(t *testing.T) {
	noLeaks(t)
	n := startNode(t, Config{})
	addr := n.addr
	n.svc.Close()
	rcv := NewReceiver(newTestClient(t, testKey), addr, StreamKey{Query: "q", Stage: 1}, mixedSchema, memory.DefaultAllocator)
	err := exec.Drain(context.Background(), rcv, func(arrow.RecordBatch) error { return nil })
	if sqlState(err) != codeConnectionFailure {
		t.Fatalf("got %v", err)
	}
}

func sqlState(err error) string {
	var se *sqlerr.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}
