package exchange

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"

	"github.com/basaltdb/basalt/exec"
	"github.com/basaltdb/basalt/sql/sqlerr"
)

var codecs = []Compression{LZ4, Zstd, S2}

// testBodies are bodies of the shapes encode meets: compressible text,
// incompressible noise, both in one body (some chunks stored raw), and
// sizes around the chunk and minimum sizes.
func testBodies() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	text := func(n int) []byte {
		return []byte(strings.Repeat("key-17-xxxxx ", n/13+1))[:n]
	}
	return map[string][]byte{
		"text":           text(500_000),
		"noise":          noise(300_000),
		"noise+text":     append(noise(chunkSize), text(2*chunkSize+77)...),
		"one chunk":      text(chunkSize),
		"chunk+1":        text(chunkSize + 1),
		"minimum":        text(minCompress),
		"below minimum":  text(minCompress - 1),
		"text+noise+end": append(append(text(chunkSize), noise(chunkSize)...), text(1000)...),
	}
}

func TestBodyCodecRoundTrip(t *testing.T) {
	for _, c := range codecs {
		for name, body := range testBodies() {
			e := bodyEncoder{codec: c.codec()}
			size := e.bound(len(body))
			if len(body) < minCompress {
				if size != 0 {
					t.Fatalf("%s %s: bound %d for a body below the minimum", c, name, size)
				}
				continue
			}
			out := make([]byte, size)
			meta, data, ok := e.encode(body, out, len(body), nil)
			if strings.HasPrefix(name, "noise") && !strings.Contains(name, "+") {
				if ok {
					t.Errorf("%s %s: noise compressed to %d of %d bytes", c, name, len(data), len(body))
				}
				continue
			}
			if !ok {
				t.Errorf("%s %s: not compressed", c, name)
				continue
			}
			if len(data) >= len(body) {
				t.Errorf("%s %s: %d bytes stored for %d", c, name, len(data), len(body))
			}
			got, err := decodeBody(meta, data, newBytes)
			if err != nil {
				t.Fatalf("%s %s: %v", c, name, err)
			}
			if !bytes.Equal(got, body) {
				t.Fatalf("%s %s: round trip changed the body", c, name)
			}
		}
	}
}

// Damage anywhere in a compressed message is an error wrapping errCorrupt,
// never a panic and never wrong bytes: every single-byte change of the
// header, changes all over the data, and a cut or longer body.
func TestBodyCodecCorrupt(t *testing.T) {
	body := testBodies()["text+noise+end"]
	// Regions to unshuffle, one with planes to restore, so their header
	// is damaged too. The first region lacks 2 planes of 125 bytes.
	regions := []region{
		{off: 0, len: 1000, width: 8, elided: 0b101, vals: []byte{0, 7}},
		{off: 1000, len: 4096, width: 4},
		{off: chunkSize, len: 333, width: 16},
	}
	for _, c := range codecs {
		e := bodyEncoder{codec: c.codec()}
		meta, data, ok := e.encode(body, make([]byte, e.bound(len(body))), len(body)+250, regions)
		if !ok {
			t.Fatalf("%s: not compressed", c)
		}
		meta = bytes.Clone(meta)
		want, err := decodeBody(meta, data, newBytes)
		if err != nil {
			t.Fatal(err)
		}
		check := func(what string, m, d []byte) {
			t.Helper()
			got, err := decodeBody(m, d, newBytes)
			if err == nil {
				if bytes.Equal(got, want) {
					return // a change the codec may ignore (none so far)
				}
				t.Fatalf("%s %s: decoded to wrong bytes without an error", c, what)
			}
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("%s %s: %v", c, what, err)
			}
		}
		for i := range meta {
			for _, x := range []byte{1, 0x80, 0xff} {
				m := bytes.Clone(meta)
				m[i] ^= x
				check(fmt.Sprintf("header byte %d^%#x", i, x), m, data)
			}
		}
		for i := 0; i < len(data); i += 1 + len(data)/500 {
			d := bytes.Clone(data)
			d[i] ^= 0x5a
			check("data byte", meta, d)
		}
		check("cut data", meta, data[:len(data)-1])
		check("longer data", meta, append(bytes.Clone(data), 0))
		check("no data", meta, nil)
		check("cut header", meta[:len(meta)-1], data)
		check("empty header", nil, data)
	}
}

