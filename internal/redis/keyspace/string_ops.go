package keyspace

import "strconv"

// intCap is the capacity kept for integer strings: the longest int64,
// "-9223372036854775808", so that INCR never reallocates.
const intCap = 20

// SetInt stores v in decimal in place, the way INCR leaves the value: "int"
// encoded again whatever it was before. It reuses the buffer when it can,
// so a counter costs no allocation per increment.
func (s *String) SetInt(v int64) {
	if cap(s.B) < intCap {
		s.B = make([]byte, 0, intCap)
	}
	s.B = strconv.AppendInt(s.B[:0], v, 10)
	s.Raw, s.NoInt = false, false
}

// NewIntString returns a string holding v in decimal.
func NewIntString(v int64) *String {
	s := &String{}
	s.SetInt(v)
	return s
}

// Append adds b at the end, in place; the value becomes "raw".
func (s *String) Append(b []byte) {
	s.B = append(s.B, b...)
	s.Raw = true
}

// GrowZero extends the value with zero bytes to at least n bytes and
// reports whether it grew. It does not change the encoding flags.
func (s *String) GrowZero(n int) bool {
	if len(s.B) >= n {
		return false
	}
	s.B = append(s.B, make([]byte, n-len(s.B))...)
	return true
}

// WriteAt copies b at offset off, growing the value with zero bytes as
// needed (SETRANGE); the value becomes "raw".
func (s *String) WriteAt(off int, b []byte) {
	s.GrowZero(off + len(b))
	copy(s.B[off:], b)
	s.Raw = true
}
