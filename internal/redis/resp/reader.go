// Package resp reads and writes the Redis serialization protocol (RESP2 and
// RESP3). It owns the wire format only: the request parser used by the
// server, the reply writer, and a reply parser used by clients and the replica
// stream. It imports nothing from the rest of Replikube and nothing from
// Kubernetes.
//
// Every length read from the wire is checked against the configured limits and
// against the bytes at hand before anything is allocated for it.
package resp

import (
	"bytes"
	"errors"
	"io"
	"strconv"
)

// InlineMaxSize is Redis's PROTO_INLINE_MAX_SIZE: the longest inline request
// or length header accepted before a newline shows up.
const InlineMaxSize = 64 * 1024

// Defaults of the limits, as in redis.conf.
const (
	DefaultMaxBulkLen  = 512 * 1024 * 1024
	DefaultMaxQueryBuf = 1024 * 1024 * 1024
)

// Limits bound what a request may ask the server to allocate.
type Limits struct {
	MaxBulkLen     int64 // proto-max-bulk-len
	MaxQueryBuffer int64 // client-query-buffer-limit
	// Unauthenticated applies Redis's stricter caps for clients that still
	// have to AUTH: 10 arguments and 16 KiB per argument.
	Unauthenticated bool
	// Master lifts proto-max-bulk-len, as Redis does for its master link.
	Master bool
}

// ProtocolError is a malformed request. Its text is Redis's reply; the
// connection must be closed after sending it.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return e.Msg }

// ErrQueryBufferLimit means the client's pending request outgrew
// client-query-buffer-limit; Redis closes such clients without a reply.
var ErrQueryBufferLimit = errors.New("resp: client query buffer limit reached")

var errIncomplete = errors.New("resp: incomplete")

func protoErr(msg string) error { return &ProtocolError{Msg: "ERR Protocol error: " + msg} }

// Reader parses pipelined requests out of a connection. Arguments returned by
// Next alias the reader's buffer and stay valid until the next call to Fill.
type Reader struct {
	rd     io.Reader
	buf    []byte
	r, w   int
	need   int // bytes the current partial request needs before reparsing
	Limits Limits
	args   [][]byte
	// Inline reports whether the last request came as an inline command.
	Inline bool
	last   []byte
}

// Last returns the raw bytes of the request Next returned last (a
// replica counts and forwards its master's stream byte for byte). Valid
// until the next Fill or Feed.
func (r *Reader) Last() []byte { return r.last }

// NewReader returns a Reader reading from rd with a 16 KiB initial buffer.
func NewReader(rd io.Reader, lim Limits) *Reader {
	return &Reader{rd: rd, buf: make([]byte, 16*1024), Limits: lim}
}

// Buffered is the number of unparsed bytes held.
func (r *Reader) Buffered() int { return r.w - r.r }

