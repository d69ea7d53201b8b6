package command

import (
	"time"
)

// blockState is a client suspended in a blocking command.
type blockState struct {
	keys      []dbKey
	deadline  time.Time
	cmd       *Command
	args      [][]byte
	onTimeout func(c *Client)
	done      chan struct{}
}

// Block suspends c in the current command until one of keys (in the
// client's database) is signalled ready or timeout passes (0: forever).
// The handler returns without replying; when a key is ready the command
// runs again from the start, and onTimeout writes the reply on timeout.
// Callers check CanBlock first.
func (c *Client) Block(keys [][]byte, timeout time.Duration, onTimeout func(c *Client)) {
	e := c.E
	b := &blockState{cmd: c.Cmd, onTimeout: onTimeout, done: make(chan struct{})}
	if c.reblock != nil {
		// Served but still nothing to do: keep waiting with the original
		// deadline and position.
		b = c.reblock
		c.reblock = nil
	} else {
		if timeout > 0 {
			b.deadline = e.Now().Add(timeout)
		}
		b.args = cloneArgs(c.curArgs)
		for _, k := range keys {
			b.keys = append(b.keys, dbKey{db: c.DB.ID, key: string(k)})
		}
	}
	c.block = b
	c.Flags |= FlagBlocked
	for _, k := range b.keys {
		e.blocked[k] = append(e.blocked[k], c)
	}
}

// unblock removes c from the key queues without replying.
func (e *Engine) unblock(c *Client) *blockState {
	b := c.block
	if b == nil {
		return nil
	}
	for _, k := range b.keys {
		q := e.blocked[k]
		for i, x := range q {
			if x == c {
				q = append(q[:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(e.blocked, k)
		} else {
			e.blocked[k] = q
		}
	}
	c.block = nil
	c.Flags &^= FlagBlocked
	return b
}

// Unblock wakes a blocked client with its timeout reply (timedOut) or with
// the UNBLOCKED error (CLIENT UNBLOCK ... ERROR). It reports whether the
// client was blocked.
func (e *Engine) Unblock(c *Client, withError bool) bool {
	b := e.unblock(c)
	if b == nil {
		return false
	}
	if withError {
		c.Error(ErrUnblocked)
	} else if b.onTimeout != nil {
		b.onTimeout(c)
	}
	e.unblocked(c, b)
	return true
}

// unblocked signals that c's blocking command completed: its reply is in
// c.W and its pending requests may run.
func (e *Engine) unblocked(c *Client, b *blockState) {
	close(b.done)
	if e.OnUnblock != nil {
		e.OnUnblock(c)
	}
}

// BlockTimeout is called by the connection when the deadline passes. The
// caller holds e.Mu.
func (e *Engine) BlockTimeout(c *Client) {
	if c.block == nil {
		return
	}
	if !c.block.deadline.IsZero() && e.Now().Before(c.block.deadline) {
		return
	}
	e.Unblock(c, false)
}

// BlockedClients is the number of clients in blocking commands.
func (e *Engine) BlockedClients() int {
	n := 0
	for _, c := range e.clients {
		if c.block != nil {
			n++
		}
	}
	return n
}

// BlockedKeys is the number of keys with blocked clients.
func (e *Engine) BlockedKeys() int { return len(e.blocked) }

// signalKey marks a changed key: WATCHers become dirty and clients blocked
// on it will be served after the current top-level command.
func (e *Engine) signalKey(db int, key []byte) {
	if len(e.watched) > 0 {
		if ws, ok := e.watched[dbKey{db, string(key)}]; ok {
			for _, c := range ws {
				c.Flags |= FlagDirtyCAS
			}
		}
	}
	if len(e.blocked) > 0 {
		k := dbKey{db, string(key)}
		if _, ok := e.blocked[k]; ok {
			if _, dup := e.readySet[k]; !dup {
				e.readySet[k] = struct{}{}
				e.ready = append(e.ready, k)
			}
		}
	}
}

// serveReady runs again, in arrival order, the commands of clients blocked
// on keys that became ready, until no key is ready. A served command may
// make other keys ready (BLMOVE); they are served in the same loop.
func (e *Engine) serveReady() {
	for len(e.ready) > 0 {
		k := e.ready[0]
		e.ready = e.ready[1:]
		delete(e.readySet, k)
		q := append([]*Client(nil), e.blocked[k]...)
		for _, c := range q {
			if c.block == nil {
				continue
			}
			db := e.KS.DBs[k.db]
			if !db.Exists([]byte(k.key)) {
				break
			}
			b := e.unblock(c)
			c.reblock, c.readyKey = b, k.key
			prevDB := c.DB
			c.DB = db
			e.Call(c, b.cmd, b.args)
			c.DB, c.readyKey = prevDB, ""
			if c.block == nil {
				c.reblock = nil
				e.unblocked(c, b)
			}
			e.flushPropagation()
		}
	}
	e.ready = e.ready[:0]
}

// ServedKeyFirst orders the keys of a blocking command being run again so
// that the key that became ready comes first: Redis serves a client
// blocked on several keys from the key that was signalled, not from the
// first of its arguments. Outside reprocessing keys are returned as given.
func (c *Client) ServedKeyFirst(keys [][]byte) [][]byte {
	if c.reblock == nil || c.readyKey == "" {
		return keys
	}
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		if string(k) == c.readyKey {
			out = append(out, k)
		}
	}
	for _, k := range keys {
		if string(k) != c.readyKey {
			out = append(out, k)
		}
	}
	return out
}
