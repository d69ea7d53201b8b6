package command

import (
	"strconv"
	"time"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

// ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms. As Redis 7.0, a
// blocking pop propagates as its non-blocking effect: BZPOPMIN as
// "ZPOPMIN key", ZMPOP and BZMPOP as "ZPOPMIN key <popped>".

var (
	zPopMinName = []byte("ZPOPMIN")
	zPopMaxName = []byte("ZPOPMAX")
)

// zPopShape is how a pop reply is laid out.
type zPopShape struct {
	emitKey bool // BZPOP* and *ZMPOP name the key
	nested  bool // [member, score] pairs
	nilNone bool // null array rather than empty array when nothing to pop
}

func cmdZPopMin(c *Client, args [][]byte) { zpopCommand(c, args, false) }
func cmdZPopMax(c *Client, args [][]byte) { zpopCommand(c, args, true) }

func zpopCommand(c *Client, args [][]byte, max bool) {
	if len(args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		n, ok := ParseInt(args[2])
		if !ok || n < 0 {
			c.Error(ErrNegativeCount)
			return
		}
		count = n
	}
	// RESP3 nests pairs only when a count was given.
	shape := zPopShape{nested: c.W.Proto > 2 && count != -1}
	zpopKeys(c, args[1:2], max, count, shape)
}

// zpopKeys pops from the first existing key of keys, replying WRONGTYPE
// when a key before it is not a sorted set. It returns the key popped from
// and how many members, or nil.
func zpopKeys(c *Client, keys [][]byte, max bool, count int64, shape zPopShape) ([]byte, int) {
	for _, k := range keys {
		z, ok := lookupZSet(c, k, true)
		if !ok {
			return nil, 0
		}
		if z != nil {
			return k, zpop(c, k, z, max, count, shape)
		}
	}
	if shape.nilNone {
		c.W.NullArray()
	} else {
		c.W.Array(0)
	}
	return nil, 0
}

// zpop pops up to count members (-1: one, unnested in RESP2 shape) of z
// stored at key and writes the reply.
func zpop(c *Client, key []byte, z *keyspace.ZSet, max bool, count int64, shape zPopShape) int {
	if count == 0 {
		c.W.Array(0)
		return 0
	}
	if count < 0 {
		count = 1
	}
	n := int(min(count, int64(z.Len())))
	switch {
	case shape.emitKey && shape.nested:
		c.W.Array(2)
		c.W.Bulk(key)
		c.W.Array(n)
	case shape.emitKey:
		c.W.Array(2*n + 1)
		c.W.Bulk(key)
	case shape.nested:
		c.W.Array(n)
	default:
		c.W.Array(2 * n)
	}
	for i := 0; i < n; i++ {
		e := z.First()
		if max {
			e = z.Last()
		}
		if shape.nested {
			c.W.Array(2)
		}
		c.W.BulkString(e.Key)
		c.W.Double(e.Val.Score)
		z.Remove(e)
	}
	zModified(c, key, n)
	return n
}

// zPropagatePop makes the command propagate as ZPOPMIN/ZPOPMAX key [n].
func zPropagatePop(c *Client, key []byte, max bool, n int, withCount bool) {
	name := zPopMinName
	if max {
		name = zPopMaxName
	}
	if !withCount {
		c.Propagate(name, key)
		return
	}
	var num [20]byte
	c.Propagate(name, key, strconv.AppendInt(num[:0], int64(n), 10))
}

// zmpopArgs parses "numkeys key [key ...] MIN|MAX [COUNT count]" with
// numkeys at args[numIdx], replying the error on failure.
func zmpopArgs(c *Client, args [][]byte, numIdx int) (keys [][]byte, max bool, count int64, ok bool) {
	numkeys, ok := ParseInt(args[numIdx])
	if !ok || numkeys < 1 {
		c.Error(errZNumKeys)
		return nil, false, 0, false
	}
	if numkeys >= int64(len(args)-numIdx-1) {
		c.Error(ErrSyntax)
		return nil, false, 0, false
	}
	whereIdx := numIdx + int(numkeys) + 1
	switch {
	case EqualFold(args[whereIdx], "min"):
	case EqualFold(args[whereIdx], "max"):
		max = true
	default:
		c.Error(ErrSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(args); j++ {
		if count == -1 && EqualFold(args[j], "count") && j+1 < len(args) {
			j++
			n, ok := ParseInt(args[j])
			if !ok || n < 1 {
				c.Error(errZCount)
				return nil, false, 0, false
			}
			count = n
			continue
		}
		c.Error(ErrSyntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return args[numIdx+1 : whereIdx], max, count, true
}

func cmdZMPop(c *Client, args [][]byte) {
	keys, max, count, ok := zmpopArgs(c, args, 1)
	if !ok {
		return
	}
	key, n := zpopKeys(c, keys, max, count, zPopShape{emitKey: true, nested: true, nilNone: true})
	if n > 0 {
		zPropagatePop(c, key, max, n, true)
	}
}

func cmdBZPopMin(c *Client, args [][]byte) { bzpopCommand(c, args, false) }
func cmdBZPopMax(c *Client, args [][]byte) { bzpopCommand(c, args, true) }

func bzpopCommand(c *Client, args [][]byte, max bool) {
	timeout, ok := listTimeout(c, args[len(args)-1])
	if !ok {
		return
	}
	zBlockingPop(c, args[1:len(args)-1], max, -1, false, timeout)
}

func cmdBZMPop(c *Client, args [][]byte) {
	keys, max, count, ok := zmpopArgs(c, args, 2)
	if !ok {
		return
	}
	timeout, ok := listTimeout(c, args[1])
	if !ok {
		return
	}
	zBlockingPop(c, keys, max, count, true, timeout)
}

// zBlockingPop pops from the first non-empty sorted set of keys or blocks.
// When the client is served after blocking, keys that became something
// else than a sorted set are passed over (Redis 7.0 leaves such a client
// blocked), and the key that was signalled is tried first, as Redis
// serves the ready key.
func zBlockingPop(c *Client, keys [][]byte, max bool, count int64, mpop bool, timeout time.Duration) {
	for _, k := range c.ServedKeyFirst(keys) {
		ent := c.DB.LookupWrite(k)
		if ent == nil {
			continue
		}
		z, isZ := ent.Val.Val.(*keyspace.ZSet)
		if !isZ {
			if c.Reprocessing() {
				continue
			}
			c.Error(ErrWrongType)
			return
		}
		if z.Len() == 0 {
			continue
		}
		n := zpop(c, k, z, max, count, zPopShape{emitKey: true, nested: mpop, nilNone: mpop})
		zPropagatePop(c, k, max, n, mpop)
		return
	}
	if !c.CanBlock() {
		// Inside MULTI Redis answers as on timeout.
		c.W.NullArray()
		return
	}
	c.Block(keys, timeout, zTimedOut)
}

func zTimedOut(c *Client) { c.W.NullArray() }
