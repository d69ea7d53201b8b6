package keyspace

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

func TestDictBasic(t *testing.T) {
	d := NewDict[int]()
	for i := 0; i < 10000; i++ {
		if !d.Set([]byte(fmt.Sprint(i)), i) {
			t.Fatalf("%d not new", i)
		}
	}
	if d.Set([]byte("5"), 55) {
		t.Fatal("5 reported new")
	}
	if d.Len() != 10000 {
		t.Fatalf("len %d", d.Len())
	}
	for i := 0; i < 10000; i++ {
		e := d.Find(fmt.Sprint(i))
		want := i
		if i == 5 {
			want = 55
		}
		if e == nil || e.Val != want {
			t.Fatalf("find %d: %v", i, e)
		}
	}
	for i := 0; i < 9990; i++ {
		if d.Delete([]byte(fmt.Sprint(i))) == nil {
			t.Fatalf("delete %d", i)
		}
		d.ShrinkIfNeeded()
	}
	if d.Len() != 10 || d.Find("9995") == nil || d.Find("1") != nil {
		t.Fatalf("after deletes len=%d", d.Len())
	}
	for i := 0; i < 10; i++ {
		d.RehashFor(1000)
	}
	if d.Buckets() > 64 {
		t.Fatalf("did not shrink: %d buckets", d.Buckets())
	}
}

// TestDictScanGuarantee checks SCAN's promise: an element present from
// the start to the end of a scan is returned at least once, even when the
// table grows and shrinks between calls.
func TestDictScanGuarantee(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 40; round++ {
		scan := (*Dict[int]).Scan
		if round%2 == 1 {
			// Spans of varying size, walked at once.
			scan = func(d *Dict[int], c uint64, fn func(*Entry[int])) uint64 {
				s, next := d.Take(c, r.IntN(40))
				s.Walk(nil, fn)
				return next
			}
		}
		d := NewDict[int]()
		stable := map[string]bool{}
		for i := 0; i < 500; i++ {
			k := fmt.Sprintf("stable:%d", i)
			d.Set([]byte(k), i)
			stable[k] = true
		}
		seen := map[string]bool{}
		var cursor uint64
		next := 0
		for step := 0; ; step++ {
			cursor = scan(d, cursor, func(e *Entry[int]) { seen[e.Key] = true })
			// Churn: grow a lot, then shrink, while the scan goes on.
			switch {
			case step%3 == 0:
				for j := 0; j < r.IntN(400); j++ {
					d.Set([]byte(fmt.Sprintf("tmp:%d", next)), 0)
					next++
				}
			case step%3 == 1:
				for j := 0; j < next; j++ {
					d.Delete([]byte(fmt.Sprintf("tmp:%d", j)))
				}
				d.ShrinkIfNeeded()
			}
			if cursor == 0 {
				break
			}
			if step > 100000 {
				t.Fatal("scan does not terminate")
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("round %d: %s never returned", round, k)
			}
		}
	}
}

// Spans over a stable table return every entry exactly once, long chains
// included (here all in one bucket, more than a batch holds).
func TestDictSpansOnce(t *testing.T) {
	chain := NewDict[int]()
	chain.ht[0] = table[int]{buckets: make([]*Entry[int], 1)}
	for i := 0; i < 3*scanBatch+5; i++ {
		e := newEntry[int]([]byte(fmt.Sprintf("c%d", i)))
		e.next = chain.ht[0].buckets[0]
		chain.ht[0].buckets[0] = e
		chain.ht[0].used++
	}
	big := NewDict[int]()
	for i := 0; i < 10000; i++ {
		big.Set([]byte(fmt.Sprintf("k%d", i)), i)
	}
	if !big.rehashing() {
		t.Fatal("the test wants a table in the middle of a rehash")
	}
	for name, d := range map[string]*Dict[int]{"one chain": chain, "10k keys": big} {
		seen := map[string]int{}
		calls := 0
		for cursor := uint64(0); ; {
			var s Span[int]
			s, cursor = d.Take(cursor, 1+calls%50)
			s.Walk(nil, func(e *Entry[int]) { seen[e.Key]++ })
			calls++
			if cursor == 0 || calls > 1_000_000 {
				break
			}
		}
		if len(seen) != d.Len() {
			t.Fatalf("%s: %d of %d entries returned", name, len(seen), d.Len())
		}
		for k, n := range seen {
			if n != 1 {
				t.Fatalf("%s: %s returned %d times", name, k, n)
			}
		}
		if name == "10k keys" && calls > d.Len()/(scanBatch/4) {
			t.Fatalf("%s: %d calls, the batches are too small", name, calls)
		}
	}
}

