package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A ziplist (Redis <= 6.2 ziplist.c, read only here) is
//
//	<zlbytes uint32 LE> <zltail uint32 LE> <zllen uint16 LE> <entry>... <0xFF>
//
// zltail is the offset of the last entry, zllen 65535 means "walk to
// count". An entry is <prevlen> <encoding> <data>: prevlen is the size of
// the previous entry in one byte (< 254) or 0xFE and a uint32 LE;
// the encoding is
//
//	00LLLLLL                    string shorter than 64 bytes
//	01LLLLLL LLLLLLLL           string shorter than 16384 bytes (length big endian)
//	10______ <len uint32 BE>    longer string
//	11000000 / 11010000 / 11100000   int16 / int32 / int64, LE
//	11110000 / 11111110         int24 / int8
//	1111xxxx                    xxxx in 0001..1101: the integer xxxx-1, no data
const (
	zlHeaderSize = 10
	zlEnd        = 0xFF
	zlBigPrevlen = 0xFE
	zlCountUnkn  = 65535
)

// ZiplistEach validates b as a ziplist, as ziplistValidateIntegrity does
// with deep set, then calls fn for each entry in order: isInt with v for
// integer entries, otherwise s, which aliases b (capped). A nil fn only
// validates.
func ZiplistEach(b []byte, fn func(s []byte, v int64, isInt bool) error) error {
	return validateThenEach(ziplistWalk, b, fn)
}

// ZiplistStrings returns the entries of the ziplist b as byte strings,
// integers rendered in decimal. Strings alias b.
func ZiplistStrings(b []byte) ([][]byte, error) {
	return collectStrings(ziplistWalk, b, 8, zlHeaderSize)
}

func ziplistWalk(b []byte, fn func(s []byte, v int64, isInt bool) error) error {
	if len(b) < zlHeaderSize+1 {
		return fmt.Errorf("ziplist: blob of %d bytes is shorter than the header", len(b))
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return fmt.Errorf("ziplist: header says %d bytes, blob has %d", total, len(b))
	}
	end := len(b) - 1
	if b[end] != zlEnd {
		return errors.New("ziplist: last byte is not the terminator")
	}
	tail := binary.LittleEndian.Uint32(b[4:])
	if uint64(tail) > uint64(end) {
		return fmt.Errorf("ziplist: tail offset %d is past the end", tail)
	}
	count, prevSize, last := 0, 0, -1
	p := zlHeaderSize
	for b[p] != zlEnd {
		s, v, isInt, next, err := ziplistEntry(b[:end], p, count, prevSize)
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(s, v, isInt); err != nil {
				return err
			}
		}
		prevSize, last, p = next-p, p, next
		count++
	}
	if p != end {
		return fmt.Errorf("ziplist: terminator at offset %d before the end", p)
	}
	if last >= 0 && uint64(last) != uint64(tail) {
		return fmt.Errorf("ziplist: tail offset %d, last entry at %d", tail, last)
	}
	if n := int(binary.LittleEndian.Uint16(b[8:])); n != zlCountUnkn && n != count {
		return fmt.Errorf("ziplist: header says %d entries, found %d", n, count)
	}
	return nil
}

// ziplistEntry decodes entry number idx at b[p], where b ends before the
// terminator and prevSize is the size of the entry before it (0 for the
// first), and returns it with the offset of the next entry.
func ziplistEntry(b []byte, p, idx, prevSize int) (s []byte, v int64, isInt bool, next int, err error) {
	overrun := func() error { return fmt.Errorf("ziplist: entry %d overruns the blob", idx) }
	q := p + 1
	prev := int64(b[p])
	if b[p] >= zlBigPrevlen {
		q = p + 5
		if q > len(b) {
			return nil, 0, false, 0, overrun()
		}
		prev = int64(binary.LittleEndian.Uint32(b[p+1:]))
	}
	if prev != int64(prevSize) {
		return nil, 0, false, 0, fmt.Errorf("ziplist: entry %d says the previous entry has %d bytes, it has %d", idx, prev, prevSize)
	}
	if q >= len(b) {
		return nil, 0, false, 0, overrun()
	}
	c := b[q]
	left := len(b) - q
	var hdr, n int // encoding bytes, data bytes
	switch {
	case c>>6 == 0:
		hdr, n = 1, int(c&0x3f)
	case c>>6 == 1:
		if left < 2 {
			return nil, 0, false, 0, overrun()
		}
		hdr, n = 2, int(c&0x3f)<<8|int(b[q+1])
	case c>>6 == 2:
		if left < 5 {
			return nil, 0, false, 0, overrun()
		}
		l := binary.BigEndian.Uint32(b[q+1:])
		if uint64(l) > uint64(left-5) {
			return nil, 0, false, 0, overrun()
		}
		hdr, n = 5, int(l)
	case c == 0xC0:
		hdr, n, isInt = 1, 2, true
	case c == 0xD0:
		hdr, n, isInt = 1, 4, true
	case c == 0xE0:
		hdr, n, isInt = 1, 8, true
	case c == 0xF0:
		hdr, n, isInt = 1, 3, true
	case c == 0xFE:
		hdr, n, isInt = 1, 1, true
	case c >= 0xF1 && c <= 0xFD:
		hdr, n, isInt = 1, 0, true
		v = int64(c&0x0f) - 1
	default:
		return nil, 0, false, 0, fmt.Errorf("ziplist: entry %d has invalid encoding %#02x", idx, c)
	}
	if hdr+n > left {
		return nil, 0, false, 0, overrun()
	}
	data := b[q+hdr : q+hdr+n : q+hdr+n]
	if !isInt {
		s = data
	} else if n > 0 {
		var u uint64
		for i := n - 1; i >= 0; i-- {
			u = u<<8 | uint64(data[i])
		}
		shift := 64 - 8*uint(n)
		v = int64(u<<shift) >> shift
	}
	return s, v, isInt, q + hdr + n, nil
}
