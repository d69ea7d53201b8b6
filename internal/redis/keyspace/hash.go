package keyspace

import (
	"math/rand/v2"
	"unsafe"
)

// Hash is a hash value in one of Redis 7.0's two encodings:
//
//   - "listpack": field/value pairs in insertion order, searched linearly,
//     used while the hash has at most hash-max-listpack-entries fields and
//     no field or value longer than hash-max-listpack-value bytes;
//   - "hashtable": a Dict, once either limit was exceeded.
//
// The conversion is one way, as in Redis: a hash that shrank stays a
// hashtable. Callers pass the limits to the mutators that can exceed them.
type Hash struct {
	lp    []hashPair    // listpack encoding, used while dict is nil
	dict  *Dict[[]byte] // hashtable encoding
	bytes int64         // sum of field and value lengths
}

// hashPair is one listpack entry: field and value share one allocation.
type hashPair struct {
	buf  []byte
	flen int
}

func (p *hashPair) field() []byte { return p.buf[:p.flen:p.flen] }
func (p *hashPair) value() []byte { return p.buf[p.flen:] }

// Memory accounting: the value header, a listpack slot, and a hashtable
// entry (key string header, value slice header, chain pointer) plus its
// bucket pointer.
const (
	hashHeader     = 48
	hashPairSize   = 32
	hashEntrySize  = 48
	dictBucketSize = 8
)

// NewHash returns an empty listpack hash.
func NewHash() *Hash { return &Hash{} }

// Kind implements Value.
func (h *Hash) Kind() Kind { return KindHash }

// Encoding implements Value: "listpack" or "hashtable".
func (h *Hash) Encoding() string {
	if h.dict != nil {
		return "hashtable"
	}
	return "listpack"
}

// MemUsage implements Value.
func (h *Hash) MemUsage() int64 {
	m := hashHeader + int64(cap(h.lp))*hashPairSize + h.bytes
	if h.dict != nil {
		m += int64(h.dict.Len())*hashEntrySize + int64(h.dict.Buckets())*dictBucketSize
	}
	return m
}

// Clone implements Value: a deep copy in the same encoding.
func (h *Hash) Clone() Value {
	out := &Hash{bytes: h.bytes}
	if h.dict == nil {
		out.lp = make([]hashPair, len(h.lp))
		for i, p := range h.lp {
			out.lp[i] = hashPair{buf: append([]byte(nil), p.buf...), flen: p.flen}
		}
		return out
	}
	out.dict = NewDict[[]byte]()
	h.dict.Each(func(e *Entry[[]byte]) bool {
		out.dict.Set(stringBytes(e.Key), append([]byte(nil), e.Val...))
		return true
	})
	return out
}

// Len implements Lener: the number of fields.
func (h *Hash) Len() int {
	if h.dict != nil {
		return h.dict.Len()
	}
	return len(h.lp)
}

// IsListpack reports whether the hash still has the small encoding.
func (h *Hash) IsListpack() bool { return h.dict == nil }

func (h *Hash) lpIndex(field []byte) int {
	for i := range h.lp {
		if string(h.lp[i].field()) == string(field) {
			return i
		}
	}
	return -1
}

// Get returns the value of field; the slice is the hash's own and must not
// be modified or kept past the next change of the hash.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.dict != nil {
		if e := h.dict.FindBytes(field); e != nil {
			return e.Val, true
		}
		return nil, false
	}
	if i := h.lpIndex(field); i >= 0 {
		return h.lp[i].value(), true
	}
	return nil, false
}

// GetField implements FieldGetter (SORT BY/GET hash patterns).
func (h *Hash) GetField(field []byte) ([]byte, bool) { return h.Get(field) }