func FuzzDecodeBody(f *testing.F) {
	for _, c := range codecs {
		e := bodyEncoder{codec: c.codec()}
		body := testBodies()["noise+text"]
		meta, data, _ := e.encode(body, make([]byte, e.bound(len(body))), len(body)+100, []region{{off: 10, len: 800, width: 8, elided: 1, vals: []byte{0}}})
		f.Add(bytes.Clone(meta), bytes.Clone(data[:min(len(data), 4096)]))
	}
	f.Fuzz(func(t *testing.T, meta, data []byte) {
		got, err := decodeBody(meta, data, newBytes)
		if err != nil && !errors.Is(err, errCorrupt) {
			t.Fatalf("error not wrapping errCorrupt: %v", err)
		}
		if err == nil && len(got) > maxBody {
			t.Fatalf("%d bytes decoded", len(got))
		}
	})
}

// edgeSchema has what compression could mangle: a column that is all
// nulls, strings (offsets and data), decimals, and an all-null string.
var edgeSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "nothing", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: &arrow.Decimal128Type{Precision: 38, Scale: 4}, Nullable: true},
	{Name: "nostr", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func edgeBatch(alloc memory.Allocator, from, n int) arrow.RecordBatch {
	id := array.NewInt64Builder(alloc)
	nothing := array.NewInt64Builder(alloc)
	s := array.NewStringBuilder(alloc)
	d := array.NewDecimal128Builder(alloc, edgeSchema.Field(3).Type.(*arrow.Decimal128Type))
	nostr := array.NewStringBuilder(alloc)
	for i := from; i < from+n; i++ {
		id.Append(int64(i))
		nothing.AppendNull()
		if i%5 == 0 {
			s.AppendNull()
		} else {
			s.Append(strings.Repeat("ab", i%40) + "é")
		}
		d.Append(decimal128.New(int64(i%3)-1, uint64(i)*0x9e3779b97f4a7c15))
		nostr.AppendNull()
	}
	bs := []array.Builder{id, nothing, s, d, nostr}
	cols := make([]arrow.Array, len(bs))
	for i, b := range bs {
		cols[i] = b.NewArray()
		b.Release()
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	return array.NewRecordBatch(edgeSchema, cols, int64(n))
}

// listSource yields its batches in order.
type listSource struct {
	batches []arrow.RecordBatch
	i       int
}

func (l *listSource) Schema() *arrow.Schema      { return edgeSchema }
func (l *listSource) Open(context.Context) error { return nil }
func (l *listSource) Next(context.Context) (arrow.RecordBatch, error) {
	if l.i >= len(l.batches) {
		return nil, io.EOF
	}
	l.i++
	return l.batches[l.i-1], nil
}
func (l *listSource) Close() error { return nil }

// Batches of every shape cross the wire unchanged under every codec: empty
// ones, tiny ones (sent plain), large ones (compressed in several chunks),
// with null-only, string and decimal columns.
func TestCodecsEndToEnd(t *testing.T) {
	noLeaks(t)
	for _, c := range append([]Compression{NoCompression}, codecs...) {
		t.Run(c.String(), func(t *testing.T) {
			prod := startNode(t, Config{Compression: c})
			consAlloc := memory.NewCheckedAllocator(memory.NewGoAllocator())
			var sent []arrow.RecordBatch
			for i, n := range []int{0, 3, exec.BatchSize, 1, 50_000} {
				sent = append(sent, edgeBatch(prod.alloc, i*100_000, n))
			}
			defer func() {
				for _, b := range sent {
					b.Release()
				}
			}()
			key := StreamKey{Query: "codec", Stage: 1}
			out, err := prod.svc.Register(key, edgeSchema)
			if err != nil {
				t.Fatal(err)
			}
			// Send directly: a Sender would drop the empty batch.
			go func() {
				for _, b := range sent {
					if err := out.Send(context.Background(), b); err != nil {
						out.Close(err)
						return
					}
				}
				out.Close(nil)
			}()
			rcv := NewReceiver(newTestClient(t, testKey), prod.addr, key, edgeSchema, consAlloc)
			var got []arrow.RecordBatch
			err = exec.Drain(context.Background(), rcv, func(b arrow.RecordBatch) error {
				b.Retain()
				got = append(got, b)
				return nil
			})
			release := func() {
				for _, b := range got {
					b.Release()
				}
				got = nil
			}
			defer release()
			if err != nil {
				t.Fatal(err)
			}
			want := sent[1:] // the receiver skips empty batches
			if len(got) != len(want) {
				t.Fatalf("%d batches arrived, want %d", len(got), len(want))
			}
			for i := range want {
				if !array.RecordEqual(got[i], want[i]) {
					t.Fatalf("batch %d changed on the way", i)
				}
			}
			if c != NoCompression && rcv.WireBytes()*4 > out.Rows()*100 {
				t.Errorf("%d rows took %d bytes: not compressed?", out.Rows(), rcv.WireBytes())
			}
			// The batches kept decoded bodies of the consumer's allocator
			// alive; releasing them frees every byte.
			if c != NoCompression && consAlloc.CurrentAlloc() == 0 {
				t.Error("decoded bodies are not in the consumer's allocator")
			}
			release()
			zeroAfter(t, "consumer", consAlloc)
		})
	}
}

// corruptServer serves any DoGet with a schema and one batch whose
// compressed body has one byte flipped.
type corruptServer struct {
	flight.BaseFlightServer
	msgs []*flight.FlightData
}

func (s *corruptServer) DoGet(_ *flight.Ticket, stream flight.FlightService_DoGetServer) error {
	for _, m := range s.msgs {
		if err := stream.Send(m); err != nil {
			return err
		}
	}
	return nil
}

type captureStream struct{ msgs []*flight.FlightData }

func (c *captureStream) Send(fd *flight.FlightData) error {
	c.msgs = append(c.msgs, &flight.FlightData{
		DataHeader: bytes.Clone(fd.DataHeader),
		DataBody:   bytes.Clone(fd.DataBody),
	})
	return nil
}

// A damaged body reaches the query as an internal error (XX000) naming the
// damage, not as a panic or as wrong rows.
func TestCorruptBodyIsAnError(t *testing.T) {
	noLeaks(t)
	b := edgeBatch(memory.DefaultAllocator, 0, exec.BatchSize)
	defer b.Release()
	var cs captureStream
	w := flight.NewRecordWriter(&cs)
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	w.Close()
	fd := cs.msgs[1]
	e := bodyEncoder{codec: codecLZ4}
	meta, data, ok := e.encode(fd.DataBody, make([]byte, e.bound(len(fd.DataBody))), len(fd.DataBody), nil)
	if !ok {
		t.Fatal("batch not compressed")
	}
	fd.AppMetadata, fd.DataBody = bytes.Clone(meta), bytes.Clone(data)
	fd.DataBody[len(fd.DataBody)/2] ^= 1

	srv := grpc.NewServer()
	flight.RegisterFlightServiceServer(srv, &corruptServer{msgs: cs.msgs})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	defer srv.Stop()

	rcv := NewReceiver(newTestClient(t, testKey), lis.Addr().String(), StreamKey{Query: "q", Stage: 1}, edgeSchema, memory.DefaultAllocator)
	err = exec.Drain(context.Background(), rcv, func(arrow.RecordBatch) error { return nil })
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.InternalError || !strings.Contains(se.Message, "corrupt compressed body") {
		t.Fatalf("got %v", err)
	}
}

func TestParseCompression(t *testing.T) {
	for _, c := range []Compression{LZ4, Zstd, S2, NoCompression} {
		if got, err := ParseCompression(c.String()); err != nil || got != c {
			t.Errorf("ParseCompression(%q) = %v, %v", c.String(), got, err)
		}
	}
	if got, err := ParseCompression(""); err != nil || got != LZ4 {
		t.Errorf(`ParseCompression("") = %v, %v`, got, err)
	}
	if _, err := ParseCompression("gzip"); err == nil {
		t.Error("gzip accepted")
	}
}

func newBytes(n int) []byte { return make([]byte, n) }

// parallel runs every index once, on several goroutines for many, and
// reports an error.
func TestParallel(t *testing.T) {
	for _, n := range []int{0, 1, 3, 1000} {
		var mu sync.Mutex
		seen := map[int]int{}
		err := parallel(n, func(i int) error {
			mu.Lock()
			seen[i]++
			mu.Unlock()
			if i == 2 {
				return errCorrupt
			}
			return nil
		})
		if len(seen) != n {
			t.Fatalf("n=%d: %d indexes run", n, len(seen))
		}
		for i, c := range seen {
			if c != 1 || i < 0 || i >= n {
				t.Fatalf("n=%d: index %d run %d times", n, i, c)
			}
		}
		if (n > 2) != (err != nil) {
			t.Fatalf("n=%d: error %v", n, err)
		}
	}
}
