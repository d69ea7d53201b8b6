package aof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/replikube/replikube/internal/redis/resp"
)

const redisServer = "/usr/bin/redis-server"

// redisProc is a real redis-server on a unix socket in a temp dir.
type redisProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	conn net.Conn
	buf  []byte
	log  *bytes.Buffer
	done chan struct{} // closed when the process has exited
}

func startRedis(t *testing.T, dir string, extra ...string) *redisProc {
	t.Helper()
	if _, err := os.Stat(redisServer); err != nil {
		t.Skip("redis-server not installed")
	}
	sock := filepath.Join(dir, "s.sock")
	argv := append([]string{"--port", "0", "--unixsocket", sock, "--dir", dir, "--appendonly", "yes",
		"--save", "", "--daemonize", "no"}, extra...)
	p := &redisProc{t: t, cmd: exec.Command(redisServer, argv...), log: &bytes.Buffer{}}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	p.done = exited
	go func() { p.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		if p.conn != nil {
			p.conn.Close()
		}
		p.cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			p.conn = c
			break
		}
		select {
		case <-exited:
			t.Fatalf("redis-server exited:\n%s", p.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start:\n%s", p.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// It accepts connections while it loads, answering -LOADING.
	for {
		if _, err := p.conn.Write(cmd("PING")); err != nil {
			t.Fatal(err)
		}
		p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		chunk := make([]byte, 256)
		n, err := p.conn.Read(chunk)
		if err != nil {
			t.Fatalf("PING: %v\n%s", err, p.log)
		}
		if string(chunk[:n]) == "+PONG\r\n" {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server still loading: %q\n%s", chunk[:n], p.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// do sends a command and returns its reply.
func (p *redisProc) do(a ...string) resp.Reply {
	p.t.Helper()
	if _, err := p.conn.Write(cmd(a...)); err != nil {
		p.t.Fatal(err)
	}
	p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	chunk := make([]byte, 4096)
	for {
		if len(p.buf) > 0 {
			r, rest, err := resp.ParseReply(p.buf)
			if err == nil {
				p.buf = append(p.buf[:0], rest...)
				if r.Type == '-' {
					p.t.Fatalf("%q: %s", a, r.Str)
				}
				return r
			}
			if !errors.Is(err, resp.ErrIncompleteReply) {
				p.t.Fatal(err)
			}
		}
		n, err := p.conn.Read(chunk)
		if err != nil {
			p.t.Fatalf("%q: %v\n%s", a, err, p.log)
		}
		p.buf = append(p.buf, chunk[:n]...)
	}
}

// waitRewrite polls INFO until no AOF rewrite is running or scheduled.
func (p *redisProc) waitRewrite() {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := string(p.do("INFO", "persistence").Str)
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") &&
			strings.Contains(info, "aof_last_bgrewrite_status:ok") {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("rewrite did not finish:\n%s", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shutdown stops redis-server the way that flushes and fsyncs the AOF.
func (p *redisProc) shutdown() {
	p.t.Helper()
	p.conn.Write(cmd("SHUTDOWN"))
	io.Copy(io.Discard, p.conn)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("redis-server did not stop:\n%s", p.log)
	}
}

// model replays the few commands these tests use into databases of
// strings, the way the lead's Apply would execute them.
type model struct {
	db   int
	dbs  map[int]map[string]string
	cmds []string
}

func newModel() *model { return &model{dbs: map[int]map[string]string{}} }

func (m *model) apply(argv [][]byte) error {
	m.cmds = append(m.cmds, string(bytes.Join(argv, []byte(" "))))
	d := m.dbs[m.db]
	if d == nil {
		d = map[string]string{}
		m.dbs[m.db] = d
	}
	switch strings.ToUpper(string(argv[0])) {
	case "SELECT":
		n, err := strconv.Atoi(string(argv[1]))
		m.db = n
		return err
	case "SET":
		d[string(argv[1])] = string(argv[2])
	case "DEL":
		delete(d, string(argv[1]))
	case "INCR":
		n, _ := strconv.Atoi(d[string(argv[1])])
		d[string(argv[1])] = strconv.Itoa(n + 1)
	case "MULTI", "EXEC":
	default:
		return fmt.Errorf("unknown command '%s'", argv[0])
	}
	return nil
}

func (m *model) flat() map[string]string {
	out := map[string]string{}
	for db, kv := range m.dbs {
		for k, v := range kv {
			out[fmt.Sprintf("%d/%s", db, k)] = v
		}
	}
	return out
}

var interopWant = map[string]string{"0/k4": "v4", "2/k2": "v2", "2/n": "2", "2/k3": "v3"}

func writeInteropData(p *redisProc) {
	p.do("SET", "k1", "v1")
	p.do("SELECT", "2")
	p.do("SET", "k2", "v2")
	p.do("INCR", "n")
	p.do("MULTI")
	p.do("INCR", "n")
	p.do("SET", "k3", "v3")
	p.do("EXEC")
}

func writeInteropMore(p *redisProc) {
	p.do("SELECT", "0")
	p.do("DEL", "k1")
	p.do("SET", "k4", "v4")
}

// TestInteropRedisAOF has a real redis-server 7.0 write an AOF, rewrite it
// and append to it, then reads its manifest and files with this package.
func TestInteropRedisAOF(t *testing.T) {
	for _, preamble := range []string{"no", "yes"} {
		t.Run("aof-use-rdb-preamble "+preamble, func(t *testing.T) {
			root := t.TempDir()
			p := startRedis(t, root, "--aof-use-rdb-preamble", preamble)
			writeInteropData(p)
			p.do("BGREWRITEAOF")
			p.waitRewrite()
			writeInteropMore(p)
			p.shutdown()

			dir := filepath.Join(root, "appendonlydir")
			data, err := os.ReadFile(filepath.Join(dir, "appendonly.aof.manifest"))
			if err != nil {
				t.Fatal(err)
			}
			man, err := ParseManifest(data)
			if err != nil {
				t.Fatal(err)
			}
			rdb := preamble == "yes"
			wantBase := File{Name: BaseName("appendonly.aof", 2, rdb), Seq: 2, Type: TypeBase}
			wantIncr := File{Name: IncrName("appendonly.aof", 2), Seq: 2, Type: TypeIncr}
			if man.Base == nil || *man.Base != wantBase || len(man.Incrs) != 1 || man.Incrs[0] != wantIncr || len(man.History) != 0 {
				t.Fatalf("manifest %q parsed as %+v", data, man)
			}
			if !bytes.Equal(man.Marshal(), data) {
				t.Fatalf("Marshal %q differs from Redis's %q", man.Marshal(), data)
			}
			if _, err := os.Stat(filepath.Join(dir, IncrName("appendonly.aof", 1))); !os.IsNotExist(err) {
				t.Fatal("history incr not deleted by redis")
			}

			m := newModel()
			rdbs := 0
			l := &Loader{Dir: dir, FileName: "appendonly.aof", Apply: m.apply,
				LoadRDB: func(r io.Reader, name string) error {
					// A pure .rdb base: check the magic, consume the rest.
					b, err := io.ReadAll(r)
					if err != nil || !bytes.HasPrefix(b, []byte("REDIS")) || b[len(b)-9] != 0xff {
						return fmt.Errorf("not an RDB: %v", err)
					}
					rdbs++
					return nil
				}}
			st, err := l.Load()
			if err != nil {
				t.Fatal(err)
			}
			if st.Result != Loaded {
				t.Fatalf("status %+v", st)
			}
			// The incr file holds exactly the writes after the rewrite.
			incr := m.cmds[len(m.cmds)-3:]
			if want := []string{"SELECT 0", "DEL k1", "SET k4 v4"}; strings.Join(incr, "|") != strings.Join(want, "|") {
				t.Fatalf("incr commands %q", incr)
			}
			if rdb {
				if rdbs != 1 || len(m.cmds) != 3 {
					t.Fatalf("rdb base: %d RDBs, commands %q", rdbs, m.cmds)
				}
				return
			}
			if got := m.flat(); !maps.Equal(got, interopWant) {
				t.Fatalf("dataset %v, want %v (commands %q)", got, interopWant, m.cmds)
			}
		})
	}
}

// TestInteropRedisLoadsOurAOF has a real redis-server 7.0 load files this
// package wrote, through a rewrite, and upgrade-free start.
func TestInteropRedisLoadsOurAOF(t *testing.T) {
	if _, err := os.Stat(redisServer); err != nil {
		t.Skip("redis-server not installed")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "appendonlydir")
	w, err := Open(dir, "appendonly.aof", FsyncAlways, nil, WithRDBPreamble(false),
		WithInitialBase(baseOf(cmd("SELECT", "0"), cmd("SET", "k1", "v1"))))
	if err != nil {
		t.Fatal(err)
	}
	feed := func(db int, a ...string) { w.Feed(db, args(a...)) }
	feed(2, "SET", "k2", "v2")
	feed(2, "INCR", "n")
	feed(2, "MULTI")
	feed(2, "INCR", "n")
	feed(2, "SET", "k3", "v3")
	feed(2, "EXEC")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	rw, err := w.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	feed(0, "DEL", "k1")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Base().Write(cat(cmd("SELECT", "0"), cmd("SET", "k1", "v1"), cmd("SELECT", "2"),
		cmd("SET", "k2", "v2"), cmd("SET", "n", "2"), cmd("SET", "k3", "v3"))); err != nil {
		t.Fatal(err)
	}
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	feed(0, "SET", "k4", "v4")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	p := startRedis(t, root, "--aof-use-rdb-preamble", "no")
	got := map[string]string{}
	for _, key := range []string{"0/k1", "0/k4", "2/k2", "2/n", "2/k3"} {
		db, k, _ := strings.Cut(key, "/")
		p.do("SELECT", db)
		if r := p.do("GET", k); !r.Null {
			got[key] = string(r.Str)
		}
	}
	if !maps.Equal(got, interopWant) {
		t.Fatalf("redis-server loaded %v, want %v\n%s", got, interopWant, p.log)
	}
}

// TestInteropUpgrade checks that an old single appendonly.aof is upgraded
// to the same manifest by redis-server and by Load followed by Open.
func TestInteropUpgrade(t *testing.T) {
	old := cat(cmd("SELECT", "0"), cmd("SET", "k", "v"))
	manifests := map[string]string{}
	for _, who := range []string{"redis", "aof"} {
		root := t.TempDir()
		if err := os.WriteFile(filepath.Join(root, "appendonly.aof"), old, 0o644); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, "appendonlydir")
		if who == "redis" {
			p := startRedis(t, root)
			if r := p.do("GET", "k"); string(r.Str) != "v" {
				t.Fatalf("redis-server did not load the old AOF:\n%s", p.log)
			}
			p.shutdown()
		} else {
			m := newModel()
			st, err := (&Loader{Dir: dir, FileName: "appendonly.aof", Apply: m.apply}).Load()
			if err != nil || !st.Upgraded || m.dbs[0]["k"] != "v" {
				t.Fatalf("%+v %v", st, err)
			}
			w, err := Open(dir, "appendonly.aof", FsyncEverysec, st.Manifest)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
		data, err := os.ReadFile(filepath.Join(dir, "appendonly.aof.manifest"))
		if err != nil {
			t.Fatal(err)
		}
		manifests[who] = string(data)
		if _, err := os.Stat(filepath.Join(dir, "appendonly.aof")); err != nil {
			t.Fatalf("%s: old AOF not moved: %v", who, err)
		}
	}
	if manifests["redis"] != manifests["aof"] {
		t.Fatalf("redis wrote %q, aof wrote %q", manifests["redis"], manifests["aof"])
	}
}
