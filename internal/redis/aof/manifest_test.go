package aof

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	long := "file " + strings.Repeat("x", 1020) + " seq 1 type b\n"
	tests := []struct {
		name string
		in   string
		want *Manifest
		err  string // Redis's message
		line int
	}{
		{"typical", "file appendonly.aof.2.base.rdb seq 2 type b\n" +
			"file appendonly.aof.1.incr.aof seq 1 type h\n" +
			"file appendonly.aof.2.incr.aof seq 2 type h\n" +
			"file appendonly.aof.4.incr.aof seq 4 type i\n" +
			"file appendonly.aof.5.incr.aof seq 5 type i\n",
			&Manifest{
				Base: &File{"appendonly.aof.2.base.rdb", 2, 'b'},
				History: []File{
					{"appendonly.aof.1.incr.aof", 1, 'h'},
					{"appendonly.aof.2.incr.aof", 2, 'h'},
				},
				Incrs: []File{
					{"appendonly.aof.4.incr.aof", 4, 'i'},
					{"appendonly.aof.5.incr.aof", 5, 'i'},
				},
				CurBaseSeq: 2, CurIncrSeq: 5,
			}, "", 0},
		{"comments, any key order, case-insensitive keys, extra pairs, CRLF",
			"# hello\nTYPE b SEQ 3 FILE a.rdb\r\nfile b.aof seq 7 type i future value\n",
			&Manifest{Base: &File{"a.rdb", 3, 'b'}, Incrs: []File{{"b.aof", 7, 'i'}}, CurBaseSeq: 3, CurIncrSeq: 7}, "", 0},
		{"lenient seq and type like atoll and [0]", "file a seq 12abc type bogus\n",
			&Manifest{Base: &File{"a", 12, 'b'}, CurBaseSeq: 12}, "", 0},
		{"quoted name", "file \"a b\\x41\" seq 1 type i\n",
			&Manifest{Incrs: []File{{"a bA", 1, 'i'}}, CurIncrSeq: 1}, "", 0},
		{"surrounding blanks", "  file a seq 1 type i \t\n",
			&Manifest{Incrs: []File{{"a", 1, 'i'}}, CurIncrSeq: 1}, "", 0},
		{"history seq not checked", "file x seq -5 type h\nfile y seq 1 type b\n",
			&Manifest{Base: &File{"y", 1, 'b'}, History: []File{{"x", -5, 'h'}}, CurBaseSeq: 1}, "", 0},
		{"only comments", "# nothing\n", &Manifest{}, "", 0},
		{"empty name accepted as Redis does", "file \"\" seq 1 type h\n",
			&Manifest{History: []File{{"", 1, 'h'}}}, "", 0},

		{"empty", "", nil, msgEmptyManifest, 0},
		{"last line without newline", "file a seq 1 type b", nil, msgTooLongLine, 0},
		{"line too long", long, nil, msgTooLongLine, 0},
		{"NUL before newline", "file a\x00 seq 1 type b\n", nil, msgTooLongLine, 0},
		{"empty line", "file a seq 1 type b\n\n", nil, msgInvalidFormat, 2},
		{"blank line", "   \n", nil, msgInvalidFormat, 1},
		{"indented comment", " # c\n", nil, msgInvalidFormat, 1},
		{"too few fields", "file a seq 1\n", nil, msgInvalidFormat, 1},
		{"odd fields", "file a seq 1 type b extra\n", nil, msgInvalidFormat, 1},
		{"unbalanced quotes", "file \"a seq 1 type b\n", nil, msgInvalidFormat, 1},
		{"missing file", "name a seq 1 type b\n", nil, msgInvalidFormat, 1},
		{"zero seq", "file a seq 0 type b\n", nil, msgInvalidFormat, 1},
		{"non-numeric seq", "file a seq x type b\n", nil, msgInvalidFormat, 1},
		{"empty type", "file a seq 1 type \"\"\n", nil, msgInvalidFormat, 1},
		{"path", "file ../a seq 1 type b\n", nil, msgNotBaseName, 1},
		{"backslash path", "file a\\\\b seq 1 type b\n", nil, msgNotBaseName, 1},
		{"two bases", "file a seq 1 type b\nfile b seq 2 type b\n", nil, msgDuplicateBase, 2},
		{"decreasing incr", "file a seq 2 type i\nfile b seq 1 type i\n", nil, msgNonMonotonic, 2},
		{"equal incr", "file a seq 2 type i\nfile b seq 2 type i\n", nil, msgNonMonotonic, 2},
		{"negative incr", "file a seq -1 type i\n", nil, msgNonMonotonic, 1},
		{"unknown type", "file a seq 1 type z\n", nil, msgUnknownType, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tt.in))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("ParseManifest: %v", err)
				}
				if !reflect.DeepEqual(m, tt.want) {
					t.Fatalf("got %+v, want %+v", m, tt.want)
				}
				return
			}
			var me *ManifestError
			if !errors.As(err, &me) || !errors.Is(err, ErrManifest) {
				t.Fatalf("err = %v, want a *ManifestError", err)
			}
			if me.Msg != tt.err || me.Line != tt.line {
				t.Fatalf("err = %q at line %d, want %q at line %d", me.Msg, me.Line, tt.err, tt.line)
			}
		})
	}
}

