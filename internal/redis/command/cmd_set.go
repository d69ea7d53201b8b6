package command

import (
	"sort"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

func init() {
	register(func(e *Engine) {
		k1, kAll := KeySpec{1, 1, 1}, KeySpec{1, -1, 1}
		e.Table.Add(
			&Command{Name: "sadd", Arity: -3, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "set", Since: "1.0.0", Summary: "Add one or more members to a set", Handler: cmdSAdd},
			&Command{Name: "srem", Arity: -3, Flags: Write | Fast, Keys: k1, Group: "set", Since: "1.0.0", Summary: "Remove one or more members from a set", Handler: cmdSRem},
			&Command{Name: "smove", Arity: 4, Flags: Write | Fast, Keys: KeySpec{1, 2, 1}, Group: "set", Since: "1.0.0", Summary: "Move a member from one set to another", Handler: cmdSMove},
			&Command{Name: "sismember", Arity: 3, Flags: ReadOnly | Fast, Keys: k1, Group: "set", Since: "1.0.0", Summary: "Determine if a given value is a member of a set", Handler: cmdSIsMember},
			&Command{Name: "smismember", Arity: -3, Flags: ReadOnly | Fast, Keys: k1, Group: "set", Since: "6.2.0", Summary: "Returns the membership associated with the given elements for a set", Handler: cmdSMIsMember},
			&Command{Name: "scard", Arity: 2, Flags: ReadOnly | Fast, Keys: k1, Group: "set", Since: "1.0.0", Summary: "Get the number of members in a set", Handler: cmdSCard},
			&Command{Name: "spop", Arity: -2, Flags: Write | Fast, Keys: k1, Group: "set", Since: "1.0.0", Summary: "Remove and return one or multiple random members from a set", Handler: cmdSPop},
			&Command{Name: "srandmember", Arity: -2, Flags: ReadOnly, Keys: k1, Group: "set", Since: "1.0.0", Summary: "Get one or multiple random members from a set", Handler: cmdSRandMember},
			&Command{Name: "smembers", Arity: 2, Flags: ReadOnly, Keys: k1, Group: "set", Since: "1.0.0", Summary: "Get all the members in a set", Handler: cmdSInter},
			&Command{Name: "sinter", Arity: -2, Flags: ReadOnly, Keys: kAll, Group: "set", Since: "1.0.0", Summary: "Intersect multiple sets", Handler: cmdSInter},
			&Command{Name: "sintercard", Arity: -3, Flags: ReadOnly, KeysFunc: listNumKeys(1), Group: "set", Since: "7.0.0", Summary: "Intersect multiple sets and return the cardinality of the result", Handler: cmdSInterCard},
			&Command{Name: "sinterstore", Arity: -3, Flags: Write | DenyOOM, Keys: kAll, Group: "set", Since: "1.0.0", Summary: "Intersect multiple sets and store the resulting set in a key", Handler: cmdSInterStore},
			&Command{Name: "sunion", Arity: -2, Flags: ReadOnly, Keys: kAll, Group: "set", Since: "1.0.0", Summary: "Add multiple sets", Handler: cmdSUnion},
			&Command{Name: "sunionstore", Arity: -3, Flags: Write | DenyOOM, Keys: kAll, Group: "set", Since: "1.0.0", Summary: "Add multiple sets and store the resulting set in a key", Handler: cmdSUnionStore},
			&Command{Name: "sdiff", Arity: -2, Flags: ReadOnly, Keys: kAll, Group: "set", Since: "1.0.0", Summary: "Subtract multiple sets", Handler: cmdSDiff},
			&Command{Name: "sdiffstore", Arity: -3, Flags: Write | DenyOOM, Keys: kAll, Group: "set", Since: "1.0.0", Summary: "Subtract multiple sets and store the resulting set in a key", Handler: cmdSDiffStore},
			&Command{Name: "sscan", Arity: -3, Flags: ReadOnly, Keys: k1, Group: "set", Since: "2.8.0", Summary: "Incrementally iterate Set elements", Handler: cmdSScan},
		)
	})
}

// Error texts of t_set.c that errors.go does not hold.
const (
	errSetNumKeys       = "ERR numkeys should be greater than 0"
	errSetNumKeysArgs   = "ERR Number of keys can't be greater than number of args"
	errSetLimitNegative = "ERR LIMIT can't be negative"
)

// Commands SPOP propagates as (Redis's shared objects).
var (
	setSRem = []byte("SREM")
	setDel  = []byte("DEL")
)

// SPOP and SRANDMEMBER switch strategies at these ratios of the set size
// to the count, as t_set.c; SPOP's choice decides the encoding of what
// remains.
const (
	spopMoveStrategyMul       = 5
	srandmemberSubStrategyMul = 3
)

// setEntry looks key up for reading or writing. s is nil when the key is
// missing; ok is false, with WRONGTYPE replied, when it holds another type.
func (c *Client) setEntry(key []byte, write bool) (e *keyspace.KeyEntry, s *keyspace.Set, ok bool) {
	if write {
		e = c.DB.LookupWrite(key)
	} else {
		e = c.DB.LookupRead(key)
	}
	s, ok = c.asSet(e)
	return e, s, ok
}

func (c *Client) asSet(e *keyspace.KeyEntry) (*keyspace.Set, bool) {
	if e == nil {
		return nil, true
	}
	s, ok := e.Val.Val.(*keyspace.Set)
	if !ok {
		c.Error(ErrWrongType)
	}
	return s, ok
}

func (c *Client) setForRead(key []byte) (*keyspace.Set, bool) {
	_, s, ok := c.setEntry(key, false)
	return s, ok
}

func (c *Client) setForWrite(key []byte) (*keyspace.Set, bool) {
	_, s, ok := c.setEntry(key, true)
	return s, ok
}

// setAdd adds m with the configured intset limit.
func (c *Client) setAdd(s *keyspace.Set, m []byte) bool {
	return s.Add(m, c.E.Cfg.SetMaxIntsetEntries)
}

func cmdSAdd(c *Client, args [][]byte) {
	key := args[1]
	s, ok := c.setForWrite(key)
	if !ok {
		return
	}
	if s == nil {
		s = keyspace.NewSetFor(args[2])
		c.DB.Add(key, s)
	}
	added := int64(0)
	for _, m := range args[2:] {
		if c.setAdd(s, m) {
			added++
		}
	}
	if added > 0 {
		c.Modified(key)
		c.AddDirty(added - 1)
	}
	c.W.Int(added)
}

// cmdSRem stops at the member that empties the set, as Redis.
func cmdSRem(c *Client, args [][]byte) {
	key := args[1]
	s, ok := c.setForWrite(key)
	if !ok {
		return
	}
	removed := int64(0)
	if s != nil {
		for _, m := range args[2:] {
			if s.Remove(m) {
				removed++
				if s.Len() == 0 {
					break
				}
			}
		}
	}
	if removed > 0 {
		c.Modified(key)
		c.AddDirty(removed - 1)
	}
	c.W.Int(removed)
}

// cmdSMove looks both keys up before checking their types, and a missing
// source answers 0 whatever the destination holds, as Redis.
func cmdSMove(c *Client, args [][]byte) {
	srcKey, dstKey, m := args[1], args[2], args[3]
	srcEntry := c.DB.LookupWrite(srcKey)
	dstEntry := c.DB.LookupWrite(dstKey)
	if srcEntry == nil {
		c.W.Int(0)
		return
	}
	src, ok := c.asSet(srcEntry)
	if !ok {
		return
	}
	var dst *keyspace.Set
	if dst, ok = c.asSet(dstEntry); !ok {
		return
	}
	if dstEntry == srcEntry {
		c.replyBool01(src.Has(m))
		return
	}
	if !src.Remove(m) {
		c.W.Int(0)
		return
	}
	if dst == nil {
		dst = keyspace.NewSetFor(m)
		c.DB.Add(dstKey, dst)
	}
	c.Modified(srcKey)
	if c.setAdd(dst, m) {
		c.Modified(dstKey)
	}
	c.W.Int(1)
}

// replyBool01 writes :1 or :0 (Redis's shared.cone / czero, integers in
// RESP3 too).
func (c *Client) replyBool01(b bool) {
	if b {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
}

func cmdSIsMember(c *Client, args [][]byte) {
	s, ok := c.setForRead(args[1])
	if !ok {
		return
	}
	c.replyBool01(s != nil && s.Has(args[2]))
}

func cmdSMIsMember(c *Client, args [][]byte) {
	s, ok := c.setForRead(args[1])
	if !ok {
		return
	}
	c.W.Array(len(args) - 2)
	for _, m := range args[2:] {
		c.replyBool01(s != nil && s.Has(m))
	}
}

func cmdSCard(c *Client, args [][]byte) {
	s, ok := c.setForRead(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s.Len()))
}

// cmdSPop without a count propagates as SREM key member, even when it
// empties the set.
func cmdSPop(c *Client, args [][]byte) {
	if len(args) == 3 {
		c.spopCount(args[1], args[2])
		return
	}
	if len(args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	key := args[1]
	s, ok := c.setForWrite(key)
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
		return
	}
	var buf [20]byte
	m := s.Random(c.E.KS.Rand, buf[:0])
	s.Remove(m)
	c.Propagate(setSRem, key, m)
	c.Modified(key)
	c.W.Bulk(m)
}

// spopCount is SPOP with a count, after spopWithCountCommand: the whole set
// (replied as SUNION would, propagated as DEL) when the count covers it;
// otherwise members popped one by one, or, when few are to remain, the
// remaining ones moved to a new set and the rest replied. Each popped
// member propagates as its own SREM.
func (c *Client) spopCount(key, countArg []byte) {
	n, ok := ParseInt(countArg)
	if !ok || n < 0 {
		c.Error(ErrNegativeCount)
		return
	}
	e, s, ok := c.setEntry(key, true)
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.W.Set(0)
		return
	}
	size := int64(s.Len())
	if n >= size {
		c.replyMembers(c.setUnionDiff([]*keyspace.Set{s}, false), c.W.Set)
		c.DB.Delete(key)
		c.Propagate(setDel, key)
		c.Modified(key)
		c.AddDirty(size - 1)
		return
	}
	r := c.E.KS.Rand
	c.W.Set(int(n))
	if remaining := size - n; remaining*spopMoveStrategyMul > n {
		var buf [20]byte
		for i := int64(0); i < n; i++ {
			m := s.Random(r, buf[:0])
			c.W.Bulk(m)
			c.Propagate(setSRem, key, m)
			s.Remove(m)
		}
	} else {
		var kept *keyspace.Set
		var buf [20]byte
		for ; remaining > 0; remaining-- {
			m := s.Random(r, buf[:0])
			if kept == nil {
				kept = keyspace.NewSetFor(m)
			}
			c.setAdd(kept, m)
			s.Remove(m)
		}
		s.Each(func(m []byte) bool {
			c.W.Bulk(m)
			c.Propagate(setSRem, key, m)
			return true
		})
		e.Val.Val = kept
	}
	c.Modified(key)
	c.AddDirty(n - 1)
}

