package keyspace

import (
	"bytes"
	"math/rand/v2"
)

// ZSet is a sorted set: members ordered by score, then by member bytes.
//
// Redis 7.0 keeps small sorted sets in a listpack (a flat array searched
// linearly) and large ones in a skiplist plus a dict. Both encodings order
// members the same way, so one structure serves both here: a Dict from
// member to its skiplist node (the node is the dict entry's value, one
// allocation per member) and a skiplist with span counts, which gives
// insert, delete, rank and rank lookup in O(log n). The encoding is kept as
// a flag for what depends on it: OBJECT ENCODING, ZSCAN (a listpack is
// returned in one call, in order), ZRANDMEMBER's sampling, and the score
// -0, which a listpack stores as 0. The conversion is one way, as in Redis.
type ZSet struct {
	dict     *Dict[ZNode]
	head     ZElem // header node: not in dict, its levels grow on demand
	tail     *ZElem
	level    int // levels in use
	length   int
	listpack bool
	bytes    int64 // sum of member lengths
	extra    int64 // level slots allocated beyond the inline one
}

// ZElem is one member of a sorted set: Key is the member, Val.Score its
// score. Callers must not change either.
type ZElem = Entry[ZNode]

// ZNode is the skiplist part of a member.
type ZNode struct {
	Score    float64
	backward *ZElem
	level    []zLevel
	inline   [1]zLevel // three nodes in four have one level: no allocation
}

type zLevel struct {
	forward *ZElem
	span    int
}

// Skiplist parameters of Redis (ZSKIPLIST_MAXLEVEL, ZSKIPLIST_P = 1/4).
const (
	zMaxLevel = 32
	zP        = 0xFFFF / 4
)

// Memory accounting: the value header, a member's dict entry with its
// inline skiplist level, each further level, and the dict buckets.
const (
	zsetHeader    = 96
	zsetEntrySize = 96
	zsetLevelSize = 16
)

// NewZSet returns an empty sorted set in the listpack encoding.
func NewZSet() *ZSet {
	z := &ZSet{dict: NewDict[ZNode](), level: 1, listpack: true}
	z.head.Val.level = z.head.Val.inline[:]
	return z
}

// NewSkiplistZSet returns an empty sorted set in the skiplist encoding,
// for sets built whole and then given their encoding by Fit.
func NewSkiplistZSet() *ZSet {
	z := NewZSet()
	z.listpack = false
	return z
}

// Next is the member after n in rank order, or nil.
func (n *ZNode) Next() *ZElem { return n.level[0].forward }

// Prev is the member before n in rank order, or nil.
func (n *ZNode) Prev() *ZElem { return n.backward }

// Kind implements Value.
func (z *ZSet) Kind() Kind { return KindZSet }

// Encoding implements Value: "listpack" or "skiplist".
func (z *ZSet) Encoding() string {
	if z.listpack {
		return "listpack"
	}
	return "skiplist"
}

// IsListpack reports whether the set is in the small encoding.
func (z *ZSet) IsListpack() bool { return z.listpack }

// MemUsage implements Value.
func (z *ZSet) MemUsage() int64 {
	return zsetHeader + int64(z.length)*zsetEntrySize + z.bytes + z.extra*zsetLevelSize +
		int64(z.dict.Buckets())*dictBucketSize + int64(len(z.head.Val.level))*zsetLevelSize
}

// Len implements Lener.
func (z *ZSet) Len() int { return z.length }

// Clone implements Value.
func (z *ZSet) Clone() Value {
	out := NewZSet()
	out.listpack = z.listpack
	for e := z.First(); e != nil; e = e.Val.Next() {
		out.Insert(stringBytes(e.Key), e.Val.Score)
	}
	return out
}

// Elements implements ElementLister: copies of the members in rank order.
func (z *ZSet) Elements() [][]byte {
	out := make([][]byte, 0, z.length)
	for e := z.First(); e != nil; e = e.Val.Next() {
		out = append(out, []byte(e.Key))
	}
	return out
}

// Grow prepares the insertion of a new member of n bytes: a listpack that
// would exceed maxEntries members or hold a member longer than maxValue
// becomes a skiplist, as Redis's zsetAdd converts before inserting.
func (z *ZSet) Grow(n, maxEntries, maxValue int) {
	if z.listpack && (z.length+1 > maxEntries || n > maxValue) {
		z.listpack = false
	}
}

