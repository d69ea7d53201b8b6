package keyspace

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

type zModelElem struct {
	m string
	s float64
}

func zModelSort(m []zModelElem) {
	slices.SortFunc(m, func(a, b zModelElem) int {
		if c := cmp.Compare(a.s, b.s); c != 0 {
			return c
		}
		return cmp.Compare(a.m, b.m)
	})
}

// checkZSet verifies order, ranks, spans, backward links and the dict
// against the model.
func checkZSet(t *testing.T, z *ZSet, model []zModelElem) {
	t.Helper()
	if z.Len() != len(model) || z.dict.Len() != len(model) {
		t.Fatalf("len %d dict %d model %d", z.Len(), z.dict.Len(), len(model))
	}
	i := 0
	var prev *ZElem
	for e := z.First(); e != nil; e = e.Val.Next() {
		if e.Key != model[i].m || e.Val.Score != model[i].s {
			t.Fatalf("rank %d: %q %v, want %q %v", i, e.Key, e.Val.Score, model[i].m, model[i].s)
		}
		if e.Val.Prev() != prev {
			t.Fatalf("rank %d: bad backward link", i)
		}
		if r := z.Rank(e); r != i {
			t.Fatalf("Rank(%q)=%d want %d", e.Key, r, i)
		}
		if z.ByRank(i) != e {
			t.Fatalf("ByRank(%d) wrong", i)
		}
		if z.Find([]byte(e.Key)) != e {
			t.Fatalf("Find(%q) wrong", e.Key)
		}
		prev = e
		i++
	}
	if z.Last() != prev {
		t.Fatal("bad tail")
	}
	// Spans: the sum of spans along each level reaches the length.
	for l := 0; l < z.level; l++ {
		sum := 0
		for x := &z.head; x != nil; x = x.Val.level[l].forward {
			if x.Val.level[l].forward != nil {
				sum += x.Val.level[l].span
			}
		}
		last := z.lastOnLevel(l)
		if last != nil && sum != z.Rank(last)+1 {
			t.Fatalf("level %d: spans sum %d, last rank %d", l, sum, z.Rank(last))
		}
	}
}

func (z *ZSet) lastOnLevel(l int) *ZElem {
	var last *ZElem
	for x := z.head.Val.level[l].forward; x != nil; x = x.Val.level[l].forward {
		last = x
	}
	return last
}

func TestZSetModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	z := NewZSet()
	z.listpack = false
	var model []zModelElem
	find := func(m string) int {
		for i, e := range model {
			if e.m == m {
				return i
			}
		}
		return -1
	}
	for step := 0; step < 20000; step++ {
		m := "m" + strconv.Itoa(r.IntN(300))
		s := float64(r.IntN(50))
		switch op := r.IntN(10); {
		case op < 5:
			if i := find(m); i >= 0 {
				z.UpdateScore(z.Find([]byte(m)), s)
				model[i].s = s
			} else {
				z.Insert([]byte(m), s)
				model = append(model, zModelElem{m, s})
			}
		case op < 8:
			got := z.Delete([]byte(m))
			i := find(m)
			if got != (i >= 0) {
				t.Fatalf("Delete(%q)=%v", m, got)
			}
			if i >= 0 {
				model = slices.Delete(model, i, i+1)
			}
		case op == 8 && len(model) > 0:
			zModelSort(model)
			a := r.IntN(len(model))
			b := a + r.IntN(min(5, len(model)-a))
			if n := z.DeleteRangeByRank(a, b); n != b-a+1 {
				t.Fatalf("DeleteRangeByRank(%d,%d)=%d", a, b, n)
			}
			model = slices.Delete(model, a, b+1)
		case op == 9:
			rg := ScoreRange{Min: s, Max: s + 2, MinEx: r.IntN(2) == 0}
			want := 0
			model = slices.DeleteFunc(model, func(e zModelElem) bool {
				if rg.GteMin(e.s) && rg.LteMax(e.s) {
					want++
					return true
				}
				return false
			})
			if n := z.DeleteRangeByScore(&rg); n != want {
				t.Fatalf("DeleteRangeByScore=%d want %d", n, want)
			}
		}
		if step%500 == 0 {
			zModelSort(model)
			checkZSet(t, z, model)
		}
	}
	zModelSort(model)
	checkZSet(t, z, model)
	c := z.Clone().(*ZSet)
	checkZSet(t, c, model)
	for _, x := range []*ZSet{z, c} {
		if got, want := x.MemUsage(), zMemFromScratch(x); got != want {
			t.Fatalf("MemUsage %d, recomputed %d", got, want)
		}
	}
}

