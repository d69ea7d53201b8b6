// Package server is the network side of the data plane: listeners, the
// event loop that serves every client, configuration, INFO, CLIENT and the
// other server-level commands, the periodic cron, and graceful shutdown.
//
// # Event loop
//
// Clients are served as redis-server serves them, by one loop goroutine
// locked to its OS thread (loop.go). It owns an epoll descriptor on which
// the non-blocking listening sockets, every client socket and an eventfd
// are registered. Each wakeup of epoll_wait takes the engine lock once and,
// for every ready descriptor: accepts (accept4) on a listener; reads once
// (read(2)) from a readable client into its resp.Reader buffer and runs
// all of its complete requests through the dispatcher. Block deadlines due
// are then fired, and finally every client with output is written with one
// write(2); only the part the socket does not take waits for EPOLLOUT. A
// request therefore costs one read and one write, and no goroutine hands
// the lock to another between clients.
//
// A client stops at a command that blocks (BLPOP): its remaining requests
// stay buffered. When another command serves it, or its deadline (a timer
// heap in the loop, which bounds the epoll_wait timeout) or CLIENT UNBLOCK
// ends the block, the engine calls Engine.OnUnblock; the loop then writes
// the reply and resumes the buffered requests in the same wakeup. CLIENT
// PAUSE works the same way: a paused request is set aside (copied) and run
// when the pause ends. Pub/sub messages and MONITOR lines are appended to
// the receiver's output under the lock (conn.Deliver) and written at the
// end of the batch; when they come from another goroutine (cron,
// replication) the eventfd wakes the loop. Other goroutines never touch a
// socket: CLIENT KILL and idle timeouts mark the client and the loop
// closes it.
//
// All loop state except the epoll and eventfd descriptors is guarded by
// the engine lock, which the loop holds from the end of one epoll_wait to
// the start of the next. Connections made elsewhere (replication links)
// join the loop through Server.AddConn.
//
// It imports nothing from Kubernetes.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/keyspace"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("server: closed")

// Server is one replikube server process.
type Server struct {
	cfg *Config
	log *Logger
	eng *command.Engine
	ks  *keyspace.Keyspace

	mu        sync.Mutex // guards listeners, loop, serving; taken after the engine lock
	listeners []*listener
	loop      *eventLoop
	serving   bool // Serve has started
	closing   atomic.Bool
	cronStop  chan struct{}
	cronDone  chan struct{}

	// ShutdownRequested is closed when SHUTDOWN asks the process to exit.
	ShutdownRequested chan struct{}
	// shutdownLogged: SHUTDOWN logged "User requested shutdown...", which
	// the exit path must not log again.
	shutdownLogged atomic.Bool
	shutdownOnce   sync.Once
	shutdownMode   atomic.Value // string: "", "save", "nosave"

	startTime time.Time
	runID     string

	statConnections   atomic.Int64
	statRejectedConns atomic.Int64
	statNetIn         atomic.Int64
	statNetOut        atomic.Int64
	statExpireCycleMs atomic.Int64

	statReads  atomic.Int64
	statWrites atomic.Int64

	activeExpire atomic.Bool
	paused       pauseState
	persist      *persistence
	job          *snapJob // the background snapshot, guarded by the engine lock
	repl         *replState
	// extraProps receive every write besides the AOF (replication).
	extraProps []command.Propagator

	// Startup runs after binding and before serving (loading the dataset).
	Startup func() error
	// BeforeExit runs at shutdown with the SHUTDOWN mode ("", "save",
	// "nosave"): the persistence layer saves here.
	BeforeExit func(mode string) error

	// LastSave reports LASTSAVE's time; set by the persistence layer.
	LastSave func() int64
	// DebugHooks lets other layers add DEBUG subcommands (RELOAD,
	// CHANGE-REPL-ID).
	DebugHooks map[string]command.Handler

	// Guarded by the engine lock.
	extraInfo  map[string]InfoSection
	peakMemory int64
	memStats   runtime.MemStats
	memStatsAt time.Time
	opsSamples [16]int64
	opsIdx     int
	opsLast    int64
}

// New builds a server from a configuration; nothing is bound yet.
func New(cfg *Config, log *Logger) (*Server, error) {
	if log == nil {
		var err error
		if log, err = NewLogger("", LevelWarning); err != nil {
			return nil, err
		}
	}
	ks := keyspace.New(cfg.Databases, keyspace.SystemClock)
	eng := command.NewEngine(ks, command.DefaultConfig())
	s := &Server{
		cfg: cfg, log: log, eng: eng, ks: ks,
		cronStop:          make(chan struct{}),
		cronDone:          make(chan struct{}),
		ShutdownRequested: make(chan struct{}),
		startTime:         time.Now(),
		runID:             generateRunID(),
	}
	s.activeExpire.Store(true)
	eng.Role = func() string { return "master" }
	s.registerCommands()
	s.initPersistence()
	s.initReplication()
	if err := s.applyConfig(nil); err != nil {
		return nil, err
	}
	s.repl.startReplication()
	return s, nil
}

