package interop

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A master that sends a corrupt snapshot or a malformed stream: the
// replica closes the link with a logged error, never serves a half-loaded
// dataset, and tries again by itself; loading through a file or straight
// from the socket (repl-diskless-load).

// fakeMaster answers a replica's handshake, then plays one script per
// connection, in order; the last script serves every later connection.
type fakeMaster struct {
	ln      net.Listener
	scripts []func(net.Conn, *bufio.Reader)
	mu      sync.Mutex
	conns   int
}

func newFakeMaster(t *testing.T, scripts ...func(net.Conn, *bufio.Reader)) *fakeMaster {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &fakeMaster{ln: ln, scripts: scripts}
	var wg sync.WaitGroup
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		m.mu.Lock()
		for _, c := range open {
			c.Close()
		}
		m.mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m.mu.Lock()
			n := m.conns
			m.conns++
			open = append(open, c)
			m.mu.Unlock()
			script := m.scripts[min(n, len(m.scripts)-1)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(60 * time.Second))
				br := bufio.NewReader(c)
				if handshake(c, br) {
					script(c, br)
				}
			}()
		}
	}()
	return m
}

func (m *fakeMaster) port() int { return m.ln.Addr().(*net.TCPAddr).Port }

func (m *fakeMaster) connections() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conns
}

// readCommand reads one RESP array of bulk strings.
func readCommand(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || !strings.HasPrefix(line, "*") {
		return nil, fmt.Errorf("not a command: %q", line)
	}
	args := make([]string, n)
	for i := range args {
		if line, err = br.ReadString('\n'); err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
		if err != nil {
			return nil, fmt.Errorf("not a bulk length: %q", line)
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		args[i] = string(b[:size])
	}
	return args, nil
}

// handshake answers the replica until its PSYNC, which gets
// +FULLRESYNC.
func handshake(c net.Conn, br *bufio.Reader) bool {
	for {
		args, err := readCommand(br)
		if err != nil {
			return false
		}
		switch strings.ToLower(args[0]) {
		case "ping":
			_, err = io.WriteString(c, "+PONG\r\n")
		case "psync", "sync":
			_, err = io.WriteString(c, "+FULLRESYNC 0123456789012345678901234567890123456789 0\r\n")
			return err == nil
		default:
			_, err = io.WriteString(c, "+OK\r\n")
		}
		if err != nil {
			return false
		}
	}
}

// sendRDB sends a snapshot with the $<len> framing.
func sendRDB(c net.Conn, rdb []byte) error {
	if _, err := fmt.Fprintf(c, "$%d\r\n", len(rdb)); err != nil {
		return err
	}
	_, err := c.Write(rdb)
	return err
}

// holdOpen keeps the connection until the replica closes it.
func holdOpen(br *bufio.Reader) {
	_, _ = io.Copy(io.Discard, br)
}

func TestReplicationMalformedInput(t *testing.T) {
	for _, tc := range []struct {
		mode, loadError string
	}{
		{"disabled", "Failed trying to load the MASTER synchronization DB from disk"},
		{"swapdb", "Failed trying to load the MASTER synchronization DB from socket"},
	} {
		t.Run(tc.mode, func(t *testing.T) { testMalformedInput(t, tc.mode, tc.loadError) })
	}
}

func testMalformedInput(t *testing.T, mode, loadError string) {
	ctx := context.Background()
	// A real snapshot of 2000 keys, from redis-server.
	src := client(t, startRedis(t))
	must(t, src, "debug", "populate", "2000")
	must(t, src, "save")
	dir := src.ConfigGet(ctx, "dir").Val()["dir"]
	good, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	// The same snapshot with a damaged middle: parsing fails part way,
	// after keys have been read.
	corrupt := append([]byte(nil), good...)
	for i := len(corrupt) / 2; i < len(corrupt)/2+64; i++ {
		corrupt[i] = 0xff
	}

	m := newFakeMaster(t,
		// 1: a valid snapshot, then a stream that is not RESP.
		func(c net.Conn, br *bufio.Reader) {
			if sendRDB(c, good) == nil {
				time.Sleep(500 * time.Millisecond)
				_, _ = io.WriteString(c, "*1\r\n$abc\r\n")
				holdOpen(br)
			}
		},
		// 2: a corrupt snapshot.
		func(c net.Conn, br *bufio.Reader) {
			if sendRDB(c, corrupt) == nil {
				holdOpen(br)
			}
		},
		// 3: a snapshot cut short by the master closing the link.
		func(c net.Conn, br *bufio.Reader) {
			_, _ = fmt.Fprintf(c, "$%d\r\n", len(good))
			_, _ = c.Write(good[:len(good)/2])
		},
		// 4 and later: a valid snapshot, and the link kept.
		func(c net.Conn, br *bufio.Reader) {
			if sendRDB(c, good) == nil {
				holdOpen(br)
			}
		},
	)
	p := startProc(t, t.TempDir(), "--save", "", "--replicaof", "127.0.0.1 "+strconv.Itoa(m.port()), "--repl-diskless-load", mode)
	replica := client(t, p.addr)

	// Sample the replica's key count all along: it is only ever 0 (no
	// dataset, or flushed after a failure) or 2000, never a part.
	stop := make(chan struct{})
	seen := make(chan int64, 1)
	go func() {
		bad := int64(0)
		defer func() { seen <- bad }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			n, err := replica.DBSize(ctx).Result()
			if err == nil && n != 0 && n != 2000 && bad == 0 {
				bad = n
			}
		}
	}()
	eventually(t, 60*time.Second, "a fourth connection with a good snapshot", func() bool {
		return m.connections() >= 4 && replInfo(t, replica)["master_link_status"] == "up" &&
			replica.DBSize(ctx).Val() == 2000
	})
	close(stop)
	if n := <-seen; n != 0 {
		t.Fatalf("the replica served a partial dataset of %d keys", n)
	}
	log := p.log(t)
	for _, want := range []string{
		"Protocol error",
		loadError,
		"I/O error trying to sync with MASTER",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the replica's log lacks %q:\n%s", want, log)
		}
	}
	if got := must(t, replica, "get", "key:1999"); got != "value:1999" {
		t.Fatalf("key:1999 = %v", got)
	}
}
