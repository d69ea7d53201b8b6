package keyspace

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
	"unsafe"
)

// Dict is a chained hash table with incremental rehashing, after Redis's
// dict.c. Go maps cannot resume an iteration from a cursor, and SCAN must
// return every element present for the whole scan even while the table
// grows or shrinks; Redis's reverse-binary cursor gives that guarantee, so
// Dict reproduces it. It also gives uniform random sampling for RANDOMKEY,
// eviction and active expiry.
type Dict[V any] struct {
	seed      maphash.Seed
	ht        [2]table[V]
	rehashIdx int // -1 when not rehashing
	pins      int // rehashing paused while > 0 (Pin)
	slab      []slabEntry[V]
}

// slabEntry is an entry with room for a key of up to 16 bytes, the unit
// of a block of entries allocated ahead (ReserveEntries).
type slabEntry[V any] struct {
	Entry[V]
	b [16]byte
}

type table[V any] struct {
	buckets []*Entry[V]
	used    int
}

// Entry is one key and its value. Pointers to entries stay valid until the
// entry is deleted.
type Entry[V any] struct {
	Key  string
	Val  V
	next *Entry[V]
}

// NewDict returns an empty dict.
func NewDict[V any]() *Dict[V] {
	return &Dict[V]{seed: maphash.MakeSeed(), rehashIdx: -1}
}

// Len is the number of entries.
func (d *Dict[V]) Len() int { return d.ht[0].used + d.ht[1].used }

// Buckets is the number of buckets (for INFO and DEBUG HTSTATS).
func (d *Dict[V]) Buckets() int { return len(d.ht[0].buckets) + len(d.ht[1].buckets) }

func (d *Dict[V]) rehashing() bool { return d.rehashIdx >= 0 }

func (d *Dict[V]) hashBytes(b []byte) uint64  { return maphash.Bytes(d.seed, b) }
func (d *Dict[V]) hashString(s string) uint64 { return maphash.String(d.seed, s) }

// rehashStep moves up to n buckets from the old table to the new one,
// visiting at most 10*n empty buckets.
func (d *Dict[V]) rehashStep(n int) bool {
	if !d.rehashing() {
		return false
	}
	if d.pins > 0 {
		return true
	}
	empty := n * 10
	for ; n > 0 && d.ht[0].used > 0; n-- {
		for d.ht[0].buckets[d.rehashIdx] == nil {
			d.rehashIdx++
			empty--
			if empty == 0 {
				return true
			}
		}
		e := d.ht[0].buckets[d.rehashIdx]
		mask := uint64(len(d.ht[1].buckets) - 1)
		for e != nil {
			next := e.next
			h := d.hashString(e.Key) & mask
			e.next = d.ht[1].buckets[h]
			d.ht[1].buckets[h] = e
			d.ht[0].used--
			d.ht[1].used++
			e = next
		}
		d.ht[0].buckets[d.rehashIdx] = nil
		d.rehashIdx++
	}
	if d.ht[0].used == 0 {
		d.ht[0] = d.ht[1]
		d.ht[1] = table[V]{}
		d.rehashIdx = -1
		return false
	}
	return true
}

// RehashFor performs rehash steps of 100 buckets until done or n steps
// were made; the server cron calls it so idle tables finish rehashing.
func (d *Dict[V]) RehashFor(n int) {
	for i := 0; i < n && d.rehashStep(100); i++ {
	}
	// A shrink is refused while rehashing; the cron retries it here.
	d.ShrinkIfNeeded()
}

func nextPow2(n int) int {
	if n < 4 {
		return 4
	}
	return 1 << bits.Len(uint(n-1))
}

func (d *Dict[V]) resize(size int) {
	if d.rehashing() {
		return
	}
	size = nextPow2(size)
	if size == len(d.ht[0].buckets) {
		return
	}
	nt := table[V]{buckets: make([]*Entry[V], size)}
	if d.ht[0].buckets == nil {
		d.ht[0] = nt
		return
	}
	d.ht[1] = nt
	d.rehashIdx = 0
}

func (d *Dict[V]) expandIfNeeded() {
	if d.rehashing() {
		return
	}
	if len(d.ht[0].buckets) == 0 {
		d.resize(4)
		return
	}
	if d.ht[0].used >= len(d.ht[0].buckets) {
		d.resize(d.ht[0].used + 1)
	}
}

