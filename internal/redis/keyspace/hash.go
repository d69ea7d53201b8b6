package keyspace

import (
	"encoding/binary"
	"math/rand/v2"
	"unsafe"
)

// Hash is a hash value in one of Redis 7.0's two encodings:
//
//   - "listpack": field/value pairs in insertion order, in one byte slice
//     (each field and value preceded by its length as a uvarint), searched
//     linearly, used while the hash has at most hash-max-listpack-entries
//     fields and no field or value longer than hash-max-listpack-value
//     bytes. One allocation holds the whole hash, as Redis's listpack;
//   - "hashtable": a Dict, once either limit was exceeded.
//
// The conversion is one way, as in Redis: a hash that shrank stays a
// hashtable. Callers pass the limits to the mutators that can exceed them.
type Hash struct {
	lp    []byte        // listpack encoding, used while dict is nil
	n     int           // pairs in lp
	dict  *Dict[[]byte] // hashtable encoding
	bytes int64         // sum of field and value lengths
}

// Memory accounting: the value header, and a hashtable entry (key string
// header, value slice header, chain pointer) plus its bucket pointer.
const (
	hashHeader     = 56
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
	if h.dict != nil {
		return hashHeader + h.bytes + int64(h.dict.Len())*hashEntrySize + int64(h.dict.Buckets())*dictBucketSize
	}
	return hashHeader + int64(cap(h.lp))
}

// Clone implements Value: a deep copy in the same encoding.
func (h *Hash) Clone() Value {
	out := &Hash{bytes: h.bytes, n: h.n}
	if h.dict == nil {
		out.lp = append([]byte(nil), h.lp...)
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
	return h.n
}

// Reserve makes room in an empty small hash for about n bytes of fields
// and values (the size of the listpack it is loaded from), sparing the
// regrowth of adding them one by one.
func (h *Hash) Reserve(n int) {
	if h.dict == nil && h.lp == nil {
		h.lp = make([]byte, 0, n)
	}
}

// IsListpack reports whether the hash still has the small encoding.
func (h *Hash) IsListpack() bool { return h.dict == nil }

// lpPair is one pair of the listpack: its field and value (views of lp)
// and where its bytes start and end.
type lpPair struct {
	field, value []byte
	start, end   int
}

// lpNext decodes the pair at offset off of lp.
func lpNext(lp []byte, off int) lpPair {
	p := lpPair{start: off}
	flen, k := binary.Uvarint(lp[off:])
	off += k
	p.field = lp[off : off+int(flen) : off+int(flen)]
	off += int(flen)
	vlen, k := binary.Uvarint(lp[off:])
	off += k
	p.value = lp[off : off+int(vlen) : off+int(vlen)]
	p.end = off + int(vlen)
	return p
}

// appendPair encodes a pair at the end of lp.
func appendPair(lp, field, value []byte) []byte {
	lp = binary.AppendUvarint(lp, uint64(len(field)))
	lp = append(lp, field...)
	lp = binary.AppendUvarint(lp, uint64(len(value)))
	return append(lp, value...)
}

// lpFind returns the pair of field, ok false when absent.
func (h *Hash) lpFind(field []byte) (lpPair, bool) {
	for off := 0; off < len(h.lp); {
		p := lpNext(h.lp, off)
		if string(p.field) == string(field) {
			return p, true
		}
		off = p.end
	}
	return lpPair{}, false
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
	if p, ok := h.lpFind(field); ok {
		return p.value, true
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
	if p, ok := h.lpFind(field); ok {
		h.bytes += int64(len(value)) - int64(len(p.value))
		if len(p.value) == len(value) {
			copy(p.value, value)
		} else {
			// Rebuild: the pair keeps its place, as in a listpack.
			lp := make([]byte, 0, len(h.lp)-len(p.value)+len(value)+binary.MaxVarintLen64)
			lp = append(lp, h.lp[:p.start]...)
			lp = appendPair(lp, p.field, value)
			h.lp = append(lp, h.lp[p.end:]...)
		}
		if h.n > maxEntries {
			h.convert() // the limit was lowered since the hash grew
		}
		return false
	}
	h.lp = appendPair(h.lp, field, value)
	h.n++
	h.bytes += int64(len(field) + len(value))
	if h.n > maxEntries {
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
	p, ok := h.lpFind(field)
	if !ok {
		return false
	}
	h.bytes -= int64(len(p.field) + len(p.value))
	h.lp = append(h.lp[:p.start], h.lp[p.end:]...)
	h.n--
	if h.n == 0 {
		h.lp = nil
	}
	return true
}

// convert moves the pairs into a hashtable.
func (h *Hash) convert() {
	d := NewDict[[]byte]()
	h.Each(func(field, value []byte) bool {
		d.Set(field, append([]byte(nil), value...))
		return true
	})
	h.dict, h.lp, h.n = d, nil, 0
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
	for off := 0; off < len(h.lp); {
		p := lpNext(h.lp, off)
		if !fn(p.field, p.value) {
			return
		}
		off = p.end
	}
}

// Random returns a uniformly chosen field and its value (the hash must
// not be empty), with the ownership rules of Each.
func (h *Hash) Random(r *rand.Rand) (field, value []byte) {
	if h.dict != nil {
		e := h.dict.Random(r)
		return stringBytes(e.Key), e.Val
	}
	i := r.IntN(h.n)
	h.Each(func(f, v []byte) bool {
		if i == 0 {
			field, value = f, v
			return false
		}
		i--
		return true
	})
	return field, value
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