func cmdSRandMember(c *Client, args [][]byte) {
	if len(args) == 3 {
		c.srandMemberCount(args[1], args[2])
		return
	}
	if len(args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	s, ok := c.setForRead(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
		return
	}
	var buf [20]byte
	c.W.Bulk(s.Random(c.E.KS.Rand, buf[:0]))
}

// srandMemberCount is SRANDMEMBER with a count (an array, not a set): a
// negative count draws with repetition, a positive one distinct members,
// the whole set in its order when it asks for as many.
func (c *Client) srandMemberCount(key, countArg []byte) {
	n, ok := c.parseRandCount(countArg)
	if !ok {
		return
	}
	s, ok := c.setForRead(key)
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.W.Array(0)
		return
	}
	r := c.E.KS.Rand
	var buf [20]byte
	size := int64(s.Len())
	count := n
	if count < 0 {
		count = -count
	}
	switch {
	case n < 0 || count == 1:
		c.W.Array(int(count))
		for ; count > 0 && !c.randReplyFull(); count-- {
			c.W.Bulk(s.Random(r, buf[:0]))
		}
	case count >= size:
		c.replyMembers(s, c.W.Array)
	case count*srandmemberSubStrategyMul > size:
		all := s.Elements()
		partialShuffle(r.IntN, len(all), int(count), func(i, j int) { all[i], all[j] = all[j], all[i] })
		c.W.Array(int(count))
		for _, m := range all[:count] {
			c.W.Bulk(m)
		}
	default:
		c.W.Array(int(count))
		seen := make(map[string]struct{}, count)
		for int64(len(seen)) < count {
			m := s.Random(r, buf[:0])
			if _, dup := seen[string(m)]; !dup {
				seen[string(m)] = struct{}{}
				c.W.Bulk(m)
			}
		}
	}
}

