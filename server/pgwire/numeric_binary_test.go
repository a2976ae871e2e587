package pgwire

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// The machine-integer path must write exactly what the big.Int path
// writes, for every value it accepts.
func TestNumericBinarySmallMatchesBig(t *testing.T) {
	vals := []int64{0, 1, -1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 10001, -10000, 12345678,
		100000000, 2100000, 1700, -1700, 5, 50, 500, 5000, 50000, math.MaxInt64, math.MinInt64 + 1,
		math.MaxInt64 / 1000, math.MaxInt64/1000 + 1, 999999999999, 1000000000000}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		// Magnitudes of every size, and runs of zeros.
		v := r.Int64N(math.MaxInt64) >> r.IntN(63)
		if r.IntN(4) == 0 {
			v = v / 10000 * 10000
		}
		if r.IntN(2) == 0 {
			v = -v
		}
		vals = append(vals, v)
	}
	for _, v := range vals {
		for _, scale := range []int32{0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 20, 37} {
			n := decimal128.FromI64(v)
			small, ok := appendNumericBinarySmall([]byte{7}, n, scale)
			big := appendNumericBinaryBig([]byte{7}, n, scale)
			if !ok {
				if v >= math.MaxInt64/1000 || v <= -math.MaxInt64/1000 {
					continue // may overflow while padding the fraction
				}
				t.Fatalf("%d scale %d: fast path refused", v, scale)
			}
			if !bytes.Equal(small, big) {
				t.Fatalf("%d scale %d: fast path % x, big path % x", v, scale, small, big)
			}
		}
	}
}

// What PostgreSQL 15's numeric_send gives for the same values.
func TestNumericBinaryKnown(t *testing.T) {
	cases := []struct {
		unscaled int64
		scale    int32
		want     string // SELECT numeric_send(x::numeric(p,s))
	}{
		{1700, 2, "00010000000000020011"},                 // 17.00
		{2116823, 2, "00030001000000020002049008fc"},      // 21168.23
		{4, 2, "0001ffff000000020190"},                    // 0.04
		{-5, 8, "0001fffe400000080005"},                   // -0.00000005
		{0, 2, "0000000000000002"},                        // 0.00
		{100000000, 0, "00010002000000000001"},            // 100000000
		{123456789012, 4, "000300010000000404d2162e2334"}, // 12345678.9012
	}
	for _, c := range cases {
		got := hex.EncodeToString(appendNumericBinary(nil, decimal128.FromI64(c.unscaled), c.scale))
		if got != c.want {
			t.Errorf("%d scale %d: got %s, want %s", c.unscaled, c.scale, got, c.want)
		}
	}
}

func BenchmarkNumericBinary(b *testing.B) {
	v := decimal128.FromI64(2116823)
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = appendNumericBinary(buf[:0], v, 2)
	}
}
