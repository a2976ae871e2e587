package exchange

import (
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the codec wireCodec falls back to
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The exchange's gRPC codec. gRPC's proto codec copies a FlightData body
// into the marshalled message on the way out, and on the way in
// materialises the message and then copies the body out of it again. The
// exchange's own connections (client and server both set it, so other
// gRPC users of the process are untouched) use wireCodec instead: it
// writes a body from its pooled buffer as it is, and reads a FlightData
// with one copy, its fields aliasing that copy. The bytes on the wire are
// the same protobuf; every other message goes through the proto codec.
//
// grpc.ForceCodecV2 and grpc.ForceServerCodecV2 are marked experimental
// in grpc-go; they are what lets a codec see buffers at all.

// FlightData field numbers (Flight.proto).
const (
	fdHeader = 2
	fdMeta   = 3
	fdBody   = 1000
)

type wireCodec struct{ proto encoding.CodecV2 }

var theWireCodec = wireCodec{proto: encoding.GetCodecV2("proto")}

func (wireCodec) Name() string { return "proto" }

// outData is a FlightData to send whose body is a list of buffers that
// gRPC writes as they are and frees once written.
type outData struct {
	header, meta []byte
	body         mem.BufferSlice
}

func (c wireCodec) Marshal(v any) (mem.BufferSlice, error) {
	d, ok := v.(*outData)
	if !ok {
		return c.proto.Marshal(v)
	}
	n := d.body.Len()
	hdr := make([]byte, 0, len(d.header)+len(d.meta)+32)
	if len(d.header) > 0 {
		hdr = protowire.AppendTag(hdr, fdHeader, protowire.BytesType)
		hdr = protowire.AppendBytes(hdr, d.header)
	}
	if len(d.meta) > 0 {
		hdr = protowire.AppendTag(hdr, fdMeta, protowire.BytesType)
		hdr = protowire.AppendBytes(hdr, d.meta)
	}
	if n > 0 {
		hdr = protowire.AppendTag(hdr, fdBody, protowire.BytesType)
		hdr = protowire.AppendVarint(hdr, uint64(n))
	}
	out := make(mem.BufferSlice, 0, 1+len(d.body))
	out = append(out, mem.SliceBuffer(hdr))
	return append(out, d.body...), nil
}

func (c wireCodec) Unmarshal(data mem.BufferSlice, v any) error {
	fd, ok := v.(*flight.FlightData)
	if !ok {
		return c.proto.Unmarshal(data, v)
	}
	// A fresh copy rather than a pooled one: the batches read from this
	// message alias it for as long as they live.
	b := data.Materialize()
	fd.Reset()
	for p := b; len(p) > 0; {
		num, typ, n := protowire.ConsumeTag(p)
		if n < 0 || typ != protowire.BytesType || (num != fdHeader && num != fdMeta && num != fdBody) {
			// A descriptor, a field of a later Flight, or garbage: the
			// proto codec knows what to do with it.
			return proto.Unmarshal(b, fd)
		}
		p = p[n:]
		val, n := protowire.ConsumeBytes(p)
		if n < 0 {
			return proto.Unmarshal(b, fd) // reports the error
		}
		p = p[n:]
		val = val[:len(val):len(val)]
		switch num {
		case fdHeader:
			fd.DataHeader = val
		case fdMeta:
			fd.AppMetadata = val
		case fdBody:
			fd.DataBody = val
		}
	}
	return nil
}

// payloadWriter is the ipc.PayloadWriter of a DoGet: one FlightData per
// IPC message, its body serialised into a pooled buffer, compressed by enc
// into another, and handed to gRPC, which returns it to the pool once
// written.
type payloadWriter struct {
	s interface {
		SendMsg(any) error
	}
	enc  bodyEncoder
	wire *atomic.Int64 // encoded bytes sent
	// widths are the value widths of a batch's buffers (bufferWidths),
	// nil when nothing is shuffled; bufs is scratch for their places.
	widths []int
	bufs   [][2]int
}

// Buffers shorter than minShuffle are not worth a region.
const minShuffle = 256

func (w *payloadWriter) Start() error { return nil }
func (w *payloadWriter) Close() error { return nil }

// sizeWriter counts what SerializeBody writes.
type sizeWriter int

func (s *sizeWriter) Write(p []byte) (int, error) { *s += sizeWriter(len(p)); return len(p), nil }

// fillWriter writes a body into a buffer sized beforehand. A write that is
// exactly one of regions (SerializeBody writes each buffer at once, then
// its padding) is shuffled and its constant byte planes are dropped
// (elide); those regions are noted in done. n counts the body's bytes, w
// those in b.
type fillWriter struct {
	b       []byte
	n, w    int
	regions []region
	done    []region
}

func (f *fillWriter) Write(p []byte) (int, error) {
	for len(f.regions) > 0 && f.regions[0].off < f.n {
		f.regions = f.regions[1:]
	}
	if len(f.regions) > 0 && f.regions[0].off == f.n && f.regions[0].len == len(p) {
		r := f.regions[0]
		f.regions = f.regions[1:]
		shuffle(f.b[f.w:f.w+len(p)], p, r.width)
		f.w += elide(f.b[f.w:f.w+len(p)], &r)
		f.done = append(f.done, r)
		f.n += len(p)
		return len(p), nil
	}
	f.w += copy(f.b[f.w:], p)
	f.n += len(p)
	return len(p), nil
}

// shuffleRegions lists the buffers of the message with header that are
// worth shuffling.
func (w *payloadWriter) shuffleRegions(header []byte) []region {
	if w.widths == nil || w.enc.codec == 0 {
		return nil
	}
	bufs, ok := recordBuffers(header, w.bufs)
	w.bufs = bufs
	if !ok || len(bufs) != len(w.widths) {
		return nil
	}
	var rs []region
	for i, b := range bufs {
		if shuffleWidth(w.widths[i]) && b[1] >= minShuffle {
			rs = append(rs, region{off: b[0], len: b[1], width: w.widths[i]})
		}
	}
	return rs
}

func (w *payloadWriter) WritePayload(p ipc.Payload) error {
	m := p.Meta()
	defer m.Release()
	d := &outData{header: m.Bytes()}
	var size sizeWriter
	if err := p.SerializeBody(&size); err != nil {
		return err
	}
	if size > 0 {
		pool := thePool
		buf := pool.Get(int(size))
		fw := &fillWriter{b: *buf}
		if w.enc.bound(int(size)) > 0 {
			fw.regions = w.shuffleRegions(d.header)
		}
		if err := p.SerializeBody(fw); err != nil {
			pool.Put(buf)
			return err
		}
		body := (*buf)[:fw.w]
		compressed := false
		if bound := w.enc.bound(len(body)); bound > 0 {
			out := pool.Get(bound)
			if meta, data, ok := w.enc.encode(body, *out, fw.n, fw.done); ok {
				pool.Put(buf)
				d.meta, body, compressed = meta, data, true
			} else {
				pool.Put(out)
			}
		}
		if !compressed && len(fw.done) > 0 {
			// Plain after all: serialise again, as it is.
			fw = &fillWriter{b: *buf}
			if err := p.SerializeBody(fw); err != nil {
				pool.Put(buf)
				return err
			}
			body = (*buf)[:fw.w]
		}
		d.body = mem.BufferSlice{mem.NewBuffer(&body, pool)}
	}
	w.wire.Add(int64(len(d.header) + len(d.meta) + d.body.Len()))
	// gRPC frees d.body, whether the send works or not.
	return w.s.SendMsg(d)
}

// bodyPool holds the buffers of outgoing bodies, in power-of-two classes.
// gRPC's default pool clears every buffer it hands out, which cost as much
// as a copy of each body; these buffers are always written in full before
// they are read, so they need no clearing.
type bodyPool struct {
	classes [bodyPoolClasses]sync.Pool
}

const (
	bodyPoolMin     = 16 // log2 of the smallest class, 64 KB
	bodyPoolClasses = 12 // up to 128 MB; larger buffers are not pooled
	bodyPoolMax     = 1 << (bodyPoolMin + bodyPoolClasses - 1)
)

var thePool = &bodyPool{}

func poolClass(n int) int {
	if n <= 1<<bodyPoolMin {
		return 0
	}
	return bits.Len(uint(n-1)) - bodyPoolMin
}

// Get implements mem.BufferPool.
func (p *bodyPool) Get(n int) *[]byte {
	if n > bodyPoolMax {
		b := make([]byte, n)
		return &b
	}
	c := poolClass(n)
	if b, ok := p.classes[c].Get().(*[]byte); ok {
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n, 1<<(bodyPoolMin+c))
	return &b
}

// Put implements mem.BufferPool.
func (p *bodyPool) Put(b *[]byte) {
	n := cap(*b)
	if n > bodyPoolMax || n < 1<<bodyPoolMin || n&(n-1) != 0 {
		return // not one of ours
	}
	p.classes[poolClass(n)].Put(b)
}
