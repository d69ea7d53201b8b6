package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/replikube/replikube/internal/redis/rdb/codec"
)

// Limits are the encoding thresholds values are loaded with, so that a
// loaded value has the encoding redis-server would give it.
type Limits struct {
	HashMaxListpackEntries int
	HashMaxListpackValue   int
	SetMaxIntsetEntries    int
	ZSetMaxListpackEntries int
	ZSetMaxListpackValue   int
}

// LoadOptions control Load.
type LoadOptions struct {
	// Name names the source in errors (a file name, "DUMP payload").
	Name   string
	Limits Limits
	// SkipExpiredBefore drops keys whose expiry is at or before this Unix
	// ms time (a master loading its file); 0 keeps every key (a replica).
	SkipExpiredBefore int64
	// MaxBulk caps one string's length (proto-max-bulk-len is the natural
	// value); 0 means 1<<40.
	MaxBulk int64
}

// Meta is what the header and aux fields of a file said.
type Meta struct {
	Version      int
	RedisVer     string
	CTime        int64
	UsedMem      int64
	ReplID       string
	ReplOffset   int64
	ReplStreamDB int // -1 when absent
	AOFBase      bool
	Aux          map[string]string
	Keys         int64 // keys loaded
	Expired      int64 // keys skipped as expired
}

// Error is a malformed input: where and what.
type Error struct {
	Name   string
	Offset int64
	Msg    string
	Err    error // ErrNotSupported for content this server cannot hold
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s at byte offset %d", e.Name, e.Msg, e.Offset)
}

// ErrNotSupported wraps content this server cannot hold (streams, modules,
// functions).
var ErrNotSupported = errors.New("not supported")

// reader reads the RDB stream, counting bytes and computing the checksum
// of everything consumed.
type reader struct {
	r    *bufio.Reader
	off  int64
	crc  uint64
	name string
	max  int64
	num  [24]byte
	// scratch holds the last blob.
	scratch []byte
}

func (r *reader) fail(format string, args ...any) error {
	return &Error{Name: r.name, Offset: r.off, Msg: fmt.Sprintf(format, args...)}
}

// unsupported refuses content this server cannot hold.
func (r *reader) unsupported(what string) error {
	return &Error{Name: r.name, Offset: r.off, Msg: "the data holds " + what + ", which this server cannot load", Err: ErrNotSupported}
}

func (r *reader) ioErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return r.fail("unexpected end of data")
	}
	return r.fail("read error: %v", err)
}

// peek returns the next n bytes (n <= the bufio buffer) and consumes them.
func (r *reader) next(n int) ([]byte, error) {
	b, err := r.r.Peek(n)
	if err != nil {
		return nil, r.ioErr(err)
	}
	r.crc = codec.CRC64(r.crc, b)
	r.off += int64(n)
	r.r.Discard(n)
	return b, nil
}

