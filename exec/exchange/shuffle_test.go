package exchange

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/basaltdb/basalt/exec"
)

func TestShuffleRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, w := range []int{2, 4, 8, 16, 32} {
		for _, n := range []int{0, 1, w - 1, w, w + 1, 7 * w, 8 * w, 9*w + 1, 1000*w + 3} {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			sh := make([]byte, n)
			shuffle(sh, src, w)
			// Against the definition: byte j of value i at j*k+i.
			k := n / w
			for i := range k {
				for j := range w {
					if sh[j*k+i] != src[i*w+j] {
						t.Fatalf("width %d, %d bytes: byte %d of value %d misplaced", w, n, j, i)
					}
				}
			}
			if !bytes.Equal(sh[k*w:], src[k*w:]) {
				t.Fatalf("width %d, %d bytes: tail changed", w, n)
			}
			if n >= 2*w && bytes.Equal(sh, src) {
				t.Fatalf("width %d, %d bytes: shuffle changed nothing", w, n)
			}
			back := make([]byte, n)
			unshuffle(back, sh, w)
			if !bytes.Equal(back, src) {
				t.Fatalf("width %d, %d bytes: round trip changed the bytes", w, n)
			}
		}
	}
}

// elide drops exactly the constant planes, and restore puts them back.
func TestElideRestore(t *testing.T) {
	const n = 1000
	src := make([]byte, 8*n)
	for i := range n {
		// Planes 0-1 vary, 2-4 are zero, 5 is 0x42, 6 varies, 7 is 0xff.
		binary.LittleEndian.PutUint64(src[8*i:], uint64(i*7919)&0xffff|0x42<<40|uint64(i%3)<<48|0xff<<56)
	}
	src = append(src, 1, 2, 3) // a tail that is no whole value
	sh := make([]byte, len(src))
	shuffle(sh, src, 8)
	r := region{off: 0, len: len(src), width: 8}
	kept := elide(sh, &r)
	if r.elided != 0b10111100 || !bytes.Equal(r.vals, []byte{0, 0, 0, 0x42, 0xff}) {
		t.Fatalf("elided %08b %x", r.elided, r.vals)
	}
	if kept != 3*n+3 || r.stored() != kept {
		t.Fatalf("kept %d bytes, stored() %d", kept, r.stored())
	}
	planes := make([]byte, len(src))
	if got := restore(planes, sh[:kept], r); got != kept {
		t.Fatalf("restore read %d bytes of %d", got, kept)
	}
	back := make([]byte, len(src))
	unshuffle(back, planes, 8)
	if !bytes.Equal(back, src) {
		t.Fatal("round trip changed the bytes")
	}
}

func TestBufferWidths(t *testing.T) {
	if got, want := bufferWidths(mixedSchema), []int{0, 8, 0, 8, 0, 4, 0, 0, 16, 0, 4, 0, 8, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("mixed: %v, want %v", got, want)
	}
	nested := arrow.NewSchema([]arrow.Field{
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)},
		{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64}, arrow.Field{Name: "b", Type: arrow.BinaryTypes.LargeString})},
	}, nil)
	if got, want := bufferWidths(nested), []int{0, 4, 0, 4, 0, 0, 8, 0, 8, 0}; !slices.Equal(got, want) {
		t.Errorf("nested: %v, want %v", got, want)
	}
	dict := arrow.NewSchema([]arrow.Field{{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}}}, nil)
	if got := bufferWidths(dict); got != nil {
		t.Errorf("dictionary: %v, want nil (not shuffled)", got)
	}
}

// recordBuffers reads what the IPC writer wrote, and nothing but false
// (no panic) comes of a damaged header.
func TestRecordBuffers(t *testing.T) {
	b := mixedBatch(memory.DefaultAllocator, 0, 1000)
	defer b.Release()
	p, err := ipc.GetRecordBatchPayload(b)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	m := p.Meta()
	defer m.Release()
	var size sizeWriter
	p.SerializeBody(&size)
	bufs, ok := recordBuffers(m.Bytes(), nil)
	if !ok || len(bufs) != len(bufferWidths(mixedSchema)) {
		t.Fatalf("%v %v", ok, bufs)
	}
	end := 0
	for _, x := range bufs {
		if x[0] < end || x[0]%8 != 0 {
			t.Fatalf("buffers %v out of order or unaligned", bufs)
		}
		end = x[0] + x[1]
	}
	if end > int(size) || int(size)-end >= 8 {
		t.Fatalf("buffers end at %d, body is %d bytes", end, size)
	}
	h := m.Bytes()
	for i := range h {
		recordBuffers(h[:i], nil)
		for _, x := range []byte{1, 0x80, 0xff} {
			d := bytes.Clone(h)
			d[i] ^= x
			recordBuffers(d, nil)
		}
	}
	if _, ok := recordBuffers(flightSchemaHeader(t), nil); ok {
		t.Error("a schema message read as a record batch")
	}
}

