package server

import (
	"container/heap"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/resp"
	"github.com/replikube/replikube/internal/redis/spin"
)

const (
	readEvents = unix.EPOLLIN | unix.EPOLLRDHUP
	// maxAcceptsPerEvent is Redis's MAX_ACCEPTS_PER_CALL.
	maxAcceptsPerEvent = 1000
	// lockSpin bounds how long the loop tries the engine lock before it
	// sleeps for it (see lock).
	lockSpin = 50 * time.Microsecond
	// prefetchKeys bounds how many keys of the requests buffered for a
	// client process fetches ahead.
	prefetchKeys = 256
	// shutdownPoll bounds the wait for slow readers while shutting down.
	shutdownPoll = 10 * time.Millisecond
)

// eventLoop is the server's single I/O thread (see the package doc). The
// epoll and eventfd descriptors are its own; every other field is guarded
// by the engine lock, which the loop holds from the end of one epoll_wait
// to the start of the next.
type eventLoop struct {
	s      *Server
	e      *command.Engine
	epfd   int
	wakefd int
	events []unix.EpollEvent
	// raw: the loop may wait for events in raw system calls; quiet: the
	// last such wait found none (wait).
	raw, quiet bool
	done       chan struct{}
	force      atomic.Bool // Shutdown's context expired: close without flushing

	conns     map[int]*conn
	listeners map[int]*listener
	pending   []*conn // output to write, requests to resume, closes
	spare     []*conn
	paused    []*conn // stopped by CLIENT PAUSE
	timers    timerHeap
	inBatch   bool      // the loop holds the lock: no wakeup needed
	now       time.Time // when the current batch started
	stopping  bool
	keys      [][]byte // process's scratch: the keys it prefetches
}

func newEventLoop(s *Server) (*eventLoop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		_ = unix.Close(epfd)
		_ = unix.Close(wakefd)
		return nil, fmt.Errorf("register eventfd: %w", err)
	}
	return &eventLoop{
		s: s, e: s.eng, epfd: epfd, wakefd: wakefd,
		events:    make([]unix.EpollEvent, 1024),
		done:      make(chan struct{}),
		conns:     make(map[int]*conn),
		listeners: make(map[int]*listener),
	}, nil
}

// wake interrupts epoll_wait; any goroutine may call it.
func (l *eventLoop) wake() {
	one := [8]byte{1}
	_, _ = unix.Write(l.wakefd, one[:])
}

// watchListener starts accepting on ln. The caller holds the engine lock.
func (l *eventLoop) watchListener(ln *listener) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(ln.fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, ln.fd, &ev); err != nil {
		return fmt.Errorf("register listener %s: %w", ln.addr, err)
	}
	l.listeners[ln.fd] = ln
	return nil
}

// forgetListener stops accepting on ln before it is closed.
func (l *eventLoop) forgetListener(ln *listener) {
	if l.listeners[ln.fd] == ln {
		delete(l.listeners, ln.fd)
	}
}

// markPending queues cn for the end of the batch (write, resume, close)
// and wakes the loop when called from another goroutine. The caller holds
// the engine lock.
func (l *eventLoop) markPending(cn *conn) {
	if !cn.inPending {
		cn.inPending = true
		l.pending = append(l.pending, cn)
	}
	if !l.inBatch {
		l.wake()
	}
}

func (l *eventLoop) onUnblock(c *command.Client) {
	if cn, ok := c.Extra.(*conn); ok && cn.l == l && !cn.closed {
		l.clearTimer(cn)
		cn.resume = true
		l.markPending(cn)
	}
}

// run is the loop: wait for events, then under the engine lock read and
// run the requests of every ready client, fire block timeouts, and write
// every client's output.
func (l *eventLoop) run() {
	// The thread stays locked: it ends with this goroutine, under its name.
	runtime.LockOSThread()
	nameThread("event-loop")
	defer close(l.done)
	defer func() {
		_ = unix.Close(l.epfd)
		_ = unix.Close(l.wakefd)
	}()
	if l.raw = reserveP(); l.raw {
		defer rawWaiters.Add(-1)
	}
	e := l.e
	timeout := -1
	for {
		n, err := l.wait(timeout)
		if err != nil {
			n = 0
			if !errors.Is(err, unix.EINTR) {
				l.s.log.Warningf("epoll_wait: %v", err)
			}
		}
		l.lock()
		l.inBatch = true
		l.now = time.Now()
		for i := 0; i < n; i++ {
			l.handle(&l.events[i])
		}
		if len(l.timers) > 0 {
			l.fireTimers(l.now)
		}
		// Writes reach the AOF before their replies reach clients.
		l.s.persist.flushAOF()
		l.drain()
		// Then a batch for a background snapshot's serialiser, if it
		// asks: after the replies, so that they do not wait for it.
		l.s.feedSnapJob()
		if l.s.closing.Load() && l.shutdownStep() {
			l.inBatch = false
			e.Mu.Unlock()
			return
		}
		timeout = l.nextTimeout()
		l.inBatch = false
		e.Mu.Unlock()
	}
}

