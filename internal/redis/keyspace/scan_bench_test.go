package keyspace

import (
	"strconv"
	"testing"
)

// BenchmarkSpanWalk walks a dictionary of 1M keys the way a snapshot
// does (spans of about 128 entries, a write to every entry): ns/op is
// per key.
func BenchmarkSpanWalk(b *testing.B) {
	const n = 1 << 20
	d := NewDict[Object]()
	// Entries in a shuffled order of allocation, as a dataset built by
	// many clients has them.
	for i := 0; i < n; i++ {
		k := strconv.Itoa(int(uint32(i) * 2654435761 % n))
		e, _ := d.AddOrFind([]byte("key:" + k))
		e.Val = Object{Val: &String{B: []byte(k)}}
	}
	b.ResetTimer()
	walked := 0
	for walked < b.N {
		cursor := uint64(0)
		for {
			var s Span[Object]
			s, cursor = d.Take(cursor, 128)
			s.Walk(nil, func(e *KeyEntry) {
				e.Val.snap++
				walked++
			})
			if cursor == 0 || walked >= b.N {
				break
			}
		}
	}
}
