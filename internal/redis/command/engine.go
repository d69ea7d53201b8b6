// Package command owns the command table, the dispatcher and the semantics
// of every data command: checks before execution (arity, auth, OOM, write
// gates), MULTI/EXEC, WATCH, blocking commands, pub/sub, and the
// propagation of writes.
//
// # Atomicity and order
//
// One mutex, Engine.Mu, guards the whole keyspace and all command state.
// The server's event loop takes it once per wakeup and runs every complete
// request of every ready client under it (a client stops at a blocking
// command); other goroutines (cron, replication) take it between wakeups.
// Commands are therefore atomic, and the order in which they run under the
// lock is the one total order of writes: propagation (replication, AOF) is called under
// the lock at the end of each top-level command, so replicas see writes in
// exactly the order they were applied.
//
// # Propagation
//
// Every change goes through the Propagator: commands that changed data
// (Client.Modified) propagate their arguments or the replacement given with
// Client.Propagate; keys the keyspace expires or evicts become DEL at once.
// Several writes of one top-level command (EXEC) are wrapped in MULTI/EXEC.
//
// The package is CPU-only: handlers take no context and do no I/O; it
// imports nothing from Kubernetes.
package command

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

// Propagator receives every write in apply order, under the engine lock.
// argv must be copied if retained.
type Propagator interface {
	Propagate(db int, argv [][]byte)
}

// Gate lets the server refuse a command before it runs (READONLY,
// NOREPLICAS, MISCONF, LOADING, MASTERDOWN). It returns the error reply or
// "".
type Gate func(c *Client, cmd *Command, args [][]byte) string

// Config holds the settings the engine and the data commands read. The
// server's configuration system writes them under the engine lock.
type Config struct {
	RequirePass string
	MaxMemory   int64
	Policy      keyspace.Policy
	Samples     int

	ListMaxListpackSize    int
	ListCompressDepth      int
	HashMaxListpackEntries int
	HashMaxListpackValue   int
	SetMaxIntsetEntries    int
	ZSetMaxListpackEntries int
	ZSetMaxListpackValue   int
	ProtoMaxBulkLen        int64
	// RDBCompression is rdbcompression: LZF in DUMP payloads (and files).
	RDBCompression bool

	SlowlogSlowerThan       int64 // microseconds, <0 disables
	SlowlogMaxLen           int
	LatencyMonitorThreshold int64 // milliseconds, 0 disables

	EnableDebugCommand string // no, yes, local
	Databases          int
}

// DefaultConfig returns redis.conf's defaults.
func DefaultConfig() *Config {
	return &Config{
		Policy: keyspace.NoEviction, Samples: 5,
		ListMaxListpackSize: -2, HashMaxListpackEntries: 512, HashMaxListpackValue: 64,
		SetMaxIntsetEntries: 512, ZSetMaxListpackEntries: 128, ZSetMaxListpackValue: 64,
		ProtoMaxBulkLen: 512 * 1024 * 1024, RDBCompression: true, SlowlogSlowerThan: 10000, SlowlogMaxLen: 128,
		EnableDebugCommand: "no", Databases: 16,
	}
}

// Stats are engine-wide counters for INFO stats.
type Stats struct {
	Commands      int64
	ErrorReplies  int64
	RejectedCalls int64
	Errors        map[string]int64
}

// Engine executes commands against a keyspace.
type Engine struct {
	Mu    sync.Mutex
	KS    *keyspace.Keyspace
	Table *Table
	Cfg   *Config
	Prop  Propagator
	Gates []Gate
	Stats Stats
	// Dirty counts changes since the last save (rdb_changes_since_last_save).
	Dirty int64

	nextClientID atomic.Int64
	clients      map[int64]*Client
	monitors     []*Client

	blocked  map[dbKey][]*Client
	ready    []dbKey
	readySet map[dbKey]struct{}
	watched  map[dbKey][]*Client

	channels map[string]map[*Client]struct{}
	patterns map[string]map[*Client]struct{}

	nesting   int
	propQueue []propOp
	// propBytes and propArgs hold the copies of the arguments in
	// propQueue: Propagators copy what they keep, so both are reused once
	// the queue is flushed, sparing two allocations per write.
	propBytes []byte
	propArgs  [][]byte

	Slowlog Slowlog
	Latency map[string]*LatencyEvent

	// OnUnblock, when set, is called under the lock when a blocked
	// client's command completes (served, timed out or CLIENT UNBLOCK):
	// the connection layer then sends the reply and resumes the client.
	OnUnblock func(c *Client)

	// Role reports "master" or "slave" for HELLO and ROLE.
	Role func() string

	// Now is the wall clock for MONITOR and slowlog timestamps.
	Now func() time.Time
}