// Entries reserved in one block serve short keys until used up; longer
// keys and later ones are allocated alone, and deleting or re-adding keys
// of the block is like any other.
func TestDictReserveEntries(t *testing.T) {
	d := NewDict[int]()
	d.ReserveEntries(3)
	block := &d.slab[0]
	keys := []string{"a", "a-key-longer-than-16", "b", "c", "d"}
	for i, k := range keys {
		if _, created := d.AddOrFind([]byte(k)); !created {
			t.Fatalf("%s not created", k)
		}
		d.FindBytes([]byte(k)).Val = i
	}
	inBlock := func(k string) bool {
		e := d.Find(k)
		p := uintptr(unsafe.Pointer(e))
		start := uintptr(unsafe.Pointer(block))
		return p >= start && p < start+3*unsafe.Sizeof(*block)
	}
	for k, want := range map[string]bool{"a": true, "b": true, "c": true, "a-key-longer-than-16": false, "d": false} {
		if inBlock(k) != want {
			t.Fatalf("%s in the block: %v, want %v", k, !want, want)
		}
	}
	if d.slab != nil {
		t.Fatal("a used-up block is still held")
	}
	d.Delete([]byte("b"))
	d.Set([]byte("b"), 7)
	for i, k := range keys {
		want := i
		if k == "b" {
			want = 7
		}
		if e := d.Find(k); e == nil || e.Key != k || e.Val != want {
			t.Fatalf("%s: %+v", k, e)
		}
	}
}

func TestDictRandomAndSample(t *testing.T) {
	d := NewDict[int]()
	r := rand.New(rand.NewPCG(3, 4))
	if d.Random(r) != nil {
		t.Fatal("random on empty")
	}
	for i := 0; i < 1000; i++ {
		d.Set([]byte(fmt.Sprint(i)), i)
	}
	hits := map[string]int{}
	for i := 0; i < 20000; i++ {
		hits[d.Random(r).Key]++
	}
	if len(hits) < 900 {
		t.Fatalf("random covers only %d keys", len(hits))
	}
	n := 0
	d.Sample(r, 16, func(*Entry[int]) { n++ })
	if n != 16 {
		t.Fatalf("sample gave %d", n)
	}
}

func TestKeyspaceExpiryAndAccounting(t *testing.T) {
	now := int64(1000)
	ks := New(2, func() int64 { return now })
	db := ks.DBs[0]
	e := db.Add([]byte("k"), NewString([]byte("v")))
	db.SetExpire(e, 2000)
	ks.Account()
	if ks.UsedMemory() <= 0 {
		t.Fatal("no memory accounted")
	}
	if db.LookupRead([]byte("k")) == nil {
		t.Fatal("live key missing")
	}
	now = 2000
	if db.LookupRead([]byte("k")) != nil {
		t.Fatal("expired key visible")
	}
	if db.Len() != 0 || ks.Stats.ExpiredKeys != 1 || ks.UsedMemory() != 0 {
		t.Fatalf("len=%d expired=%d mem=%d", db.Len(), ks.Stats.ExpiredKeys, ks.UsedMemory())
	}
	// Replicas keep expired keys but do not show them.
	ks.Replica = true
	e = db.Add([]byte("r"), NewString([]byte("v")))
	db.SetExpire(e, 1500)
	if db.LookupRead([]byte("r")) != nil || db.Len() != 1 {
		t.Fatal("replica must hide but keep expired keys")
	}
	ks.Replica = false
	for i := 0; i < 100; i++ {
		e := db.Add([]byte(fmt.Sprint("v", i)), NewString([]byte("x")))
		db.SetExpire(e, 1500)
	}
	ks.Account()
	// One cycle may stop early on a sparse sample, as Redis's does; a
	// few cycles remove everything.
	removed := 0
	for i := 0; i < 50 && db.Len() > 0; i++ {
		removed += ks.ActiveExpireCycle(1e9)
	}
	if removed != 101 || db.Len() != 0 {
		t.Fatalf("active cycles removed %d, %d keys left", removed, db.Len())
	}
}

