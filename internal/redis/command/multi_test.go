package command

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestMultiExec(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktRun(t, te, c, []ktCase{
		{"EXEC", "(error) " + ErrExecWithoutMulti},
		{"DISCARD", "(error) " + ErrDiscardNoMulti},
		{"MULTI", "OK"},
		{"MULTI", "(error) " + ErrMultiNested},
		{"WATCH k", "(error) " + ErrWatchInMulti},
		{"SET k 1", "QUEUED"},
		{"INCR k", "QUEUED"},
		{"LPUSH k x", "QUEUED"},
		{"EXEC", "[OK :2 (error) " + ErrWrongType + "]"},
		{"MULTI", "OK"},
		{"SET k 1", "QUEUED"},
		{"NOSUCH", "(error) ERR unknown command 'NOSUCH', with args beginning with: "},
		{"EXEC", "(error) " + ErrExecAbort},
		{"EXEC", "(error) " + ErrExecWithoutMulti},
		{"GET k", `"2"`},
	})
}

func TestWatch(t *testing.T) {
	te := newTestEnv(t)
	c, other := te.client(), te.client()
	ktRun(t, te, c, []ktCase{{"WATCH k", "OK"}})
	ktRun(t, te, other, []ktCase{{"SET k 1", "OK"}})
	ktRun(t, te, c, []ktCase{
		{"MULTI", "OK"},
		{"GET k", "QUEUED"},
		{"EXEC", "nil"},
		// EXEC unwatched the key.
		{"MULTI", "OK"},
		{"GET k", "QUEUED"},
		{"EXEC", `["1"]`},
		{"WATCH k", "OK"},
		{"UNWATCH", "OK"},
	})
	ktRun(t, te, other, []ktCase{{"SET k 2", "OK"}})
	ktRun(t, te, c, []ktCase{
		{"MULTI", "OK"},
		{"GET k", "QUEUED"},
		{"EXEC", `["2"]`},
	})
	c3 := ktClient3(te)
	ktRun(t, te, c3, []ktCase{{"WATCH k", "OK"}})
	ktRun(t, te, other, []ktCase{{"DEL k", ":1"}})
	ktRun(t, te, c3, []ktCase{{"MULTI", "OK"}})
	if got := te.do(c3, "EXEC"); got != "_\r\n" {
		t.Errorf("RESP3 aborted EXEC = %q", got)
	}
}

// A refused EXEC discards the transaction and its watches, and names the
// reason without the generic ERR prefix (Redis's execCommandAbort).
func TestExecCommandAbort(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktRun(t, te, c, []ktCase{
		{"WATCH w", "OK"},
		{"MULTI", "OK"},
		{"SET k v", "QUEUED"},
	})
	for _, tc := range []struct{ reason, want string }{
		{"ERR wrong number of arguments for 'exec' command", "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"},
		{ErrNoAuth, "-EXECABORT Transaction discarded because of: " + ErrNoAuth + "\r\n"},
	} {
		start := len(c.W.Buf)
		c.execCommandAbort(tc.reason)
		if got := string(c.W.Buf[start:]); got != tc.want {
			t.Errorf("abort(%q) = %q, want %q", tc.reason, got, tc.want)
		}
		c.W.Buf = c.W.Buf[:start]
		if c.InMulti() || len(c.watched) != 0 || len(te.e.watched) != 0 {
			t.Errorf("abort(%q) left the transaction or watches", tc.reason)
		}
	}
	ktRun(t, te, c, []ktCase{{"GET k", "nil"}, {"EXEC", "(error) " + ErrExecWithoutMulti}})
}

// The copies of propagated arguments share reused memory: a transaction
// whose copies outgrow it, and the writes after it, still propagate
// byte for byte.
func TestPropagationCopies(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	var want [][]string
	te.do(c, "MULTI")
	want = append(want, []string{"MULTI"})
	for i := range 40 {
		k, v := fmt.Sprintf("k%d", i), strings.Repeat(string(rune('a'+i%26)), 100*i)
		te.do(c, "SET", k, v)
		want = append(want, []string{"SET", k, v})
	}
	te.do(c, "EXEC")
	want = append(want, []string{"EXEC"})
	for i := range 5 {
		k, v := fmt.Sprintf("after%d", i), strings.Repeat("z", i)
		te.do(c, "SET", k, v)
		want = append(want, []string{"SET", k, v})
	}
	if !reflect.DeepEqual(te.prop, want) {
		t.Fatalf("propagated %d commands, want %d; first difference:\n%s", len(te.prop), len(want), firstDiff(te.prop, want))
	}
}

func firstDiff(got, want [][]string) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("#%d: got %.80q, want %.80q", i, got[i], want[i])
		}
	}
	return "one is a prefix of the other"
}