// Engine exposes the command engine (tests, replication).
func (s *Server) Engine() *command.Engine { return s.eng }

// Config returns the live configuration. Callers hold the engine lock.
func (s *Server) Config() *Config { return s.cfg }

// applyConfig pushes configuration values into the engine and keyspace.
// old is the previous configuration (nil at start). The caller holds the
// engine lock, or the server is not serving yet.
func (s *Server) applyConfig(old *Config) error {
	c := s.cfg
	ec := s.eng.Cfg
	ec.RequirePass = c.RequirePass
	ec.MaxMemory = c.MaxMemory
	p, ok := keyspace.ParsePolicy(c.MaxMemoryPolicy)
	if !ok {
		return fmt.Errorf("invalid maxmemory-policy %q", c.MaxMemoryPolicy)
	}
	ec.Policy = p
	ec.Samples = c.MaxMemorySamples
	ec.ListMaxListpackSize = c.ListMaxListpackSize
	ec.ListCompressDepth = c.ListCompressDepth
	ec.HashMaxListpackEntries = c.HashMaxListpackEntries
	ec.HashMaxListpackValue = c.HashMaxListpackValue
	ec.SetMaxIntsetEntries = c.SetMaxIntsetEntries
	ec.ZSetMaxListpackEntries = c.ZSetMaxListpackEntries
	ec.ZSetMaxListpackValue = c.ZSetMaxListpackValue
	ec.ProtoMaxBulkLen = c.ProtoMaxBulkLen
	ec.RDBCompression = c.RDBCompression
	ec.SlowlogSlowerThan = c.SlowlogLogSlowerThan
	ec.SlowlogMaxLen = c.SlowlogMaxLen
	ec.LatencyMonitorThreshold = c.LatencyMonitorThreshold
	ec.EnableDebugCommand = c.EnableDebugCommand
	ec.Databases = c.Databases
	s.ks.LFU = p == keyspace.AllKeysLFU || p == keyspace.VolatileLFU
	s.ks.LFULogFactor = c.LFULogFactor
	s.ks.LFUDecayTime = c.LFUDecayTime
	if lvl, ok := ParseLevel(c.LogLevel); ok {
		s.log.SetLevel(lvl)
	}
	if bl := s.repl.backlog; bl != nil && int64(bl.Size()) != c.ReplBacklogSize {
		bl.Resize(int(c.ReplBacklogSize))
	}
	if err := s.persist.applyAOFConfig(old); err != nil {
		return err
	}
	if old != nil && old.MaxMemory != c.MaxMemory && c.MaxMemory > 0 {
		s.eng.PerformEvictions()
	}
	if old != nil && (old.Port != c.Port || strings.Join(old.Bind, " ") != strings.Join(c.Bind, " ")) {
		if err := s.rebind(old.Bind, old.Port); err != nil {
			if old.Port != c.Port {
				return errors.New("Unable to listen on this port. Check server logs.")
			}
			return errors.New("Failed to bind to specified addresses.")
		}
	}
	return nil
}

// Listen binds the configured addresses.
func (s *Server) Listen() error {
	lns, err := bindAll(s.cfg.Bind, s.cfg.Port)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.listeners = lns
	s.mu.Unlock()
	return nil
}

// rebind replaces the listeners after CONFIG SET port/bind. As in Redis
// the old listeners close first (the new set may reuse their addresses);
// if the new addresses cannot be bound the old ones are bound again. The
// caller holds the engine lock (it runs on the loop, inside CONFIG SET).
func (s *Server) rebind(oldBind []string, oldPort int) error {
	s.mu.Lock()
	old := s.listeners
	s.listeners = nil
	l := s.loop
	s.mu.Unlock()
	for _, ln := range old {
		if l != nil {
			l.forgetListener(ln)
		}
		ln.close()
	}
	lns, err := bindAll(s.cfg.Bind, s.cfg.Port)
	if err != nil {
		s.log.Warningf("Failed to bind: %v", err)
		if lns, err2 := bindAll(oldBind, oldPort); err2 == nil {
			s.installListeners(lns)
		} else {
			s.log.Warningf("Failed to restore the old listeners: %v", err2)
		}
		return err
	}
	s.installListeners(lns)
	return nil
}

// installListeners makes lns the server's listeners and, when serving,
// the loop's. The caller holds the engine lock.
func (s *Server) installListeners(lns []*listener) {
	s.mu.Lock()
	s.listeners = lns
	l := s.loop
	s.mu.Unlock()
	if l == nil || l.stopping {
		return
	}
	for _, ln := range lns {
		if err := l.watchListener(ln); err != nil {
			s.log.Warningf("%v", err)
		}
	}
}

// Addrs returns the bound addresses.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, ln := range s.listeners {
		out = append(out, ln.addr)
	}
	return out
}