// maxRawWait bounds, in milliseconds, a wait for events made as a raw
// system call (eventLoop.wait).
const maxRawWait = 10

// rawWaiters counts the event loops of the process that wait for events
// in raw system calls, each keeping a P meanwhile (eventLoop.wait).
var rawWaiters atomic.Int32

// reserveP reports whether a new event loop may keep a P while it waits
// for events: whether one P is left for every other goroutine once each
// such loop has its own. A server process runs with a P more than its
// processors (main.go): its one loop may; of several servers in one
// process (tests), the first may.
func reserveP() bool {
	if rawWaiters.Add(1) < int32(runtime.GOMAXPROCS(0)) {
		return true
	}
	rawWaiters.Add(-1)
	return false
}

// wait waits up to timeout milliseconds (-1: no limit) for events.
//
// Through unix.EpollWait the runtime sees a system call and may give the
// loop's P to another thread meanwhile. But the loop's goroutine, locked
// to its thread, never goes through the Go scheduler, so the runtime's
// monitor (sysmon) found it on the same P for over 10 ms at every look:
// it took the P away in the middle of the loop's epoll_wait calls, the
// loop then had to find a P again as each call returned, and sysmon,
// having taken one, woke itself every few tens of microseconds: under a
// GET load with no BGSAVE, 170 Ps taken and ~1,600 sysmon wake-ups a
// second, each a processor woken for nothing. So while events keep
// coming, a loop that may (l.raw, reserveP) waits in a raw system call
// and keeps its P, as during its reads and writes: GET p99 during a
// BGSAVE 33-38 us against 41-47 us (docs/benchmarks.md). Once a raw wait
// found nothing for maxRawWait, the loop is quiet and waits through
// unix.EpollWait again until the next event: a P kept by a sleeping loop
// keeps sysmon awake (an idle server took 1.1% of a processor instead of
// 0.2%). A raw wait still ends for the runtime: stopping the world (the
// GC) or preempting the goroutine sends a signal to the thread, which
// ends epoll_wait with EINTR; maxRawWait bounds it when no signal comes
// (GODEBUG=asyncpreemptoff=1).
func (l *eventLoop) wait(timeout int) (n int, err error) {
	if !l.raw || l.quiet {
		n, err = unix.EpollWait(l.epfd, l.events, timeout)
		l.quiet = l.quiet && n == 0
		return n, err
	}
	if timeout < 0 || timeout > maxRawWait {
		timeout = maxRawWait
	}
	n, err = rawEpollWait(l.epfd, l.events, timeout)
	l.quiet = n == 0 && err == nil
	return n, err
}

// lock takes the engine lock for an iteration. Its other holders keep
// it for about a microsecond (a snapshot's serialiser claiming its next
// span), but a holder the kernel preempted, often to run this thread on
// its processor, keeps it until it runs again: Lock would sleep until
// then, and then for the wake-up (18 to 50 us a time on average,
// measured during a BGSAVE under a GET load, a few hundred times per
// BGSAVE). The loop tries again instead, for up to lockSpin, giving its
// processor to the holder between tries (4 us a time on average).
func (l *eventLoop) lock() {
	mu := &l.e.Mu
	if !spin.Retry(lockSpin, mu.TryLock) {
		mu.Lock()
	}
}

func (l *eventLoop) handle(ev *unix.EpollEvent) {
	fd := int(ev.Fd)
	if fd == l.wakefd {
		var b [8]byte
		_, _ = unix.Read(l.wakefd, b[:])
		return
	}
	cn := l.conns[fd]
	if cn == nil {
		if ln := l.listeners[fd]; ln != nil && !l.stopping {
			l.accept(ln)
		}
		return
	}
	if ev.Events&unix.EPOLLOUT != 0 {
		l.markPending(cn)
	}
	if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		l.readable(cn)
	}
}

