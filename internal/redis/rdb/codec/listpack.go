package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A listpack (Redis 7.0 listpack.c) is
//
//	<total bytes uint32 LE> <count uint16 LE> <entry>... <0xFF>
//
// where count 65535 means "too many to count, walk the entries", and an
// entry is <encoding and data> <backlen>. The encodings are
//
//	0xxxxxxx                  integer 0..127
//	10LLLLLL <L bytes>        string shorter than 64 bytes
//	110xxxxx xxxxxxxx         13-bit signed integer
//	1110LLLL LLLLLLLL <bytes> string shorter than 4096 bytes
//	11110000 <len uint32 LE>  longer string
//	11110001..11110100        16, 24, 32, 64-bit signed integer, LE
//
// and backlen is the length of encoding and data in 1 to 5 bytes of 7 bits,
// most significant first, every byte but the first with bit 7 set, so it
// can be read from right to left.
const (
	lpHeaderSize   = 6
	lpEOF          = 0xFF
	lpCountUnknown = 65535

	lpEnc6BitStr  = 0x80
	lpEnc13BitInt = 0xC0
	lpEnc12BitStr = 0xE0
	lpEnc32BitStr = 0xF0
	lpEnc16BitInt = 0xF1
	lpEnc24BitInt = 0xF2
	lpEnc32BitInt = 0xF3
	lpEnc64BitInt = 0xF4
)

// ListpackWriter builds one listpack, entry by entry, byte for byte as
// Redis would encode the same elements. The zero value is ready to use;
// Reset keeps the buffer for the next listpack. Like Redis, the caller
// keeps a listpack well under 4 GiB (the total-bytes field is 32 bits):
// Size is there to split on.
type ListpackWriter struct {
	buf   []byte // header and entries, without the terminator
	count int
}

// Reset starts a new, empty listpack, reusing the buffer.
func (w *ListpackWriter) Reset() {
	w.buf = w.buf[:0]
	w.count = 0
}

func (w *ListpackWriter) header() {
	if len(w.buf) == 0 {
		w.buf = append(w.buf, 0, 0, 0, 0, 0, 0)
	}
}

// Append adds s, as an integer when it is the canonical decimal form of an
// int64 (Redis's lpStringToInt64), otherwise as a string.
func (w *ListpackWriter) Append(s []byte) {
	if v, ok := CanonicalInt(s); ok {
		w.AppendInt(v)
		return
	}
	w.header()
	start := len(w.buf)
	n := len(s)
	switch {
	case n < 64:
		w.buf = append(w.buf, lpEnc6BitStr|byte(n))
	case n < 4096:
		w.buf = append(w.buf, lpEnc12BitStr|byte(n>>8), byte(n))
	default:
		w.buf = append(w.buf, lpEnc32BitStr)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(n))
	}
	w.buf = append(w.buf, s...)
	w.buf = appendBacklen(w.buf, uint64(len(w.buf)-start))
	w.count++
}

// AppendInt adds v in the smallest integer encoding that holds it.
func (w *ListpackWriter) AppendInt(v int64) {
	w.header()
	start := len(w.buf)
	switch {
	case v >= 0 && v <= 127:
		w.buf = append(w.buf, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint16(v) & 0x1fff
		w.buf = append(w.buf, lpEnc13BitInt|byte(u>>8), byte(u))
	case v >= -1<<15 && v < 1<<15:
		w.buf = append(w.buf, lpEnc16BitInt, byte(v), byte(v>>8))
	case v >= -1<<23 && v < 1<<23:
		w.buf = append(w.buf, lpEnc24BitInt, byte(v), byte(v>>8), byte(v>>16))
	case v >= -1<<31 && v < 1<<31:
		w.buf = append(w.buf, lpEnc32BitInt)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(v))
	default:
		w.buf = append(w.buf, lpEnc64BitInt)
		w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(v))
	}
	w.buf = appendBacklen(w.buf, uint64(len(w.buf)-start))
	w.count++
}

// Bytes returns the finished listpack with its header filled in. It
// aliases the writer's buffer: valid until the next Reset or Append.
func (w *ListpackWriter) Bytes() []byte {
	w.header()
	binary.LittleEndian.PutUint32(w.buf, uint32(len(w.buf)+1))
	binary.LittleEndian.PutUint16(w.buf[4:], uint16(min(w.count, lpCountUnknown)))
	out := append(w.buf, lpEOF)
	w.buf = out[:len(out)-1]
	return out
}

// Len is the number of entries appended.
func (w *ListpackWriter) Len() int { return w.count }

// Size is the size the finished listpack would have now, header and
// terminator included; quicklist nodes are split on it.
func (w *ListpackWriter) Size() int {
	if len(w.buf) == 0 {
		return lpHeaderSize + 1
	}
	return len(w.buf) + 1
}

