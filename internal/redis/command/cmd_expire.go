package command

import (
	"math"
	"strconv"
)

// Key expiry: EXPIRE and its variants, the TTL readers and PERSIST.

func init() {
	register(func(e *Engine) {
		e.Table.Add(
			&Command{Name: "expire", Arity: -3, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "1.0.0", Summary: "Set a key's time to live in seconds", Handler: cmdExpire},
			&Command{Name: "pexpire", Arity: -3, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "2.6.0", Summary: "Set a key's time to live in milliseconds", Handler: cmdPExpire},
			&Command{Name: "expireat", Arity: -3, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "1.2.0", Summary: "Set the expiration for a key as a UNIX timestamp", Handler: cmdExpireAt},
			&Command{Name: "pexpireat", Arity: -3, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "2.6.0", Summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds", Handler: cmdPExpireAt},
			&Command{Name: "ttl", Arity: 2, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "1.0.0", Summary: "Get the time to live for a key in seconds", Handler: cmdTTL},
			&Command{Name: "pttl", Arity: 2, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "2.6.0", Summary: "Get the time to live for a key in milliseconds", Handler: cmdPTTL},
			&Command{Name: "expiretime", Arity: 2, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "7.0.0", Summary: "Get the expiration Unix timestamp for a key", Handler: cmdExpireTime},
			&Command{Name: "pexpiretime", Arity: 2, Flags: ReadOnly | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "7.0.0", Summary: "Get the expiration Unix timestamp for a key in milliseconds", Handler: cmdPExpireTime},
			&Command{Name: "persist", Arity: 2, Flags: Write | Fast, Keys: KeySpec{1, 1, 1}, Group: "generic", Since: "2.2.0", Summary: "Remove the expiration from a key", Handler: cmdPersist},
		)
	})
}

// Error texts of the expire family.
const (
	errExpireNXAndOthers = "ERR NX and XX, GT or LT options at the same time are not compatible"
	errExpireGTAndLT     = "ERR GT and LT options at the same time are not compatible"
	errUnsupportedOption = "ERR Unsupported option "
)

// The conditions of EXPIRE and friends (Redis 7.0).
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// parseExpireFlags reads NX XX GT LT (any order, repeats allowed) and
// refuses the combinations Redis refuses.
func parseExpireFlags(c *Client, args [][]byte) (int, bool) {
	flags := 0
	for _, a := range args {
		switch {
		case EqualFold(a, "nx"):
			flags |= expireNX
		case EqualFold(a, "xx"):
			flags |= expireXX
		case EqualFold(a, "gt"):
			flags |= expireGT
		case EqualFold(a, "lt"):
			flags |= expireLT
		default:
			c.Error(errUnsupportedOption + string(a))
			return 0, false
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.Error(errExpireNXAndOthers)
		return 0, false
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.Error(errExpireGTAndLT)
		return 0, false
	}
	return flags, true
}

func cmdExpire(c *Client, args [][]byte)    { expireGeneric(c, args, c.E.KS.Now(), true) }
func cmdPExpire(c *Client, args [][]byte)   { expireGeneric(c, args, c.E.KS.Now(), false) }
func cmdExpireAt(c *Client, args [][]byte)  { expireGeneric(c, args, 0, true) }
func cmdPExpireAt(c *Client, args [][]byte) { expireGeneric(c, args, 0, false) }

// expireAllowed applies NX XX GT LT to the current expiry cur (0: none,
// which counts as an infinite TTL for GT and LT).
func expireAllowed(flags int, cur, when int64) bool {
	switch {
	case flags&expireNX != 0 && cur != 0:
		return false
	case flags&expireXX != 0 && cur == 0:
		return false
	case flags&expireGT != 0 && (cur == 0 || when <= cur):
		return false
	case flags&expireLT != 0 && cur != 0 && when >= cur:
		return false
	}
	return true
}

// expireGeneric sets the expiry of args[1] to base + args[2] (seconds when
// sec). A time already past deletes the key and propagates DEL (Redis 7.0
// with lazyfree-lazy-expire no); otherwise the command propagates as
// PEXPIREAT with the absolute time, keeping its NX/XX/GT/LT arguments.
func expireGeneric(c *Client, args [][]byte, base int64, sec bool) {
	key := args[1]
	flags, ok := parseExpireFlags(c, args[3:])
	if !ok {
		return
	}
	when, ok := c.IntArg(args[2])
	if !ok {
		return
	}
	if sec {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.invalidExpireError()
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-base {
		c.invalidExpireError()
		return
	}
	when += base
	e := c.DB.LookupWrite(key)
	if e == nil || !expireAllowed(flags, e.Val.Expire, when) {
		c.W.Int(0)
		return
	}
	// A replica keeps a past expiry and waits for its master's DEL.
	if when <= c.E.KS.Now() && !c.E.KS.Replica {
		c.DB.Delete(key)
		c.Modified(key)
		c.Propagate([]byte("DEL"), key)
		c.W.Int(1)
		return
	}
	c.DB.SetExpire(e, when)
	c.Modified(key)
	if base != 0 || sec {
		var a [20]byte
		argv := make([][]byte, 0, len(args))
		argv = append(argv, []byte("PEXPIREAT"), key, strconv.AppendInt(a[:0], when, 10))
		c.Propagate(append(argv, args[3:]...)...)
	}
	c.W.Int(1)
}

func (c *Client) invalidExpireError() {
	c.Error("ERR invalid expire time in '" + c.Cmd.FullName() + "' command")
}

func cmdTTL(c *Client, args [][]byte)         { ttlGeneric(c, args[1], false, false) }
func cmdPTTL(c *Client, args [][]byte)        { ttlGeneric(c, args[1], true, false) }
func cmdExpireTime(c *Client, args [][]byte)  { ttlGeneric(c, args[1], false, true) }
func cmdPExpireTime(c *Client, args [][]byte) { ttlGeneric(c, args[1], true, true) }

// ttlGeneric answers -2 for a missing key, -1 for a key without expiry,
// else the remaining (or absolute, abs) time; seconds are rounded to the
// nearest, as Redis's (ms+500)/1000, computed without overflow.
func ttlGeneric(c *Client, key []byte, ms, abs bool) {
	e := c.DB.LookupNoTouch(key)
	if e == nil {
		c.W.Int(-2)
		return
	}
	if e.Val.Expire == 0 {
		c.W.Int(-1)
		return
	}
	t := e.Val.Expire
	if !abs {
		t -= c.E.KS.Now()
	}
	t = max(t, 0)
	if !ms {
		t = t/1000 + (t%1000+500)/1000
	}
	c.W.Int(t)
}

func cmdPersist(c *Client, args [][]byte) {
	e := c.DB.LookupWrite(args[1])
	if e == nil || e.Val.Expire == 0 {
		c.W.Int(0)
		return
	}
	c.DB.SetExpire(e, 0)
	c.Modified(args[1])
	c.W.Int(1)
}
