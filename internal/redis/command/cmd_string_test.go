package command

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/resp"
)

// A script is a table test: commands and the replies redis-server 7.0.15
// gives them (rendered as testEnv.run renders), run from an empty
// database. The same scripts also run against a redis-server started by
// the test, which is how the replies were taken and how they are checked
// again (REPLIKUBE_REDIS_GEN=1 prints
// the server's replies as Go steps instead of checking them).
//
// Besides real commands a script may use pseudo commands, so that it
// depends on no other command group:
//
//	ENC key     OBJECT ENCODING key
//	MKLIST key  DEL key, RPUSH key x (a key of another type)
//	HAS key     EXISTS key
type replyScript struct {
	name  string
	proto int
	steps []scriptStep
}

type scriptStep struct{ cmd, want string }

func splitScriptLine(t *testing.T, line string) []string {
	t.Helper()
	args, err := resp.SplitArgs([]byte(line), nil)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

// otherTypeValue is a value of another type than string, for WRONGTYPE cases.
type otherTypeValue struct{}

func (otherTypeValue) Kind() keyspace.Kind     { return keyspace.KindList }
func (otherTypeValue) Encoding() string        { return "listpack" }
func (otherTypeValue) MemUsage() int64         { return 16 }
func (f otherTypeValue) Clone() keyspace.Value { return f }

// runLine runs one script line on our engine, pseudo commands included.
func (te *testEnv) runLine(c *Client, args []string) string {
	te.t.Helper()
	switch strings.ToUpper(args[0]) {
	case "ENC":
		e := c.DB.LookupReadNoTouch([]byte(args[1]))
		if e == nil {
			return "nil"
		}
		return fmt.Sprintf("%q", e.Val.Val.Encoding())
	case "MKLIST":
		c.DB.Set([]byte(args[1]), otherTypeValue{}, false)
		return ":1"
	case "HAS":
		if c.DB.Exists([]byte(args[1])) {
			return ":1"
		}
		return ":0"
	}
	return te.run(c, args...)
}

func runReplyScripts(t *testing.T, scripts []replyScript) {
	for _, sc := range scripts {
		t.Run(sc.name, func(t *testing.T) {
			te := newTestEnv(t)
			c := te.client()
			c.W.Proto = max(sc.proto, 2)
			for _, st := range sc.steps {
				if got := te.runLine(c, splitScriptLine(t, st.cmd)); got != st.want {
					t.Errorf("%s = %s, want %s", st.cmd, got, st.want)
				}
			}
		})
	}
}

// realServer runs script lines on a throwaway redis-server.
type realServer struct {
	t    *testing.T
	conn net.Conn
	buf  []byte
}

// startRealRedis starts Debian's redis-server on a unix socket in a
// temporary directory, persistence off, killed when t ends, and returns the
// socket path. The test fails if redis-server is not installed.
func startRealRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found (apt-get install -y redis-server): %v", err)
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(bin, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
	}
	t.Fatalf("redis-server on %s not reachable", sock)
	return ""
}

func dialRealServer(t *testing.T, sock string) *realServer {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &realServer{t: t, conn: conn}
}

func (r *realServer) do(args ...string) string {
	r.t.Helper()
	switch strings.ToUpper(args[0]) {
	case "ENC":
		args = []string{"OBJECT", "ENCODING", args[1]}
	case "MKLIST":
		r.do("DEL", args[1])
		args = []string{"RPUSH", args[1], "x"}
	case "HAS":
		args = []string{"EXISTS", args[1]}
	}
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	if _, err := r.conn.Write(resp.AppendCommand(nil, argv...)); err != nil {
		r.t.Fatal(err)
	}
	r.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		if v, rest, err := resp.ParseReply(r.buf); err == nil {
			r.buf = rest
			return v.String()
		}
		var chunk [64 << 10]byte
		n, err := r.conn.Read(chunk[:])
		if err != nil {
			r.t.Fatalf("%v: %v", args, err)
		}
		r.buf = append(r.buf, chunk[:n]...)
	}
}

// runReplyScriptsOnRedis checks the scripts' replies against a real server, or
// with REPLIKUBE_REDIS_GEN=1 prints them as Go steps.
func runReplyScriptsOnRedis(t *testing.T, scripts []replyScript) {
	gen := os.Getenv("REPLIKUBE_REDIS_GEN") != ""
	sock := startRealRedis(t)
	for _, sc := range scripts {
		t.Run(sc.name, func(t *testing.T) {
			r := dialRealServer(t, sock)
			r.do("FLUSHALL")
			r.do("HELLO", fmt.Sprint(max(sc.proto, 2)))
			if gen {
				fmt.Printf("GEN:\t{name: %q, proto: %d, steps: []scriptStep{\n", sc.name, sc.proto)
			}
			for _, st := range sc.steps {
				got := r.do(splitScriptLine(t, st.cmd)...)
				if gen {
					fmt.Printf("GEN:\t\t{%q, %q},\n", st.cmd, got)
				} else if got != st.want {
					t.Errorf("redis: %s = %s, want %s", st.cmd, got, st.want)
				}
			}
			if gen {
				fmt.Printf("GEN:\t}},\n")
			}
		})
	}
}