// Fill reads once from the connection, after compacting the buffer. It
// invalidates arguments returned earlier.
func (r *Reader) Fill() error {
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.r, r.w = 0, n
	}
	if r.w == 0 && len(r.buf) > 1<<20 {
		// Give back the memory of a large request once it is consumed.
		r.buf = make([]byte, 16*1024)
	}
	if r.w == len(r.buf) || r.need > len(r.buf) {
		if r.Limits.MaxQueryBuffer > 0 && int64(r.w) >= r.Limits.MaxQueryBuffer {
			return ErrQueryBufferLimit
		}
		size := max(2*len(r.buf), r.need)
		nb := make([]byte, size)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	n, err := r.rd.Read(r.buf[r.w:])
	r.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// Feed appends bytes to the buffer, for callers that do their own reads
// (and for tests and fuzzing).
func (r *Reader) Feed(p []byte) {
	if r.r > 0 && r.r == r.w {
		r.r, r.w = 0, 0
	}
	if r.w+len(p) > len(r.buf) {
		nb := make([]byte, max(r.w-r.r+len(p), 2*len(r.buf)))
		n := copy(nb, r.buf[r.r:r.w])
		r.r, r.w = 0, n
		r.buf = nb
	}
	r.w += copy(r.buf[r.w:], p)
}

// Next parses one request from the buffered bytes. It returns ok=false when
// more bytes are needed. An empty request (an empty inline line, *0 or *-1)
// is skipped. A *ProtocolError must be replied and the connection closed.
func (r *Reader) Next() (args [][]byte, ok bool, err error) {
	for {
		if r.r == r.w {
			return nil, false, nil
		}
		if r.need > 0 && r.w-r.r < r.need {
			if r.Limits.MaxQueryBuffer > 0 && int64(r.w-r.r) > r.Limits.MaxQueryBuffer {
				return nil, false, ErrQueryBufferLimit
			}
			return nil, false, nil
		}
		r.need = 0
		var n int
		if r.buf[r.r] == '*' {
			r.Inline = false
			args, n, err = r.parseMultibulk(r.buf[r.r:r.w])
		} else {
			r.Inline = true
			args, n, err = r.parseInline(r.buf[r.r:r.w])
		}
		if err == errIncomplete {
			if r.Limits.MaxQueryBuffer > 0 && int64(r.w-r.r) > r.Limits.MaxQueryBuffer {
				return nil, false, ErrQueryBufferLimit
			}
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		r.last = r.buf[r.r : r.r+n]
		r.r += n
		if len(args) == 0 {
			continue
		}
		return args, true, nil
	}
}

// PeekKeys appends to dst the second argument (the first key of most
// commands) of each complete multibulk request buffered, up to max of
// them, without consuming anything: the caller fetches those keys ahead
// of running the requests. It stops at the first request that is
// incomplete, inline or malformed (Next reports the error, if any).
// The slices are valid until the next Fill or Feed.
func (r *Reader) PeekKeys(dst [][]byte, max int) [][]byte {
	b := r.buf[r.r:r.w]
	for len(dst) < max && len(b) > 0 && b[0] == '*' {
		n, pos, complete, ok := parseLen(b)
		if !complete || !ok || n <= 0 {
			break
		}
		var key []byte
		for i := int64(0); i < n; i++ {
			if pos >= len(b) || b[pos] != '$' {
				return dst
			}
			l, hn, complete, ok := parseLen(b[pos:])
			if !complete || !ok || l < 0 {
				return dst
			}
			pos += hn
			if l > int64(len(b)-pos-2) {
				return dst
			}
			if i == 1 {
				key = b[pos : pos+int(l) : pos+int(l)]
			}
			pos += int(l) + 2
		}
		if key != nil {
			dst = append(dst, key)
		}
		b = b[pos:]
	}
	return dst
}

func (r *Reader) parseInline(b []byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		if len(b) > InlineMaxSize {
			return nil, 0, protoErr("too big inline request")
		}
		return nil, 0, errIncomplete
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, err := SplitArgs(line, r.args[:0])
	if err != nil {
		return nil, 0, protoErr("unbalanced quotes in request")
	}
	r.args = args
	return args, nl + 1, nil
}

// parseLen reads "<prefix><int>\r\n" at b and returns the integer, the bytes
// consumed, and whether the header was complete.
func parseLen(b []byte) (int64, int, bool, bool) {
	nl := bytes.IndexByte(b, '\r')
	if nl < 0 || nl+1 >= len(b) {
		return 0, 0, false, true
	}
	v, ok := parseInt(b[1:nl])
	return v, nl + 2, true, ok
}

func (r *Reader) parseMultibulk(b []byte) ([][]byte, int, error) {
	n, pos, complete, ok := parseLen(b)
	if !complete {
		if len(b) > InlineMaxSize {
			return nil, 0, protoErr("too big mbulk count string")
		}
		return nil, 0, errIncomplete
	}
	if !ok || n > 1<<31-1 {
		return nil, 0, protoErr("invalid multibulk length")
	}
	if n > 10 && r.Limits.Unauthenticated {
		return nil, 0, protoErr("unauthenticated multibulk length")
	}
	if n <= 0 {
		return nil, pos, nil
	}
	args := r.args[:0]
	if cap(args) < int(min(n, 1024)) {
		args = make([][]byte, 0, min(n, 1024))
	}
	for i := int64(0); i < n; i++ {
		if pos >= len(b) {
			r.args = args
			return nil, 0, errIncomplete
		}
		if b[pos] != '$' {
			return nil, 0, protoErr("expected '$', got '" + string(b[pos]) + "'")
		}
		l, hn, complete, ok := parseLen(b[pos:])
		if !complete {
			if len(b)-pos > InlineMaxSize {
				return nil, 0, protoErr("too big bulk count string")
			}
			r.args = args
			return nil, 0, errIncomplete
		}
		if !ok || l < 0 || (!r.Limits.Master && r.Limits.MaxBulkLen > 0 && l > r.Limits.MaxBulkLen) {
			return nil, 0, protoErr("invalid bulk length")
		}
		if l > 16384 && r.Limits.Unauthenticated {
			return nil, 0, protoErr("unauthenticated bulk length")
		}
		pos += hn
		if int64(len(b)-pos) < l+2 {
			// Remember how much the request needs at least so that a large
			// value is not reparsed on every read.
			r.need = pos + int(l) + 2
			r.args = args
			return nil, 0, errIncomplete
		}
		args = append(args, b[pos:pos+int(l):pos+int(l)])
		pos += int(l) + 2
	}
	r.args = args
	return args, pos, nil
}

// parseInt parses a decimal int64 the way Redis's string2ll does: no
// leading '+', no leading zeros, no spaces.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
		if v < uint64(c-'0') {
			return 0, false
		}
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// ParseInt is Redis's string2ll: strict decimal int64.
func ParseInt(b []byte) (int64, bool) { return parseInt(b) }

// ParseIntString is ParseInt for strings.
func ParseIntString(s string) (int64, bool) {
	if len(s) > 20 {
		return 0, false
	}
	var a [20]byte
	return parseInt(a[:copy(a[:], s)])
}

// FormatInt appends v in decimal.
func FormatInt(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ErrUnbalancedQuotes is returned by SplitArgs.
var ErrUnbalancedQuotes = errors.New("unbalanced quotes")

// SplitArgs splits a line the way Redis's sdssplitargs does (inline
// commands, redis.conf, redis-cli): spaces separate arguments, "double
// quotes" accept \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes'
// accept \' only, and a closing quote must be followed by a space or the end.
// Unquoted arguments alias line; quoted ones are copies.
func SplitArgs(line []byte, dst [][]byte) ([][]byte, error) {
	args := dst
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur []byte
		inDq, inSq, quoted := false, false, false
		start := i
		done := false
		for !done {
			if inDq {
				if i >= len(line) {
					return nil, ErrUnbalancedQuotes
				}
				c := line[i]
				if c == '\\' && i+3 < len(line) && line[i+1] == 'x' {
					h, ok1 := hexVal(line[i+2])
					l, ok2 := hexVal(line[i+3])
					if ok1 && ok2 {
						cur = append(cur, h<<4|l)
						i += 4
						continue
					}
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					default:
						c = line[i]
					}
					cur = append(cur, c)
				} else if c == '"' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				} else {
					cur = append(cur, c)
				}
				i++
			} else if inSq {
				if i >= len(line) {
					return nil, ErrUnbalancedQuotes
				}
				c := line[i]
				if c == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					i++
					cur = append(cur, '\'')
				} else if c == '\'' {
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				} else {
					cur = append(cur, c)
				}
				i++
			} else {
				if i >= len(line) {
					done = true
					break
				}
				switch c := line[i]; {
				case isSpace(c):
					done = true
				case c == '"':
					inDq, quoted = true, true
					cur = append(cur, line[start:i]...)
				case c == '\'':
					inSq, quoted = true, true
					cur = append(cur, line[start:i]...)
				default:
					if quoted {
						cur = append(cur, c)
					}
				}
				if !done {
					i++
				}
			}
		}
		if quoted {
			if cur == nil {
				cur = []byte{}
			}
			args = append(args, cur)
		} else {
			args = append(args, line[start:i:i])
		}
	}
}