// replyMembers writes every member of s under the header written by
// header (c.W.Set or c.W.Array).
func (c *Client) replyMembers(s *keyspace.Set, header func(n int)) {
	header(s.Len())
	s.Each(func(m []byte) bool {
		c.W.Bulk(m)
		return true
	})
}

// setsForRead looks up the source keys of the set algebra commands:
// missing keys are nil; ok is false, with WRONGTYPE replied, when one
// holds another type.
func (c *Client) setsForRead(keys [][]byte) (sets []*keyspace.Set, missing bool, ok bool) {
	sets = make([]*keyspace.Set, len(keys))
	for i, k := range keys {
		s, ok := c.setForRead(k)
		if !ok {
			return nil, false, false
		}
		if s == nil {
			missing = true
		}
		sets[i] = s
	}
	return sets, missing, true
}

func cmdSInter(c *Client, args [][]byte)      { c.sinter(args[1:], nil, false, 0) }
func cmdSInterStore(c *Client, args [][]byte) { c.sinter(args[2:], args[1], false, 0) }

func cmdSInterCard(c *Client, args [][]byte) {
	numkeys, ok := ParseInt(args[1])
	if !ok || numkeys < 1 {
		c.Error(errSetNumKeys)
		return
	}
	if numkeys > int64(len(args)-2) {
		c.Error(errSetNumKeysArgs)
		return
	}
	var limit int64
	for i := 2 + int(numkeys); i < len(args); i++ {
		if !EqualFold(args[i], "limit") || i+1 == len(args) {
			c.Error(ErrSyntax)
			return
		}
		i++
		if limit, ok = ParseInt(args[i]); !ok || limit < 0 {
			c.Error(errSetLimitNegative)
			return
		}
	}
	c.sinter(args[2:2+numkeys], nil, true, limit)
}