func (l *eventLoop) accept(ln *listener) {
	s := l.s
	for i := 0; i < maxAcceptsPerEvent; i++ {
		fd, sa, err := unix.Accept4(ln.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			switch {
			case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
			case errors.Is(err, unix.ECONNABORTED):
				continue
			default:
				s.log.Warningf("Accepting client connection: %v", err)
			}
			return
		}
		s.statConnections.Add(1)
		if len(l.conns) >= s.cfg.MaxClients {
			s.statRejectedConns.Add(1)
			_, _ = unix.Write(fd, []byte("-ERR max number of clients reached\r\n"))
			_ = unix.Close(fd)
			continue
		}
		raddr := sockaddrTCP(sa)
		local := raddr.IP.IsLoopback()
		if s.deniedLocked(local) {
			_, _ = unix.Write(fd, []byte(protectedModeMessage))
			_ = unix.Close(fd)
			continue
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		if ka := s.cfg.TCPKeepalive; ka > 0 {
			// anetKeepAlive: probes after ka seconds idle, 3 of them ka/3 apart.
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, ka)
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, max(ka/3, 1))
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 3)
		}
		laddr := ln.addr
		if lsa, err := unix.Getsockname(fd); err == nil {
			laddr = sockaddrTCP(lsa)
		}
		if _, err := l.newConn(fd, raddr.String(), laddr.String(), local); err != nil {
			s.log.Warningf("Accepting client connection: %v", err)
			_ = unix.Close(fd)
		}
	}
}

// readable reads once from cn and runs its complete requests.
func (l *eventLoop) readable(cn *conn) {
	c := cn.cl
	if cn.closed || l.stopping || c.Flags&(command.FlagCloseASAP|command.FlagCloseAfterReply) != 0 {
		return
	}
	before := cn.rd.Buffered()
	if err := cn.rd.Fill(); err != nil {
		if errors.Is(err, unix.EAGAIN) {
			return
		}
		if errors.Is(err, resp.ErrQueryBufferLimit) {
			l.s.log.Warningf("Closing client that reached max query buffer length: addr=%s", c.Addr)
		}
		l.closeConn(cn)
		return
	}
	l.s.statReads.Add(1)
	l.s.statNetIn.Add(int64(cn.rd.Buffered() - before))
	c.LastInteraction = l.now
	if c.Blocked() || cn.paused {
		return
	}
	l.runSafely(cn)
	if !cn.closed && (len(c.W.Buf) > 0 || c.Flags&(command.FlagCloseASAP|command.FlagCloseAfterReply) != 0) {
		l.markPending(cn)
	}
}

// runSafely runs cn's buffered requests; a panic in a handler closes only
// this client.
func (l *eventLoop) runSafely(cn *conn) {
	defer func() {
		if r := recover(); r != nil {
			l.e.RecoverFromPanic(cn.cl)
			l.s.log.Warningf("Panic while serving client %s, closing it: %v\n%s", cn.cl.Addr, r, debug.Stack())
			l.closeConn(cn)
		}
	}()
	l.process(cn)
}

// process runs every complete request buffered for cn, stopping at a
// command that blocks, pauses or closes the client.
func (l *eventLoop) process(cn *conn) {
	e, s, c := l.e, l.s, cn.cl
	if c.Flags&command.FlagMaster != 0 && cn.held == nil {
		// Our master's stream comes in reads of many commands: start
		// fetching their keys together, so that their cache misses
		// overlap instead of stalling each command in turn.
		l.keys = cn.rd.PeekKeys(l.keys[:0], prefetchKeys)
		if len(l.keys) > 1 {
			c.DB.Prefetch(l.keys)
		}
	}
	for !cn.closed && !c.Blocked() && c.Flags&(command.FlagCloseASAP|command.FlagCloseAfterReply) == 0 {
		args := cn.held
		cn.held = nil
		if args == nil {
			cn.rd.Limits.Unauthenticated = !c.Authed
			cn.rd.Limits.Master = c.Flags&command.FlagMaster != 0
			var ok bool
			var err error
			args, ok, err = cn.rd.Next()
			if err != nil {
				var pe *resp.ProtocolError
				if errors.As(err, &pe) {
					c.Error(pe.Msg)
					if c.Flags&command.FlagMaster != 0 {
						// As Redis: a broken stream from our master is
						// worth a warning; the link is then redone.
						s.log.Warningf("Protocol error (%s) from client: addr=%s (our master)", pe.Msg, c.Addr)
					} else {
						s.log.Verbosef("Protocol error (%s) from client: addr=%s", pe.Msg, c.Addr)
					}
					c.Flags |= command.FlagCloseAfterReply
				} else {
					s.log.Warningf("Closing client that reached max query buffer length: addr=%s", c.Addr)
					l.closeConn(cn)
				}
				return
			}
			if !ok {
				return
			}
		}
		if s.pausing() {
			cmd, _ := e.Lookup(args)
			if s.pausedFor(c, cmd) {
				cn.held = command.CloneArgs(args)
				cn.paused = true
				l.paused = append(l.paused, cn)
				return
			}
		}
		if c.Flags&command.FlagMaster != 0 {
			// Our master's stream: applied without replies, then counted
			// and forwarded. Keys are never expired for the master (it
			// sends DEL when they expire there), as in Redis.
			mark := len(c.W.Buf)
			s.ks.IgnoreExpiry = true
			e.Dispatch(c, args)
			s.ks.IgnoreExpiry = false
			c.W.Buf = c.W.Buf[:mark]
			s.repl.masterApplied(cn.rd.Last(), l.now)
			continue
		}
		e.Dispatch(c, args)
		if c.Blocked() {
			if dl := c.BlockDeadline(); !dl.IsZero() {
				l.setTimer(cn, dl)
			}
		}
	}
}

