package keyspace

import "bytes"

// List is a list value: a ring-buffer deque of elements. Pushes and pops at
// both ends are amortised O(1) and so is reaching an element by index,
// which LINDEX, LSET and LRANGE need; inserting or removing in the middle
// moves the shorter side.
//
// Redis 7.0 stores every list as a quicklist (it has no listpack lists),
// so the encoding does not depend on the size of the list.
type List struct {
	buf   [][]byte // len(buf) is 0 or a power of two
	head  int      // slot of element 0
	n     int
	bytes int64 // sum of the element lengths
}

// Memory accounting: the value header and one slice header per slot.
const (
	listHeader   = 48
	listSlotSize = 24
	// listMinShrink is the smallest buffer that is halved when it is at
	// most a quarter full; smaller ones are not worth a copy.
	listMinShrink = 64
)

// NewList returns an empty list.
func NewList() *List { return &List{} }

// NewListOf returns a list of elems, which the list now owns. When the
// capacity of elems is a ring's size (ListBufSize), elems becomes the
// ring itself, without a copy.
func NewListOf(elems [][]byte) *List {
	l := &List{}
	if c := cap(elems); c >= 4 && c&(c-1) == 0 {
		l.buf, l.n = elems[:c], len(elems)
		for _, e := range elems {
			l.bytes += int64(len(e))
		}
		return l
	}
	l.Reserve(len(elems))
	for _, e := range elems {
		l.PushBack(e)
	}
	return l
}

// ListBufSize is the size of the ring a list of n elements gets: a
// slice of that capacity passed to NewListOf is adopted as it is.
func ListBufSize(n int) int {
	size := 4
	for size < n {
		size <<= 1
	}
	return size
}

// Kind implements Value.
func (l *List) Kind() Kind { return KindList }

// Encoding implements Value: always "quicklist", as Redis 7.0.
func (l *List) Encoding() string { return "quicklist" }

// MemUsage implements Value.
func (l *List) MemUsage() int64 {
	return listHeader + int64(len(l.buf))*listSlotSize + l.bytes
}

// Clone implements Value: the elements are copied too.
func (l *List) Clone() Value {
	out := &List{}
	out.Reserve(l.n)
	for i := 0; i < l.n; i++ {
		out.PushBack(append([]byte(nil), l.At(i)...))
	}
	return out
}

// Len implements Lener.
func (l *List) Len() int { return l.n }

// Elements implements ElementLister: the elements from head to tail. The
// slices are the list's own and must not be modified.
func (l *List) Elements() [][]byte {
	out := make([][]byte, l.n)
	for i := range out {
		out[i] = l.At(i)
	}
	return out
}

func (l *List) slot(i int) int { return (l.head + i) & (len(l.buf) - 1) }

// At returns element i, 0 <= i < Len().
func (l *List) At(i int) []byte { return l.buf[l.slot(i)] }

// Set replaces element i, 0 <= i < Len(), with v, which the list now owns.
func (l *List) Set(i int, v []byte) {
	s := l.slot(i)
	l.bytes += int64(len(v) - len(l.buf[s]))
	l.buf[s] = v
}

// Reserve makes room for k more elements without further growth.
func (l *List) Reserve(k int) {
	if l.n+k > len(l.buf) {
		l.resize(l.n + k)
	}
}

// resize moves the elements, in order, to a buffer of at least want slots.
func (l *List) resize(want int) {
	buf := make([][]byte, ListBufSize(want))
	if l.n > 0 {
		end := l.head + l.n
		if end <= len(l.buf) {
			copy(buf, l.buf[l.head:end])
		} else {
			k := copy(buf, l.buf[l.head:])
			copy(buf[k:], l.buf[:end-len(l.buf)])
		}
	}
	l.buf, l.head = buf, 0
}

// shrink gives memory back after many pops; halving only at a quarter
// full keeps pushes and pops amortised O(1).
func (l *List) shrink() {
	if len(l.buf) >= listMinShrink && l.n <= len(l.buf)/4 {
		l.resize(len(l.buf) / 2)
	}
}