// sinter is sinterGenericCommand: the members of the smallest set found
// in all the others, replied in that set's order (SINTER, SMEMBERS),
// counted up to limit (SINTERCARD, 0 for no limit) or stored in dst
// (SINTERSTORE, which deletes dst when the result is empty). A missing key
// makes the result empty.
func (c *Client) sinter(keys [][]byte, dst []byte, cardOnly bool, limit int64) {
	sets, missing, ok := c.setsForRead(keys)
	if !ok {
		return
	}
	switch {
	case missing && dst != nil:
		c.storeSet(dst, nil)
		return
	case missing && cardOnly:
		c.W.Int(0)
		return
	case missing:
		c.W.Set(0)
		return
	case len(sets) == 1 && dst == nil && !cardOnly:
		c.replyMembers(sets[0], c.W.Set)
		return
	}
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].Len() < sets[j].Len() })
	var result *keyspace.Set
	if dst != nil {
		result = keyspace.NewSet()
	}
	var found memberList
	card := int64(0)
	sets[0].Each(func(m []byte) bool {
		for _, other := range sets[1:] {
			if other != sets[0] && !other.Has(m) {
				return true
			}
		}
		card++
		switch {
		case cardOnly:
			return limit == 0 || card < limit
		case dst != nil:
			c.setAdd(result, m)
		default:
			found.add(m)
		}
		return true
	})
	switch {
	case cardOnly:
		c.W.Int(card)
	case dst != nil:
		c.storeSet(dst, result)
	default:
		c.W.Set(found.len())
		found.each(c.W.Bulk)
	}
}

