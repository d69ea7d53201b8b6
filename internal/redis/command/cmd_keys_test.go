package command

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/resp"
)

// ktCase is one step of a table test: a command and its rendered reply.
type ktCase struct {
	args string // space separated
	want string
}

// ktRun runs the steps in order on c.
func ktRun(t *testing.T, te *testEnv, c *Client, cases []ktCase) {
	t.Helper()
	for _, tc := range cases {
		if got := te.run(c, strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.args, got, tc.want)
		}
	}
}

// ktClient3 returns a new registered client using RESP3.
func ktClient3(te *testEnv) *Client {
	c := te.client()
	c.W.Proto = 3
	return c
}

// ktPut stores v under key in database db, as a command would.
func ktPut(te *testEnv, db int, key string, v keyspace.Value) *keyspace.KeyEntry {
	te.e.Mu.Lock()
	defer te.e.Mu.Unlock()
	e := te.e.KS.DBs[db].Set([]byte(key), v, false)
	te.e.KS.Account()
	return e
}

func ktStr(te *testEnv, db int, key, val string) *keyspace.KeyEntry {
	return ktPut(te, db, key, keyspace.NewString([]byte(val)))
}

// ktExpireAt gives key an absolute expiry in ms.
func ktExpireAt(te *testEnv, db int, key string, at int64) {
	te.e.Mu.Lock()
	defer te.e.Mu.Unlock()
	d := te.e.KS.DBs[db]
	d.SetExpire(d.Peek([]byte(key)), at)
}

// ktReply runs a command and returns its parsed reply.
func ktReply(te *testEnv, c *Client, args ...string) resp.Reply {
	te.t.Helper()
	raw := te.do(c, args...)
	r, rest, err := resp.ParseReply([]byte(raw))
	if err != nil || len(rest) != 0 {
		te.t.Fatalf("%v: bad reply %q: %v", args, raw, err)
	}
	return r
}

// ktProp returns the propagated commands since the last call, one string
// per command.
func ktProp(te *testEnv) []string {
	var out []string
	for _, p := range te.prop {
		out = append(out, strings.Join(p, " "))
	}
	te.prop = nil
	return out
}

func ktWantProp(t *testing.T, te *testEnv, want ...string) {
	t.Helper()
	got := ktProp(te)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("propagated %q, want %q", got, want)
	}
}

func TestDelExistsTouchType(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktStr(te, 0, "a", "1")
	ktStr(te, 0, "b", "2")
	ktPut(te, 0, "l", keyspace.NewListOf([][]byte{[]byte("x")}))
	ktPut(te, 0, "s", &ktColl{kind: keyspace.KindSet, elems: ktBytes("x")})
	ktPut(te, 0, "z", &ktColl{kind: keyspace.KindZSet, elems: ktBytes("x")})
	ktPut(te, 0, "h", &ktColl{kind: keyspace.KindHash})
	ktPut(te, 0, "x", &ktColl{kind: keyspace.KindStream})
	ktRun(t, te, c, []ktCase{
		{"EXISTS a a b nokey", ":3"},
		{"EXISTS nokey", ":0"},
		{"EXISTS", "(error) ERR wrong number of arguments for 'exists' command"},
		{"TOUCH a a nokey", ":2"},
		{"TYPE a", "string"},
		{"TYPE l", "list"},
		{"TYPE s", "set"},
		{"TYPE z", "zset"},
		{"TYPE h", "hash"},
		{"TYPE x", "stream"},
		{"TYPE nokey", "none"},
		{"TYPE a b", "(error) ERR wrong number of arguments for 'type' command"},
		{"DBSIZE", ":7"},
		{"DBSIZE x", "(error) ERR wrong number of arguments for 'dbsize' command"},
		{"DEL", "(error) ERR wrong number of arguments for 'del' command"},
		{"DEL a a nokey", ":1"},
		{"UNLINK b l nokey", ":2"},
		{"DEL nokey", ":0"},
		{"EXISTS a b l", ":0"},
		{"DBSIZE", ":4"},
	})
	// Only the commands that deleted something propagate, as typed.
	ktWantProp(t, te, "DEL a a nokey", "UNLINK b l nokey")
}