var stringScripts = []replyScript{
	{name: "set-get", proto: 2, steps: []scriptStep{
		{"SET k v", "OK"},
		{"GET k", "\"v\""},
		{"ENC k", "\"embstr\""},
		{"GET nokey", "nil"},
		{"SET k v2 XX", "OK"},
		{"GET k", "\"v2\""},
		{"SET k2 v XX", "nil"},
		{"HAS k2", ":0"},
		{"SET k3 v NX", "OK"},
		{"SET k3 w NX", "nil"},
		{"GET k3", "\"v\""},
		{"SET k v3 GET", "\"v2\""},
		{"SET k4 v GET", "nil"},
		{"GET k4", "\"v\""},
		{"SET k5 v NX GET", "nil"},
		{"SET k5 w NX GET", "\"v\""},
		{"GET k5", "\"v\""},
		{"SET k5 w XX GET", "\"v\""},
		{"SET k6 w XX GET", "nil"},
		{"HAS k6", ":0"},
		{"SET k v get GET", "\"v3\""},
		{"get k", "\"v\""},
		{"set K v", "OK"},
		{"GET K", "\"v\""},
		{"SET k \"\"", "OK"},
		{"GET k", "\"\""},
		{"ENC k", "\"embstr\""},
		{"SET n 12345", "OK"},
		{"ENC n", "\"int\""},
		{"SET n -12345", "OK"},
		{"ENC n", "\"int\""},
		{"SET n 012", "OK"},
		{"ENC n", "\"embstr\""},
		{"SET n 9223372036854775807", "OK"},
		{"ENC n", "\"int\""},
		{"SET n 9223372036854775808", "OK"},
		{"ENC n", "\"embstr\""},
		{"SET n -9223372036854775808", "OK"},
		{"ENC n", "\"int\""},
		{"SET n 12345678901234567890123456789012345678901234", "OK"},
		{"ENC n", "\"embstr\""},
		{"SET n 123456789012345678901234567890123456789012345", "OK"},
		{"ENC n", "\"raw\""},
		{"SET big \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "OK"},
		{"ENC big", "\"embstr\""},
		{"SET big \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "OK"},
		{"ENC big", "\"raw\""},
		{"SET n \" 1\"", "OK"},
		{"ENC n", "\"embstr\""},
		{"SET n +1", "OK"},
		{"ENC n", "\"embstr\""},
		{"SET n 1.5", "OK"},
		{"ENC n", "\"embstr\""},
		{"SET", "(error) ERR wrong number of arguments for 'set' command"},
		{"SET k", "(error) ERR wrong number of arguments for 'set' command"},
		{"GET", "(error) ERR wrong number of arguments for 'get' command"},
		{"GET a b", "(error) ERR wrong number of arguments for 'get' command"},
	}},
	{name: "set-options", proto: 2, steps: []scriptStep{
		{"SET k v NX XX", "(error) ERR syntax error"},
		{"SET k v XX NX", "(error) ERR syntax error"},
		{"SET k v EX 10 PX 100", "(error) ERR syntax error"},
		{"SET k v PX 100 EX 10", "(error) ERR syntax error"},
		{"SET k v EXAT 10 PXAT 100", "(error) ERR syntax error"},
		{"SET k v EX 10 KEEPTTL", "(error) ERR syntax error"},
		{"SET k v KEEPTTL EX 10", "(error) ERR syntax error"},
		{"SET k v KEEPTTL PXAT 10", "(error) ERR syntax error"},
		{"SET k v EX", "(error) ERR syntax error"},
		{"SET k v PX", "(error) ERR syntax error"},
		{"SET k v EXAT", "(error) ERR syntax error"},
		{"SET k v PXAT", "(error) ERR syntax error"},
		{"SET k v FOO", "(error) ERR syntax error"},
		{"SET k v PERSIST", "(error) ERR syntax error"},
		{"SET k v NX NX", "OK"},
		{"SET k v XX XX", "OK"},
		{"SET k v KEEPTTL KEEPTTL", "OK"},
		{"SET k v GET GET", "\"v\""},
		{"SET k v EX 10 EX 20", "OK"},
		{"SET k v px 100 PX 200", "OK"},
		{"SET k v ex 10 nx", "nil"},
		{"SET k v EX 0", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v EX -1", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v PX 0", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v PX -100", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v EXAT 0", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v PXAT -5", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v EX abc", "(error) ERR value is not an integer or out of range"},
		{"SET k v EX 1.5", "(error) ERR value is not an integer or out of range"},
		{"SET k v PX \" 1\"", "(error) ERR value is not an integer or out of range"},
		{"SET k v EX 9223372036854775807", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v EX 9223372036854775", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v EX 9223372036854776", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v PX 9223372036854775807", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v EXAT 9223372036854775807", "(error) ERR invalid expire time in 'set' command"},
		{"SET k v EXAT 9223372036854775", "OK"},
		{"SET k v PXAT 9223372036854775807", "OK"},
		{"SET k v EX 100 GET", "\"v\""},
		{"SET k v EXAT 1", "OK"},
		{"HAS k", ":0"},
		{"SET k v PXAT 1 GET", "nil"},
	}},
	{name: "set-wrongtype", proto: 2, steps: []scriptStep{
		{"MKLIST l", ":1"},
		{"SET l v GET", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SET l v", "OK"},
		{"GET l", "\"v\""},
		{"SET l v NX GET", "\"v\""},
		{"MKLIST l", ":1"},
		{"SET l v XX", "OK"},
		{"GET l", "\"v\""},
		{"MKLIST l", ":1"},
		{"GETSET l v", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"MKLIST l", ":1"},
		{"GETEX l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"GETEX l PERSIST", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"GETEX l EX 0", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"GETDEL l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HAS l", ":1"},
		{"APPEND l x", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"STRLEN l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"INCR l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"DECR l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"INCRBY l 2", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"DECRBY l 2", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"INCRBYFLOAT l 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"GETRANGE l 0 -1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SUBSTR l 0 -1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SETRANGE l 0 x", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SETRANGE l 0 \"\"", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SETRANGE l -1 x", "(error) ERR offset is out of range"},
		{"MGET l nokey", "[nil nil]"},
		{"MSET l v", "OK"},
		{"GET l", "\"v\""},
		{"MKLIST l", ":1"},
		{"MSETNX l v", ":0"},
		{"SETNX l v", ":0"},
		{"SETEX l 10 v", "OK"},
		{"GET l", "\"v\""},
	}},
	{name: "setnx-setex", proto: 2, steps: []scriptStep{
		{"SETNX k v", ":1"},
		{"SETNX k w", ":0"},
		{"GET k", "\"v\""},
		{"ENC k", "\"embstr\""},
		{"SETEX k 10 v", "OK"},
		{"GET k", "\"v\""},
		{"SETEX k 0 v", "(error) ERR invalid expire time in 'setex' command"},
		{"SETEX k -10 v", "(error) ERR invalid expire time in 'setex' command"},
		{"SETEX k abc v", "(error) ERR value is not an integer or out of range"},
		{"SETEX k 9223372036854775807 v", "(error) ERR invalid expire time in 'setex' command"},
		{"PSETEX k 0 v", "(error) ERR invalid expire time in 'psetex' command"},
		{"PSETEX k 100 v", "OK"},
		{"GET k", "\"v\""},
		{"PSETEX k 9223372036854775807 v", "(error) ERR invalid expire time in 'psetex' command"},
		{"PSETEX k x v", "(error) ERR value is not an integer or out of range"},
		{"SETNX k", "(error) ERR wrong number of arguments for 'setnx' command"},
		{"SETEX k 10", "(error) ERR wrong number of arguments for 'setex' command"},
		{"PSETEX k 10", "(error) ERR wrong number of arguments for 'psetex' command"},
		{"SETEX k 10 v x", "(error) ERR wrong number of arguments for 'setex' command"},
	}},
	{name: "getset-getdel", proto: 2, steps: []scriptStep{
		{"GETSET k v", "nil"},
		{"GETSET k w", "\"v\""},
		{"GET k", "\"w\""},
		{"GETSET k 123", "\"w\""},
		{"ENC k", "\"int\""},
		{"GETDEL k", "\"123\""},
		{"GETDEL k", "nil"},
		{"HAS k", ":0"},
		{"GETDEL nokey", "nil"},
		{"GETSET k", "(error) ERR wrong number of arguments for 'getset' command"},
		{"GETDEL k x", "(error) ERR wrong number of arguments for 'getdel' command"},
	}},
	{name: "getex", proto: 2, steps: []scriptStep{
		{"GETEX nokey", "nil"},
		{"GETEX nokey EX 0", "nil"},
		{"GETEX nokey FOO", "(error) ERR syntax error"},
		{"SET k v", "OK"},
		{"GETEX k", "\"v\""},
		{"GETEX k EX 100", "\"v\""},
		{"GETEX k PX 100000", "\"v\""},
		{"GETEX k EXAT 99999999999", "\"v\""},
		{"GETEX k PXAT 99999999999999", "\"v\""},
		{"GETEX k PERSIST", "\"v\""},
		{"GETEX k PERSIST PERSIST", "\"v\""},
		{"GETEX k EX 10 PX 10", "(error) ERR syntax error"},
		{"GETEX k EX 10 PERSIST", "(error) ERR syntax error"},
		{"GETEX k PERSIST EX 10", "(error) ERR syntax error"},
		{"GETEX k NX", "(error) ERR syntax error"},
		{"GETEX k XX", "(error) ERR syntax error"},
		{"GETEX k KEEPTTL", "(error) ERR syntax error"},
		{"GETEX k GET", "(error) ERR syntax error"},
		{"GETEX k EX", "(error) ERR syntax error"},
		{"GETEX k EX 0", "(error) ERR invalid expire time in 'getex' command"},
		{"GETEX k EX -1", "(error) ERR invalid expire time in 'getex' command"},
		{"GETEX k PX abc", "(error) ERR value is not an integer or out of range"},
		{"GETEX k EX 9223372036854775807", "(error) ERR invalid expire time in 'getex' command"},
		{"GETEX k EX 10 EX 20", "\"v\""},
		{"GETEX k EXAT 1", "\"v\""},
		{"HAS k", ":0"},
		{"SET k 12", "OK"},
		{"GETEX k PXAT 1", "\"12\""},
		{"HAS k", ":0"},
		{"GETEX", "(error) ERR wrong number of arguments for 'getex' command"},
	}},
	{name: "mget-mset", proto: 2, steps: []scriptStep{
		{"MSET a 1 b 2 c 3", "OK"},
		{"MGET a b c nokey", "[\"1\" \"2\" \"3\" nil]"},
		{"ENC a", "\"int\""},
		{"MSET a", "(error) ERR wrong number of arguments for 'mset' command"},
		{"MSET a 1 b", "(error) ERR wrong number of arguments for 'mset' command"},
		{"MSET a 10 a 11", "OK"},
		{"GET a", "\"11\""},
		{"MSETNX a 1 d 4", ":0"},
		{"HAS d", ":0"},
		{"MSETNX d 4 e 5", ":1"},
		{"MGET d e", "[\"4\" \"5\"]"},
		{"MSETNX f 1 f 2", ":1"},
		{"GET f", "\"2\""},
		{"MSETNX a", "(error) ERR wrong number of arguments for 'msetnx' command"},
		{"MSETNX a 1 b", "(error) ERR wrong number of arguments for 'msetnx' command"},
		{"MGET", "(error) ERR wrong number of arguments for 'mget' command"},
	}},
	{name: "append-strlen", proto: 2, steps: []scriptStep{
		{"APPEND k hello", ":5"},
		{"ENC k", "\"embstr\""},
		{"APPEND k \" world\"", ":11"},
		{"GET k", "\"hello world\""},
		{"ENC k", "\"raw\""},
		{"STRLEN k", ":11"},
		{"STRLEN nokey", ":0"},
		{"APPEND n 12", ":2"},
		{"ENC n", "\"int\""},
		{"APPEND n 3", ":3"},
		{"ENC n", "\"raw\""},
		{"GET n", "\"123\""},
		{"INCR n", ":124"},
		{"ENC n", "\"int\""},
		{"APPEND e \"\"", ":0"},
		{"HAS e", ":1"},
		{"ENC e", "\"embstr\""},
		{"GET e", "\"\""},
		{"APPEND e \"\"", ":0"},
		{"ENC e", "\"raw\""},
		{"SET m 5", "OK"},
		{"APPEND m \"\"", ":1"},
		{"ENC m", "\"raw\""},
		{"STRLEN m", ":1"},
		{"SET i 123456", "OK"},
		{"STRLEN i", ":6"},
		{"APPEND k", "(error) ERR wrong number of arguments for 'append' command"},
		{"STRLEN", "(error) ERR wrong number of arguments for 'strlen' command"},
	}},
	{name: "incr-decr", proto: 2, steps: []scriptStep{
		{"INCR c", ":1"},
		{"INCR c", ":2"},
		{"ENC c", "\"int\""},
		{"INCRBY c 10", ":12"},
		{"DECR c", ":11"},
		{"DECRBY c 5", ":6"},
		{"GET c", "\"6\""},
		{"INCRBY c -3", ":3"},
		{"DECRBY c -3", ":6"},
		{"INCRBY c abc", "(error) ERR value is not an integer or out of range"},
		{"INCRBY c 1.5", "(error) ERR value is not an integer or out of range"},
		{"INCRBY c \" 1\"", "(error) ERR value is not an integer or out of range"},
		{"DECRBY c 9223372036854775808", "(error) ERR value is not an integer or out of range"},
		{"DECRBY c -9223372036854775808", "(error) ERR decrement would overflow"},
		{"SET c 9223372036854775806", "OK"},
		{"INCR c", ":9223372036854775807"},
		{"INCR c", "(error) ERR increment or decrement would overflow"},
		{"GET c", "\"9223372036854775807\""},
		{"SET c -9223372036854775807", "OK"},
		{"DECR c", ":-9223372036854775808"},
		{"DECR c", "(error) ERR increment or decrement would overflow"},
		{"DECRBY c 1", "(error) ERR increment or decrement would overflow"},
		{"INCRBY c -1", "(error) ERR increment or decrement would overflow"},
		{"SET c -1", "OK"},
		{"DECRBY c 9223372036854775807", ":-9223372036854775808"},
		{"DECR c", "(error) ERR increment or decrement would overflow"},
		{"SET s abc", "OK"},
		{"INCR s", "(error) ERR value is not an integer or out of range"},
		{"DECR s", "(error) ERR value is not an integer or out of range"},
		{"SET s \" 1\"", "OK"},
		{"INCR s", "(error) ERR value is not an integer or out of range"},
		{"SET s 1.0", "OK"},
		{"INCR s", "(error) ERR value is not an integer or out of range"},
		{"SET s 012", "OK"},
		{"INCR s", "(error) ERR value is not an integer or out of range"},
		{"SET s \"1 \"", "OK"},
		{"INCR s", "(error) ERR value is not an integer or out of range"},
		{"SET s -0", "OK"},
		{"INCR s", "(error) ERR value is not an integer or out of range"},
		{"SET s +5", "OK"},
		{"INCR s", "(error) ERR value is not an integer or out of range"},
		{"SET s \"\"", "OK"},
		{"INCR s", "(error) ERR value is not an integer or out of range"},
		{"SET r 10", "OK"},
		{"APPEND r 0", ":3"},
		{"ENC r", "\"raw\""},
		{"INCR r", ":101"},
		{"ENC r", "\"int\""},
		{"SET e 99999999999999999999", "OK"},
		{"INCR e", "(error) ERR value is not an integer or out of range"},
		{"INCR", "(error) ERR wrong number of arguments for 'incr' command"},
		{"INCRBY c", "(error) ERR wrong number of arguments for 'incrby' command"},
		{"DECRBY c", "(error) ERR wrong number of arguments for 'decrby' command"},
	}},
	{name: "incrbyfloat", proto: 2, steps: []scriptStep{
		{"INCRBYFLOAT f 10.5", "\"10.5\""},
		{"ENC f", "\"embstr\""},
		{"INCRBYFLOAT f 0.1", "\"10.6\""},
		{"INCRBYFLOAT f -5", "\"5.6\""},
		{"INCRBYFLOAT f 3.0e3", "\"3005.60000000000000009\""},
		{"ENC f", "\"embstr\""},
		{"GET f", "\"3005.60000000000000009\""},
		{"INCRBYFLOAT f 5.0e3", "\"8005.60000000000000009\""},
		{"INCRBYFLOAT f -8005.6", "\"0\""},
		{"INCRBYFLOAT g 10.1", "\"10.1\""},
		{"INCRBYFLOAT g 0.2", "\"10.3\""},
		{"INCRBYFLOAT h 3.0e3", "\"3000\""},
		{"ENC h", "\"embstr\""},
		{"INCR h", ":3001"},
		{"ENC h", "\"int\""},
		{"INCRBYFLOAT h 1e-20", "\"3001\""},
		{"INCRBYFLOAT h -1e-20", "\"3001\""},
		{"INCRBYFLOAT z -0", "\"0\""},
		{"INCRBYFLOAT z -1e-30", "\"0\""},
		{"INCRBYFLOAT x abc", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x \"\"", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x \" 1\"", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x \"1 \"", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x nan", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x NaN", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x inf", "(error) ERR increment would produce NaN or Infinity"},
		{"INCRBYFLOAT x -Infinity", "(error) ERR increment would produce NaN or Infinity"},
		{"INCRBYFLOAT x +inf", "(error) ERR increment would produce NaN or Infinity"},
		{"INCRBYFLOAT x 1e5000", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x 1e-5000", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x 0e99999", "\"0\""},
		{"INCRBYFLOAT x 1e", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x 1e+", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x e5", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x .", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x 0x", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x 0x10", "\"16\""},
		{"INCRBYFLOAT x 0x1p-2", "\"16.25\""},
		{"INCRBYFLOAT x 0X.8P1", "\"17.25\""},
		{"INCRBYFLOAT x 0x1e", "\"47.25\""},
		{"INCRBYFLOAT x 1_0", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x 0b1", "(error) ERR value is not a valid float"},
		{"INCRBYFLOAT x .5", "\"47.75\""},
		{"INCRBYFLOAT x 5.", "\"52.75\""},
		{"INCRBYFLOAT x +1", "\"53.75\""},
		{"INCRBYFLOAT x 1E2", "\"153.75\""},
		{"INCRBYFLOAT x 00012", "\"165.75\""},
		{"INCRBYFLOAT x 1.5.5", "(error) ERR value is not a valid float"},
		{"HAS x", ":1"},
		{"GET x", "\"165.75\""},
		{"SET s abc", "OK"},
		{"INCRBYFLOAT s 1", "(error) ERR value is not a valid float"},
		{"SET s inf", "OK"},
		{"INCRBYFLOAT s 1", "(error) ERR increment would produce NaN or Infinity"},
		{"SET s 1e308", "OK"},
		{"INCRBYFLOAT s 1e308", "\"199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096\""},
		{"INCRBYFLOAT t 123456789012345678901234567890", "\"123456789012345678899921813504\""},
		{"INCRBYFLOAT t 0.5", "\"123456789012345678899921813504\""},
		{"INCRBYFLOAT u 0.1", "\"0.1\""},
		{"INCRBYFLOAT u 0.2", "\"0.3\""},
		{"INCRBYFLOAT v 1.23456789012345678", "\"1.23456789012345678\""},
		{"INCRBYFLOAT w -1.5", "\"-1.5\""},
		{"INCRBYFLOAT w 1.5", "\"0\""},
		{"INCRBYFLOAT big 1e50", "\"100000000000000000003583830118858923890798487404544\""},
		{"ENC big", "\"raw\""},
		{"INCRBYFLOAT", "(error) ERR wrong number of arguments for 'incrbyfloat' command"},
		{"INCRBYFLOAT f", "(error) ERR wrong number of arguments for 'incrbyfloat' command"},
	}},
	{name: "getrange-setrange", proto: 2, steps: []scriptStep{
		{"SET k \"Hello World\"", "OK"},
		{"GETRANGE k 0 4", "\"Hello\""},
		{"GETRANGE k -5 -1", "\"World\""},
		{"GETRANGE k -1 -5", "\"\""},
		{"GETRANGE k 5 3", "\"\""},
		{"GETRANGE k 0 100", "\"Hello World\""},
		{"GETRANGE k -100 2", "\"Hel\""},
		{"GETRANGE k -100 -50", "\"H\""},
		{"GETRANGE k 100 200", "\"\""},
		{"GETRANGE k 0 -100", "\"H\""},
		{"GETRANGE k 3 3", "\"l\""},
		{"GETRANGE k -9223372036854775808 9223372036854775807", "\"Hello World\""},
		{"SUBSTR k 0 4", "\"Hello\""},
		{"GETRANGE nokey 0 -1", "\"\""},
		{"GETRANGE k a 1", "(error) ERR value is not an integer or out of range"},
		{"GETRANGE k 1 a", "(error) ERR value is not an integer or out of range"},
		{"GETRANGE nokey a 1", "(error) ERR value is not an integer or out of range"},
		{"SET e \"\"", "OK"},
		{"GETRANGE e 0 -1", "\"\""},
		{"GETRANGE e 0 0", "\"\""},
		{"SET n 12345", "OK"},
		{"GETRANGE n 1 2", "\"23\""},
		{"SETRANGE k 6 Redis", ":11"},
		{"GET k", "\"Hello Redis\""},
		{"ENC k", "\"raw\""},
		{"SETRANGE k 20 \"!\"", ":21"},
		{"GET k", "\"Hello Redis\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00!\""},
		{"STRLEN k", ":21"},
		{"SETRANGE k 0 \"\"", ":21"},
		{"SETRANGE new 0 \"\"", ":0"},
		{"HAS new", ":0"},
		{"SETRANGE new 3 abc", ":6"},
		{"GET new", "\"\\x00\\x00\\x00abc\""},
		{"ENC new", "\"raw\""},
		{"SETRANGE new2 0 x", ":1"},
		{"ENC new2", "\"raw\""},
		{"SETRANGE k -1 x", "(error) ERR offset is out of range"},
		{"SETRANGE k a x", "(error) ERR value is not an integer or out of range"},
		{"SETRANGE k 1.5 x", "(error) ERR value is not an integer or out of range"},
		{"SETRANGE k 536870912 x", "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		{"SETRANGE k 536870911 xx", "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		{"SETRANGE k 9223372036854775807 x", "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		{"SETRANGE nokey 536870912 x", "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		{"SETRANGE nokey 536870912 \"\"", ":0"},
		{"SET n 12345", "OK"},
		{"SETRANGE n 0 9", ":5"},
		{"ENC n", "\"raw\""},
		{"GET n", "\"92345\""},
		{"SETRANGE n 0 \"\"", ":5"},
		{"GETRANGE k 0", "(error) ERR wrong number of arguments for 'getrange' command"},
		{"SETRANGE k 0", "(error) ERR wrong number of arguments for 'setrange' command"},
	}},
	{name: "lcs", proto: 2, steps: []scriptStep{
		{"SET a ohmytext", "OK"},
		{"SET b mynewtext", "OK"},
		{"LCS a b", "\"mytext\""},
		{"LCS a b LEN", ":6"},
		{"LCS a b IDX", "[\"matches\" [[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] \"len\" :6]"},
		{"LCS a b IDX MINMATCHLEN 4", "[\"matches\" [[[:4 :7] [:5 :8]]] \"len\" :6]"},
		{"LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN", "[\"matches\" [[[:4 :7] [:5 :8] :4]] \"len\" :6]"},
		{"LCS a b IDX WITHMATCHLEN", "[\"matches\" [[[:4 :7] [:5 :8] :4] [[:2 :3] [:0 :1] :2]] \"len\" :6]"},
		{"LCS a b idx minmatchlen -5", "[\"matches\" [[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] \"len\" :6]"},
		{"LCS a b LEN IDX", "(error) ERR If you want both the length and indexes, please just use IDX."},
		{"LCS a b IDX LEN", "(error) ERR If you want both the length and indexes, please just use IDX."},
		{"LCS a b LEN LEN", ":6"},
		{"LCS a b MINMATCHLEN", "(error) ERR syntax error"},
		{"LCS a b MINMATCHLEN x", "(error) ERR value is not an integer or out of range"},
		{"LCS a b FOO", "(error) ERR syntax error"},
		{"LCS a nokey", "\"\""},
		{"LCS nokey a", "\"\""},
		{"LCS nokey nokey2", "\"\""},
		{"LCS nokey nokey2 IDX", "[\"matches\" [] \"len\" :0]"},
		{"LCS nokey nokey2 LEN", ":0"},
		{"MKLIST l", ":1"},
		{"LCS a l", "(error) ERR The specified keys must contain string values"},
		{"LCS l a", "(error) ERR The specified keys must contain string values"},
		{"LCS l a LEN", "(error) ERR The specified keys must contain string values"},
		{"LCS a l FOO", "(error) ERR The specified keys must contain string values"},
		{"SET c1 \"ABCBDAB\"", "OK"},
		{"SET c2 \"BDCABA\"", "OK"},
		{"LCS c1 c2", "\"BDAB\""},
		{"LCS c1 c2 IDX WITHMATCHLEN", "[\"matches\" [[[:5 :6] [:3 :4] :2] [[:3 :4] [:0 :1] :2]] \"len\" :4]"},
		{"LCS c2 c1 IDX", "[\"matches\" [[[:5 :5] [:5 :5]] [[:4 :4] [:3 :3]] [[:2 :2] [:2 :2]] [[:0 :0] [:1 :1]]] \"len\" :4]"},
		{"SET n 12345", "OK"},
		{"SET m 2345", "OK"},
		{"LCS n m", "\"2345\""},
		{"LCS n m IDX", "[\"matches\" [[[:1 :4] [:0 :3]]] \"len\" :4]"},
		{"SET x aaaa", "OK"},
		{"SET y aa", "OK"},
		{"LCS x y IDX WITHMATCHLEN", "[\"matches\" [[[:2 :3] [:0 :1] :2]] \"len\" :2]"},
		{"LCS x x IDX", "[\"matches\" [[[:0 :3] [:0 :3]]] \"len\" :4]"},
		{"LCS a", "(error) ERR wrong number of arguments for 'lcs' command"},
	}},
	{name: "lcs-resp3", proto: 3, steps: []scriptStep{
		{"SET a ohmytext", "OK"},
		{"SET b mynewtext", "OK"},
		{"LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN", "{\"matches\":[[[:4 :7] [:5 :8] :4]] \"len\"::6}"},
		{"LCS a b LEN", ":6"},
		{"LCS nokey nokey2 IDX", "{\"matches\":[] \"len\"::0}"},
	}},
	{name: "resp3", proto: 3, steps: []scriptStep{
		{"GET nokey", "nil"},
		{"SET k v", "OK"},
		{"SET k v XX GET", "\"v\""},
		{"SET k2 v XX", "nil"},
		{"SET k2 v XX GET", "nil"},
		{"MGET k nokey", "[\"v\" nil]"},
		{"GETEX nokey", "nil"},
		{"GETDEL nokey", "nil"},
		{"INCRBYFLOAT f 1.5", "\"1.5\""},
		{"GETRANGE nokey 0 1", "\"\""},
	}},
}

func TestStringScripts(t *testing.T)        { runReplyScripts(t, stringScripts) }
func TestStringScriptsOnRedis(t *testing.T) { runReplyScriptsOnRedis(t, stringScripts) }

// propCheck runs setup, then cmd, and checks cmd's reply and what it
// propagated (nil: nothing).
type propCheck struct {
	setup []string
	cmd   string
	reply string
	prop  []string // each a command line
}

func runPropChecks(t *testing.T, cases []propCheck) {
	t.Helper()
	for _, tc := range cases {
		te := newTestEnv(t)
		c := te.client()
		for _, s := range tc.setup {
			te.runLine(c, splitScriptLine(t, s))
		}
		te.prop = nil
		if got := te.runLine(c, splitScriptLine(t, tc.cmd)); got != tc.reply {
			t.Errorf("%v; %s = %s, want %s", tc.setup, tc.cmd, got, tc.reply)
		}
		var got []string
		for _, argv := range te.prop {
			got = append(got, strings.Join(argv, " "))
		}
		if strings.Join(got, "|") != strings.Join(tc.prop, "|") {
			t.Errorf("%v; %s propagated %q, want %q", tc.setup, tc.cmd, got, tc.prop)
		}
	}
}

// The clock of testEnv is 1_700_000_000_000 ms.
func TestStringPropagation(t *testing.T) {
	runPropChecks(t, []propCheck{
		{nil, "SET k v", "OK", []string{"SET k v"}},
		{nil, "SET k v EX 10", "OK", []string{"SET k v PXAT 1700000010000"}},
		{nil, "set k v px 100 nx get", "nil", []string{"SET k v PXAT 1700000000100"}},
		{nil, "SET k v EXAT 1800000000", "OK", []string{"SET k v PXAT 1800000000000"}},
		{nil, "SET k v GET PXAT 1800000000123", "nil", []string{"SET k v PXAT 1800000000123"}},
		{[]string{"SET k v EX 100"}, "set k w Get KEEPTTL gEt", `"v"`, []string{"set k w KEEPTTL"}},
		{nil, "SET k get GET", "nil", []string{"SET k get"}},
		{nil, "SET k v XX", "nil", nil},
		{[]string{"SET k v"}, "SET k v NX", "nil", nil},
		{[]string{"SET k v"}, "SET k v NX GET", `"v"`, nil},
		{[]string{"MKLIST k"}, "SET k v GET", "(error) WRONGTYPE Operation against a key holding the wrong kind of value", nil},
		{nil, "SET k v EX 0", "(error) ERR invalid expire time in 'set' command", nil},
		{nil, "SETNX k v", ":1", []string{"SETNX k v"}},
		{[]string{"SET k v"}, "SETNX k v", ":0", nil},
		{nil, "SETEX k 10 v", "OK", []string{"SET k v PXAT 1700000010000"}},
		{nil, "PSETEX k 10 v", "OK", []string{"SET k v PXAT 1700000000010"}},
		{nil, "SETEX k 0 v", "(error) ERR invalid expire time in 'setex' command", nil},
		{nil, "PSETEX k -1 v", "(error) ERR invalid expire time in 'psetex' command", nil},
		{nil, "GETSET k v", "nil", []string{"GETSET k v"}},
		{[]string{"SET k v"}, "GETEX k", `"v"`, nil},
		{[]string{"SET k v"}, "GETEX k EX 10", `"v"`, []string{"PEXPIREAT k 1700000010000"}},
		{[]string{"SET k v"}, "GETEX k PX 10", `"v"`, []string{"PEXPIREAT k 1700000000010"}},
		{[]string{"SET k v"}, "GETEX k EXAT 1800000000", `"v"`, []string{"PEXPIREAT k 1800000000000"}},
		{[]string{"SET k v"}, "GETEX k PXAT 1800000000001", `"v"`, []string{"PEXPIREAT k 1800000000001"}},
		{[]string{"SET k v"}, "GETEX k EXAT 1", `"v"`, []string{"DEL k"}},
		{[]string{"SET k v"}, "GETEX k PXAT 1700000000000", `"v"`, []string{"DEL k"}},
		{[]string{"SET k v EX 10"}, "GETEX k PERSIST", `"v"`, []string{"PERSIST k"}},
		{[]string{"SET k v"}, "GETEX k PERSIST", `"v"`, nil},
		{nil, "GETEX k EX 10", "nil", nil},
		{[]string{"SET k v"}, "GETEX k EX 0", "(error) ERR invalid expire time in 'getex' command", nil},
		{[]string{"SET k v"}, "GETDEL k", `"v"`, []string{"DEL k"}},
		{nil, "GETDEL k", "nil", nil},
		{nil, "MSET a 1 b 2", "OK", []string{"MSET a 1 b 2"}},
		{nil, "MSETNX a 1 b 2", ":1", []string{"MSETNX a 1 b 2"}},
		{[]string{"SET b x"}, "MSETNX a 1 b 2", ":0", nil},
		{nil, "APPEND k v", ":1", []string{"APPEND k v"}},
		{nil, "APPEND k \"\"", ":0", []string{"APPEND k "}},
		{nil, "INCR k", ":1", []string{"INCR k"}},
		{nil, "DECRBY k 5", ":-5", []string{"DECRBY k 5"}},
		{[]string{"SET k abc"}, "INCR k", "(error) ERR value is not an integer or out of range", nil},
		{nil, "INCRBYFLOAT k 1.50", `"1.5"`, []string{"SET k 1.5 KEEPTTL"}},
		{[]string{"SET k 1"}, "INCRBYFLOAT k 2.0e3", `"2001"`, []string{"SET k 2001 KEEPTTL"}},
		{nil, "INCRBYFLOAT k inf", "(error) ERR increment would produce NaN or Infinity", nil},
		{nil, "SETRANGE k 2 x", ":3", []string{"SETRANGE k 2 x"}},
		{nil, "SETRANGE k 2 \"\"", ":0", nil},
		{[]string{"SET k v"}, "SETRANGE k 2 \"\"", ":1", nil},
		{[]string{"SET k v"}, "GETRANGE k 0 -1", `"v"`, nil},
		{[]string{"SET k v"}, "LCS k k", `"v"`, nil},
	})
}

func TestStringExpiry(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ttl := func(key string) int64 {
		t.Helper()
		e := c.DB.LookupReadNoTouch([]byte(key))
		if e == nil {
			return -2
		}
		if e.Val.Expire == 0 {
			return -1
		}
		return e.Val.Expire - te.now
	}
	steps := []struct {
		cmd  string
		key  string
		want int64 // ms left after cmd, -1 none, -2 missing
	}{
		{"SET k v EX 100", "k", 100_000},
		{"SET k w KEEPTTL", "k", 100_000},
		{"APPEND k x", "k", 100_000},
		{"SETRANGE k 0 y", "k", 100_000},
		{"SETBIT k 0 1", "k", 100_000},
		{"BITFIELD k SET u8 0 1", "k", 100_000},
		{"SET k v", "k", -1},
		{"PSETEX k 1500 v", "k", 1500},
		{"GETSET k v", "k", -1},
		{"SET c 1 PX 5000", "c", 5000},
		{"INCR c", "c", 5000},
		{"INCRBYFLOAT c 1.5", "c", 5000},
		{"GETEX c PERSIST", "c", -1},
		{"GETEX c EX 7", "c", 7000},
		{"GETEX c PXAT 1700000000100", "c", 100},
		{"MSET c 1", "c", -1},
		{"SET d x EX 9", "d", 9000},
		{"BITOP NOT d c", "d", -1},
		{"SET e v EXAT 1", "e", -2},
		{"SET e v PXAT 1700000000000", "e", -2},
		{"GETEX k EXAT 1", "k", -2},
	}
	for _, st := range steps {
		te.runLine(c, splitScriptLine(t, st.cmd))
		if got := ttl(st.key); got != st.want {
			t.Errorf("after %s: ttl %s = %d, want %d", st.cmd, st.key, got, st.want)
		}
	}
	// A key SET with a past deadline is gone on the next access, which
	// propagates its DEL (Redis 7.0 does not delete it within SET).
	te.prop = nil
	te.runLine(c, []string{"SET", "p", "v", "PXAT", "5"})
	if got := te.run(c, "GET", "p"); got != "nil" {
		t.Errorf("GET p = %s", got)
	}
	if want := [][]string{{"SET", "p", "v", "PXAT", "5"}, {"DEL", "p"}}; fmt.Sprint(te.prop) != fmt.Sprint(want) {
		t.Errorf("propagated %q, want %q", te.prop, want)
	}
}

// A write that changes nothing neither propagates nor breaks WATCH.
func TestStringNoChangeKeepsWatch(t *testing.T) {
	for _, tc := range []struct {
		noop   string
		change string
	}{
		{"SETRANGE k 0 \"\"", "SETRANGE k 0 x"},
		{"SET nokey v XX", "SET k v"},
		{"SETNX k v", "APPEND k v"},
		{"MSETNX x 1 k 2", "MSET k 2"},
		{"GETEX k PERSIST", "GETEX k EX 10"},
		{"SETBIT k 0 0", "SETBIT k 0 1"},
		{"BITFIELD k SET u8 0 118", "BITFIELD k SET u8 0 1"},
		{"BITOP AND nokey nokey2 nokey3", "BITOP AND k nokey"},
	} {
		for i, cmd := range []string{tc.noop, tc.change} {
			te := newTestEnv(t)
			c1, c2 := te.client(), te.client()
			te.run(c1, "SET", "k", "v") // 'v' is 0x76 = 118
			te.run(c1, "SET", "x", "1")
			te.run(c1, "WATCH", "k")
			te.runLine(c2, splitScriptLine(t, cmd))
			te.run(c1, "MULTI")
			te.run(c1, "GET", "x")
			got := te.run(c1, "EXEC")
			if want := []string{`["1"]`, "nil"}[i]; got != want {
				t.Errorf("WATCH k; %s; EXEC = %s, want %s", cmd, got, want)
			}
		}
	}
}

func TestStringRESP3Wire(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	te.run(c, "SET", "a", "ohmytext")
	te.run(c, "SET", "b", "mynewtext")
	cases := []struct {
		args   []string
		r2, r3 string
	}{
		{[]string{"GET", "nokey"}, "$-1\r\n", "_\r\n"},
		{[]string{"SET", "x", "v", "XX"}, "$-1\r\n", "_\r\n"},
		{[]string{"MGET", "a", "nokey"}, "*2\r\n$8\r\nohmytext\r\n$-1\r\n", "*2\r\n$8\r\nohmytext\r\n_\r\n"},
		{[]string{"GETRANGE", "nokey", "0", "1"}, "$0\r\n\r\n", "$0\r\n\r\n"},
		{[]string{"INCRBYFLOAT", "f", "1.5"}, "$3\r\n1.5\r\n", "$1\r\n3\r\n"},
		{[]string{"LCS", "a", "b", "IDX", "MINMATCHLEN", "4"},
			"*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n",
			"%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n"},
	}
	for _, proto := range []int{2, 3} {
		c.W.Proto = proto
		for _, tc := range cases {
			want := tc.r2
			if proto == 3 {
				want = tc.r3
			}
			if got := te.do(c, tc.args...); got != want {
				t.Errorf("RESP%d %v = %q, want %q", proto, tc.args, got, want)
			}
		}
	}
}

// INCRBYFLOAT works in long double: past the range of a double, and
// refusing what overflows the x87 range.
func TestIncrByFloatLongDoubleRange(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	got := te.run(c, "INCRBYFLOAT", "m", "1e4932")
	if !strings.HasPrefix(got, `"1000000000000000000006018949387963891323837774`) || len(got) != 4935 {
		t.Errorf("1e4932 = %.60s... (%d chars)", got, len(got))
	}
	if got := te.run(c, "INCRBYFLOAT", "m", "1e4932"); got != "(error) "+ErrIncrFloatNaNInf {
		t.Errorf("2e4932 = %s", got)
	}
	if got := te.run(c, "INCRBYFLOAT", "y", "1.18973149535723176502e+4932"); !strings.HasPrefix(got, `"11897314953572317650212638530309702`) {
		t.Errorf("LDBL_MAX = %.60s", got)
	}
	if got := te.run(c, "INCRBYFLOAT", "y", "1.2e+4932"); got != "(error) "+ErrNotFloat {
		t.Errorf("> LDBL_MAX = %s", got)
	}
	if got := te.run(c, "INCRBYFLOAT", "s", "1e-4950"); got != `"0"` {
		t.Errorf("subnormal = %s", got)
	}
	// strtold rounds what exceeds half the smallest subnormal (2^-16446)
	// up to it, and the rest to zero with ERANGE, which Redis refuses.
	for in, want := range map[string]string{
		"2e-4951":                          `"0"`,
		"1.83e-4951":                       `"0"`,
		"-1.83e-4951":                      `"0"`,
		"0x1.8p-16446":                     `"0"`,
		"0x1.000000000000000000001p-16446": `"0"`,
		"1.82e-4951":                       "(error) " + ErrNotFloat,
		"0x1p-16446":                       "(error) " + ErrNotFloat,
		"1e-4951":                          "(error) " + ErrNotFloat,
	} {
		if got := te.run(c, "INCRBYFLOAT", "s", in); got != want {
			t.Errorf("%s = %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"1e999999999999", "1e-999999999999", "0x1p99999999999", "0x1p-99999999999"} {
		if got := te.run(c, "INCRBYFLOAT", "z", in); got != "(error) "+ErrNotFloat {
			t.Errorf("%s = %s", in, got)
		}
	}
	if got := te.run(c, "INCRBYFLOAT", "z", "0.0e-999999999999"); got != `"0"` {
		t.Errorf("zero with huge exponent = %s", got)
	}
}

// Limits that follow proto-max-bulk-len, and our master bypassing them.
func TestStringSizeLimits(t *testing.T) {
	te := newTestEnv(t)
	te.e.Cfg.ProtoMaxBulkLen = 16
	c, m := te.client(), te.client()
	m.Flags |= FlagMaster
	tooLong := "(error) " + ErrStringTooLong
	cases := []struct {
		c    *Client
		cmd  string
		want string
	}{
		{c, "SET k 0123456789", "OK"},
		{c, "APPEND k 0123456", tooLong},
		{c, "APPEND k 012345", ":16"},
		{m, "APPEND k x", ":17"},
		{c, "SETRANGE n 16 x", tooLong},
		{c, "SETRANGE n 15 x", ":16"},
		{c, "SETRANGE n 9223372036854775807 x", tooLong},
		{m, "SETRANGE n 20 x", ":21"},
		{c, "SETBIT b 128 1", "(error) " + ErrBitOffset},
		{c, "SETBIT b 127 1", ":0"},
		{m, "SETBIT b 135 1", ":0"},
		{c, "GETBIT b 128", "(error) " + ErrBitOffset},
		{c, "BITFIELD b GET u8 #16", "(error) " + ErrBitOffset},
		{c, "BITFIELD b GET u8 #15", "[:1]"},
		{c, "SET a a", "OK"},
		{c, "LCS a a", `"a"`},                         // 2x2 cells of 4 bytes: 16
		{c, "LCS a nokey", `""`},                      // 2x1
		{c, "APPEND a b", ":2"},                       // now 3x3 cells: 36 > 16
		{c, "LCS a a", "(error) " + ErrLCSMemory},     // even for our master:
		{m, "LCS a a LEN", "(error) " + ErrLCSMemory}, // it is transient memory
	}
	for _, tc := range cases {
		if got := te.run(tc.c, splitScriptLine(t, tc.cmd)...); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.cmd, got, tc.want)
		}
	}
}

// GET, SET, INCR and MSET allocate nothing but the value they store.
func TestStringHotPathAllocs(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	te.run(c, "SET", "k", "value")
	te.run(c, "SET", "n", "1")
	te.run(c, "MSET", "a", "1", "b", "2")
	checkHandlerAllocs(t, te, c, []allocCase{
		{"GET", cmdGet, []string{"GET", "k"}, 0},
		{"GET missing", cmdGet, []string{"GET", "nokey"}, 0},
		{"SET", cmdSet, []string{"SET", "k", "value"}, 2},
		{"INCR", cmdIncr, []string{"INCR", "n"}, 0},
		{"INCRBY", cmdIncrBy, []string{"INCRBY", "n", "12345678"}, 0},
		{"MSET", cmdMSet, []string{"MSET", "a", "1", "b", "2"}, 4},
	})
}

// The table entries match COMMAND INFO and COMMAND DOCS of Redis 7.0.15.
func TestStringAndBitCommandTable(t *testing.T) {
	te := newTestEnv(t)
	cases := []struct {
		name  string
		arity int
		flags Flag
		keys  KeySpec
		group string
		since string
	}{
		{"get", 2, ReadOnly | Fast, KeySpec{1, 1, 1}, "string", "1.0.0"},
		{"set", -3, Write | DenyOOM, KeySpec{1, 1, 1}, "string", "1.0.0"},
		{"setnx", 3, Write | DenyOOM | Fast, KeySpec{1, 1, 1}, "string", "1.0.0"},
		{"setex", 4, Write | DenyOOM, KeySpec{1, 1, 1}, "string", "2.0.0"},
		{"psetex", 4, Write | DenyOOM, KeySpec{1, 1, 1}, "string", "2.6.0"},
		{"getset", 3, Write | DenyOOM | Fast, KeySpec{1, 1, 1}, "string", "1.0.0"},
		{"getex", -2, Write | Fast, KeySpec{1, 1, 1}, "string", "6.2.0"},
		{"getdel", 2, Write | Fast, KeySpec{1, 1, 1}, "string", "6.2.0"},
		{"mget", -2, ReadOnly | Fast, KeySpec{1, -1, 1}, "string", "1.0.0"},
		{"mset", -3, Write | DenyOOM, KeySpec{1, -1, 2}, "string", "1.0.1"},
		{"msetnx", -3, Write | DenyOOM, KeySpec{1, -1, 2}, "string", "1.0.1"},
		{"append", 3, Write | DenyOOM | Fast, KeySpec{1, 1, 1}, "string", "2.0.0"},
		{"strlen", 2, ReadOnly | Fast, KeySpec{1, 1, 1}, "string", "2.2.0"},
		{"incr", 2, Write | DenyOOM | Fast, KeySpec{1, 1, 1}, "string", "1.0.0"},
		{"decr", 2, Write | DenyOOM | Fast, KeySpec{1, 1, 1}, "string", "1.0.0"},
		{"incrby", 3, Write | DenyOOM | Fast, KeySpec{1, 1, 1}, "string", "1.0.0"},
		{"decrby", 3, Write | DenyOOM | Fast, KeySpec{1, 1, 1}, "string", "1.0.0"},
		{"incrbyfloat", 3, Write | DenyOOM | Fast, KeySpec{1, 1, 1}, "string", "2.6.0"},
		{"getrange", 4, ReadOnly, KeySpec{1, 1, 1}, "string", "2.4.0"},
		{"substr", 4, ReadOnly, KeySpec{1, 1, 1}, "string", "1.0.0"},
		{"setrange", 4, Write | DenyOOM, KeySpec{1, 1, 1}, "string", "2.2.0"},
		{"lcs", -3, ReadOnly, KeySpec{1, 2, 1}, "string", "7.0.0"},
		{"setbit", 4, Write | DenyOOM, KeySpec{1, 1, 1}, "bitmap", "2.2.0"},
		{"getbit", 3, ReadOnly | Fast, KeySpec{1, 1, 1}, "bitmap", "2.2.0"},
		{"bitcount", -2, ReadOnly, KeySpec{1, 1, 1}, "bitmap", "2.6.0"},
		{"bitpos", -3, ReadOnly, KeySpec{1, 1, 1}, "bitmap", "2.8.7"},
		{"bitop", -4, Write | DenyOOM, KeySpec{2, -1, 1}, "bitmap", "2.6.0"},
		{"bitfield", -2, Write | DenyOOM, KeySpec{1, 1, 1}, "bitmap", "3.2.0"},
		{"bitfield_ro", -2, ReadOnly | Fast, KeySpec{1, 1, 1}, "bitmap", "6.0.0"},
	}
	for _, tc := range cases {
		cmd := te.e.Table.Lookup([]byte(tc.name))
		if cmd == nil {
			t.Errorf("%s not registered", tc.name)
			continue
		}
		if cmd.Arity != tc.arity || cmd.Flags != tc.flags || cmd.Keys != tc.keys || cmd.Group != tc.group || cmd.Since != tc.since {
			t.Errorf("%s = {%d %v %v %s %s}, want {%d %v %v %s %s}", tc.name,
				cmd.Arity, cmd.Flags.Names(), cmd.Keys, cmd.Group, cmd.Since,
				tc.arity, tc.flags.Names(), tc.keys, tc.group, tc.since)
		}
	}
}
