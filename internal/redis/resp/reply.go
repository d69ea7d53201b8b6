package resp

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
)

// Reply is a parsed RESP2/RESP3 value (client side).
type Reply struct {
	Type  byte // + - : $ * _ , # ! = ( % ~ > |
	Str   []byte
	Int   int64
	Float float64
	Elems []Reply // arrays, sets, pushes; maps as k1 v1 k2 v2
	Null  bool
}

// ErrIncompleteReply means more bytes are needed.
var ErrIncompleteReply = errors.New("resp: incomplete reply")

// maxReplyElems bounds aggregate headers before allocation.
const maxReplyElems = 1 << 31

// ParseReply parses one reply from b, returning it and the bytes after it.
func ParseReply(b []byte) (Reply, []byte, error) {
	return parseReply(b, 0)
}

func parseReply(b []byte, depth int) (Reply, []byte, error) {
	if depth > 64 {
		return Reply{}, nil, errors.New("resp: reply nested too deeply")
	}
	if len(b) == 0 {
		return Reply{}, nil, ErrIncompleteReply
	}
	nl := bytes.Index(b, []byte("\r\n"))
	if nl < 0 {
		return Reply{}, nil, ErrIncompleteReply
	}
	if nl == 0 {
		return Reply{}, nil, errors.New("resp: empty reply line")
	}
	t := b[0]
	line := b[1:nl]
	rest := b[nl+2:]
	r := Reply{Type: t}
	switch t {
	case '+', '-', '(':
		r.Str = line
		return r, rest, nil
	case ':':
		v, ok := parseInt(line)
		if !ok {
			return r, nil, errors.New("resp: bad integer")
		}
		r.Int = v
		return r, rest, nil
	case ',':
		f, err := strconv.ParseFloat(string(line), 64)
		if err != nil {
			return r, nil, errors.New("resp: bad double")
		}
		r.Float = f
		r.Str = line
		return r, rest, nil
	case '#':
		r.Int = 0
		if len(line) == 1 && line[0] == 't' {
			r.Int = 1
		}
		return r, rest, nil
	case '_':
		r.Null = true
		return r, rest, nil
	case '$', '!', '=':
		n, ok := parseInt(line)
		if !ok || n < -1 {
			return r, nil, errors.New("resp: bad bulk length")
		}
		if n == -1 {
			r.Null = true
			return r, rest, nil
		}
		if int64(len(rest)) < n+2 {
			return r, nil, ErrIncompleteReply
		}
		r.Str = rest[:n]
		return r, rest[n+2:], nil
	case '*', '~', '>', '%', '|':
		n, ok := parseInt(line)
		if !ok || n < -1 || n > maxReplyElems {
			return r, nil, errors.New("resp: bad aggregate length")
		}
		if n == -1 {
			r.Null = true
			return r, rest, nil
		}
		if t == '%' || t == '|' {
			n *= 2
		}
		// Each element takes at least 3 bytes: never allocate more
		// slots than the input could fill.
		r.Elems = make([]Reply, 0, min(n, int64(len(rest)/3)+1))
		for i := int64(0); i < n; i++ {
			var e Reply
			var err error
			e, rest, err = parseReply(rest, depth+1)
			if err != nil {
				return r, nil, err
			}
			r.Elems = append(r.Elems, e)
		}
		if t == '|' {
			// Attributes precede the real reply.
			return parseReply(rest, depth+1)
		}
		return r, rest, nil
	}
	return r, nil, errors.New("resp: unknown reply type '" + string(t) + "'")
}

// String renders the reply compactly: simple strings bare, errors as
// "(error) ...", integers as ":n", bulk strings quoted, null as "nil",
// aggregates as "[a b]" (maps as "{k:v}", sets as "~[..]", pushes as
// ">[..]").
func (r Reply) String() string {
	var b strings.Builder
	r.write(&b)
	return b.String()
}

func (r Reply) write(b *strings.Builder) {
	if r.Null {
		b.WriteString("nil")
		return
	}
	switch r.Type {
	case '+':
		b.Write(r.Str)
	case '-':
		b.WriteString("(error) ")
		b.Write(r.Str)
	case ':':
		b.WriteString(":")
		b.WriteString(strconv.FormatInt(r.Int, 10))
	case ',':
		b.WriteString(",")
		b.Write(r.Str)
	case '#':
		if r.Int == 1 {
			b.WriteString("#t")
		} else {
			b.WriteString("#f")
		}
	case '(':
		b.WriteString("(")
		b.Write(r.Str)
	case '$', '!', '=':
		b.WriteString(strconv.Quote(string(r.Str)))
	case '*', '~', '>':
		if r.Type != '*' {
			b.WriteByte(r.Type)
		}
		b.WriteByte('[')
		for i, e := range r.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			e.write(b)
		}
		b.WriteByte(']')
	case '%':
		b.WriteByte('{')
		for i := 0; i+1 < len(r.Elems); i += 2 {
			if i > 0 {
				b.WriteByte(' ')
			}
			r.Elems[i].write(b)
			b.WriteByte(':')
			r.Elems[i+1].write(b)
		}
		b.WriteByte('}')
	}
}

// AppendCommand encodes a request as a RESP array of bulk strings.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}
