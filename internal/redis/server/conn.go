package server

import (
	"errors"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/resp"
)

// conn is one client connection. Its goroutine alternates between reading
// (outside the engine lock) and running every complete request it has
// buffered (inside the lock), then writes the batch's replies at once.
type conn struct {
	s  *Server
	nc net.Conn
	rd *resp.Reader
	cl *command.Client

	// Out-of-band output (pub/sub, MONITOR): once a client receives such
	// messages, all of its output goes through pending, written by a
	// dedicated goroutine, so that messages and replies keep the order
	// in which they were produced under the engine lock.
	outMu     sync.Mutex
	pending   []byte
	async     bool
	wake      chan struct{}
	outClosed bool

	closing bool // guarded by s.mu
	local   bool
	// pendingRequests: the last batch stopped early with requests left.
	pendingRequests bool
}

func (s *Server) newConn(nc net.Conn) *conn {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		if s.cfg.TCPKeepalive > 0 {
			_ = tc.SetKeepAlive(true)
			_ = tc.SetKeepAlivePeriod(time.Duration(s.cfg.TCPKeepalive) * time.Second)
		}
	}
	cn := &conn{s: s, nc: nc}
	cn.rd = resp.NewReader(nc, resp.Limits{MaxBulkLen: s.cfg.ProtoMaxBulkLen, MaxQueryBuffer: s.cfg.ClientQueryBufferLimit})
	s.eng.Mu.Lock()
	c := s.eng.NewClient()
	c.Addr = nc.RemoteAddr().String()
	c.LAddr = nc.LocalAddr().String()
	c.Sink = cn
	c.Kill = func() { _ = nc.Close() }
	c.Extra = cn
	s.eng.AddClient(c)
	s.eng.Mu.Unlock()
	cn.cl = c
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		cn.local = ta.IP.IsLoopback()
	} else {
		cn.local = true
	}
	return cn
}

// protectedModeMessage is Redis 7.0's DENIED reply.
const protectedModeMessage = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

func (cn *conn) serve() {
	s := cn.s
	defer s.wg.Done()
	defer cn.cleanup()
	defer func() {
		if r := recover(); r != nil {
			s.log.Warningf("Panic while serving client %s, closing it: %v\n%s", cn.cl.Addr, r, debug.Stack())
		}
	}()
	if s.deniedByProtectedMode(cn.local) {
		_, _ = cn.nc.Write([]byte(protectedModeMessage))
		return
	}
	for {
		if err := cn.runBuffered(); err != nil {
			return
		}
		if cn.cl.Flags&(command.FlagCloseAfterReply|command.FlagCloseASAP) != 0 || s.closing.Load() && cn.rd.Buffered() == 0 {
			return
		}
		if cn.cl.Blocked() {
			if err := cn.waitUnblocked(); err != nil {
				return
			}
			continue
		}
		if cn.rd.Buffered() > 0 && cn.hasCompleteRequest() {
			continue
		}
		if err := cn.fill(); err != nil {
			return
		}
	}
}

// hasCompleteRequest is true when the reader stopped early (blocked
// command served, pause) with requests still buffered.
func (cn *conn) hasCompleteRequest() bool { return cn.pendingRequests }

func (cn *conn) fill() error {
	err := cn.rd.Fill()
	if err == resp.ErrQueryBufferLimit {
		cn.s.log.Warningf("Closing client that reached max query buffer length: addr=%s", cn.cl.Addr)
	}
	return err
}

// runBuffered executes every complete request in the read buffer under
// the engine lock, stopping after a command that blocks or asks to close,
// and writes the replies.
func (cn *conn) runBuffered() (err error) {
	s := cn.s
	e := s.eng
	c := cn.cl
	cn.pendingRequests = false
	e.Mu.Lock()
	locked := true
	defer func() {
		if r := recover(); r != nil {
			if locked {
				e.RecoverFromPanic(c)
				e.Mu.Unlock()
			}
			panic(r)
		}
	}()
	cn.rd.Limits.Unauthenticated = !c.Authed
	cn.rd.Limits.Master = c.Flags&command.FlagMaster != 0
	for {
		args, ok, perr := cn.rd.Next()
		if perr != nil {
			var pe *resp.ProtocolError
			if errors.As(perr, &pe) {
				c.Error(pe.Msg)
				s.log.Verbosef("Protocol error (%s) from client: addr=%s", pe.Msg, c.Addr)
			}
			err = perr
			break
		}
		if !ok {
			break
		}
		s.waitIfPaused(c, args)
		e.Dispatch(c, args)
		if c.Blocked() || c.Flags&(command.FlagCloseAfterReply|command.FlagCloseASAP) != 0 {
			cn.pendingRequests = cn.rd.Buffered() > 0
			break
		}
		if !c.Authed {
			cn.rd.Limits.Unauthenticated = true
		} else {
			cn.rd.Limits.Unauthenticated = false
		}
	}
	werr := cn.flushLocked()
	e.Mu.Unlock()
	locked = false
	if werr == nil {
		werr = cn.flushDirect()
	}
	if err != nil {
		return err
	}
	return werr
}

