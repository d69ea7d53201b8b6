package resp

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
)

func parseAll(t *testing.T, in string, lim Limits) ([]string, error) {
	t.Helper()
	r := NewReader(strings.NewReader(""), lim)
	r.Feed([]byte(in))
	var out []string
	for {
		args, ok, err := r.Next()
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		var parts []string
		for _, a := range args {
			parts = append(parts, string(a))
		}
		out = append(out, strings.Join(parts, "|"))
	}
}

func TestReaderRequests(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", []string{"GET|k"}, ""},
		{"pipeline", "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", []string{"PING", "PING"}, ""},
		{"inline", "SET k \"a b\"\r\n", []string{"SET|k|a b"}, ""},
		{"inline lf only", "PING\n", []string{"PING"}, ""},
		{"empty inline skipped", "\r\n\r\nPING\r\n", []string{"PING"}, ""},
		{"zero multibulk skipped", "*0\r\n*-1\r\nPING\r\n", []string{"PING"}, ""},
		{"empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", []string{"ECHO|"}, ""},
		{"partial", "*2\r\n$3\r\nGET\r\n$1\r\n", nil, ""},
		{"bad mbulk", "*x\r\n", nil, "ERR Protocol error: invalid multibulk length"},
		{"huge mbulk", "*99999999999\r\n", nil, "ERR Protocol error: invalid multibulk length"},
		{"negative bulk", "*1\r\n$-1\r\n", nil, "ERR Protocol error: invalid bulk length"},
		{"bulk over limit", "*1\r\n$1000\r\n", nil, "ERR Protocol error: invalid bulk length"},
		{"expected dollar", "*1\r\n:1\r\n", nil, "ERR Protocol error: expected '$', got ':'"},
		{"unbalanced", "SET \"a\r\n", nil, "ERR Protocol error: unbalanced quotes in request"},
		{"closing quote then char", "SET \"a\"b\r\n", nil, "ERR Protocol error: unbalanced quotes in request"},
		{"leading zero length", "*01\r\n", nil, "ERR Protocol error: invalid multibulk length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAll(t, tc.in, Limits{MaxBulkLen: 512})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestReaderUnauthenticatedLimits(t *testing.T) {
	lim := Limits{MaxBulkLen: 1 << 20, Unauthenticated: true}
	_, err := parseAll(t, "*11\r\n", lim)
	if err == nil || err.Error() != "ERR Protocol error: unauthenticated multibulk length" {
		t.Fatalf("mbulk: %v", err)
	}
	_, err = parseAll(t, "*1\r\n$16385\r\n", lim)
	if err == nil || err.Error() != "ERR Protocol error: unauthenticated bulk length" {
		t.Fatalf("bulk: %v", err)
	}
}

func TestReaderTooBigInline(t *testing.T) {
	_, err := parseAll(t, strings.Repeat("a", InlineMaxSize+1), Limits{})
	if err == nil || err.Error() != "ERR Protocol error: too big inline request" {
		t.Fatalf("err = %v", err)
	}
}

// oneByteReader delivers its input one byte per Read.
type oneByteReader struct{ b []byte }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	p[0] = o.b[0]
	o.b = o.b[1:]
	return 1, nil
}

func TestReaderByteByByteAndLargeValue(t *testing.T) {
	big := bytes.Repeat([]byte("v"), 200_000)
	var in []byte
	in = AppendCommand(in, []byte("SET"), []byte("k"), big)
	in = AppendCommand(in, []byte("GET"), []byte("k"))
	for _, rd := range []io.Reader{&oneByteReader{b: in}, bytes.NewReader(in)} {
		r := NewReader(rd, Limits{MaxBulkLen: 1 << 20})
		var got [][]string
		for len(got) < 2 {
			args, ok, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				if err := r.Fill(); err != nil {
					t.Fatalf("fill: %v", err)
				}
				continue
			}
			var s []string
			for _, a := range args {
				s = append(s, string(a))
			}
			got = append(got, s)
		}
		if got[0][0] != "SET" || got[0][2] != string(big) || got[1][0] != "GET" {
			t.Fatalf("bad parse")
		}
	}
}

func TestQueryBufferLimit(t *testing.T) {
	r := NewReader(bytes.NewReader(bytes.Repeat([]byte("*1\r\n$100000\r\n"), 1)), Limits{MaxBulkLen: 1 << 20, MaxQueryBuffer: 1024})
	_ = r.Fill()
	if _, _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	r.Feed(bytes.Repeat([]byte("x"), 2000))
	if _, _, err := r.Next(); err != ErrQueryBufferLimit {
		t.Fatalf("err = %v", err)
	}
}

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		bad  bool
	}{
		{`a b  c`, []string{"a", "b", "c"}, false},
		{`"a b" 'c d'`, []string{"a b", "c d"}, false},
		{`"\x41\n\t\\"`, []string{"A\n\t\\"}, false},
		{`'it\'s'`, []string{"it's"}, false},
		{`""`, []string{""}, false},
		{`"abc`, nil, true},
		{`"a"b`, nil, true},
		{`'a'b`, nil, true},
		{`  `, nil, false},
	}
	for _, tc := range cases {
		got, err := SplitArgs([]byte(tc.in), nil)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: want error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		var s []string
		for _, a := range got {
			s = append(s, string(a))
		}
		if strings.Join(s, "|") != strings.Join(tc.want, "|") || len(s) != len(tc.want) {
			t.Errorf("%q = %q want %q", tc.in, s, tc.want)
		}
	}
}

