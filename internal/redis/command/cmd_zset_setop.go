package command

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD
// (zunionInterDiffGenericCommand). Plain sets count as sorted sets whose
// members all score 1.

type zSetOp int8

const (
	zOpUnion zSetOp = iota
	zOpInter
	zOpDiff
)

type zAggregate int8

const (
	zAggSum zAggregate = iota
	zAggMin
	zAggMax
)

// zSrc is one input of a set operation.
type zSrc struct {
	z      *keyspace.ZSet
	s      *keyspace.Set
	weight float64
}

func (s *zSrc) length() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.s != nil:
		return s.s.Len()
	}
	return 0
}

// each calls fn for every member; m may be retained.
func (s *zSrc) each(fn func(m string, score float64)) {
	switch {
	case s.z != nil:
		for e := s.z.First(); e != nil; e = e.Val.Next() {
			fn(e.Key, e.Val.Score)
		}
	case s.s != nil:
		s.s.Each(func(m []byte) bool {
			fn(string(m), 1)
			return true
		})
	}
}

func (s *zSrc) find(m string) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score(zBytes(m))
	case s.s != nil:
		return 1, s.s.Has(zBytes(m))
	}
	return 0, false
}

func (s *zSrc) same(o *zSrc) bool {
	return (s.z != nil && s.z == o.z) || (s.s != nil && s.s == o.s)
}

func zAggregateInto(target *float64, v float64, agg zAggregate) {
	switch agg {
	case zAggSum:
		*target += v
		// inf + -inf: Redis keeps the convention that the sum is 0.
		if math.IsNaN(*target) {
			*target = 0
		}
	case zAggMin:
		if v < *target {
			*target = v
		}
	case zAggMax:
		if v > *target {
			*target = v
		}
	}
}

type zScored struct {
	m string
	s float64
}

func cmdZUnion(c *Client, args [][]byte)      { zsetOpGeneric(c, args, nil, 1, zOpUnion, false) }
func cmdZInter(c *Client, args [][]byte)      { zsetOpGeneric(c, args, nil, 1, zOpInter, false) }
func cmdZDiff(c *Client, args [][]byte)       { zsetOpGeneric(c, args, nil, 1, zOpDiff, false) }
func cmdZUnionStore(c *Client, args [][]byte) { zsetOpGeneric(c, args, args[1], 2, zOpUnion, false) }
func cmdZInterStore(c *Client, args [][]byte) { zsetOpGeneric(c, args, args[1], 2, zOpInter, false) }
func cmdZDiffStore(c *Client, args [][]byte)  { zsetOpGeneric(c, args, args[1], 2, zOpDiff, false) }
func cmdZInterCard(c *Client, args [][]byte)  { zsetOpGeneric(c, args, nil, 1, zOpInter, true) }

