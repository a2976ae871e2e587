package exchange

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/exec/ops"
)

// repeatSource yields the same prepared batches rounds times, so the
// benchmark measures the exchange, not batch generation.
type repeatSource struct {
	batches []arrow.RecordBatch
	rounds  int
	i       int
}

func (r *repeatSource) Schema() *arrow.Schema      { return mixedSchema }
func (r *repeatSource) Open(context.Context) error { return nil }
func (r *repeatSource) Next(context.Context) (arrow.RecordBatch, error) {
	if r.i >= r.rounds*len(r.batches) {
		return nil, io.EOF
	}
	r.i++
	return r.batches[(r.i-1)%len(r.batches)], nil
}
func (r *repeatSource) Close() error { return nil }

// BenchmarkLoopback streams 1M mixed rows (8192-row batches) over one
// loopback Flight stream per iteration; bytes are the Arrow buffers sent.
func BenchmarkLoopback(b *testing.B) {
	const rows = 1 << 20
	var batches []arrow.RecordBatch
	var size int64
	for from := int64(0); from < 16*exec.BatchSize; from += exec.BatchSize {
		bt := mixedBatch(memory.DefaultAllocator, from, exec.BatchSize)
		batches = append(batches, bt)
		size += ops.BatchBytes(bt)
	}
	defer func() {
		for _, bt := range batches {
			bt.Release()
		}
	}()
	rounds := rows / (16 * exec.BatchSize)
	for _, comp := range []Compression{NoCompression, LZ4, Zstd, S2} {
		b.Run(comp.String(), func(b *testing.B) {
			prod := startNode(b, Config{Compression: comp, Alloc: memory.DefaultAllocator})
			client := newTestClient(b, testKey)
			b.SetBytes(size * int64(rounds))
			b.ReportAllocs()
			var wire int64
			defer reportCPU(b, size*int64(rounds))()
			for i := 0; b.Loop(); i++ {
				key := StreamKey{Query: "bench", Stage: 1, Task: int32(i)}
				out, err := prod.svc.Register(key, mixedSchema)
				if err != nil {
					b.Fatal(err)
				}
				done := runSender(NewSender([]exec.Operator{&repeatSource{batches: batches, rounds: rounds}}, nil, []Outlet{out}, memory.DefaultAllocator))
				rcv := NewReceiver(client, prod.addr, key, mixedSchema, memory.DefaultAllocator)
				if err := exec.Drain(context.Background(), rcv, func(arrow.RecordBatch) error { return nil }); err != nil {
					b.Fatal(err)
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				wire = rcv.WireBytes()
			}
			b.ReportMetric(float64(size*int64(rounds))/float64(wire), "ratio")
		})
	}
}

// reportCPU starts measuring the process's CPU time (both ends of the
// exchange run in it); the function it returns reports MB per CPU second
// for b.N operations of n bytes: steadier than MB/s on a machine that
// other work shares.
func reportCPU(b *testing.B, n int64) func() {
	cpu0 := cpuTime()
	return func() {
		cpu := (cpuTime() - cpu0).Seconds()
		b.ReportMetric(float64(n)*float64(b.N)/cpu/1e6, "MB/cpu-s")
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBodyCodec shuffles and compresses, then decompresses, the IPC
// body of one 8192-row mixed batch (codec.go and shuffle.go alone, no
// gRPC), as DoGet and the receiver do.
func BenchmarkBodyCodec(b *testing.B) {
	bt := mixedBatch(memory.DefaultAllocator, 0, exec.BatchSize)
	defer bt.Release()
	p, err := ipc.GetRecordBatchPayload(bt)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Release()
	m := p.Meta()
	defer m.Release()
	var size sizeWriter
	p.SerializeBody(&size)
	for _, c := range []Compression{LZ4, Zstd, S2} {
		w := payloadWriter{enc: bodyEncoder{codec: c.codec()}, widths: bufferWidths(mixedSchema)}
		fw := &fillWriter{b: make([]byte, size)}
		out := make([]byte, w.enc.bound(int(size)))
		var meta, data []byte
		b.Run(c.String()+"/encode", func(b *testing.B) {
			b.SetBytes(int64(size))
			defer reportCPU(b, int64(size))()
			for b.Loop() {
				*fw = fillWriter{b: fw.b, regions: w.shuffleRegions(m.Bytes())}
				if err := p.SerializeBody(fw); err != nil {
					b.Fatal(err)
				}
				var ok bool
				if meta, data, ok = w.enc.encode(fw.b[:fw.w], out, fw.n, fw.done); !ok {
					b.Fatal("not compressed")
				}
			}
			b.ReportMetric(float64(size)/float64(len(data)), "ratio")
		})
		dst := make([]byte, size)
		into := func(int) []byte { return dst }
		b.Run(c.String()+"/decode", func(b *testing.B) {
			b.SetBytes(int64(size))
			defer reportCPU(b, int64(size))()
			for b.Loop() {
				if _, err := decodeBody(meta, data, into); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
