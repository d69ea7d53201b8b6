package keyspace

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

var (
	_ Value         = (*Set)(nil)
	_ Lener         = (*Set)(nil)
	_ ElementLister = (*Set)(nil)
)

func setMembers(s *Set) string {
	var out []string
	for _, m := range s.Elements() {
		out = append(out, string(m))
	}
	return strings.Join(out, " ")
}

func sortedMembers(s *Set) string {
	m := strings.Fields(setMembers(s))
	sort.Strings(m)
	return strings.Join(m, " ")
}

func TestParseSetInt(t *testing.T) {
	cases := []struct {
		in   string
		v    int64
		want bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1", -1, true},
		{"123456789", 123456789, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false},
		{"-0", 0, false},
		{"00", 0, false},
		{"01", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"1a", 0, false},
		{"1.0", 0, false},
		{"100000000000000000000", 0, false},
	}
	for _, tc := range cases {
		v, ok := ParseSetInt([]byte(tc.in))
		if ok != tc.want || (ok && v != tc.v) {
			t.Errorf("ParseSetInt(%q) = %d %v, want %d %v", tc.in, v, ok, tc.v, tc.want)
		}
	}
}

func TestSetIntset(t *testing.T) {
	s := NewSetFor([]byte("5"))
	steps := []struct {
		op, m   string
		want    bool
		members string
	}{
		{"add", "5", true, "5"},
		{"add", "-3", true, "-3 5"},
		{"add", "10", true, "-3 5 10"},
		{"add", "5", false, "-3 5 10"},
		{"has", "10", true, "-3 5 10"},
		{"has", "010", false, "-3 5 10"},
		{"has", "x", false, "-3 5 10"},
		{"rem", "x", false, "-3 5 10"},
		{"rem", "05", false, "-3 5 10"},
		{"rem", "5", true, "-3 10"},
		{"rem", "5", false, "-3 10"},
		{"add", "0", true, "-3 0 10"},
	}
	for _, st := range steps {
		var got bool
		switch st.op {
		case "add":
			got = s.Add([]byte(st.m), 512)
		case "rem":
			got = s.Remove([]byte(st.m))
		default:
			got = s.Has([]byte(st.m))
		}
		if got != st.want || setMembers(s) != st.members || s.Encoding() != "intset" {
			t.Fatalf("%s %s: %v %q %s", st.op, st.m, got, setMembers(s), s.Encoding())
		}
	}
	if s.Len() != 3 || s.Kind() != KindSet || !s.IsIntset() {
		t.Errorf("len %d", s.Len())
	}
	if NewSetFor([]byte("x")).Encoding() != "hashtable" || NewSet().Encoding() != "intset" {
		t.Error("NewSetFor encodings")
	}
}

func TestSetConversion(t *testing.T) {
	s := NewSet()
	for i := 0; i < 4; i++ {
		s.Add([]byte(fmt.Sprint(i)), 4)
	}
	if s.Encoding() != "intset" {
		t.Fatalf("4 of 4: %s", s.Encoding())
	}
	if s.Add([]byte("2"), 0) || s.Encoding() != "intset" {
		t.Fatal("an existing member converted")
	}
	s.Add([]byte("4"), 4)
	if s.Encoding() != "hashtable" || sortedMembers(s) != "0 1 2 3 4" {
		t.Fatalf("5 of 4: %s %q", s.Encoding(), sortedMembers(s))
	}
	for i := 0; i < 4; i++ {
		s.Remove([]byte(fmt.Sprint(i)))
	}
	if s.Encoding() != "hashtable" || setMembers(s) != "4" || s.bytes != 1 {
		t.Fatalf("shrunk: %s %q %d", s.Encoding(), setMembers(s), s.bytes)
	}
	s = NewSet()
	s.Add([]byte("7"), 512)
	s.Add([]byte("seven"), 512)
	if s.Encoding() != "hashtable" || sortedMembers(s) != "7 seven" || !s.Has([]byte("7")) {
		t.Fatalf("non-integer: %s %q", s.Encoding(), sortedMembers(s))
	}
	if s.bytes != 6 {
		t.Errorf("bytes %d", s.bytes)
	}
}

func TestSetHashtableOps(t *testing.T) {
	s := NewSetFor([]byte("m"))
	const n = 1000
	for i := 0; i < n; i++ {
		if !s.Add([]byte(fmt.Sprint("m", i)), 512) {
			t.Fatalf("m%d not new", i)
		}
	}
	seen := map[string]bool{}
	cursor := uint64(0)
	for {
		cursor = s.Scan(cursor, func(m []byte) { seen[string(m)] = true })
		if cursor == 0 {
			break
		}
	}
	if len(seen) != n {
		t.Errorf("scan saw %d", len(seen))
	}
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 100; i++ {
		if m := s.Random(r, nil); !s.Has(m) {
			t.Fatalf("random %q not a member", m)
		}
	}
	cl := s.Clone().(*Set)
	for i := 0; i < n; i++ {
		if !s.Remove([]byte(fmt.Sprint("m", i))) {
			t.Fatalf("remove m%d", i)
		}
	}
	if s.Len() != 0 || s.bytes != 0 || cl.Len() != n {
		t.Errorf("len %d bytes %d clone %d", s.Len(), s.bytes, cl.Len())
	}
}

func TestSetRandomIntset(t *testing.T) {
	s := NewSet()
	for _, m := range []string{"1", "2", "3"} {
		s.Add([]byte(m), 512)
	}
	r := rand.New(rand.NewPCG(7, 8))
	seen := map[string]bool{}
	var buf [20]byte
	for i := 0; i < 200; i++ {
		seen[string(s.Random(r, buf[:0]))] = true
	}
	if len(seen) != 3 {
		t.Errorf("random saw %v", seen)
	}
	if next := s.Scan(99, func([]byte) {}); next != 0 {
		t.Errorf("intset scan cursor %d", next)
	}
}

// Elements copies; Clone is deep; MemUsage follows the content.
func TestSetCloneElementsMemUsage(t *testing.T) {
	for _, first := range []string{"1", "x"} {
		s := NewSetFor([]byte(first))
		empty := s.MemUsage()
		for i := 0; i < 20; i++ {
			s.Add([]byte(fmt.Sprint(i)), 512)
		}
		grown := s.MemUsage()
		if grown <= empty {
			t.Errorf("%s: mem %d, empty %d", first, grown, empty)
		}
		el := s.Elements()
		el[0][0] = 'Z'
		if strings.Contains(setMembers(s), "Z") {
			t.Errorf("%s: Elements shares memory", first)
		}
		cl := s.Clone().(*Set)
		if cl.Encoding() != s.Encoding() || sortedMembers(cl) != sortedMembers(s) || cl.MemUsage() <= empty {
			t.Errorf("%s: clone %s %q", first, cl.Encoding(), sortedMembers(cl))
		}
		cl.Add([]byte("new"), 512)
		if s.Has([]byte("new")) {
			t.Errorf("%s: clone shares members", first)
		}
		for i := 0; i < 20; i++ {
			s.Remove([]byte(fmt.Sprint(i)))
		}
		if s.MemUsage() >= grown && !s.IsIntset() {
			t.Errorf("%s: mem %d after removing everything, %d before", first, s.MemUsage(), grown)
		}
	}
}