// Fit chooses the encoding of a set built whole (ZUNIONSTORE and friends,
// ZRANGESTORE): a listpack when it is within both limits.
func (z *ZSet) Fit(maxEntries, maxValue int) {
	fits := z.length <= maxEntries
	for e := z.First(); fits && e != nil; e = e.Val.Next() {
		fits = len(e.Key) <= maxValue
	}
	z.listpack = fits
	if !fits {
		return
	}
	for e := z.First(); e != nil; e = e.Val.Next() {
		if e.Val.Score == 0 {
			e.Val.Score = 0 // a listpack stores -0 as 0
		}
	}
}

// Find returns the element of member, or nil.
func (z *ZSet) Find(member []byte) *ZElem { return z.dict.FindBytes(member) }

// Score returns the score of member.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if e := z.dict.FindBytes(member); e != nil {
		return e.Val.Score, true
	}
	return 0, false
}

// First is the member of lowest rank, or nil.
func (z *ZSet) First() *ZElem { return z.head.Val.level[0].forward }

// Last is the member of highest rank, or nil.
func (z *ZSet) Last() *ZElem { return z.tail }

func zRandomLevel() int {
	l := 1
	for l < zMaxLevel && rand.Uint32()&0xFFFF < zP {
		l++
	}
	return l
}

// zBefore reports whether x sorts before (score, member).
func zBefore(x *ZElem, score float64, member string) bool {
	return x.Val.Score < score || (x.Val.Score == score && x.Key < member)
}

func (z *ZSet) storeScore(f float64) float64 {
	if f == 0 && z.listpack {
		return 0
	}
	return f
}

// Insert adds member, or updates its score when present, and returns its
// element. The caller has called Grow.
func (z *ZSet) Insert(member []byte, score float64) *ZElem {
	h := z.dict.hashBytes(member)
	if e := z.findHashed(member, h); e != nil {
		return z.UpdateScore(e, score)
	}
	return z.insertHashed(member, h, score)
}

// InsertNew adds member unless it is present and reports whether it did,
// hashing member once (the RDB loader, which refuses duplicates).
func (z *ZSet) InsertNew(member []byte, score float64) bool {
	h := z.dict.hashBytes(member)
	if z.findHashed(member, h) != nil {
		return false
	}
	z.insertHashed(member, h, score)
	return true
}

// Reserve sizes an empty set's dict for n members (RDB load); small tells
// a set small enough to allocate the nodes of its short members in one
// block (Dict.ReserveEntries): three in four have one skiplist level.
func (z *ZSet) Reserve(n int, small bool) {
	z.dict.Reserve(n)
	if small {
		z.dict.ReserveEntries(n*3/4 + 1)
	}
}

func (z *ZSet) findHashed(member []byte, h uint64) *ZElem {
	if z.length == 0 {
		return nil
	}
	return z.dict.find(member, h)
}

// insertHashed adds the absent member, whose hash is h.
func (z *ZSet) insertHashed(member []byte, h uint64, score float64) *ZElem {
	lvl := zRandomLevel()
	var e *ZElem
	if lvl == 1 {
		e = z.dict.newEntry(member)
		e.Val.level = e.Val.inline[:]
	} else {
		e = newZElem(member, lvl)
	}
	z.dict.link(e, h)
	z.bytes += int64(len(e.Key))
	z.extra += int64(lvl - 1)
	z.link(e, z.storeScore(score))
	return e
}

// newZElem allocates a member with lvl > 1 skiplist levels. Levels beyond
// the inline one live in the same allocation as the node, as in Redis's
// zskiplistNode: a search walks the upper levels of the nodes it passes,
// and a separate array would cost one more cache miss per step. A node of
// one level, three in four, is a plain dict entry instead (insertHashed),
// which holds a short member in its own allocation.
func newZElem(member []byte, lvl int) *ZElem {
	var (
		e  *ZElem
		lv []zLevel
	)
	switch {
	case lvl <= 2:
		n := &struct {
			ZElem
			l [2]zLevel
		}{}
		e, lv = &n.ZElem, n.l[:]
	case lvl <= 4:
		n := &struct {
			ZElem
			l [4]zLevel
		}{}
		e, lv = &n.ZElem, n.l[:]
	case lvl <= 8:
		n := &struct {
			ZElem
			l [8]zLevel
		}{}
		e, lv = &n.ZElem, n.l[:]
	default:
		n := &struct {
			ZElem
			l [zMaxLevel]zLevel
		}{}
		e, lv = &n.ZElem, n.l[:]
	}
	e.Key = string(member)
	e.Val.level = lv[:lvl:lvl]
	return e
}