// ShrinkIfNeeded halves the table when it is less than 10% full, as
// Redis's htNeedsResize; called after deletions.
func (d *Dict[V]) ShrinkIfNeeded() {
	if d.rehashing() {
		return
	}
	size := len(d.ht[0].buckets)
	if size > 4 && d.ht[0].used*10 < size {
		d.resize(max(d.ht[0].used, 4))
	}
}

// Reserve sizes an empty dictionary for n entries at once (RDB RESIZEDB),
// sparing the rehashes of growing step by step.
func (d *Dict[V]) Reserve(n int) {
	if d.Len() == 0 && !d.rehashing() && n > len(d.ht[0].buckets) {
		d.ht[0] = table[V]{buckets: make([]*Entry[V], nextPow2(n))}
	}
}

// Prefetch starts loading, for each of keys, what finding or adding it
// will read: its bucket in each table (both during a rehash), then the
// entry at the bucket's head with the bytes after it (where a short key
// is stored). The lookups of a batch of keys (a pipeline, a replica's
// stream, a load) then find them in the cache: their misses overlap here
// instead of coming one after the other. A hint: it changes nothing.
func (d *Dict[V]) Prefetch(keys [][]byte) {
	tables := 1
	if d.rehashing() {
		tables = 2
	}
	var hashes [prefetchBatch]uint64
	for len(keys) > 0 && len(d.ht[0].buckets) > 0 {
		n := min(len(keys), prefetchBatch)
		for i, k := range keys[:n] {
			hashes[i] = d.hashBytes(k)
		}
		for t := range tables {
			b := d.ht[t].buckets
			mask := uint64(len(b) - 1)
			for _, h := range hashes[:n] {
				prefetch(uintptr(unsafe.Pointer(&b[h&mask])))
			}
		}
		for t := range tables {
			b := d.ht[t].buckets
			mask := uint64(len(b) - 1)
			for _, h := range hashes[:n] {
				if e := b[h&mask]; e != nil {
					at := uintptr(unsafe.Pointer(e))
					prefetch(at)
					prefetch(at + unsafe.Sizeof(*e))
				}
			}
		}
		keys = keys[n:]
	}
}

// prefetchBatch is how many keys Prefetch fetches in one pass: their
// buckets first, then the entries there.
const prefetchBatch = 64

// FindBytes returns the entry for key, or nil.
func (d *Dict[V]) FindBytes(key []byte) *Entry[V] {
	if d.Len() == 0 {
		return nil
	}
	return d.find(key, d.hashBytes(key))
}

