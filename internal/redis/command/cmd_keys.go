package command

import (
	"math"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

// Generic keyspace commands: existence, deletion, renaming, moving and
// copying keys, iteration (KEYS, SCAN, RANDOMKEY) and whole-database
// operations (DBSIZE, FLUSHDB, FLUSHALL, SWAPDB).

func init() {
	register(func(e *Engine) {
		e.Table.Add(
			&Command{Name: "del", Arity: -2, Flags: Write, Keys: KeySpec{1, -1, 1}, Group: "generic", Since: "1.0.0", Summary: "Delete a key", Handler: cmdDel},
			&Command{Name: "unlink", Arity: -2, Flags: Write | Fast, Keys: KeySpec{1, -1, 1}, Group: "generic", Since: "4.0.0", Summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", Handler: cmdDel},
			&Command{Name: "exists", Arity: -2, Flags: ReadOnly | Fast, Keys: KeySpec{1, -1, 1}, Group: "generic", Since: "1.0.0", Summary: "Determine if a key exists", Handler: cmdExists},
			&Command{Name: "type", Arity: 2, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "1.0.0", Summary: "Determine the type stored at key", Handler: cmdType},
			&Command{Name: "keys", Arity: 2, Flags: ReadOnly, ACL: []string{"dangerous"}, Group: "generic", Since: "1.0.0", Summary: "Find all keys matching the given pattern", Handler: cmdKeys},
			&Command{Name: "scan", Arity: -2, Flags: ReadOnly, Group: "generic", Since: "2.8.0", Summary: "Incrementally iterate the keys space", Handler: cmdScan},
			&Command{Name: "randomkey", Arity: 1, Flags: ReadOnly, Group: "generic", Since: "1.0.0", Summary: "Return a random key from the keyspace", Handler: cmdRandomKey},
			&Command{Name: "rename", Arity: 3, Flags: Write, Keys: KeySpec{1, 2, 1}, Group: "generic", Since: "1.0.0", Summary: "Rename a key", Handler: cmdRename},
			&Command{Name: "renamenx", Arity: 3, Flags: Write | Fast, Keys: KeySpec{1, 2, 1}, Group: "generic", Since: "1.0.0", Summary: "Rename a key, only if the new key does not exist", Handler: cmdRenameNX},
			&Command{Name: "move", Arity: 3, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "1.0.0", Summary: "Move a key to another database", Handler: cmdMove},
			&Command{Name: "copy", Arity: -3, Flags: Write | DenyOOM, Keys: KeySpec{1, 2, 1}, Group: "generic", Since: "6.2.0", Summary: "Copy a key", Handler: cmdCopy},
			&Command{Name: "touch", Arity: -2, Flags: ReadOnly | Fast, Keys: KeySpec{1, -1, 1}, Group: "generic", Since: "3.2.1", Summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.", Handler: cmdTouch},
			&Command{Name: "dbsize", Arity: 1, Flags: ReadOnly | Fast, ACL: []string{"keyspace"}, Group: "server", Since: "1.0.0", Summary: "Return the number of keys in the selected database", Handler: cmdDBSize},
			&Command{Name: "flushdb", Arity: -1, Flags: Write, ACL: []string{"keyspace", "dangerous"}, Group: "server", Since: "1.0.0", Summary: "Remove all keys from the current database", Handler: cmdFlushDB},
			&Command{Name: "flushall", Arity: -1, Flags: Write, ACL: []string{"keyspace", "dangerous"}, Group: "server", Since: "1.0.0", Summary: "Remove all keys from all databases", Handler: cmdFlushAll},
			&Command{Name: "swapdb", Arity: 3, Flags: Write | Fast, ACL: []string{"keyspace", "dangerous"}, Group: "server", Since: "4.0.0", Summary: "Swaps two Redis databases", Handler: cmdSwapDB},
		)
	})
}

// Error texts of the generic keyspace commands.
const (
	errInvalidFirstDB  = "ERR invalid first DB index"
	errInvalidSecondDB = "ERR invalid second DB index"
	errNotInt32        = "ERR value is out of range, value must between -2147483648 and 2147483647"
)

// cmdDel serves DEL and UNLINK: memory is reclaimed by the Go collector,
// so both free synchronously from the client's point of view.
func cmdDel(c *Client, args [][]byte) {
	n := int64(0)
	for _, k := range args[1:] {
		if c.DB.Delete(k) {
			c.Modified(k)
			n++
		}
	}
	c.W.Int(n)
}

// cmdExists counts every argument that names a live key, so a key given
// twice counts twice.
func cmdExists(c *Client, args [][]byte) { countLive(c, args[1:], c.DB.LookupNoTouch) }

// cmdTouch is EXISTS that also updates the keys' access time.
func cmdTouch(c *Client, args [][]byte) { countLive(c, args[1:], c.DB.LookupRead) }

func countLive(c *Client, keys [][]byte, lookup func([]byte) *keyspace.KeyEntry) {
	n := int64(0)
	for _, k := range keys {
		if lookup(k) != nil {
			n++
		}
	}
	c.W.Int(n)
}

func cmdType(c *Client, args [][]byte) {
	e := c.DB.LookupNoTouch(args[1])
	if e == nil {
		c.W.Simple("none")
		return
	}
	c.W.Simple(e.Val.Val.Kind().String())
}

// cmdKeys lists the matching keys that are not logically expired; like
// Redis it does not delete the expired ones it passes.
func cmdKeys(c *Client, args [][]byte) {
	pat := args[1]
	all := len(pat) == 1 && pat[0] == '*'
	var keys []string
	c.DB.Dict().Each(func(e *keyspace.KeyEntry) bool {
		if (all || GlobMatch(pat, []byte(e.Key), false)) && !c.DB.IsExpired(e) {
			keys = append(keys, e.Key)
		}
		return true
	})
	writeKeyList(c, keys)
}

func writeKeyList(c *Client, keys []string) {
	c.W.Array(len(keys))
	for _, k := range keys {
		c.W.BulkString(k)
	}
}

// cmdScan walks the key dictionary with its reverse-binary cursor, which
// returns every key present for the whole scan even across resizes. It
// gathers up to COUNT keys (visiting at most 10*COUNT buckets), then
// filters by pattern, type and expiry, as Redis's scanGenericCommand.
func cmdScan(c *Client, args [][]byte) {
	cursor, o, ok := c.parseScanArgs(args, 1, true)
	if !ok {
		return
	}
	d := c.DB.Dict()
	var keys []string
	collect := func(e *keyspace.KeyEntry) { keys = append(keys, e.Key) }
	for budget := o.Count * 10; ; budget-- {
		cursor = d.Scan(cursor, collect)
		if cursor == 0 || budget == 0 || len(keys) >= o.Count {
			break
		}
	}
	kept := keys[:0]
	for _, k := range keys {
		if o.Match != nil && !GlobMatch(o.Match, []byte(k), false) {
			continue
		}
		if o.Type != "" {
			// A key that expires here reads as "none", as in Redis.
			typ := "none"
			if e := c.DB.LookupNoTouch([]byte(k)); e != nil {
				typ = e.Val.Val.Kind().String()
			}
			if typ != o.Type {
				continue
			}
		}
		if c.DB.Peek([]byte(k)) != nil && !c.DB.Exists([]byte(k)) {
			continue // expired (and removed, unless on a replica)
		}
		kept = append(kept, k)
	}
	out := make([][]byte, len(kept))
	for i, k := range kept {
		out[i] = []byte(k)
	}
	c.scanReply(cursor, out)
}

func cmdRandomKey(c *Client, args [][]byte) {
	e := c.DB.RandomKey()
	if e == nil {
		c.W.Null()
		return
	}
	c.W.BulkString(e.Key)
}

func cmdRename(c *Client, args [][]byte)   { renameGeneric(c, args, false) }
func cmdRenameNX(c *Client, args [][]byte) { renameGeneric(c, args, true) }

// renameGeneric moves the value, its TTL and its access time to the new
// name, replacing (RENAME) or refusing (RENAMENX) an existing target.
func renameGeneric(c *Client, args [][]byte, nx bool) {
	src, dst := args[1], args[2]
	if c.DB.LookupWrite(src) == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	if string(src) == string(dst) {
		if nx {
			c.W.Int(0)
		} else {
			c.OK()
		}
		return
	}
	if c.DB.LookupWrite(dst) != nil {
		if nx {
			c.W.Int(0)
			return
		}
		c.DB.Delete(dst)
	}
	old := c.DB.Remove(src)
	e := c.DB.Add(dst, old.Val.Val)
	e.Val.LRU = old.Val.LRU
	if old.Val.Expire != 0 {
		c.DB.SetExpire(e, old.Val.Expire)
	}
	// Redis counts one change for the pair.
	c.Modified(src)
	c.E.signalKey(c.DB.ID, dst)
	if nx {
		c.W.Int(1)
	} else {
		c.OK()
	}
}

// dbIndexArg parses a database number as Redis's getIntFromObjectOrReply
// plus selectDb.
func (c *Client) dbIndexArg(b []byte) (int, bool) {
	v, ok := c.IntArg(b)
	if !ok {
		return 0, false
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		c.Error(errNotInt32)
		return 0, false
	}
	if v < 0 || v >= int64(len(c.E.KS.DBs)) {
		c.Error(ErrDBIndex)
		return 0, false
	}
	return int(v), true
}

func cmdMove(c *Client, args [][]byte) {
	key := args[1]
	id, ok := c.dbIndexArg(args[2])
	if !ok {
		return
	}
	if id == c.DB.ID {
		c.Error(ErrSameObject)
		return
	}
	dst := c.E.KS.DBs[id]
	if c.DB.LookupWrite(key) == nil || dst.LookupWrite(key) != nil {
		c.W.Int(0)
		return
	}
	old := c.DB.Remove(key)
	e := dst.Add(key, old.Val.Val)
	e.Val.LRU = old.Val.LRU
	if old.Val.Expire != 0 {
		dst.SetExpire(e, old.Val.Expire)
	}
	c.Modified(key)
	c.E.signalKey(id, key)
	c.W.Int(1)
}

// cmdCopy duplicates a value (Value.Clone) with its TTL, in the same or
// another database; REPLACE overwrites an existing target.
func cmdCopy(c *Client, args [][]byte) {
	src, dstKey := args[1], args[2]
	dst := c.DB
	replace := false
	for i := 3; i < len(args); i++ {
		switch {
		case EqualFold(args[i], "replace"):
			replace = true
		case EqualFold(args[i], "db") && i+1 < len(args):
			id, ok := c.dbIndexArg(args[i+1])
			if !ok {
				return
			}
			dst = c.E.KS.DBs[id]
			i++
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if dst == c.DB && string(src) == string(dstKey) {
		c.Error(ErrSameObject)
		return
	}
	e := c.DB.LookupRead(src)
	if e == nil {
		c.W.Int(0)
		return
	}
	if dst.LookupWrite(dstKey) != nil {
		if !replace {
			c.W.Int(0)
			return
		}
		dst.Delete(dstKey)
	}
	n := dst.Add(dstKey, e.Val.Val.Clone())
	if e.Val.Expire != 0 {
		dst.SetExpire(n, e.Val.Expire)
	}
	c.ModifiedIn(dst.ID, dstKey)
	c.W.Int(1)
}

func cmdDBSize(c *Client, args [][]byte) { c.W.Int(int64(c.DB.Len())) }

// flushArgs validates FLUSHDB / FLUSHALL's optional ASYNC|SYNC. Both free
// at once here: the Go collector reclaims the memory in the background.
func flushArgs(c *Client, args [][]byte) bool {
	if len(args) == 1 || (len(args) == 2 && (EqualFold(args[1], "async") || EqualFold(args[1], "sync"))) {
		return true
	}
	c.Error(ErrSyntax)
	return false
}

// cmdFlushDB empties the current database. It breaks the WATCH of clients
// watching keys that existed, counts one change per removed key, and is
// propagated even when the database was already empty.
func cmdFlushDB(c *Client, args [][]byte) {
	if !flushArgs(c, args) {
		return
	}
	c.E.TouchAllWatched(c.DB.ID, -1)
	n := c.DB.Flush()
	c.AddDirty(int64(n))
	c.forcePropagation()
	c.OK()
}

// cmdFlushAll empties every database: one change per removed key plus one,
// so it is always propagated (with its own arguments, as Redis 7.0).
func cmdFlushAll(c *Client, args [][]byte) {
	if !flushArgs(c, args) {
		return
	}
	for i := range c.E.KS.DBs {
		c.E.TouchAllWatched(i, -1)
	}
	n := c.E.KS.FlushAll()
	c.AddDirty(int64(n) + 1)
	c.OK()
}

// forcePropagation makes the current command propagate although it may
// have changed nothing (Redis's forceCommandPropagation), without counting
// a change for persistence.
func (c *Client) forcePropagation() { c.dirty++ }

func cmdSwapDB(c *Client, args [][]byte) {
	a, ok := ParseInt(args[1])
	if !ok || a < math.MinInt32 || a > math.MaxInt32 {
		c.Error(errInvalidFirstDB)
		return
	}
	b, ok := ParseInt(args[2])
	if !ok || b < math.MinInt32 || b > math.MaxInt32 {
		c.Error(errInvalidSecondDB)
		return
	}
	n := int64(len(c.E.KS.DBs))
	if a < 0 || a >= n || b < 0 || b >= n {
		c.Error(ErrDBIndex)
		return
	}
	if a != b {
		c.E.TouchAllWatched(int(a), int(b))
		c.E.KS.Swap(int(a), int(b))
		c.E.signalReadyAfterSwap(int(a), int(b))
	}
	c.AddDirty(1)
	c.OK()
}

// signalReadyAfterSwap wakes clients blocked on keys of the two swapped
// databases that now exist (Redis's scanDatabaseForReadyKeys): blocked
// clients stay in their database while its contents changed.
func (e *Engine) signalReadyAfterSwap(a, b int) {
	var ready []dbKey
	for k := range e.blocked {
		if (k.db == a || k.db == b) && e.KS.DBs[k.db].Peek([]byte(k.key)) != nil {
			ready = append(ready, k)
		}
	}
	for _, k := range ready {
		e.signalKey(k.db, []byte(k.key))
	}
}