// storeSet stores the result of a *STORE command in dst (removing any
// expiry) and replies its size; an empty result deletes dst instead.
func (c *Client) storeSet(dst []byte, s *keyspace.Set) {
	if s == nil || s.Len() == 0 {
		if c.DB.Delete(dst) {
			c.Modified(dst)
		}
		c.W.Int(0)
		return
	}
	c.DB.Set(dst, s, false)
	c.Modified(dst)
	c.W.Int(int64(s.Len()))
}

func cmdSUnion(c *Client, args [][]byte)      { c.sunionDiff(args[1:], nil, false) }
func cmdSUnionStore(c *Client, args [][]byte) { c.sunionDiff(args[2:], args[1], false) }
func cmdSDiff(c *Client, args [][]byte)       { c.sunionDiff(args[1:], nil, true) }
func cmdSDiffStore(c *Client, args [][]byte)  { c.sunionDiff(args[2:], args[1], true) }

// sunionDiff replies or stores the union or difference of the sets at
// keys (missing keys are empty sets).
func (c *Client) sunionDiff(keys [][]byte, dst []byte, diff bool) {
	sets, _, ok := c.setsForRead(keys)
	if !ok {
		return
	}
	result := c.setUnionDiff(sets, diff)
	if dst != nil {
		c.storeSet(dst, result)
		return
	}
	c.replyMembers(result, c.W.Set)
}

// setUnionDiff computes a union or difference as sunionDiffGenericCommand
// does, into a new set that starts as an intset: its encoding, and so the
// order of the reply, is the one Redis gets. For a difference Redis picks
// between two algorithms by the work each would do; the choice shows in
// the encoding of the result, so it is made the same way.
func (c *Client) setUnionDiff(sets []*keyspace.Set, diff bool) *keyspace.Set {
	result := keyspace.NewSet()
	if !diff {
		for _, s := range sets {
			if s != nil {
				s.Each(func(m []byte) bool { c.setAdd(result, m); return true })
			}
		}
		return result
	}
	first := sets[0]
	if first == nil {
		return result
	}
	var algoOne, algoTwo int64
	for i, s := range sets {
		if s == nil {
			continue
		}
		if i > 0 && s == first {
			return result // a key subtracted from itself
		}
		algoOne += int64(first.Len())
		algoTwo += int64(s.Len())
	}
	if algoOne/2 <= algoTwo {
		others := sets[1:]
		first.Each(func(m []byte) bool {
			for _, s := range others {
				if s != nil && s.Has(m) {
					return true
				}
			}
			c.setAdd(result, m)
			return true
		})
		return result
	}
	first.Each(func(m []byte) bool { c.setAdd(result, m); return true })
	for _, s := range sets[1:] {
		if s == nil {
			continue
		}
		s.Each(func(m []byte) bool {
			result.Remove(m)
			return result.Len() > 0
		})
		if result.Len() == 0 {
			break
		}
	}
	return result
}

func cmdSScan(c *Client, args [][]byte) {
	if _, ok := parseCursor(args[2]); !ok {
		c.Error(ErrCursor)
		return
	}
	s, ok := c.setForRead(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.scanReply(0, nil)
		return
	}
	c.scanContainer(args, false, func(cursor uint64, fn func(a, b []byte)) uint64 {
		return s.Scan(cursor, func(m []byte) { fn(m, nil) })
	})
}

// memberList collects members in one buffer: the intersection is replied
// after it is counted, and intset members are formatted into a scratch
// buffer that Each reuses.
type memberList struct {
	buf  []byte
	ends []int
}

func (l *memberList) add(m []byte) {
	l.buf = append(l.buf, m...)
	l.ends = append(l.ends, len(l.buf))
}

func (l *memberList) len() int { return len(l.ends) }

func (l *memberList) each(fn func(m []byte)) {
	start := 0
	for _, end := range l.ends {
		fn(l.buf[start:end:end])
		start = end
	}
}
