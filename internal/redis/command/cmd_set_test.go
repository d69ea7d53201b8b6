package command

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

// setScripts hold replies of redis-server 7.0.15 (see replyScript). Only
// deterministic replies are here: intsets in ascending order, results that
// Redis builds as intsets, single-member hashtables.
var setScripts = []replyScript{
	{name: "intset-basics", proto: 2, steps: []scriptStep{
		{"SADD s 3 1 2", ":3"},
		{"SADD s 2 5 -7", ":2"},
		{"SMEMBERS s", "[\"-7\" \"1\" \"2\" \"3\" \"5\"]"},
		{"SCARD s", ":5"},
		{"ENC s", "\"intset\""},
		{"SISMEMBER s 5", ":1"},
		{"SISMEMBER s 4", ":0"},
		{"SISMEMBER s x", ":0"},
		{"SISMEMBER s 05", ":0"},
		{"SISMEMBER nokey 5", ":0"},
		{"SMISMEMBER s 1 4 x 5", "[:1 :0 :0 :1]"},
		{"SMISMEMBER nokey a b", "[:0 :0]"},
		{"SREM s 1 4 x", ":1"},
		{"SMEMBERS s", "[\"-7\" \"2\" \"3\" \"5\"]"},
		{"SREM nokey 1", ":0"},
		{"SADD s x", ":1"},
		{"ENC s", "\"hashtable\""},
		{"SCARD s", ":5"},
		{"SREM s 2 3 5 -7 x 9", ":5"},
		{"HAS s", ":0"},
		{"SMEMBERS nokey", "[]"},
		{"SCARD nokey", ":0"},
		{"SADD s 9223372036854775807 -9223372036854775808 0", ":3"},
		{"SMEMBERS s", "[\"-9223372036854775808\" \"0\" \"9223372036854775807\"]"},
		{"ENC s", "\"intset\""},
	}},
	{name: "member-forms", proto: 2, steps: []scriptStep{
		{"SADD a -0", ":1"},
		{"ENC a", "\"hashtable\""},
		{"SADD b 007", ":1"},
		{"ENC b", "\"hashtable\""},
		{"SADD c 9223372036854775808", ":1"},
		{"ENC c", "\"hashtable\""},
		{"SADD d +1", ":1"},
		{"ENC d", "\"hashtable\""},
		{"SADD e \" 1\"", ":1"},
		{"ENC e", "\"hashtable\""},
		{"SADD f 1 a", ":2"},
		{"ENC f", "\"hashtable\""},
		{"SADD g a 1", ":2"},
		{"ENC g", "\"hashtable\""},
		{"SADD h \"\"", ":1"},
		{"ENC h", "\"hashtable\""},
		{"SMEMBERS h", "[\"\"]"},
		{"SISMEMBER h \"\"", ":1"},
	}},
	{name: "resp3", proto: 3, steps: []scriptStep{
		{"SADD s 3 1 2", ":3"},
		{"SMEMBERS s", "~[\"1\" \"2\" \"3\"]"},
		{"SMEMBERS nokey", "~[]"},
		{"SINTER s nokey", "~[]"},
		{"SUNION s nokey", "~[\"1\" \"2\" \"3\"]"},
		{"SDIFF s nokey", "~[\"1\" \"2\" \"3\"]"},
		{"SDIFF nokey s", "~[]"},
		{"SINTER s s", "~[\"1\" \"2\" \"3\"]"},
		{"SRANDMEMBER s 5", "[\"1\" \"2\" \"3\"]"},
		{"SRANDMEMBER s 0", "[]"},
		{"SRANDMEMBER nokey 5", "[]"},
		{"SRANDMEMBER nokey", "nil"},
		{"SPOP nokey", "nil"},
		{"SPOP nokey 2", "~[]"},
		{"SPOP s 0", "~[]"},
		{"SSCAN s 0", "[\"0\" [\"1\" \"2\" \"3\"]]"},
		{"SMISMEMBER s 1 9", "[:1 :0]"},
		{"SISMEMBER s 1", ":1"},
		{"SPOP s 3", "~[\"1\" \"2\" \"3\"]"},
		{"HAS s", ":0"},
	}},
	{name: "errors", proto: 2, steps: []scriptStep{
		{"MKLIST l", ":1"},
		{"SADD l 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SREM l 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SMOVE l s 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SISMEMBER l 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SMISMEMBER l 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SCARD l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SPOP l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SPOP l 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SRANDMEMBER l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SRANDMEMBER l 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SMEMBERS l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SINTER nokey l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SINTER l nokey", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SUNION nokey l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SDIFF nokey l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SINTERSTORE d nokey l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SUNIONSTORE d nokey l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SDIFFSTORE d nokey l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SINTERCARD 2 nokey l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SSCAN l 0", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SADD s", "(error) ERR wrong number of arguments for 'sadd' command"},
		{"SREM s", "(error) ERR wrong number of arguments for 'srem' command"},
		{"SMOVE s d", "(error) ERR wrong number of arguments for 'smove' command"},
		{"SISMEMBER s", "(error) ERR wrong number of arguments for 'sismember' command"},
		{"SMISMEMBER s", "(error) ERR wrong number of arguments for 'smismember' command"},
		{"SCARD", "(error) ERR wrong number of arguments for 'scard' command"},
		{"SMEMBERS s x", "(error) ERR wrong number of arguments for 'smembers' command"},
		{"SINTER", "(error) ERR wrong number of arguments for 'sinter' command"},
		{"SINTERSTORE d", "(error) ERR wrong number of arguments for 'sinterstore' command"},
		{"SINTERCARD 1", "(error) ERR wrong number of arguments for 'sintercard' command"},
		{"SSCAN s", "(error) ERR wrong number of arguments for 'sscan' command"},
		{"SPOP s 1 2", "(error) ERR syntax error"},
		{"SRANDMEMBER s 1 2", "(error) ERR syntax error"},
		{"SPOP s -1", "(error) ERR value is out of range, must be positive"},
		{"SPOP s x", "(error) ERR value is out of range, must be positive"},
		{"SPOP nokey -1", "(error) ERR value is out of range, must be positive"},
		{"SRANDMEMBER s x", "(error) ERR value is not an integer or out of range"},
		{"SRANDMEMBER nokey x", "(error) ERR value is not an integer or out of range"},
		{"SRANDMEMBER s -9223372036854775808", "(error) ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
		{"SRANDMEMBER nokey -9223372036854775808", "(error) ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
	}},
	{name: "smove", proto: 2, steps: []scriptStep{
		{"SADD a 1 2 3", ":3"},
		{"SMOVE a b 2", ":1"},
		{"SMEMBERS a", "[\"1\" \"3\"]"},
		{"SMEMBERS b", "[\"2\"]"},
		{"ENC b", "\"intset\""},
		{"SMOVE a b 9", ":0"},
		{"SMOVE nokey b 1", ":0"},
		{"SMOVE a a 1", ":1"},
		{"SMOVE a a 9", ":0"},
		{"SADD c x", ":1"},
		{"SMOVE a c 1", ":1"},
		{"ENC c", "\"hashtable\""},
		{"SISMEMBER c 1", ":1"},
		{"SMOVE c b 1", ":1"},
		{"SMEMBERS b", "[\"1\" \"2\"]"},
		{"SMOVE a b 3", ":1"},
		{"HAS a", ":0"},
		{"SMEMBERS b", "[\"1\" \"2\" \"3\"]"},
		{"MKLIST l", ":1"},
		{"SMOVE nokey l 1", ":0"},
		{"SMOVE b l 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SMOVE l b 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SMEMBERS b", "[\"1\" \"2\" \"3\"]"},
		{"SADD e y", ":1"},
		{"SMOVE e f y", ":1"},
		{"ENC f", "\"hashtable\""},
		{"SMEMBERS f", "[\"y\"]"},
	}},
	{name: "algebra", proto: 2, steps: []scriptStep{
		{"SADD a 1 2 3 4 5", ":5"},
		{"SADD b 4 5 6 7", ":4"},
		{"SADD c 5 6 7 8 1", ":5"},
		{"SINTER a b", "[\"4\" \"5\"]"},
		{"SINTER a b c", "[\"5\"]"},
		{"SINTER b a", "[\"4\" \"5\"]"},
		{"SINTER a a", "[\"1\" \"2\" \"3\" \"4\" \"5\"]"},
		{"SINTER a nokey", "[]"},
		{"SUNION a b", "[\"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\"]"},
		{"SUNION a b c nokey", "[\"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" \"8\"]"},
		{"SDIFF a b", "[\"1\" \"2\" \"3\"]"},
		{"SDIFF a b c", "[\"2\" \"3\"]"},
		{"SDIFF a nokey", "[\"1\" \"2\" \"3\" \"4\" \"5\"]"},
		{"SDIFF a a", "[]"},
		{"SDIFF a b a", "[]"},
		{"SDIFF nokey a", "[]"},
		{"SINTERCARD 1 a", ":5"},
		{"SINTERCARD 2 a b", ":2"},
		{"SINTERCARD 2 a b LIMIT 1", ":1"},
		{"SINTERCARD 2 a b LIMIT 0", ":2"},
		{"SINTERCARD 2 a b limit 5", ":2"},
		{"SINTERCARD 3 a b c", ":1"},
		{"SINTERCARD 2 a nokey", ":0"},
		{"SINTERCARD 0 a", "(error) ERR numkeys should be greater than 0"},
		{"SINTERCARD -1 a", "(error) ERR numkeys should be greater than 0"},
		{"SINTERCARD x a", "(error) ERR numkeys should be greater than 0"},
		{"SINTERCARD 3 a b", "(error) ERR Number of keys can't be greater than number of args"},
		{"SINTERCARD 2 a b LIMIT -1", "(error) ERR LIMIT can't be negative"},
		{"SINTERCARD 2 a b LIMIT x", "(error) ERR LIMIT can't be negative"},
		{"SINTERCARD 2 a b LIMIT", "(error) ERR syntax error"},
		{"SINTERCARD 2 a b foo", "(error) ERR syntax error"},
		{"SINTERCARD 1 a LIMIT 1 LIMIT 2", ":2"},
		{"SINTERCARD 9223372036854775807 a", "(error) ERR Number of keys can't be greater than number of args"},
	}},
	{name: "store", proto: 2, steps: []scriptStep{
		{"SADD a 1 2 3 4 5", ":5"},
		{"SADD b 4 5 6 x", ":4"},
		{"SINTERSTORE d a b", ":2"},
		{"SMEMBERS d", "[\"4\" \"5\"]"},
		{"ENC d", "\"intset\""},
		{"SUNIONSTORE u a b", ":7"},
		{"SCARD u", ":7"},
		{"ENC u", "\"hashtable\""},
		{"SDIFFSTORE f a b", ":3"},
		{"SMEMBERS f", "[\"1\" \"2\" \"3\"]"},
		{"ENC f", "\"intset\""},
		{"SDIFFSTORE f b a", ":2"},
		{"SMISMEMBER f x 6 4", "[:1 :1 :0]"},
		{"ENC f", "\"hashtable\""},
		{"SINTERSTORE d a nokey", ":0"},
		{"HAS d", ":0"},
		{"SINTERSTORE d a nokey", ":0"},
		{"SET str x", "OK"},
		{"SUNIONSTORE str a", ":5"},
		{"SMEMBERS str", "[\"1\" \"2\" \"3\" \"4\" \"5\"]"},
		{"SDIFFSTORE str a a", ":0"},
		{"HAS str", ":0"},
		{"SADD big 1", ":1"},
		{"SINTERSTORE a a b", ":2"},
		{"SMEMBERS a", "[\"4\" \"5\"]"},
		{"SUNIONSTORE a nokey", ":0"},
		{"HAS a", ":0"},
		{"SUNIONSTORE n1 n2 n3", ":0"},
		{"HAS n1", ":0"},
	}},
	{name: "sscan", proto: 2, steps: []scriptStep{
		{"SADD s 5 1 3", ":3"},
		{"SSCAN s 0", "[\"0\" [\"1\" \"3\" \"5\"]]"},
		{"SSCAN s 7 COUNT 1", "[\"0\" [\"1\" \"3\" \"5\"]]"},
		{"SSCAN s 0 MATCH 1*", "[\"0\" [\"1\"]]"},
		{"SSCAN s 0 MATCH", "(error) ERR syntax error"},
		{"SSCAN s 0 COUNT 0", "(error) ERR syntax error"},
		{"SSCAN s 0 TYPE set", "(error) ERR syntax error"},
		{"SSCAN s x", "(error) ERR invalid cursor"},
		{"SSCAN nokey 0", "[\"0\" []]"},
		{"SSCAN nokey 0 COUNT x", "[\"0\" []]"},
		{"SSCAN nokey x", "(error) ERR invalid cursor"},
		{"SADD h a b", ":2"},
		{"SSCAN h 0 MATCH a", "[\"0\" [\"a\"]]"},
	}},
}

func TestSetScripts(t *testing.T)        { runReplyScripts(t, setScripts) }
func TestSetScriptsOnRedis(t *testing.T) { runReplyScriptsOnRedis(t, setScripts) }

// setContent renders a set as its sorted members, for hashtable sets
// whose order is the table's.
func setContent(c *Client, key string) string {
	e := c.DB.LookupReadNoTouch([]byte(key))
	if e == nil {
		return ""
	}
	m := make([]string, 0)
	for _, b := range e.Val.Val.(*keyspace.Set).Elements() {
		m = append(m, string(b))
	}
	sort.Strings(m)
	return strings.Join(m, ",")
}

// replyMembersSorted renders an array or set reply's elements sorted.
func replyMembersSorted(t *testing.T, raw string) string {
	t.Helper()
	v, _, err := parseReplyString(raw)
	if err != nil {
		t.Fatal(err)
	}
	var m []string
	for _, e := range v.Elems {
		m = append(m, string(e.Str))
	}
	sort.Strings(m)
	return strings.Join(m, ",")
}

func saddRange(te *testEnv, c *Client, key string, from, to int) {
	args := []string{"SADD", key}
	for i := from; i <= to; i++ {
		args = append(args, strconv.Itoa(i))
	}
	te.run(c, args...)
}

// The intset limit is read at each insertion of a new member; conversion
// never goes back.
func TestSetEncodingThresholds(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	saddRange(te, c, "s", 1, 512)
	wantEncoding(t, c, "s", "intset", "512 integers")
	te.run(c, "SADD", "s", "513")
	wantEncoding(t, c, "s", "hashtable", "513 integers")
	for i := 1; i <= 510; i++ {
		te.run(c, "SREM", "s", strconv.Itoa(i))
	}
	wantEncoding(t, c, "s", "hashtable", "shrunk")
	if got := setContent(c, "s"); got != "511,512,513" {
		t.Fatalf("shrunk content %q", got)
	}

	saddRange(te, c, "t", 1, 3)
	te.e.Cfg.SetMaxIntsetEntries = 2
	if got := te.run(c, "SADD", "t", "1"); got != ":0" || encodingOf(c, "t") != "intset" {
		t.Errorf("SADD existing member under a lowered limit: %s %s", got, encodingOf(c, "t"))
	}
	te.run(c, "SADD", "t", "4")
	wantEncoding(t, c, "t", "hashtable", "new member under a lowered limit")
	saddRange(te, c, "two", 1, 2)
	wantEncoding(t, c, "two", "intset", "2 members with limit 2")
	te.e.Cfg.SetMaxIntsetEntries = 0
	te.run(c, "SADD", "zero", "1")
	wantEncoding(t, c, "zero", "hashtable", "limit 0")
}

// A union or difference is built in a new intset, so its order is
// ascending whenever the result is all integers within the limit, even
// from hashtable sources; an intersection follows its smallest source.
func TestSetAlgebraOrder(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	saddRange(te, c, "u", 1, 600)
	for i := 1; i <= 595; i++ {
		te.run(c, "SREM", "u", strconv.Itoa(i))
	}
	if enc := encodingOf(c, "u"); enc != "hashtable" {
		t.Fatalf("encoding %s", enc)
	}
	want := `["596" "597" "598" "599" "600"]`
	if got := te.run(c, "SUNION", "u"); got != want {
		t.Errorf("SUNION u = %s, want %s", got, want)
	}
	if got := te.run(c, "SDIFF", "u", "nokey"); got != want {
		t.Errorf("SDIFF u nokey = %s, want %s", got, want)
	}
	te.run(c, "SUNIONSTORE", "d", "u")
	wantEncoding(t, c, "d", "intset", "SUNIONSTORE of integers")
	te.run(c, "SINTERSTORE", "i", "u", "u")
	wantEncoding(t, c, "i", "intset", "SINTERSTORE of integers")
	if got := replyMembersSorted(t, te.do(c, "SMEMBERS", "u")); got != "596,597,598,599,600" {
		t.Errorf("SMEMBERS u = %s", got)
	}

	te.run(c, "SADD", "w", "a", "b", "c", "1")
	te.run(c, "SADD", "x", "b", "c", "d", "2")
	checks := []struct{ cmd, want string }{
		{"SINTER w x", "b,c"},
		{"SUNION w x", "1,2,a,b,c,d"},
		{"SDIFF w x", "1,a"},
		{"SMEMBERS w", "1,a,b,c"},
	}
	for _, ck := range checks {
		if got := replyMembersSorted(t, te.do(c, splitScriptLine(t, ck.cmd)...)); got != ck.want {
			t.Errorf("%s = %s, want %s", ck.cmd, got, ck.want)
		}
	}
}

// SDIFF picks Redis's algorithm by the work each would do, which shows in
// the encoding of the stored result: subtracting from a large first set
// adds only the survivors (an intset), while a first set much larger
// than the rest is copied whole first (a hashtable when too large).
func TestSetDiffAlgorithms(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	saddRange(te, c, "a", 1, 600)
	saddRange(te, c, "b", 1, 595)
	te.run(c, "SDIFFSTORE", "d1", "a", "b")
	if enc, got := encodingOf(c, "d1"), setContent(c, "d1"); enc != "intset" || got != "596,597,598,599,600" {
		t.Errorf("algorithm 1: %s %s", enc, got)
	}
	te.run(c, "SADD", "c", "x")
	te.run(c, "SADD", "d", "y")
	te.run(c, "SADD", "e", "z")
	// Work one is 600*5/2 = 1500, work two 600+595+3: algorithm 2.
	te.run(c, "SDIFFSTORE", "d2", "a", "b", "c", "d", "e")
	if enc, got := encodingOf(c, "d2"), setContent(c, "d2"); enc != "hashtable" || got != "596,597,598,599,600" {
		t.Errorf("algorithm 2: %s %s", enc, got)
	}
	// Work one is 600*3/2 = 900, work two 600+595+1: algorithm 1.
	te.run(c, "SDIFFSTORE", "d3", "a", "b", "c")
	wantEncoding(t, c, "d3", "intset", "algorithm 1 with three sets")
}

// SPOP with a count: the whole set is replied and propagated as DEL; a
// small count pops and propagates one SREM per member (wrapped in
// MULTI/EXEC); a large one keeps the rest in a new set, which may become
// an intset again.
func TestSetPopCount(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	saddRange(te, c, "s", 1, 10)
	te.prop = nil
	if got := te.run(c, "SPOP", "s", "3"); len(strings.Fields(got)) != 3 {
		t.Fatalf("SPOP s 3 = %s", got)
	}
	prop := propagated(te)
	if len(prop) != 5 || prop[0] != "MULTI" || prop[4] != "EXEC" || !strings.HasPrefix(prop[1], "SREM s ") {
		t.Errorf("SPOP s 3 propagated %q", prop)
	}
	if got := te.run(c, "SCARD", "s"); got != ":7" {
		t.Errorf("SCARD after pop = %s", got)
	}
	te.run(c, "SPOP", "s", "6")
	prop = propagated(te)
	if len(prop) != 8 {
		t.Errorf("SPOP s 6 propagated %q", prop)
	}
	if got := te.run(c, "SCARD", "s"); got != ":1" {
		t.Errorf("SCARD after big pop = %s", got)
	}
	if got := te.run(c, "SPOP", "s", "1"); !strings.HasPrefix(got, `["`) {
		t.Errorf("SPOP s 1 = %s", got)
	}
	if prop := propagated(te); len(prop) != 1 || !strings.HasPrefix(prop[0], "DEL s") {
		t.Errorf("SPOP of the last member propagated %q", prop)
	}

	saddRange(te, c, "h", 1, 600)
	te.prop = nil
	te.run(c, "SPOP", "h", "590")
	if enc, n := encodingOf(c, "h"), te.run(c, "SCARD", "h"); enc != "intset" || n != ":10" {
		t.Errorf("after SPOP h 590: %s %s", enc, n)
	}
	if prop := propagated(te); len(prop) != 592 {
		t.Errorf("SPOP h 590 propagated %d commands", len(prop))
	}
	saddRange(te, c, "k", 1, 600)
	te.run(c, "SPOP", "k", "100")
	wantEncoding(t, c, "k", "hashtable", "after SPOP k 100")

	te.run(c, "SADD", "w", "a", "b", "c")
	te.prop = nil
	if got := replyMembersSorted(t, te.do(c, "SPOP", "w", "5")); got != "a,b,c" {
		t.Errorf("SPOP w 5 = %s", got)
	}
	checkProp(t, te, "SPOP w 5", "DEL w")
	if c.DB.Exists([]byte("w")) {
		t.Error("SPOP of everything kept the key")
	}
}

// SPOP and SRANDMEMBER return members of the set; a positive count gives
// distinct members, a negative one may repeat; on both encodings.
func TestSetRandom(t *testing.T) {
	for _, ints := range []bool{true, false} {
		te := newTestEnv(t)
		c := te.client()
		members := map[string]bool{}
		args := []string{"SADD", "s"}
		for i := 0; i < 30; i++ {
			m := strconv.Itoa(i)
			if !ints {
				m = "m" + m
			}
			members[m] = true
			args = append(args, m)
		}
		te.run(c, args...)
		if enc := encodingOf(c, "s"); (enc == "intset") != ints {
			t.Fatalf("encoding %s", enc)
		}
		for _, count := range []int{1, 5, 12, 29, 30, 100, -1, -5, -100} {
			v, _, err := parseReplyString(te.do(c, "SRANDMEMBER", "s", strconv.Itoa(count)))
			if err != nil || v.Type != '*' {
				t.Fatalf("SRANDMEMBER s %d: %v %v", count, v, err)
			}
			want := count
			if count < 0 {
				want = -count
			} else if count > 30 {
				want = 30
			}
			if len(v.Elems) != want {
				t.Errorf("SRANDMEMBER s %d: %d members", count, len(v.Elems))
			}
			seen := map[string]bool{}
			for _, e := range v.Elems {
				m := string(e.Str)
				if !members[m] {
					t.Errorf("SRANDMEMBER s %d: %q not a member", count, m)
				}
				if seen[m] && count > 0 {
					t.Errorf("SRANDMEMBER s %d: %q repeated", count, m)
				}
				seen[m] = true
			}
		}
		if got := te.run(c, "SRANDMEMBER", "s"); !members[strings.Trim(got, `"`)] {
			t.Errorf("SRANDMEMBER s = %s", got)
		}
		popped := map[string]bool{}
		for i := 0; i < 30; i++ {
			got := strings.Trim(te.run(c, "SPOP", "s"), `"`)
			if !members[got] || popped[got] {
				t.Fatalf("SPOP s = %s", got)
			}
			popped[got] = true
		}
		if c.DB.Exists([]byte("s")) {
			t.Error("set popped empty still exists")
		}
	}
}

func TestSetScanHashtable(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	const n = 1000
	args := []string{"SADD", "s"}
	for i := 0; i < n; i++ {
		args = append(args, "m"+strconv.Itoa(i))
	}
	te.run(c, args...)
	seen := map[string]bool{}
	cursor, calls := "0", 0
	for {
		v, _, err := parseReplyString(te.do(c, "SSCAN", "s", cursor, "COUNT", "50"))
		if err != nil {
			t.Fatal(err)
		}
		cursor = string(v.Elems[0].Str)
		for _, e := range v.Elems[1].Elems {
			seen[string(e.Str)] = true
		}
		if calls++; cursor == "0" || calls > n {
			break
		}
	}
	if len(seen) != n || cursor != "0" {
		t.Errorf("scan saw %d members in %d calls", len(seen), calls)
	}
}

func TestSetPropagation(t *testing.T) {
	runPropChecks(t, []propCheck{
		{nil, "SADD s a b", ":2", []string{"SADD s a b"}},
		{[]string{"SADD s a"}, "SADD s a", ":0", nil},
		{[]string{"SADD s a"}, "SREM s x", ":0", nil},
		{[]string{"SADD s a b"}, "SREM s a x", ":1", []string{"SREM s a x"}},
		{[]string{"SADD s a"}, "SPOP s", `"a"`, []string{"SREM s a"}},
		{[]string{"SADD s 5"}, "SPOP s 1", `["5"]`, []string{"DEL s"}},
		{[]string{"SADD s 5 6"}, "SPOP s 0", "[]", nil},
		{nil, "SPOP s", "nil", nil},
		{nil, "SPOP s 3", "[]", nil},
		{[]string{"SADD a 1"}, "SMOVE a b 1", ":1", []string{"SMOVE a b 1"}},
		{[]string{"SADD a 1"}, "SMOVE a a 1", ":1", nil},
		{[]string{"SADD a 1"}, "SMOVE a b 2", ":0", nil},
		{[]string{"SADD a 1", "SADD b 2"}, "SINTERSTORE d a b", ":0", nil},
		{[]string{"SADD a 1", "SADD d 2"}, "SINTERSTORE d a b", ":0", []string{"SINTERSTORE d a b"}},
		{[]string{"SADD a 1"}, "SUNIONSTORE d a", ":1", []string{"SUNIONSTORE d a"}},
		{[]string{"SADD a 1"}, "SDIFFSTORE d a a", ":0", nil},
		{[]string{"SADD a 1"}, "SINTER a", `["1"]`, nil},
	})
}

// Dirty counts one change per member added, removed or popped, as
// Redis's server.dirty.
func TestSetDirty(t *testing.T) {
	checkDirty(t, []dirtyCase{
		{"SADD s 1 2 3 4 5 6 7 8 9 10", 10},
		{"SADD s 1 11", 1},
		{"SREM s 1 2 x", 2},
		{"SPOP s", 1},
		{"SPOP s 2", 2},
		{"SPOP s 100", 6},
		{"SADD a 1", 1},
		{"SMOVE a b 1", 2},
		{"SADD a 1", 1},
		{"SMOVE a b 1", 1},
		{"SUNIONSTORE d b", 1},
		{"SINTERSTORE d nokey", 1},
		{"SINTERSTORE d nokey", 0},
	})
}

func TestSetHotPathAllocs(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	te.run(c, "SADD", "i", "1", "2", "3")
	te.run(c, "SADD", "h", "a", "b", "c")
	cases := []allocCase{
		{"SADD existing intset", cmdSAdd, []string{"SADD", "i", "2"}, 0},
		{"SADD existing hashtable", cmdSAdd, []string{"SADD", "h", "b"}, 0},
		{"SISMEMBER", cmdSIsMember, []string{"SISMEMBER", "h", "b"}, 0},
		{"SISMEMBER intset", cmdSIsMember, []string{"SISMEMBER", "i", "3"}, 0},
		{"SCARD", cmdSCard, []string{"SCARD", "h"}, 0},
		{"SMEMBERS", cmdSInter, []string{"SMEMBERS", "h"}, 2},
		{"SMEMBERS intset", cmdSInter, []string{"SMEMBERS", "i"}, 2},
	}
	checkHandlerAllocs(t, te, c, cases)
	c.Cmd = te.e.Table.Lookup([]byte("sadd"))
	n := 100
	got := testing.AllocsPerRun(100, func() {
		n++
		c.W.Buf = c.W.Buf[:0]
		cmdSAdd(c, [][]byte{[]byte("SADD"), []byte("i"), []byte(strconv.Itoa(n))})
		te.e.KS.Account()
	})
	if got > 2 { // strconv.Itoa and the amortised growth of the intset
		t.Errorf("SADD new intset member: %v allocations", got)
	}
}

func TestSetCommandTable(t *testing.T) {
	te := newTestEnv(t)
	k1, kAll := KeySpec{1, 1, 1}, KeySpec{1, -1, 1}
	cases := []struct {
		name  string
		arity int
		flags Flag
		keys  KeySpec
		since string
	}{
		{"sadd", -3, Write | DenyOOM | Fast, k1, "1.0.0"},
		{"srem", -3, Write | Fast, k1, "1.0.0"},
		{"smove", 4, Write | Fast, KeySpec{1, 2, 1}, "1.0.0"},
		{"sismember", 3, ReadOnly | Fast, k1, "1.0.0"},
		{"smismember", -3, ReadOnly | Fast, k1, "6.2.0"},
		{"scard", 2, ReadOnly | Fast, k1, "1.0.0"},
		{"spop", -2, Write | Fast, k1, "1.0.0"},
		{"srandmember", -2, ReadOnly, k1, "1.0.0"},
		{"smembers", 2, ReadOnly, k1, "1.0.0"},
		{"sinter", -2, ReadOnly, kAll, "1.0.0"},
		{"sintercard", -3, ReadOnly, KeySpec{}, "7.0.0"},
		{"sinterstore", -3, Write | DenyOOM, kAll, "1.0.0"},
		{"sunion", -2, ReadOnly, kAll, "1.0.0"},
		{"sunionstore", -3, Write | DenyOOM, kAll, "1.0.0"},
		{"sdiff", -2, ReadOnly, kAll, "1.0.0"},
		{"sdiffstore", -3, Write | DenyOOM, kAll, "1.0.0"},
		{"sscan", -3, ReadOnly, k1, "2.8.0"},
	}
	for _, tc := range cases {
		cmd := te.e.Table.Lookup([]byte(tc.name))
		if cmd == nil {
			t.Errorf("%s missing", tc.name)
			continue
		}
		if cmd.Arity != tc.arity || cmd.Flags != tc.flags || cmd.Since != tc.since || cmd.Group != "set" || cmd.Keys != tc.keys {
			t.Errorf("%s: arity %d flags %v since %s group %s keys %v", tc.name, cmd.Arity, cmd.Flags.Names(), cmd.Since, cmd.Group, cmd.Keys)
		}
	}
	sic := te.e.Table.Lookup([]byte("sintercard"))
	keyCases := []struct {
		args string
		want []int
	}{
		{"SINTERCARD 2 a b LIMIT 1", []int{2, 3}},
		{"SINTERCARD 1 a", []int{2}},
		{"SINTERCARD 3 a b", nil},
		{"SINTERCARD x a", nil},
	}
	for _, kc := range keyCases {
		args := splitScriptLine(t, kc.args)
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a)
		}
		if got := sic.KeyIndexes(argv); fmtInts(got) != fmtInts(kc.want) {
			t.Errorf("%s: keys %v, want %v", kc.args, got, kc.want)
		}
	}
}

func fmtInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, " ") + "]"
}
