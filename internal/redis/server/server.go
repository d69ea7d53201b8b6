// Package server is the network side of the data plane: listeners, the
// per-connection request loop (parse a pipelined batch, run it under the
// engine lock, write the replies once), configuration, INFO, CLIENT and the
// other server-level commands, the periodic cron, and graceful shutdown.
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
	"strconv"
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

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*conn]struct{}
	wg        sync.WaitGroup
	acceptWG  sync.WaitGroup
	stopped   chan struct{} // closed by Shutdown
	serving   bool          // Serve has started (guarded by mu)
	closing   atomic.Bool
	cronStop  chan struct{}
	cronDone  chan struct{}

	// ShutdownRequested is closed when SHUTDOWN asks the process to exit.
	ShutdownRequested chan struct{}
	shutdownOnce      sync.Once
	shutdownMode      atomic.Value // string: "", "save", "nosave"

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
	var id [20]byte
	_, _ = rand.Read(id[:])
	s := &Server{
		cfg: cfg, log: log, eng: eng, ks: ks,
		conns:             make(map[*conn]struct{}),
		stopped:           make(chan struct{}),
		cronStop:          make(chan struct{}),
		cronDone:          make(chan struct{}),
		ShutdownRequested: make(chan struct{}),
		startTime:         time.Now(),
		runID:             hex.EncodeToString(id[:]),
	}
	s.activeExpire.Store(true)
	eng.Role = func() string { return "master" }
	s.registerCommands()
	if err := s.applyConfig(nil); err != nil {
		return nil, err
	}
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

// bindAll opens a listener per bind address. A bind address prefixed with
// '-' is optional: failing to bind it is not an error, as in Redis.
func bindAll(binds []string, port int) ([]net.Listener, error) {
	if port == 0 {
		return nil, nil
	}
	if len(binds) == 0 {
		binds = []string{"*", "-::*"}
	}
	var out []net.Listener
	for _, b := range binds {
		if b == "" {
			continue
		}
		optional := strings.HasPrefix(b, "-")
		addr := strings.TrimPrefix(b, "-")
		switch addr {
		case "*":
			addr = "0.0.0.0"
		case "::*":
			addr = "::"
		}
		network := "tcp4"
		if strings.Contains(addr, ":") {
			network = "tcp6"
		}
		ln, err := net.Listen(network, net.JoinHostPort(addr, strconv.Itoa(port)))
		if err != nil {
			if optional {
				continue
			}
			for _, l := range out {
				_ = l.Close()
			}
			return nil, fmt.Errorf("listen on %s:%d: %w", addr, port, err)
		}
		out = append(out, ln)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("listen on port %d: no address could be bound", port)
	}
	return out, nil
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
// if the new addresses cannot be bound the old ones are bound again.
func (s *Server) rebind(oldBind []string, oldPort int) error {
	s.mu.Lock()
	old := s.listeners
	s.listeners = nil
	s.mu.Unlock()
	for _, ln := range old {
		_ = ln.Close()
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

func (s *Server) installListeners(lns []net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = lns
	if s.serving && !s.closing.Load() {
		for _, ln := range lns {
			s.startAccept(ln)
		}
	}
}

// Addrs returns the bound addresses.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, ln := range s.listeners {
		out = append(out, ln.Addr())
	}
	return out
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.listeners {
		_ = ln.Close()
	}
}

// Serve accepts connections on the bound listeners and runs the cron
// until Shutdown; it then returns ErrServerClosed.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.closing.Load() || s.serving {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.serving = true
	go s.cron()
	for _, ln := range s.listeners {
		s.startAccept(ln)
	}
	s.mu.Unlock()
	<-s.stopped
	s.acceptWG.Wait()
	return ErrServerClosed
}

// startAccept runs an accept loop for ln. The caller holds s.mu.
func (s *Server) startAccept(ln net.Listener) {
	s.acceptWG.Add(1)
	go func() {
		defer s.acceptWG.Done()
		if err := s.acceptLoop(ln); err != nil {
			s.log.Warningf("Accepting on %s stopped: %v", ln.Addr(), err)
		}
	}()
}

// current reports whether ln is still one of the server's listeners.
func (s *Server) current(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		if l == ln {
			return true
		}
	}
	return false
}

func (s *Server) acceptLoop(ln net.Listener) error {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() || !s.current(ln) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(delay*2, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("accept: %w", err)
		}
		delay = 0
		s.statConnections.Add(1)
		s.eng.Mu.Lock()
		maxClients := s.cfg.MaxClients
		s.eng.Mu.Unlock()
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			_ = nc.Close()
			return nil
		}
		if len(s.conns) >= maxClients {
			s.mu.Unlock()
			s.statRejectedConns.Add(1)
			_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
			_ = nc.Close()
			continue
		}
		cn := s.newConn(nc)
		s.conns[cn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go cn.serve()
	}
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

// Shutdown stops accepting, lets every connection finish the batch it is
// running and flush its replies, then closes them; it waits for the
// connection goroutines until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closing.CompareAndSwap(false, true) {
		return nil
	}
	s.closeListeners()
	s.mu.Lock()
	serving := s.serving
	s.mu.Unlock()
	close(s.cronStop)
	if serving {
		<-s.cronDone
	}
	close(s.stopped)
	s.mu.Lock()
	for cn := range s.conns {
		cn.shutdown()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.mu.Lock()
		for cn := range s.conns {
			_ = cn.nc.Close()
		}
		s.mu.Unlock()
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
		s.eng.Mu.Unlock()
		s.closeIdleClients()
	}
}

func (s *Server) closeIdleClients() {
	s.eng.Mu.Lock()
	timeout := s.cfg.Timeout
	s.eng.Mu.Unlock()
	if timeout <= 0 {
		return
	}
	limit := time.Duration(timeout) * time.Second
	now := time.Now()
	s.mu.Lock()
	var idle []*conn
	for cn := range s.conns {
		idle = append(idle, cn)
	}
	s.mu.Unlock()
	s.eng.Mu.Lock()
	defer s.eng.Mu.Unlock()
	for _, cn := range idle {
		c := cn.cl
		if c.Flags&(command.FlagMaster|command.FlagReplica|command.FlagPubSub) != 0 || c.Blocked() {
			continue
		}
		if now.Sub(c.LastInteraction) > limit {
			s.log.Verbosef("Closing idle client")
			c.Flags |= command.FlagCloseASAP
			_ = cn.nc.Close()
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
