package interop

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/replikube/replikube/internal/redis/resp"
)

// The differential suite sends the same scripts to redis-server 7.0 and to
// replikube and compares the replies byte for byte, once in RESP2 and once
// in RESP3 (HELLO 3 first).
//
// Script syntax (testdata/diff/*.txt), one command per line, split with
// Redis's own quoting rules:
//
//	# comment
//	SET k v            compare the raw replies exactly
//	~SMEMBERS s        compare as unordered: aggregate elements sorted
//	?RANDOMKEY         run on both, compare only the reply type
//	&BLPOP l 0         send without reading (blocking); read later with @read
//	@client 2          switch to connection 2 (created on first use)
//	@read              read one pending reply on the current connection and compare
//	@sleep 50          sleep 50 ms
//	@resp2only         the rest of the file runs in RESP2 only
//
// Every script starts from FLUSHALL on fresh connections.

type diffPair struct {
	ours, theirs *rawConn
}

func TestDifferential(t *testing.T) {
	files, err := filepath.Glob("testdata/diff/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	theirsAddr := startRedis(t)
	oursAddr, _ := startOurs(t, nil)
	for _, f := range files {
		for _, proto := range []int{2, 3} {
			name := strings.TrimSuffix(filepath.Base(f), ".txt") + "/resp" + strconv.Itoa(proto)
			t.Run(name, func(t *testing.T) {
				runScript(t, f, proto, oursAddr, theirsAddr)
			})
		}
	}
}

func runScript(t *testing.T, file string, proto int, oursAddr, theirsAddr string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]*diffPair{}
	get := func(id string) *diffPair {
		p := clients[id]
		if p == nil {
			p = &diffPair{ours: dialRaw(t, oursAddr), theirs: dialRaw(t, theirsAddr)}
			clients[id] = p
			if proto == 3 {
				for _, c := range []*rawConn{p.ours, p.theirs} {
					if err := c.send([][]byte{[]byte("HELLO"), []byte("3")}); err != nil {
						t.Fatal(err)
					}
					if _, _, err := c.readReply(5 * time.Second); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		return p
	}
	cur := get("1")
	exchange(t, cur, 0, "FLUSHALL", [][]byte{[]byte("FLUSHALL")}, '?')
	exchange(t, cur, 0, "SELECT 0", [][]byte{[]byte("SELECT"), []byte("0")}, '?')
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "@") {
			f := strings.Fields(line)
			switch f[0] {
			case "@client":
				cur = get(f[1])
			case "@read":
				compare(t, cur, lineNo, "@read", '=')
			case "@sleep":
				ms, _ := strconv.Atoi(f[1])
				time.Sleep(time.Duration(ms) * time.Millisecond)
			case "@resp2only":
				if proto != 2 {
					return
				}
			default:
				t.Fatalf("line %d: unknown directive %s", lineNo, f[0])
			}
			continue
		}
		mode := byte('=')
		switch line[0] {
		case '~', '?', '&':
			mode = line[0]
			line = strings.TrimSpace(line[1:])
		}
		argv, err := resp.SplitArgs([]byte(line), nil)
		if err != nil {
			t.Fatalf("line %d: %v", lineNo, err)
		}
		exchange(t, cur, lineNo, line, argv, mode)
	}
}

func exchange(t *testing.T, p *diffPair, lineNo int, line string, argv [][]byte, mode byte) {
	t.Helper()
	if err := p.theirs.send(argv); err != nil {
		t.Fatal(err)
	}
	if err := p.ours.send(argv); err != nil {
		t.Fatal(err)
	}
	if mode == '&' {
		return
	}
	compare(t, p, lineNo, line, mode)
}

func compare(t *testing.T, p *diffPair, lineNo int, line string, mode byte) {
	t.Helper()
	tr, traw, err := p.theirs.readReply(5 * time.Second)
	if err != nil {
		t.Fatalf("line %d %q: redis-server: %v", lineNo, line, err)
	}
	or, oraw, err := p.ours.readReply(5 * time.Second)
	if err != nil {
		t.Fatalf("line %d %q: replikube: %v (redis-server said %q)", lineNo, line, err, traw)
	}
	switch mode {
	case '?':
		if or.Type != tr.Type || or.Null != tr.Null {
			t.Errorf("line %d %q: reply type differs:\n  redis-server: %q\n  replikube:    %q", lineNo, line, traw, oraw)
		}
	case '~':
		if canonical(or) != canonical(tr) {
			t.Errorf("line %d %q (unordered):\n  redis-server: %q\n  replikube:    %q", lineNo, line, traw, oraw)
		}
	default:
		if !bytes.Equal(oraw, traw) {
			t.Errorf("line %d %q:\n  redis-server: %q\n  replikube:    %q", lineNo, line, traw, oraw)
		}
	}
}

// canonical renders a reply with the elements of every aggregate sorted
// (map pairs kept together), for order-insensitive comparison.
func canonical(r resp.Reply) string {
	if len(r.Elems) == 0 {
		return fmt.Sprintf("%c%s", r.Type, r.String())
	}
	var parts []string
	if r.Type == '%' {
		for i := 0; i+1 < len(r.Elems); i += 2 {
			parts = append(parts, canonical(r.Elems[i])+"=>"+canonical(r.Elems[i+1]))
		}
	} else {
		for _, e := range r.Elems {
			parts = append(parts, canonical(e))
		}
	}
	sort.Strings(parts)
	return fmt.Sprintf("%c[%s]", r.Type, strings.Join(parts, ","))
}
