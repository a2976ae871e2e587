package exchange

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Body compression.
//
// arrow-go's IPC writer compresses each buffer of a batch separately (a
// dozen small LZ4 frames or ZSTD frames per batch) and its reader builds a
// new decoder for every batch; that was most of the exchange's time and
// allocation. So streams carry uncompressed IPC messages and the exchange
// compresses each message's body itself: as one byte string cut into
// chunks, which the cores compress at once with encoders that outlive the
// stream (a pooled LZ4 block compressor, one shared ZSTD encoder).
//
// Nodes run identical builds, so the framing is this package's own. The
// FlightData of a compressed message carries in AppMetadata
//
//	bodyMagic, codec byte, uvarint body length, uvarint chunk count,
//	per chunk: uvarint raw length, uvarint stored length (0: stored raw),
//	           CRC-32C of the stored bytes (4 bytes, little endian),
//	uvarint count of shuffled regions (shuffle.go),
//	per region: uvarint offset, uvarint length, width byte,
//	            uvarint mask of elided planes, a byte per elided plane,
//	CRC-32C of the header before it (4 bytes)
//
// The body length is that of the IPC body; the chunks hold less when
// planes were elided.
//
// and in DataBody the stored chunks one after another. A message without
// that header has a plain body. A chunk that does not shrink by at least
// 1/16 is stored raw, so incompressible columns cost the reader a copy.
// The checksums catch a damaged message before a decoder sees it: LZ4
// blocks have none, and a flipped literal (or region length) would
// otherwise decode to wrong rows.
const (
	bodyMagic = 0xBA
	codecLZ4  = 1
	codecZstd = 2
	codecS2   = 3
	// chunkSize trades parallelism (a 8192-row batch is a few hundred KB:
	// several chunks) against ratio and per-chunk overhead. LZ4's window is
	// 64 KB, so chunks of 128 KB lose it little.
	chunkSize = 128 << 10
	// Bodies shorter than minCompress go plain: a header costs more than
	// compression saves.
	minCompress = 512
	// maxChunk bounds a chunk's raw length in what a reader accepts (and
	// the ZSTD decoder's memory): room for a later, larger chunkSize.
	maxChunk = 8 << 20
	// maxBody bounds a decompressed body, so a bad header cannot make the
	// reader allocate without limit. Plain bodies are bounded by gRPC's
	// maxMessage; a compressed one may expand to as much.
	maxBody = maxMessage
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (c Compression) codec() byte {
	switch c {
	case LZ4:
		return codecLZ4
	case Zstd:
		return codecZstd
	case S2:
		return codecS2
	}
	return 0
}

var lz4Pool = sync.Pool{New: func() any { return new(lz4.Compressor) }}

// The ZSTD encoder and decoder are safe for concurrent EncodeAll and
// DecodeAll and keep their state between calls; one each serves every
// stream of the process.
var (
	zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
		// SpeedFastest: the exchange wants throughput; ZSTD's default
		// level costs about twice the time for a few percent of ratio.
		e, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithEncoderCRC(false), // the framing has its own
			zstd.WithZeroFrames(true))
		if err != nil {
			panic(err) // only on invalid options
		}
		return e
	})
	zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithDecoderMaxMemory(maxChunk))
		if err != nil {
			panic(err) // only on invalid options
		}
		return d
	})
)

// zstdBound is ZSTD_COMPRESSBOUND from zstd.h.
func zstdBound(n int) int {
	extra := 0
	if n < 128<<10 {
		extra = (128<<10 - n) >> 11
	}
	return n + n>>8 + extra
}

// compressChunk compresses src into dst (of chunkBound bytes) and returns
// the compressed size, 0 when src should be stored raw.
func compressChunk(codec byte, src, dst []byte) int {
	var m int
	switch codec {
	case codecLZ4:
		c := lz4Pool.Get().(*lz4.Compressor)
		m, _ = c.CompressBlock(src, dst)
		lz4Pool.Put(c)
	case codecZstd:
		res := zstdEncoder().EncodeAll(src, dst[:0])
		m = len(res)
		if m > 0 && m <= len(dst) && &res[0] != &dst[0] {
			copy(dst, res) // the encoder grew its own buffer
		}
	case codecS2:
		res := s2.Encode(dst, src)
		m = len(res)
		if m > 0 && m <= len(dst) && &res[0] != &dst[0] {
			copy(dst, res)
		}
	}
	if m <= 0 || m > len(dst) || m > len(src)-len(src)/16 {
		return 0
	}
	return m
}