// zMemFromScratch recomputes what MemUsage keeps incrementally.
func zMemFromScratch(z *ZSet) int64 {
	m := int64(zsetHeader) + int64(z.dict.Buckets())*dictBucketSize + int64(len(z.head.Val.level))*zsetLevelSize
	for e := z.First(); e != nil; e = e.Val.Next() {
		m += zsetEntrySize + int64(len(e.Key)) + int64(len(e.Val.level)-1)*zsetLevelSize
	}
	return m
}

func TestZSetRanges(t *testing.T) {
	z := NewZSet()
	for i, m := range []string{"a", "b", "c", "d", "e"} {
		z.Insert([]byte(m), float64(i+1))
	}
	names := func(a, b *ZElem) string {
		if a == nil || b == nil {
			return "nil"
		}
		return a.Key + b.Key
	}
	inf := math.Inf(1)
	scoreCases := []struct {
		r    ScoreRange
		want string
	}{
		{ScoreRange{Min: -inf, Max: inf}, "ae"},
		{ScoreRange{Min: 2, Max: 4}, "bd"},
		{ScoreRange{Min: 2, Max: 4, MinEx: true, MaxEx: true}, "cc"},
		{ScoreRange{Min: 3, Max: 3, MinEx: true}, "nil"},
		{ScoreRange{Min: 4, Max: 2}, "nil"},
		{ScoreRange{Min: 6, Max: 9}, "nil"},
		{ScoreRange{Min: 1.5, Max: 1.7}, "nil"},
	}
	for _, tc := range scoreCases {
		if got := names(z.FirstInRange(&tc.r), z.LastInRange(&tc.r)); got != tc.want {
			t.Errorf("%+v: %s want %s", tc.r, got, tc.want)
		}
	}
	for _, m := range []string{"a", "b", "c", "d", "e"} {
		z.UpdateScore(z.Find([]byte(m)), 0)
	}
	lexCases := []struct {
		r    LexRange
		want string
	}{
		{LexRange{LexBound{Inf: -1}, LexBound{Inf: 1}}, "ae"},
		{LexRange{LexBound{Val: []byte("b")}, LexBound{Val: []byte("d"), Ex: true}}, "bc"},
		{LexRange{LexBound{Val: []byte("bb")}, LexBound{Val: []byte("c")}}, "cc"},
		{LexRange{LexBound{Inf: 1}, LexBound{Inf: -1}}, "nil"},
		{LexRange{LexBound{Inf: -1}, LexBound{Inf: -1}}, "nil"},
		{LexRange{LexBound{Val: []byte("c"), Ex: true}, LexBound{Val: []byte("c")}}, "nil"},
	}
	for _, tc := range lexCases {
		if got := names(z.FirstInLex(&tc.r), z.LastInLex(&tc.r)); got != tc.want {
			t.Errorf("%+v: %s want %s", tc.r, got, tc.want)
		}
	}
	r := LexRange{LexBound{Val: []byte("b")}, LexBound{Val: []byte("c")}}
	if n := z.DeleteRangeByLex(&r); n != 2 || z.Len() != 3 {
		t.Fatalf("DeleteRangeByLex=%d len %d", n, z.Len())
	}
}

func TestZSetEncoding(t *testing.T) {
	z := NewZSet()
	z.Grow(1, 2, 64)
	z.Insert([]byte("a"), math.Copysign(0, -1))
	if s, _ := z.Score([]byte("a")); math.Signbit(s) {
		t.Error("a listpack stores -0 as 0")
	}
	z.Grow(1, 2, 64)
	z.Insert([]byte("b"), 1)
	if z.Encoding() != "listpack" {
		t.Fatal(z.Encoding())
	}
	z.Grow(1, 2, 64)
	z.Insert([]byte("c"), 1)
	if z.Encoding() != "skiplist" {
		t.Fatal(z.Encoding())
	}
	z.UpdateScore(z.Find([]byte("a")), math.Copysign(0, -1))
	if s, _ := z.Score([]byte("a")); !math.Signbit(s) {
		t.Error("a skiplist keeps -0")
	}
	z.Delete([]byte("c"))
	if z.Encoding() != "skiplist" {
		t.Fatal("conversion is one way")
	}
	z.Fit(128, 64)
	if s, _ := z.Score([]byte("a")); z.Encoding() != "listpack" || math.Signbit(s) {
		t.Fatal("Fit must give a listpack without -0")
	}
	z.Fit(1, 64)
	if z.Encoding() != "skiplist" {
		t.Fatal("Fit over the entry limit")
	}
	if got := z.Elements(); len(got) != 2 || string(got[0]) != "a" || string(got[1]) != "b" {
		t.Fatalf("Elements %q", got)
	}
	seen := map[string]bool{}
	cur := uint64(0)
	for {
		cur = z.Scan(cur, func(e *ZElem) { seen[e.Key] = true })
		if cur == 0 {
			break
		}
	}
	if len(seen) != 2 {
		t.Fatalf("Scan saw %v", seen)
	}
}
