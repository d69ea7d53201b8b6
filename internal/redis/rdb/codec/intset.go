package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// An intset (intset.c) is <encoding uint32 LE> <length uint32 LE> followed
// by length integers of encoding bytes each (2, 4 or 8), little endian,
// strictly ascending.
const intsetHeaderSize = 8

// IntsetEach validates b as an intset, as intsetValidateIntegrity does
// with deep set (which also rejects an empty set), then calls fn for each
// value in ascending order. A nil fn only validates.
func IntsetEach(b []byte, fn func(v int64) error) error {
	if len(b) < intsetHeaderSize {
		return fmt.Errorf("intset: blob of %d bytes is shorter than the header", len(b))
	}
	enc := binary.LittleEndian.Uint32(b)
	if enc != 2 && enc != 4 && enc != 8 {
		return fmt.Errorf("intset: invalid encoding %d", enc)
	}
	n := binary.LittleEndian.Uint32(b[4:])
	if uint64(n)*uint64(enc) != uint64(len(b)-intsetHeaderSize) {
		return fmt.Errorf("intset: header says %d entries of %d bytes, blob has %d bytes of entries", n, enc, len(b)-intsetHeaderSize)
	}
	if n == 0 {
		return errors.New("intset: empty")
	}
	w := int(enc)
	data := b[intsetHeaderSize:]
	for i := w; i < len(data); i += w {
		if intsetAt(data, i-w, w) >= intsetAt(data, i, w) {
			return fmt.Errorf("intset: entry %d is not greater than the one before", i/w)
		}
	}
	if fn == nil {
		return nil
	}
	for i := 0; i < len(data); i += w {
		if err := fn(intsetAt(data, i, w)); err != nil {
			return err
		}
	}
	return nil
}

func intsetAt(data []byte, i, w int) int64 {
	switch w {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(data[i:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(data[i:])))
	}
	return int64(binary.LittleEndian.Uint64(data[i:]))
}

// AppendIntset appends to dst the intset holding sorted, which must be
// ascending and free of duplicates, in the smallest encoding that holds
// every value (Redis upgrades an intset's encoding but never downgrades
// it; the smallest is what a fresh load would build). An empty input gives
// an empty 16-bit intset, which IntsetEach, like Redis, rejects.
func AppendIntset(dst []byte, sorted []int64) []byte {
	w := 2
	for _, v := range sorted {
		switch {
		case v < math.MinInt32 || v > math.MaxInt32:
			w = 8
		case (v < math.MinInt16 || v > math.MaxInt16) && w < 4:
			w = 4
		}
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(w))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(sorted)))
	for _, v := range sorted {
		switch w {
		case 2:
			dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
		case 4:
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	}
	return dst
}