func TestExistsCountsStatsWithoutTouch(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	e := ktStr(te, 0, "a", "1")
	e.Val.LRU = 7
	hits, misses := te.e.KS.Stats.KeyspaceHits, te.e.KS.Stats.KeyspaceMisses
	ktRun(t, te, c, []ktCase{{"EXISTS a nokey", ":1"}, {"TYPE a", "string"}})
	if e.Val.LRU != 7 {
		t.Errorf("EXISTS/TYPE touched the key: lru %d", e.Val.LRU)
	}
	if te.e.KS.Stats.KeyspaceHits != hits+2 || te.e.KS.Stats.KeyspaceMisses != misses+1 {
		t.Errorf("hits/misses = %d/%d", te.e.KS.Stats.KeyspaceHits-hits, te.e.KS.Stats.KeyspaceMisses-misses)
	}
	ktRun(t, te, c, []ktCase{{"TOUCH a", ":1"}})
	if e.Val.LRU == 7 {
		t.Error("TOUCH must update the access time")
	}
}

// ktSortedArray renders a reply array with its elements sorted, for
// commands whose order follows the hash table.
func ktSortedArray(s string) string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	f := strings.Fields(s)
	sort.Strings(f)
	return "[" + strings.Join(f, " ") + "]"
}

func TestKeys(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	for _, k := range []string{"one", "two", "three", "four", "h\\x", "Hallo", "hello", "hxllo"} {
		ktStr(te, 0, k, "v")
	}
	ktStr(te, 0, "gone", "v")
	ktExpireAt(te, 0, "gone", te.now-1)
	for _, tc := range []struct{ pat, want string }{
		{"*", `["Hallo" "four" "h\\x" "hello" "hxllo" "one" "three" "two"]`},
		{"t*", `["three" "two"]`},
		{"h?llo", `["hello" "hxllo"]`},
		{"h[ae]llo", `["hello"]`},
		{"h[^e]llo", `["hxllo"]`},
		{"*o*", `["Hallo" "four" "hello" "hxllo" "one" "two"]`},
		{"h\\\\x", `["h\\x"]`},
		{"gone", `[]`},
		{"nomatch*", `[]`},
	} {
		if got := ktSortedArray(te.run(c, "KEYS", tc.pat)); got != tc.want {
			t.Errorf("KEYS %s = %s, want %s", tc.pat, got, tc.want)
		}
	}
	// KEYS does not delete the expired key it skips.
	if te.e.KS.DBs[0].Peek([]byte("gone")) == nil {
		t.Error("KEYS deleted an expired key")
	}
	ktRun(t, te, c, []ktCase{{"KEYS", "(error) ERR wrong number of arguments for 'keys' command"}})
}

// ktScanAll runs SCAN to completion with extra arguments and returns the
// keys seen and the number of calls; between calls it runs between(i).
func ktScanAll(t *testing.T, te *testEnv, c *Client, extra []string, between func(i int)) (map[string]int, int) {
	t.Helper()
	seen := map[string]int{}
	cursor := "0"
	for calls := 1; ; calls++ {
		r := ktReply(te, c, append([]string{"SCAN", cursor}, extra...)...)
		if len(r.Elems) != 2 {
			t.Fatalf("SCAN reply %s", r.String())
		}
		cursor = string(r.Elems[0].Str)
		for _, k := range r.Elems[1].Elems {
			seen[string(k.Str)]++
		}
		if cursor == "0" || calls > 100000 {
			return seen, calls
		}
		if between != nil {
			between(calls)
		}
	}
}