// link puts the unlinked node x at its place for score.
func (z *ZSet) link(x *ZElem, score float64) {
	var update [zMaxLevel]*ZElem
	var rank [zMaxLevel]int
	x.Val.Score = score
	cur := &z.head
	for i := z.level - 1; i >= 0; i-- {
		if i < z.level-1 {
			rank[i] = rank[i+1]
		}
		for f := cur.Val.level[i].forward; f != nil && zBefore(f, score, x.Key); f = cur.Val.level[i].forward {
			rank[i] += cur.Val.level[i].span
			cur = f
		}
		update[i] = cur
	}
	lvl := len(x.Val.level)
	for z.level < lvl {
		if len(z.head.Val.level) == z.level {
			z.head.Val.level = append(z.head.Val.level, zLevel{})
		}
		z.head.Val.level[z.level] = zLevel{span: z.length}
		update[z.level] = &z.head
		rank[z.level] = 0
		z.level++
	}
	for i := 0; i < lvl; i++ {
		ul := &update[i].Val.level[i]
		x.Val.level[i].forward = ul.forward
		ul.forward = x
		x.Val.level[i].span = ul.span - (rank[0] - rank[i])
		ul.span = rank[0] - rank[i] + 1
	}
	for i := lvl; i < z.level; i++ {
		update[i].Val.level[i].span++
	}
	if update[0] != &z.head {
		x.Val.backward = update[0]
	} else {
		x.Val.backward = nil
	}
	if f := x.Val.level[0].forward; f != nil {
		f.Val.backward = x
	} else {
		z.tail = x
	}
	z.length++
}

// unlink takes x out of the skiplist, leaving it in the dict.
func (z *ZSet) unlink(x *ZElem) {
	var update [zMaxLevel]*ZElem
	cur := &z.head
	for i := z.level - 1; i >= 0; i-- {
		for f := cur.Val.level[i].forward; f != nil && f != x && zBefore(f, x.Val.Score, x.Key); f = cur.Val.level[i].forward {
			cur = f
		}
		update[i] = cur
	}
	z.unlinkWith(x, &update)
}

func (z *ZSet) unlinkWith(x *ZElem, update *[zMaxLevel]*ZElem) {
	for i := 0; i < z.level; i++ {
		ul := &update[i].Val.level[i]
		if ul.forward == x {
			ul.span += x.Val.level[i].span - 1
			ul.forward = x.Val.level[i].forward
		} else {
			ul.span--
		}
	}
	if f := x.Val.level[0].forward; f != nil {
		f.Val.backward = x.Val.backward
	} else {
		z.tail = x.Val.backward
	}
	for z.level > 1 && z.head.Val.level[z.level-1].forward == nil {
		z.level--
	}
	z.length--
}

// UpdateScore changes the score of e, in place when its rank stays the
// same (Redis's zslUpdateScore), and returns e.
func (z *ZSet) UpdateScore(e *ZElem, score float64) *ZElem {
	score = z.storeScore(score)
	prev, next := e.Val.backward, e.Val.level[0].forward
	if (prev == nil || prev.Val.Score < score) && (next == nil || next.Val.Score > score) {
		e.Val.Score = score
		return e
	}
	z.unlink(e)
	for i := range e.Val.level {
		e.Val.level[i] = zLevel{}
	}
	z.link(e, score)
	return e
}

// Remove deletes the element e.
func (z *ZSet) Remove(e *ZElem) {
	z.unlink(e)
	z.forget(e)
	z.dict.ShrinkIfNeeded()
}

// forget drops an unlinked element from the dict and the accounting.
func (z *ZSet) forget(e *ZElem) {
	z.dict.Delete(stringBytes(e.Key))
	z.bytes -= int64(len(e.Key))
	z.extra -= int64(len(e.Val.level) - 1)
}

// Delete removes member and reports whether it was present.
func (z *ZSet) Delete(member []byte) bool {
	e := z.dict.FindBytes(member)
	if e == nil {
		return false
	}
	z.Remove(e)
	return true
}

// Rank is the 0-based rank of e.
func (z *ZSet) Rank(e *ZElem) int {
	rank := 0
	cur := &z.head
	for i := z.level - 1; i >= 0; i-- {
		for f := cur.Val.level[i].forward; f != nil && (f == e || zBefore(f, e.Val.Score, e.Key)); f = cur.Val.level[i].forward {
			rank += cur.Val.level[i].span
			cur = f
		}
		if cur == e {
			return rank - 1
		}
	}
	return -1
}