func zsetOpGeneric(c *Client, args [][]byte, dst []byte, numIdx int, op zSetOp, cardOnly bool) {
	setnum, ok := c.IntArg(args[numIdx])
	if !ok {
		return
	}
	if setnum < 1 {
		c.Error("ERR at least 1 input key is needed for '" + c.Cmd.FullName() + "' command")
		return
	}
	if setnum > int64(len(args)-numIdx-1) {
		c.Error(ErrSyntax)
		return
	}
	n := int(setnum)
	srcs := make([]zSrc, n)
	for i := range srcs {
		key := args[numIdx+1+i]
		var ent *keyspace.KeyEntry
		if dst != nil {
			ent = c.DB.LookupWrite(key)
		} else {
			ent = c.DB.LookupRead(key)
		}
		srcs[i].weight = 1
		if ent == nil {
			continue
		}
		switch v := ent.Val.Val.(type) {
		case *keyspace.ZSet:
			srcs[i].z = v
		case *keyspace.Set:
			srcs[i].s = v
		default:
			c.Error(ErrWrongType)
			return
		}
	}
	agg := zAggSum
	withScores := false
	limit := int64(0)
	for j := numIdx + 1 + n; j < len(args); {
		left := len(args) - j
		a := args[j]
		switch {
		case cardOnly && left >= 2 && EqualFold(a, "limit"):
			v, ok := ParseInt(args[j+1])
			if !ok || v < 0 {
				c.Error(errZLimit)
				return
			}
			limit = v
			j += 2
		case !cardOnly && op != zOpDiff && left >= n+1 && EqualFold(a, "weights"):
			j++
			for i := range srcs {
				w, ok := zParseScore(args[j])
				if !ok {
					c.Error(errZWeight)
					return
				}
				srcs[i].weight = w
				j++
			}
		case !cardOnly && op != zOpDiff && left >= 2 && EqualFold(a, "aggregate"):
			switch b := args[j+1]; {
			case EqualFold(b, "sum"):
				agg = zAggSum
			case EqualFold(b, "min"):
				agg = zAggMin
			case EqualFold(b, "max"):
				agg = zAggMax
			default:
				c.Error(ErrSyntax)
				return
			}
			j += 2
		case !cardOnly && dst == nil && EqualFold(a, "withscores"):
			withScores = true
			j++
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if op != zOpDiff {
		// Smallest first, as Redis: it sets the order the scores are
		// combined in, and so the exact floating point results.
		slices.SortStableFunc(srcs, func(a, b zSrc) int { return cmp.Compare(a.length(), b.length()) })
	}
	if cardOnly {
		c.W.Int(zInterCard(srcs, limit))
		return
	}
	var res []zScored
	switch op {
	case zOpUnion:
		res = zUnion(srcs, agg)
	case zOpInter:
		res = zInter(srcs, agg)
	case zOpDiff:
		res = zDiff(srcs)
	}
	slices.SortFunc(res, func(a, b zScored) int {
		if a.s != b.s {
			return cmp.Compare(a.s, b.s)
		}
		return strings.Compare(a.m, b.m)
	})
	if dst != nil {
		z := keyspace.NewSkiplistZSet()
		for _, r := range res {
			z.Insert(zBytes(r.m), r.s)
		}
		zStore(c, dst, z)
		return
	}
	zArrayHeader(c, len(res), withScores)
	for _, r := range res {
		zWriteMember(c, r.m, r.s, withScores)
	}
}

func zUnion(srcs []zSrc, agg zAggregate) []zScored {
	idx := make(map[string]int)
	var res []zScored
	for i := range srcs {
		src := &srcs[i]
		src.each(func(m string, score float64) {
			score *= src.weight
			if math.IsNaN(score) {
				score = 0
			}
			if at, ok := idx[m]; ok {
				zAggregateInto(&res[at].s, score, agg)
				return
			}
			idx[m] = len(res)
			res = append(res, zScored{m, score})
		})
	}
	return res
}

// zInterEach calls fn with every member of the intersection and its
// combined score, until fn returns false.
func zInterEach(srcs []zSrc, agg zAggregate, fn func(m string, score float64) bool) {
	if srcs[0].length() == 0 {
		return
	}
	stop := false
	srcs[0].each(func(m string, s0 float64) {
		if stop {
			return
		}
		score := s0 * srcs[0].weight
		if math.IsNaN(score) {
			score = 0
		}
		for j := 1; j < len(srcs); j++ {
			var v float64
			if srcs[j].same(&srcs[0]) {
				v = s0 * srcs[j].weight
			} else {
				found, ok := srcs[j].find(m)
				if !ok {
					return
				}
				v = found * srcs[j].weight
			}
			zAggregateInto(&score, v, agg)
		}
		stop = !fn(m, score)
	})
}

func zInter(srcs []zSrc, agg zAggregate) []zScored {
	var res []zScored
	zInterEach(srcs, agg, func(m string, score float64) bool {
		res = append(res, zScored{m, score})
		return true
	})
	return res
}

func zInterCard(srcs []zSrc, limit int64) int64 {
	var n int64
	zInterEach(srcs, zAggSum, func(string, float64) bool {
		n++
		return limit == 0 || n < limit
	})
	return n
}

func zDiff(srcs []zSrc) []zScored {
	var res []zScored
	srcs[0].each(func(m string, score float64) {
		for j := 1; j < len(srcs); j++ {
			if _, ok := srcs[j].find(m); ok {
				return
			}
		}
		res = append(res, zScored{m, score})
	})
	return res
}