// find looks key up with its hash h, moving a rehash on by one step.
func (d *Dict[V]) find(key []byte, h uint64) *Entry[V] {
	if d.rehashing() {
		d.rehashStep(1)
	}
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if len(tb.buckets) == 0 {
			break
		}
		for e := tb.buckets[h&uint64(len(tb.buckets)-1)]; e != nil; e = e.next {
			if e.Key == string(key) {
				return e
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// Find returns the entry for key, or nil. maphash.String hashes like
// maphash.Bytes of the same bytes, so the lookup is FindBytes over the
// string's bytes (read only, never retained).
func (d *Dict[V]) Find(key string) *Entry[V] {
	return d.FindBytes(unsafe.Slice(unsafe.StringData(key), len(key)))
}

// AddOrFind returns the entry for key, creating it with the zero value when
// absent; created reports which.
func (d *Dict[V]) AddOrFind(key []byte) (e *Entry[V], created bool) {
	hash := d.hashBytes(key)
	if d.Len() > 0 {
		if e := d.find(key, hash); e != nil {
			return e, false
		}
	}
	e = d.newEntry(key)
	d.link(e, hash)
	return e, true
}

// ReserveEntries allocates, in one block, n entries for keys of up to 16
// bytes, which the next additions of such keys take instead of an
// allocation each: a small set or sorted set loaded whole (RDB) costs one
// object instead of one per member. The block is freed only when none of
// its entries is in use: reserve only for small containers.
func (d *Dict[V]) ReserveEntries(n int) {
	if n > 0 {
		d.slab = make([]slabEntry[V], n)
	}
}

// newEntry allocates an entry for key, from the reserved block if it has
// room and the key fits.
func (d *Dict[V]) newEntry(key []byte) *Entry[V] {
	if len(d.slab) == 0 || len(key) == 0 || len(key) > 16 {
		return newEntry[V](key)
	}
	x := &d.slab[0]
	if len(d.slab) == 1 {
		d.slab = nil
	} else {
		d.slab = d.slab[1:]
	}
	buf := x.b[:len(key)]
	copy(buf, key)
	x.Key = unsafe.String(unsafe.SliceData(buf), len(buf))
	return &x.Entry
}

// newEntry allocates an entry for key. A key of up to 64 bytes lives in
// the entry's own allocation, right after it: a lookup that reaches the
// entry finds the bytes to compare in the same or the next cache line
// instead of one more cache miss away, and a key costs one object less.
// Entry.Key points into that array; strings are immutable, so nothing
// writes it again.
func newEntry[V any](key []byte) *Entry[V] {
	var (
		e   *Entry[V]
		buf []byte
	)
	switch n := len(key); {
	case n == 0:
		return &Entry[V]{}
	case n <= 16:
		x := new(struct {
			Entry[V]
			b [16]byte
		})
		e, buf = &x.Entry, x.b[:n]
	case n <= 32:
		x := new(struct {
			Entry[V]
			b [32]byte
		})
		e, buf = &x.Entry, x.b[:n]
	case n <= 64:
		x := new(struct {
			Entry[V]
			b [64]byte
		})
		e, buf = &x.Entry, x.b[:n]
	default:
		return &Entry[V]{Key: string(key)}
	}
	copy(buf, key)
	e.Key = unsafe.String(unsafe.SliceData(buf), len(buf))
	return e
}

// link adds e, a new key with hash hash, growing the table if needed.
func (d *Dict[V]) link(e *Entry[V], hash uint64) {
	d.expandIfNeeded()
	if d.rehashing() {
		d.rehashStep(1)
	}
	t := 0
	if d.rehashing() {
		t = 1
	}
	tb := &d.ht[t]
	h := hash & uint64(len(tb.buckets)-1)
	e.next = tb.buckets[h]
	tb.buckets[h] = e
	tb.used++
}

// Set stores val under key and reports whether the key was new.
func (d *Dict[V]) Set(key []byte, val V) bool {
	e, created := d.AddOrFind(key)
	e.Val = val
	return created
}

// Delete removes key and returns the removed entry, or nil.
func (d *Dict[V]) Delete(key []byte) *Entry[V] {
	if d.Len() == 0 {
		return nil
	}
	if d.rehashing() {
		d.rehashStep(1)
	}
	h := d.hashBytes(key)
	for t := 0; t < 2; t++ {
		tb := &d.ht[t]
		if len(tb.buckets) == 0 {
			break
		}
		idx := h & uint64(len(tb.buckets)-1)
		var prev *Entry[V]
		for e := tb.buckets[idx]; e != nil; e = e.next {
			if e.Key == string(key) {
				if prev == nil {
					tb.buckets[idx] = e.next
				} else {
					prev.next = e.next
				}
				e.next = nil
				tb.used--
				return e
			}
			prev = e
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// Clear removes everything.
func (d *Dict[V]) Clear() {
	d.ht = [2]table[V]{}
	d.rehashIdx = -1
}

// Each calls fn for every entry until fn returns false. fn must not add or
// delete entries.
func (d *Dict[V]) Each(fn func(*Entry[V]) bool) {
	for t := 0; t < 2; t++ {
		for _, e := range d.ht[t].buckets {
			for e != nil {
				next := e.next
				if !fn(e) {
					return
				}
				e = next
			}
		}
	}
}

// Random returns a random entry, or nil when empty: a random non-empty
// bucket, then a random element of its chain, as dictGetRandomKey.
func (d *Dict[V]) Random(r *rand.Rand) *Entry[V] {
	if d.Len() == 0 {
		return nil
	}
	if d.rehashing() {
		d.rehashStep(1)
	}
	var head *Entry[V]
	for head == nil {
		if d.rehashing() {
			s0, s1 := len(d.ht[0].buckets), len(d.ht[1].buckets)
			// Buckets below rehashIdx in the old table are empty.
			i := d.rehashIdx + r.IntN(s0+s1-d.rehashIdx)
			if i >= s0 {
				head = d.ht[1].buckets[i-s0]
			} else {
				head = d.ht[0].buckets[i]
			}
		} else {
			head = d.ht[0].buckets[r.IntN(len(d.ht[0].buckets))]
		}
	}
	n := 0
	for e := head; e != nil; e = e.next {
		n++
	}
	k := r.IntN(n)
	e := head
	for ; k > 0; k-- {
		e = e.next
	}
	return e
}

// Sample calls fn for up to count entries taken from consecutive buckets
// starting at a random one, as dictGetSomeKeys: cheap, not uniform, good
// enough for eviction and expiry sampling.
func (d *Dict[V]) Sample(r *rand.Rand, count int, fn func(*Entry[V])) {
	if d.Len() == 0 || count <= 0 {
		return
	}
	count = min(count, d.Len())
	for j := 0; j < count && d.rehashing(); j++ {
		d.rehashStep(1)
	}
	tables := 1
	if d.rehashing() {
		tables = 2
	}
	maxMask := len(d.ht[0].buckets) - 1
	if tables == 2 && len(d.ht[1].buckets)-1 > maxMask {
		maxMask = len(d.ht[1].buckets) - 1
	}
	i := r.IntN(maxMask + 1)
	emptyLen := 0
	stored := 0
	steps := count * 10
	for stored < count && steps > 0 {
		steps--
		for t := 0; t < tables; t++ {
			if tables == 2 && t == 0 && i < d.rehashIdx {
				if i < len(d.ht[1].buckets) {
					continue
				}
				i = d.rehashIdx
			}
			if i >= len(d.ht[t].buckets) {
				continue
			}
			e := d.ht[t].buckets[i]
			if e == nil {
				emptyLen++
				if emptyLen >= 5 && emptyLen > count {
					i = r.IntN(maxMask + 1)
					emptyLen = 0
				}
				continue
			}
			emptyLen = 0
			for ; e != nil && stored < count; e = e.next {
				fn(e)
				stored++
			}
		}
		i = (i + 1) & maxMask
	}
}

// Span is a stretch of a dict's scan order taken at one instant (Take):
// the buckets a Scan would visit from one cursor to the next Take's, with
// the tables as they were then. A snapshot walks it on another goroutine
// (Walk) while the dict's owner keeps off those buckets: it neither links
// nor unlinks an entry there (Holds tells which hashes land there) nor
// rehashes the dict (Pin) until the walk is over.
type Span[V any] struct {
	small, large []*Entry[V] // large is nil unless the dict was rehashing
	from         uint64      // cursor of the first bucket
	first        uint64      // its index in the small table, bits reversed
	steps        uint64      // small-table buckets (with their expansions)
	shift        uint        // 64 - log2(len(small))
	entries      int         // the dict's size when taken
}

// Take returns the span of the scan order from cursor that holds about
// want entries (at least one bucket), and the cursor after it: 0 when the
// span reaches the end of the scan. The cursor is the one Scan would
// return after visiting the same buckets, so spans and Scan calls may
// follow one another, and resizes may come between them, with Scan's
// guarantee.
func (d *Dict[V]) Take(cursor uint64, want int) (Span[V], uint64) {
	n := d.Len()
	if n == 0 {
		return Span[V]{}, 0
	}
	small, large := d.ht[0].buckets, []*Entry[V](nil)
	if d.rehashing() {
		large = d.ht[1].buckets
		if len(small) > len(large) {
			small, large = large, small
		}
	}
	size := uint64(len(small))
	shift := uint(64 - bits.TrailingZeros64(size))
	first := bits.Reverse64(cursor&(size-1)) >> shift
	steps := (uint64(max(want, 1))*size + uint64(n) - 1) / uint64(n)
	steps = min(max(steps, 1), size-first)
	next := uint64(0)
	if end := first + steps; end < size {
		next = bits.Reverse64(end << shift)
	}
	return Span[V]{small: small, large: large, from: cursor, first: first, steps: steps, shift: shift, entries: n}, next
}

// Hash is the hash of key in d (for Span.Holds).
func (d *Dict[V]) Hash(key string) uint64 { return d.hashString(key) }

// Holds reports whether a key of hash h (Dict.Hash) is, or would be
// linked, in one of the span's buckets.
func (s *Span[V]) Holds(h uint64) bool {
	if s.steps == 0 {
		return false
	}
	pos := bits.Reverse64(h&uint64(len(s.small)-1)) >> s.shift
	return pos-s.first < s.steps
}

// Estimate is about how many entries the span holds.
func (s *Span[V]) Estimate() int {
	if s.steps == 0 {
		return 0
	}
	return int(s.steps * uint64(s.entries) / uint64(len(s.small)))
}

// Walk calls fn for every entry of the span's buckets. It gathers the
// entries of several buckets before calling fn for any: the gathering
// loop is short, so the processor fetches many entries at once instead
// of waiting for each cache miss in turn. touch, when not nil, is called
// for every gathered entry before fn is for any, to start the fetch of
// what fn will read next (see TouchValue).
func (s *Span[V]) Walk(touch func(*Entry[V]) byte, fn func(*Entry[V])) {
	var (
		arr [2 * scanBatch]*Entry[V]
		sum byte
	)
	cursor := s.from
	for left := s.steps; left > 0; {
		batch := arr[:0]
		if s.large == nil {
			k := min(left, scanBatch)
			cursor, batch = gather(s.small, cursor, int(k), batch)
			left -= k
		} else {
			for left > 0 && len(batch) < scanBatch/2 {
				cursor = scanTables(s.small, s.large, cursor, func(e *Entry[V]) { batch = append(batch, e) })
				left--
			}
		}
		if touch != nil {
			for _, e := range batch {
				sum += touch(e)
			}
		}
		for _, e := range batch {
			fn(e)
		}
	}
	touchSink.Add(uint32(sum))
}

// Pin pauses the dict's rehashing while a Span of it is walked elsewhere;
// Unpin resumes it once the walk is over. Pins nest. Growing is still
// allowed: it starts a new table, which no span taken before holds.
func (d *Dict[V]) Pin()   { d.pins++ }
func (d *Dict[V]) Unpin() { d.pins-- }

// gather is Scan over up to n buckets of a table not being rehashed,
// appending their entries to batch. It reads the buckets' heads first,
// then the entries: the reads of each pass do not depend on one another,
// so their cache misses overlap instead of coming one after the other.
func gather[V any](buckets []*Entry[V], cursor uint64, n int, batch []*Entry[V]) (uint64, []*Entry[V]) {
	m := uint64(len(buckets) - 1)
	var heads [scanBatch]*Entry[V]
	n = min(n, len(heads))
	k := 0
	for k < n {
		heads[k] = buckets[cursor&m]
		k++
		cursor |= ^m
		cursor = bits.Reverse64(bits.Reverse64(cursor) + 1)
		if cursor == 0 {
			break
		}
	}
	for _, e := range heads[:k] {
		for ; e != nil; e = e.next {
			batch = append(batch, e)
		}
	}
	return cursor, batch
}

// touchSink keeps the reads of Walk's touch from being optimised away.
var touchSink atomic.Uint32

// TouchValue reads the first byte of the object e's value points to, for
// Span.Walk: the value is the next cache miss of a walk that serialises
// it.
func TouchValue(e *KeyEntry) byte {
	p := (*[2]unsafe.Pointer)(unsafe.Pointer(&e.Val.Val))[1]
	if p == nil {
		return 0
	}
	return *(*byte)(p)
}

const scanBatch = 16

// Scan visits the entries of the bucket(s) at cursor and returns the next
// cursor, 0 when the scan is complete. The reverse-binary increment of the
// cursor is what guarantees that an entry present for the whole scan is
// visited at least once across resizes.
func (d *Dict[V]) Scan(cursor uint64, fn func(*Entry[V])) uint64 {
	if d.Len() == 0 {
		return 0
	}
	if !d.rehashing() {
		return scanTables(d.ht[0].buckets, nil, cursor, fn)
	}
	small, large := d.ht[0].buckets, d.ht[1].buckets
	if len(small) > len(large) {
		small, large = large, small
	}
	return scanTables(small, large, cursor, fn)
}

// scanTables is one Scan step over a table (large nil) or over the two
// tables of a rehash, the smaller first.
func scanTables[V any](small, large []*Entry[V], cursor uint64, fn func(*Entry[V])) uint64 {
	emit := func(e *Entry[V]) {
		for e != nil {
			next := e.next
			fn(e)
			e = next
		}
	}
	m0 := uint64(len(small) - 1)
	emit(small[cursor&m0])
	if large == nil {
		cursor |= ^m0
		cursor = bits.Reverse64(cursor)
		cursor++
		return bits.Reverse64(cursor)
	}
	m1 := uint64(len(large) - 1)
	for {
		emit(large[cursor&m1])
		cursor |= ^m1
		cursor = bits.Reverse64(cursor)
		cursor++
		cursor = bits.Reverse64(cursor)
		if cursor&(m0^m1) == 0 {
			break
		}
	}
	return cursor
}
