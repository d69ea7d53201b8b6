package server

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/replikube/replikube/internal/redis/resp"
)

// startServer runs a server on a free loopback port and stops it when the
// test ends.
func startServer(t *testing.T, mutate func(*Config)) *Server {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Port = freePort(t)
	cfg.Save = nil
	if mutate != nil {
		mutate(cfg)
	}
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != ErrServerClosed {
			t.Errorf("serve returned %v", err)
		}
	})
	// Serve starts the event loop asynchronously: wait for it, since
	// AddConn refuses connections until it runs.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		s.mu.Lock()
		running := s.loop != nil
		s.mu.Unlock()
		if running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("event loop did not start")
		}
	}
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// testConn is a raw RESP connection.
type testConn struct {
	t   *testing.T
	nc  net.Conn
	br  *bufio.Reader
	buf []byte
}

func dial(t *testing.T, s *Server) *testConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", s.Addrs()[0].String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &testConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (tc *testConn) send(raw string) {
	tc.t.Helper()
	if _, err := tc.nc.Write([]byte(raw)); err != nil {
		tc.t.Fatal(err)
	}
}

// read returns the next reply rendered by resp.Reply.String.
func (tc *testConn) read() string {
	tc.t.Helper()
	_ = tc.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if len(tc.buf) > 0 {
			r, rest, err := resp.ParseReply(tc.buf)
			if err == nil {
				tc.buf = append([]byte(nil), rest...)
				return r.String()
			}
			if err != resp.ErrIncompleteReply {
				tc.t.Fatalf("bad reply %q: %v", tc.buf, err)
			}
		}
		chunk := make([]byte, 64*1024)
		n, err := tc.br.Read(chunk)
		if err != nil {
			tc.t.Fatalf("read: %v (have %q)", err, tc.buf)
		}
		tc.buf = append(tc.buf, chunk[:n]...)
	}
}

func (tc *testConn) do(args ...string) string {
	tc.t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	tc.send(string(resp.AppendCommand(nil, argv...)))
	return tc.read()
}

func TestPingPipelineInline(t *testing.T) {
	s := startServer(t, nil)
	c := dial(t, s)
	if got := c.do("PING"); got != "PONG" {
		t.Fatalf("PING = %s", got)
	}
	// A pipeline of 1000 commands sent at once, mixed with inline ones.
	var b strings.Builder
	for i := 0; i < 1000; i++ {
		b.WriteString("*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n")
	}
	b.WriteString("PING inline\r\n")
	c.send(b.String())
	for i := 0; i < 1000; i++ {
		if got := c.read(); got != `"abc"` {
			t.Fatalf("reply %d = %s", i, got)
		}
	}
	if got := c.read(); got != `"inline"` {
		t.Fatalf("inline = %s", got)
	}
}

func TestProtocolErrors(t *testing.T) {
	s := startServer(t, nil)
	cases := []struct{ raw, want string }{
		{"*abc\r\n", "(error) ERR Protocol error: invalid multibulk length"},
		{"*1\r\n$-5\r\n", "(error) ERR Protocol error: invalid bulk length"},
		{"*1\r\nfoo\r\n", "(error) ERR Protocol error: expected '$', got 'f'"},
		{"PING \"unbalanced\r\n", "(error) ERR Protocol error: unbalanced quotes in request"},
		{"*1\r\n$600000000\r\n", "(error) ERR Protocol error: invalid bulk length"},
	}
	for _, tc := range cases {
		c := dial(t, s)
		c.send(tc.raw)
		if got := c.read(); got != tc.want {
			t.Errorf("%q -> %s, want %s", tc.raw, got, tc.want)
		}
	}
}