// Set stores a copy of field and value and reports whether the field is
// new. The hash converts to a hashtable when field or value is longer
// than maxValue or the hash has more than maxEntries fields (checked on
// updates too, as Redis, so a lowered limit applies at the next write).
func (h *Hash) Set(field, value []byte, maxEntries, maxValue int) (created bool) {
	if h.dict == nil && (len(field) > maxValue || len(value) > maxValue) {
		h.convert()
	}
	if h.dict != nil {
		e, created := h.dict.AddOrFind(field)
		if created {
			h.bytes += int64(len(field))
		} else {
			h.bytes -= int64(len(e.Val))
		}
		e.Val = reuseCopy(e.Val, value)
		h.bytes += int64(len(value))
		return created
	}
	if i := h.lpIndex(field); i >= 0 {
		p := &h.lp[i]
		h.bytes += int64(len(value)) - int64(len(p.buf)-p.flen)
		if cap(p.buf)-p.flen >= len(value) {
			p.buf = append(p.buf[:p.flen], value...)
		} else {
			p.buf = append(append(make([]byte, 0, len(field)+len(value)), field...), value...)
		}
		if len(h.lp) > maxEntries {
			h.convert() // the limit was lowered since the hash grew
		}
		return false
	}
	buf := make([]byte, 0, len(field)+len(value))
	buf = append(append(buf, field...), value...)
	h.lp = append(h.lp, hashPair{buf: buf, flen: len(field)})
	h.bytes += int64(len(buf))
	if len(h.lp) > maxEntries {
		h.convert()
	}
	return true
}

// reuseCopy copies src into dst's storage when it fits without wasting
// more than half of it, else into a new slice.
func reuseCopy(dst, src []byte) []byte {
	if cap(dst) >= len(src) && cap(dst) <= 2*len(src)+16 {
		return append(dst[:0], src...)
	}
	return append([]byte(nil), src...)
}

// Delete removes field and reports whether it existed. A listpack keeps
// the order of the remaining fields.
func (h *Hash) Delete(field []byte) bool {
	if h.dict != nil {
		e := h.dict.Delete(field)
		if e == nil {
			return false
		}
		h.bytes -= int64(len(e.Key) + len(e.Val))
		h.dict.ShrinkIfNeeded()
		return true
	}
	i := h.lpIndex(field)
	if i < 0 {
		return false
	}
	h.bytes -= int64(len(h.lp[i].buf))
	copy(h.lp[i:], h.lp[i+1:])
	h.lp[len(h.lp)-1] = hashPair{}
	h.lp = h.lp[:len(h.lp)-1]
	return true
}

// convert moves the pairs into a hashtable.
func (h *Hash) convert() {
	d := NewDict[[]byte]()
	for _, p := range h.lp {
		d.Set(p.field(), append([]byte(nil), p.value()...))
	}
	h.dict, h.lp = d, nil
}

// Each calls fn for every field and value until fn returns false: in
// insertion order for a listpack, in table order for a hashtable. The
// slices are the hash's own: fn must not modify or keep them, nor change
// the hash.
func (h *Hash) Each(fn func(field, value []byte) bool) {
	if h.dict != nil {
		h.dict.Each(func(e *Entry[[]byte]) bool { return fn(stringBytes(e.Key), e.Val) })
		return
	}
	for i := range h.lp {
		if !fn(h.lp[i].field(), h.lp[i].value()) {
			return
		}
	}
}

// Random returns a uniformly chosen field and its value (the hash must
// not be empty), with the ownership rules of Each.
func (h *Hash) Random(r *rand.Rand) (field, value []byte) {
	if h.dict != nil {
		e := h.dict.Random(r)
		return stringBytes(e.Key), e.Val
	}
	p := &h.lp[r.IntN(len(h.lp))]
	return p.field(), p.value()
}

// Scan visits the pairs of one step of a hashtable SCAN and returns the
// next cursor (see Dict.Scan). A listpack hash is visited whole and the
// cursor returned is 0, as Redis does for small encodings.
func (h *Hash) Scan(cursor uint64, fn func(field, value []byte)) uint64 {
	if h.dict == nil {
		h.Each(func(f, v []byte) bool { fn(f, v); return true })
		return 0
	}
	return h.dict.Scan(cursor, func(e *Entry[[]byte]) { fn(stringBytes(e.Key), e.Val) })
}

// stringBytes views the bytes of s without copying. Dictionary keys are
// immutable strings: the view must never be written to.
func stringBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
