package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/resp"
)

// conn is one client connection served by the event loop. All fields are
// guarded by the engine lock; only the loop reads and writes fd.
type conn struct {
	l     *eventLoop
	fd    int
	rd    *resp.Reader
	cl    *command.Client
	local bool

	// out holds reply bytes a write(2) could not take; they go out before
	// anything newer in cl.W.Buf.
	out []byte
	// held is a request stopped by CLIENT PAUSE (a copy: the read buffer
	// moves on).
	held [][]byte

	events    uint32 // registered with epoll
	timerAt   time.Time
	timerIdx  int  // in l.timers, -1 when not there
	inPending bool // queued in l.pending
	resume    bool // unblocked or unpaused: run the buffered requests
	paused    bool // queued in l.paused
	closed    bool

	// What a replica said in REPLCONF before PSYNC.
	replPort   int
	replIP     string
	capaEOF    bool
	capaPSYNC2 bool
}

// fdReader reads a non-blocking socket for resp.Reader.Fill: EAGAIN comes
// back as an error, end of stream as io.EOF.
type fdReader struct{ fd int }

func (r fdReader) Read(p []byte) (int, error) {
	n, err := rawRead(r.fd, p)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// protectedModeMessage is Redis 7.0's DENIED reply.
const protectedModeMessage = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

// deniedByProtectedMode applies protected-mode: with no password, only
// loopback clients are served (Redis 7.0 ignores bind for this check).
func (s *Server) deniedByProtectedMode(local bool) bool {
	s.eng.Mu.Lock()
	defer s.eng.Mu.Unlock()
	return s.deniedLocked(local)
}

func (s *Server) deniedLocked(local bool) bool {
	return s.cfg.ProtectedMode && s.cfg.RequirePass == "" && !local
}

// newConn registers a connected non-blocking socket with the loop and the
// engine. The caller holds the engine lock.
func (l *eventLoop) newConn(fd int, raddr, laddr string, local bool) (*conn, error) {
	s := l.s
	cn := &conn{l: l, fd: fd, local: local, events: readEvents, timerIdx: -1}
	cn.rd = resp.NewReader(fdReader{fd}, resp.Limits{MaxBulkLen: s.cfg.ProtoMaxBulkLen, MaxQueryBuffer: s.cfg.ClientQueryBufferLimit})
	ev := unix.EpollEvent{Events: readEvents, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return nil, fmt.Errorf("register connection: %w", err)
	}
	c := s.eng.NewClient()
	c.Addr, c.LAddr = raddr, laddr
	c.Sink = cn
	c.Kill = func() {
		c.Flags |= command.FlagCloseASAP
		l.markPending(cn)
	}
	c.Extra = cn
	s.eng.AddClient(c)
	cn.cl = c
	l.conns[fd] = cn
	return cn, nil
}

// Deliver implements command.Sink: pub/sub messages and MONITOR lines are
// appended to the client's output, behind the replies already produced,
// and written by the loop after the current batch. The caller holds the
// engine lock.
func (cn *conn) Deliver(b []byte) {
	c := cn.cl
	if cn.closed || c.Flags&command.FlagCloseASAP != 0 {
		return
	}
	c.W.Buf = append(c.W.Buf, b...)
	s := cn.l.s
	lim := s.cfg.ClientOutputBufferLimit[2]
	if lim.Hard > 0 && int64(len(cn.out)+len(c.W.Buf)) > lim.Hard {
		s.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.Addr)
		c.Flags |= command.FlagCloseASAP
		c.W.Buf, cn.out = nil, nil
	}
	cn.l.markPending(cn)
}

// omem is the output not yet written, for CLIENT LIST.
func (cn *conn) omem() int { return len(cn.out) }

// AddConn hands a connection created elsewhere to the event loop, which
// owns it from then on: the replication layer uses it for the link to a
// master (dialled and past the handshake) and for replica sockets after
// PSYNC. The connection is served like an accepted one: requests arriving
// on it run through the dispatcher and replies go back; init runs under
// the engine lock before anything is read, to set flags such as
// command.FlagMaster. Output produced outside a request (a propagator
// feeding a replica) is appended with c.Sink.Deliver under the engine
// lock: the loop is woken to write it. nc must be a TCP (or other
// syscall.Conn) connection without bytes buffered in user space; it is
// closed here and its descriptor duplicated. The caller must not hold the
// engine lock. It fails when the server is not serving.
func (s *Server) AddConn(nc net.Conn, init func(c *command.Client)) (*command.Client, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, errors.New("add connection: not a socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("add connection: %w", err)
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(f uintptr) { fd, dupErr = unix.Dup(int(f)) }); err != nil {
		return nil, fmt.Errorf("add connection: %w", err)
	}
	if dupErr != nil {
		return nil, fmt.Errorf("add connection: dup: %w", dupErr)
	}
	raddr, laddr := nc.RemoteAddr().String(), nc.LocalAddr().String()
	local := true
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		local = ta.IP.IsLoopback()
	}
	_ = nc.Close()
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("add connection: %w", err)
	}
	s.eng.Mu.Lock()
	defer s.eng.Mu.Unlock()
	s.mu.Lock()
	l := s.loop
	s.mu.Unlock()
	if l == nil || s.closing.Load() {
		_ = unix.Close(fd)
		return nil, ErrServerClosed
	}
	cn, err := l.newConn(fd, raddr, laddr, local)
	if err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	if init != nil {
		init(cn.cl)
	}
	l.markPending(cn)
	return cn.cl, nil
}
