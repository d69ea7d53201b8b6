package command

import "github.com/replikube/replikube/internal/redis/keyspace"

// The range commands: ZRANGE's unified syntax and its legacy forms,
// ZRANGESTORE, and ZREMRANGEBY*. One parser serves them all, as Redis's
// zrangeGenericCommand: the legacy commands fix the range type and the
// direction, which then may not be given as options.

type zRangeType int8

const (
	zRangeAuto zRangeType = iota
	zRangeRank
	zRangeScore
	zRangeLex
)

type zDirection int8

const (
	zDirAuto zDirection = iota
	zDirForward
	zDirReverse
)

func cmdZRange(c *Client, args [][]byte) { zrangeGeneric(c, args, 1, nil, zRangeAuto, zDirAuto) }
func cmdZRangeStore(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 2, args[1], zRangeAuto, zDirAuto)
}
func cmdZRevRange(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 1, nil, zRangeRank, zDirReverse)
}
func cmdZRangeByScore(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 1, nil, zRangeScore, zDirForward)
}
func cmdZRevRangeByScore(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 1, nil, zRangeScore, zDirReverse)
}
func cmdZRangeByLex(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 1, nil, zRangeLex, zDirForward)
}
func cmdZRevRangeByLex(c *Client, args [][]byte) {
	zrangeGeneric(c, args, 1, nil, zRangeLex, zDirReverse)
}

// zRangeSink receives the result of a range: written to the client, or
// collected into a new set for ZRANGESTORE.
type zRangeSink struct {
	c          *Client
	withScores bool
	dst        *keyspace.ZSet // store mode
}

func (s *zRangeSink) begin(n int) {
	if s.dst == nil {
		zArrayHeader(s.c, n, s.withScores)
	}
}

func (s *zRangeSink) emit(e *keyspace.ZElem) {
	if s.dst != nil {
		s.dst.Insert(zBytes(e.Key), e.Val.Score)
		return
	}
	zWriteMember(s.c, e.Key, e.Val.Score, s.withScores)
}

// zStore stores a set built whole under key (or deletes key when the set
// is empty) and replies its size, as ZRANGESTORE and ZUNIONSTORE do.
func zStore(c *Client, key []byte, z *keyspace.ZSet) {
	if z.Len() == 0 {
		if c.DB.Delete(key) {
			c.Modified(key)
		}
		c.W.Int(0)
		return
	}
	z.Fit(c.E.Cfg.ZSetMaxListpackEntries, c.E.Cfg.ZSetMaxListpackValue)
	c.DB.Set(key, z, false)
	c.Modified(key)
	c.W.Int(int64(z.Len()))
}

