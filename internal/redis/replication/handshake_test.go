package replication

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

const testTimeout = 5 * time.Second

// readCommand parses one RESP multibulk request, strictly.
func readCommand(r *bufio.Reader) ([]string, error) {
	readLn := func() (string, error) {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if !strings.HasSuffix(l, "\r\n") {
			return "", fmt.Errorf("line without CRLF: %q", l)
		}
		return l[:len(l)-2], nil
	}
	l, err := readLn()
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(l, "*") {
		return nil, fmt.Errorf("want multibulk, got %q", l)
	}
	n, err := strconv.Atoi(l[1:])
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("bad multibulk count %q", l)
	}
	args := make([]string, n)
	for i := range args {
		if l, err = readLn(); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(l, "$") {
			return nil, fmt.Errorf("want bulk, got %q", l)
		}
		size, err := strconv.Atoi(l[1:])
		if err != nil || size < 0 {
			return nil, fmt.Errorf("bad bulk length %q", l)
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		if string(b[size:]) != "\r\n" {
			return nil, fmt.Errorf("bulk not followed by CRLF: %q", b)
		}
		args[i] = string(b[:size])
	}
	return args, nil
}

// defaultReply is a cooperative master's answer.
func defaultReply(args []string) string {
	switch strings.ToUpper(args[0]) {
	case "PING":
		return "+PONG"
	case "PSYNC":
		return "+FULLRESYNC " + testID2 + " 4242"
	default:
		return "+OK"
	}
}

type handshakeResult struct {
	reply PSyncReply
	err   error
	cmds  [][]string // what the master received
	logs  []string
}

// runHandshake runs h against a fake master over net.Pipe; reply answers
// each command with a line (without CRLF). Everything is bounded by
// deadlines.
func runHandshake(t *testing.T, h Handshake, reply func(args []string) string) handshakeResult {
	t.Helper()
	client, server := net.Pipe()
	deadline := time.Now().Add(testTimeout)
	_ = client.SetDeadline(deadline)
	_ = server.SetDeadline(deadline)

	var mu sync.Mutex
	var cmds [][]string
	var masterErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer server.Close()
		br := bufio.NewReader(server)
		for {
			args, err := readCommand(br)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
					mu.Lock()
					masterErr = err
					mu.Unlock()
				}
				return
			}
			mu.Lock()
			cmds = append(cmds, args)
			mu.Unlock()
			if _, err := io.WriteString(server, reply(args)+"\r\n"); err != nil {
				mu.Lock()
				masterErr = err
				mu.Unlock()
				return
			}
		}
	}()

	var res handshakeResult
	h.Log = func(format string, args ...any) {
		res.logs = append(res.logs, fmt.Sprintf(format, args...))
	}
	res.reply, res.err = h.Run(client, bufio.NewReader(client))
	client.Close()
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Fatalf("fake master did not finish")
	}
	mu.Lock()
	defer mu.Unlock()
	if masterErr != nil {
		t.Fatalf("fake master: %v", masterErr)
	}
	res.cmds = cmds
	return res
}

func cmdsString(cmds [][]string) string {
	var s []string
	for _, c := range cmds {
		s = append(s, strings.Join(c, " "))
	}
	return strings.Join(s, "\n")
}

func TestHandshakeCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    Handshake
		want []string
	}{
		{
			name: "no auth full resync",
			h:    Handshake{ListeningPort: 6380},
			want: []string{
				"PING",
				"REPLCONF listening-port 6380",
				"REPLCONF capa eof capa psync2",
				"PSYNC ? -1",
			},
		},
		{
			name: "password",
			h:    Handshake{Password: "s3cret", ListeningPort: 6379},
			want: []string{
				"PING",
				"AUTH s3cret",
				"REPLCONF listening-port 6379",
				"REPLCONF capa eof capa psync2",
				"PSYNC ? -1",
			},
		},
		{
			name: "user and password",
			h:    Handshake{User: "repl", Password: "pw", ListeningPort: 7000},
			want: []string{
				"PING",
				"AUTH repl pw",
				"REPLCONF listening-port 7000",
				"REPLCONF capa eof capa psync2",
				"PSYNC ? -1",
			},
		},
		{
			name: "user without password sends no AUTH",
			h:    Handshake{User: "repl", ListeningPort: 7000},
			want: []string{
				"PING",
				"REPLCONF listening-port 7000",
				"REPLCONF capa eof capa psync2",
				"PSYNC ? -1",
			},
		},
		{
			name: "announce ip",
			h:    Handshake{ListeningPort: 6380, AnnounceIP: "10.0.0.7"},
			want: []string{
				"PING",
				"REPLCONF listening-port 6380",
				"REPLCONF ip-address 10.0.0.7",
				"REPLCONF capa eof capa psync2",
				"PSYNC ? -1",
			},
		},
		{
			name: "cached master",
			h:    Handshake{Password: "pw", ListeningPort: 6380, AnnounceIP: "host.example", ReplID: testID1, Offset: 999},
			want: []string{
				"PING",
				"AUTH pw",
				"REPLCONF listening-port 6380",
				"REPLCONF ip-address host.example",
				"REPLCONF capa eof capa psync2",
				"PSYNC " + testID1 + " 1000",
			},
		},
		{
			name: "cached master offset zero",
			h:    Handshake{ListeningPort: 1, ReplID: testID1},
			want: []string{
				"PING",
				"REPLCONF listening-port 1",
				"REPLCONF capa eof capa psync2",
				"PSYNC " + testID1 + " 1",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runHandshake(t, tc.h, defaultReply)
			if res.err != nil {
				t.Fatalf("Run: %v", res.err)
			}
			want := PSyncReply{Full: true, ReplID: testID2, Offset: 4242}
			if res.reply != want {
				t.Fatalf("Run = %+v, want %+v", res.reply, want)
			}
			if got, want := cmdsString(res.cmds), strings.Join(tc.want, "\n"); got != want {
				t.Fatalf("commands:\n%s\nwant:\n%s", got, want)
			}
			if len(res.logs) != 0 {
				t.Fatalf("unexpected logs: %q", res.logs)
			}
		})
	}
}

func TestHandshakeSpacesInArguments(t *testing.T) {
	// Arguments go as bulk strings: a password with spaces and CRLF stays
	// one argument.
	res := runHandshake(t, Handshake{User: "a b", Password: "p w\r\nx", ListeningPort: 1}, defaultReply)
	if res.err != nil {
		t.Fatalf("Run: %v", res.err)
	}
	if len(res.cmds) < 2 || len(res.cmds[1]) != 3 || res.cmds[1][1] != "a b" || res.cmds[1][2] != "p w\r\nx" {
		t.Fatalf("AUTH sent as %q", res.cmds)
	}
}