// drain handles the clients queued during the batch until none is left:
// close, resume (unblocked or unpaused), write.
func (l *eventLoop) drain() {
	for {
		l.releasePaused()
		if len(l.pending) == 0 {
			return
		}
		batch := l.pending
		l.pending = l.spare[:0]
		for i, cn := range batch {
			batch[i] = nil
			cn.inPending = false
			if cn.closed {
				continue
			}
			if cn.cl.Flags&command.FlagCloseASAP != 0 {
				l.closeConn(cn)
				continue
			}
			if cn.resume && !l.stopping {
				cn.resume = false
				if !cn.cl.Blocked() {
					l.runSafely(cn)
				}
				if cn.closed {
					continue
				}
			}
			l.flush(cn)
		}
		l.spare = batch[:0]
	}
}

// releasePaused resumes the clients held by a pause once it ends; when a
// CLIENT PAUSE ends during a failover, the writes among them are held
// again.
func (l *eventLoop) releasePaused() {
	p := &l.s.paused
	if p.active && !time.Now().Before(p.until) {
		l.s.unpause()
	}
	if len(l.paused) == 0 || p.active || (p.failover && !p.ended) {
		return
	}
	p.ended = false
	for i, cn := range l.paused {
		l.paused[i] = nil
		cn.paused = false
		cn.resume = true
		l.markPending(cn)
	}
	l.paused = l.paused[:0]
}

// flush writes cn's output with one write(2); what the socket does not
// take waits for EPOLLOUT.
func (l *eventLoop) flush(cn *conn) {
	c := cn.cl
	if len(cn.out) == 0 && len(c.W.Buf) > 0 {
		n, err := l.write(cn, c.W.Buf)
		if err != nil {
			l.closeConn(cn)
			return
		}
		if n < len(c.W.Buf) {
			cn.out = append(cn.out[:0], c.W.Buf[n:]...)
		}
		resetReply(c)
	} else if len(cn.out) > 0 {
		cn.out = append(cn.out, c.W.Buf...)
		resetReply(c)
		n, err := l.write(cn, cn.out)
		if err != nil {
			l.closeConn(cn)
			return
		}
		// Drop what was written by moving the slice's start, not by
		// copying the rest to the front: a replica's full sync keeps
		// megabytes queued and the socket takes a fraction per write, so
		// the copy cost several times the bytes sent. The array's head
		// is given back when an append outgrows it.
		cn.out = cn.out[n:]
		if len(cn.out) == 0 && cap(cn.out) > 1<<20 {
			cn.out = nil
		}
	}
	if len(cn.out) == 0 && (c.Flags&command.FlagCloseAfterReply != 0 || l.stopping) {
		l.closeConn(cn)
		return
	}
	l.watch(cn)
}

// resetReply empties the reply buffer, giving back the memory of a large
// reply.
func resetReply(c *command.Client) {
	if cap(c.W.Buf) > 1<<20 {
		c.W.Buf = nil
	} else {
		c.W.Reset()
	}
}

func (l *eventLoop) write(cn *conn, b []byte) (int, error) {
	n, err := rawWrite(cn.fd, b)
	if err != nil {
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			return 0, nil
		}
		return 0, err
	}
	l.s.statWrites.Add(1)
	l.s.statNetOut.Add(int64(n))
	return n, nil
}