// backlenSize is how many bytes Redis's lpEncodeBacklen uses for l. The
// bounds are Redis's, off by one from the 7-bit groups (16383 takes three
// bytes), and must stay so for the blobs to match byte for byte.
func backlenSize(l uint64) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func appendBacklen(b []byte, l uint64) []byte {
	n := backlenSize(l)
	for i := n - 1; i >= 0; i-- {
		c := byte(l >> (7 * uint(i)) & 127)
		if i != n-1 {
			c |= 128
		}
		b = append(b, c)
	}
	return b
}

// ListpackEach validates b as a listpack, then calls fn for each entry in
// order: isInt with v for integer entries, otherwise s, which aliases b
// (capped, so appending to it cannot overwrite b). An error from fn stops
// the walk and is returned. A nil fn only validates.
func ListpackEach(b []byte, fn func(s []byte, v int64, isInt bool) error) error {
	return validateThenEach(listpackWalk, b, fn)
}

// ListpackStrings returns the entries of the listpack b as byte strings,
// integers rendered in decimal. Strings alias b.
func ListpackStrings(b []byte) ([][]byte, error) {
	return collectStrings(listpackWalk, b, 4, lpHeaderSize)
}

// listpackWalk checks b entry by entry, as lpValidateIntegrity does with
// deep set, calling fn (when not nil) for each entry.
func listpackWalk(b []byte, fn func(s []byte, v int64, isInt bool) error) error {
	if len(b) < lpHeaderSize+1 {
		return fmt.Errorf("listpack: blob of %d bytes is shorter than the header", len(b))
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return fmt.Errorf("listpack: header says %d bytes, blob has %d", total, len(b))
	}
	end := len(b) - 1
	if b[end] != lpEOF {
		return errors.New("listpack: last byte is not the terminator")
	}
	count := 0
	p := lpHeaderSize
	for p < end {
		if b[p] == lpEOF {
			return fmt.Errorf("listpack: terminator at offset %d before the end", p)
		}
		s, v, isInt, next, err := listpackEntry(b[:end], p, count)
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(s, v, isInt); err != nil {
				return err
			}
		}
		p = next
		count++
	}
	if n := int(binary.LittleEndian.Uint16(b[4:])); n != lpCountUnknown && n != count {
		return fmt.Errorf("listpack: header says %d entries, found %d", n, count)
	}
	return nil
}

// listpackEntry decodes entry number idx at b[p], where b ends before the
// terminator, and returns it with the offset of the next entry.
func listpackEntry(b []byte, p, idx int) (s []byte, v int64, isInt bool, next int, err error) {
	c := b[p]
	hdr, slen, width := 1, 0, 0 // width: bytes of integer after the encoding byte
	switch {
	case c < 0x80:
		v, isInt = int64(c), true
	case c < 0xC0:
		slen = int(c & 0x3f)
	case c < 0xE0:
		hdr, isInt = 2, true
	case c < 0xF0:
		hdr = 2
	case c == lpEnc32BitStr:
		hdr = 5
	case c == lpEnc16BitInt:
		width, isInt = 2, true
	case c == lpEnc24BitInt:
		width, isInt = 3, true
	case c == lpEnc32BitInt:
		width, isInt = 4, true
	case c == lpEnc64BitInt:
		width, isInt = 8, true
	default:
		return nil, 0, false, 0, fmt.Errorf("listpack: entry %d has invalid encoding %#02x", idx, c)
	}
	hdr += width
	left := len(b) - p
	if hdr > left {
		return nil, 0, false, 0, fmt.Errorf("listpack: entry %d overruns the blob", idx)
	}
	switch {
	case c >= 0xC0 && c < 0xE0:
		// Sign-extend the 13-bit two's complement value.
		v = int64(uint64(c&0x1f)<<8|uint64(b[p+1])) << 51 >> 51
	case c >= 0xE0 && c < 0xF0:
		slen = int(c&0x0f)<<8 | int(b[p+1])
	case c == lpEnc32BitStr:
		n := binary.LittleEndian.Uint32(b[p+1:])
		if uint64(n) > uint64(left-hdr) {
			return nil, 0, false, 0, fmt.Errorf("listpack: entry %d overruns the blob", idx)
		}
		slen = int(n)
	case width > 0:
		var u uint64
		for i := width; i >= 1; i-- {
			u = u<<8 | uint64(b[p+i])
		}
		shift := 64 - 8*uint(width)
		v = int64(u<<shift) >> shift
	}
	l := hdr + slen
	bl := backlenSize(uint64(l))
	if l+bl > left {
		return nil, 0, false, 0, fmt.Errorf("listpack: entry %d overruns the blob", idx)
	}
	var want [5]byte
	if string(appendBacklen(want[:0], uint64(l))) != string(b[p+l:p+l+bl]) {
		return nil, 0, false, 0, fmt.Errorf("listpack: entry %d has a bad back-length", idx)
	}
	if !isInt {
		s = b[p+hdr : p+l : p+l]
	}
	return s, v, isInt, p + l + bl, nil
}
