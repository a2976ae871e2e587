package storage

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/delta"
)

// deltaStream builds DELTA_BINARY_PACKED streams from the spec, in 64-bit
// wrapping arithmetic like DuckDB, with knobs for the cases writers differ on.
type deltaStream struct {
	blockSize, miniblocks int
	// garbageWidths fills the width bytes of unused trailing miniblocks
	// with junk, which readers must ignore.
	garbageWidths bool
	// cutPadding leaves out the padding of the last miniblock.
	cutPadding bool
	// total overrides the header's value count when non-zero.
	total uint64
}

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func (s deltaStream) encode(vals []int64) []byte {
	total := uint64(len(vals))
	if s.total != 0 {
		total = s.total
	}
	out := binary.AppendUvarint(nil, uint64(s.blockSize))
	out = binary.AppendUvarint(out, uint64(s.miniblocks))
	out = binary.AppendUvarint(out, total)
	if len(vals) == 0 {
		return binary.AppendUvarint(out, 0)
	}
	out = binary.AppendUvarint(out, zigzag(vals[0]))
	deltas := make([]int64, len(vals)-1)
	for i := range deltas {
		deltas[i] = vals[i+1] - vals[i] // wraps
	}
	perMini := s.blockSize / s.miniblocks
	for b := 0; b < len(deltas); b += s.blockSize {
		block := deltas[b:min(b+s.blockSize, len(deltas))]
		minDelta := block[0]
		for _, d := range block {
			minDelta = min(minDelta, d)
		}
		out = binary.AppendUvarint(out, zigzag(minDelta))
		var widths []int
		for m := 0; m < s.miniblocks; m++ {
			w := 0
			if m*perMini < len(block) {
				for _, d := range block[m*perMini : min((m+1)*perMini, len(block))] {
					w = max(w, bits.Len64(uint64(d-minDelta)))
				}
			} else if s.garbageWidths {
				w = 200 + m
			}
			widths = append(widths, w)
			out = append(out, byte(w))
		}
		for m, w := range widths {
			if m*perMini >= len(block) {
				break
			}
			packed := make([]byte, perMini*w/8)
			for j := range perMini {
				var x uint64
				if m*perMini+j < len(block) {
					x = uint64(block[m*perMini+j] - minDelta)
				}
				for k := range w {
					if x>>k&1 != 0 {
						bit := j*w + k
						packed[bit/8] |= 1 << (bit % 8)
					}
				}
			}
			if s.cutPadding && (m+1)*perMini > len(block) {
				packed = packed[:((len(block)-m*perMini)*w+7)/8]
			}
			out = append(out, packed...)
		}
	}
	return out
}

func checkDecode[T int32 | int64](t *testing.T, what string, stream []byte, want []int64) {
	t.Helper()
	got, used, err := deltaDecode[T](nil, stream, len(want))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if used > len(stream) {
		t.Fatalf("%s: used %d of %d bytes", what, used, len(stream))
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != T(want[i]) {
			t.Fatalf("%s: value %d is %d, want %d", what, i, got[i], T(want[i]))
		}
	}
}

// TestDeltaDuckDBInt32Streams decodes the two INT32 streams parquet-go
// v0.32.0 gets wrong, as a writer computing in 64 bits produces them.
func TestDeltaDuckDBInt32Streams(t *testing.T) {
	s := deltaStream{blockSize: 128, miniblocks: 4}

	// UINTEGER: the first value is the unsigned number 4294967295,
	// above the int32 range; the stored int32 bits are those of -1.
	var u []int64
	for i := range 3000 {
		u = append(u, 4294967295-int64(i)*1000)
	}
	stream := s.encode(u)
	if first := binary.AppendUvarint(nil, zigzag(4294967295)); !strings.Contains(string(stream), string(first)) {
		t.Fatal("the stream does not carry the unsigned first value")
	}
	got, _, err := deltaDecode[int32](nil, stream, len(u))
	if err != nil {
		t.Fatal(err)
	}
	for i := range u {
		if uint32(got[i]) != uint32(u[i]) {
			t.Fatalf("uinteger %d: %d, want %d", i, uint32(got[i]), u[i])
		}
	}

	// INTEGER spanning the whole range: deltas of ±(2^32-1-2i) take 33 bits.
	var v []int64
	for i := range 3000 {
		if i%2 == 0 {
			v = append(v, math.MinInt32+int64(i))
		} else {
			v = append(v, math.MaxInt32-int64(i))
		}
	}
	checkDecode[int32](t, "integer", s.encode(v), v)

	// The same values written by an encoder working in 32 bits (parquet-go's
	// own) decode to the same numbers: truncation commutes with wrapping.
	var enc delta.BinaryPackedEncoding
	v32 := make([]int32, len(v))
	for i, x := range v {
		v32[i] = int32(x)
	}
	b, err := enc.EncodeInt32(nil, v32)
	if err != nil {
		t.Fatal(err)
	}
	checkDecode[int32](t, "parquet-go's integer", b, v)
}