type dbKey struct {
	db  int
	key string
}

type propOp struct {
	db   int
	argv [][]byte
}

// NewEngine returns an engine over ks with the data commands registered.
func NewEngine(ks *keyspace.Keyspace, cfg *Config) *Engine {
	e := &Engine{
		KS: ks, Cfg: cfg, Table: NewTable(),
		clients:  make(map[int64]*Client),
		blocked:  make(map[dbKey][]*Client),
		readySet: make(map[dbKey]struct{}),
		watched:  make(map[dbKey][]*Client),
		channels: make(map[string]map[*Client]struct{}),
		patterns: make(map[string]map[*Client]struct{}),
		Latency:  make(map[string]*LatencyEvent),
		Now:      time.Now,
	}
	e.Stats.Errors = make(map[string]int64)
	ks.Hooks = e
	for _, reg := range registry {
		reg(e)
	}
	return e
}

// registry holds the registration functions of the command groups, one per
// cmd_*.go file.
var registry []func(e *Engine)

func register(fn func(e *Engine)) { registry = append(registry, fn) }

// AddClient makes c visible to CLIENT LIST and friends.
func (e *Engine) AddClient(c *Client) { e.clients[c.ID] = c }

// RemoveClient forgets a disconnected client: its blocks, watches,
// subscriptions and MONITOR.
func (e *Engine) RemoveClient(c *Client) {
	e.unblock(c)
	e.unwatchAll(c)
	e.unsubscribeAll(c, false)
	e.removeMonitor(c)
	delete(e.clients, c.ID)
}

// Clients returns the registered clients in ID order.
func (e *Engine) Clients() []*Client {
	out := make([]*Client, 0, len(e.clients))
	for _, c := range e.clients {
		out = append(out, c)
	}
	sortClients(out)
	return out
}

// ClientByID finds a registered client.
func (e *Engine) ClientByID(id int64) *Client { return e.clients[id] }

// KeyRemoved implements keyspace.Hooks: expired and evicted keys are
// propagated as DEL at once, and break WATCH.
func (e *Engine) KeyRemoved(db int, key string, _ keyspace.DeleteReason) {
	e.signalKey(db, []byte(key))
	if e.Prop != nil {
		e.Prop.Propagate(db, [][]byte{[]byte("DEL"), []byte(key)})
	}
}

func (e *Engine) countError(msg string) {
	code := msg
	if i := strings.IndexByte(msg, ' '); i >= 0 {
		code = msg[:i]
	}
	if len(e.Stats.Errors) >= 128 {
		if _, ok := e.Stats.Errors[code]; !ok {
			code = "errorstat_overflow"
		}
	}
	e.Stats.Errors[code]++
	e.Stats.ErrorReplies++
}

// reject answers a command refused before running: it counts as rejected
// and, inside MULTI, aborts the transaction.
func (e *Engine) reject(c *Client, cmd *Command, msg string) {
	if cmd != nil {
		cmd.Stats.RejectedCalls++
	}
	e.Stats.RejectedCalls++
	if cmd != nil && cmd.Parent == nil && cmd.Name == "exec" {
		// A refused EXEC still ends the transaction, as Redis's
		// execCommandAbort.
		c.execCommandAbort(msg)
		return
	}
	if c.InMulti() {
		c.Flags |= FlagDirtyExec
	}
	c.Error(msg)
}

func unknownCommandError(args [][]byte) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.Write(limit(args[0], 128))
	b.WriteString("', with args beginning with: ")
	for i := 1; i < len(args) && b.Len()-len("ERR unknown command '")-len(limit(args[0], 128))-len("', with args beginning with: ") < 128; i++ {
		b.WriteByte('\'')
		b.Write(args[i])
		b.WriteString("' ")
	}
	return b.String()
}