// decompressChunk fills dst (exactly) from src, or fails.
func decompressChunk(codec byte, src, dst []byte) error {
	switch codec {
	case codecLZ4:
		if m, err := lz4.UncompressBlock(src, dst); err != nil || m != len(dst) {
			return errCorrupt
		}
	case codecZstd:
		// A three-index slice: the decoder cannot write past dst.
		res, err := zstdDecoder().DecodeAll(src, dst[:0:len(dst)])
		if err != nil || len(res) != len(dst) || &res[0] != &dst[0] {
			return errCorrupt
		}
	case codecS2:
		if n, err := s2.DecodedLen(src); err != nil || n != len(dst) {
			return errCorrupt
		}
		res, err := s2.Decode(dst, src)
		if err != nil || len(res) != len(dst) || &res[0] != &dst[0] {
			return errCorrupt
		}
	default:
		return errCorrupt
	}
	return nil
}

// bodyEncoder compresses message bodies for one stream.
type bodyEncoder struct {
	codec byte
	meta  []byte
	sizes []int // stored size of each chunk, 0 when raw
}

func (e *bodyEncoder) chunkBound() int {
	switch e.codec {
	case codecLZ4:
		return lz4.CompressBlockBound(chunkSize)
	case codecZstd:
		return zstdBound(chunkSize)
	case codecS2:
		return s2.MaxEncodedLen(chunkSize)
	}
	return 0
}

// bound is the buffer encode needs for a body of n bytes, 0 when such a
// body goes plain (no codec, too small or too large to compress).
func (e *bodyEncoder) bound(n int) int {
	if e.codec == 0 || n < minCompress || n > maxBody {
		return 0
	}
	return (n + chunkSize - 1) / chunkSize * e.chunkBound()
}

// encode compresses body into out (of bound(len(body)) bytes at least).
// body is an IPC body of total bytes whose regions shuffled were shuffled
// and elided (total is len(body) when none were). It returns the
// AppMetadata header (valid until the next call) and the stored chunks (a
// prefix of out), or ok=false when compression does not pay and the body
// should go plain (as the IPC writer made it).
func (e *bodyEncoder) encode(body, out []byte, total int, shuffled []region) (meta, data []byte, ok bool) {
	size := e.bound(len(body))
	if size == 0 || len(out) < size {
		return nil, nil, false
	}
	n := (len(body) + chunkSize - 1) / chunkSize
	bound := e.chunkBound()
	out = out[:size]
	e.sizes = append(e.sizes[:0], make([]int, n)...)
	_ = parallel(n, func(i int) error {
		e.sizes[i] = compressChunk(e.codec, body[i*chunkSize:min((i+1)*chunkSize, len(body))], out[i*bound:(i+1)*bound])
		return nil
	})
	// Pack the chunks (raw ones straight from body) and write the header.
	meta = append(e.meta[:0], bodyMagic, e.codec)
	meta = binary.AppendUvarint(meta, uint64(total))
	meta = binary.AppendUvarint(meta, uint64(n))
	w, saved := 0, 0
	for i, m := range e.sizes {
		src := body[i*chunkSize : min((i+1)*chunkSize, len(body))]
		meta = binary.AppendUvarint(meta, uint64(len(src)))
		meta = binary.AppendUvarint(meta, uint64(m))
		from := w
		if m == 0 {
			// A raw chunk is at most bound bytes: it overwrites only
			// regions already packed or its own.
			w += copy(out[w:], src)
		} else {
			w += copy(out[w:], out[i*bound:i*bound+m])
			saved += len(src) - m
		}
		meta = binary.LittleEndian.AppendUint32(meta, crc32.Checksum(out[from:w], castagnoli))
	}
	meta = binary.AppendUvarint(meta, uint64(len(shuffled)))
	for _, r := range shuffled {
		meta = binary.AppendUvarint(meta, uint64(r.off))
		meta = binary.AppendUvarint(meta, uint64(r.len))
		meta = append(meta, byte(r.width))
		meta = binary.AppendUvarint(meta, uint64(r.elided))
		meta = append(meta, r.vals...)
	}
	meta = binary.LittleEndian.AppendUint32(meta, crc32.Checksum(meta, castagnoli))
	e.meta = meta
	if saved+total-len(body) < total/16 {
		return nil, nil, false
	}
	return meta, out[:w], true
}

var errCorrupt = errors.New("corrupt compressed body")

