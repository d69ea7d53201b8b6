package command

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/resp"
)

// The sorted-set commands (t_zset.c). This file holds the table, the
// argument parsers shared by the group, and the single-key commands; the
// range commands, the pops and the multi-key operations have files of
// their own.

func init() {
	register(func(e *Engine) {
		const g = "sorted-set"
		rw := Write | DenyOOM
		e.Table.Add(
			&Command{Name: "zadd", Arity: -4, Flags: rw | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "1.2.0", Summary: "Add one or more members to a sorted set, or update its score if it already exists", Handler: cmdZAdd},
			&Command{Name: "zincrby", Arity: 4, Flags: rw | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "1.2.0", Summary: "Increment the score of a member in a sorted set", Handler: cmdZIncrBy},
			&Command{Name: "zrem", Arity: -3, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "1.2.0", Summary: "Remove one or more members from a sorted set", Handler: cmdZRem},
			&Command{Name: "zcard", Arity: 2, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "1.2.0", Summary: "Get the number of members in a sorted set", Handler: cmdZCard},
			&Command{Name: "zscore", Arity: 3, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "1.2.0", Summary: "Get the score associated with the given member in a sorted set", Handler: cmdZScore},
			&Command{Name: "zmscore", Arity: -3, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "6.2.0", Summary: "Get the score associated with the given members in a sorted set", Handler: cmdZMScore},
			&Command{Name: "zrank", Arity: 3, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "2.0.0", Summary: "Determine the index of a member in a sorted set", Handler: cmdZRank},
			&Command{Name: "zrevrank", Arity: 3, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "2.0.0", Summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", Handler: cmdZRevRank},
			&Command{Name: "zcount", Arity: 4, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "2.0.0", Summary: "Count the members in a sorted set with scores within the given values", Handler: cmdZCount},
			&Command{Name: "zlexcount", Arity: 4, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "2.8.9", Summary: "Count the number of members in a sorted set between a given lexicographical range", Handler: cmdZLexCount},
			&Command{Name: "zrandmember", Arity: -2, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: g, Since: "6.2.0", Summary: "Get one or multiple random elements from a sorted set", Handler: cmdZRandMember},
			&Command{Name: "zscan", Arity: -3, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: g, Since: "2.8.0", Summary: "Incrementally iterate sorted sets elements and associated scores", Handler: cmdZScan},

			&Command{Name: "zrange", Arity: -4, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: g, Since: "1.2.0", Summary: "Return a range of members in a sorted set", Handler: cmdZRange},
			&Command{Name: "zrangestore", Arity: -5, Flags: rw, Keys: KeySpec{1, 2, 1}, Group: g, Since: "6.2.0", Summary: "Store a range of members from sorted set into another key", Handler: cmdZRangeStore},
			&Command{Name: "zrevrange", Arity: -4, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: g, Since: "1.2.0", Summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", Handler: cmdZRevRange},
			&Command{Name: "zrangebyscore", Arity: -4, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: g, Since: "1.0.5", Summary: "Return a range of members in a sorted set, by score", Handler: cmdZRangeByScore},
			&Command{Name: "zrevrangebyscore", Arity: -4, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: g, Since: "2.2.0", Summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", Handler: cmdZRevRangeByScore},
			&Command{Name: "zrangebylex", Arity: -4, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: g, Since: "2.8.9", Summary: "Return a range of members in a sorted set, by lexicographical range", Handler: cmdZRangeByLex},
			&Command{Name: "zrevrangebylex", Arity: -4, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: g, Since: "2.8.9", Summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", Handler: cmdZRevRangeByLex},
			&Command{Name: "zremrangebyrank", Arity: 4, Flags: Write, Keys: KeySpec{1, 1, 1}, Group: g, Since: "2.0.0", Summary: "Remove all members in a sorted set within the given indexes", Handler: cmdZRemRangeByRank},
			&Command{Name: "zremrangebyscore", Arity: 4, Flags: Write, Keys: KeySpec{1, 1, 1}, Group: g, Since: "1.2.0", Summary: "Remove all members in a sorted set within the given scores", Handler: cmdZRemRangeByScore},
			&Command{Name: "zremrangebylex", Arity: 4, Flags: Write, Keys: KeySpec{1, 1, 1}, Group: g, Since: "2.8.9", Summary: "Remove all members in a sorted set between the given lexicographical range", Handler: cmdZRemRangeByLex},

			&Command{Name: "zpopmin", Arity: -2, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "5.0.0", Summary: "Remove and return members with the lowest scores in a sorted set", Handler: cmdZPopMin},
			&Command{Name: "zpopmax", Arity: -2, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: g, Since: "5.0.0", Summary: "Remove and return members with the highest scores in a sorted set", Handler: cmdZPopMax},
			&Command{Name: "zmpop", Arity: -4, Flags: Write, KeysFunc: zNumKeys(1, false), Group: g, Since: "7.0.0", Summary: "Remove and return members with scores in a sorted set", Handler: cmdZMPop},
			&Command{Name: "bzpopmin", Arity: -3, Flags: Write | NoScript | Blocking | Fast, Keys: KeySpec{1, -2, 1}, Group: g, Since: "5.0.0", Summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", Handler: cmdBZPopMin},
			&Command{Name: "bzpopmax", Arity: -3, Flags: Write | NoScript | Blocking | Fast, Keys: KeySpec{1, -2, 1}, Group: g, Since: "5.0.0", Summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", Handler: cmdBZPopMax},
			&Command{Name: "bzmpop", Arity: -5, Flags: Write | Blocking, KeysFunc: zNumKeys(2, false), Group: g, Since: "7.0.0", Summary: "Remove and return members with scores in a sorted set or block until one is available", Handler: cmdBZMPop},

			&Command{Name: "zunion", Arity: -3, Flags: ReadOnly, KeysFunc: zNumKeys(1, false), Group: g, Since: "6.2.0", Summary: "Add multiple sorted sets", Handler: cmdZUnion},
			&Command{Name: "zinter", Arity: -3, Flags: ReadOnly, KeysFunc: zNumKeys(1, false), Group: g, Since: "6.2.0", Summary: "Intersect multiple sorted sets", Handler: cmdZInter},
			&Command{Name: "zdiff", Arity: -3, Flags: ReadOnly, KeysFunc: zNumKeys(1, false), Group: g, Since: "6.2.0", Summary: "Subtract multiple sorted sets", Handler: cmdZDiff},
			&Command{Name: "zunionstore", Arity: -4, Flags: rw, Keys: KeySpec{1, 1, 1}, KeysFunc: zNumKeys(2, true), Group: g, Since: "2.0.0", Summary: "Add multiple sorted sets and store the resulting sorted set in a new key", Handler: cmdZUnionStore},
			&Command{Name: "zinterstore", Arity: -4, Flags: rw, Keys: KeySpec{1, 1, 1}, KeysFunc: zNumKeys(2, true), Group: g, Since: "2.0.0", Summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", Handler: cmdZInterStore},
			&Command{Name: "zdiffstore", Arity: -4, Flags: rw, Keys: KeySpec{1, 1, 1}, KeysFunc: zNumKeys(2, true), Group: g, Since: "6.2.0", Summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", Handler: cmdZDiffStore},
			&Command{Name: "zintercard", Arity: -3, Flags: ReadOnly, KeysFunc: zNumKeys(1, false), Group: g, Since: "7.0.0", Summary: "Intersect multiple sorted sets and return the cardinality of the result", Handler: cmdZInterCard},
		)
	})
}

// Error replies of t_zset.c not shared with other groups.
const (
	errZXXAndNX      = "ERR XX and NX options at the same time are not compatible"
	errZGTLTNX       = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZIncrPair     = "ERR INCR option supports a single increment-element pair"
	errZLimitNoRange = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZLexScores    = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errZWeight       = "ERR weight value is not a float"
	errZNumKeys      = "ERR numkeys should be greater than 0"
	errZCount        = "ERR count should be greater than 0"
	errZLimit        = "ERR LIMIT can't be negative"
	errZOutOfRange   = "ERR value is out of range"
	errZRandCount    = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

// zNumKeys returns the KeysFunc of a command whose keys follow a numkeys
// argument at numIdx, after a destination key at 1 when dest.
func zNumKeys(numIdx int, dest bool) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		var out []int
		if dest && len(args) > 1 {
			out = append(out, 1)
		}
		if numIdx >= len(args) {
			return out
		}
		n, ok := ParseInt(args[numIdx])
		if !ok || n < 1 {
			return out
		}
		for i := numIdx + 1; i < len(args) && int64(i-numIdx) <= n; i++ {
			out = append(out, i)
		}
		return out
	}
}

// zBytes views a member string as bytes, read-only, to pass it where the
// keyspace API takes []byte (members are immutable strings).
func zBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// lookupZSet finds key for reading. It returns nil without replying when
// the key is missing, and replies WRONGTYPE (ok false) when it is not a
// sorted set.
func lookupZSet(c *Client, key []byte, write bool) (z *keyspace.ZSet, ok bool) {
	var ent *keyspace.KeyEntry
	if write {
		ent = c.DB.LookupWrite(key)
	} else {
		ent = c.DB.LookupRead(key)
	}
	if ent == nil {
		return nil, true
	}
	z, isZ := ent.Val.Val.(*keyspace.ZSet)
	if !isZ {
		c.Error(ErrWrongType)
		return nil, false
	}
	return z, true
}

// zModified records n changes of key (Redis adds the number of changed
// members to dirty).
func zModified(c *Client, key []byte, n int) {
	if n <= 0 {
		return
	}
	c.Modified(key)
	c.AddDirty(int64(n - 1))
}

// ---- number parsing, as C's strtod and Redis's helpers see it ----

func zIsSpace(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r'
}

func zHasPrefixFold(b []byte, kw string) bool {
	return len(b) >= len(kw) && EqualFold(b[:len(kw)], kw)
}

func zIsDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

func zIsHexDigit(ch byte) bool {
	return zIsDigit(ch) || (ch|0x20 >= 'a' && ch|0x20 <= 'f')
}

// zStrtod reads the longest prefix of b that C's strtod accepts: leading
// white space, a sign, then inf/infinity, nan[(...)], a hexadecimal or a
// decimal number. It returns the value, how many bytes were consumed (0
// when there is no number) and whether the value was out of range
// (overflowed to ±Inf or underflowed to 0).
func zStrtod(b []byte) (f float64, n int, erange bool) {
	i := 0
	for i < len(b) && zIsSpace(b[i]) {
		i++
	}
	start := i
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	rest := b[i:]
	switch {
	case zHasPrefixFold(rest, "infinity"), zHasPrefixFold(rest, "inf"):
		n = i + 3
		if zHasPrefixFold(rest, "infinity") {
			n = i + 8
		}
		if neg {
			return math.Inf(-1), n, false
		}
		return math.Inf(1), n, false
	case zHasPrefixFold(rest, "nan"):
		n = i + 3
		if n < len(b) && b[n] == '(' {
			k := n + 1
			for k < len(b) && (zIsDigit(b[k]) || (b[k]|0x20 >= 'a' && b[k]|0x20 <= 'z') || b[k] == '_') {
				k++
			}
			if k < len(b) && b[k] == ')' {
				n = k + 1
			}
		}
		return math.NaN(), n, false
	case len(rest) >= 3 && rest[0] == '0' && rest[1]|0x20 == 'x' &&
		(zIsHexDigit(rest[2]) || (rest[2] == '.' && len(rest) > 3 && zIsHexDigit(rest[3]))):
		return zStrtodHex(b, i+2, neg)
	}
	j := i
	digits, nonzero := 0, false
	for dot := false; j < len(b) && (zIsDigit(b[j]) || (b[j] == '.' && !dot)); j++ {
		if b[j] == '.' {
			dot = true
			continue
		}
		digits++
		nonzero = nonzero || b[j] != '0'
	}
	if digits == 0 {
		return 0, 0, false
	}
	j = zExponent(b, j, 'e')
	// A view, not a copy: ParseFloat keeps nothing of its argument.
	f, err := strconv.ParseFloat(unsafe.String(&b[start], j-start), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, 0, false
	}
	return f, j, math.IsInf(f, 0) || (f == 0 && nonzero)
}

// zExponent consumes an exponent ("e12", "p-3") at j when digits follow.
func zExponent(b []byte, j int, mark byte) int {
	if j >= len(b) || b[j]|0x20 != mark {
		return j
	}
	k := j + 1
	if k < len(b) && (b[k] == '+' || b[k] == '-') {
		k++
	}
	if k >= len(b) || !zIsDigit(b[k]) {
		return j
	}
	for k < len(b) && zIsDigit(b[k]) {
		k++
	}
	return k
}

// zStrtodHex reads a hexadecimal float whose digits start at i.
func zStrtodHex(b []byte, i int, neg bool) (float64, int, bool) {
	j := i
	nonzero, dot := false, false
	for ; j < len(b) && (zIsHexDigit(b[j]) || (b[j] == '.' && !dot)); j++ {
		if b[j] == '.' {
			dot = true
			continue
		}
		nonzero = nonzero || b[j] != '0'
	}
	mant := b[i:j]
	end := zExponent(b, j, 'p')
	s := "0x" + string(mant) + "p0"
	if end > j {
		s = "0x" + string(mant) + "p" + string(b[j+1:end])
	}
	if neg {
		s = "-" + s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, 0, false
	}
	return f, end, math.IsInf(f, 0) || (f == 0 && nonzero)
}

// zParseScore parses a score, increment or weight as Redis's
// getDoubleFromObject: strtod over the whole text, no leading space, no
// NaN, no overflow or underflow to zero (denormals pass).
func zParseScore(b []byte) (float64, bool) {
	if len(b) == 0 || zIsSpace(b[0]) {
		return 0, false
	}
	f, n, erange := zStrtod(b)
	if n != len(b) || math.IsNaN(f) || (erange && (math.IsInf(f, 0) || f == 0)) {
		return 0, false
	}
	return f, true
}

// zParseScoreBound parses one end of a score interval as zslParseRange:
// "(" makes it exclusive, then strtod up to the end of the C string (an
// embedded NUL ends it); infinities and out-of-range values are accepted,
// NaN is not.
func zParseScoreBound(b []byte) (f float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	f, n, _ := zStrtod(b)
	if (n < len(b) && b[n] != 0) || math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

// zParseScoreRange parses min and max, replying the error on failure.
func zParseScoreRange(c *Client, min, max []byte) (r keyspace.ScoreRange, ok bool) {
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = zParseScoreBound(min)
	r.Max, r.MaxEx, ok2 = zParseScoreBound(max)
	if !ok1 || !ok2 {
		c.Error(ErrMinMaxNotFloat)
		return r, false
	}
	return r, true
}

// zParseLexBound parses one end of a lex interval: "-", "+", "(member"
// or "[member" (zslParseLexRangeItem).
func zParseLexBound(b []byte) (keyspace.LexBound, bool) {
	if len(b) == 0 {
		return keyspace.LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return keyspace.LexBound{}, false
		}
		if b[0] == '+' {
			return keyspace.LexBound{Inf: 1, Ex: true}, true
		}
		return keyspace.LexBound{Inf: -1, Ex: true}, true
	case '(':
		return keyspace.LexBound{Val: b[1:], Ex: true}, true
	case '[':
		return keyspace.LexBound{Val: b[1:]}, true
	}
	return keyspace.LexBound{}, false
}

// zParseLexRange parses min and max, replying the error on failure.
func zParseLexRange(c *Client, min, max []byte) (r keyspace.LexRange, ok bool) {
	var ok1, ok2 bool
	r.Min, ok1 = zParseLexBound(min)
	r.Max, ok2 = zParseLexBound(max)
	if !ok1 || !ok2 {
		c.Error(ErrMinMaxNotString)
		return r, false
	}
	return r, true
}

// ---- replies ----

// zArrayHeader starts a reply of n members, with their scores when
// withScores: flat in RESP2, [member, score] pairs in RESP3 as Redis 7.0.
func zArrayHeader(c *Client, n int, withScores bool) {
	if withScores && c.W.Proto == 2 {
		c.W.Array(2 * n)
		return
	}
	c.W.Array(n)
}

// zWriteMember writes one member of a reply started by zArrayHeader.
func zWriteMember(c *Client, member string, score float64, withScores bool) {
	if withScores && c.W.Proto > 2 {
		c.W.Array(2)
	}
	c.W.BulkString(member)
	if withScores {
		c.W.Double(score)
	}
}

// ---- ZADD, ZINCRBY ----

type zaddOpts struct{ nx, xx, gt, lt, ch, incr bool }

func cmdZAdd(c *Client, args [][]byte) { zaddGeneric(c, args, false) }

// cmdZIncrBy is ZADD INCR, as in Redis: its arguments go through ZADD's
// option parser, so "ZINCRBY key nx member" is a syntax error.
func cmdZIncrBy(c *Client, args [][]byte) { zaddGeneric(c, args, true) }

func zaddGeneric(c *Client, args [][]byte, incr bool) {
	o := zaddOpts{incr: incr}
	i := 2
options:
	for ; i < len(args); i++ {
		a := args[i]
		switch {
		case EqualFold(a, "nx"):
			o.nx = true
		case EqualFold(a, "xx"):
			o.xx = true
		case EqualFold(a, "ch"):
			o.ch = true
		case EqualFold(a, "incr"):
			o.incr = true
		case EqualFold(a, "gt"):
			o.gt = true
		case EqualFold(a, "lt"):
			o.lt = true
		default:
			break options
		}
	}
	elements := len(args) - i
	if elements == 0 || elements%2 != 0 {
		c.Error(ErrSyntax)
		return
	}
	elements /= 2
	switch {
	case o.nx && o.xx:
		c.Error(errZXXAndNX)
		return
	case (o.gt && o.nx) || (o.lt && o.nx) || (o.gt && o.lt):
		c.Error(errZGTLTNX)
		return
	case o.incr && elements > 1:
		c.Error(errZIncrPair)
		return
	}
	// Every score is checked before anything changes: the command applies
	// fully or not at all.
	var buf [16]float64
	scores := buf[:0]
	for j := 0; j < elements; j++ {
		f, ok := zParseScore(args[i+2*j])
		if !ok {
			c.Error(ErrNotFloat)
			return
		}
		scores = append(scores, f)
	}
	key := args[1]
	z, ok := lookupZSet(c, key, true)
	if !ok {
		return
	}
	if z == nil {
		if o.xx {
			zaddReply(c, &o, 0, 0, 0, 0)
			return
		}
		z = keyspace.NewZSet()
		c.DB.Add(key, z)
	}
	cfg := c.E.Cfg
	added, updated, processed := 0, 0, 0
	var score float64
	for j, f := range scores {
		member := args[i+2*j+1]
		e := z.Find(member)
		if e == nil {
			if o.xx {
				continue
			}
			z.Grow(len(member), cfg.ZSetMaxListpackEntries, cfg.ZSetMaxListpackValue)
			z.Insert(member, f)
			added++
			processed++
			score = f
			continue
		}
		if o.nx {
			continue
		}
		cur := e.Val.Score
		if o.incr {
			f += cur
			if math.IsNaN(f) {
				c.Error(ErrNaN)
				return
			}
		}
		if (o.lt && f >= cur) || (o.gt && f <= cur) {
			continue
		}
		processed++
		score = f
		if f != cur {
			z.UpdateScore(e, f)
			updated++
		}
	}
	zModified(c, key, added+updated)
	zaddReply(c, &o, added, updated, processed, score)
}

func zaddReply(c *Client, o *zaddOpts, added, updated, processed int, score float64) {
	switch {
	case o.incr && processed > 0:
		c.W.Double(score)
	case o.incr:
		c.W.Null()
	case o.ch:
		c.W.Int(int64(added + updated))
	default:
		c.W.Int(int64(added))
	}
}

// ---- single-key reads and ZREM ----

func cmdZRem(c *Client, args [][]byte) {
	z, ok := lookupZSet(c, args[1], true)
	if !ok {
		return
	}
	deleted := 0
	if z != nil {
		for _, m := range args[2:] {
			if z.Delete(m) {
				deleted++
				if z.Len() == 0 {
					break
				}
			}
		}
	}
	zModified(c, args[1], deleted)
	c.W.Int(int64(deleted))
}

func cmdZCard(c *Client, args [][]byte) {
	z, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.Len()))
}

func cmdZScore(c *Client, args [][]byte) {
	z, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z != nil {
		if f, found := z.Score(args[2]); found {
			c.W.Double(f)
			return
		}
	}
	c.W.Null()
}

func cmdZMScore(c *Client, args [][]byte) {
	z, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	c.W.Array(len(args) - 2)
	for _, m := range args[2:] {
		if z != nil {
			if f, found := z.Score(m); found {
				c.W.Double(f)
				continue
			}
		}
		c.W.Null()
	}
}

func cmdZRank(c *Client, args [][]byte)    { zrankGeneric(c, args, false) }
func cmdZRevRank(c *Client, args [][]byte) { zrankGeneric(c, args, true) }

func zrankGeneric(c *Client, args [][]byte, rev bool) {
	z, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	var e *keyspace.ZElem
	if z != nil {
		e = z.Find(args[2])
	}
	if e == nil {
		c.W.Null()
		return
	}
	r := z.Rank(e)
	if rev {
		r = z.Len() - 1 - r
	}
	c.W.Int(int64(r))
}

// ---- ZRANDMEMBER ----

// zRandMaxRepeat bounds a negative ZRANDMEMBER count: Redis 7.0 tries to
// build any reply and dies of it; we refuse one that could not be sent.
const zRandMaxRepeat = 1 << 24

func cmdZRandMember(c *Client, args [][]byte) {
	if len(args) >= 3 {
		l, ok := ParseInt(args[2])
		if !ok {
			c.Error(ErrNotInteger)
			return
		}
		if l == math.MinInt64 {
			c.Error(errZRandCount)
			return
		}
		if len(args) > 4 || (len(args) == 4 && !EqualFold(args[3], "withscores")) {
			c.Error(ErrSyntax)
			return
		}
		withScores := len(args) == 4
		if withScores && (l < -math.MaxInt64/2 || l > math.MaxInt64/2) {
			c.Error(errZOutOfRange)
			return
		}
		zrandWithCount(c, args[1], l, withScores)
		return
	}
	z, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	c.W.BulkString(z.Random(c.E.KS.Rand).Key)
}

func zrandWithCount(c *Client, key []byte, l int64, withScores bool) {
	z, ok := lookupZSet(c, key, false)
	if !ok {
		return
	}
	if z == nil || l == 0 {
		c.W.Array(0)
		return
	}
	rnd := c.E.KS.Rand
	size := z.Len()
	if l < 0 || l == 1 {
		// Repetitions allowed (or a single member).
		count := -l
		if l == 1 {
			count = 1
		}
		if count > zRandMaxRepeat {
			c.Error(errZOutOfRange)
			return
		}
		zArrayHeader(c, int(count), withScores)
		for ; count > 0; count-- {
			e := z.Random(rnd)
			zWriteMember(c, e.Key, e.Val.Score, withScores)
		}
		return
	}
	if l >= int64(size) {
		// The whole set, from the highest rank down, as Redis 7.0 replies.
		zArrayHeader(c, size, withScores)
		for e := z.Last(); e != nil; e = e.Val.Prev() {
			zWriteMember(c, e.Key, e.Val.Score, withScores)
		}
		return
	}
	count := int(l)
	picked := make([]*keyspace.ZElem, 0, count)
	if z.IsListpack() || count*3 > size {
		// Selection sampling: distinct members in rank order. Redis
		// replies a listpack's sample in that order and a skiplist's in
		// dict order, which is arbitrary: shuffle it.
		need := count
		for e, left := z.First(), size; e != nil && need > 0; e, left = e.Val.Next(), left-1 {
			if rnd.IntN(left) < need {
				picked = append(picked, e)
				need--
			}
		}
		if !z.IsListpack() {
			rnd.Shuffle(len(picked), func(i, j int) { picked[i], picked[j] = picked[j], picked[i] })
		}
	} else {
		seen := make(map[*keyspace.ZElem]struct{}, count)
		for len(picked) < count {
			e := z.Random(rnd)
			if _, dup := seen[e]; !dup {
				seen[e] = struct{}{}
				picked = append(picked, e)
			}
		}
	}
	zArrayHeader(c, count, withScores)
	for _, e := range picked {
		zWriteMember(c, e.Key, e.Val.Score, withScores)
	}
}

// ---- ZSCAN ----

func cmdZScan(c *Client, args [][]byte) {
	// Redis checks the cursor, then the key, then the options.
	if _, ok := parseCursor(args[2]); !ok {
		c.Error(ErrCursor)
		return
	}
	z, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.scanReply(0, nil)
		return
	}
	cursor, o, ok := c.parseScanArgs(args, 2, false)
	if !ok {
		return
	}
	var out [][]byte
	add := func(e *keyspace.ZElem) {
		if o.Match != nil && !GlobMatch(o.Match, zBytes(e.Key), false) {
			return
		}
		out = append(out, []byte(e.Key), zScanScore(z.IsListpack(), e.Val.Score))
	}
	if z.IsListpack() {
		// A listpack is returned whole, in order, with cursor 0.
		for e := z.First(); e != nil; e = e.Val.Next() {
			add(e)
		}
		c.scanReply(0, out)
		return
	}
	// COUNT bounds the reply list, which holds members and scores both,
	// as in Redis's scanGenericCommand.
	visited := 0
	for iter := o.Count * 10; ; iter-- {
		cursor = z.Scan(cursor, func(e *keyspace.ZElem) {
			visited += 2
			add(e)
		})
		if cursor == 0 || iter <= 0 || visited >= o.Count {
			break
		}
	}
	c.scanReply(cursor, out)
}

// zScanScore formats a score as ZSCAN shows it: a listpack holds integral
// scores within ±2^62 as integers, anything else as %.17g.
func zScanScore(listpack bool, f float64) []byte {
	if listpack && f >= -(1<<62) && f <= 1<<62 && f == math.Trunc(f) {
		return strconv.AppendInt(nil, int64(f), 10)
	}
	return resp.FormatDouble(nil, f)
}