func limit(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// Lookup resolves args to a command or subcommand and checks arity. It
// returns the command and "" or the error text of a rejection.
func (e *Engine) Lookup(args [][]byte) (*Command, string) {
	cmd := e.Table.Lookup(args[0])
	if cmd == nil {
		return nil, unknownCommandError(args)
	}
	if cmd.Sub != nil {
		if len(args) < 2 {
			if cmd.Handler != nil {
				return cmd, ""
			}
			return cmd, "ERR wrong number of arguments for '" + cmd.Name + "' command"
		}
		sub := e.lookupSub(cmd, args[1])
		if sub == nil {
			return cmd, "ERR unknown subcommand '" + string(limit(args[1], 128)) + "'. Try " + strings.ToUpper(string(args[0])) + " HELP."
		}
		cmd = sub
	}
	if (cmd.Arity > 0 && len(args) != cmd.Arity) || len(args) < -cmd.Arity {
		return cmd, "ERR wrong number of arguments for '" + cmd.FullName() + "' command"
	}
	return cmd, ""
}

func (e *Engine) lookupSub(cmd *Command, name []byte) *Command { return lookupLower(cmd.Sub, name) }

// Dispatch runs one request of client c, as Redis's processCommand: every
// check, then MULTI queueing or execution, then the work due after a
// top-level command (propagation, accounting, serving blocked clients).
// The caller holds e.Mu.
func (e *Engine) Dispatch(c *Client, args [][]byte) {
	replyStart := len(c.W.Buf)
	skip := c.Flags&FlagReplySkipNext != 0
	if skip {
		c.Flags &^= FlagReplySkipNext
		c.Flags |= FlagReplySkip
	}
	e.dispatch(c, args)
	if c.Flags&(FlagReplyOff|FlagReplySkip) != 0 && c.block == nil {
		c.W.Buf = c.W.Buf[:replyStart]
		c.Flags &^= FlagReplySkip
	}
	e.afterTopLevel()
}

func (e *Engine) dispatch(c *Client, args [][]byte) {
	cmd, errText := e.Lookup(args)
	if errText != "" {
		e.reject(c, cmd, errText)
		return
	}
	c.Cmd = cmd
	c.LastCmd = cmd
	if !c.Authed && cmd.Flags&NoAuth == 0 {
		e.reject(c, cmd, ErrNoAuth)
		return
	}
	isExec := cmd.Name == "exec" && cmd.Parent == nil
	inMulti := c.InMulti()
	if e.Cfg.MaxMemory > 0 && c.Flags&FlagMaster == 0 {
		oom := !e.performEvictions()
		denyOOM := cmd.Flags&DenyOOM != 0 || (isExec && c.multiDeny)
		if inMulti && !isExec && !isMultiControl(cmd) {
			denyOOM = true
		}
		if oom && denyOOM {
			e.reject(c, cmd, ErrOOM)
			return
		}
	}
	if c.Flags&FlagMaster == 0 {
		for _, g := range e.Gates {
			if msg := g(c, cmd, args); msg != "" {
				e.reject(c, cmd, msg)
				return
			}
		}
	}
	if c.Flags&FlagPubSub != 0 && c.W.Proto == 2 && !allowedInPubSub(cmd) {
		e.reject(c, cmd, "ERR Can't execute '"+cmd.FullName()+"': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		return
	}
	if inMulti && !isMultiControl(cmd) {
		if cmd.Flags&NoMulti != 0 {
			e.reject(c, cmd, "ERR Command not allowed inside a transaction")
			return
		}
		c.multi = append(c.multi, queued{cmd: cmd, args: cloneArgs(args)})
		if cmd.Flags&DenyOOM != 0 {
			c.multiDeny = true
		}
		c.W.Simple("QUEUED")
		return
	}
	e.Call(c, cmd, args)
}

func isMultiControl(cmd *Command) bool {
	if cmd.Parent != nil {
		return false
	}
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

func allowedInPubSub(cmd *Command) bool {
	if cmd.Parent != nil {
		return false
	}
	switch cmd.Name {
	case "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}

// Call executes cmd for c with the bookkeeping of Redis's call(): stats,
// slowlog, MONITOR, propagation and accounting. Nested calls (EXEC) queue
// their propagation until the top level completes.
func (e *Engine) Call(c *Client, cmd *Command, args [][]byte) {
	prevCmd, prevArgs := c.Cmd, c.curArgs
	c.Cmd, c.curArgs = cmd, args
	dirtyBefore := c.dirty
	errBefore := c.errCount
	prevOverride, prevNoProp := c.propOverride, c.noPropagate
	c.propOverride, c.noPropagate = nil, false
	e.KS.FixTime()
	e.nesting++
	start := monotonic()
	cmd.Handler(c, args)
	dur := monotonic() - start
	e.nesting--
	e.KS.ReleaseTime()
	e.KS.Account()

	if c.block == nil {
		cmd.Stats.Calls++
		cmd.Stats.Usec += dur.Microseconds()
		e.Stats.Commands++
		if c.errCount != errBefore {
			cmd.Stats.FailedCalls++
		}
		if cmd.Flags&SkipSlowlog == 0 {
			e.slowlogPush(c, args, dur)
		}
		e.latencyAdd("command", dur)
		if len(e.monitors) > 0 && cmd.Flags&(SkipMonitor|Admin) == 0 {
			e.feedMonitors(c, args)
		}
	}
	if c.dirty != dirtyBefore && !c.noPropagate && e.Prop != nil {
		if c.propOverride != nil {
			for _, argv := range c.propOverride {
				e.propQueue = append(e.propQueue, propOp{db: c.DB.ID, argv: argv})
			}
		} else if cmd.Flags&Write != 0 || cmd.Flags&MayReplicate != 0 {
			e.propQueue = append(e.propQueue, propOp{db: c.DB.ID, argv: e.propCopy(args)})
		}
	}
	c.propOverride, c.noPropagate = prevOverride, prevNoProp
	c.Cmd, c.curArgs = prevCmd, prevArgs
}

// monoBase anchors monotonic: time.Since of a time carrying a monotonic
// reading costs one clock read, time.Now two, and a command's duration is
// measured on every call.
var monoBase = time.Now()

func monotonic() time.Duration { return time.Since(monoBase) }

// RecoverFromPanic restores the engine's bookkeeping after a handler
// panicked while c ran a command; the connection layer then closes c.
// Writes queued by the failed command are dropped, as the command did not
// complete. The caller holds e.Mu.
func (e *Engine) RecoverFromPanic(c *Client) {
	e.nesting = 0
	e.KS.ResetTime()
	e.propQueue = nil
	e.KS.Account()
	c.Flags &^= FlagExecuting
	c.Cmd, c.curArgs, c.reblock = nil, nil, nil
}

// afterTopLevel flushes queued propagation and serves clients blocked on
// keys that became ready.
func (e *Engine) afterTopLevel() {
	if e.nesting > 0 {
		return
	}
	e.flushPropagation()
	e.serveReady()
}

// FlushPropagation sends queued writes to the propagator, wrapping
// several in MULTI/EXEC. Callers outside Dispatch (cron, replication) use
// it after running commands through Call.
func (e *Engine) FlushPropagation() { e.afterTopLevel() }

func (e *Engine) flushPropagation() {
	if len(e.propQueue) == 0 {
		return
	}
	q := e.propQueue
	e.propQueue = nil
	if e.Prop != nil {
		if len(q) == 1 {
			e.Prop.Propagate(q[0].db, q[0].argv)
		} else {
			e.Prop.Propagate(q[0].db, [][]byte{[]byte("MULTI")})
			for _, op := range q {
				e.Prop.Propagate(op.db, op.argv)
			}
			e.Prop.Propagate(q[len(q)-1].db, [][]byte{[]byte("EXEC")})
		}
	}
	// Nothing refers to the copies any more (unless a Propagator queued
	// more meanwhile): reuse their memory, unless a burst made it large.
	if len(e.propQueue) > 0 {
		return
	}
	clear(q)
	if cap(q) <= 1024 {
		e.propQueue = q[:0]
	}
	if cap(e.propBytes) > 1<<20 {
		e.propBytes = nil
	}
	if cap(e.propArgs) > 1024 {
		e.propArgs = nil
	}
	e.propBytes, e.propArgs = e.propBytes[:0], e.propArgs[:0]
}

// propCopy copies args for propQueue into propBytes and propArgs. A copy
// stays valid until the queue is flushed: appends that reallocate leave
// earlier copies in the old arrays.
func (e *Engine) propCopy(args [][]byte) [][]byte {
	start := len(e.propArgs)
	for _, a := range args {
		from := len(e.propBytes)
		e.propBytes = append(e.propBytes, a...)
		e.propArgs = append(e.propArgs, e.propBytes[from:len(e.propBytes):len(e.propBytes)])
	}
	return e.propArgs[start:len(e.propArgs):len(e.propArgs)]
}

// performEvictions evicts keys until used memory fits maxmemory; it
// reports false when it could not.
func (e *Engine) performEvictions() bool {
	max := e.Cfg.MaxMemory
	if max <= 0 {
		return true
	}
	for e.KS.UsedMemory() > max {
		if !e.KS.EvictOne(e.Cfg.Policy, e.Cfg.Samples) {
			return false
		}
	}
	return true
}

// PerformEvictions is run by the server cron after CONFIG SET maxmemory.
func (e *Engine) PerformEvictions() bool { return e.performEvictions() }