// decodeBody undoes encode: meta is the AppMetadata of a message carrying
// data. It returns the plain body in a buffer of alloc (called once, with
// the body's length, after the header checked out), or an error wrapping
// errCorrupt (never a panic) for any header or data encode could not have
// produced.
func decodeBody(meta, data []byte, alloc func(n int) []byte) ([]byte, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("exchange: %w: "+format, append([]any{errCorrupt}, args...)...)
	}
	if len(meta) < 6 || meta[0] != bodyMagic {
		return nil, bad("bad header")
	}
	sum := binary.LittleEndian.Uint32(meta[len(meta)-4:])
	meta = meta[:len(meta)-4]
	if crc32.Checksum(meta, castagnoli) != sum {
		return nil, bad("header checksum")
	}
	codec := meta[1]
	if codec != codecLZ4 && codec != codecZstd && codec != codecS2 {
		return nil, bad("unknown codec %d", codec)
	}
	p := meta[2:]
	uv := func(limit int) (int, bool) {
		v, k := binary.Uvarint(p)
		if k <= 0 || v > uint64(limit) {
			return 0, false
		}
		p = p[k:]
		return int(v), true
	}
	total, ok1 := uv(maxBody)
	n, ok2 := uv(maxBody)
	// Each chunk holds a byte at least and takes 6 header bytes at least.
	if !ok1 || !ok2 || n > total || n > len(p)/6 {
		return nil, bad("bad header")
	}
	type chunk struct {
		raw, stored, in, out int
		crc                  uint32
	}
	chunks := make([]chunk, n)
	in, out := 0, 0
	for i := range chunks {
		raw, ok1 := uv(maxChunk)
		stored, ok2 := uv(maxChunk)
		if !ok1 || !ok2 || raw == 0 || stored >= raw || len(p) < 4 {
			return nil, bad("bad header of chunk %d", i)
		}
		size := stored
		if stored == 0 {
			size = raw
		}
		chunks[i] = chunk{raw, stored, in, out, binary.LittleEndian.Uint32(p)}
		p = p[4:]
		in += size
		out += raw
		if in > len(data) || out > total {
			return nil, bad("chunks exceed the body")
		}
	}
	nr, ok := uv(total)
	if !ok || nr > len(p)/4 {
		return nil, bad("bad region count")
	}
	regions := make([]region, nr)
	end, elided := 0, 0
	for i := range regions {
		off, ok1 := uv(total)
		ln, ok2 := uv(total)
		if !ok1 || !ok2 || len(p) < 1 || off < end || ln == 0 || off+ln > total || !shuffleWidth(int(p[0])) {
			return nil, bad("bad region %d", i)
		}
		r := region{off: off, len: ln, width: int(p[0])}
		p = p[1:]
		mask, ok := uv(1<<r.width - 1)
		k := bits.OnesCount32(uint32(mask))
		if !ok || len(p) < k {
			return nil, bad("bad region %d", i)
		}
		r.elided, r.vals = uint32(mask), p[:k]
		p = p[k:]
		regions[i] = r
		end = off + ln
		elided += ln - r.stored()
	}
	if len(p) != 0 {
		return nil, bad("trailing header bytes")
	}
	if in != len(data) || out != total-elided {
		return nil, bad("chunk sizes do not add up")
	}
	body := alloc(total)[:total]
	dec := body
	if nr > 0 {
		// Decode into a scratch buffer, then unshuffle into body.
		tmp := thePool.Get(out)
		defer thePool.Put(tmp)
		dec = (*tmp)[:out]
	}
	err := parallel(n, func(i int) error {
		c := chunks[i]
		size := c.stored
		if size == 0 {
			size = c.raw
		}
		src := data[c.in : c.in+size]
		if crc32.Checksum(src, castagnoli) != c.crc {
			return bad("checksum of chunk %d", i)
		}
		dst := dec[c.out : c.out+c.raw]
		if c.stored == 0 {
			copy(dst, src)
			return nil
		}
		if err := decompressChunk(codec, src, dst); err != nil {
			return bad("chunk %d does not decode", i)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if nr > 0 {
		// The sums above keep every read below within dec.
		at, from := 0, 0
		var planes *[]byte
		for _, r := range regions {
			from += copy(body[at:r.off], dec[from:])
			var src []byte
			if r.elided != 0 {
				if planes == nil || len(*planes) < r.len {
					if planes != nil {
						thePool.Put(planes)
					}
					planes = thePool.Get(r.len)
				}
				src = (*planes)[:r.len]
				from += restore(src, dec[from:], r)
			} else {
				src = dec[from : from+r.len]
				from += r.len
			}
			unshuffle(body[r.off:r.off+r.len], src, r.width)
			at = r.off + r.len
		}
		copy(body[at:], dec[from:])
		if planes != nil {
			thePool.Put(planes)
		}
	}
	return body, nil
}

// parallel runs f(0), ..., f(n-1) on up to 4*GOMAXPROCS goroutines (the
// caller's among them) taking indexes in turn, and returns the first
// error. Chunks differ in cost (a column of text compresses slower than
// one of dates): a goroutine per chunk of a batch lets the scheduler
// balance them better than one per core did, and the cap keeps a huge
// body from starting thousands.
func parallel(n int, f func(i int) error) error {
	workers := min(n, 4*runtime.GOMAXPROCS(0))
	if workers <= 1 || runtime.GOMAXPROCS(0) == 1 {
		for i := range n {
			if err := f(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, n)
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			errs[i] = f(i)
		}
	}
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for range workers - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
