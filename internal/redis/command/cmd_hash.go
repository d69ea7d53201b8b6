package command

import (
	"math"
	"math/big"
	"strconv"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

func init() {
	register(func(e *Engine) {
		k1 := KeySpec{1, 1, 1}
		e.Table.Add(
			&Command{Name: "hset", Arity: -4, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Set the string value of a hash field", Handler: cmdHSet},
			&Command{Name: "hsetnx", Arity: 4, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Set the value of a hash field, only if the field does not exist", Handler: cmdHSetNX},
			&Command{Name: "hmset", Arity: -4, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Set multiple hash fields to multiple values", Handler: cmdHSet},
			&Command{Name: "hget", Arity: 3, Flags: ReadOnly | Fast, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Get the value of a hash field", Handler: cmdHGet},
			&Command{Name: "hmget", Arity: -3, Flags: ReadOnly | Fast, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Get the values of all the given hash fields", Handler: cmdHMGet},
			&Command{Name: "hdel", Arity: -3, Flags: Write | Fast, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Delete one or more hash fields", Handler: cmdHDel},
			&Command{Name: "hlen", Arity: 2, Flags: ReadOnly | Fast, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Get the number of fields in a hash", Handler: cmdHLen},
			&Command{Name: "hstrlen", Arity: 3, Flags: ReadOnly | Fast, Keys: k1, Group: "hash", Since: "3.2.0", Summary: "Get the length of the value of a hash field", Handler: cmdHStrlen},
			&Command{Name: "hexists", Arity: 3, Flags: ReadOnly | Fast, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Determine if a hash field exists", Handler: cmdHExists},
			&Command{Name: "hkeys", Arity: 2, Flags: ReadOnly, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Get all the fields in a hash", Handler: cmdHKeys},
			&Command{Name: "hvals", Arity: 2, Flags: ReadOnly, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Get all the values in a hash", Handler: cmdHVals},
			&Command{Name: "hgetall", Arity: 2, Flags: ReadOnly, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Get all the fields and values in a hash", Handler: cmdHGetAll},
			&Command{Name: "hincrby", Arity: 4, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "hash", Since: "2.0.0", Summary: "Increment the integer value of a hash field by the given number", Handler: cmdHIncrBy},
			&Command{Name: "hincrbyfloat", Arity: 4, Flags: Write | DenyOOM | Fast, Keys: k1, Group: "hash", Since: "2.6.0", Summary: "Increment the float value of a hash field by the given amount", Handler: cmdHIncrByFloat},
			&Command{Name: "hrandfield", Arity: -2, Flags: ReadOnly, Keys: k1, Group: "hash", Since: "6.2.0", Summary: "Get one or multiple random fields from a hash", Handler: cmdHRandField},
			&Command{Name: "hscan", Arity: -3, Flags: ReadOnly, Keys: k1, Group: "hash", Since: "2.8.0", Summary: "Incrementally iterate hash fields and associated values", Handler: cmdHScan},
		)
	})
}

// Error texts of t_hash.c (and of the random-count commands of t_set.c)
// that errors.go does not hold.
const (
	errHashIncrNaNInf = "ERR value is NaN or Infinity"
	// errRandCount is getRangeLongFromObjectOrReply's text for counts in
	// [-LONG_MAX, LONG_MAX] (HRANDFIELD, SRANDMEMBER).
	errRandCount      = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errRandWithValues = "ERR value is out of range"
)

var hashHSet = []byte("HSET")

// maxRandReply bounds the reply of a random command with a huge negative
// count: past it the client is closed as by an output buffer limit, where
// Redis would run out of memory. A variable for tests.
var maxRandReply = 1 << 30

// hashForRead looks key up for reading. h is nil when the key is missing;
// ok is false, with WRONGTYPE replied, when it holds another type.
func (c *Client) hashForRead(key []byte) (h *keyspace.Hash, ok bool) {
	return c.asHash(c.DB.LookupRead(key))
}

// hashForWrite is hashForRead for commands that change the hash in place.
func (c *Client) hashForWrite(key []byte) (h *keyspace.Hash, ok bool) {
	return c.asHash(c.DB.LookupWrite(key))
}

// hashForUpdate is hashForWrite creating an empty hash when the key is
// missing (hashTypeLookupWriteOrCreate); an empty hash left by a failing
// command is removed after it.
func (c *Client) hashForUpdate(key []byte) (h *keyspace.Hash, ok bool) {
	h, ok = c.hashForWrite(key)
	if ok && h == nil {
		h = keyspace.NewHash()
		c.DB.Add(key, h)
	}
	return h, ok
}

func (c *Client) asHash(e *keyspace.KeyEntry) (*keyspace.Hash, bool) {
	if e == nil {
		return nil, true
	}
	h, ok := e.Val.Val.(*keyspace.Hash)
	if !ok {
		c.Error(ErrWrongType)
	}
	return h, ok
}

// hashSet stores one pair with the configured listpack limits.
func (c *Client) hashSet(h *keyspace.Hash, field, value []byte) bool {
	return h.Set(field, value, c.E.Cfg.HashMaxListpackEntries, c.E.Cfg.HashMaxListpackValue)
}

// cmdHSet serves HSET (replying the number of new fields) and HMSET
// (replying OK). Both count as a change even when no value differs.
func cmdHSet(c *Client, args [][]byte) {
	if len(args)%2 == 1 {
		c.ArityError()
		return
	}
	key := args[1]
	h, ok := c.hashForUpdate(key)
	if !ok {
		return
	}
	created := int64(0)
	for i := 2; i < len(args); i += 2 {
		if c.hashSet(h, args[i], args[i+1]) {
			created++
		}
	}
	c.Modified(key)
	c.AddDirty(int64(len(args)-2)/2 - 1)
	if c.Cmd.Name == "hmset" {
		c.OK()
		return
	}
	c.W.Int(created)
}

func cmdHSetNX(c *Client, args [][]byte) {
	key := args[1]
	h, ok := c.hashForUpdate(key)
	if !ok {
		return
	}
	if _, exists := h.Get(args[2]); exists {
		c.W.Int(0)
		return
	}
	c.hashSet(h, args[2], args[3])
	c.Modified(key)
	c.W.Int(1)
}

func cmdHGet(c *Client, args [][]byte) {
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(args[2]); found {
			c.W.Bulk(v)
			return
		}
	}
	c.W.Null()
}

func cmdHMGet(c *Client, args [][]byte) {
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	c.W.Array(len(args) - 2)
	for _, f := range args[2:] {
		if h != nil {
			if v, found := h.Get(f); found {
				c.W.Bulk(v)
				continue
			}
		}
		c.W.Null()
	}
}

// cmdHDel stops at the field that empties the hash, as Redis (which
// deletes the key there).
func cmdHDel(c *Client, args [][]byte) {
	key := args[1]
	h, ok := c.hashForWrite(key)
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	deleted := int64(0)
	for _, f := range args[2:] {
		if h.Delete(f) {
			deleted++
			if h.Len() == 0 {
				break
			}
		}
	}
	if deleted > 0 {
		c.Modified(key)
		c.AddDirty(deleted - 1)
	}
	c.W.Int(deleted)
}

func cmdHLen(c *Client, args [][]byte) {
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(h.Len()))
}

func cmdHStrlen(c *Client, args [][]byte) {
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		v, _ := h.Get(args[2])
		n = len(v)
	}
	c.W.Int(int64(n))
}

func cmdHExists(c *Client, args [][]byte) {
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	found := false
	if h != nil {
		_, found = h.Get(args[2])
	}
	if found {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
}

// Parts of a hash HKEYS, HVALS and HGETALL reply with.
const (
	hashFields = 1 << iota
	hashValues
)

// replyHashAll writes every field, value or pair: an array for HKEYS and
// HVALS, a map for HGETALL.
func (c *Client) replyHashAll(key []byte, what int) {
	h, ok := c.hashForRead(key)
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if what == hashFields|hashValues {
		c.W.Map(n)
	} else {
		c.W.Array(n)
	}
	if h == nil {
		return
	}
	h.Each(func(f, v []byte) bool {
		if what&hashFields != 0 {
			c.W.Bulk(f)
		}
		if what&hashValues != 0 {
			c.W.Bulk(v)
		}
		return true
	})
}

func cmdHKeys(c *Client, args [][]byte)   { c.replyHashAll(args[1], hashFields) }
func cmdHVals(c *Client, args [][]byte)   { c.replyHashAll(args[1], hashValues) }
func cmdHGetAll(c *Client, args [][]byte) { c.replyHashAll(args[1], hashFields|hashValues) }

func cmdHIncrBy(c *Client, args [][]byte) {
	incr, ok := c.IntArg(args[3])
	if !ok {
		return
	}
	key, field := args[1], args[2]
	h, ok := c.hashForUpdate(key)
	if !ok {
		return
	}
	var v int64
	if cur, found := h.Get(field); found {
		if v, ok = ParseInt(cur); !ok {
			c.Error(ErrHashNotInteger)
			return
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) || (incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		c.Error(ErrOverflow)
		return
	}
	v += incr
	var buf [20]byte
	c.hashSet(h, field, strconv.AppendInt(buf[:0], v, 10))
	c.Modified(key)
	c.W.Int(v)
}

// cmdHIncrByFloat computes in x87 long double precision as Redis does (see
// cmdIncrByFloat) and propagates HSET key field value, so that replicas
// store the same text.
func cmdHIncrByFloat(c *Client, args [][]byte) {
	incr, ok := parseLongDouble(args[3])
	if !ok {
		c.Error(ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.Error(errHashIncrNaNInf)
		return
	}
	key, field := args[1], args[2]
	h, ok := c.hashForUpdate(key)
	if !ok {
		return
	}
	cur := new(big.Float).SetPrec(x87Prec)
	if b, found := h.Get(field); found {
		if cur, ok = parseLongDouble(b); !ok {
			c.Error(ErrHashNotFloat)
			return
		}
	}
	val, ok := addLongDouble(cur, incr)
	if !ok {
		c.Error(ErrIncrFloatNaNInf)
		return
	}
	c.hashSet(h, field, val)
	c.Propagate(hashHSet, key, field, val)
	c.Modified(key)
	c.W.Bulk(val)
}

// parseRandCount parses the count of HRANDFIELD and SRANDMEMBER: an
// integer in [-LONG_MAX, LONG_MAX].
func (c *Client) parseRandCount(b []byte) (int64, bool) {
	n, ok := c.IntArg(b)
	if ok && n == math.MinInt64 {
		c.Error(errRandCount)
		return 0, false
	}
	return n, ok
}

// randReplyFull reports, and arranges for the client to be closed, when
// a reply with a huge count outgrew maxRandReply.
func (c *Client) randReplyFull() bool {
	if len(c.W.Buf) > maxRandReply {
		c.Flags |= FlagCloseASAP
		return true
	}
	return false
}

func cmdHRandField(c *Client, args [][]byte) {
	if len(args) >= 3 {
		n, ok := c.parseRandCount(args[2])
		if !ok {
			return
		}
		withValues := len(args) == 4
		if len(args) > 4 || (withValues && !EqualFold(args[3], "withvalues")) {
			c.Error(ErrSyntax)
			return
		}
		if withValues && (n < -math.MaxInt64/2 || n > math.MaxInt64/2) {
			c.Error(errRandWithValues)
			return
		}
		c.hrandFieldCount(args[1], n, withValues)
		return
	}
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	if h == nil {
		c.W.Null()
		return
	}
	f, _ := h.Random(c.E.KS.Rand)
	c.W.Bulk(f)
}

// hrandFieldCount serves HRANDFIELD with a count: a negative count draws
// with repetition; a positive one returns distinct fields, the whole hash
// when it asks for as many. With values, RESP2 gets a flat array and
// RESP3 an array of pairs.
func (c *Client) hrandFieldCount(key []byte, n int64, withValues bool) {
	h, ok := c.hashForRead(key)
	if !ok {
		return
	}
	if h == nil || n == 0 {
		c.W.Array(0)
		return
	}
	count := n
	if count < 0 {
		count = -count
	}
	pair := func(f, v []byte) {
		if withValues && c.W.Proto > 2 {
			c.W.Array(2)
		}
		c.W.Bulk(f)
		if withValues {
			c.W.Bulk(v)
		}
	}
	header := func(n int64) {
		if withValues && c.W.Proto == 2 {
			n *= 2
		}
		c.W.Array(int(n))
	}
	size := int64(h.Len())
	r := c.E.KS.Rand
	switch {
	case n < 0 || count == 1:
		header(count)
		for ; count > 0 && !c.randReplyFull(); count-- {
			pair(h.Random(r))
		}
	case count >= size:
		header(size)
		h.Each(func(f, v []byte) bool { pair(f, v); return true })
	case h.IsListpack():
		// Distinct fields in listpack order, as lpRandomPairsUnique.
		header(count)
		left, need := size, count
		h.Each(func(f, v []byte) bool {
			if r.Int64N(left) < need {
				pair(f, v)
				need--
			}
			left--
			return need > 0
		})
	default:
		header(count)
		type kv struct{ f, v []byte }
		var picked []kv
		if count*3 > size {
			all := make([]kv, 0, size)
			h.Each(func(f, v []byte) bool { all = append(all, kv{f, v}); return true })
			partialShuffle(r.IntN, len(all), int(count), func(i, j int) { all[i], all[j] = all[j], all[i] })
			picked = all[:count]
		} else {
			seen := make(map[string]struct{}, count)
			for int64(len(picked)) < count {
				f, v := h.Random(r)
				if _, dup := seen[string(f)]; !dup {
					seen[string(f)] = struct{}{}
					picked = append(picked, kv{f, v})
				}
			}
		}
		for _, p := range picked {
			pair(p.f, p.v)
		}
	}
}

// partialShuffle moves k uniformly chosen elements of n to the front
// (the first k steps of Fisher-Yates).
func partialShuffle(intN func(int) int, n, k int, swap func(i, j int)) {
	for i := 0; i < k; i++ {
		swap(i, i+intN(n-i))
	}
}

func cmdHScan(c *Client, args [][]byte) {
	if _, ok := parseCursor(args[2]); !ok {
		c.Error(ErrCursor)
		return
	}
	h, ok := c.hashForRead(args[1])
	if !ok {
		return
	}
	if h == nil {
		c.scanReply(0, nil)
		return
	}
	c.scanContainer(args, true, func(cursor uint64, fn func(a, b []byte)) uint64 {
		return h.Scan(cursor, fn)
	})
}

// scanContainer runs HSCAN or SSCAN over an existing value once the cursor
// and the key were checked, as Redis's scanGenericCommand: the options are
// parsed, the table is scanned until COUNT elements (values of hash pairs
// included) were collected or ten times COUNT steps were made, then the
// elements not matching MATCH are dropped (a pair by its field).
func (c *Client) scanContainer(args [][]byte, pairs bool, scan func(cursor uint64, fn func(a, b []byte)) uint64) {
	cursor, o, ok := c.parseScanArgs(args, 2, false)
	if !ok {
		return
	}
	var elems [][]byte
	seen := 0
	visit := func(a, b []byte) {
		seen++
		if pairs {
			seen++
		}
		if o.Match != nil && !GlobMatch(o.Match, a, false) {
			return
		}
		elems = append(elems, Clone(a))
		if pairs {
			elems = append(elems, Clone(b))
		}
	}
	for steps := o.Count * 10; ; steps-- {
		cursor = scan(cursor, visit)
		if cursor == 0 || steps == 0 || seen >= o.Count {
			break
		}
	}
	c.scanReply(cursor, elems)
}
