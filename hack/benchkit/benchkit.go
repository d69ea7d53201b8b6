// Package benchkit holds what the `make bench-*` programs share: starting
// redis-server and replikube side by side on loopback, filling them with
// the same dataset, and reading INFO. Benchmarks only: nothing here
// asserts.
package benchkit

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server or replikube process.
type Server struct {
	Name string
	Argv []string // the binary and its leading arguments ("server")
	Dir  string
	Addr string
	Port int
	C    *redis.Client
	cmd  *exec.Cmd
}

// Pair returns redis-server and replikube (bin), each with its own
// directory under work.
func Pair(bin, work string) ([]*Server, error) {
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server: %w (apt-get install -y redis-server)", err)
	}
	return []*Server{
		{Name: "redis-server", Argv: []string{redisBin}, Dir: filepath.Join(work, "redis-server")},
		{Name: "replikube", Argv: []string{bin, "server"}, Dir: filepath.Join(work, "replikube")},
	}, nil
}

// Like returns a new server of the same kind in its own directory.
func (s *Server) Like(name string) *Server {
	return &Server{Name: s.Name + " " + name, Argv: s.Argv, Dir: filepath.Join(s.Dir, name)}
}

// Start runs the server on a free loopback port (the same one again on a
// restart), without persistence unless extra says otherwise, and waits
// until it answers and has loaded its data.
func (s *Server) Start(extra ...string) error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	if s.Port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		s.Port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		s.Addr = "127.0.0.1:" + strconv.Itoa(s.Port)
	}
	args := append(append([]string(nil), s.Argv[1:]...), "--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1",
		"--dir", s.Dir, "--save", "", "--appendonly", "no", "--daemonize", "no",
		"--logfile", filepath.Join(s.Dir, "server.log"), "--enable-debug-command", "yes")
	s.cmd = exec.Command(s.Argv[0], append(args, extra...)...)
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.C = redis.NewClient(&redis.Options{Addr: s.Addr, ReadTimeout: 10 * time.Minute, WriteTimeout: time.Minute})
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for s.C.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not start (log %s)", s.Name, filepath.Join(s.Dir, "server.log"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	for strings.Contains(s.C.Info(ctx, "persistence").Val(), "loading:1") {
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// Stop kills the server.
func (s *Server) Stop() {
	if s.C != nil {
		s.C.Close()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_, _ = s.cmd.Process.Wait()
		s.cmd = nil
	}
}

// LogPath is the server's log file.
func (s *Server) LogPath() string { return filepath.Join(s.Dir, "server.log") }

// Info returns the fields of an INFO section.
func (s *Server) Info(section string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s.C.Info(context.Background(), section).Val(), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// FillMixed writes n keys: 60% strings of 100 bytes and 10% each of
// lists, hashes, sets and sorted sets of 10 elements.
func (s *Server) FillMixed(n int) error {
	ctx := context.Background()
	p := s.C.Pipeline()
	val := strings.Repeat("v", 100)
	for i := 0; i < n; i++ {
		k := "key:" + strconv.Itoa(i)
		switch i % 10 {
		case 0:
			p.RPush(ctx, k, "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10")
		case 1:
			p.HSet(ctx, k, "f1", "v1", "f2", "v2", "f3", "v3", "f4", "v4", "f5", "v5", "f6", "v6", "f7", "v7", "f8", "v8", "f9", "v9", "f10", "v10")
		case 2:
			p.SAdd(ctx, k, "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10")
		case 3:
			zs := make([]redis.Z, 10)
			for j := range zs {
				zs[j] = redis.Z{Score: float64(j) * 1.5, Member: "m" + strconv.Itoa(j)}
			}
			p.ZAdd(ctx, k, zs...)
		default:
			p.Set(ctx, k, val, 0)
		}
		if p.Len() == 1000 {
			if _, err := p.Exec(ctx); err != nil {
				return err
			}
		}
	}
	_, err := p.Exec(ctx)
	return err
}

// Check ends the program on an error.
func Check(prog string, err error) {
	if err != nil && err != redis.Nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
		os.Exit(1)
	}
}

// Ratio formats ours/theirs.
func Ratio(theirs, ours float64) string {
	if theirs == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", ours/theirs)
}