func TestManifestMarshal(t *testing.T) {
	m := &Manifest{
		Base:    &File{"appendonly.aof.2.base.rdb", 2, 'b'},
		History: []File{{"appendonly.aof.1.incr.aof", 1, 'h'}},
		Incrs:   []File{{"appendonly.aof.2.incr.aof", 2, 'i'}, {"we\"ird \\name\n\x01", 3, 'i'}},
	}
	want := "file appendonly.aof.2.base.rdb seq 2 type b\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"file appendonly.aof.2.incr.aof seq 2 type i\n" +
		"file \"we\\\"ird \\\\name\\n\\x01\" seq 3 type i\n"
	if got := string(m.Marshal()); got != want {
		t.Fatalf("Marshal:\n%s\nwant:\n%s", got, want)
	}
	// A backslash is escaped, but Redis then refuses the name as a path.
	m.Incrs[1].Name = "we\"ird name\n\x01\t"
	back, err := ParseManifest(m.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	m.CurBaseSeq, m.CurIncrSeq = 2, 3
	if !reflect.DeepEqual(back, m) {
		t.Fatalf("round trip: %+v, want %+v", back, m)
	}
	if got := (&Manifest{}).Marshal(); len(got) != 0 {
		t.Fatalf("empty manifest marshals to %q", got)
	}
}

func TestNames(t *testing.T) {
	for _, c := range [][2]string{
		{ManifestName("appendonly.aof"), "appendonly.aof.manifest"},
		{TempManifestName("appendonly.aof"), "temp-appendonly.aof.manifest"},
		{BaseName("appendonly.aof", 1, true), "appendonly.aof.1.base.rdb"},
		{BaseName("appendonly.aof", 12, false), "appendonly.aof.12.base.aof"},
		{IncrName("appendonly.aof", 3), "appendonly.aof.3.incr.aof"},
	} {
		if c[0] != c[1] {
			t.Errorf("got %q, want %q", c[0], c[1])
		}
	}
}

func TestManifestTransitions(t *testing.T) {
	m := &Manifest{}
	m.newBase("a", true)
	m.addIncr("a")
	m.addIncr("a")
	m.newBase("a", false)
	want := "file a.2.base.aof seq 2 type b\nfile a.1.base.rdb seq 1 type h\n" +
		"file a.1.incr.aof seq 1 type i\nfile a.2.incr.aof seq 2 type i\n"
	if got := string(m.Marshal()); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	c := m.Clone()
	c.Base.Name, c.Incrs[0].Name = "x", "y"
	if m.Base.Name == "x" || m.Incrs[0].Name == "y" {
		t.Fatal("Clone shares memory")
	}
}

func TestAtoll(t *testing.T) {
	for in, want := range map[string]int64{
		"": 0, "12": 12, " \t-7x": -7, "+3": 3, "99999999999999999999": 1<<63 - 1,
		"-99999999999999999999": -1 << 63, "9223372036854775807": 1<<63 - 1, "abc": 0,
	} {
		if got := atoll([]byte(in)); got != want {
			t.Errorf("atoll(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzManifest(f *testing.F) {
	f.Add([]byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"))
	f.Add([]byte("# c\nfile \"a b\" seq 3 type h\n"))
	f.Add([]byte("file a seq 1 type b\nfile b seq 1 type b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		// What parses must survive a Marshal/Parse round trip unchanged,
		// except for NULs, which C strings cut and Marshal cannot carry.
		for _, fl := range m.Files() {
			if strings.IndexByte(fl.Name, 0) >= 0 {
				t.Fatalf("name with NUL: %q", fl.Name)
			}
		}
		out := m.Marshal()
		if m.Empty() && len(m.History) == 0 {
			return
		}
		back, err := ParseManifest(out)
		if err != nil {
			// A name longer than a manifest line is the only way out.
			if !strings.Contains(err.Error(), msgTooLongLine) {
				t.Fatalf("re-parse of %q: %v", out, err)
			}
			return
		}
		if !reflect.DeepEqual(back.Files(), m.Files()) || !reflect.DeepEqual(back.History, m.History) {
			t.Fatalf("round trip changed %q: %+v vs %+v", out, back, m)
		}
	})
}
