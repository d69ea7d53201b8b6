// Package interop runs Replikube's server side by side with a real
// redis-server 7.0 started by the tests, and checks that clients observe
// the same behaviour.
package interop

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/replikube/replikube/internal/redis/resp"
	"github.com/replikube/replikube/internal/redis/server"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startRedis starts Debian's redis-server on a free loopback port with
// persistence off and stops it when the test ends.
func startRedis(t testing.TB, extra ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found (apt-get install -y redis-server): %v", err)
	}
	port := freePort(t)
	dir := t.TempDir()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--enable-debug-command", "yes", "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log")}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	waitReachable(t, addr)
	return addr
}

// startOurs runs replikube's server in process on a free loopback port.
func startOurs(t testing.TB, mutate func(*server.Config)) (string, *server.Server) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Port = freePort(t)
	cfg.Save = nil
	cfg.EnableDebugCommand = "yes"
	cfg.Dir = t.TempDir()
	if mutate != nil {
		mutate(cfg)
	}
	s, err := server.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	if s.Startup != nil {
		if err := s.Startup(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-done
	})
	return s.Addrs()[0].String(), s
}

// waitReachable waits until addr answers PING with anything but -LOADING:
// redis-server accepts connections while it loads its files and answers
// -LOADING (or, for DEBUG DIGEST, a digest of what it has loaded so far)
// meanwhile. (A stale replica answers -MASTERDOWN: it is up.)
func waitReachable(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if pingPong(addr) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s not reachable or still loading", addr)
}

func pingPong(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && !strings.HasPrefix(line, "-LOADING")
}

// rawConn speaks RESP and returns replies as raw bytes.
type rawConn struct {
	nc  net.Conn
	br  *bufio.Reader
	buf []byte
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{nc: nc, br: bufio.NewReaderSize(nc, 64*1024)}
}

func (c *rawConn) send(argv [][]byte) error {
	_, err := c.nc.Write(resp.AppendCommand(nil, argv...))
	return err
}

// readReply returns the next reply, parsed, with its raw bytes.
func (c *rawConn) readReply(timeout time.Duration) (resp.Reply, []byte, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	for {
		if len(c.buf) > 0 {
			r, rest, err := resp.ParseReply(c.buf)
			if err == nil {
				raw := append([]byte(nil), c.buf[:len(c.buf)-len(rest)]...)
				r, _, _ = resp.ParseReply(raw)
				c.buf = append(c.buf[:0], rest...)
				return r, raw, nil
			}
			if err != resp.ErrIncompleteReply {
				return resp.Reply{}, nil, fmt.Errorf("bad reply %q: %w", c.buf, err)
			}
		}
		chunk := make([]byte, 64*1024)
		n, err := c.br.Read(chunk)
		if err != nil {
			return resp.Reply{}, nil, err
		}
		c.buf = append(c.buf, chunk[:n]...)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		// The binary built for process-level tests (ourBinary).
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