func TestEviction(t *testing.T) {
	now := int64(1_000_000)
	ks := New(1, func() int64 { return now })
	db := ks.DBs[0]
	for i := 0; i < 100; i++ {
		db.Add([]byte(fmt.Sprint(i)), NewString([]byte("value")))
	}
	ks.Account()
	if ks.EvictOne(NoEviction, 5) {
		t.Fatal("noeviction evicted")
	}
	if ks.EvictOne(VolatileLRU, 5) {
		t.Fatal("volatile policy evicted a persistent key")
	}
	for _, p := range []Policy{AllKeysLRU, AllKeysLFU, AllKeysRandom} {
		before := db.Len()
		if !ks.EvictOne(p, 5) || db.Len() != before-1 {
			t.Fatalf("%s did not evict", p)
		}
	}
	e := db.Add([]byte("vol"), NewString([]byte("v")))
	db.SetExpire(e, now+10)
	if !ks.EvictOne(VolatileTTL, 5) || db.Peek([]byte("vol")) != nil {
		t.Fatal("volatile-ttl must evict the volatile key")
	}
	if ks.Stats.EvictedKeys != 4 {
		t.Fatalf("evicted %d", ks.Stats.EvictedKeys)
	}
}

// TestRandomEvictionFindsTheOnlyPopulatedDB guards against sampling
// databases at random with replacement, which missed db 0 one time in three.
func TestRandomEvictionFindsTheOnlyPopulatedDB(t *testing.T) {
	ks := New(16, func() int64 { return 1000 })
	for i := 0; i < 200; i++ {
		ks.DBs[0].Add([]byte(fmt.Sprint(i)), NewString([]byte("v")))
	}
	ks.Account()
	for i := 0; i < 100; i++ {
		if !ks.EvictOne(AllKeysRandom, 5) {
			t.Fatalf("eviction %d found nothing", i)
		}
	}
}

// Keys of every length, embedded in their entry or not, come back as
// given, and stay so when the caller reuses its buffer.
func TestDictEmbeddedKeys(t *testing.T) {
	d := NewDict[int]()
	lengths := []int{0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000}
	buf := make([]byte, 1000)
	for i, n := range lengths {
		for j := range buf[:n] {
			buf[j] = byte('a' + (i+j)%26)
		}
		if !d.Set(buf[:n], i) {
			t.Fatalf("key of %d bytes not new", n)
		}
		want := string(buf[:n])
		for j := range buf {
			buf[j] = '#' // the caller's buffer changes: the key must not
		}
		e := d.Find(want)
		if e == nil || e.Key != want || e.Val != i {
			t.Fatalf("key of %d bytes: got %+v", n, e)
		}
	}
	for i, n := range lengths {
		key := make([]byte, n)
		for j := range key {
			key[j] = byte('a' + (i+j)%26)
		}
		if e := d.FindBytes(key); e == nil || e.Val != i || len(e.Key) != n {
			t.Errorf("key of %d bytes lost after more inserts: %+v", n, e)
		}
	}
}