func TestScanBasic(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	for i := 0; i < 100; i++ {
		ktStr(te, 0, fmt.Sprintf("key:%d", i), "v")
	}
	ktPut(te, 0, "list", keyspace.NewListOf(ktBytes("a")))
	seen, calls := ktScanAll(t, te, c, []string{"COUNT", "7"}, nil)
	if len(seen) != 101 || calls < 2 {
		t.Fatalf("SCAN COUNT 7 saw %d keys in %d calls", len(seen), calls)
	}
	seen, _ = ktScanAll(t, te, c, []string{"MATCH", "key:1*"}, nil)
	if len(seen) != 11 {
		t.Errorf("MATCH key:1* saw %d keys: %v", len(seen), seen)
	}
	seen, _ = ktScanAll(t, te, c, []string{"TYPE", "LIST", "COUNT", "1000"}, nil)
	if len(seen) != 1 || seen["list"] != 1 {
		t.Errorf("TYPE list saw %v", seen)
	}
	seen, _ = ktScanAll(t, te, c, []string{"TYPE", "nosuchtype"}, nil)
	if len(seen) != 0 {
		t.Errorf("TYPE nosuchtype saw %v", seen)
	}
	ktRun(t, te, c, []ktCase{
		{"SCAN x", "(error) ERR invalid cursor"},
		{"SCAN 0 COUNT 0", "(error) ERR syntax error"},
		{"SCAN 0 COUNT x", "(error) ERR value is not an integer or out of range"},
		{"SCAN 0 TYPE", "(error) ERR syntax error"},
		{"SCAN 0 FOO bar", "(error) ERR syntax error"},
		{"SCAN", "(error) ERR wrong number of arguments for 'scan' command"},
	})
	c3 := ktClient3(te)
	te.run(c3, "FLUSHDB")
	ktRun(t, te, c3, []ktCase{{"SCAN 0", `["0" []]`}})
}

func TestScanSkipsExpired(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktStr(te, 0, "live", "v")
	ktStr(te, 0, "dead", "v")
	ktExpireAt(te, 0, "dead", te.now+1000)
	te.now += 1000
	seen, _ := ktScanAll(t, te, c, nil, nil)
	if len(seen) != 1 || seen["live"] != 1 {
		t.Errorf("SCAN saw %v", seen)
	}
	if te.e.KS.DBs[0].Peek([]byte("dead")) != nil {
		t.Error("SCAN must delete the expired key it meets")
	}
	ktWantProp(t, te, "DEL dead")
}

// TestScanAcrossResize checks SCAN's guarantee: a key present for the
// whole scan is returned, while the table grows (and rehashes) or shrinks
// between calls.
func TestScanAcrossResize(t *testing.T) {
	for _, mode := range []string{"grow", "shrink"} {
		t.Run(mode, func(t *testing.T) {
			te := newTestEnv(t)
			c := te.client()
			orig := map[string]bool{}
			for i := 0; i < 200; i++ {
				k := fmt.Sprintf("orig:%d", i)
				orig[k] = true
				ktStr(te, 0, k, "v")
			}
			if mode == "shrink" {
				for i := 0; i < 5000; i++ {
					ktStr(te, 0, fmt.Sprintf("tmp:%d", i), "v")
				}
			}
			next := 0
			sizes := map[int]bool{}
			seen, calls := ktScanAll(t, te, c, []string{"COUNT", "5"}, func(int) {
				te.e.Mu.Lock()
				defer te.e.Mu.Unlock()
				db := te.e.KS.DBs[0]
				sizes[db.Dict().Buckets()] = true
				for j := 0; j < 150 && next < 5000; j++ {
					if mode == "grow" {
						db.Set([]byte(fmt.Sprintf("new:%d", next)), keyspace.NewString([]byte("v")), false)
					} else {
						db.Delete([]byte(fmt.Sprintf("tmp:%d", next)))
					}
					next++
				}
				te.e.KS.Account()
			})
			for k := range orig {
				if seen[k] == 0 {
					t.Errorf("SCAN missed %s (%d calls)", k, calls)
				}
			}
			if len(sizes) < 3 {
				t.Errorf("table sizes seen mid-scan %v (%d calls): no resize to test", sizes, calls)
			}
		})
	}
}

func TestRandomKey(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	c3 := ktClient3(te)
	if got := te.do(c, "RANDOMKEY"); got != "$-1\r\n" {
		t.Errorf("RESP2 empty RANDOMKEY = %q", got)
	}
	if got := te.do(c3, "RANDOMKEY"); got != "_\r\n" {
		t.Errorf("RESP3 empty RANDOMKEY = %q", got)
	}
	ktStr(te, 0, "dead", "v")
	ktExpireAt(te, 0, "dead", te.now-1)
	ktRun(t, te, c, []ktCase{{"RANDOMKEY", "nil"}})
	ktStr(te, 0, "k", "v")
	ktStr(te, 0, "dead", "v")
	ktExpireAt(te, 0, "dead", te.now-1)
	for i := 0; i < 20; i++ {
		ktRun(t, te, c, []ktCase{{"RANDOMKEY", `"k"`}})
	}
	ktRun(t, te, c, []ktCase{{"RANDOMKEY x", "(error) ERR wrong number of arguments for 'randomkey' command"}})
}