// flushLocked moves the replies to the async queue when the client is in
// async mode (called under the engine lock to keep production order).
func (cn *conn) flushLocked() error {
	c := cn.cl
	if len(c.W.Buf) == 0 {
		return nil
	}
	cn.outMu.Lock()
	async := cn.async
	cn.outMu.Unlock()
	if async || c.Flags&(command.FlagPubSub|command.FlagMonitor) != 0 {
		cn.Deliver(c.W.Buf)
		c.W.Reset()
	}
	return nil
}

// flushDirect writes the replies of a non-async client.
func (cn *conn) flushDirect() error {
	c := cn.cl
	if len(c.W.Buf) == 0 {
		return nil
	}
	n, err := cn.nc.Write(c.W.Buf)
	cn.s.statNetOut.Add(int64(n))
	if cap(c.W.Buf) > 1<<20 {
		c.W.Buf = nil
	} else {
		c.W.Reset()
	}
	return err
}

// Deliver implements command.Sink: queue bytes for the writer goroutine.
func (cn *conn) Deliver(b []byte) {
	cn.outMu.Lock()
	defer cn.outMu.Unlock()
	if cn.outClosed {
		return
	}
	cn.pending = append(cn.pending, b...)
	if !cn.async {
		cn.async = true
		cn.wake = make(chan struct{}, 1)
		go cn.writer()
	}
	lim := cn.s.cfg.ClientOutputBufferLimit[2]
	if lim.Hard > 0 && int64(len(cn.pending)) > lim.Hard {
		cn.s.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", cn.cl.Addr)
		cn.outClosed = true
		cn.pending = nil
		_ = cn.nc.Close()
		return
	}
	select {
	case cn.wake <- struct{}{}:
	default:
	}
}

func (cn *conn) writer() {
	for range cn.wake {
		cn.outMu.Lock()
		buf := cn.pending
		cn.pending = nil
		closed := cn.outClosed
		cn.outMu.Unlock()
		if closed {
			return
		}
		if len(buf) > 0 {
			n, err := cn.nc.Write(buf)
			cn.s.statNetOut.Add(int64(n))
			if err != nil {
				_ = cn.nc.Close()
				return
			}
		}
	}
}

// waitUnblocked waits outside the lock for the client's blocking command
// to be served or to time out, while watching the socket so that a client
// that goes away stops being served.
func (cn *conn) waitUnblocked() error {
	s := cn.s
	e := s.eng
	c := cn.cl
	e.Mu.Lock()
	done := c.BlockDone()
	deadline := c.BlockDeadline()
	e.Mu.Unlock()
	if done == nil {
		return nil
	}
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timer = t.C
	}
	readErr := make(chan error, 1)
	reading := false
	startRead := func() {
		reading = true
		go func() { readErr <- cn.rd.Fill() }()
	}
	stopRead := func() error {
		if !reading {
			return nil
		}
		_ = cn.nc.SetReadDeadline(time.Now())
		err := <-readErr
		_ = cn.nc.SetReadDeadline(time.Time{})
		reading = false
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		return nil
	}
	startRead()
	for {
		select {
		case <-done:
			if err := stopRead(); err != nil {
				return err
			}
			return cn.afterUnblock()
		case <-timer:
			e.Mu.Lock()
			e.BlockTimeout(c)
			e.FlushPropagation()
			still := c.Blocked()
			e.Mu.Unlock()
			if still {
				// The engine clock had not reached the deadline yet.
				timer = time.After(5 * time.Millisecond)
			}
		case err := <-readErr:
			reading = false
			if err != nil {
				e.Mu.Lock()
				e.RemoveClient(c)
				e.Mu.Unlock()
				return err
			}
			startRead()
		}
	}
}

// afterUnblock writes the reply produced for the unblocked client.
func (cn *conn) afterUnblock() error {
	e := cn.s.eng
	e.Mu.Lock()
	_ = cn.flushLocked()
	e.Mu.Unlock()
	cn.pendingRequests = cn.rd.Buffered() > 0
	return cn.flushDirect()
}

// shutdown makes the connection goroutine exit after its current batch:
// a pending read is interrupted.
func (cn *conn) shutdown() {
	cn.closing = true
	_ = cn.nc.SetReadDeadline(time.Now())
}

func (cn *conn) cleanup() {
	s := cn.s
	s.eng.Mu.Lock()
	s.eng.RemoveClient(cn.cl)
	s.eng.Mu.Unlock()
	cn.outMu.Lock()
	if cn.async && !cn.outClosed {
		// Give the writer a moment to flush what is queued (QUIT after
		// SUBSCRIBE, shutdown).
		buf := cn.pending
		cn.pending = nil
		cn.outClosed = true
		cn.outMu.Unlock()
		if len(buf) > 0 {
			_ = cn.nc.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = cn.nc.Write(buf)
		}
		close(cn.wake)
	} else {
		cn.outClosed = true
		cn.outMu.Unlock()
	}
	_ = cn.nc.Close()
	s.mu.Lock()
	delete(s.conns, cn)
	s.mu.Unlock()
}

// deniedByProtectedMode applies protected-mode: with no password, only
// loopback clients are served (Redis 7.0 ignores bind for this check).
func (s *Server) deniedByProtectedMode(local bool) bool {
	s.eng.Mu.Lock()
	defer s.eng.Mu.Unlock()
	return s.cfg.ProtectedMode && s.cfg.RequirePass == "" && !local
}
