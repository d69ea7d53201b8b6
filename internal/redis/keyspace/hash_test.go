package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

var (
	_ Value       = (*Hash)(nil)
	_ Lener       = (*Hash)(nil)
	_ FieldGetter = (*Hash)(nil)
)

func hashPairs(h *Hash) string {
	var b strings.Builder
	h.Each(func(f, v []byte) bool {
		fmt.Fprintf(&b, "%s=%s ", f, v)
		return true
	})
	return strings.TrimSpace(b.String())
}

func sortedPairs(h *Hash) string {
	p := strings.Fields(hashPairs(h))
	sort.Strings(p)
	return strings.Join(p, " ")
}

// checkHashBytes verifies the incremental byte count against the content.
func checkHashBytes(t *testing.T, h *Hash) {
	t.Helper()
	var n int64
	h.Each(func(f, v []byte) bool {
		n += int64(len(f) + len(v))
		return true
	})
	if n != h.bytes {
		t.Fatalf("accounted %d bytes, content has %d", h.bytes, n)
	}
}

func TestHashListpack(t *testing.T) {
	h := NewHash()
	steps := []struct {
		op, f, v string
		want     bool
		pairs    string
	}{
		{"set", "b", "1", true, "b=1"},
		{"set", "a", "2", true, "b=1 a=2"},
		{"set", "c", "3", true, "b=1 a=2 c=3"},
		{"set", "a", "20", false, "b=1 a=20 c=3"},
		{"set", "a", "x", false, "b=1 a=x c=3"},
		{"del", "b", "", true, "a=x c=3"},
		{"del", "b", "", false, "a=x c=3"},
		{"set", "b", "4", true, "a=x c=3 b=4"},
		{"set", "", "", true, "a=x c=3 b=4 ="},
		{"del", "", "", true, "a=x c=3 b=4"},
	}
	for _, st := range steps {
		var got bool
		if st.op == "set" {
			got = h.Set([]byte(st.f), []byte(st.v), 128, 64)
		} else {
			got = h.Delete([]byte(st.f))
		}
		if got != st.want || hashPairs(h) != st.pairs {
			t.Fatalf("%s %s %s: %v %q, want %v %q", st.op, st.f, st.v, got, hashPairs(h), st.want, st.pairs)
		}
		checkHashBytes(t, h)
	}
	if v, ok := h.Get([]byte("a")); !ok || string(v) != "x" {
		t.Errorf("Get a = %q %v", v, ok)
	}
	if _, ok := h.GetField([]byte("zz")); ok {
		t.Error("Get zz found")
	}
	if h.Encoding() != "listpack" || h.Len() != 3 || h.Kind() != KindHash {
		t.Errorf("%s %d %v", h.Encoding(), h.Len(), h.Kind())
	}
}

// The arguments are copied: the caller's buffers may be reused.
func TestHashCopiesArguments(t *testing.T) {
	for _, max := range []int{128, 0} {
		h := NewHash()
		f, v := []byte("field"), []byte("value")
		h.Set(f, v, max, 64)
		copy(f, "XXXXX")
		copy(v, "YYYYY")
		if got, ok := h.Get([]byte("field")); !ok || string(got) != "value" {
			t.Errorf("max %d: stored %q %v", max, got, ok)
		}
	}
}

func TestHashConversion(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	cases := []struct {
		name           string
		pairs          []string // field, value, ...
		maxEnt, maxVal int
		enc            string
	}{
		{"at entry limit", []string{"a", "1", "b", "2"}, 2, 64, "listpack"},
		{"over entry limit", []string{"a", "1", "b", "2", "c", "3"}, 2, 64, "hashtable"},
		{"value at limit", []string{"a", long("v", 64)}, 128, 64, "listpack"},
		{"value over limit", []string{"a", long("v", 65)}, 128, 64, "hashtable"},
		{"field over limit", []string{long("f", 65), "v"}, 128, 64, "hashtable"},
		{"zero entries", []string{"a", "1"}, 0, 64, "hashtable"},
		{"zero value length", []string{"", ""}, 128, 0, "listpack"},
		{"one byte over zero", []string{"", "x"}, 128, 0, "hashtable"},
	}
	for _, tc := range cases {
		h := NewHash()
		for i := 0; i < len(tc.pairs); i += 2 {
			h.Set([]byte(tc.pairs[i]), []byte(tc.pairs[i+1]), tc.maxEnt, tc.maxVal)
		}
		if h.Encoding() != tc.enc || h.Len() != len(tc.pairs)/2 {
			t.Errorf("%s: %s with %d fields, want %s", tc.name, h.Encoding(), h.Len(), tc.enc)
		}
		checkHashBytes(t, h)
	}
	// One way: deleting back below the limits keeps the hashtable.
	h := NewHash()
	for i := 0; i < 5; i++ {
		h.Set([]byte(fmt.Sprint(i)), []byte("v"), 4, 64)
	}
	for i := 0; i < 4; i++ {
		h.Delete([]byte(fmt.Sprint(i)))
	}
	if h.Encoding() != "hashtable" || hashPairs(h) != "4=v" {
		t.Errorf("after deletes: %s %q", h.Encoding(), hashPairs(h))
	}
	// An update converts a listpack that is over a lowered limit.
	h = NewHash()
	for i := 0; i < 3; i++ {
		h.Set([]byte(fmt.Sprint(i)), []byte("v"), 128, 64)
	}
	h.Set([]byte("0"), []byte("w"), 2, 64)
	if h.Encoding() != "hashtable" {
		t.Errorf("update over a lowered limit: %s", h.Encoding())
	}
}