// TestSpanHolds checks what lending a span relies on: while the dict is
// pinned, adding and deleting keys whose hash the span does not hold, and
// growing the table, leave the span's buckets as they were, and the span
// holds the hash of every key it walks.
func TestSpanHolds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 30; round++ {
		d := NewDict[int]()
		n := 50 + r.IntN(5000)
		for i := 0; i < n; i++ {
			d.Set([]byte(fmt.Sprintf("k%d", i)), i)
		}
		if round%3 == 0 {
			for d.rehashing() {
				d.RehashFor(100)
			}
		}
		cursor := uint64(r.IntN(1 << 12))
		// At most about half the buckets: a span holding all of them
		// would leave no key to add beside it.
		s, _ := d.Take(cursor, 1+r.IntN(min(300, n/2)))
		walk := func() map[string]bool {
			m := map[string]bool{}
			s.Walk(nil, func(e *Entry[int]) { m[e.Key] = true })
			return m
		}
		before := walk()
		for k := range before {
			if !s.Holds(d.Hash(k)) {
				t.Fatalf("round %d: walked %s but does not hold it", round, k)
			}
		}
		d.Pin()
		added := 0
		for i := 0; added < 3*n; i++ {
			if i > 100*n {
				t.Fatalf("round %d: %d keys tried, %d outside the span", round, i, added)
			}
			k := fmt.Sprintf("new%d", i)
			if s.Holds(d.Hash(k)) {
				continue
			}
			d.Set([]byte(k), i)
			added++
			if i%3 == 0 {
				if del := fmt.Sprintf("k%d", r.IntN(n)); !s.Holds(d.Hash(del)) {
					d.Delete([]byte(del))
				}
			}
			d.Find(k)
			d.RehashFor(1)
		}
		after := walk()
		d.Unpin()
		if len(after) != len(before) {
			t.Fatalf("round %d: the span walked %d entries, then %d", round, len(before), len(after))
		}
		for k := range before {
			if !after[k] {
				t.Fatalf("round %d: %s left the span", round, k)
			}
		}
	}
}

// TestDictPrefetch: prefetching is a hint that changes nothing, whether
// the dict is empty, rehashing or holds the keys or not.
func TestDictPrefetch(t *testing.T) {
	d := NewDict[int]()
	keys := [][]byte{[]byte("a"), []byte("missing"), nil}
	d.Prefetch(keys)
	if d.Len() != 0 {
		t.Fatalf("empty dict: Len %d after prefetch", d.Len())
	}
	// Keys longer than 64 bytes live outside their entry: the bytes
	// after such an entry belong to another object, or to none.
	long := strings.Repeat("x", 100)
	sawRehash := false
	for i := range 1000 {
		d.Set([]byte(fmt.Sprint("k", i)), i)
		d.Set([]byte(fmt.Sprint(long, i)), -i)
		if i%97 == 0 || d.rehashing() && !sawRehash {
			// Mid-growth as well as between growths.
			sawRehash = sawRehash || d.rehashing()
			var batch [][]byte
			for j := range i + 1 {
				batch = append(batch, []byte(fmt.Sprint("k", j)), []byte(fmt.Sprint(long, j)))
			}
			d.Prefetch(append(batch, keys...))
			if d.Len() != 2*(i+1) {
				t.Fatalf("Len %d after prefetch, want %d", d.Len(), 2*(i+1))
			}
			for j := range i + 1 {
				if e := d.Find(fmt.Sprint("k", j)); e == nil || e.Val != j {
					t.Fatalf("k%d lost after prefetch", j)
				}
				if e := d.Find(fmt.Sprint(long, j)); e == nil || e.Val != -j {
					t.Fatalf("long key %d lost after prefetch", j)
				}
			}
		}
	}
	if !sawRehash {
		t.Fatal("no prefetch during a rehash")
	}
}

// BenchmarkFindPrefetched looks up batches of 128 random keys of a dict
// of 2M, with and without prefetching each batch first.
func BenchmarkFindPrefetched(b *testing.B) {
	const n = 2_000_000
	d := NewDict[int]()
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%012d", i))
		d.Set(keys[i], i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	batch := make([][]byte, 128)
	for _, pf := range []bool{false, true} {
		b.Run(fmt.Sprint("prefetch=", pf), func(b *testing.B) {
			for b.Loop() {
				for i := range batch {
					batch[i] = keys[rng.IntN(n)]
				}
				if pf {
					d.Prefetch(batch)
				}
				for _, k := range batch {
					if d.FindBytes(k) == nil {
						b.Fatal("key lost")
					}
				}
			}
		})
	}
}