func TestHandshakeReplies(t *testing.T) {
	override := func(m map[string]string) func([]string) string {
		return func(args []string) string {
			key := args[0]
			if args[0] == "REPLCONF" {
				key += " " + args[1]
			}
			if r, ok := m[key]; ok {
				return r
			}
			return defaultReply(args)
		}
	}
	full := []string{
		"PING",
		"AUTH pw",
		"REPLCONF listening-port 6380",
		"REPLCONF ip-address 10.1.1.1",
		"REPLCONF capa eof capa psync2",
		"PSYNC " + testID1 + " 11",
	}
	base := Handshake{Password: "pw", ListeningPort: 6380, AnnounceIP: "10.1.1.1", ReplID: testID1, Offset: 10}
	for _, tc := range []struct {
		name      string
		h         Handshake
		replies   map[string]string
		wantCmds  int
		wantErr   string // substring; "" for success
		tryLater  bool
		want      PSyncReply
		wantLogs  int
		logSubstr string
	}{
		{name: "ping NOAUTH accepted", h: base, replies: map[string]string{"PING": "-NOAUTH Authentication required."},
			wantCmds: 6, want: PSyncReply{Full: true, ReplID: testID2, Offset: 4242}},
		{name: "ping NOPERM accepted", h: base, replies: map[string]string{"PING": "-NOPERM this user has no permissions"},
			wantCmds: 6, want: PSyncReply{Full: true, ReplID: testID2, Offset: 4242}},
		{name: "ping operation not permitted accepted", h: base, replies: map[string]string{"PING": "-ERR operation not permitted"},
			wantCmds: 6, want: PSyncReply{Full: true, ReplID: testID2, Offset: 4242}},
		{name: "ping other error fails", h: base, replies: map[string]string{"PING": "-ERR something else"},
			wantCmds: 1, wantErr: "-ERR something else"},
		{name: "ping LOADING fails", h: base, replies: map[string]string{"PING": "-LOADING Redis is loading"},
			wantCmds: 1, wantErr: "LOADING"},
		{name: "auth error fails", h: base, replies: map[string]string{"AUTH": "-WRONGPASS invalid username-password pair"},
			wantCmds: 2, wantErr: "WRONGPASS"},
		{name: "replconf listening-port error logged", h: base, replies: map[string]string{"REPLCONF listening-port": "-ERR unknown command"},
			wantCmds: 6, want: PSyncReply{Full: true, ReplID: testID2, Offset: 4242}, wantLogs: 1, logSubstr: "-ERR unknown command"},
		{name: "replconf ip-address error logged", h: base, replies: map[string]string{"REPLCONF ip-address": "-ERR bad ip"},
			wantCmds: 6, want: PSyncReply{Full: true, ReplID: testID2, Offset: 4242}, wantLogs: 1, logSubstr: "ip-address"},
		{name: "replconf capa error logged", h: base, replies: map[string]string{"REPLCONF capa": "-ERR no capa"},
			wantCmds: 6, want: PSyncReply{Full: true, ReplID: testID2, Offset: 4242}, wantLogs: 1, logSubstr: "-ERR no capa"},
		{name: "all replconf errors logged", h: base, replies: map[string]string{
			"REPLCONF listening-port": "-ERR a", "REPLCONF ip-address": "-ERR b", "REPLCONF capa": "-ERR c"},
			wantCmds: 6, want: PSyncReply{Full: true, ReplID: testID2, Offset: 4242}, wantLogs: 3},
		{name: "continue without ID", h: base, replies: map[string]string{"PSYNC": "+CONTINUE"},
			wantCmds: 6, want: PSyncReply{ReplID: testID1}},
		{name: "continue with new ID", h: base, replies: map[string]string{"PSYNC": "+CONTINUE " + testID3},
			wantCmds: 6, want: PSyncReply{ReplID: testID3}},
		{name: "psync NOMASTERLINK", h: base, replies: map[string]string{"PSYNC": "-NOMASTERLINK Can't SYNC"},
			wantCmds: 6, wantErr: "NOMASTERLINK", tryLater: true},
		{name: "psync LOADING", h: base, replies: map[string]string{"PSYNC": "-LOADING loading"},
			wantCmds: 6, wantErr: "LOADING", tryLater: true},
		{name: "psync error", h: base, replies: map[string]string{"PSYNC": "-ERR unknown command 'PSYNC'"},
			wantCmds: 6, wantErr: "PSYNC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runHandshake(t, tc.h, override(tc.replies))
			if got, want := cmdsString(res.cmds), strings.Join(full[:tc.wantCmds], "\n"); got != want {
				t.Fatalf("commands:\n%s\nwant:\n%s", got, want)
			}
			if tc.wantErr != "" {
				if res.err == nil {
					t.Fatalf("Run = %+v, want an error mentioning %q", res.reply, tc.wantErr)
				}
				if !strings.Contains(res.err.Error(), tc.wantErr) {
					t.Fatalf("Run error %q does not mention %q", res.err, tc.wantErr)
				}
				if errors.Is(res.err, ErrTryLater) != tc.tryLater {
					t.Fatalf("errors.Is(%v, ErrTryLater) = %v, want %v", res.err, !tc.tryLater, tc.tryLater)
				}
				return
			}
			if res.err != nil {
				t.Fatalf("Run: %v", res.err)
			}
			if res.reply != tc.want {
				t.Fatalf("Run = %+v, want %+v", res.reply, tc.want)
			}
			if len(res.logs) != tc.wantLogs {
				t.Fatalf("logs = %q, want %d", res.logs, tc.wantLogs)
			}
			if tc.logSubstr != "" && !strings.Contains(res.logs[0], tc.logSubstr) {
				t.Fatalf("log %q does not mention %q", res.logs[0], tc.logSubstr)
			}
		})
	}
}

