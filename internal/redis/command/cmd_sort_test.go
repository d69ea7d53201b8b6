package command

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

// ktColl is a stand-in for the set, sorted set, hash and stream values in
// these tests: its elements are listed in the order given, and as a hash it
// serves fields (through keyspace.FieldGetter unless noGetter).
type ktColl struct {
	kind   keyspace.Kind
	elems  [][]byte
	fields map[string]string
}

func (v *ktColl) Kind() keyspace.Kind   { return v.kind }
func (v *ktColl) Encoding() string      { return "listpack" }
func (v *ktColl) MemUsage() int64       { return int64(16 * (len(v.elems) + len(v.fields))) }
func (v *ktColl) Len() int              { return max(len(v.elems), len(v.fields), 1) }
func (v *ktColl) Elements() [][]byte    { return v.elems }
func (v *ktColl) Clone() keyspace.Value { cp := *v; return &cp }

// ktHash is a hash with field access.
type ktHash struct{ ktColl }

func (h *ktHash) GetField(f []byte) ([]byte, bool) {
	v, ok := h.fields[string(f)]
	return []byte(v), ok
}

func ktBytes(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

func ktHashOf(kv ...string) *ktHash {
	h := &ktHash{ktColl{kind: keyspace.KindHash, fields: map[string]string{}}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.fields[kv[i]] = kv[i+1]
	}
	return h
}

func TestSortBasic(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktPut(te, 0, "l", keyspace.NewListOf(ktBytes("3", "1", "2", "10")))
	ktPut(te, 0, "w", keyspace.NewListOf(ktBytes("b", "a", "C", "10")))
	ktPut(te, 0, "s", &ktColl{kind: keyspace.KindSet, elems: ktBytes("5", "4", "6")})
	ktPut(te, 0, "z", &ktColl{kind: keyspace.KindZSet, elems: ktBytes("c", "a", "b")})
	ktPut(te, 0, "odd", keyspace.NewListOf(ktBytes("", " 5", "0x10", "2", "-inf", "1e2")))
	ktStr(te, 0, "str", "x")
	ktRun(t, te, c, []ktCase{
		{"SORT l", `["1" "2" "3" "10"]`},
		{"SORT l DESC", `["10" "3" "2" "1"]`},
		{"SORT l ALPHA", `["1" "10" "2" "3"]`},
		{"SORT l alpha desc", `["3" "2" "10" "1"]`},
		{"SORT l LIMIT 1 2", `["2" "3"]`},
		{"SORT l LIMIT -5 2", `["1" "2"]`},
		{"SORT l LIMIT 2 -1", `["3" "10"]`},
		{"SORT l LIMIT 2 0", `[]`},
		{"SORT l LIMIT 10 5", `[]`},
		{"SORT l LIMIT 3 100", `["10"]`},
		{"SORT l DESC ASC", `["1" "2" "3" "10"]`},
		{"SORT s", `["4" "5" "6"]`},
		{"SORT z ALPHA", `["a" "b" "c"]`},
		{"SORT odd", `["-inf" "" "2" " 5" "0x10" "1e2"]`},
		{"SORT nokey", `[]`},
		{"SORT nokey LIMIT 0 1 GET #", `[]`},
		{"SORT w", "(error) ERR One or more scores can't be converted into double"},
		{"SORT w ALPHA", `["10" "C" "a" "b"]`},
		{"SORT str", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SORT l LIMIT x 1", "(error) ERR value is not an integer or out of range"},
		{"SORT l LIMIT 1", "(error) ERR syntax error"},
		{"SORT l FOO", "(error) ERR syntax error"},
		{"SORT l BY", "(error) ERR syntax error"},
		{"SORT l GET", "(error) ERR syntax error"},
		{"SORT", "(error) ERR wrong number of arguments for 'sort' command"},
		{"SORT_RO l DESC", `["10" "3" "2" "1"]`},
		{"SORT_RO l STORE dst", "(error) ERR syntax error"},
		{"SORT_RO str", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
	})
	// Options are checked before the key's type.
	ktRun(t, te, c, []ktCase{{"SORT str FOO", "(error) ERR syntax error"}})
	ktWantProp(t, te)
}

func TestSortScoreParsing(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"", 0, true}, {" 5", 5, true}, {"\t-2.5", -2.5, true}, {"0x10", 16, true}, {"0x1p3", 8, true},
		{"inf", 0, true}, {"+3", 3, true}, {".5", 0.5, true}, {"5.", 5, true}, {"1e2", 100, true},
		{"0e5", 0, true}, {"0.000", 0, true}, {"2.2250738585072014e-308", 2.2250738585072014e-308, true},
		{"5 ", 0, false}, {"   ", 0, false}, {"nan", 0, false}, {"1e400", 0, false}, {"1e-400", 0, false},
		{"1e-310", 0, false}, {"1_000", 0, false}, {"abc", 0, false}, {"0x", 0, false}, {"1e", 0, false},
		{"7\x00junk", 7, true},
	} {
		got, ok := parseSortScore([]byte(tc.in))
		if ok != tc.ok || (ok && tc.in != "inf" && got != tc.want) {
			t.Errorf("parseSortScore(%q) = %v, %v", tc.in, got, ok)
		}
	}
}

func TestSortByAndGet(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktPut(te, 0, "l", keyspace.NewListOf(ktBytes("3", "1", "2")))
	ktStr(te, 0, "w_1", "30")
	ktStr(te, 0, "w_2", "10")
	ktStr(te, 0, "w_3", "20")
	ktStr(te, 0, "n_1", "one")
	ktStr(te, 0, "n_3", "three")
	ktPut(te, 0, "h_2", ktHashOf("f", "b", "g", "two"))
	ktPut(te, 0, "h_3", ktHashOf("f", "a"))
	ktStr(te, 0, "h_1->", "arrow")
	ktPut(te, 0, "lst_1", keyspace.NewListOf(ktBytes("x")))
	ktRun(t, te, c, []ktCase{
		{"SORT l BY w_*", `["2" "3" "1"]`},
		{"SORT l BY w_* DESC", `["1" "3" "2"]`},
		{"SORT l BY w_* GET #", `["2" "3" "1"]`},
		{"SORT l BY w_* GET n_* GET # GET w_*", `[nil "2" "10" "three" "3" "20" "one" "1" "30"]`},
		{"SORT l BY w_* LIMIT 0 1 GET nostar", `[nil]`},
		{"SORT l BY missing_*", `["1" "2" "3"]`},
		{"SORT l BY n_*", "(error) ERR One or more scores can't be converted into double"},
		// ALPHA BY: missing values first, ties keep the list order.
		{"SORT l BY n_* ALPHA", `["2" "1" "3"]`},
		{"SORT l BY n_* ALPHA DESC", `["3" "1" "2"]`},
		{"SORT l BY h_*->f ALPHA", `["1" "3" "2"]`},
		{"SORT l BY h_*->f ALPHA GET h_*->g GET h_*->f", `[nil nil nil "a" "two" "b"]`},
		{"SORT l BY nosort GET h_*->", `[nil "arrow" nil]`},
		{"SORT l BY nosort GET lst_*", `[nil nil nil]`},
		{"SORT l BY nosort GET n_*->f", `[nil nil nil]`},
	})
	c3 := ktClient3(te)
	if got := te.do(c3, "SORT", "l", "BY", "nosort", "GET", "n_*"); got != "*3\r\n$5\r\nthree\r\n$3\r\none\r\n_\r\n" {
		t.Errorf("RESP3 SORT GET = %q", got)
	}
}

func TestSortNoSort(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktPut(te, 0, "l", keyspace.NewListOf(ktBytes("c", "a", "d", "b")))
	ktPut(te, 0, "z", &ktColl{kind: keyspace.KindZSet, elems: ktBytes("z1", "z2", "z3")})
	ktPut(te, 0, "s", &ktColl{kind: keyspace.KindSet, elems: ktBytes("y", "x", "z")})
	ktRun(t, te, c, []ktCase{
		{"SORT l BY nosort", `["c" "a" "d" "b"]`},
		{"SORT l BY nosort DESC", `["b" "d" "a" "c"]`},
		{"SORT l BY nosort LIMIT 1 2", `["a" "d"]`},
		{"SORT l BY nosort DESC LIMIT 1 2", `["d" "a"]`},
		{"SORT l BY nosort LIMIT 5 2", `[]`},
		// Once a BY without '*' was seen, a later BY pattern does not sort.
		{"SORT l BY nosort BY w_*", `["c" "a" "d" "b"]`},
		{"SORT l BY w_* BY nosort", `["c" "a" "d" "b"]`},
		{"SORT l BY w_*", `["a" "b" "c" "d"]`},
		{"SORT z BY nosort DESC LIMIT 0 2", `["z3" "z2"]`},
		// A set keeps its iteration order; DESC does not apply.
		{"SORT s BY nosort", `["y" "x" "z"]`},
		{"SORT s BY nosort DESC LIMIT 1 5", `["x" "z"]`},
		// ... unless stored: then it is sorted by ALPHA.
		{"SORT s BY nosort STORE dst", ":3"},
	})
	if got := ktElems(te, 0, "dst"); got != "x y z" {
		t.Errorf("stored %q", got)
	}
}

// ktElems lists the elements of a stored list, set or sorted set.
func ktElems(te *testEnv, db int, key string) string {
	e := te.e.KS.DBs[db].Peek([]byte(key))
	if e == nil {
		return "(missing)"
	}
	var out []string
	for _, x := range e.Val.Val.(keyspace.ElementLister).Elements() {
		out = append(out, string(x))
	}
	return strings.Join(out, " ")
}

func TestSortStore(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktPut(te, 0, "l", keyspace.NewListOf(ktBytes("3", "1", "2")))
	ktStr(te, 0, "n_1", "one")
	ktStr(te, 0, "dst", "old")
	ktExpireAt(te, 0, "dst", te.now+1000)
	ktRun(t, te, c, []ktCase{
		{"SORT l STORE dst", ":3"},
		{"TYPE dst", "list"},
		{"PTTL dst", ":-1"},
		{"SORT l GET n_* GET # STORE dst", ":6"},
	})
	if got := ktElems(te, 0, "dst"); got != "one 1  2  3" {
		t.Errorf("stored %q", got)
	}
	before := te.e.Dirty
	ktRun(t, te, c, []ktCase{
		{"SORT nokey STORE dst", ":0"},
		{"EXISTS dst", ":0"},
		{"SORT nokey STORE dst", ":0"},
		{"SORT l LIMIT 0 0 STORE dst", ":0"},
	})
	if te.e.Dirty != before+1 {
		t.Errorf("dirty +%d, want +1", te.e.Dirty-before)
	}
	ktWantProp(t, te, "SORT l STORE dst", "SORT l GET n_* GET # STORE dst", "SORT nokey STORE dst")
	// Storing into the sorted key itself.
	ktRun(t, te, c, []ktCase{{"SORT l DESC STORE l", ":3"}, {"SORT l BY nosort", `["3" "2" "1"]`}})
	// A conversion error stores nothing.
	ktPut(te, 0, "bad", keyspace.NewListOf(ktBytes("x")))
	ktRun(t, te, c, []ktCase{{"SORT bad STORE out", "(error) ERR One or more scores can't be converted into double"}, {"EXISTS out", ":0"}})
}

// TestSortRealTypes runs SORT on the keyspace's own set and hash types.
func TestSortRealTypes(t *testing.T) {
	te := newTestEnv(t)
	c := ktClient3(te)
	set := keyspace.NewSet()
	for _, m := range []string{"3", "1", "2"} {
		set.Add([]byte(m), 512)
	}
	ktPut(te, 0, "s", set)
	for i, v := range []string{"9", "5", "7"} {
		h := keyspace.NewHash()
		h.Set([]byte("f"), []byte(v), 128, 64)
		ktPut(te, 0, "h_"+strconv.Itoa(i+1), h)
	}
	ktRun(t, te, c, []ktCase{
		// An intset iterates in order; DESC does not apply without sorting
		// (as redis-server 7.0: SADD s 3 1 2; SORT s BY nosort DESC).
		{"SORT s BY nosort DESC", `["1" "2" "3"]`},
		{"SORT s BY h_*->f GET # GET h_*->f GET h_*->nope", `["2" "5" nil "3" "7" nil "1" "9" nil]`},
	})
}

// SORT converts a listpack sorted set to a skiplist once the arguments
// and the type are checked, as redis-server 7.0 does.
func TestSortConvertsZSet(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktRun(t, te, c, []ktCase{
		{"ZADD z 1 a 2 b", ":2"},
		{"SORT z FOO", "(error) " + ErrSyntax},
		{"OBJECT ENCODING z", `"listpack"`},
		{"SORT_RO z BY nosort", `["a" "b"]`},
		{"OBJECT ENCODING z", `"skiplist"`},
		{"ZADD z2 1 x", ":1"},
		{"SORT z2", "(error) " + errSortScore},
		{"OBJECT ENCODING z2", `"skiplist"`},
	})
}

func TestSortKeys(t *testing.T) {
	for _, tc := range []struct {
		args string
		want []int
	}{
		{"SORT k", []int{1}},
		{"SORT k STORE d", []int{1, 3}},
		{"SORT k BY store GET store LIMIT 0 1 STORE a STORE b", []int{1, 12}},
		{"SORT k LIMIT store store", []int{1}},
		{"SORT k STORE", []int{1}},
	} {
		args := ktBytes(strings.Fields(tc.args)...)
		if got := sortKeys(args); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("sortKeys(%s) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