func (r *reader) byte() (byte, error) {
	b, err := r.next(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// readFull reads n bytes into a new slice (see readInto).
func (r *reader) readFull(n int64) ([]byte, error) { return r.readInto(nil, n) }

// readInto appends n bytes to dst, growing it as data arrives so that a
// corrupt length cannot make us allocate what the input lacks.
func (r *reader) readInto(dst []byte, n int64) ([]byte, error) {
	if n < 0 || n > r.max {
		return nil, r.fail("string length %d exceeds the limit", uint64(n))
	}
	const step = 16 << 20
	out := dst
	if dst == nil {
		out = make([]byte, 0, min(n, step))
	}
	end := int64(len(out)) + n
	for int64(len(out)) < end {
		k := int(min(end-int64(len(out)), step))
		if cap(out)-len(out) < k {
			out = append(out[:cap(out)], make([]byte, k)...)[:len(out)]
		}
		got, err := io.ReadFull(r.r, out[len(out):len(out)+k])
		r.crc = codec.CRC64(r.crc, out[len(out):len(out)+got])
		r.off += int64(got)
		out = out[:len(out)+got]
		if err != nil {
			return nil, r.ioErr(err)
		}
	}
	return out, nil
}

// length reads a length; enc is true for the special string encodings,
// then n is the encoding number.
func (r *reader) length() (n uint64, enc bool, err error) {
	b, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case len6bit:
		return uint64(b & 0x3f), false, nil
	case len14bit:
		c, err := r.byte()
		if err != nil {
			return 0, false, err
		}
		return uint64(b&0x3f)<<8 | uint64(c), false, nil
	case lenEnc:
		return uint64(b & 0x3f), true, nil
	}
	switch b {
	case len32bit:
		p, err := r.next(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(p)), false, nil
	case len64bit:
		p, err := r.next(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(p), false, nil
	}
	return 0, false, r.fail("unknown length encoding 0x%02x", b)
}

// count reads a plain length used as an element count.
func (r *reader) count() (int64, error) {
	n, enc, err := r.length()
	if err != nil {
		return 0, err
	}
	if enc || n > math.MaxInt32*64 {
		return 0, r.fail("invalid element count")
	}
	return int64(n), nil
}

// str reads a string in any of its encodings into a new slice.
func (r *reader) str() ([]byte, error) { return r.strTo(nil) }

// strTo reads a string in any of its encodings and appends it to dst: a
// caller that copies what it reads (a key into its entry, a member into a
// container) reads into a buffer it reuses, and allocates nothing.
func (r *reader) strTo(dst []byte) ([]byte, error) {
	n, enc, err := r.length()
	if err != nil {
		return nil, err
	}
	if !enc {
		if n <= 512 {
			p, err := r.next(int(n))
			if err != nil {
				return nil, err
			}
			return append(dst, p...), nil
		}
		if n > uint64(r.max) {
			return nil, r.fail("string length %d exceeds the limit", n)
		}
		return r.readInto(dst, int64(n))
	}
	switch n {
	case encInt8:
		p, err := r.next(1)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(dst, int64(int8(p[0])), 10), nil
	case encInt16:
		p, err := r.next(2)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(dst, int64(int16(binary.LittleEndian.Uint16(p))), 10), nil
	case encInt32:
		p, err := r.next(4)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(dst, int64(int32(binary.LittleEndian.Uint32(p))), 10), nil
	case encLZF:
		clen, e1, err := r.length()
		if err != nil {
			return nil, err
		}
		ulen, e2, err := r.length()
		if err != nil {
			return nil, err
		}
		if e1 || e2 || ulen == 0 || ulen > uint64(r.max) || clen > uint64(r.max) {
			return nil, r.fail("invalid LZF string lengths")
		}
		at := r.off
		var c []byte
		if clen <= uint64(r.r.Size()) {
			c, err = r.next(int(clen)) // valid until the next read
		} else {
			c, err = r.readFull(int64(clen))
		}
		if err != nil {
			return nil, err
		}
		// The compressed bytes are all there: now ulen may be allocated.
		start := len(dst)
		dst = slices.Grow(dst, int(ulen))[:start+int(ulen)]
		if _, err := codec.LZFDecompress(dst[start:], c); err != nil {
			return nil, &Error{Name: r.name, Offset: at, Msg: "invalid LZF compressed string: " + err.Error()}
		}
		return dst, nil
	}
	return nil, r.fail("unknown string encoding %d", n)
}

// blob reads a string holding an encoded structure (listpack, ziplist,
// intset, zipmap) and returns its offset for error messages. The bytes
// are the reader's scratch buffer, valid until the next blob: callers
// copy what they keep.
func (r *reader) blob() ([]byte, int64, error) {
	at := r.off
	if cap(r.scratch) > 1<<20 {
		r.scratch = nil // do not hold on to a large one
	}
	b, err := r.strTo(r.scratch[:0])
	if err == nil {
		r.scratch = b
	}
	return b, at, err
}

// oldDouble reads the string-encoded double of RDB_TYPE_ZSET.
func (r *reader) oldDouble() (float64, error) {
	n, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	p, err := r.next(int(n))
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(p), 64)
	if err != nil {
		return 0, r.fail("invalid double value")
	}
	return f, nil
}

func (r *reader) binaryDouble() (float64, error) {
	p, err := r.next(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
}