func TestHandshakeNilLog(t *testing.T) {
	// REPLCONF errors with no Log set must not panic.
	client, server := net.Pipe()
	deadline := time.Now().Add(testTimeout)
	_ = client.SetDeadline(deadline)
	_ = server.SetDeadline(deadline)
	go func() {
		defer server.Close()
		br := bufio.NewReader(server)
		for {
			args, err := readCommand(br)
			if err != nil {
				return
			}
			r := "-ERR nope"
			if args[0] != "REPLCONF" {
				r = defaultReply(args)
			}
			if _, err := io.WriteString(server, r+"\r\n"); err != nil {
				return
			}
		}
	}()
	h := Handshake{ListeningPort: 1}
	got, err := h.Run(client, bufio.NewReader(client))
	client.Close()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !got.Full || got.ReplID != testID2 {
		t.Fatalf("Run = %+v", got)
	}
}

func TestHandshakeConnectionErrors(t *testing.T) {
	for _, stopAfter := range []int{0, 1, 2, 3, 4} {
		t.Run(fmt.Sprintf("master closes after %d replies", stopAfter), func(t *testing.T) {
			client, server := net.Pipe()
			deadline := time.Now().Add(testTimeout)
			_ = client.SetDeadline(deadline)
			_ = server.SetDeadline(deadline)
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer server.Close()
				br := bufio.NewReader(server)
				for range stopAfter {
					args, err := readCommand(br)
					if err != nil {
						return
					}
					if _, err := io.WriteString(server, defaultReply(args)+"\r\n"); err != nil {
						return
					}
				}
				// Read the next command, then hang up without a reply.
				_, _ = readCommand(br)
			}()
			h := Handshake{Password: "pw", ListeningPort: 1}
			_, err := h.Run(client, bufio.NewReader(client))
			client.Close()
			<-done
			if err == nil {
				t.Fatalf("Run succeeded against a master that hung up")
			}
		})
	}
}

func TestHandshakeTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback: %v", err)
	}
	defer ln.Close()
	errc := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(testTimeout))
		br := bufio.NewReader(c)
		var got []string
		for {
			args, err := readCommand(br)
			if err != nil {
				errc <- err
				return
			}
			got = append(got, strings.Join(args, " "))
			if _, err := io.WriteString(c, defaultReply(args)+"\r\n"); err != nil {
				errc <- err
				return
			}
			if args[0] == "PSYNC" {
				break
			}
		}
		want := "PING|REPLCONF listening-port 6390|REPLCONF capa eof capa psync2|PSYNC ? -1"
		if s := strings.Join(got, "|"); s != want {
			errc <- fmt.Errorf("commands %q, want %q", s, want)
			return
		}
		errc <- nil
	}()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	h := Handshake{ListeningPort: 6390}
	got, err := h.Run(c, bufio.NewReader(c))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if want := (PSyncReply{Full: true, ReplID: testID2, Offset: 4242}); got != want {
		t.Fatalf("Run = %+v, want %+v", got, want)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("master: %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("master did not finish")
	}
}

