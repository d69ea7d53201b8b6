package command

// TEMPORARY differential test against a real redis-server (ZDIFF=socket).

import (
	"bufio"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/replikube/replikube/internal/redis/resp"
)

type realConn struct {
	c   net.Conn
	buf []byte
	r   *bufio.Reader
}

func (rc *realConn) do(t *testing.T, args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	rc.c.Write(resp.AppendCommand(nil, argv...))
	rc.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var acc []byte
	tmp := make([]byte, 65536)
	for {
		if len(acc) > 0 {
			if _, rest, err := resp.ParseReply(acc); err == nil {
				return string(acc[:len(acc)-len(rest)])
			}
		}
		n, err := rc.c.Read(tmp)
		if err != nil {
			t.Fatalf("%v: read: %v", args, err)
		}
		acc = append(acc, tmp[:n]...)
	}
}

func splitCmd(s string) []string {
	var out []string
	var cur strings.Builder
	inq := false
	has := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"':
			inq = !inq
			has = true
		case ch == ' ' && !inq:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteByte(ch)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

func TestZSetDifferential(t *testing.T) {
	sock := os.Getenv("ZDIFF")
	if sock == "" {
		t.Skip()
	}
	data, err := os.ReadFile(os.Getenv("ZDIFF_SCRIPT"))
	if err != nil {
		t.Fatal(err)
	}
	for _, proto := range []string{"2", "3"} {
		nc, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		rc := &realConn{c: nc}
		rc.do(t, "HELLO", proto)
		rc.do(t, "FLUSHALL")
		te := newTestEnv(t)
		c := te.client()
		te.do(c, "HELLO", proto)
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			args := splitCmd(line)
			want := rc.do(t, args...)
			got := te.do(c, args...)
			if got != want {
				t.Errorf("RESP%s %s:\n got  %q\n want %q", proto, line, got, want)
			}
		}
		nc.Close()
	}
}

func TestZSetGenerate(t *testing.T) {
	sock := os.Getenv("ZGEN")
	if sock == "" {
		t.Skip()
	}
	data, _ := os.ReadFile(os.Getenv("ZDIFF_SCRIPT"))
	proto := os.Getenv("ZPROTO")
	nc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	rc := &realConn{c: nc}
	rc.do(t, "HELLO", proto)
	rc.do(t, "FLUSHALL")
	var out strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			out.WriteString(line + "\n")
			continue
		}
		raw := rc.do(t, splitCmd(line)...)
		v, _, _ := resp.ParseReply([]byte(raw))
		out.WriteString(line + " => " + v.String() + "\n")
	}
	os.WriteFile(os.Getenv("ZOUT"), []byte(out.String()), 0o644)
}

func TestZAllocMeasure(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	te.run(c, "zadd", "z", "1", "a")
	argv := [][]byte{[]byte("zadd"), []byte("z"), []byte("2.5"), []byte("a"), []byte("3"), []byte("b")}
	te.e.Prop = nil
	n := testing.AllocsPerRun(200, func() { c.W.Buf = c.W.Buf[:0]; te.e.Dispatch(c, argv) })
	t.Logf("update allocs %.1f", n)
	i := 0
	var argvs [][][]byte
	for k := 0; k < 300; k++ {
		argvs = append(argvs, [][]byte{[]byte("zadd"), []byte("z"), []byte("2.5"), []byte("member:" + strconv.Itoa(k))})
	}
	n = testing.AllocsPerRun(200, func() {
		i++
		c.W.Buf = c.W.Buf[:0]
		te.e.Dispatch(c, argvs[i])
	})
	t.Logf("insert allocs %.1f", n)
	n = testing.AllocsPerRun(200, func() { zParseScore([]byte("1.2345678901234567890123456789012345")) })
	t.Logf("parse allocs %.1f", n)
	argv = [][]byte{[]byte("get"), []byte("nokey")}
	n = testing.AllocsPerRun(200, func() { c.W.Buf = c.W.Buf[:0]; te.e.Dispatch(c, argv) })
	t.Logf("GET baseline allocs %.1f", n)
}