// Serve runs the event loop on the calling goroutine (locked to its
// thread) and the cron until Shutdown; it then returns ErrServerClosed.
func (s *Server) Serve() error {
	s.eng.Mu.Lock()
	s.mu.Lock()
	if s.closing.Load() || s.serving {
		s.mu.Unlock()
		s.eng.Mu.Unlock()
		return ErrServerClosed
	}
	l, err := newEventLoop(s)
	if err != nil {
		s.mu.Unlock()
		s.eng.Mu.Unlock()
		return err
	}
	for _, ln := range s.listeners {
		if err := l.watchListener(ln); err != nil {
			s.log.Warningf("%v", err)
		}
	}
	s.eng.OnUnblock = l.onUnblock
	s.loop = l
	s.serving = true
	s.mu.Unlock()
	s.eng.Mu.Unlock()
	go s.cron()
	l.run()
	return ErrServerClosed
}

// RequestShutdown asks the process to shut down (SHUTDOWN command,
// signals). mode is "save", "nosave" or "" (save if save points exist).
func (s *Server) RequestShutdown(mode string) {
	s.shutdownOnce.Do(func() {
		s.shutdownMode.Store(mode)
		close(s.ShutdownRequested)
	})
}

// ShutdownMode is the mode given to RequestShutdown.
func (s *Server) ShutdownMode() string {
	m, _ := s.shutdownMode.Load().(string)
	return m
}

// Shutdown stops accepting, lets the loop finish the batch it is running,
// writes every client's pending output and closes the clients; when ctx
// ends first, the clients are closed without waiting for slow readers.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closing.CompareAndSwap(false, true) {
		return nil
	}
	s.mu.Lock()
	serving, l := s.serving, s.loop
	if !serving {
		for _, ln := range s.listeners {
			ln.close()
		}
		s.listeners = nil
	}
	s.mu.Unlock()
	close(s.cronStop)
	if !serving {
		return nil
	}
	<-s.cronDone
	l.wake()
	select {
	case <-l.done:
	case <-ctx.Done():
		l.force.Store(true)
		l.wake()
		<-l.done
		return ctx.Err()
	}
	if s.cfg.PidFile != "" {
		_ = os.Remove(s.cfg.PidFile)
	}
	return nil
}

// cron runs the periodic work at hz: active expiry, incremental rehash,
// idle client timeouts.
func (s *Server) cron() {
	defer close(s.cronDone)
	hz := max(s.cfg.Hz, 1)
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	for {
		select {
		case <-s.cronStop:
			return
		case <-t.C:
		}
		s.eng.Mu.Lock()
		s.sampleOps(hz)
		now := time.Now()
		s.persist.cron(now)
		if now.Sub(s.repl.lastCron) >= time.Second {
			s.repl.lastCron = now
			s.repl.cron(now)
		}
		if s.activeExpire.Load() {
			// Redis's slow cycle uses at most 25% of the cron period.
			budget := time.Second / time.Duration(hz) / 4
			start := time.Now()
			s.ks.ActiveExpireCycle(budget)
			s.statExpireCycleMs.Add(time.Since(start).Milliseconds())
			s.eng.FlushPropagation()
		}
		if s.cfg.ActiveRehashing {
			s.ks.Rehash()
		}
		if s.cfg.MaxMemory > 0 {
			s.eng.PerformEvictions()
			s.eng.FlushPropagation()
		}
		s.closeIdleClients()
		s.eng.Mu.Unlock()
	}
}

// closeIdleClients applies the timeout setting. The caller holds the
// engine lock.
func (s *Server) closeIdleClients() {
	if s.cfg.Timeout <= 0 {
		return
	}
	limit := time.Duration(s.cfg.Timeout) * time.Second
	now := time.Now()
	for _, c := range s.eng.Clients() {
		if _, ok := c.Extra.(*conn); !ok {
			continue
		}
		if c.Flags&(command.FlagMaster|command.FlagReplica|command.FlagPubSub) != 0 || c.Blocked() {
			continue
		}
		if now.Sub(c.LastInteraction) > limit {
			s.log.Verbosef("Closing idle client")
			c.Kill()
		}
	}
}

// generateRunID returns a new random 40-hex run id.
func generateRunID() string {
	var id [20]byte
	_, _ = rand.Read(id[:])
	return hex.EncodeToString(id[:])
}

// sampleOps records the commands run since the last cron tick, for
// instantaneous_ops_per_sec. The caller holds the engine lock.
func (s *Server) sampleOps(hz int) {
	cur := s.eng.Stats.Commands
	s.opsSamples[s.opsIdx] = (cur - s.opsLast) * int64(hz)
	s.opsIdx = (s.opsIdx + 1) % len(s.opsSamples)
	s.opsLast = cur
}

func (s *Server) instOps() int64 {
	var sum int64
	for _, v := range s.opsSamples {
		sum += v
	}
	return sum / int64(len(s.opsSamples))
}
