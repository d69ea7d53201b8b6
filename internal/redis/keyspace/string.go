package keyspace

import "strconv"

// String is a string value. Raw marks strings that were modified in place
// (APPEND, SETRANGE, SETBIT), which Redis stores as "raw" whatever their
// length. NoInt marks strings Redis stores as text even when they read as
// an integer (the result of INCRBYFLOAT: "3000" is "embstr" there).
type String struct {
	B     []byte
	Raw   bool
	NoInt bool
}

// NewString wraps b, which the String now owns.
func NewString(b []byte) *String { return &String{B: b} }

// EmbedMax is the longest string NewStringCopy keeps in the String's own
// allocation.
const EmbedMax = 224

// NewStringCopy returns a String holding a copy of b. Up to EmbedMax bytes
// the copy lives right after the String in one allocation, as Redis's
// embstr: one object instead of two for the common short value.
func NewStringCopy(b []byte) *String {
	var (
		s   *String
		buf []byte
	)
	switch n := len(b); {
	case n == 0:
		return &String{}
	case n <= 16:
		x := new(struct {
			String
			b [16]byte
		})
		s, buf = &x.String, x.b[:]
	case n <= 48:
		x := new(struct {
			String
			b [48]byte
		})
		s, buf = &x.String, x.b[:]
	case n <= 96:
		x := new(struct {
			String
			b [96]byte
		})
		s, buf = &x.String, x.b[:]
	case n <= EmbedMax:
		x := new(struct {
			String
			b [EmbedMax]byte
		})
		s, buf = &x.String, x.b[:]
	default:
		return &String{B: append([]byte(nil), b...)}
	}
	s.B = buf[:copy(buf, b):len(b)]
	return s
}

// Kind implements Value.
func (s *String) Kind() Kind { return KindString }

// Encoding reports "int", "embstr" or "raw" as Redis would store the value.
func (s *String) Encoding() string {
	if !s.Raw && !s.NoInt && IsIntEncodable(s.B) {
		return "int"
	}
	if !s.Raw && len(s.B) <= 44 {
		return "embstr"
	}
	return "raw"
}

// MemUsage implements Value.
func (s *String) MemUsage() int64 { return int64(cap(s.B)) + 32 }

// IsIntEncodable reports whether Redis would store b as an integer: a
// canonical decimal int64 of at most 20 characters.
func IsIntEncodable(b []byte) bool {
	if len(b) == 0 || len(b) > 20 {
		return false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return false
	}
	var a [20]byte
	return string(strconv.AppendInt(a[:0], v, 10)) == string(b)
}

// Clone implements Value.
func (s *String) Clone() Value {
	return &String{B: append([]byte(nil), s.B...), Raw: s.Raw, NoInt: s.NoInt}
}
