package command

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/resp"
)

// hashScripts hold replies of redis-server 7.0.15 (see replyScript). Only
// deterministic replies are here: listpack hashes in insertion order;
// hashtable hashes are checked field by field.
var hashScripts = []replyScript{
	{name: "listpack-basics", proto: 2, steps: []scriptStep{
		{"HSET h b 1 a 2 c 3", ":3"},
		{"HSET h a 20 d 4", ":1"},
		{"HGETALL h", "[\"b\" \"1\" \"a\" \"20\" \"c\" \"3\" \"d\" \"4\"]"},
		{"HKEYS h", "[\"b\" \"a\" \"c\" \"d\"]"},
		{"HVALS h", "[\"1\" \"20\" \"3\" \"4\"]"},
		{"HLEN h", ":4"},
		{"HGET h a", "\"20\""},
		{"HGET h zz", "nil"},
		{"HGET nokey a", "nil"},
		{"HMGET h a zz d", "[\"20\" nil \"4\"]"},
		{"HMGET nokey a b", "[nil nil]"},
		{"HEXISTS h a", ":1"},
		{"HEXISTS h zz", ":0"},
		{"HEXISTS nokey a", ":0"},
		{"HSTRLEN h a", ":2"},
		{"HSTRLEN h zz", ":0"},
		{"HSTRLEN nokey a", ":0"},
		{"HDEL h a zz", ":1"},
		{"HDEL h a", ":0"},
		{"HDEL nokey a", ":0"},
		{"HKEYS h", "[\"b\" \"c\" \"d\"]"},
		{"HSET h a 5", ":1"},
		{"HGETALL h", "[\"b\" \"1\" \"c\" \"3\" \"d\" \"4\" \"a\" \"5\"]"},
		{"HDEL h b c d a zz", ":4"},
		{"HAS h", ":0"},
		{"HLEN nokey", ":0"},
		{"HKEYS nokey", "[]"},
		{"HVALS nokey", "[]"},
		{"HGETALL nokey", "[]"},
		{"ENC nokey", "nil"},
	}},
	{name: "listpack-basics-resp3", proto: 3, steps: []scriptStep{
		{"HSET h b 1 a 2", ":2"},
		{"HGETALL h", "{\"b\":\"1\" \"a\":\"2\"}"},
		{"HGETALL nokey", "{}"},
		{"HKEYS h", "[\"b\" \"a\"]"},
		{"HMGET h a zz", "[\"2\" nil]"},
		{"HGET h zz", "nil"},
		{"HRANDFIELD nokey", "nil"},
		{"HRANDFIELD nokey 3 WITHVALUES", "[]"},
		{"HRANDFIELD h 5 WITHVALUES", "[[\"b\" \"1\"] [\"a\" \"2\"]]"},
		{"HRANDFIELD h 2", "[\"b\" \"a\"]"},
		{"HRANDFIELD h 0 WITHVALUES", "[]"},
		{"HSCAN h 0", "[\"0\" [\"b\" \"1\" \"a\" \"2\"]]"},
		{"HINCRBYFLOAT h x 1.5", "\"1.5\""},
	}},
	{name: "hset-errors", proto: 2, steps: []scriptStep{
		{"HSET h a", "(error) ERR wrong number of arguments for 'hset' command"},
		{"HSET h a b c", "(error) ERR wrong number of arguments for 'hset' command"},
		{"HMSET h a", "(error) ERR wrong number of arguments for 'hmset' command"},
		{"HSETNX h a 1 2", "(error) ERR wrong number of arguments for 'hsetnx' command"},
		{"HSET h", "(error) ERR wrong number of arguments for 'hset' command"},
		{"HMSET h a 1 b 2", "OK"},
		{"HGETALL h", "[\"a\" \"1\" \"b\" \"2\"]"},
		{"HSETNX h a 9", ":0"},
		{"HSETNX h c 3", ":1"},
		{"HGETALL h", "[\"a\" \"1\" \"b\" \"2\" \"c\" \"3\"]"},
		{"HSETNX nokey2 f v", ":1"},
		{"HGETALL nokey2", "[\"f\" \"v\"]"},
		{"MKLIST l", ":1"},
		{"HSET l a 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HMSET l a 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HSETNX l a 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HGET l a", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HMGET l a", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HDEL l a", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HLEN l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HSTRLEN l a", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HEXISTS l a", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HKEYS l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HVALS l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HGETALL l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HINCRBY l a 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HINCRBYFLOAT l a 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HRANDFIELD l", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HRANDFIELD l 1", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HSCAN l 0", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"HGET h", "(error) ERR wrong number of arguments for 'hget' command"},
		{"HDEL h", "(error) ERR wrong number of arguments for 'hdel' command"},
		{"HLEN h x", "(error) ERR wrong number of arguments for 'hlen' command"},
		{"HKEYS", "(error) ERR wrong number of arguments for 'hkeys' command"},
		{"HSCAN h", "(error) ERR wrong number of arguments for 'hscan' command"},
	}},
	{name: "hincrby", proto: 2, steps: []scriptStep{
		{"HINCRBY h n 5", ":5"},
		{"HINCRBY h n -10", ":-5"},
		{"HINCRBY h n x", "(error) ERR value is not an integer or out of range"},
		{"HINCRBY h n 1.5", "(error) ERR value is not an integer or out of range"},
		{"HINCRBY h n 9223372036854775808", "(error) ERR value is not an integer or out of range"},
		{"HINCRBY h m 9223372036854775807", ":9223372036854775807"},
		{"HINCRBY h m 1", "(error) ERR increment or decrement would overflow"},
		{"HINCRBY h m -1", ":9223372036854775806"},
		{"HINCRBY h l -9223372036854775808", ":-9223372036854775808"},
		{"HINCRBY h l -1", "(error) ERR increment or decrement would overflow"},
		{"HINCRBY h z 0", ":0"},
		{"HSET h s abc sp \" 1\" sp2 \"1 \" lz 007", ":4"},
		{"HINCRBY h s 1", "(error) ERR hash value is not an integer"},
		{"HINCRBY h sp 1", "(error) ERR hash value is not an integer"},
		{"HINCRBY h sp2 1", "(error) ERR hash value is not an integer"},
		{"HINCRBY h lz 1", "(error) ERR hash value is not an integer"},
		{"HINCRBY h nokey-field x", "(error) ERR value is not an integer or out of range"},
		{"HGETALL h", "[\"n\" \"-5\" \"m\" \"9223372036854775806\" \"l\" \"-9223372036854775808\" \"z\" \"0\" \"s\" \"abc\" \"sp\" \" 1\" \"sp2\" \"1 \" \"lz\" \"007\"]"},
		{"HINCRBY nokey f x", "(error) ERR value is not an integer or out of range"},
		{"HAS nokey", ":0"},
		{"HINCRBY newkey f 3", ":3"},
		{"HGETALL newkey", "[\"f\" \"3\"]"},
		{"ENC newkey", "\"listpack\""},
	}},
	{name: "hincrbyfloat", proto: 2, steps: []scriptStep{
		{"HINCRBYFLOAT h f 10.5", "\"10.5\""},
		{"HINCRBYFLOAT h f 0.1", "\"10.6\""},
		{"HINCRBYFLOAT h f -0.6", "\"10\""},
		{"HINCRBYFLOAT h g 0.1", "\"0.1\""},
		{"HINCRBYFLOAT h g 0.2", "\"0.3\""},
		{"HINCRBYFLOAT h e 1e100", "\"9999999999999999999669353532207342619498699019828496079271391541752018669482644324418977840117055488\""},
		{"HINCRBYFLOAT h x 5.0e3", "\"5000\""},
		{"HINCRBYFLOAT h x 0x10", "\"5016\""},
		{"HINCRBYFLOAT h x .5", "\"5016.5\""},
		{"HINCRBYFLOAT h x 5.", "\"5021.5\""},
		{"HINCRBYFLOAT h y -0.0", "\"0\""},
		{"HINCRBYFLOAT h x inf", "(error) ERR value is NaN or Infinity"},
		{"HINCRBYFLOAT h x -infinity", "(error) ERR value is NaN or Infinity"},
		{"HINCRBYFLOAT h x nan", "(error) ERR value is not a valid float"},
		{"HINCRBYFLOAT h x abc", "(error) ERR value is not a valid float"},
		{"HINCRBYFLOAT h x \" 1\"", "(error) ERR value is not a valid float"},
		{"HINCRBYFLOAT h x 1e", "(error) ERR value is not a valid float"},
		{"HINCRBYFLOAT h x 1e-5000", "(error) ERR value is not a valid float"},
		{"HINCRBYFLOAT h x 1e5000", "(error) ERR value is not a valid float"},
		{"HSET h s abc i inf big 1e4932 n 3", ":4"},
		{"HINCRBYFLOAT h s 1", "(error) ERR hash value is not a float"},
		{"HINCRBYFLOAT h i 1", "(error) ERR increment would produce NaN or Infinity"},
		{"HINCRBYFLOAT h big 1e4932", "(error) ERR increment would produce NaN or Infinity"},
		{"HINCRBYFLOAT h n 1", "\"4\""},
		{"HINCRBY h f 1", ":11"},
		{"HMGET h big y s g f e n x i", "[\"1e4932\" \"0\" \"abc\" \"0.3\" \"11\" \"9999999999999999999669353532207342619498699019828496079271391541752018669482644324418977840117055488\" \"4\" \"5021.5\" \"inf\"]"},
		{"ENC h", "\"hashtable\""},
		{"HINCRBYFLOAT nokey f x", "(error) ERR value is not a valid float"},
		{"HAS nokey", ":0"},
		{"HINCRBYFLOAT nokey f inf", "(error) ERR value is NaN or Infinity"},
	}},
	{name: "encodings", proto: 2, steps: []scriptStep{
		{"HSET h a 1234567890123456789012345678901234567890123456789012345678901234", ":1"},
		{"ENC h", "\"listpack\""},
		{"HSET h b 12345678901234567890123456789012345678901234567890123456789012345", ":1"},
		{"ENC h", "\"hashtable\""},
		{"HSET h2 1234567890123456789012345678901234567890123456789012345678901234x v", ":1"},
		{"ENC h2", "\"hashtable\""},
		{"HSETNX h3 1234567890123456789012345678901234567890123456789012345678901234x v", ":1"},
		{"ENC h3", "\"hashtable\""},
		{"HINCRBY h4 1234567890123456789012345678901234567890123456789012345678901234x 1", ":1"},
		{"ENC h4", "\"hashtable\""},
		{"HSET h5 a 1", ":1"},
		{"HINCRBYFLOAT h5 a 1e70", "\"10000000000000000000222479489586148259025995410601157579323600873193472\""},
		{"ENC h5", "\"hashtable\""},
		{"HSET h6 a 1", ":1"},
		{"HINCRBYFLOAT h6 a 1e60", "\"999999999999999999999373423426722168652130621984886772203520\""},
		{"ENC h6", "\"listpack\""},
		{"HDEL h b", ":1"},
		{"ENC h", "\"hashtable\""},
		{"HSET h7 a 1 b 12345678901234567890123456789012345678901234567890123456789012345", ":2"},
		{"ENC h7", "\"hashtable\""},
	}},
	{name: "hrandfield-args", proto: 2, steps: []scriptStep{
		{"HSET h a 1 b 2 c 3", ":3"},
		{"HRANDFIELD h x", "(error) ERR value is not an integer or out of range"},
		{"HRANDFIELD nokey x", "(error) ERR value is not an integer or out of range"},
		{"HRANDFIELD h 1 foo", "(error) ERR syntax error"},
		{"HRANDFIELD h 1 withvalues x", "(error) ERR syntax error"},
		{"HRANDFIELD nokey 1 withvalues x", "(error) ERR syntax error"},
		{"HRANDFIELD h -9223372036854775808", "(error) ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
		{"HRANDFIELD h 9223372036854775807 WITHVALUES", "(error) ERR value is out of range"},
		{"HRANDFIELD h 4611686018427387904 withvalues", "(error) ERR value is out of range"},
		{"HRANDFIELD h -4611686018427387904 withvalues", "(error) ERR value is out of range"},
		{"HRANDFIELD nokey 5", "[]"},
		{"HRANDFIELD nokey 0", "[]"},
		{"HRANDFIELD nokey -5 WITHVALUES", "[]"},
		{"HRANDFIELD nokey", "nil"},
		{"HRANDFIELD h 0", "[]"},
		{"HRANDFIELD h 3", "[\"a\" \"b\" \"c\"]"},
		{"HRANDFIELD h 10 WITHVALUES", "[\"a\" \"1\" \"b\" \"2\" \"c\" \"3\"]"},
		{"HRANDFIELD h 9223372036854775807", "[\"a\" \"b\" \"c\"]"},
	}},
	{name: "hscan", proto: 2, steps: []scriptStep{
		{"HSET h a 1 b 2 c 3 ab 4", ":4"},
		{"HSCAN h 0", "[\"0\" [\"a\" \"1\" \"b\" \"2\" \"c\" \"3\" \"ab\" \"4\"]]"},
		{"HSCAN h 123", "[\"0\" [\"a\" \"1\" \"b\" \"2\" \"c\" \"3\" \"ab\" \"4\"]]"},
		{"HSCAN h 0 MATCH a*", "[\"0\" [\"a\" \"1\" \"ab\" \"4\"]]"},
		{"HSCAN h 0 match *b count 1", "[\"0\" [\"b\" \"2\" \"ab\" \"4\"]]"},
		{"HSCAN h 0 COUNT 0", "(error) ERR syntax error"},
		{"HSCAN h 0 COUNT -1", "(error) ERR syntax error"},
		{"HSCAN h 0 COUNT x", "(error) ERR value is not an integer or out of range"},
		{"HSCAN h 0 TYPE string", "(error) ERR syntax error"},
		{"HSCAN h 0 MATCH", "(error) ERR syntax error"},
		{"HSCAN h 0 foo bar", "(error) ERR syntax error"},
		{"HSCAN h x", "(error) ERR invalid cursor"},
		{"HSCAN h -1", "[\"0\" [\"a\" \"1\" \"b\" \"2\" \"c\" \"3\" \"ab\" \"4\"]]"},
		{"HSCAN nokey 0", "[\"0\" []]"},
		{"HSCAN nokey 0 COUNT x", "[\"0\" []]"},
		{"HSCAN nokey x", "(error) ERR invalid cursor"},
		{"HSCAN h 18446744073709551615", "[\"0\" [\"a\" \"1\" \"b\" \"2\" \"c\" \"3\" \"ab\" \"4\"]]"},
		{"HSCAN h 18446744073709551616", "(error) ERR invalid cursor"},
	}},
}

func TestHashScripts(t *testing.T)        { runReplyScripts(t, hashScripts) }
func TestHashScriptsOnRedis(t *testing.T) { runReplyScriptsOnRedis(t, hashScripts) }

// hashContent renders a hash as sorted "field=value" pairs, for hashtable
// hashes whose order is the table's.
func hashContent(t *testing.T, c *Client, key string) string {
	t.Helper()
	e := c.DB.LookupReadNoTouch([]byte(key))
	if e == nil {
		return ""
	}
	var pairs []string
	e.Val.Val.(*keyspace.Hash).Each(func(f, v []byte) bool {
		pairs = append(pairs, string(f)+"="+string(v))
		return true
	})
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

func parseReplyString(raw string) (resp.Reply, []byte, error) { return resp.ParseReply([]byte(raw)) }

// wantEncoding checks OBJECT ENCODING of key after the step named what.
func wantEncoding(t *testing.T, c *Client, key, want, what string) {
	t.Helper()
	if enc := encodingOf(c, key); enc != want {
		t.Errorf("%s: encoding of %s is %s, want %s", what, key, enc, want)
	}
}

func encodingOf(c *Client, key string) string {
	e := c.DB.LookupReadNoTouch([]byte(key))
	if e == nil {
		return "none"
	}
	return e.Val.Val.Encoding()
}

// The listpack limits are read at each write, so CONFIG SET applies to
// existing hashes at their next insertion or update (not at HSETNX of an
// existing field), and conversion never goes back.
func TestHashEncodingThresholds(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	te.e.Cfg.HashMaxListpackEntries = 128 // redis.conf's default in 7.0
	for i := 0; i < 128; i++ {
		te.run(c, "HSET", "big", "f"+strconv.Itoa(i), "v")
	}
	wantEncoding(t, c, "big", "listpack", "128 fields")
	te.run(c, "HSET", "big", "f0", "w") // an update within the limit
	wantEncoding(t, c, "big", "listpack", "128 fields after update")
	te.run(c, "HSET", "big", "f128", "v")
	wantEncoding(t, c, "big", "hashtable", "129 fields")
	for i := 0; i < 128; i++ {
		te.run(c, "HDEL", "big", "f"+strconv.Itoa(i))
	}
	wantEncoding(t, c, "big", "hashtable", "shrunk")
	if got := hashContent(t, c, "big"); got != "f128=v" {
		t.Fatalf("shrunk content %q", got)
	}

	te.run(c, "HSET", "h", "a", "1", "b", "2", "c", "3")
	te.e.Cfg.HashMaxListpackEntries = 2
	steps := []struct{ cmd, want, enc string }{
		{"HSETNX h a 9", ":0", "listpack"},
		{"HGET h a", `"1"`, "listpack"},
		{"HINCRBY h a 1", ":2", "hashtable"},
		{"HGETALL h", "", "hashtable"},
	}
	for _, st := range steps {
		got := te.run(c, splitScriptLine(t, st.cmd)...)
		if st.want != "" && got != st.want {
			t.Errorf("%s = %s, want %s", st.cmd, got, st.want)
		}
		if enc := encodingOf(c, "h"); enc != st.enc {
			t.Errorf("after %s: encoding %s, want %s", st.cmd, enc, st.enc)
		}
	}
	if got := hashContent(t, c, "h"); got != "a=2,b=2,c=3" {
		t.Errorf("content %q", got)
	}
	te.run(c, "HSET", "two", "a", "1", "b", "2")
	wantEncoding(t, c, "two", "listpack", "2 fields with limit 2")
	te.e.Cfg.HashMaxListpackEntries = 0
	te.run(c, "HSET", "zero", "a", "1")
	wantEncoding(t, c, "zero", "hashtable", "limit 0")

	te.e.Cfg.HashMaxListpackEntries = 128
	te.e.Cfg.HashMaxListpackValue = 2
	te.run(c, "HSET", "v", "ab", "12")
	wantEncoding(t, c, "v", "listpack", "value of 2 bytes")
	te.run(c, "HSET", "v", "ab", "123")
	wantEncoding(t, c, "v", "hashtable", "value of 3 bytes")
	te.run(c, "HINCRBY", "w", "abc", "1")
	wantEncoding(t, c, "w", "hashtable", "HINCRBY with a long field")
	te.run(c, "HINCRBYFLOAT", "x", "f", "100")
	wantEncoding(t, c, "x", "hashtable", "HINCRBYFLOAT to a long value")
}

// The commands behave the same on a hashtable hash, whose order is its own.
func TestHashTableEncodingCommands(t *testing.T) {
	for _, proto := range []int{2, 3} {
		te := newTestEnv(t)
		c := te.client()
		c.W.Proto = proto
		te.e.Cfg.HashMaxListpackEntries = 1
		te.run(c, "HSET", "h", "a", "1", "b", "2", "c", "3")
		if enc := encodingOf(c, "h"); enc != "hashtable" {
			t.Fatalf("encoding %s", enc)
		}
		checks := []struct{ cmd, want string }{
			{"HGET h b", `"2"`},
			{"HMGET h c x a", `["3" nil "1"]`},
			{"HLEN h", ":3"},
			{"HSTRLEN h c", ":1"},
			{"HEXISTS h a", ":1"},
			{"HSET h a 10 d 4", ":1"},
			{"HINCRBY h a 5", ":15"},
			{"HINCRBYFLOAT h b 0.5", `"2.5"`},
			{"HSETNX h d 0", ":0"},
			{"HDEL h d x", ":1"},
			{"HRANDFIELD h 0", "[]"},
		}
		for _, ck := range checks {
			if got := te.run(c, splitScriptLine(t, ck.cmd)...); got != ck.want {
				t.Errorf("RESP%d %s = %s, want %s", proto, ck.cmd, got, ck.want)
			}
		}
		if got := hashContent(t, c, "h"); got != "a=15,b=2.5,c=3" {
			t.Errorf("content %q", got)
		}
		all := te.run(c, "HGETALL", "h")
		keys := te.run(c, "HKEYS", "h")
		vals := te.run(c, "HVALS", "h")
		if proto == 3 {
			if !strings.HasPrefix(all, "{") || len(strings.Split(all, ":")) != 4 {
				t.Errorf("RESP3 HGETALL %s", all)
			}
		} else if len(strings.Fields(all)) != 6 {
			t.Errorf("HGETALL %s", all)
		}
		for _, f := range []string{`"a"`, `"b"`, `"c"`} {
			if !strings.Contains(keys, f) || !strings.Contains(all, f) {
				t.Errorf("HKEYS %s / HGETALL %s lack %s", keys, all, f)
			}
		}
		for _, v := range []string{`"15"`, `"2.5"`, `"3"`} {
			if !strings.Contains(vals, v) {
				t.Errorf("HVALS %s lacks %s", vals, v)
			}
		}
		if got := te.run(c, "HDEL", "h", "a", "b", "c", "x"); got != ":3" {
			t.Errorf("HDEL all = %s", got)
		}
		if c.DB.Exists([]byte("h")) {
			t.Error("emptied hash kept")
		}
	}
}

// HRANDFIELD: distinct fields for a positive count, repetitions allowed
// for a negative one, pairs nested in RESP3 only; on both encodings.
func TestHashRandField(t *testing.T) {
	for _, listpack := range []bool{true, false} {
		for _, proto := range []int{2, 3} {
			te := newTestEnv(t)
			c := te.client()
			if !listpack {
				te.e.Cfg.HashMaxListpackEntries = 4
			}
			args := []string{"HSET", "h"}
			for i := 0; i < 30; i++ {
				args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
			}
			te.run(c, args...)
			if enc := encodingOf(c, "h"); (enc == "listpack") != listpack {
				t.Fatalf("encoding %s", enc)
			}
			c.W.Proto = proto
			for _, count := range []int{1, 5, 12, 29, 30, 100, -1, -5, -100} {
				for _, withValues := range []bool{false, true} {
					cmd := []string{"HRANDFIELD", "h", strconv.Itoa(count)}
					if withValues {
						cmd = append(cmd, "WITHVALUES")
					}
					checkRandFieldReply(t, te, c, cmd, count, withValues, proto)
				}
			}
			got := te.run(c, "HRANDFIELD", "h")
			if !strings.HasPrefix(got, `"f`) {
				t.Errorf("HRANDFIELD h = %s", got)
			}
		}
	}
}

func checkRandFieldReply(t *testing.T, te *testEnv, c *Client, cmd []string, count int, withValues bool, proto int) {
	t.Helper()
	raw := te.do(c, cmd...)
	v, _, err := parseReplyString(raw)
	if err != nil {
		t.Fatalf("%v: %v", cmd, err)
	}
	want := count
	if count < 0 {
		want = -count
	} else if count > 30 {
		want = 30
	}
	elems := v.Elems
	var fields []string
	switch {
	case withValues && proto == 3:
		if len(elems) != want {
			t.Fatalf("%v RESP3: %d pairs, want %d", cmd, len(elems), want)
		}
		for _, p := range elems {
			if p.Type != '*' || len(p.Elems) != 2 {
				t.Fatalf("%v RESP3: element %s is not a pair", cmd, p.String())
			}
			fields = append(fields, string(p.Elems[0].Str))
			if "v"+string(p.Elems[0].Str[1:]) != string(p.Elems[1].Str) {
				t.Errorf("%v: pair %s", cmd, p.String())
			}
		}
	case withValues:
		if len(elems) != 2*want {
			t.Fatalf("%v: %d elements, want %d", cmd, len(elems), 2*want)
		}
		for i := 0; i < len(elems); i += 2 {
			fields = append(fields, string(elems[i].Str))
			if "v"+string(elems[i].Str[1:]) != string(elems[i+1].Str) {
				t.Errorf("%v: pair %s %s", cmd, elems[i].Str, elems[i+1].Str)
			}
		}
	default:
		if len(elems) != want {
			t.Fatalf("%v: %d elements, want %d", cmd, len(elems), want)
		}
		for _, e := range elems {
			fields = append(fields, string(e.Str))
		}
	}
	seen := map[string]bool{}
	for _, f := range fields {
		n, err := strconv.Atoi(strings.TrimPrefix(f, "f"))
		if err != nil || n < 0 || n >= 30 {
			t.Errorf("%v: unknown field %q", cmd, f)
		}
		if seen[f] && count > 0 {
			t.Errorf("%v: %q repeated", cmd, f)
		}
		seen[f] = true
	}
}

func TestHashScanHashtable(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	const n = 1000
	for i := 0; i < n; i++ {
		te.run(c, "HSET", "h", "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	seen := map[string]int{}
	cursor := "0"
	calls := 0
	for {
		raw := te.do(c, "HSCAN", "h", cursor, "COUNT", "20")
		v, _, err := parseReplyString(raw)
		if err != nil {
			t.Fatal(err)
		}
		cursor = string(v.Elems[0].Str)
		elems := v.Elems[1].Elems
		if len(elems)%2 != 0 {
			t.Fatalf("odd reply %s", v.String())
		}
		for i := 0; i < len(elems); i += 2 {
			f, val := string(elems[i].Str), string(elems[i+1].Str)
			if "v"+f[1:] != val {
				t.Fatalf("pair %s %s", f, val)
			}
			seen[f]++
		}
		calls++
		if cursor == "0" {
			break
		}
		if calls > n {
			t.Fatal("scan does not end")
		}
	}
	if len(seen) != n {
		t.Errorf("scan saw %d fields, want %d", len(seen), n)
	}
	if calls < 10 {
		t.Errorf("COUNT 20 over %d fields took only %d calls", n, calls)
	}
	// MATCH filters by field after the step, so a step may return nothing.
	matched := map[string]bool{}
	cursor = "0"
	for {
		v, _, _ := parseReplyString(te.do(c, "HSCAN", "h", cursor, "MATCH", "f1?"))
		cursor = string(v.Elems[0].Str)
		for i := 0; i < len(v.Elems[1].Elems); i += 2 {
			matched[string(v.Elems[1].Elems[i].Str)] = true
		}
		if cursor == "0" {
			break
		}
	}
	if len(matched) != 10 || !matched["f10"] || !matched["f19"] {
		t.Errorf("MATCH f1? saw %v", matched)
	}
}

// HINCRBYFLOAT propagates as HSET with the final text; HSET and HMSET
// count as a change even when nothing differs; failing or no-op writes
// propagate nothing.
func TestHashPropagation(t *testing.T) {
	runPropChecks(t, []propCheck{
		{nil, "HINCRBYFLOAT h f 1.50", `"1.5"`, []string{"HSET h f 1.5"}},
		{[]string{"HSET h f 1"}, "HINCRBYFLOAT h f 2.0e3", `"2001"`, []string{"HSET h f 2001"}},
		{nil, "HINCRBYFLOAT h f inf", "(error) ERR value is NaN or Infinity", nil},
		{[]string{"HSET h f x"}, "HINCRBYFLOAT h f 1", "(error) ERR hash value is not a float", nil},
		{nil, "HINCRBY h f 2", ":2", []string{"HINCRBY h f 2"}},
		{[]string{"HSET h f x"}, "HINCRBY h f 1", "(error) ERR hash value is not an integer", nil},
		{nil, "HSET h a 1 b 2", ":2", []string{"HSET h a 1 b 2"}},
		{[]string{"HSET h a 1"}, "HSET h a 1", ":0", []string{"HSET h a 1"}},
		{[]string{"HSET h a 1"}, "HMSET h a 1", "OK", []string{"HMSET h a 1"}},
		{[]string{"HSET h a 1"}, "HSETNX h a 2", ":0", nil},
		{nil, "HSETNX h a 2", ":1", []string{"HSETNX h a 2"}},
		{[]string{"HSET h a 1"}, "HDEL h x", ":0", nil},
		{[]string{"HSET h a 1 b 2"}, "HDEL h a b x", ":2", []string{"HDEL h a b x"}},
		{nil, "HDEL h a", ":0", nil},
		{[]string{"HSET h a 1"}, "HGET h a", `"1"`, nil},
	})
}

// Dirty counts one change per pair written or field deleted, as Redis's
// server.dirty.
func TestHashDirty(t *testing.T) {
	checkDirty(t, []dirtyCase{
		{"HSET h a 1 b 2 c 3", 3},
		{"HSET h a 1", 1},
		{"HMSET h a 1 b 2", 2},
		{"HSETNX h a 1", 0},
		{"HSETNX h d 1", 1},
		{"HDEL h a b x", 2},
		{"HDEL h x", 0},
		{"HINCRBY h n 1", 1},
		{"HINCRBYFLOAT h n 1", 1},
		{"HGETALL h", 0},
	})
}

// HSET, HGET and friends allocate nothing beyond what they store.
func TestHashHotPathAllocs(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	te.run(c, "HSET", "h", "field", "value", "n", "1")
	te.e.Cfg.HashMaxListpackEntries = 1
	te.run(c, "HSET", "big", "field", "value", "n", "1")
	te.e.Cfg.HashMaxListpackEntries = 128
	cases := []allocCase{
		{"HSET update", cmdHSet, []string{"HSET", "h", "field", "value"}, 0},
		{"HSET update hashtable", cmdHSet, []string{"HSET", "big", "field", "value"}, 0},
		{"HGET", cmdHGet, []string{"HGET", "h", "field"}, 0},
		{"HGET hashtable", cmdHGet, []string{"HGET", "big", "field"}, 0},
		{"HINCRBY", cmdHIncrBy, []string{"HINCRBY", "h", "n", "1"}, 0},
		{"HGETALL", cmdHGetAll, []string{"HGETALL", "big"}, 0},
	}
	checkHandlerAllocs(t, te, c, cases)
	// A new field costs its pair's buffer (plus amortised slice growth).
	i := 0
	got := testing.AllocsPerRun(100, func() {
		i++
		te.e.Cfg.HashMaxListpackEntries = 1 << 20
		c.W.Buf = c.W.Buf[:0]
		cmdHSet(c, [][]byte{[]byte("HSET"), []byte("new"), []byte(strconv.Itoa(i)), []byte("v")})
		te.e.KS.Account()
	})
	if got > 3 {
		t.Errorf("HSET new field: %v allocations", got)
	}
}

// The table entries match COMMAND INFO and COMMAND DOCS of Redis 7.0.15.
func TestHashCommandTable(t *testing.T) {
	te := newTestEnv(t)
	cases := []struct {
		name  string
		arity int
		flags Flag
		since string
	}{
		{"hset", -4, Write | DenyOOM | Fast, "2.0.0"},
		{"hsetnx", 4, Write | DenyOOM | Fast, "2.0.0"},
		{"hmset", -4, Write | DenyOOM | Fast, "2.0.0"},
		{"hget", 3, ReadOnly | Fast, "2.0.0"},
		{"hmget", -3, ReadOnly | Fast, "2.0.0"},
		{"hdel", -3, Write | Fast, "2.0.0"},
		{"hlen", 2, ReadOnly | Fast, "2.0.0"},
		{"hstrlen", 3, ReadOnly | Fast, "3.2.0"},
		{"hexists", 3, ReadOnly | Fast, "2.0.0"},
		{"hkeys", 2, ReadOnly, "2.0.0"},
		{"hvals", 2, ReadOnly, "2.0.0"},
		{"hgetall", 2, ReadOnly, "2.0.0"},
		{"hincrby", 4, Write | DenyOOM | Fast, "2.0.0"},
		{"hincrbyfloat", 4, Write | DenyOOM | Fast, "2.6.0"},
		{"hrandfield", -2, ReadOnly, "6.2.0"},
		{"hscan", -3, ReadOnly, "2.8.0"},
	}
	for _, tc := range cases {
		cmd := te.e.Table.Lookup([]byte(tc.name))
		if cmd == nil {
			t.Errorf("%s missing", tc.name)
			continue
		}
		if cmd.Arity != tc.arity || cmd.Flags != tc.flags || cmd.Since != tc.since || cmd.Group != "hash" || cmd.Keys != (KeySpec{1, 1, 1}) {
			t.Errorf("%s: arity %d flags %v since %s group %s keys %v", tc.name, cmd.Arity, cmd.Flags.Names(), cmd.Since, cmd.Group, cmd.Keys)
		}
	}
}

// A huge negative count stops at maxRandReply and closes the client
// instead of exhausting memory.
func TestRandReplyLimit(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	te.run(c, "HSET", "h", "a", "1")
	te.run(c, "SADD", "s", "a")
	defer func(old int) { maxRandReply = old }(maxRandReply)
	maxRandReply = 1 << 12
	for _, cmd := range [][]string{
		{"HRANDFIELD", "h", "-9223372036854775807"},
		{"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"},
		{"SRANDMEMBER", "s", "-9223372036854775807"},
	} {
		c.Flags &^= FlagCloseASAP
		raw := te.do(c, cmd...)
		if len(raw) > 2*maxRandReply || c.Flags&FlagCloseASAP == 0 {
			t.Errorf("%v: %d bytes, flags %b", cmd, len(raw), c.Flags)
		}
	}
}

// allocCase is a handler call and the allocations it may make.
type allocCase struct {
	name string
	fn   Handler
	args []string
	max  float64
}

// checkHandlerAllocs runs each case's handler directly (with the keyspace
// accounting that follows every command) and checks its allocations.
func checkHandlerAllocs(t *testing.T, te *testEnv, c *Client, cases []allocCase) {
	t.Helper()
	for _, tc := range cases {
		argv := make([][]byte, len(tc.args))
		for i, a := range tc.args {
			argv[i] = []byte(a)
		}
		c.Cmd = te.e.Table.Lookup(argv[0])
		got := testing.AllocsPerRun(200, func() {
			c.W.Buf = c.W.Buf[:0]
			tc.fn(c, argv)
			te.e.KS.Account()
		})
		if got > tc.max {
			t.Errorf("%s: %v allocations, want <= %v", tc.name, got, tc.max)
		}
	}
}

// dirtyCase is a command and the changes it must count.
type dirtyCase struct {
	cmd   string
	dirty int64
}

// checkDirty runs the cases in order on one client and checks how much
// each adds to the engine's dirty counter.
func checkDirty(t *testing.T, cases []dirtyCase) {
	t.Helper()
	te := newTestEnv(t)
	c := te.client()
	for _, tc := range cases {
		before := te.e.Dirty
		te.run(c, splitScriptLine(t, tc.cmd)...)
		if got := te.e.Dirty - before; got != tc.dirty {
			t.Errorf("%s: dirty +%d, want +%d", tc.cmd, got, tc.dirty)
		}
	}
}
