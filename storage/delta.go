package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unsafe"
)

// This file decodes the DELTA_BINARY_PACKED encoding of the Parquet format
// (Encodings.md) without parquet-go: its INT32 decoder works in 32-bit
// arithmetic and rejects or mis-decodes the streams that writers computing in
// 64 bits (DuckDB with PARQUET_VERSION V2) produce for INT32 columns: a first
// value above MaxInt32 (UINT_32 columns) and deltas that need more than 32
// bits. Decoding in 64-bit wrapping arithmetic and keeping the low bits is
// right for both kinds of writer, because truncation commutes with wrapping
// addition.
//
// Layout: header = <block size> <miniblocks per block> <total value count>
// as ULEB128 and <first value> as zigzag ULEB128; then blocks of
// <min delta> (zigzag ULEB128), one bit-width byte per miniblock, and the
// miniblocks, each (block size / miniblocks) deltas-minus-min-delta
// bit-packed little-endian, least significant bit first.

// errDeltaShort reports a DELTA_BINARY_PACKED stream that ends early.
var errDeltaShort = fmt.Errorf("DELTA_BINARY_PACKED data ends early: %w", io.ErrUnexpectedEOF)

// maxDeltaBlock bounds the block size a header may declare. The format sets
// no limit, but writers use 128 to a few thousand values; a huge value can
// only come from a corrupt header, and the bound keeps the size arithmetic
// below far from overflow.
const maxDeltaBlock = 1 << 24

// deltaDecode decodes want values of the DELTA_BINARY_PACKED stream src into
// dst (reused when large enough), truncating each 64-bit value to T. It
// returns the values and the number of bytes of src the stream used (the
// rest may belong to whatever follows it). The stream must hold at least
// want values; extra values it declares are not decoded.
func deltaDecode[T int32 | int64](dst []T, src []byte, want int) ([]T, int, error) {
	dst = grow(dst, want)
	pos := 0
	uvarint := func() (uint64, error) {
		v, n := binary.Uvarint(src[pos:])
		if n <= 0 {
			if n == 0 {
				return 0, errDeltaShort
			}
			return 0, errors.New("DELTA_BINARY_PACKED varint overflows 64 bits")
		}
		pos += n
		return v, nil
	}
	zigzag := func() (uint64, error) {
		u, err := uvarint()
		// The decoded signed value is returned as its two's complement
		// bits: all arithmetic below is unsigned, which wraps.
		return u>>1 ^ -(u & 1), err
	}
	blockSize, err := uvarint()
	if err != nil {
		return nil, 0, err
	}
	miniblocks, err := uvarint()
	if err != nil {
		return nil, 0, err
	}
	total, err := uvarint()
	if err != nil {
		return nil, 0, err
	}
	first, err := zigzag()
	if err != nil {
		return nil, 0, err
	}
	switch {
	case blockSize == 0 || blockSize%128 != 0 || blockSize > maxDeltaBlock:
		return nil, 0, fmt.Errorf("DELTA_BINARY_PACKED block size %d is not a positive multiple of 128", blockSize)
	case miniblocks == 0 || blockSize%miniblocks != 0 || (blockSize/miniblocks)%32 != 0:
		return nil, 0, fmt.Errorf("DELTA_BINARY_PACKED block of %d values cannot have %d miniblocks", blockSize, miniblocks)
	case total < uint64(want):
		return nil, 0, fmt.Errorf("DELTA_BINARY_PACKED data holds %d values, the page needs %d", total, want)
	}
	if want == 0 {
		return dst, pos, nil
	}
	perMini := int(blockSize / miniblocks)
	nMini := int(miniblocks)
	acc := first
	dst[0] = T(acc)
	i := 1
	var deltas [32]uint64
	var pad [4*64 + 16]byte
	for i < want {
		minDelta, err := zigzag()
		if err != nil {
			return nil, 0, err
		}
		if len(src)-pos < nMini {
			return nil, 0, errDeltaShort
		}
		widths := src[pos : pos+nMini]
		pos += nMini
		// Miniblocks after the last value have neither data nor a
		// meaningful width: the loop stops before them.
		for _, w8 := range widths {
			if i >= want {
				break
			}
			w := uint(w8)
			if w > 64 {
				return nil, 0, fmt.Errorf("DELTA_BINARY_PACKED miniblock bit width %d exceeds 64", w)
			}
			need := min(perMini, want-i)
			if w == 0 {
				// Every delta is the minimum: no data bytes.
				for j := range need {
					acc += minDelta
					dst[i+j] = T(acc)
				}
				i += need
				continue
			}
			size := perMini * int(w) / 8 // the full miniblock, padding included
			data := src[pos:]
			if len(data) > size {
				data = data[:size]
			}
			// Writers pad the last miniblock to full size; accept one that
			// is cut right after its last needed value too.
			if len(data)*8 < need*int(w) {
				return nil, 0, errDeltaShort
			}
			base := pos
			pos += len(data)
			groupBytes := 4 * int(w) // 32 values of w bits
			for g := 0; g < need; g += 32 {
				// Bytes past the group (the next miniblock's) are masked
				// off by unpack32; only past the end of src, where its
				// 9-byte loads would fail, does it read a padded copy.
				grp := src[base+g/32*groupBytes:]
				if len(grp) < groupBytes+9 {
					n := copy(pad[:], grp)
					clear(pad[n:])
					grp = pad[:]
				}
				unpack32(&deltas, grp, w)
				cnt := min(32, need-g)
				out := dst[i : i+cnt]
				for j, d := range deltas[:cnt] {
					acc += minDelta + d
					out[j] = T(acc)
				}
				i += cnt
			}
		}
	}
	return dst, pos, nil
}

// unpack32 unpacks 32 values of w bits (1..64), packed little-endian least
// significant bit first, from src, which must hold at least 4*w+9 bytes.
// Each value is one unaligned 64-bit load, shift and mask; values wider than
// 56 bits can straddle 9 bytes and take one more byte load.
func unpack32(out *[32]uint64, src []byte, w uint) {
	_ = src[4*w+8]
	mask := uint64(1)<<w - 1 // w == 64: 1<<64 is 0 in Go, so the mask is all ones
	if w <= 56 {
		// The length check above covers every load: unchecked loads keep
		// the loop free of bounds checks.
		base := unsafe.Pointer(unsafe.SliceData(src))
		for j := range out {
			bit := uint(j) * w
			v := *(*uint64)(unsafe.Add(base, bit>>3))
			out[j] = v >> (bit & 7) & mask
		}
		return
	}
	for j := range out {
		bit := uint(j) * w
		p, s := bit>>3, bit&7
		// For s == 0 the shift by 64 yields 0, as Go defines it.
		v := binary.LittleEndian.Uint64(src[p:])>>s | uint64(src[p+8])<<(64-s)
		out[j] = v & mask
	}
}
