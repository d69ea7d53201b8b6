package command

import (
	"strings"
	"testing"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/resp"
)

// testEnv is an engine over a keyspace with a controllable clock, for
// table tests of command handlers.
type testEnv struct {
	t    *testing.T
	e    *Engine
	now  int64 // unix ms
	prop [][]string
}

func (te *testEnv) Propagate(db int, argv [][]byte) {
	s := make([]string, len(argv))
	for i, a := range argv {
		s[i] = string(a)
	}
	te.prop = append(te.prop, s)
}

func newTestEnv(t *testing.T) *testEnv {
	te := &testEnv{t: t, now: 1_700_000_000_000}
	ks := keyspace.New(16, func() int64 { return te.now })
	te.e = NewEngine(ks, DefaultConfig())
	te.e.Prop = te
	return te
}

// client returns a new registered client using RESP2.
func (te *testEnv) client() *Client {
	c := te.e.NewClient()
	te.e.AddClient(c)
	return c
}

// do runs one command on c and returns the raw RESP reply.
func (te *testEnv) do(c *Client, args ...string) string {
	te.t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	te.e.Mu.Lock()
	defer te.e.Mu.Unlock()
	start := len(c.W.Buf)
	te.e.Dispatch(c, argv)
	out := string(c.W.Buf[start:])
	c.W.Buf = c.W.Buf[:start]
	return out
}

// inline renders a command reply compactly for table tests: simple
// strings as themselves, errors as "ERR ...", integers as ":n", bulk as
// the quoted value, nil as "nil", arrays as "[a b c]".
func (te *testEnv) run(c *Client, args ...string) string {
	te.t.Helper()
	raw := te.do(c, args...)
	v, rest, err := resp.ParseReply([]byte(raw))
	if err != nil || len(rest) != 0 {
		te.t.Fatalf("%v: bad reply %q: %v", args, raw, err)
	}
	return v.String()
}

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "anything", true},
		{"h?llo", "hello", true},
		{"h*llo", "heeeello", true},
		{"h[ae]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h\\*llo", "h*llo", true},
		{"foo", "FOO", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
	}
	for _, tc := range cases {
		if got := GlobMatch([]byte(tc.p), []byte(tc.s), false); got != tc.want {
			t.Errorf("GlobMatch(%q,%q)=%v", tc.p, tc.s, got)
		}
	}
	if !GlobMatch([]byte("foo"), []byte("FOO"), true) {
		t.Error("nocase")
	}
}

func TestConnCommands(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"ping", "x"}, `"x"`},
		{[]string{"ping", "x", "y"}, "(error) ERR wrong number of arguments for 'ping' command"},
		{[]string{"echo", "hi"}, `"hi"`},
		{[]string{"select", "16"}, "(error) ERR DB index is out of range"},
		{[]string{"select", "x"}, "(error) ERR value is not an integer or out of range"},
		{[]string{"nosuch", "a", "b"}, "(error) ERR unknown command 'nosuch', with args beginning with: 'a' 'b' "},
		{[]string{"auth", "x"}, "(error) ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"},
		{[]string{"multi"}, "OK"},
		{[]string{"ping"}, "QUEUED"},
		{[]string{"multi"}, "(error) ERR MULTI calls can not be nested"},
		{[]string{"exec"}, "[PONG]"},
		{[]string{"exec"}, "(error) ERR EXEC without MULTI"},
		{[]string{"pubsub", "foo"}, "(error) ERR unknown subcommand 'foo'. Try PUBSUB HELP."},
	}
	for _, tc := range tests {
		if got := te.run(c, tc.args...); got != tc.want {
			t.Errorf("%v = %s, want %s", tc.args, got, tc.want)
		}
	}
	if !strings.Contains(te.do(c, "hello", "3"), "%7") {
		t.Error("HELLO 3 must reply a map")
	}
}
