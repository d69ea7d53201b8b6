package keyspace

import (
	"math/rand/v2"
	"slices"
	"strconv"
)

// Set is a set value in one of Redis 7.0's two encodings:
//
//   - "intset": a sorted slice of int64, used while every member is the
//     canonical decimal form of an int64 and the set has at most
//     set-max-intset-entries members; it iterates in ascending order;
//   - "hashtable": a Dict, once a member is not an integer or the set
//     grew too large.
//
// Redis 7.0 has no listpack sets. The conversion is one way.
type Set struct {
	ints  []int64         // intset encoding, used while dict is nil
	dict  *Dict[struct{}] // hashtable encoding
	bytes int64           // sum of the hashtable members' lengths
}

// Memory accounting: the value header and a hashtable entry (key string
// header, chain pointer); buckets as for hashes.
const (
	setHeader    = 48
	setEntrySize = 32
)

// NewSet returns an empty intset.
func NewSet() *Set { return &Set{} }

// NewSetFor returns the empty set Redis creates to hold first: an intset
// when first is an integer, else a hashtable (setTypeCreate).
func NewSetFor(first []byte) *Set {
	if _, ok := ParseSetInt(first); ok {
		return &Set{}
	}
	return &Set{dict: NewDict[struct{}]()}
}

// Reserve sizes the table of an empty hashtable set for n members (RDB
// load, as Redis's dictExpand there); small tells a set small enough to
// allocate its short members in one block (Dict.ReserveEntries).
func (s *Set) Reserve(n int, small bool) {
	if s.dict != nil {
		s.dict.Reserve(n)
		if small {
			s.dict.ReserveEntries(n)
		}
	}
}

// Kind implements Value.
func (s *Set) Kind() Kind { return KindSet }

// Encoding implements Value: "intset" or "hashtable".
func (s *Set) Encoding() string {
	if s.dict != nil {
		return "hashtable"
	}
	return "intset"
}

// MemUsage implements Value.
func (s *Set) MemUsage() int64 {
	m := setHeader + int64(cap(s.ints))*8 + s.bytes
	if s.dict != nil {
		m += int64(s.dict.Len())*setEntrySize + int64(s.dict.Buckets())*dictBucketSize
	}
	return m
}

// Clone implements Value: a deep copy in the same encoding.
func (s *Set) Clone() Value {
	out := &Set{ints: slices.Clone(s.ints), bytes: s.bytes}
	if s.dict != nil {
		out.dict = NewDict[struct{}]()
		s.dict.Each(func(e *Entry[struct{}]) bool {
			out.dict.Set(stringBytes(e.Key), struct{}{})
			return true
		})
	}
	return out
}

// Len implements Lener: the number of members.
func (s *Set) Len() int {
	if s.dict != nil {
		return s.dict.Len()
	}
	return len(s.ints)
}

// IsIntset reports whether the set still has the intset encoding.
func (s *Set) IsIntset() bool { return s.dict == nil }

// ParseSetInt parses b as Redis's string2ll does when deciding whether a
// member fits an intset: an optional minus sign and decimal digits without
// leading zeros ("0" alone excepted, "-0" refused), within int64.
func ParseSetInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, ch := range digits {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// Add inserts a copy of m and reports whether it was new. An intset
// converts to a hashtable when m is not an integer or the set grows
// beyond maxIntset members.
func (s *Set) Add(m []byte, maxIntset int) bool {
	if s.dict == nil {
		v, ok := ParseSetInt(m)
		if !ok {
			s.convert()
		} else {
			i, found := slices.BinarySearch(s.ints, v)
			if found {
				return false
			}
			s.ints = slices.Insert(s.ints, i, v)
			if len(s.ints) > maxIntset {
				s.convert()
			}
			return true
		}
	}
	if _, created := s.dict.AddOrFind(m); !created {
		return false
	}
	s.bytes += int64(len(m))
	return true
}

// Remove deletes m and reports whether it was a member.
func (s *Set) Remove(m []byte) bool {
	if s.dict != nil {
		if s.dict.Delete(m) == nil {
			return false
		}
		s.bytes -= int64(len(m))
		s.dict.ShrinkIfNeeded()
		return true
	}
	v, ok := ParseSetInt(m)
	if !ok {
		return false
	}
	i, found := slices.BinarySearch(s.ints, v)
	if !found {
		return false
	}
	s.ints = slices.Delete(s.ints, i, i+1)
	return true
}

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	if s.dict != nil {
		return s.dict.FindBytes(m) != nil
	}
	v, ok := ParseSetInt(m)
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(s.ints, v)
	return found
}

func (s *Set) convert() {
	d := NewDict[struct{}]()
	var buf [20]byte
	for _, v := range s.ints {
		b := strconv.AppendInt(buf[:0], v, 10)
		d.Set(b, struct{}{})
		s.bytes += int64(len(b))
	}
	s.dict, s.ints = d, nil
}

// Each calls fn for every member until fn returns false: ascending for an
// intset, table order for a hashtable. The slice is valid only during the
// call and must not be modified; fn must not change the set.
func (s *Set) Each(fn func(m []byte) bool) {
	if s.dict != nil {
		s.dict.Each(func(e *Entry[struct{}]) bool { return fn(stringBytes(e.Key)) })
		return
	}
	var buf [20]byte
	for _, v := range s.ints {
		if !fn(strconv.AppendInt(buf[:0], v, 10)) {
			return
		}
	}
}

// Elements implements ElementLister: copies of the members in iteration
// order.
func (s *Set) Elements() [][]byte {
	out := make([][]byte, 0, s.Len())
	s.Each(func(m []byte) bool {
		out = append(out, append([]byte(nil), m...))
		return true
	})
	return out
}

// Random returns a uniformly chosen member of a non-empty set. An intset
// member is formatted into buf's storage; a hashtable member is the set's
// own. Either way the result must not be modified, and is valid until the
// set or buf changes.
func (s *Set) Random(r *rand.Rand, buf []byte) []byte {
	if s.dict != nil {
		return stringBytes(s.dict.Random(r).Key)
	}
	return strconv.AppendInt(buf[:0], s.ints[r.IntN(len(s.ints))], 10)
}

// Scan visits the members of one step of a hashtable SCAN and returns the
// next cursor (see Dict.Scan). An intset is visited whole and the cursor
// returned is 0, as Redis does for small encodings. The slices follow the
// rules of Each.
func (s *Set) Scan(cursor uint64, fn func(m []byte)) uint64 {
	if s.dict == nil {
		s.Each(func(m []byte) bool { fn(m); return true })
		return 0
	}
	return s.dict.Scan(cursor, func(e *Entry[struct{}]) { fn(stringBytes(e.Key)) })
}