// TestDeltaWidths covers every miniblock bit width 0..64, in both output
// types, with positive and negative minimum deltas.
func TestDeltaWidths(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := deltaStream{blockSize: 128, miniblocks: 4}
	for w := 0; w <= 64; w++ {
		for _, base := range []int64{0, -5, 1 << 40, math.MinInt64} {
			if base > 0 && w >= 63 {
				continue // base + r would overflow and widen the deltas
			}
			// Deltas base + r with r < 2^w; one delta of exactly 2^w-1
			// and one of 0 make the width exactly w.
			vals := []int64{rng.Int64()}
			for i := range 300 {
				var r uint64
				if w > 0 {
					r = rng.Uint64() >> (64 - w)
				}
				switch i % 97 {
				case 5:
					r = 0
				case 7:
					if w > 0 {
						r = math.MaxUint64 >> (64 - w)
					}
				}
				vals = append(vals, vals[len(vals)-1]+base+int64(r))
			}
			stream := s.encode(vals)
			// The first block's widths follow the header and its min
			// delta; one of them must be w for the test to cover w.
			minDelta := vals[1] - vals[0]
			for i := 1; i <= 128; i++ {
				minDelta = min(minDelta, vals[i]-vals[i-1])
			}
			pre := binary.AppendUvarint(nil, 128)
			pre = binary.AppendUvarint(pre, 4)
			pre = binary.AppendUvarint(pre, uint64(len(vals)))
			pre = binary.AppendUvarint(pre, zigzag(vals[0]))
			pre = binary.AppendUvarint(pre, zigzag(minDelta))
			if widths := stream[len(pre) : len(pre)+4]; !strings.ContainsRune(string(widths), rune(w)) {
				t.Fatalf("width %d: stream has miniblock widths %v", w, widths)
			}
			checkDecode[int64](t, "int64", stream, vals)
			checkDecode[int32](t, "int32", stream, vals)
		}
	}
}

// TestDeltaShapes covers block and miniblock layouts, partial last
// miniblocks and blocks, large blocks, negative deltas, and the leniencies
// the spec asks of readers.
func TestDeltaShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	layouts := []deltaStream{
		{blockSize: 128, miniblocks: 4},
		{blockSize: 128, miniblocks: 1},
		{blockSize: 256, miniblocks: 8},
		{blockSize: 1024, miniblocks: 4},
		{blockSize: 4096, miniblocks: 2},
		{blockSize: 128, miniblocks: 4, garbageWidths: true},
		{blockSize: 512, miniblocks: 16, cutPadding: true, garbageWidths: true},
	}
	for _, s := range layouts {
		for _, n := range []int{0, 1, 2, 31, 32, 33, 127, 128, 129, 130, 1000, 5000} {
			desc := make([]int64, n) // negative deltas
			mixed := make([]int64, n)
			for i := range n {
				desc[i] = 1_000_000 - int64(i)*int64(rng.IntN(1000))
				if i > 0 {
					desc[i] = desc[i-1] - int64(rng.IntN(1000))
				}
				mixed[i] = rng.Int64N(1<<20) - 1<<19
			}
			checkDecode[int64](t, "descending", s.encode(desc), desc)
			checkDecode[int32](t, "mixed", s.encode(mixed), mixed)
		}
	}
	// A stream may declare more values than the page uses, and may be
	// followed by other bytes.
	vals := []int64{10, 20, 15, 15, 15, -3}
	stream := deltaStream{blockSize: 128, miniblocks: 4}.encode(vals)
	n := len(stream)
	got, used, err := deltaDecode[int64](nil, append(stream, 0xEE, 0xEE), 4)
	if err != nil || len(got) != 4 || got[3] != 15 || used != n {
		t.Fatalf("prefix: %v %d %v, stream of %d bytes", got, used, err, n)
	}
	// The output buffer is reused when it is large enough.
	buf := make([]int32, 0, 16)
	got32, _, err := deltaDecode(buf, stream, len(vals))
	if err != nil || &got32[0] != &buf[:1][0] {
		t.Fatalf("buffer not reused: %v", err)
	}
}

