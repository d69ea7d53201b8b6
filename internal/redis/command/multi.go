package command

import "strings"

func init() {
	register(func(e *Engine) {
		e.Table.Add(
			&Command{Name: "multi", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, Group: "transactions", Since: "1.2.0", Handler: cmdMulti},
			&Command{Name: "exec", Arity: 1, Flags: NoScript | Loading | Stale | SkipSlowlog, Group: "transactions", Since: "1.2.0", Handler: cmdExec},
			&Command{Name: "discard", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, Group: "transactions", Since: "2.0.0", Handler: cmdDiscard},
			&Command{Name: "watch", Arity: -2, Flags: NoScript | Loading | Stale | Fast | AllowBusy, Keys: KeySpec{1, -1, 1}, Group: "transactions", Since: "2.2.0", Handler: cmdWatch},
			&Command{Name: "unwatch", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, Group: "transactions", Since: "2.2.0", Handler: cmdUnwatch},
		)
	})
}

type watchKey struct {
	db  int
	key string
	// expired: the key was logically expired when watched, so its
	// later removal does not break the transaction.
	expired bool
}

func cmdMulti(c *Client, args [][]byte) {
	if c.InMulti() {
		c.Error(ErrMultiNested)
		return
	}
	c.Flags |= FlagMulti
	c.OK()
}

func (c *Client) discardTransaction() {
	c.multi = nil
	c.multiDeny = false
	c.Flags &^= FlagMulti | FlagDirtyCAS | FlagDirtyExec
	c.E.unwatchAll(c)
}

func cmdDiscard(c *Client, args [][]byte) {
	if !c.InMulti() {
		c.Error(ErrDiscardNoMulti)
		return
	}
	c.discardTransaction()
	c.OK()
}

// execCommandAbort answers an EXEC that the dispatcher refused (wrong
// arity, NOAUTH, OOM...), in or out of MULTI, as Redis's execCommandAbort:
// the transaction is discarded (and the keys unwatched) and the reason is
// given after the EXECABORT code, without its generic "ERR " prefix.
// Engine.reject must call it instead of c.Error when the refused command
// is EXEC.
func (c *Client) execCommandAbort(reason string) {
	c.discardTransaction()
	c.Error("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(reason, "ERR "))
}

func cmdExec(c *Client, args [][]byte) {
	e := c.E
	if !c.InMulti() {
		c.Error(ErrExecWithoutMulti)
		return
	}
	if e.watchedKeyExpired(c) {
		c.Flags |= FlagDirtyCAS
	}
	if c.Flags&FlagDirtyExec != 0 {
		c.Error(ErrExecAbort)
		c.discardTransaction()
		return
	}
	if c.Flags&FlagDirtyCAS != 0 {
		c.W.NullArray()
		c.discardTransaction()
		return
	}
	q := c.multi
	c.multi = nil
	e.unwatchAll(c)
	c.W.Array(len(q))
	c.Flags |= FlagExecuting
	for _, op := range q {
		// The write gates may have changed since queueing (the server
		// became a read-only replica): check again, as Redis does.
		refused := ""
		if c.Flags&FlagMaster == 0 {
			for _, g := range e.Gates {
				if msg := g(c, op.cmd, op.args); msg != "" {
					refused = msg
					break
				}
			}
		}
		if refused != "" {
			c.Error(refused)
			continue
		}
		e.Call(c, op.cmd, op.args)
	}
	c.Flags &^= FlagExecuting
	c.discardTransaction()
}

func cmdWatch(c *Client, args [][]byte) {
	if c.InMulti() {
		c.Error(ErrWatchInMulti)
		return
	}
	// Redis answers OK without watching when the client is already dirty.
	if c.Flags&FlagDirtyCAS != 0 {
		c.OK()
		return
	}
	for _, k := range args[1:] {
		c.E.watch(c, k)
	}
	c.OK()
}

func cmdUnwatch(c *Client, args [][]byte) {
	c.E.unwatchAll(c)
	c.Flags &^= FlagDirtyCAS
	c.OK()
}

func (e *Engine) watch(c *Client, key []byte) {
	for _, w := range c.watched {
		if w.db == c.DB.ID && w.key == string(key) {
			return
		}
	}
	ent := c.DB.Peek(key)
	wk := watchKey{db: c.DB.ID, key: string(key), expired: ent != nil && c.DB.IsExpired(ent)}
	c.watched = append(c.watched, wk)
	dk := dbKey{wk.db, wk.key}
	e.watched[dk] = append(e.watched[dk], c)
}

func (e *Engine) unwatchAll(c *Client) {
	for _, w := range c.watched {
		dk := dbKey{w.db, w.key}
		ws := e.watched[dk]
		for i, x := range ws {
			if x == c {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(e.watched, dk)
		} else {
			e.watched[dk] = ws
		}
	}
	c.watched = nil
}

// watchedKeyExpired reports whether a key that was live when watched has
// logically expired since (Redis 7.0's isWatchedKeyExpired).
func (e *Engine) watchedKeyExpired(c *Client) bool {
	for _, w := range c.watched {
		if w.expired {
			continue
		}
		db := e.KS.DBs[w.db]
		if ent := db.Peek([]byte(w.key)); ent != nil && db.IsExpired(ent) {
			return true
		}
	}
	return false
}

// TouchAllWatched breaks the WATCH of every client watching a key of db
// that exists, or of both databases for SWAPDB (other >= 0).
func (e *Engine) TouchAllWatched(db, other int) {
	for dk, ws := range e.watched {
		if dk.db != db && dk.db != other {
			continue
		}
		exists := e.KS.DBs[db].Peek([]byte(dk.key)) != nil
		if other >= 0 {
			exists = exists || e.KS.DBs[other].Peek([]byte(dk.key)) != nil
		}
		if !exists {
			continue
		}
		for _, c := range ws {
			c.Flags |= FlagDirtyCAS
		}
	}
}

// OK writes +OK.
func (c *Client) OK() { c.W.OK() }