// PushFront adds v, which the list now owns, at the head.
func (l *List) PushFront(v []byte) {
	if l.n == len(l.buf) {
		l.resize(l.n + 1)
	}
	l.head = (l.head - 1) & (len(l.buf) - 1)
	l.buf[l.head] = v
	l.n++
	l.bytes += int64(len(v))
}

// PushBack adds v, which the list now owns, at the tail.
func (l *List) PushBack(v []byte) {
	if l.n == len(l.buf) {
		l.resize(l.n + 1)
	}
	l.buf[l.slot(l.n)] = v
	l.n++
	l.bytes += int64(len(v))
}

// PopFront removes and returns the head element, nil when empty.
func (l *List) PopFront() []byte {
	if l.n == 0 {
		return nil
	}
	v := l.buf[l.head]
	l.buf[l.head] = nil
	l.head = (l.head + 1) & (len(l.buf) - 1)
	l.n--
	l.bytes -= int64(len(v))
	l.shrink()
	return v
}

// PopBack removes and returns the tail element, nil when empty.
func (l *List) PopBack() []byte {
	if l.n == 0 {
		return nil
	}
	s := l.slot(l.n - 1)
	v := l.buf[s]
	l.buf[s] = nil
	l.n--
	l.bytes -= int64(len(v))
	l.shrink()
	return v
}

// Insert puts v, which the list now owns, at position i (0 <= i <= Len()),
// moving the shorter side of the list by one.
func (l *List) Insert(i int, v []byte) {
	if l.n == len(l.buf) {
		l.resize(l.n + 1)
	}
	if i < l.n/2 {
		l.head = (l.head - 1) & (len(l.buf) - 1)
		for j := 0; j < i; j++ {
			l.buf[l.slot(j)] = l.buf[l.slot(j+1)]
		}
	} else {
		for j := l.n; j > i; j-- {
			l.buf[l.slot(j)] = l.buf[l.slot(j-1)]
		}
	}
	l.buf[l.slot(i)] = v
	l.n++
	l.bytes += int64(len(v))
}

// TrimFront removes the first k elements (k <= Len()).
func (l *List) TrimFront(k int) {
	for i := 0; i < k; i++ {
		s := l.slot(i)
		l.bytes -= int64(len(l.buf[s]))
		l.buf[s] = nil
	}
	if k > 0 {
		l.head = l.slot(k)
		l.n -= k
		l.shrink()
	}
}

// TrimBack removes the last k elements (k <= Len()).
func (l *List) TrimBack(k int) {
	for i := l.n - k; i < l.n; i++ {
		s := l.slot(i)
		l.bytes -= int64(len(l.buf[s]))
		l.buf[s] = nil
	}
	if k > 0 {
		l.n -= k
		l.shrink()
	}
}

// RemoveEqual removes elements equal to v, at most limit of them when
// limit > 0, scanning from the tail when fromTail, and returns how many
// it removed. The survivors keep their order; one pass compacts them.
func (l *List) RemoveEqual(v []byte, limit int64, fromTail bool) int64 {
	var removed int64
	keep := func(i int) bool {
		if (limit <= 0 || removed < limit) && bytes.Equal(l.At(i), v) {
			l.bytes -= int64(len(l.At(i)))
			removed++
			return false
		}
		return true
	}
	if !fromTail {
		w := 0
		for i := 0; i < l.n; i++ {
			if keep(i) {
				l.buf[l.slot(w)] = l.At(i)
				w++
			}
		}
		for i := w; i < l.n; i++ {
			l.buf[l.slot(i)] = nil
		}
	} else {
		w := l.n - 1
		for i := l.n - 1; i >= 0; i-- {
			if keep(i) {
				l.buf[l.slot(w)] = l.At(i)
				w--
			}
		}
		for i := 0; i <= w; i++ {
			l.buf[l.slot(i)] = nil
		}
		l.head = l.slot(w + 1)
	}
	l.n -= int(removed)
	if removed > 0 {
		l.shrink()
	}
	return removed
}
