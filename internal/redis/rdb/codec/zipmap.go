package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A zipmap (zipmap.c, the hash encoding of RDB version < 4, read only) is
//
//	<zmlen> (<len> field <len> <free> value <free bytes>)... <0xFF>
//
// zmlen is the pair count, 254 meaning "walk to count"; <len> is one byte
// below 254, or 254 and a uint32 LE; <free> is one byte counting unused
// bytes after the value.
const (
	zmBigLen = 254
	zmEnd    = 0xFF
)

// ZipmapEach validates b as a zipmap, as zipmapValidateIntegrity does with
// deep set (which also rejects an empty map), then calls fn for each pair
// in order; field and value alias b (capped). A nil fn only validates.
func ZipmapEach(b []byte, fn func(field, value []byte) error) error {
	if err := zipmapWalk(b, nil); err != nil {
		return err
	}
	return zipmapWalk(b, fn)
}

func zipmapWalk(b []byte, fn func(field, value []byte) error) error {
	if len(b) < 2 {
		return fmt.Errorf("zipmap: blob of %d bytes is too short", len(b))
	}
	end := len(b) - 1
	if b[end] != zmEnd {
		return errors.New("zipmap: last byte is not the terminator")
	}
	body := b[:end]
	count := 0
	p := 1
	for p < end && b[p] != zmEnd {
		field, q, err := zipmapString(body, p, count, false)
		if err != nil {
			return err
		}
		value, r, err := zipmapString(body, q, count, true)
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(field, value); err != nil {
				return err
			}
		}
		p = r
		count++
	}
	if p != end {
		return fmt.Errorf("zipmap: terminator at offset %d before the end", p)
	}
	if count == 0 {
		return errors.New("zipmap: empty")
	}
	if n := int(b[0]); n != zmBigLen && n != count {
		return fmt.Errorf("zipmap: header says %d pairs, found %d", n, count)
	}
	return nil
}

// zipmapString reads the length-prefixed string at b[p] (with its free
// byte and free space when isValue) and returns it with the offset after it.
func zipmapString(b []byte, p, idx int, isValue bool) ([]byte, int, error) {
	overrun := func() error { return fmt.Errorf("zipmap: pair %d overruns the blob", idx) }
	if p >= len(b) {
		return nil, 0, overrun()
	}
	var n uint64
	switch c := b[p]; {
	case c < zmBigLen:
		n = uint64(c)
		p++
	case c == zmBigLen:
		if p+5 > len(b) {
			return nil, 0, overrun()
		}
		n = uint64(binary.LittleEndian.Uint32(b[p+1:]))
		p += 5
	default:
		return nil, 0, fmt.Errorf("zipmap: pair %d has an invalid length byte", idx)
	}
	var free uint64
	if isValue {
		if p >= len(b) {
			return nil, 0, overrun()
		}
		free = uint64(b[p])
		p++
	}
	if n+free > uint64(len(b)-p) {
		return nil, 0, overrun()
	}
	s := b[p : p+int(n) : p+int(n)]
	return s, p + int(n) + int(free), nil
}
