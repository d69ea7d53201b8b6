package codec

import (
	"bytes"
	"strconv"
	"testing"
)

// crc64Bitwise is the textbook one-bit-at-a-time form the tables must agree with.
func crc64Bitwise(crc uint64, p []byte) uint64 {
	for _, b := range p {
		crc ^= uint64(b)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ crc64Poly
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func TestCRC64(t *testing.T) {
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("CRC64(123456789) = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
	if got := CRC64(0, nil); got != 0 {
		t.Fatalf("CRC64(empty) = %#x, want 0", got)
	}
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i*31 + i>>3)
	}
	for n := range len(data) {
		want := crc64Bitwise(0, data[:n])
		if got := CRC64(0, data[:n]); got != want {
			t.Fatalf("len %d: CRC64 = %#x, bitwise = %#x", n, got, want)
		}
		// Continuing over a split gives the same result as one call.
		split := n / 3
		if got := CRC64(CRC64(0, data[:split]), data[split:n]); got != want {
			t.Fatalf("len %d split %d: %#x, want %#x", n, split, got, want)
		}
	}
}

func BenchmarkCRC64(b *testing.B) {
	for _, size := range []int{64, 4096, 1 << 20} {
		data := bytes.Repeat([]byte("replikube"), size/9+1)[:size]
		b.Run(sizeName(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				CRC64(0, data)
			}
		})
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