func TestHashTableOps(t *testing.T) {
	h := NewHash()
	const n = 500
	for i := 0; i < n; i++ {
		if !h.Set([]byte(fmt.Sprint("f", i)), []byte(fmt.Sprint("v", i)), 128, 64) {
			t.Fatalf("f%d not new", i)
		}
	}
	if h.Encoding() != "hashtable" || h.IsListpack() {
		t.Fatal(h.Encoding())
	}
	if h.Set([]byte("f7"), []byte("seven"), 128, 64) {
		t.Error("f7 reported new")
	}
	if v, _ := h.Get([]byte("f7")); string(v) != "seven" {
		t.Errorf("f7 = %q", v)
	}
	checkHashBytes(t, h)
	seen := map[string]bool{}
	cursor := uint64(0)
	for {
		cursor = h.Scan(cursor, func(f, v []byte) { seen[string(f)] = true })
		if cursor == 0 {
			break
		}
	}
	if len(seen) != n {
		t.Errorf("scan saw %d", len(seen))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100; i++ {
		f, v := h.Random(r)
		if got, ok := h.Get(f); !ok || string(got) != string(v) {
			t.Fatalf("random %q %q", f, v)
		}
	}
	for i := 0; i < n; i++ {
		if !h.Delete([]byte(fmt.Sprint("f", i))) {
			t.Fatalf("delete f%d", i)
		}
	}
	if h.Len() != 0 || h.bytes != 0 {
		t.Errorf("len %d bytes %d", h.Len(), h.bytes)
	}
}

func TestHashCloneAndMemUsage(t *testing.T) {
	for _, max := range []int{128, 2} {
		h := NewHash()
		empty := h.MemUsage()
		for i := 0; i < 10; i++ {
			h.Set([]byte(fmt.Sprint("f", i)), []byte("value"), max, 64)
		}
		grown := h.MemUsage()
		if grown <= empty+10*int64(len("f0value")) {
			t.Errorf("max %d: mem %d after 10 pairs, %d empty", max, grown, empty)
		}
		cl := h.Clone().(*Hash)
		if cl.Encoding() != h.Encoding() || sortedPairs(cl) != sortedPairs(h) || cl.MemUsage() <= empty {
			t.Errorf("clone %s %q", cl.Encoding(), hashPairs(cl))
		}
		cl.Set([]byte("f0"), []byte("changed"), max, 64)
		if v, _ := h.Get([]byte("f0")); string(v) != "value" {
			t.Errorf("clone shares values: %q", v)
		}
		for i := 0; i < 10; i++ {
			h.Delete([]byte(fmt.Sprint("f", i)))
		}
		if h.MemUsage() >= grown {
			t.Errorf("max %d: mem %d after deleting everything, %d before", max, h.MemUsage(), grown)
		}
	}
}

func TestHashRandomListpack(t *testing.T) {
	h := NewHash()
	for _, f := range []string{"a", "b", "c"} {
		h.Set([]byte(f), []byte(f+f), 128, 64)
	}
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		f, v := h.Random(r)
		if string(v) != string(f)+string(f) {
			t.Fatalf("pair %q %q", f, v)
		}
		seen[string(f)] = true
	}
	if len(seen) != 3 {
		t.Errorf("random saw %v", seen)
	}
	if next := h.Scan(0, func(f, v []byte) {}); next != 0 {
		t.Errorf("listpack scan cursor %d", next)
	}
}

// The listpack encoding keeps pairs in one slice: updates of another
// length keep the pair in place, deletes keep the order, and lengths that
// take several bytes to encode round trip.
func TestHashListpackLayout(t *testing.T) {
	h := NewHash()
	long := bytes.Repeat([]byte("L"), 300) // a two-byte length
	for _, kv := range [][2]string{{"a", "1"}, {"b", "22"}, {"c", "333"}, {"d", string(long)}} {
		if !h.Set([]byte(kv[0]), []byte(kv[1]), 128, 1000) {
			t.Fatalf("%s not new", kv[0])
		}
	}
	h.Set([]byte("b"), []byte("a much longer value"), 128, 1000)
	h.Set([]byte("c"), []byte("x"), 128, 1000)
	h.Set([]byte("a"), []byte("9"), 128, 1000) // same length: in place
	if !h.Delete([]byte("c")) || h.Delete([]byte("c")) {
		t.Fatal("delete c")
	}
	var got []string
	h.Each(func(f, v []byte) bool {
		got = append(got, string(f)+"="+string(v))
		return true
	})
	want := []string{"a=9", "b=a much longer value", "d=" + string(long)}
	if !slices.Equal(got, want) || h.Len() != 3 || !h.IsListpack() {
		t.Fatalf("pairs %q (len %d, listpack %v), want %q", got, h.Len(), h.IsListpack(), want)
	}
	if h.bytes != int64(1+1+1+19+1+300) {
		t.Fatalf("bytes %d", h.bytes)
	}
	seen := map[string]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		f, _ := h.Random(r)
		seen[string(f)] = true
	}
	if len(seen) != 3 {
		t.Fatalf("Random reached %v", seen)
	}
	for _, f := range []string{"a", "b", "d"} {
		if !h.Delete([]byte(f)) {
			t.Fatalf("delete %s", f)
		}
	}
	if h.Len() != 0 || h.lp != nil || h.bytes != 0 {
		t.Fatalf("emptied hash: len %d lp %q bytes %d", h.Len(), h.lp, h.bytes)
	}
}