// watch sets the events cn waits for: readable, plus writable while
// output is left; only writable once nothing more will be read from it
// (closing after the reply, shutting down).
func (l *eventLoop) watch(cn *conn) {
	events := uint32(readEvents)
	if len(cn.out) > 0 {
		events |= unix.EPOLLOUT
		if l.stopping || cn.cl.Flags&command.FlagCloseAfterReply != 0 {
			events = unix.EPOLLOUT
		}
	}
	if events == cn.events {
		return
	}
	cn.events = events
	ev := unix.EpollEvent{Events: events, Fd: int32(cn.fd)}
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, cn.fd, &ev)
}

// closeConn forgets cn's client and closes the socket (which also
// removes it from epoll).
func (l *eventLoop) closeConn(cn *conn) {
	if cn.closed {
		return
	}
	cn.closed = true
	if cn.cl.Flags&(command.FlagReplica|command.FlagMaster) != 0 {
		l.s.repl.connClosed(cn)
	}
	l.clearTimer(cn)
	l.e.RemoveClient(cn.cl)
	delete(l.conns, cn.fd)
	_ = unix.Close(cn.fd)
	cn.out, cn.held = nil, nil
}

// fireTimers times out the blocked clients whose deadline passed.
func (l *eventLoop) fireTimers(now time.Time) {
	for len(l.timers) > 0 && !l.timers[0].timerAt.After(now) {
		cn := l.timers[0]
		c := cn.cl
		if !c.Blocked() {
			l.clearTimer(cn)
			continue
		}
		l.e.BlockTimeout(c)
		l.e.FlushPropagation()
		if c.Blocked() {
			// The engine clock had not reached the deadline yet.
			l.setTimer(cn, now.Add(5*time.Millisecond))
		}
	}
}

// nextTimeout is epoll_wait's timeout in milliseconds: the next block
// deadline or the end of a pause holding clients, -1 for none.
func (l *eventLoop) nextTimeout() int {
	var next time.Time
	if len(l.timers) > 0 {
		next = l.timers[0].timerAt
	}
	if p := &l.s.paused; len(l.paused) > 0 && p.active && (next.IsZero() || p.until.Before(next)) {
		next = p.until
	}
	if l.stopping && (next.IsZero() || time.Until(next) > shutdownPoll) {
		next = time.Now().Add(shutdownPoll)
	}
	if next.IsZero() {
		return -1
	}
	d := time.Until(next)
	if d <= 0 {
		return 0
	}
	return int(min((d+time.Millisecond-1)/time.Millisecond, 1<<30))
}

// shutdownStep runs at the end of every batch once Shutdown was called:
// the first time it closes the listeners and stops reading; then it
// closes every client whose output is written. It reports whether no
// client is left.
func (l *eventLoop) shutdownStep() bool {
	if !l.stopping {
		l.stopping = true
		for fd, ln := range l.listeners {
			delete(l.listeners, fd)
			ln.close()
		}
		l.s.mu.Lock()
		l.s.listeners = nil
		l.s.mu.Unlock()
		for _, cn := range l.conns {
			l.flush(cn)
		}
	}
	force := l.force.Load()
	for _, cn := range l.conns {
		if force || len(cn.out) == 0 {
			l.closeConn(cn)
		}
	}
	return len(l.conns) == 0
}

// timerHeap orders the blocked clients that have a deadline. A client
// blocks on one command at a time, so it has at most one entry (at
// cn.timerIdx), removed when it is unblocked or closed.
type timerHeap []*conn

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].timerAt.Before(h[j].timerAt) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].timerIdx, h[j].timerIdx = i, j
}
func (h *timerHeap) Push(x any) {
	cn := x.(*conn)
	cn.timerIdx = len(*h)
	*h = append(*h, cn)
}
func (h *timerHeap) Pop() any {
	old := *h
	cn := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	cn.timerIdx = -1
	return cn
}

// setTimer (re)arms cn's block timer.
func (l *eventLoop) setTimer(cn *conn, at time.Time) {
	cn.timerAt = at
	if cn.timerIdx >= 0 {
		heap.Fix(&l.timers, cn.timerIdx)
		return
	}
	heap.Push(&l.timers, cn)
}

func (l *eventLoop) clearTimer(cn *conn) {
	if cn.timerIdx >= 0 {
		heap.Remove(&l.timers, cn.timerIdx)
	}
}