func zrangeGeneric(c *Client, args [][]byte, first int, dst []byte, typ zRangeType, dir zDirection) {
	store := dst != nil
	minIdx, maxIdx := first+1, first+2
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := first + 3; j < len(args); j++ {
		a := args[j]
		left := len(args) - j - 1
		switch {
		case !store && EqualFold(a, "withscores"):
			withScores = true
		case EqualFold(a, "limit") && left >= 2:
			var ok bool
			if offset, ok = c.IntArg(args[j+1]); !ok {
				return
			}
			if limit, ok = c.IntArg(args[j+2]); !ok {
				return
			}
			j += 2
		case dir == zDirAuto && EqualFold(a, "rev"):
			dir = zDirReverse
		case typ == zRangeAuto && EqualFold(a, "bylex"):
			typ = zRangeLex
		case typ == zRangeAuto && EqualFold(a, "byscore"):
			typ = zRangeScore
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if typ == zRangeAuto {
		typ = zRangeRank
	}
	rev := dir == zDirReverse
	if limit != -1 && typ == zRangeRank {
		c.Error(errZLimitNoRange)
		return
	}
	if withScores && typ == zRangeLex {
		c.Error(errZLexScores)
		return
	}
	if rev && typ != zRangeRank {
		// Given as max, min.
		minIdx, maxIdx = maxIdx, minIdx
	}
	rg, ok := zParseRangeArgs(c, typ, args[minIdx], args[maxIdx])
	if !ok {
		return
	}
	z, ok := lookupZSet(c, args[first], false)
	if !ok {
		return
	}
	sink := zRangeSink{c: c, withScores: withScores}
	if store {
		sink.dst = keyspace.NewSkiplistZSet()
	}
	if z != nil {
		switch typ {
		case zRangeRank:
			zrangeByRank(&sink, z, rg.start, rg.end, rev)
		case zRangeScore:
			zrangeWalk(&sink, z, offset, limit, rev, zScoreWalk(z, &rg.score, rev))
		case zRangeLex:
			zrangeWalk(&sink, z, offset, limit, rev, zLexWalk(z, &rg.lex, rev))
		}
	} else if !store {
		c.W.Array(0)
	}
	if store {
		zStore(c, dst, sink.dst)
	}
}

// zRankBounds clamps rank indexes as Redis does (negative from the end);
// ok is false for an empty range.
func zRankBounds(start, end int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0, false
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end), true
}

func zrangeByRank(s *zRangeSink, z *keyspace.ZSet, start, end int64, rev bool) {
	from, to, ok := zRankBounds(start, end, z.Len())
	if !ok {
		s.begin(0)
		return
	}
	n := to - from + 1
	s.begin(n)
	if rev {
		for e := z.ByRank(z.Len() - 1 - from); n > 0; n-- {
			s.emit(e)
			e = e.Val.Prev()
		}
		return
	}
	for e := z.ByRank(from); n > 0; n-- {
		s.emit(e)
		e = e.Val.Next()
	}
}

// zWalk is where a score or lex range starts in the walking direction and
// the test that ends it.
type zWalk struct {
	first *keyspace.ZElem
	in    func(e *keyspace.ZElem) bool
}

func zScoreWalk(z *keyspace.ZSet, r *keyspace.ScoreRange, rev bool) zWalk {
	if rev {
		return zWalk{z.LastInRange(r), func(e *keyspace.ZElem) bool { return r.GteMin(e.Val.Score) }}
	}
	return zWalk{z.FirstInRange(r), func(e *keyspace.ZElem) bool { return r.LteMax(e.Val.Score) }}
}

func zLexWalk(z *keyspace.ZSet, r *keyspace.LexRange, rev bool) zWalk {
	if rev {
		return zWalk{z.LastInLex(r), func(e *keyspace.ZElem) bool { return r.GteMin(e.Key) }}
	}
	return zWalk{z.FirstInLex(r), func(e *keyspace.ZElem) bool { return r.LteMax(e.Key) }}
}

// zrangeWalk emits a score or lex range: skip offset members (unchecked,
// as Redis), then up to limit (negative: no limit) members while in range.
// A negative offset matches nothing. The range is walked twice, to count
// and to emit, so that nothing is allocated.
func zrangeWalk(s *zRangeSink, z *keyspace.ZSet, offset, limit int64, rev bool, w zWalk) {
	step := func(e *keyspace.ZElem) *keyspace.ZElem {
		if rev {
			return e.Val.Prev()
		}
		return e.Val.Next()
	}
	e := w.first
	if offset < 0 {
		e = nil
	}
	for ; e != nil && offset > 0; offset-- {
		e = step(e)
	}
	n := 0
	for x := e; x != nil && int64(n) != limit && w.in(x); x = step(x) {
		n++
	}
	s.begin(n)
	for ; n > 0; n-- {
		s.emit(e)
		e = step(e)
	}
}

// ---- ZREMRANGEBY* ----

func cmdZRemRangeByRank(c *Client, args [][]byte)  { zremrangeGeneric(c, args, zRangeRank) }
func cmdZRemRangeByScore(c *Client, args [][]byte) { zremrangeGeneric(c, args, zRangeScore) }
func cmdZRemRangeByLex(c *Client, args [][]byte)   { zremrangeGeneric(c, args, zRangeLex) }

func zremrangeGeneric(c *Client, args [][]byte, typ zRangeType) {
	rg, ok := zParseRangeArgs(c, typ, args[2], args[3])
	if !ok {
		return
	}
	z, ok := lookupZSet(c, args[1], true)
	if !ok {
		return
	}
	n := 0
	if z != nil {
		switch typ {
		case zRangeRank:
			if from, to, ok := zRankBounds(rg.start, rg.end, z.Len()); ok {
				n = z.DeleteRangeByRank(from, to)
			}
		case zRangeScore:
			n = z.DeleteRangeByScore(&rg.score)
		case zRangeLex:
			n = z.DeleteRangeByLex(&rg.lex)
		}
	}
	zModified(c, args[1], n)
	c.W.Int(int64(n))
}

// zRangeArgs is a parsed interval of one of the three kinds.
type zRangeArgs struct {
	start, end int64
	score      keyspace.ScoreRange
	lex        keyspace.LexRange
}

// zParseRangeArgs parses min and max as ranks, scores or lex bounds,
// replying the error on failure.
func zParseRangeArgs(c *Client, typ zRangeType, min, max []byte) (rg zRangeArgs, ok bool) {
	switch typ {
	case zRangeScore:
		rg.score, ok = zParseScoreRange(c, min, max)
	case zRangeLex:
		rg.lex, ok = zParseLexRange(c, min, max)
	default:
		if rg.start, ok = c.IntArg(min); ok {
			rg.end, ok = c.IntArg(max)
		}
	}
	return rg, ok
}

// ---- ZCOUNT, ZLEXCOUNT ----

func cmdZCount(c *Client, args [][]byte)    { zcountGeneric(c, args, zRangeScore) }
func cmdZLexCount(c *Client, args [][]byte) { zcountGeneric(c, args, zRangeLex) }

func zcountGeneric(c *Client, args [][]byte, typ zRangeType) {
	rg, ok := zParseRangeArgs(c, typ, args[2], args[3])
	if !ok {
		return
	}
	z, ok := lookupZSet(c, args[1], false)
	if !ok {
		return
	}
	n := 0
	if z != nil {
		var w zWalk
		var last *keyspace.ZElem
		if typ == zRangeScore {
			w, last = zScoreWalk(z, &rg.score, false), z.LastInRange(&rg.score)
		} else {
			w, last = zLexWalk(z, &rg.lex, false), z.LastInLex(&rg.lex)
		}
		switch {
		case w.first == nil:
		case z.IsListpack():
			// A listpack is counted by walking while in range
			// (zzlLexCount); it differs from the ranks only for lex
			// ranges over mixed scores.
			for e := w.first; e != nil && w.in(e); e = e.Val.Next() {
				n++
			}
		case last != nil:
			n = z.Rank(last) - z.Rank(w.first) + 1
		}
	}
	c.W.Int(int64(n))
}
