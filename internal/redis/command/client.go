package command

import (
	"time"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/resp"
)

// ClientFlag is a client state bit.
type ClientFlag uint32

// Client flags.
const (
	FlagMulti ClientFlag = 1 << iota
	FlagDirtyCAS
	FlagDirtyExec
	FlagMaster  // the link to our master: its writes are applied, not refused
	FlagReplica // a replica attached to us
	FlagMonitor
	FlagCloseAfterReply
	FlagCloseASAP
	FlagNoEvict
	FlagReplyOff
	FlagReplySkipNext
	FlagReplySkip
	FlagPubSub
	FlagBlocked
	FlagNoTouch
	FlagReadOnlyClient
	FlagExecuting // inside EXEC
	FlagFake      // AOF loading and internal clients
)

// Sink receives replies produced outside the client's own request loop
// (pub/sub messages, MONITOR lines). The server implements it per
// connection; it must not block.
type Sink interface {
	Deliver(b []byte)
}

// Client is the command-side state of one connection (or of a fake client).
// All fields are guarded by the engine lock unless noted.
type Client struct {
	ID     int64
	E      *Engine
	DB     *keyspace.DB
	W      resp.Writer
	Flags  ClientFlag
	Name   string
	Addr   string // remote address, "ip:port"
	LAddr  string
	Sink   Sink
	Kill   func() // closes the connection; set by the server
	Authed bool
	User   string

	Created time.Time
	// LastInteraction is when the client last sent something; the
	// connection layer sets it (idle timeout, CLIENT LIST idle).
	LastInteraction time.Time

	Cmd     *Command // command being executed
	LastCmd *Command

	LibName, LibVer string

	multi     []queued
	multiDeny bool // a queued command is denyoom
	watched   []watchKey
	block     *blockState
	reblock   *blockState // set while a blocked command is run again
	readyKey  string      // the key being served while reblock is set
	curArgs   [][]byte
	subs      map[string]struct{}
	psubs     map[string]struct{}

	errCount int64
	dirty    int64
	// propOverride replaces the command's own arguments in propagation.
	propOverride [][][]byte
	noPropagate  bool

	// Extra holds server-side per-client state (replication link, output
	// buffers) the command package does not look at.
	Extra any
}

type queued struct {
	cmd  *Command
	args [][]byte
}

// NewClient returns a client of e selecting database 0. The caller
// registers it with e.AddClient when it should appear in CLIENT LIST.
func (e *Engine) NewClient() *Client {
	now := time.Now()
	c := &Client{E: e, DB: e.KS.DBs[0], Created: now, LastInteraction: now}
	c.W.Proto = 2
	c.ID = e.nextClientID.Add(1)
	c.Authed = e.Cfg.RequirePass == ""
	c.User = "default"
	return c
}

// Error writes an error reply and counts it in errorstats.
func (c *Client) Error(msg string) {
	c.W.Error(msg)
	c.errCount++
	c.E.countError(msg)
}

// ArityError writes Redis's wrong-number-of-arguments error.
func (c *Client) ArityError() {
	name := "unknown"
	if c.Cmd != nil {
		name = c.Cmd.FullName()
	}
	c.Error("ERR wrong number of arguments for '" + name + "' command")
}

// Modified records that key in the current database was changed: it counts
// a change for persistence and propagation, breaks WATCHes on it and wakes
// clients blocked on it.
func (c *Client) Modified(key []byte) { c.ModifiedIn(c.DB.ID, key) }

// ModifiedIn is Modified for a key of another database (MOVE, COPY).
func (c *Client) ModifiedIn(db int, key []byte) {
	c.dirty++
	c.E.Dirty++
	c.E.signalKey(db, key)
}

// AddDirty counts n changes without naming keys (FLUSHALL, multi-member
// writes).
func (c *Client) AddDirty(n int64) {
	c.dirty += n
	c.E.Dirty += n
}

// Propagate makes the current command propagate as the given commands
// instead of its own arguments (SPOP as SREM, EXPIRE as PEXPIREAT). Call
// it once per replacement command; arguments are copied.
func (c *Client) Propagate(argv ...[]byte) {
	c.propOverride = append(c.propOverride, cloneArgs(argv))
}

// NoPropagate stops the current command from being propagated even though
// it changed data (used by commands that propagate their effects through
// Propagate only).
func (c *Client) NoPropagate() { c.noPropagate = true }

// InMulti reports whether the client is queueing a transaction.
func (c *Client) InMulti() bool { return c.Flags&FlagMulti != 0 }

// CanBlock reports whether a blocking command may suspend the client:
// not inside EXEC and not for fake clients.
func (c *Client) CanBlock() bool { return c.Flags&(FlagExecuting|FlagFake|FlagMaster) == 0 }

// SelectDB switches the client's database.
func (c *Client) SelectDB(id int) bool {
	if id < 0 || id >= len(c.E.KS.DBs) {
		return false
	}
	c.DB = c.E.KS.DBs[id]
	return true
}

// Deliver encodes a message with the client's protocol and hands it to the
// client's sink (pub/sub, MONITOR).
func (c *Client) Deliver(fn func(w *resp.Writer)) {
	if c.Sink == nil {
		return
	}
	w := resp.Writer{Proto: c.W.Proto}
	fn(&w)
	c.Sink.Deliver(w.Buf)
}

// Reprocessing reports whether the current command runs again for a
// client that was blocked on a key that became ready. A handler that finds
// the key unusable (wrong type) must then call Block again instead of
// replying.
func (c *Client) Reprocessing() bool { return c.reblock != nil }

// Blocked reports whether the client waits in a blocking command.
func (c *Client) Blocked() bool { return c.block != nil }

// BlockDone returns the channel closed when the client is unblocked.
func (c *Client) BlockDone() <-chan struct{} {
	if c.block == nil {
		return nil
	}
	return c.block.done
}

// BlockDeadline is when the client's block times out (zero: never).
func (c *Client) BlockDeadline() time.Time {
	if c.block == nil {
		return time.Time{}
	}
	return c.block.deadline
}

// Subscriptions is the number of channels plus patterns.
func (c *Client) Subscriptions() int { return len(c.subs) + len(c.psubs) }

// ChannelCount and PatternCount for CLIENT LIST.
func (c *Client) ChannelCount() int { return len(c.subs) }

// PatternCount is the number of pattern subscriptions.
func (c *Client) PatternCount() int { return len(c.psubs) }

// MultiCount is the number of queued commands, -1 outside MULTI.
func (c *Client) MultiCount() int {
	if !c.InMulti() {
		return -1
	}
	return len(c.multi)
}

// WatchCount is the number of watched keys.
func (c *Client) WatchCount() int { return len(c.watched) }

func cloneArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		start := len(buf)
		buf = append(buf, a...)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}

// CloneArgs copies arguments that alias a read buffer.
func CloneArgs(args [][]byte) [][]byte { return cloneArgs(args) }
