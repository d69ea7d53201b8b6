package server

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/replikube/replikube/internal/redis/command"
)

// infoField returns one INFO field.
func infoField(t *testing.T, c *testConn, name string) string {
	t.Helper()
	info := c.do("INFO", "everything")
	for _, line := range strings.Split(strings.Trim(info, `"`), `\r\n`) {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO has no %s: %s", name, info)
	return ""
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestBlockedClientServedAndResumesPipeline(t *testing.T) {
	s := startServer(t, nil)
	b := dial(t, s)
	// The requests after BLPOP wait for it, then run in order.
	b.send("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*2\r\n$4\r\nECHO\r\n$5\r\nafter\r\n")
	p := dial(t, s)
	waitFor(t, "blocked client", func() bool { return infoField(t, p, "blocked_clients") == "1" })
	if got := p.do("RPUSH", "q", "v"); got != ":1" {
		t.Fatalf("rpush = %s", got)
	}
	if got := b.read(); got != `["q" "v"]` {
		t.Fatalf("blpop = %s", got)
	}
	if got := b.read(); got != `"after"` {
		t.Fatalf("pipelined after blpop = %s", got)
	}
}

func TestBlockTimeoutAndUnblock(t *testing.T) {
	s := startServer(t, nil)
	c := dial(t, s)
	start := time.Now()
	if got := c.do("BLPOP", "none", "0.1"); got != "nil" {
		t.Fatalf("blpop timeout = %s", got)
	}
	if d := time.Since(start); d < 90*time.Millisecond || d > 2*time.Second {
		t.Fatalf("timed out after %v", d)
	}
	id := strings.TrimPrefix(c.do("CLIENT", "ID"), ":")
	c.send("*3\r\n$5\r\nBLPOP\r\n$4\r\nnone\r\n$1\r\n0\r\n")
	o := dial(t, s)
	waitFor(t, "blocked client", func() bool { return infoField(t, o, "blocked_clients") == "1" })
	if got := o.do("CLIENT", "UNBLOCK", id, "ERROR"); got != ":1" {
		t.Fatalf("unblock = %s", got)
	}
	if got := c.read(); !strings.HasPrefix(got, "(error) UNBLOCKED") {
		t.Fatalf("unblocked reply = %s", got)
	}
}

func TestDisconnectWhileBlocked(t *testing.T) {
	s := startServer(t, nil)
	c := dial(t, s)
	c.send("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
	o := dial(t, s)
	waitFor(t, "blocked client", func() bool { return infoField(t, o, "blocked_clients") == "1" })
	_ = c.nc.Close()
	waitFor(t, "client removal", func() bool { return infoField(t, o, "blocked_clients") == "0" })
	if got := infoField(t, o, "connected_clients"); got != "1" {
		t.Fatalf("connected_clients = %s", got)
	}
	// The push is not taken by the gone client.
	o.do("RPUSH", "q", "v")
	if got := o.do("LLEN", "q"); got != ":1" {
		t.Fatalf("llen = %s", got)
	}
}

func TestClientPauseHoldsRequests(t *testing.T) {
	s := startServer(t, nil)
	admin := dial(t, s)
	w := dial(t, s)
	if got := admin.do("CLIENT", "PAUSE", "100000", "WRITE"); got != "OK" {
		t.Fatalf("pause = %s", got)
	}
	// Reads still run; a write waits without holding up other clients.
	if got := w.do("GET", "k"); got != "nil" {
		t.Fatalf("get while paused = %s", got)
	}
	w.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n")
	time.Sleep(50 * time.Millisecond)
	if got := admin.do("GET", "k"); got != "nil" {
		t.Fatalf("paused write ran: %s", got)
	}
	if got := admin.do("CLIENT", "UNPAUSE"); got != "OK" {
		t.Fatalf("unpause = %s", got)
	}
	if got := w.read(); got != "OK" {
		t.Fatalf("set after unpause = %s", got)
	}
	if got := w.read(); got != `"x"` {
		t.Fatalf("echo after unpause = %s", got)
	}
	// A pause that ends by itself.
	admin.do("CLIENT", "PAUSE", "100")
	start := time.Now()
	if got := w.do("PING"); got != "PONG" {
		t.Fatalf("ping = %s", got)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("ping not paused (%v)", d)
	}
}

func TestQuitAndMaxClients(t *testing.T) {
	s := startServer(t, func(c *Config) { c.MaxClients = 2 })
	a := dial(t, s)
	b := dial(t, s)
	a.do("PING")
	b.do("PING")
	c := dial(t, s)
	if got := c.read(); got != "(error) ERR max number of clients reached" {
		t.Fatalf("third client = %s", got)
	}
	if got := b.do("QUIT"); got != "OK" {
		t.Fatalf("quit = %s", got)
	}
	_ = b.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := b.br.ReadByte(); err == nil {
		t.Fatal("connection open after QUIT")
	}
	waitFor(t, "slot freed", func() bool { return infoField(t, a, "connected_clients") == "1" })
	if got := dial(t, s).do("PING"); got != "PONG" {
		t.Fatalf("client after quit = %s", got)
	}
	if got := infoField(t, a, "rejected_connections"); got != "1" {
		t.Fatalf("rejected_connections = %s", got)
	}
}

func TestIdleTimeoutClosesClient(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Timeout = 1; c.Hz = 50 })
	c := dial(t, s)
	c.do("PING")
	_ = c.nc.SetReadDeadline(time.Now().Add(4 * time.Second))
	start := time.Now()
	if _, err := c.br.ReadByte(); err == nil {
		t.Fatal("idle client got data")
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 3500*time.Millisecond {
		t.Fatalf("closed after %v", d)
	}
}

func TestPubSubOutputLimitClosesSubscriber(t *testing.T) {
	s := startServer(t, func(c *Config) { c.ClientOutputBufferLimit[2].Hard = 64 * 1024 })
	sub := dial(t, s)
	sub.do("SUBSCRIBE", "ch")
	// The subscriber does not read: once the kernel buffers are full the
	// output waits in the server and passes the hard limit.
	pub := dial(t, s)
	msg := strings.Repeat("x", 64*1024)
	for i := 0; i < 200; i++ {
		pub.do("PUBLISH", "ch", msg)
		if infoField(t, pub, "pubsub_channels") == "0" {
			return
		}
	}
	t.Fatal("subscriber over the output limit still subscribed")
}

func TestNetStatsAndClientList(t *testing.T) {
	s := startServer(t, nil)
	c := dial(t, s)
	c.do("SET", "k", "v")
	if n, _ := strconv.Atoi(infoField(t, c, "total_reads_processed")); n < 2 {
		t.Fatalf("total_reads_processed = %d", n)
	}
	if n, _ := strconv.Atoi(infoField(t, c, "total_writes_processed")); n < 2 {
		t.Fatalf("total_writes_processed = %d", n)
	}
	if n, _ := strconv.Atoi(infoField(t, c, "total_net_input_bytes")); n < 20 {
		t.Fatalf("total_net_input_bytes = %d", n)
	}
	list := c.do("CLIENT", "LIST")
	local := c.nc.LocalAddr().String()
	if !strings.Contains(list, "addr="+local+" laddr="+s.Addrs()[0].String()+" fd=") || !strings.Contains(list, "qbuf=0 ") {
		t.Fatalf("client list = %s (client %s)", list, local)
	}
}

func TestConfigSetPortRebinds(t *testing.T) {
	s := startServer(t, nil)
	c := dial(t, s)
	port := freePort(t)
	if got := c.do("CONFIG", "SET", "port", strconv.Itoa(port)); got != "OK" {
		t.Fatalf("config set port = %s", got)
	}
	if got := s.Addrs()[0].String(); got != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("addr = %s", got)
	}
	if got := dial(t, s).do("PING"); got != "PONG" {
		t.Fatalf("on new port = %s", got)
	}
	if got := c.do("PING"); got != "PONG" {
		t.Fatalf("old connection = %s", got)
	}
}

func TestAddConn(t *testing.T) {
	s := startServer(t, nil)
	ours, theirs := tcpPair(t)
	cl, err := s.AddConn(ours, func(c *command.Client) { c.Name = "link" })
	if err != nil {
		t.Fatal(err)
	}
	tc := &testConn{t: t, nc: theirs, br: newReader(theirs)}
	if got := tc.do("CLIENT", "GETNAME"); got != `"link"` {
		t.Fatalf("getname = %s", got)
	}
	// Output fed from outside the loop, as a propagator would.
	s.eng.Mu.Lock()
	cl.Sink.Deliver([]byte("+fed\r\n"))
	s.eng.Mu.Unlock()
	if got := tc.read(); got != "fed" {
		t.Fatalf("delivered = %s", got)
	}
}

func TestShutdownFlushesAndCloses(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Port = freePort(t)
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	c := dial(t, s)
	c.do("PING")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != ErrServerClosed {
		t.Fatalf("serve = %v", err)
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.br.ReadByte(); err == nil {
		t.Fatal("client open after shutdown")
	}
	if _, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)), time.Second); err == nil {
		t.Fatal("still accepting after shutdown")
	}
}