// chunkReader returns the data in reads of the given sizes (cycled), so
// that tests control where the boundaries fall.
type chunkReader struct {
	data   []byte
	chunks []int
	i      int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.chunks) > 0 {
		n = min(n, c.chunks[c.i%len(c.chunks)])
		c.i++
	}
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

const testMark = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcd"

func randomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(rng.UintN(256))
	}
	return p
}

// afterPayload is the caller's view of the stream after ReadPayload:
// leftover, then what is still in the bufio.Reader and beyond.
func afterPayload(t *testing.T, leftover []byte, r *bufio.Reader) []byte {
	t.Helper()
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading the rest: %v", err)
	}
	return append(bytes.Clone(leftover), rest...)
}

func TestReadPayload(t *testing.T) {
	big := randomBytes(7, 300<<10)
	// A payload full of near-misses of the mark.
	nearMiss := []byte(strings.Repeat(testMark[:39]+"x", 50) + testMark[:1] + testMark[:20])
	readers := []struct {
		name string
		wrap func([]byte) io.Reader
	}{
		{"whole", func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"one byte", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
		{"half", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
		{"chunks 7,3,64", func(b []byte) io.Reader { return &chunkReader{data: b, chunks: []int{7, 3, 64}} }},
		{"chunks 4096,17", func(b []byte) io.Reader { return &chunkReader{data: b, chunks: []int{4096, 17}} }},
		{"chunks 64k-1", func(b []byte) io.Reader { return &chunkReader{data: b, chunks: []int{64<<10 - 1}} }},
	}
	for _, tc := range []struct {
		name       string
		keepalives int
		eof        bool
		payload    []byte
		rest       []byte
	}{
		{name: "len empty", payload: nil, rest: []byte("*1\r\n$4\r\nPING\r\n")},
		{name: "len small", payload: []byte("REDIS0011\xfa\x09redis-ver"), rest: []byte("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n")},
		{name: "len no rest", payload: []byte("abc"), rest: nil},
		{name: "len with keepalives", keepalives: 3, payload: []byte("hello\r\nworld"), rest: []byte("tail")},
		{name: "len big", payload: big, rest: []byte("after")},
		{name: "len big with keepalives", keepalives: 2, payload: big, rest: big[:1000]},
		{name: "eof empty", eof: true, payload: nil, rest: []byte("*1\r\n$4\r\nPING\r\n")},
		{name: "eof small", eof: true, payload: []byte("REDIS0011 payload"), rest: []byte("*1\r\n$4\r\nPING\r\n")},
		{name: "eof no rest", eof: true, payload: []byte("payload"), rest: nil},
		{name: "eof with keepalives", eof: true, keepalives: 4, payload: []byte("x\ny\n"), rest: []byte("r")},
		{name: "eof near misses", eof: true, payload: nearMiss, rest: []byte("stream" + testMark[:10])},
		{name: "eof payload ends with mark prefix", eof: true, payload: []byte("data" + testMark[:39]), rest: []byte("z")},
		{name: "eof rest starts with mark prefix", eof: true, payload: []byte("data"), rest: []byte(testMark[:39] + "Q")},
		{name: "eof big", eof: true, payload: big, rest: []byte("*1\r\n$4\r\nPING\r\n")},
		{name: "eof big with big rest", eof: true, keepalives: 1, payload: big[:210<<10], rest: big[:100<<10]},
	} {
		var stream []byte
		stream = append(stream, strings.Repeat("\n", tc.keepalives)...)
		if tc.eof {
			stream = append(stream, "$EOF:"+testMark+"\r\n"...)
			stream = append(stream, tc.payload...)
			stream = append(stream, testMark...)
		} else {
			stream = append(stream, fmt.Sprintf("$%d\r\n", len(tc.payload))...)
			stream = append(stream, tc.payload...)
		}
		stream = append(stream, tc.rest...)
		for _, rd := range readers {
			if len(stream) > 100<<10 && rd.name == "one byte" && tc.rest != nil && len(tc.rest) > 1000 {
				continue // slow and adds nothing
			}
			for _, bufSize := range []int{16, 4096, 1 << 20} {
				t.Run(fmt.Sprintf("%s/%s/buf%d", tc.name, rd.name, bufSize), func(t *testing.T) {
					r := bufio.NewReaderSize(rd.wrap(stream), bufSize)
					var w bytes.Buffer
					kept, headers := 0, []int64{}
					n, leftover, err := ReadPayload(r, &w, 1<<30, func() { kept++ }, func(size int64) {
						if w.Len() != 0 {
							t.Errorf("header reported after %d payload bytes", w.Len())
						}
						headers = append(headers, size)
					})
					if err != nil {
						t.Fatalf("ReadPayload: %v", err)
					}
					wantHeader := int64(len(tc.payload))
					if tc.eof {
						wantHeader = -1
					}
					if len(headers) != 1 || headers[0] != wantHeader {
						t.Fatalf("header reported %v, want [%d]", headers, wantHeader)
					}
					if n != int64(len(tc.payload)) || w.Len() != len(tc.payload) {
						t.Fatalf("n = %d, written %d, want %d", n, w.Len(), len(tc.payload))
					}
					if !bytes.Equal(w.Bytes(), tc.payload) {
						t.Fatalf("payload differs")
					}
					if kept != tc.keepalives {
						t.Fatalf("keepalive called %d times, want %d", kept, tc.keepalives)
					}
					if !tc.eof && leftover != nil {
						t.Fatalf("leftover %q for a $<len> payload", leftover)
					}
					if got := afterPayload(t, leftover, r); !bytes.Equal(got, tc.rest) {
						t.Fatalf("stream after the payload = %q (leftover %q), want %q", trunc(got), trunc(leftover), trunc(tc.rest))
					}
				})
			}
		}
	}
}

func trunc(b []byte) string {
	if len(b) > 80 {
		return fmt.Sprintf("%q...(%d bytes)", b[:80], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// TestReadPayloadMarkSplit moves the read boundary across every position
// of the mark.
func TestReadPayloadMarkSplit(t *testing.T) {
	header := "$EOF:" + testMark + "\r\n"
	payload := []byte("0123456789payload-bytes")
	rest := []byte("*1\r\n$4\r\nPING\r\n")
	stream := []byte(header + string(payload) + testMark + string(rest))
	markAt := len(header) + len(payload)
	for cut := markAt - 1; cut <= markAt+len(testMark)+1; cut++ {
		t.Run(fmt.Sprintf("cut%d", cut-markAt), func(t *testing.T) {
			// The bufio buffer holds exactly the header, so the payload
			// comes from the chunked reads, the first ending at cut.
			cr := &chunkReader{data: stream, chunks: []int{len(header), cut - len(header), 5}}
			r := bufio.NewReaderSize(cr, 16)
			var w bytes.Buffer
			n, leftover, err := ReadPayload(r, &w, 1<<20, nil, nil)
			if err != nil {
				t.Fatalf("ReadPayload: %v", err)
			}
			if n != int64(len(payload)) || !bytes.Equal(w.Bytes(), payload) {
				t.Fatalf("payload = %q (n %d), want %q", w.Bytes(), n, payload)
			}
			if got := afterPayload(t, leftover, r); !bytes.Equal(got, rest) {
				t.Fatalf("stream after the payload = %q (leftover %q), want %q", got, leftover, rest)
			}
		})
	}
}

func TestReadPayloadLeftoverIsExactlyWhatWasRead(t *testing.T) {
	// The whole stream in one read: everything after the mark is leftover
	// (the bufio.Reader is drained), or in the bufio.Reader.
	rest := []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
	stream := []byte("$EOF:" + testMark + "\r\nRDB" + testMark + string(rest))
	r := bufio.NewReader(bytes.NewReader(stream))
	var w bytes.Buffer
	_, leftover, err := ReadPayload(r, &w, 1<<20, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(leftover, rest) {
		t.Fatalf("leftover = %q, want %q", leftover, rest)
	}
	if r.Buffered() != 0 {
		t.Fatalf("%d bytes still buffered", r.Buffered())
	}
	// leftover must not alias the reader's buffers.
	if len(leftover) > 0 {
		leftover[0] = 'X'
	}
	if w.String() != "RDB" {
		t.Fatalf("payload = %q", w.String())
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.after {
		n := f.after
		f.after = 0
		return n, errors.New("disk full")
	}
	f.after -= len(p)
	return len(p), nil
}

func TestReadPayloadErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream string
		maxLen int64
		w      io.Writer
		substr string
	}{
		{name: "empty stream", stream: "", maxLen: 100},
		{name: "only keepalives", stream: "\n\n\n", maxLen: 100},
		{name: "header without newline", stream: "$5", maxLen: 100},
		{name: "error line", stream: "-ERR something bad\r\n", maxLen: 100, substr: "-ERR something bad"},
		{name: "error after keepalives", stream: "\n\n-LOADING\r\n", maxLen: 100, substr: "LOADING"},
		{name: "not dollar", stream: "+OK\r\n", maxLen: 100, substr: "'+OK'"},
		{name: "star", stream: "*1\r\n$4\r\nPING\r\n", maxLen: 100},
		{name: "above maxLen", stream: "$101\r\n" + strings.Repeat("x", 101), maxLen: 100},
		{name: "way above maxLen", stream: "$99999999999\r\n", maxLen: 1 << 20},
		{name: "negative", stream: "$-1\r\n", maxLen: 100},
		{name: "negative large", stream: "$-100\r\nxxxx", maxLen: 100},
		{name: "not a number", stream: "$abc\r\n", maxLen: 100},
		{name: "empty length", stream: "$\r\n", maxLen: 100},
		{name: "overflow", stream: "$99999999999999999999\r\n", maxLen: 1 << 62},
		{name: "truncated len", stream: "$10\r\n12345", maxLen: 100},
		{name: "truncated len nothing", stream: "$10\r\n", maxLen: 100},
		{name: "eof mark short", stream: "$EOF:abc\r\npayloadabc", maxLen: 100},
		{name: "eof mark long", stream: "$EOF:" + testMark + "x\r\npayload" + testMark + "x", maxLen: 100},
		{name: "eof truncated before mark", stream: "$EOF:" + testMark + "\r\npayload", maxLen: 100},
		{name: "eof truncated inside mark", stream: "$EOF:" + testMark + "\r\npayload" + testMark[:39], maxLen: 100},
		{name: "eof nothing after header", stream: "$EOF:" + testMark + "\r\n", maxLen: 100},
		{name: "len write error", stream: "$10\r\n0123456789", maxLen: 100, w: &failWriter{after: 3}, substr: "disk full"},
		{name: "eof write error", stream: "$EOF:" + testMark + "\r\n" + strings.Repeat("p", 200) + testMark, maxLen: 100, w: &failWriter{after: 3}, substr: "disk full"},
	} {
		for _, one := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/onebyte=%v", tc.name, one), func(t *testing.T) {
				var rd io.Reader = strings.NewReader(tc.stream)
				if one {
					rd = iotest.OneByteReader(rd)
				}
				w := tc.w
				if fw, ok := w.(*failWriter); ok {
					c := *fw
					w = &c
				}
				if w == nil {
					w = io.Discard
				}
				var buf bytes.Buffer
				if tc.w == nil {
					w = &buf
				}
				n, leftover, err := ReadPayload(bufio.NewReader(rd), w, tc.maxLen, nil, nil)
				if err == nil {
					t.Fatalf("ReadPayload(%q) = %d, %q, nil; want an error", tc.stream, n, leftover)
				}
				if tc.substr != "" && !strings.Contains(err.Error(), tc.substr) {
					t.Fatalf("error %q does not mention %q", err, tc.substr)
				}
				if leftover != nil {
					t.Fatalf("leftover %q with an error", leftover)
				}
				if tc.w == nil && int64(buf.Len()) != n {
					t.Fatalf("n = %d but %d bytes written", n, buf.Len())
				}
				if n > tc.maxLen && !strings.HasPrefix(strings.TrimLeft(tc.stream, "\n"), "$EOF:") {
					t.Fatalf("n = %d above maxLen %d", n, tc.maxLen)
				}
			})
		}
	}
}

func TestReadPayloadMaxLenBoundary(t *testing.T) {
	for _, size := range []int{99, 100} {
		stream := fmt.Sprintf("$%d\r\n%s", size, strings.Repeat("y", size))
		var w bytes.Buffer
		n, _, err := ReadPayload(bufio.NewReader(strings.NewReader(stream)), &w, 100, nil, nil)
		if err != nil || n != int64(size) || w.Len() != size {
			t.Fatalf("size %d at maxLen 100: n %d, written %d, err %v", size, n, w.Len(), err)
		}
	}
}

func FuzzReadPayload(f *testing.F) {
	for _, s := range []string{
		"$5\r\nhellorest",
		"\n\n$0\r\n",
		"$EOF:" + testMark + "\r\npayload" + testMark + "rest",
		"$EOF:" + testMark + "\r\n" + testMark,
		"$EOF:" + testMark + "\r\npay" + testMark[:20],
		"$EOF:short\r\n",
		"-ERR x\r\n",
		"+OK\r\n",
		"$-1\r\n",
		"$2000000\r\nxx",
		"$1048576\r\nx",
		"",
		"\n",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(7))
	}
	const maxLen = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		var rd io.Reader = bytes.NewReader(data)
		if chunk > 0 {
			rd = &chunkReader{data: data, chunks: []int{int(chunk)}}
		}
		r := bufio.NewReaderSize(rd, 16)
		var w bytes.Buffer
		kept := 0
		n, leftover, err := ReadPayload(r, &w, maxLen, func() { kept++ }, nil)
		if n != int64(w.Len()) {
			t.Fatalf("n = %d, written %d", n, w.Len())
		}
		if err != nil && leftover != nil {
			t.Fatalf("leftover %q with error %v", leftover, err)
		}
		// Parse the header as the master framed it.
		body := data
		keepalives := 0
		for len(body) > 0 && body[0] == '\n' {
			body = body[1:]
			keepalives++
		}
		if err == nil && kept != keepalives {
			t.Fatalf("keepalive called %d times, want %d", kept, keepalives)
		}
		i := bytes.IndexByte(body, '\n')
		if i < 0 {
			if err == nil {
				t.Fatalf("success without a header line")
			}
			return
		}
		header, body := string(body[:i+1]), body[i+1:]
		isEOF := strings.HasPrefix(header, "$EOF:")
		if !isEOF && n > maxLen {
			t.Fatalf("n = %d above maxLen for header %q", n, header)
		}
		if err != nil {
			return
		}
		var want []byte
		if isEOF {
			mark := strings.TrimRight(header, "\r\n")[5:]
			want = append(append(bytes.Clone(w.Bytes()), mark...), afterPayload(t, leftover, r)...)
		} else {
			if leftover != nil {
				t.Fatalf("leftover %q for header %q", leftover, header)
			}
			want = append(bytes.Clone(w.Bytes()), afterPayload(t, nil, r)...)
		}
		if !bytes.Equal(want, body) {
			t.Fatalf("payload+mark+rest = %q, want the stream after the header %q", want, body)
		}
	})
}