func flightSchemaHeader(t *testing.T) []byte {
	var cs captureStream
	w := ipc.NewWriterWithPayloadWriter(&capturePW{&cs}, ipc.WithSchema(mixedSchema))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return cs.msgs[0].DataHeader
}

type capturePW struct{ cs *captureStream }

func (c *capturePW) Start() error { return nil }
func (c *capturePW) Close() error { return nil }
func (c *capturePW) WritePayload(p ipc.Payload) error {
	m := p.Meta()
	defer m.Release()
	c.cs.msgs = append(c.cs.msgs, &flight.FlightData{DataHeader: bytes.Clone(m.Bytes())})
	return nil
}

// sentMsgs collects what a payloadWriter sends.
type sentMsgs struct{ header, meta, body [][]byte }

func (s *sentMsgs) SendMsg(v any) error {
	d := v.(*outData)
	s.header = append(s.header, bytes.Clone(d.header))
	s.meta = append(s.meta, bytes.Clone(d.meta))
	s.body = append(s.body, d.body.Materialize())
	d.body.Free()
	return nil
}

// What DoGet sends decodes to the IPC body arrow-go wrote, whether the
// body was shuffled and compressed, or shuffled, found incompressible and
// sent plain after all.
func TestPayloadWriterBodies(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	noise := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	nb := array.NewInt64Builder(memory.DefaultAllocator)
	for range exec.BatchSize {
		nb.Append(int64(rng.Uint64()))
	}
	noiseCol := nb.NewArray()
	nb.Release()
	noiseBatch := array.NewRecordBatch(noise, []arrow.Array{noiseCol}, exec.BatchSize)
	noiseCol.Release()
	defer noiseBatch.Release()
	mixed := mixedBatch(memory.DefaultAllocator, 0, exec.BatchSize)
	defer mixed.Release()
	sliced := mixed.NewSlice(1001, 7003) // offsets and bitmaps not at 0
	defer sliced.Release()
	lb := array.NewListBuilder(memory.DefaultAllocator, arrow.PrimitiveTypes.Int64)
	vb := lb.ValueBuilder().(*array.Int64Builder)
	for i := range exec.BatchSize {
		if i%7 == 0 {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		for j := range i % 5 {
			vb.Append(int64(i*10 + j))
		}
	}
	listCol := lb.NewArray()
	lb.Release()
	listSchema := arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true}}, nil)
	lists := array.NewRecordBatch(listSchema, []arrow.Array{listCol}, exec.BatchSize)
	listCol.Release()
	defer lists.Release()

	for _, c := range codecs {
		for _, tc := range []struct {
			name       string
			b          arrow.RecordBatch
			compressed bool
		}{{"mixed", mixed, true}, {"sliced", sliced, true}, {"lists", lists, true}, {"noise", noiseBatch, false}} {
			var sent sentMsgs
			var wire atomic.Int64
			pw := &payloadWriter{s: &sent, enc: bodyEncoder{codec: c.codec()}, wire: &wire, widths: bufferWidths(tc.b.Schema())}
			w := ipc.NewWriterWithPayloadWriter(pw, ipc.WithSchema(tc.b.Schema()))
			if err := w.Write(tc.b); err != nil {
				t.Fatal(err)
			}
			w.Close()
			p, err := ipc.GetRecordBatchPayload(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			p.SerializeBody(&want)
			p.Release()
			got := sent.body[1] // after the schema
			if compressed := len(sent.meta[1]) > 0; compressed != tc.compressed {
				t.Fatalf("%s %s: compressed %v", c, tc.name, compressed)
			}
			if tc.compressed {
				got, err = decodeBody(sent.meta[1], got, newBytes)
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("%s %s: body differs from arrow-go's", c, tc.name)
			}
			if tc.compressed && len(sent.body[1])*3 > want.Len() {
				t.Errorf("%s %s: %d bytes sent for %d: shuffled?", c, tc.name, len(sent.body[1]), want.Len())
			}
		}
	}
}