func TestRename(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktStr(te, 0, "a", "va")
	ktStr(te, 0, "b", "vb")
	ktExpireAt(te, 0, "a", te.now+5000)
	ktRun(t, te, c, []ktCase{
		{"RENAME nokey x", "(error) ERR no such key"},
		{"RENAMENX nokey x", "(error) ERR no such key"},
		{"RENAME a a", "OK"},
		{"RENAMENX a a", ":0"},
		{"RENAMENX a b", ":0"},
		{"RENAME a b", "OK"},
		{"EXISTS a", ":0"},
		{"PTTL b", ":5000"},
		{"RENAMENX b c", ":1"},
		{"PTTL c", ":5000"},
		{"RENAME c", "(error) ERR wrong number of arguments for 'rename' command"},
	})
	ktWantProp(t, te, "RENAME a b", "RENAMENX b c")
	e := te.e.KS.DBs[0].Peek([]byte("c"))
	if s := e.Val.Val.(*keyspace.String); string(s.B) != "va" {
		t.Errorf("c = %q", s.B)
	}
	// An expired source is missing.
	ktStr(te, 0, "old", "v")
	ktExpireAt(te, 0, "old", te.now-1)
	ktRun(t, te, c, []ktCase{{"RENAME old x", "(error) ERR no such key"}})
}

func TestRenameBreaksWatch(t *testing.T) {
	te := newTestEnv(t)
	c, w := te.client(), te.client()
	ktStr(te, 0, "a", "1")
	ktRun(t, te, w, []ktCase{{"WATCH dst", "OK"}, {"MULTI", "OK"}, {"PING", "QUEUED"}})
	ktRun(t, te, c, []ktCase{{"RENAME a dst", "OK"}})
	ktRun(t, te, w, []ktCase{{"EXEC", "nil"}})
}

func TestMove(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktStr(te, 0, "a", "va")
	ktExpireAt(te, 0, "a", te.now+3000)
	ktStr(te, 0, "b", "vb")
	ktStr(te, 1, "b", "other")
	ktRun(t, te, c, []ktCase{
		{"MOVE a 0", "(error) ERR source and destination objects are the same"},
		{"MOVE a 16", "(error) ERR DB index is out of range"},
		{"MOVE a -1", "(error) ERR DB index is out of range"},
		{"MOVE a x", "(error) ERR value is not an integer or out of range"},
		{"MOVE a 4294967296", "(error) ERR value is out of range, value must between -2147483648 and 2147483647"},
		{"MOVE a -2147483649", "(error) ERR value is out of range, value must between -2147483648 and 2147483647"},
		{"MOVE nokey 1", ":0"},
		{"MOVE b 1", ":0"},
		{"MOVE a 1", ":1"},
		{"EXISTS a", ":0"},
		{"SELECT 1", "OK"},
		{"PTTL a", ":3000"},
		{"TYPE a", "string"},
	})
	ktWantProp(t, te, "MOVE a 1")
}