// TestDeltaAgainstParquetGo decodes INT64 streams of parquet-go's encoder,
// which is right for INT64 (its INT64 decoder keeps serving INT64 chunks).
func TestDeltaAgainstParquetGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var enc delta.BinaryPackedEncoding
	for _, n := range []int{1, 100, 129, 4000} {
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = rng.Int64() >> rng.IntN(64)
		}
		b, err := enc.EncodeInt64(nil, vals)
		if err != nil {
			t.Fatal(err)
		}
		checkDecode[int64](t, "parquet-go int64", b, vals)
	}
}

// TestDeltaCorrupt checks that broken streams are errors, never panics or
// silently short output.
func TestDeltaCorrupt(t *testing.T) {
	vals := make([]int64, 700)
	for i := range vals {
		vals[i] = int64(i*i) - 5000
	}
	stream := deltaStream{blockSize: 256, miniblocks: 4}.encode(vals)
	// Only the padding of the last miniblock may be missing.
	needed := len(deltaStream{blockSize: 256, miniblocks: 4, cutPadding: true}.encode(vals))
	if needed >= len(stream) {
		t.Fatalf("the test stream has no padding: %d >= %d bytes", needed, len(stream))
	}
	for cut := range len(stream) + 1 {
		_, _, err := deltaDecode[int32](nil, stream[:cut], len(vals))
		switch {
		case cut >= needed && err != nil:
			t.Fatalf("stream cut at %d of %d bytes (%d needed): %v", cut, len(stream), needed, err)
		case cut < needed && err == nil:
			t.Fatalf("stream cut at %d of %d bytes decoded", cut, len(stream))
		case cut < needed && !errors.Is(err, io.ErrUnexpectedEOF):
			t.Fatalf("cut at %d: %v is not an unexpected EOF", cut, err)
		}
	}
	bad := func(what string, b []byte, want int, msg string) {
		t.Helper()
		_, _, err := deltaDecode[int64](nil, b, want)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one containing %q", what, err, msg)
		}
	}
	hdr := func(block, mini, total uint64) []byte {
		b := binary.AppendUvarint(nil, block)
		b = binary.AppendUvarint(b, mini)
		b = binary.AppendUvarint(b, total)
		return binary.AppendUvarint(b, 0)
	}
	bad("block size", hdr(100, 4, 1), 1, "block size")
	bad("zero block", hdr(0, 4, 1), 1, "block size")
	bad("huge block", hdr(1<<40, 4, 1), 1, "block size")
	bad("zero miniblocks", hdr(128, 0, 1), 1, "miniblocks")
	bad("miniblock of 16", hdr(128, 8, 1), 1, "miniblocks")
	bad("too few values", hdr(128, 4, 3), 4, "holds 3 values")
	wide := append(hdr(128, 4, 2), 0, 65, 0, 0, 0)
	bad("width 65", wide, 2, "bit width 65")
	over := append([]byte(nil), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)
	bad("varint overflow", over, 1, "overflows")
}

// FuzzDeltaDecode checks that no input makes the decoder panic or return
// other than exactly the values asked for.
func FuzzDeltaDecode(f *testing.F) {
	f.Add(deltaStream{blockSize: 128, miniblocks: 4}.encode([]int64{1, 5, -7, 1 << 40}), 4)
	f.Add(deltaStream{blockSize: 256, miniblocks: 8, cutPadding: true}.encode(make([]int64, 300)), 300)
	f.Fuzz(func(t *testing.T, b []byte, want int) {
		want = int(uint(want) % 5000)
		got, used, err := deltaDecode[int32](nil, b, want)
		if err == nil && (len(got) != want || used > len(b)) {
			t.Fatalf("%d values from %d of %d bytes, want %d", len(got), used, len(b), want)
		}
	})
}

func BenchmarkDeltaDecodeInt32(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	vals := make([]int64, 1<<16)
	for i := range vals {
		vals[i] = rng.Int64N(1 << 31)
	}
	stream := deltaStream{blockSize: 128, miniblocks: 4}.encode(vals)
	dst := make([]int32, len(vals))
	b.SetBytes(int64(4 * len(vals)))
	for b.Loop() {
		var err error
		if dst, _, err = deltaDecode(dst, stream, len(vals)); err != nil {
			b.Fatal(err)
		}
	}
}
