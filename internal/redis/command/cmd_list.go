package command

import (
	"bytes"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

func init() {
	register(func(e *Engine) {
		const blk = Write | NoScript | Blocking
		e.Table.Add(
			&Command{Name: "lpush", Arity: -3, Flags: Write | DenyOOM | Fast, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "1.0.0", Summary: "Prepend one or multiple elements to a list", Handler: cmdLPush},
			&Command{Name: "rpush", Arity: -3, Flags: Write | DenyOOM | Fast, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "1.0.0", Summary: "Append one or multiple elements to a list", Handler: cmdRPush},
			&Command{Name: "lpushx", Arity: -3, Flags: Write | DenyOOM | Fast, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "2.2.0", Summary: "Prepend an element to a list, only if the list exists", Handler: cmdLPushX},
			&Command{Name: "rpushx", Arity: -3, Flags: Write | DenyOOM | Fast, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "2.2.0", Summary: "Append an element to a list, only if the list exists", Handler: cmdRPushX},
			&Command{Name: "lpop", Arity: -2, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "1.0.0", Summary: "Remove and get the first elements in a list", Handler: cmdLPop},
			&Command{Name: "rpop", Arity: -2, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "1.0.0", Summary: "Remove and get the last elements in a list", Handler: cmdRPop},
			&Command{Name: "llen", Arity: 2, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "1.0.0", Summary: "Get the length of a list", Handler: cmdLLen},
			&Command{Name: "lindex", Arity: 3, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "1.0.0", Summary: "Get an element from a list by its index", Handler: cmdLIndex},
			&Command{Name: "lset", Arity: 4, Flags: Write | DenyOOM, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "1.0.0", Summary: "Set the value of an element in a list by its index", Handler: cmdLSet},
			&Command{Name: "lrange", Arity: 4, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "1.0.0", Summary: "Get a range of elements from a list", Handler: cmdLRange},
			&Command{Name: "ltrim", Arity: 4, Flags: Write, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "1.0.0", Summary: "Trim a list to the specified range", Handler: cmdLTrim},
			&Command{Name: "lrem", Arity: 4, Flags: Write, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "1.0.0", Summary: "Remove elements from a list", Handler: cmdLRem},
			&Command{Name: "linsert", Arity: 5, Flags: Write | DenyOOM, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "2.2.0", Summary: "Insert an element before or after another element in a list", Handler: cmdLInsert},
			&Command{Name: "lpos", Arity: -3, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, Group: "list", Since: "6.0.6", Summary: "Return the index of matching elements on a list", Handler: cmdLPos},
			&Command{Name: "rpoplpush", Arity: 3, Flags: Write | DenyOOM, Keys: KeySpec{1, 2, 1}, Group: "list", Since: "1.2.0", Summary: "Remove the last element in a list, prepend it to another list and return it", Handler: cmdRPopLPush},
			&Command{Name: "lmove", Arity: 5, Flags: Write | DenyOOM, Keys: KeySpec{1, 2, 1}, Group: "list", Since: "6.2.0", Summary: "Pop an element from a list, push it to another list and return it", Handler: cmdLMove},
			&Command{Name: "lmpop", Arity: -4, Flags: Write, KeysFunc: listNumKeys(1), Group: "list", Since: "7.0.0", Summary: "Pop elements from a list", Handler: cmdLMPop},
			&Command{Name: "blpop", Arity: -3, Flags: blk, Keys: KeySpec{1, -2, 1}, Group: "list", Since: "2.0.0", Summary: "Remove and get the first element in a list, or block until one is available", Handler: cmdBLPop},
			&Command{Name: "brpop", Arity: -3, Flags: blk, Keys: KeySpec{1, -2, 1}, Group: "list", Since: "2.0.0", Summary: "Remove and get the last element in a list, or block until one is available", Handler: cmdBRPop},
			&Command{Name: "brpoplpush", Arity: 4, Flags: blk | DenyOOM, Keys: KeySpec{1, 2, 1}, Group: "list", Since: "2.2.0", Summary: "Pop an element from a list, push it to another list and return it; or block until one is available", Handler: cmdBRPopLPush},
			&Command{Name: "blmove", Arity: 6, Flags: blk | DenyOOM, Keys: KeySpec{1, 2, 1}, Group: "list", Since: "6.2.0", Summary: "Pop an element from a list, push it to another list and return it; or block until one is available", Handler: cmdBLMove},
			&Command{Name: "blmpop", Arity: -5, Flags: Write | Blocking, KeysFunc: listNumKeys(2), Group: "list", Since: "7.0.0", Summary: "Pop elements from a list, or block until one is available", Handler: cmdBLMPop},
		)
	})
}

// Error texts of t_list.c that errors.go does not hold.
const (
	errListRankZero  = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errListPosCount  = "ERR COUNT can't be negative"
	errListPosMaxLen = "ERR MAXLEN can't be negative"
	errListNumKeys   = "ERR numkeys should be greater than 0"
	errListMPopCount = "ERR count should be greater than 0"
)

// listEnd is the end of a list an element is popped from or pushed to.
type listEnd uint8

const (
	listLeft listEnd = iota
	listRight
)

// Words used when commands are propagated as other commands: Redis's
// shared objects, whose case replicas and AOF files see.
var (
	listPopName  = [2][]byte{[]byte("LPOP"), []byte("RPOP")}
	listEndName  = [2][]byte{[]byte("left"), []byte("right")}
	listLMove    = []byte("LMOVE")
	listRPopPush = []byte("RPOPLPUSH")
)

func (w listEnd) pop(l *keyspace.List) []byte {
	if w == listLeft {
		return l.PopFront()
	}
	return l.PopBack()
}

func (w listEnd) push(l *keyspace.List, v []byte) {
	if w == listLeft {
		l.PushFront(v)
	} else {
		l.PushBack(v)
	}
}

// parseListEnd reads LEFT or RIGHT, replying a syntax error otherwise.
func parseListEnd(c *Client, b []byte) (listEnd, bool) {
	switch {
	case EqualFold(b, "left"):
		return listLeft, true
	case EqualFold(b, "right"):
		return listRight, true
	}
	c.Error(ErrSyntax)
	return 0, false
}

// parseListEnds reads LMOVE's wherefrom and whereto.
func parseListEnds(c *Client, a, b []byte) (from, to listEnd, ok bool) {
	if from, ok = parseListEnd(c, a); ok {
		to, ok = parseListEnd(c, b)
	}
	return from, to, ok
}

// asList returns the list held by e: nil for a missing key, ok false
// after a WRONGTYPE reply.
func asList(c *Client, e *keyspace.KeyEntry) (l *keyspace.List, ok bool) {
	if e == nil {
		return nil, true
	}
	l, ok = e.Val.Val.(*keyspace.List)
	if !ok {
		c.Error(ErrWrongType)
	}
	return l, ok
}

// listOrZero returns the list held by e, or nil after replying 0 for a
// missing key (LLEN, LREM, LINSERT) or WRONGTYPE.
func listOrZero(c *Client, e *keyspace.KeyEntry) *keyspace.List {
	l, ok := asList(c, e)
	if ok && l == nil {
		c.W.Int(0)
	}
	return l
}

// listModified records a change of n elements of key: Redis counts every
// pushed or removed element in the dirty counter.
func listModified(c *Client, key []byte, n int) {
	c.Modified(key)
	if n > 1 {
		c.AddDirty(int64(n - 1))
	}
}

func cmdLPush(c *Client, args [][]byte)  { listPush(c, args, listLeft, false) }
func cmdRPush(c *Client, args [][]byte)  { listPush(c, args, listRight, false) }
func cmdLPushX(c *Client, args [][]byte) { listPush(c, args, listLeft, true) }
func cmdRPushX(c *Client, args [][]byte) { listPush(c, args, listRight, true) }

func listPush(c *Client, args [][]byte, where listEnd, onlyExisting bool) {
	key := args[1]
	l, ok := asList(c, c.DB.LookupWrite(key))
	if !ok {
		return
	}
	if l == nil {
		if onlyExisting {
			c.W.Int(0)
			return
		}
		l = keyspace.NewList()
		c.DB.Add(key, l)
	}
	l.Reserve(len(args) - 2)
	for _, v := range args[2:] {
		where.push(l, Clone(v))
	}
	c.W.Int(int64(l.Len()))
	listModified(c, key, len(args)-2)
}

func cmdLPop(c *Client, args [][]byte) { listPop(c, args, listLeft) }
func cmdRPop(c *Client, args [][]byte) { listPop(c, args, listRight) }

func listPop(c *Client, args [][]byte, where listEnd) {
	if len(args) > 3 {
		c.ArityError()
		return
	}
	hasCount := len(args) == 3
	var count int64
	if hasCount {
		n, ok := listLongArg(c, args[2], 0, ErrNegativeCount)
		if !ok {
			return
		}
		count = n
	}
	key := args[1]
	l, ok := asList(c, c.DB.LookupWrite(key))
	switch {
	case !ok:
		return
	case l == nil && hasCount:
		c.W.NullArray()
		return
	case l == nil:
		c.W.Null()
		return
	case hasCount && count == 0:
		c.W.Array(0)
		return
	case !hasCount:
		c.W.Bulk(where.pop(l))
		c.Modified(key)
		return
	}
	n := int(min(count, int64(l.Len())))
	c.W.Array(n)
	for i := 0; i < n; i++ {
		c.W.Bulk(where.pop(l))
	}
	listModified(c, key, n)
}

// listLongArg parses an integer argument of at least lo, replying msg for
// anything else, a non-integer included (Redis's
// getRangeLongFromObjectOrReply with a message).
func listLongArg(c *Client, b []byte, lo int64, msg string) (int64, bool) {
	v, ok := ParseInt(b)
	if !ok || v < lo {
		c.Error(msg)
		return 0, false
	}
	return v, true
}

func cmdLLen(c *Client, args [][]byte) {
	if l := listOrZero(c, c.DB.LookupRead(args[1])); l != nil {
		c.W.Int(int64(l.Len()))
	}
}

// listIndexArg parses an index argument (negative counts from the tail)
// into a position of a list of n elements. ok is false after an integer
// error; in reports whether the position is inside the list.
func listIndexArg(c *Client, b []byte, n int) (pos int, ok, in bool) {
	idx, ok := c.IntArg(b)
	if !ok {
		return 0, false, false
	}
	if idx < 0 {
		idx += int64(n)
	}
	if idx < 0 || idx >= int64(n) {
		return 0, true, false
	}
	return int(idx), true, true
}

func cmdLIndex(c *Client, args [][]byte) {
	l, ok := asList(c, c.DB.LookupRead(args[1]))
	if !ok {
		return
	}
	if l == nil {
		c.W.Null()
		return
	}
	i, ok, in := listIndexArg(c, args[2], l.Len())
	if !ok {
		return
	}
	if !in {
		c.W.Null()
		return
	}
	c.W.Bulk(l.At(i))
}

func cmdLSet(c *Client, args [][]byte) {
	e := c.DB.LookupWrite(args[1])
	if e == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	l, ok := asList(c, e)
	if !ok {
		return
	}
	i, ok, in := listIndexArg(c, args[2], l.Len())
	if !ok {
		return
	}
	if !in {
		c.Error(ErrOutOfRange)
		return
	}
	l.Set(i, Clone(args[3]))
	c.OK()
	c.Modified(args[1])
}

// listRange converts LRANGE/LTRIM bounds (negative from the tail,
// inclusive) into positions; ok is false when the range is empty.
func listRange(start, end int64, n int) (from, to int, ok bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	start = max(start, 0)
	if start > end || start >= ln {
		return 0, 0, false
	}
	end = min(end, ln-1)
	return int(start), int(end), true
}

// listBounds parses the start and end arguments of LRANGE and LTRIM.
func listBounds(c *Client, args [][]byte) (start, end int64, ok bool) {
	if start, ok = c.IntArg(args[2]); !ok {
		return 0, 0, false
	}
	end, ok = c.IntArg(args[3])
	return start, end, ok
}

func cmdLRange(c *Client, args [][]byte) {
	start, end, ok := listBounds(c, args)
	if !ok {
		return
	}
	l, ok := asList(c, c.DB.LookupRead(args[1]))
	if !ok {
		return
	}
	if l == nil {
		c.W.Array(0)
		return
	}
	from, to, ok := listRange(start, end, l.Len())
	if !ok {
		c.W.Array(0)
		return
	}
	c.W.Array(to - from + 1)
	for i := from; i <= to; i++ {
		c.W.Bulk(l.At(i))
	}
}

func cmdLTrim(c *Client, args [][]byte) {
	start, end, ok := listBounds(c, args)
	if !ok {
		return
	}
	key := args[1]
	l, ok := asList(c, c.DB.LookupWrite(key))
	if !ok {
		return
	}
	if l == nil {
		c.OK()
		return
	}
	n := l.Len()
	front, back := n, 0
	if from, to, ok := listRange(start, end, n); ok {
		front, back = from, n-1-to
	}
	l.TrimFront(front)
	l.TrimBack(back)
	c.OK()
	if front+back == 0 {
		// Redis still signals the key (WATCH breaks) but, with nothing
		// counted as dirty, does not propagate the command.
		c.E.signalKey(c.DB.ID, key)
		return
	}
	listModified(c, key, front+back)
}

func cmdLRem(c *Client, args [][]byte) {
	count, ok := c.IntArg(args[2])
	if !ok {
		return
	}
	key := args[1]
	l := listOrZero(c, c.DB.LookupWrite(key))
	if l == nil {
		return
	}
	// A negative count removes from the tail. Like Redis, -LONG_MIN stays
	// negative and then removes every match.
	fromTail := count < 0
	if fromTail {
		count = -count
	}
	removed := l.RemoveEqual(args[3], count, fromTail)
	c.W.Int(removed)
	if removed > 0 {
		listModified(c, key, int(removed))
	}
}

func cmdLInsert(c *Client, args [][]byte) {
	var after bool
	switch {
	case EqualFold(args[2], "after"):
		after = true
	case EqualFold(args[2], "before"):
	default:
		c.Error(ErrSyntax)
		return
	}
	key := args[1]
	l := listOrZero(c, c.DB.LookupWrite(key))
	if l == nil {
		return
	}
	for i := 0; i < l.Len(); i++ {
		if bytes.Equal(l.At(i), args[3]) {
			if after {
				i++
			}
			l.Insert(i, Clone(args[4]))
			c.W.Int(int64(l.Len()))
			c.Modified(key)
			return
		}
	}
	c.W.Int(-1)
}

func cmdLPos(c *Client, args [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	var ok bool
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch {
		case EqualFold(args[j], "rank") && more:
			j++
			if rank, ok = c.IntArg(args[j]); !ok {
				return
			}
			if rank == 0 {
				c.Error(errListRankZero)
				return
			}
		case EqualFold(args[j], "count") && more:
			j++
			if count, ok = listLongArg(c, args[j], 0, errListPosCount); !ok {
				return
			}
		case EqualFold(args[j], "maxlen") && more:
			j++
			if maxlen, ok = listLongArg(c, args[j], 0, errListPosMaxLen); !ok {
				return
			}
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	fromTail := rank < 0
	if fromTail {
		// -LONG_MIN wraps to itself, as in Redis: every match then counts.
		rank = -rank
	}
	l, ok := asList(c, c.DB.LookupRead(args[1]))
	if !ok {
		return
	}
	if l == nil {
		if count != -1 {
			c.W.Array(0)
		} else {
			c.W.Null()
		}
		return
	}
	n := l.Len()
	var stack [16]int64
	found := stack[:0]
	var matches int64
	for scanned := 0; scanned < n && (maxlen == 0 || int64(scanned) < maxlen); scanned++ {
		pos := scanned
		if fromTail {
			pos = n - 1 - scanned
		}
		if !bytes.Equal(l.At(pos), args[2]) {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		if count == -1 {
			c.W.Int(int64(pos))
			return
		}
		found = append(found, int64(pos))
		if count != 0 && matches-rank+1 >= count {
			break
		}
	}
	if count == -1 {
		c.W.Null()
		return
	}
	c.W.Array(len(found))
	for _, pos := range found {
		c.W.Int(pos)
	}
}

func cmdRPopLPush(c *Client, args [][]byte) {
	listMove(c, args[1], args[2], listRight, listLeft)
}

func cmdLMove(c *Client, args [][]byte) {
	from, to, ok := parseListEnds(c, args[3], args[4])
	if !ok {
		return
	}
	listMove(c, args[1], args[2], from, to)
}

// listMove is LMOVE: it replies and reports whether an element moved. The
// destination's type is checked before anything is popped.
func listMove(c *Client, src, dst []byte, from, to listEnd) bool {
	sl, ok := asList(c, c.DB.LookupWrite(src))
	if !ok {
		return false
	}
	if sl == nil || sl.Len() == 0 {
		c.W.Null()
		return false
	}
	dl, ok := asList(c, c.DB.LookupWrite(dst))
	if !ok {
		return false
	}
	v := from.pop(sl)
	if dl == nil {
		dl = keyspace.NewList()
		c.DB.Add(dst, dl)
	}
	to.push(dl, v)
	c.W.Bulk(v)
	c.Modified(src)
	if !bytes.Equal(src, dst) {
		c.Modified(dst)
		// Redis counts one change for the move, not one per key.
		c.AddDirty(-1)
	}
	return true
}

// listNumKeys gives the key positions of LMPOP (numkeys at index 1) and
// BLMPOP (index 2).
func listNumKeys(numIdx int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		if numIdx >= len(args) {
			return nil
		}
		n, ok := ParseInt(args[numIdx])
		if !ok || n < 1 || n > int64(len(args)-numIdx-1) {
			return nil
		}
		out := make([]int, n)
		for i := range out {
			out[i] = numIdx + 1 + i
		}
		return out
	}
}

func cmdLMPop(c *Client, args [][]byte)  { listMPop(c, args, 1, false) }
func cmdBLMPop(c *Client, args [][]byte) { listMPop(c, args, 2, true) }

// listMPop parses "numkeys key... LEFT|RIGHT [COUNT count]" starting at
// args[numIdx], in Redis's order of checks; BLMPOP's timeout is parsed
// only after the rest.
func listMPop(c *Client, args [][]byte, numIdx int, block bool) {
	numkeys, ok := listLongArg(c, args[numIdx], 1, errListNumKeys)
	if !ok {
		return
	}
	if numkeys > int64(len(args)-numIdx-2) {
		c.Error(ErrSyntax)
		return
	}
	whereIdx := numIdx + int(numkeys) + 1
	where, ok := parseListEnd(c, args[whereIdx])
	if !ok {
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(args); j++ {
		if count != -1 || !EqualFold(args[j], "count") || j+1 == len(args) {
			c.Error(ErrSyntax)
			return
		}
		j++
		if count, ok = listLongArg(c, args[j], 1, errListMPopCount); !ok {
			return
		}
	}
	count = max(count, 1)
	keys := args[numIdx+1 : whereIdx]
	if block {
		listBlockingPop(c, keys, where, args[1], count)
		return
	}
	if !listPopFirst(c, keys, where, count) {
		c.W.NullArray()
	}
}

func cmdBLPop(c *Client, args [][]byte) {
	listBlockingPop(c, args[1:len(args)-1], listLeft, args[len(args)-1], -1)
}

func cmdBRPop(c *Client, args [][]byte) {
	listBlockingPop(c, args[1:len(args)-1], listRight, args[len(args)-1], -1)
}

// listPopFirst pops from the first non-empty list among keys and reports
// whether it replied. count < 0 is BLPOP's [key, element] reply, otherwise
// LMPOP's [key, [elements]]. Either way the write propagates as LPOP/RPOP,
// with the number popped for LMPOP, as Redis 7.0 rewrites it.
//
// While a blocked client is served again, keys holding another type are
// skipped: Redis 7.0 serves a blocked client only from list keys.
func listPopFirst(c *Client, keys [][]byte, where listEnd, count int64) bool {
	for _, key := range c.ServedKeyFirst(keys) {
		e := c.DB.LookupWrite(key)
		if e == nil {
			continue
		}
		l, isList := e.Val.Val.(*keyspace.List)
		if !isList {
			if c.Reprocessing() {
				continue
			}
			c.Error(ErrWrongType)
			return true
		}
		if l.Len() == 0 {
			continue
		}
		c.W.Array(2)
		c.W.Bulk(key)
		if count < 0 {
			c.W.Bulk(where.pop(l))
			c.Modified(key)
			c.Propagate(listPopName[where], key)
			return true
		}
		n := int(min(count, int64(l.Len())))
		c.W.Array(n)
		for i := 0; i < n; i++ {
			c.W.Bulk(where.pop(l))
		}
		listModified(c, key, n)
		var num [20]byte
		c.Propagate(listPopName[where], key, strconv.AppendInt(num[:0], int64(n), 10))
		return true
	}
	return false
}

// listBlockingPop is BLPOP, BRPOP (count < 0) and BLMPOP.
func listBlockingPop(c *Client, keys [][]byte, where listEnd, timeoutArg []byte, count int64) {
	timeout, ok := listTimeout(c, timeoutArg)
	if !ok || listPopFirst(c, keys, where, count) {
		return
	}
	if !c.CanBlock() {
		// Inside MULTI (or a script) Redis answers as on timeout.
		c.W.NullArray()
		return
	}
	c.Block(keys, timeout, listTimedOut)
}

// listTimedOut is the timeout reply of every blocking list command: Redis
// 7.0 answers a null array even for BLMOVE and BRPOPLPUSH.
func listTimedOut(c *Client) { c.W.NullArray() }

func cmdBRPopLPush(c *Client, args [][]byte) {
	listBlockingMove(c, args, listRight, listLeft, args[3])
}

func cmdBLMove(c *Client, args [][]byte) {
	from, to, ok := parseListEnds(c, args[3], args[4])
	if !ok {
		return
	}
	listBlockingMove(c, args, from, to, args[5])
}

// listBlockingMove is BLMOVE and BRPOPLPUSH. A move done at once
// propagates as LMOVE with the client's own LEFT/RIGHT words (or as
// RPOPLPUSH); a move for a client served after blocking propagates with
// Redis's lower-case "left"/"right".
func listBlockingMove(c *Client, args [][]byte, from, to listEnd, timeoutArg []byte) {
	timeout, ok := listTimeout(c, timeoutArg)
	if !ok {
		return
	}
	src, dst := args[1], args[2]
	if e := c.DB.LookupWrite(src); e != nil {
		sl, isList := e.Val.Val.(*keyspace.List)
		switch {
		case !isList && c.Reprocessing():
			c.Block(args[1:2], timeout, listTimedOut)
			return
		case !isList:
			c.Error(ErrWrongType)
			return
		case sl.Len() == 0:
			// emptied earlier in this command: wait as for a missing key
		default:
			if !listMove(c, src, dst, from, to) {
				return
			}
			switch {
			case len(args) == 4:
				c.Propagate(listRPopPush, src, dst)
			case c.Reprocessing():
				c.Propagate(listLMove, src, dst, listEndName[from], listEndName[to])
			default:
				c.Propagate(listLMove, src, dst, args[3], args[4])
			}
			return
		}
	}
	if !c.CanBlock() {
		c.W.Null()
		return
	}
	c.Block(args[1:2], timeout, listTimedOut)
}

// listTimeout parses a blocking timeout in seconds and replies the error
// on failure. Zero means forever.
func listTimeout(c *Client, b []byte) (time.Duration, bool) {
	ms, errText := parseTimeoutSeconds(b)
	if errText != "" {
		c.Error(errText)
		return 0, false
	}
	if ms > math.MaxInt64/int64(time.Millisecond) {
		// Centuries: as good as forever, without overflowing Duration.
		return time.Duration(math.MaxInt64), true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// timeoutMinExp is the smallest binary exponent (big.Float MantExp) of a
// timeout strtold reads without ERANGE: below half the smallest denormal,
// 2^-16446, it underflows and Redis refuses the value. Precision and the
// upper limit are the x87 constants of cmd_string.go.
const timeoutMinExp = -16445

// parseTimeoutSeconds converts a timeout in seconds to milliseconds as
// Redis 7.0 does: the text is read as a long double (strtold's syntax,
// hexadecimal and inf included), multiplied by 1000 in long double
// precision and rounded up; a value whose milliseconds do not fit an int64
// becomes LLONG_MIN on x86 and so is refused as negative.
func parseTimeoutSeconds(b []byte) (ms int64, errText string) {
	if len(b) == 0 || len(b) >= 5*1024 {
		return 0, ErrTimeout
	}
	kind, exp10 := strtoldSyntax(b)
	switch kind {
	case numInvalid, numNaN:
		return 0, ErrTimeout
	case numInf:
		return 0, ErrTimeoutNegative
	}
	if exp10 > 20000 || exp10 < -20000 {
		// An exponent far outside the long double range: only a zero
		// mantissa survives.
		if !zeroMantissa(b) {
			return 0, ErrTimeout
		}
		return 0, ""
	}
	x, _, err := big.ParseFloat(string(b), 0, x87Prec, big.ToNearestEven)
	if err != nil {
		return 0, ErrTimeout
	}
	if x.Sign() != 0 {
		e := x.MantExp(nil)
		if e > x87MaxExp || e < timeoutMinExp {
			return 0, ErrTimeout
		}
	}
	x.Mul(x, big.NewFloat(1000).SetPrec(x87Prec))
	// Int64 truncates towards zero; Below means a positive value was
	// rounded down (a fraction to round up, or beyond MaxInt64).
	v, acc := x.Int64()
	if acc == big.Below {
		if v == math.MaxInt64 {
			return 0, ErrTimeoutNegative
		}
		v++
	}
	if v < 0 {
		return 0, ErrTimeoutNegative
	}
	return v, ""
}

// Kinds of text strtoldSyntax recognises.
const (
	numInvalid = iota
	numFinite
	numInf
	numNaN
)

// strtoldSyntax reports whether all of b is a number C's strtold reads:
// [sign] then decimal digits with an optional point and e-exponent,
// 0x hex digits with an optional point and p-exponent, "inf",
// "infinity" or "nan" in any case. exp10 is the written exponent,
// saturated, for the caller's range check.
func strtoldSyntax(b []byte) (kind int, exp10 int64) {
	i := 0
	if b[0] == '+' || b[0] == '-' {
		i++
	}
	rest := b[i:]
	switch {
	case EqualFold(rest, "inf"), EqualFold(rest, "infinity"):
		return numInf, 0
	case EqualFold(rest, "nan"):
		return numNaN, 0
	}
	digit := isDecDigit
	expMark := byte('e')
	if len(rest) >= 2 && rest[0] == '0' && (rest[1]|0x20) == 'x' {
		digit = isHexDigit
		expMark = 'p'
		i += 2
	}
	digits := 0
	for ; i < len(b) && digit(b[i]); i++ {
		digits++
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && digit(b[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return numInvalid, 0
	}
	if i < len(b) && (b[i]|0x20) == expMark {
		i++
		expNeg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			expNeg = b[i] == '-'
			i++
		}
		start := i
		for ; i < len(b) && isDecDigit(b[i]); i++ {
			if exp10 < 1<<40 {
				exp10 = exp10*10 + int64(b[i]-'0')
			}
		}
		if i == start {
			return numInvalid, 0
		}
		if expNeg {
			exp10 = -exp10
		}
	}
	if i != len(b) {
		return numInvalid, 0
	}
	return numFinite, exp10
}

func isDecDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

func isHexDigit(ch byte) bool {
	return isDecDigit(ch) || (ch|0x20) >= 'a' && (ch|0x20) <= 'f'
}

// zeroMantissa reports whether the digits before the exponent are all
// zero (b is known to be a valid decimal or hex number).
func zeroMantissa(b []byte) bool {
	hex := false
	for i := 0; i < len(b); i++ {
		ch := b[i]
		switch {
		case ch == 'x' || ch == 'X':
			hex = true
		case !hex && (ch == 'e' || ch == 'E'), hex && (ch == 'p' || ch == 'P'):
			return true
		case ch >= '1' && ch <= '9', hex && isHexDigit(ch) && ch != '0':
			return false
		}
	}
	return true
}