func TestCopy(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	src := ktPut(te, 0, "l", keyspace.NewListOf(ktBytes("x", "y")))
	ktExpireAt(te, 0, "l", te.now+9000)
	ktStr(te, 0, "s", "v")
	ktRun(t, te, c, []ktCase{
		{"COPY l l", "(error) ERR source and destination objects are the same"},
		{"COPY l l DB 0", "(error) ERR source and destination objects are the same"},
		{"COPY l x DB 16", "(error) ERR DB index is out of range"},
		{"COPY l x DB x", "(error) ERR value is not an integer or out of range"},
		{"COPY l x DB 2147483648", "(error) ERR value is out of range, value must between -2147483648 and 2147483647"},
		{"COPY l x FOO", "(error) ERR syntax error"},
		{"COPY l x DB", "(error) ERR syntax error"},
		{"COPY nokey x", ":0"},
		{"COPY l s", ":0"},
		{"COPY l s REPLACE", ":1"},
		{"TYPE s", "list"},
		{"PTTL s", ":9000"},
		{"COPY l l DB 1", ":1"},
		{"COPY", "(error) ERR wrong number of arguments for 'copy' command"},
	})
	ktWantProp(t, te, "COPY l s REPLACE", "COPY l l DB 1")
	cp := te.e.KS.DBs[1].Peek([]byte("l"))
	if cp == nil || cp.Val.Expire != te.now+9000 {
		t.Fatalf("copy in db 1: %+v", cp)
	}
	// The copy is independent of the source.
	cp.Val.Val.(*keyspace.List).PushBack([]byte("z"))
	if n := src.Val.Val.(*keyspace.List).Len(); n != 2 {
		t.Errorf("source changed with its copy: len %d", n)
	}
}

func TestFlush(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktRun(t, te, c, []ktCase{
		{"FLUSHDB", "OK"},
		{"FLUSHDB ASYNC", "OK"},
		{"FLUSHDB sync", "OK"},
		{"FLUSHDB foo", "(error) ERR syntax error"},
		{"FLUSHDB async sync", "(error) ERR syntax error"},
		{"FLUSHALL foo", "(error) ERR syntax error"},
	})
	// FLUSHDB propagates even on an empty database, without counting a
	// change.
	ktWantProp(t, te, "FLUSHDB", "FLUSHDB ASYNC", "FLUSHDB sync")
	if te.e.Dirty != 0 {
		t.Errorf("dirty = %d after flushing empty databases", te.e.Dirty)
	}
	ktStr(te, 0, "a", "1")
	ktStr(te, 0, "b", "1")
	ktStr(te, 1, "c", "1")
	ktRun(t, te, c, []ktCase{{"FLUSHDB", "OK"}, {"DBSIZE", ":0"}, {"SELECT 1", "OK"}, {"DBSIZE", ":1"}})
	if te.e.Dirty != 2 {
		t.Errorf("dirty = %d, want 2", te.e.Dirty)
	}
	ktRun(t, te, c, []ktCase{{"FLUSHALL ASYNC", "OK"}, {"DBSIZE", ":0"}, {"FLUSHALL", "OK"}})
	if te.e.Dirty != 2+2+1 {
		t.Errorf("dirty = %d, want 5", te.e.Dirty)
	}
	ktWantProp(t, te, "FLUSHDB", "FLUSHALL ASYNC", "FLUSHALL")
}

func TestFlushBreaksWatch(t *testing.T) {
	for _, cmd := range []string{"FLUSHDB", "FLUSHALL"} {
		te := newTestEnv(t)
		c, w, idle := te.client(), te.client(), te.client()
		ktStr(te, 0, "a", "1")
		ktRun(t, te, w, []ktCase{{"WATCH a", "OK"}, {"MULTI", "OK"}, {"PING", "QUEUED"}})
		// Watching a key that does not exist survives the flush.
		ktRun(t, te, idle, []ktCase{{"WATCH nokey", "OK"}, {"MULTI", "OK"}, {"PING", "QUEUED"}})
		ktRun(t, te, c, []ktCase{{cmd, "OK"}})
		ktRun(t, te, w, []ktCase{{"EXEC", "nil"}})
		ktRun(t, te, idle, []ktCase{{"EXEC", "[PONG]"}})
	}
}