// ByRank returns the element of 0-based rank r, or nil.
func (z *ZSet) ByRank(r int) *ZElem {
	if r < 0 || r >= z.length {
		return nil
	}
	cur, traversed := z.descendToRank(r+1, nil)
	if traversed != r+1 {
		return nil
	}
	return cur
}

// descendToRank walks down to the node of 1-based rank r (the header for
// 0), recording in update, when given, the last node of each level.
func (z *ZSet) descendToRank(r int, update *[zMaxLevel]*ZElem) (*ZElem, int) {
	traversed := 0
	cur := &z.head
	for i := z.level - 1; i >= 0; i-- {
		for cur.Val.level[i].forward != nil && traversed+cur.Val.level[i].span <= r {
			traversed += cur.Val.level[i].span
			cur = cur.Val.level[i].forward
		}
		if update != nil {
			update[i] = cur
		}
	}
	return cur, traversed
}

// ScoreRange is a score interval; MinEx and MaxEx make a bound exclusive.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// GteMin reports whether f is above the lower bound.
func (r *ScoreRange) GteMin(f float64) bool {
	if r.MinEx {
		return f > r.Min
	}
	return f >= r.Min
}

// LteMax reports whether f is below the upper bound.
func (r *ScoreRange) LteMax(f float64) bool {
	if r.MaxEx {
		return f < r.Max
	}
	return f <= r.Max
}

func (r *ScoreRange) empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// LexBound is one end of a ZRANGEBYLEX interval: "-" (Inf < 0), "+"
// (Inf > 0), or a member, inclusive or exclusive (Ex).
type LexBound struct {
	Val []byte
	Inf int8
	Ex  bool
}

// LexRange is a member interval.
type LexRange struct{ Min, Max LexBound }

// lexCmp compares a member with a bound, as sdscmplex does.
func lexCmp(m string, b *LexBound) int {
	switch {
	case b.Inf < 0:
		return 1
	case b.Inf > 0:
		return -1
	}
	return bytes.Compare(stringBytes(m), b.Val)
}

// GteMin reports whether m is above the lower bound.
func (r *LexRange) GteMin(m string) bool {
	c := lexCmp(m, &r.Min)
	if r.Min.Ex {
		return c > 0
	}
	return c >= 0
}

// LteMax reports whether m is below the upper bound.
func (r *LexRange) LteMax(m string) bool {
	c := lexCmp(m, &r.Max)
	if r.Max.Ex {
		return c < 0
	}
	return c <= 0
}

func (r *LexRange) empty() bool {
	var c int
	a, b := &r.Min, &r.Max
	switch {
	case a.Inf != 0 && a.Inf == b.Inf:
		c = 0
	case a.Inf < 0 || b.Inf > 0:
		c = -1
	case a.Inf > 0 || b.Inf < 0:
		c = 1
	default:
		c = bytes.Compare(a.Val, b.Val)
	}
	return c > 0 || (c == 0 && (a.Ex || b.Ex))
}

// firstWhere descends the skiplist past the members for which out is true
// and returns the member after them (Redis's zslFirstInRange walk).
func (z *ZSet) firstWhere(out func(e *ZElem) bool) *ZElem {
	cur := &z.head
	for i := z.level - 1; i >= 0; i-- {
		for f := cur.Val.level[i].forward; f != nil && out(f); f = cur.Val.level[i].forward {
			cur = f
		}
	}
	return cur.Val.level[0].forward
}

// lastWhere descends past the members for which in is true and returns
// the last of them, or nil (Redis's zslLastInRange walk).
func (z *ZSet) lastWhere(in func(e *ZElem) bool) *ZElem {
	cur := &z.head
	for i := z.level - 1; i >= 0; i-- {
		for f := cur.Val.level[i].forward; f != nil && in(f); f = cur.Val.level[i].forward {
			cur = f
		}
	}
	if cur == &z.head {
		return nil
	}
	return cur
}

func (z *ZSet) inScoreRange(r *ScoreRange) bool {
	return !r.empty() && z.tail != nil && r.GteMin(z.tail.Val.Score) && r.LteMax(z.First().Val.Score)
}

// FirstInRange is the lowest member with a score in r, or nil.
func (z *ZSet) FirstInRange(r *ScoreRange) *ZElem {
	if !z.inScoreRange(r) {
		return nil
	}
	e := z.firstWhere(func(e *ZElem) bool { return !r.GteMin(e.Val.Score) })
	if e == nil || !r.LteMax(e.Val.Score) {
		return nil
	}
	return e
}