func newReader(nc net.Conn) *bufio.Reader { return bufio.NewReader(nc) }

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, _ := ln.Accept()
		accepted <- nc
	}()
	theirs, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { theirs.Close() })
	ours := <-accepted
	if ours == nil {
		t.Fatal("accept failed")
	}
	return ours, theirs
}

func TestServedBlockLeavesNoTimer(t *testing.T) {
	s := startServer(t, nil)
	b := dial(t, s)
	b.send("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$3\r\n100\r\n")
	p := dial(t, s)
	waitFor(t, "blocked client", func() bool { return infoField(t, p, "blocked_clients") == "1" })
	timers := func() int {
		s.eng.Mu.Lock()
		defer s.eng.Mu.Unlock()
		return len(s.loop.timers)
	}
	if n := timers(); n != 1 {
		t.Fatalf("timers while blocked = %d", n)
	}
	p.do("RPUSH", "q", "v")
	if got := b.read(); got != `["q" "v"]` {
		t.Fatalf("blpop = %s", got)
	}
	if n := timers(); n != 0 {
		t.Fatalf("timers after serving = %d", n)
	}
}

// TestLoopThreadName: the event loop's thread carries its name (top -H,
// perf), as redis-server's threads do.
func TestLoopThreadName(t *testing.T) {
	startServer(t, nil)
	comms, err := filepath.Glob("/proc/self/task/*/comm")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range comms {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended meanwhile
		}
		name := strings.TrimSpace(string(b))
		if name == "event-loop" {
			return
		}
		names = append(names, name)
	}
	t.Fatalf("no thread named event-loop among %v", names)
}