func TestParseInt(t *testing.T) {
	ok := map[string]int64{"0": 0, "-1": -1, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for s, want := range ok {
		if v, good := ParseInt([]byte(s)); !good || v != want {
			t.Errorf("%s = %d,%v", s, v, good)
		}
	}
	for _, s := range []string{"", "-", "01", "+1", " 1", "1 ", "9223372036854775808", "-9223372036854775809", "1.0", "-0"} {
		if _, good := ParseInt([]byte(s)); good {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestFormatDouble(t *testing.T) {
	cases := map[float64]string{1: "1", 1.5: "1.5", 0.1: "0.10000000000000001", 1e20: "1e+20", 3.0e3: "3000", -2.5: "-2.5", 1e-5: "1.0000000000000001e-05"}
	for f, want := range cases {
		if got := string(FormatDouble(nil, f)); got != want {
			t.Errorf("%v = %s want %s", f, got, want)
		}
	}
}

func TestWriterRESP2AndRESP3(t *testing.T) {
	w2 := Writer{Proto: 2}
	w3 := Writer{Proto: 3}
	for _, w := range []*Writer{&w2, &w3} {
		w.Map(1)
		w.BulkString("k")
		w.Double(1.5)
		w.Null()
		w.Bool(true)
	}
	if got := string(w2.Buf); got != "*2\r\n$1\r\nk\r\n$3\r\n1.5\r\n$-1\r\n:1\r\n" {
		t.Errorf("resp2 %q", got)
	}
	if got := string(w3.Buf); got != "%1\r\n$1\r\nk\r\n,1.5\r\n_\r\n#t\r\n" {
		t.Errorf("resp3 %q", got)
	}
}

func TestPeekKeys(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want []string
	}{
		{"", 10, nil},
		{"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$2\r\nbc\r\n", 10, []string{"a", "bc"}},
		{"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$2\r\nbc\r\n", 1, []string{"a"}},
		// A one-argument request has no key; the scan goes on after it.
		{"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 10, []string{"k"}},
		// Incomplete, inline, empty or malformed requests end the scan.
		{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$5\r\nab", 10, []string{"k"}},
		{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nGET j\r\n*2\r\n$3\r\nGET\r\n$1\r\nl\r\n", 10, []string{"k"}},
		{"*0\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 10, nil},
		{"*2\r\n$3\r\nGET\r\n$9223372036854775807\r\nk\r\n", 10, nil},
		{"*2\r\n$3\r\nGET\r\n:1\r\n", 10, nil},
	} {
		r := NewReader(bytes.NewReader(nil), Limits{})
		r.Feed([]byte(tc.in))
		var got []string
		for _, k := range r.PeekKeys(nil, tc.max) {
			got = append(got, string(k))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("PeekKeys(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
		if r.Buffered() != len(tc.in) {
			t.Errorf("PeekKeys(%q) consumed input", tc.in)
		}
	}
}

// FuzzReader feeds arbitrary bytes, split at an arbitrary point, to the
// request parser: it must never panic, and never return arguments longer
// than the input.
func FuzzReader(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), uint8(3))
	f.Add([]byte("SET a \"b\\x41\"\r\n"), uint8(0))
	f.Add([]byte("*1\r\n$-1\r\n"), uint8(1))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"), uint8(20))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		r := NewReader(bytes.NewReader(nil), Limits{MaxBulkLen: 1 << 16, MaxQueryBuffer: 1 << 20})
		cut := int(split)
		if cut > len(data) {
			cut = len(data)
		}
		r.Feed(data[:cut])
		for i := 0; i < 2; i++ {
			// PeekKeys sees the keys of a prefix of the requests Next
			// returns next.
			peeked := r.PeekKeys(nil, 1<<20)
			for {
				args, ok, err := r.Next()
				if err != nil || !ok {
					break
				}
				if !r.Inline && len(args) >= 2 && len(peeked) > 0 {
					if !bytes.Equal(peeked[0], args[1]) {
						t.Fatalf("peeked key %q, request has %q", peeked[0], args[1])
					}
					peeked = peeked[1:]
				}
				total := 0
				for _, a := range args {
					total += len(a)
				}
				if total > len(data) {
					t.Fatalf("args longer than input")
				}
			}
			r.Feed(data[cut:])
		}
	})
}

// FuzzParseReply checks the client-side reply parser on arbitrary bytes.
func FuzzParseReply(f *testing.F) {
	f.Add([]byte("*2\r\n$1\r\na\r\n:1\r\n"))
	f.Add([]byte("%1\r\n+k\r\n,1.5\r\n"))
	f.Add([]byte("|1\r\n+a\r\n+b\r\n+c\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, rest, err := ParseReply(data)
		if err == nil && len(rest) > len(data) {
			t.Fatal("rest longer than input")
		}
	})
}