// LastInRange is the highest member with a score in r, or nil.
func (z *ZSet) LastInRange(r *ScoreRange) *ZElem {
	if !z.inScoreRange(r) {
		return nil
	}
	e := z.lastWhere(func(e *ZElem) bool { return r.LteMax(e.Val.Score) })
	if e == nil || !r.GteMin(e.Val.Score) {
		return nil
	}
	return e
}

func (z *ZSet) inLexRange(r *LexRange) bool {
	return !r.empty() && z.tail != nil && r.GteMin(z.tail.Key) && r.LteMax(z.First().Key)
}

// FirstInLex is the first member in r, or nil. Lex ranges assume equal
// scores; with mixed scores the walk is Redis's: linear in a listpack
// (zzlFirstInLexRange), down the skiplist otherwise.
func (z *ZSet) FirstInLex(r *LexRange) *ZElem {
	if !z.inLexRange(r) {
		return nil
	}
	var e *ZElem
	if z.listpack {
		for e = z.First(); e != nil && !r.GteMin(e.Key); e = e.Val.Next() {
		}
	} else {
		e = z.firstWhere(func(e *ZElem) bool { return !r.GteMin(e.Key) })
	}
	if e == nil || !r.LteMax(e.Key) {
		return nil
	}
	return e
}

// LastInLex is the last member in r, or nil (see FirstInLex).
func (z *ZSet) LastInLex(r *LexRange) *ZElem {
	if !z.inLexRange(r) {
		return nil
	}
	var e *ZElem
	if z.listpack {
		for e = z.tail; e != nil && !r.LteMax(e.Key); e = e.Val.Prev() {
		}
	} else {
		e = z.lastWhere(func(e *ZElem) bool { return r.LteMax(e.Key) })
	}
	if e == nil || !r.GteMin(e.Key) {
		return nil
	}
	return e
}

// deleteFrom removes, starting at the first member for which before is
// false (before must be monotonic in rank order), the members for which in
// is true, and returns how many.
func (z *ZSet) deleteFrom(before, in func(e *ZElem) bool) int {
	var update [zMaxLevel]*ZElem
	cur := &z.head
	for i := z.level - 1; i >= 0; i-- {
		for f := cur.Val.level[i].forward; f != nil && before(f); f = cur.Val.level[i].forward {
			cur = f
		}
		update[i] = cur
	}
	return z.deleteRun(cur.Val.level[0].forward, &update, in)
}

func (z *ZSet) deleteRun(x *ZElem, update *[zMaxLevel]*ZElem, in func(e *ZElem) bool) int {
	n := 0
	for ; x != nil && in(x); n++ {
		next := x.Val.level[0].forward
		z.unlinkWith(x, update)
		z.forget(x)
		x = next
	}
	if n > 0 {
		z.dict.ShrinkIfNeeded()
	}
	return n
}

// DeleteRangeByScore removes the members with a score in r.
func (z *ZSet) DeleteRangeByScore(r *ScoreRange) int {
	return z.deleteFrom(func(e *ZElem) bool { return !r.GteMin(e.Val.Score) },
		func(e *ZElem) bool { return r.LteMax(e.Val.Score) })
}

// DeleteRangeByLex removes the members in r, from the first one FirstInLex
// finds while they stay below the upper bound.
func (z *ZSet) DeleteRangeByLex(r *LexRange) int {
	if z.listpack {
		n := 0
		for e := z.FirstInLex(r); e != nil && r.LteMax(e.Key); n++ {
			next := e.Val.Next()
			z.Remove(e)
			e = next
		}
		return n
	}
	return z.deleteFrom(func(e *ZElem) bool { return !r.GteMin(e.Key) },
		func(e *ZElem) bool { return r.LteMax(e.Key) })
}

// DeleteRangeByRank removes the members of 0-based ranks start..end
// (inclusive, within bounds).
func (z *ZSet) DeleteRangeByRank(start, end int) int {
	var update [zMaxLevel]*ZElem
	cur, _ := z.descendToRank(start, &update)
	left := end - start + 1
	return z.deleteRun(cur.Val.level[0].forward, &update, func(*ZElem) bool {
		left--
		return left >= 0
	})
}

// Scan visits the members of one step of a SCAN of the dict and returns the
// next cursor (see Dict.Scan).
func (z *ZSet) Scan(cursor uint64, fn func(e *ZElem)) uint64 {
	return z.dict.Scan(cursor, fn)
}

// Random returns a uniformly chosen member of a non-empty set.
func (z *ZSet) Random(r *rand.Rand) *ZElem { return z.ByRank(r.IntN(z.length)) }