// TestReserveP: a loop waits for events in raw system calls, keeping its
// P, only while a P is left for every other goroutine.
func TestReserveP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	before := rawWaiters.Load()
	runtime.GOMAXPROCS(int(before) + 2)
	if !reserveP() {
		t.Fatal("no raw wait with two Ps free")
	}
	if reserveP() {
		t.Fatal("a raw wait took the last P")
	}
	rawWaiters.Add(-1)
	runtime.GOMAXPROCS(int(before) + 1)
	if reserveP() {
		t.Fatal("a raw wait took the only P left")
	}
	if got := rawWaiters.Load(); got != before {
		t.Fatalf("rawWaiters %d after the test, want %d", got, before)
	}
}

// TestWaitGoesQuiet: a loop that may wait raw does so while events come,
// and once a raw wait found none for maxRawWait waits through
// unix.EpollWait again (a P kept by a sleeping loop keeps the runtime's
// monitor awake), until the next event.
func TestWaitGoesQuiet(t *testing.T) {
	s, err := New(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := newEventLoop(s)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(l.epfd)
	defer unix.Close(l.wakefd)
	l.raw = true
	drain := func() {
		var b [8]byte
		_, _ = unix.Read(l.wakefd, b[:])
	}
	// A signal (the runtime preempting the goroutine) may end a raw
	// wait early with EINTR, as in the loop, which then waits again.
	wait := func() (int, error) {
		for {
			n, err := l.wait(-1)
			if err != unix.EINTR {
				return n, err
			}
		}
	}

	l.wake()
	if n, err := wait(); n != 1 || err != nil || l.quiet {
		t.Fatalf("raw wait with an event: n %d err %v quiet %v", n, err, l.quiet)
	}
	drain()
	start := time.Now()
	if n, err := wait(); n != 0 || err != nil || !l.quiet {
		t.Fatalf("raw wait with no event: n %d err %v quiet %v", n, err, l.quiet)
	}
	if d := time.Since(start); d < maxRawWait*time.Millisecond {
		t.Fatalf("the raw wait ended after %v, before maxRawWait", d)
	}
	// Quiet: the next wait goes through unix.EpollWait, for as long as
	// it takes (here until the wake-up), and leaves quiet.
	go func() {
		time.Sleep(3 * maxRawWait * time.Millisecond)
		l.wake()
	}()
	start = time.Now()
	if n, err := wait(); n != 1 || err != nil || l.quiet {
		t.Fatalf("quiet wait: n %d err %v quiet %v", n, err, l.quiet)
	}
	if d := time.Since(start); d < 3*maxRawWait*time.Millisecond {
		t.Fatalf("the quiet wait ended after %v, before its event", d)
	}
}