func TestSwapDB(t *testing.T) {
	te := newTestEnv(t)
	c, w := te.client(), te.client()
	ktStr(te, 0, "a", "zero")
	ktStr(te, 1, "b", "one")
	ktRun(t, te, w, []ktCase{{"SELECT 1", "OK"}, {"WATCH a", "OK"}, {"MULTI", "OK"}, {"PING", "QUEUED"}})
	ktRun(t, te, c, []ktCase{
		{"SWAPDB x 0", "(error) ERR invalid first DB index"},
		{"SWAPDB 0 x", "(error) ERR invalid second DB index"},
		{"SWAPDB 0 4294967296", "(error) ERR invalid second DB index"},
		{"SWAPDB 0 16", "(error) ERR DB index is out of range"},
		{"SWAPDB -1 0", "(error) ERR DB index is out of range"},
		{"SWAPDB 0 0", "OK"},
		{"SWAPDB 0 1", "OK"},
		{"EXISTS a", ":0"},
		{"TYPE b", "string"},
		{"SWAPDB 0", "(error) ERR wrong number of arguments for 'swapdb' command"},
	})
	// a now exists in db 1, which w watched empty: the WATCH breaks.
	ktRun(t, te, w, []ktCase{{"EXEC", "nil"}})
	ktWantProp(t, te, "SWAPDB 0 0", "SWAPDB 0 1")
	if te.e.Dirty != 2 {
		t.Errorf("dirty = %d", te.e.Dirty)
	}
}

// TestSwapDBWakesBlocked: a client blocked on a key of a database that
// receives that key through SWAPDB is served.
func TestSwapDBWakesBlocked(t *testing.T) {
	te := newTestEnv(t)
	if te.e.Table.Lookup([]byte("blpop")) == nil {
		t.Skip("BLPOP not registered")
	}
	b, c := te.client(), te.client()
	if got := te.do(b, "BLPOP", "q", "0"); got != "" {
		t.Fatalf("BLPOP replied %q instead of blocking", got)
	}
	ktPut(te, 1, "q", keyspace.NewListOf(ktBytes("job")))
	ktRun(t, te, c, []ktCase{{"SWAPDB 0 1", "OK"}})
	if got := string(b.W.Buf); got != "*2\r\n$1\r\nq\r\n$3\r\njob\r\n" {
		t.Errorf("blocked client got %q", got)
	}
}

func TestKeysCommandTable(t *testing.T) {
	te := newTestEnv(t)
	for _, tc := range []struct {
		name  string
		arity int
		flags Flag
		keys  KeySpec
	}{
		{"del", -2, Write, KeySpec{1, -1, 1}},
		{"unlink", -2, Write | Fast, KeySpec{1, -1, 1}},
		{"exists", -2, ReadOnly | Fast, KeySpec{1, -1, 1}},
		{"type", 2, ReadOnly | Fast, KeySpec{1, 1, 1}},
		{"keys", 2, ReadOnly, KeySpec{}},
		{"scan", -2, ReadOnly, KeySpec{}},
		{"randomkey", 1, ReadOnly, KeySpec{}},
		{"rename", 3, Write, KeySpec{1, 2, 1}},
		{"renamenx", 3, Write | Fast, KeySpec{1, 2, 1}},
		{"move", 3, Write | Fast, KeySpec{1, 1, 1}},
		{"copy", -3, Write | DenyOOM, KeySpec{1, 2, 1}},
		{"touch", -2, ReadOnly | Fast, KeySpec{1, -1, 1}},
		{"dbsize", 1, ReadOnly | Fast, KeySpec{}},
		{"flushdb", -1, Write, KeySpec{}},
		{"flushall", -1, Write, KeySpec{}},
		{"swapdb", 3, Write | Fast, KeySpec{}},
		{"expire", -3, Write | Fast, KeySpec{1, 1, 1}},
		{"pexpireat", -3, Write | Fast, KeySpec{1, 1, 1}},
		{"ttl", 2, ReadOnly | Fast, KeySpec{1, 1, 1}},
		{"pexpiretime", 2, ReadOnly | Fast, KeySpec{1, 1, 1}},
		{"persist", 2, Write | Fast, KeySpec{1, 1, 1}},
		{"sort", -2, Write | DenyOOM, KeySpec{1, 1, 1}},
		{"sort_ro", -2, ReadOnly, KeySpec{1, 1, 1}},
	} {
		cmd := te.e.Table.Lookup([]byte(tc.name))
		if cmd == nil {
			t.Errorf("%s not registered", tc.name)
			continue
		}
		if cmd.Arity != tc.arity || cmd.Flags != tc.flags || cmd.Keys != tc.keys {
			t.Errorf("%s: arity %d flags %v keys %v", tc.name, cmd.Arity, cmd.Flags.Names(), cmd.Keys)
		}
	}
}
