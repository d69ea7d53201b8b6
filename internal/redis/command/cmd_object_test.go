package command

import (
	"strconv"
	"strings"
	"testing"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

func TestObject(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktStr(te, 0, "i", "12")
	ktStr(te, 0, "big", "12345")
	ktStr(te, 0, "neg", "-1")
	ktStr(te, 0, "e", "hello")
	ktStr(te, 0, "r", strings.Repeat("x", 45))
	ktPut(te, 0, "l", keyspace.NewListOf(ktBytes("a")))
	ktRun(t, te, c, []ktCase{
		{"OBJECT ENCODING i", `"int"`},
		{"OBJECT ENCODING e", `"embstr"`},
		{"OBJECT ENCODING r", `"raw"`},
		{"OBJECT ENCODING l", `"quicklist"`},
		{"OBJECT ENCODING nokey", "nil"},
		{"OBJECT REFCOUNT i", ":2147483647"},
		{"OBJECT REFCOUNT big", ":1"},
		{"OBJECT REFCOUNT neg", ":1"},
		{"OBJECT REFCOUNT e", ":1"},
		{"OBJECT REFCOUNT nokey", "nil"},
		{"OBJECT IDLETIME nokey", "nil"},
		{"OBJECT FREQ nokey", "nil"},
		{"OBJECT FREQ i", "(error) " + errFreqNotLFU},
		{"OBJECT ENCODING", "(error) ERR wrong number of arguments for 'object|encoding' command"},
		{"OBJECT ENCODING a b", "(error) ERR wrong number of arguments for 'object|encoding' command"},
		{"OBJECT foo", "(error) ERR unknown subcommand 'foo'. Try OBJECT HELP."},
		{"OBJECT", "(error) ERR wrong number of arguments for 'object' command"},
	})
	c3 := ktClient3(te)
	if got := te.do(c3, "OBJECT", "ENCODING", "nokey"); got != "_\r\n" {
		t.Errorf("RESP3 OBJECT ENCODING nokey = %q", got)
	}
	help := ktReply(te, c, "OBJECT", "HELP")
	if len(help.Elems) != 15 || string(help.Elems[0].Str) != "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" ||
		string(help.Elems[1].Str) != "ENCODING <key>" {
		t.Errorf("OBJECT HELP = %s", help.String())
	}
	// With maxmemory and an LRU policy integers are not shared.
	te.e.Cfg.MaxMemory = 1 << 30
	te.e.Cfg.Policy = keyspace.AllKeysLRU
	ktRun(t, te, c, []ktCase{{"OBJECT REFCOUNT i", ":1"}})
	te.e.Cfg.Policy = keyspace.AllKeysRandom
	ktRun(t, te, c, []ktCase{{"OBJECT REFCOUNT i", ":2147483647"}})
	ktWantProp(t, te)
}

func TestObjectIdleTimeAndFreq(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktStr(te, 0, "k", "v")
	te.now += 10_000
	ktRun(t, te, c, []ktCase{
		{"OBJECT IDLETIME k", ":10"},
		{"OBJECT IDLETIME k", ":10"}, // OBJECT does not touch the key
		{"TTL k", ":-1"},
		{"OBJECT IDLETIME k", ":10"},
		{"TOUCH k", ":1"},
		{"OBJECT IDLETIME k", ":0"},
	})
	te.e.Cfg.Policy = keyspace.AllKeysLFU
	te.e.KS.LFU = true
	ktStr(te, 0, "f", "v")
	ktRun(t, te, c, []ktCase{
		{"OBJECT FREQ f", ":5"},
		{"OBJECT IDLETIME f", "(error) " + errIdleTimeLFU},
	})
	te.e.Cfg.Policy = keyspace.VolatileLFU
	ktRun(t, te, c, []ktCase{{"OBJECT FREQ f", ":5"}})
}

func TestMemory(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	e := ktStr(te, 0, "k", "hello")
	want := ":" + strconv.FormatInt(keyspace.KeyMemUsage(e), 10)
	ktRun(t, te, c, []ktCase{
		{"MEMORY USAGE k", want},
		{"MEMORY USAGE k SAMPLES 0", want},
		{"MEMORY usage k samples 5", want},
		{"MEMORY USAGE nokey", "nil"},
		{"MEMORY USAGE k SAMPLES -1", "(error) ERR syntax error"},
		{"MEMORY USAGE k SAMPLES x", "(error) ERR value is not an integer or out of range"},
		{"MEMORY USAGE k SAMPLES", "(error) ERR syntax error"},
		{"MEMORY USAGE k FOO 1", "(error) ERR syntax error"},
		{"MEMORY USAGE nokey FOO", "(error) ERR syntax error"},
		{"MEMORY USAGE", "(error) ERR wrong number of arguments for 'memory|usage' command"},
		{"MEMORY PURGE", "OK"},
		{"MEMORY MALLOC-STATS", `"Stats not supported for the current memory allocator"`},
		{"MEMORY DOCTOR", strconv.Quote(memDoctorEmpty)},
		{"MEMORY foo", "(error) ERR unknown subcommand 'foo'. Try MEMORY HELP."},
		{"MEMORY DOCTOR x", "(error) ERR wrong number of arguments for 'memory|doctor' command"},
	})
	if keyspace.KeyMemUsage(e) <= 5 {
		t.Errorf("usage %d does not count the key overhead", keyspace.KeyMemUsage(e))
	}
	c3 := ktClient3(te)
	if got := te.do(c3, "MEMORY", "DOCTOR"); !strings.HasPrefix(got, "="+strconv.Itoa(len(memDoctorEmpty)+4)+"\r\ntxt:Hi Sam") {
		t.Errorf("RESP3 MEMORY DOCTOR = %q", got)
	}
	if got := te.do(c3, "MEMORY", "MALLOC-STATS"); got != "="+strconv.Itoa(len(memMallocStatsNot)+4)+"\r\ntxt:"+memMallocStatsNot+"\r\n" {
		t.Errorf("RESP3 MEMORY MALLOC-STATS = %q", got)
	}
	if got := te.do(c3, "MEMORY", "USAGE", "nokey"); got != "_\r\n" {
		t.Errorf("RESP3 MEMORY USAGE nokey = %q", got)
	}
	help := ktReply(te, c, "MEMORY", "HELP")
	if len(help.Elems) != 14 || string(help.Elems[1].Str) != "DOCTOR" {
		t.Errorf("MEMORY HELP = %s", help.String())
	}
}

func TestMemoryStats(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktStr(te, 0, "a", "1")
	ktStr(te, 2, "b", "2")
	ktExpireAt(te, 2, "b", te.now+1000)
	r := ktReply(te, c, "MEMORY", "STATS")
	if len(r.Elems) != 2*(27+2) {
		t.Fatalf("RESP2 MEMORY STATS has %d elements", len(r.Elems))
	}
	fields := map[string]int{}
	for i := 0; i < len(r.Elems); i += 2 {
		fields[string(r.Elems[i].Str)] = i
	}
	for _, f := range []string{"peak.allocated", "keys.count", "dataset.percentage", "db.0", "db.2", "fragmentation.bytes"} {
		if _, ok := fields[f]; !ok {
			t.Errorf("MEMORY STATS lacks %s", f)
		}
	}
	if r.Elems[fields["keys.count"]+1].Int != 2 {
		t.Errorf("keys.count = %s", r.Elems[fields["keys.count"]+1].String())
	}
	if db2 := r.Elems[fields["db.2"]+1]; len(db2.Elems) != 6 || string(db2.Elems[2].Str) != "overhead.hashtable.expires" {
		t.Errorf("db.2 = %s", db2.String())
	}
	// RESP2 doubles are bulk strings; RESP3 uses a map and doubles.
	if r.Elems[fields["dataset.percentage"]+1].Type != '$' {
		t.Errorf("RESP2 dataset.percentage = %s", r.Elems[fields["dataset.percentage"]+1].String())
	}
	c3 := ktClient3(te)
	r3 := ktReply(te, c3, "MEMORY", "STATS")
	if r3.Type != '%' || len(r3.Elems) != 2*(27+2) || r3.Elems[2*16+1].Type != ',' {
		t.Errorf("RESP3 MEMORY STATS = %s", r3.String())
	}
}
