package codec

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// lpEntries returns the entry bytes (after the header, before the terminator).
func lpEntries(b []byte) []byte { return b[lpHeaderSize : len(b)-1] }

func TestListpackIntEncodings(t *testing.T) {
	tests := []struct {
		v    int64
		want string // encoding, data and backlen
	}{
		{0, "00 01"},
		{1, "01 01"},
		{127, "7f 01"},
		{128, "c0 80 02"},
		{-1, "df ff 02"},
		{4095, "cf ff 02"},
		{-4096, "d0 00 02"},
		{4096, "f1 00 10 03"},
		{-4097, "f1 ff ef 03"},
		{math.MaxInt16, "f1 ff 7f 03"},
		{math.MinInt16, "f1 00 80 03"},
		{math.MaxInt16 + 1, "f2 00 80 00 04"},
		{math.MinInt16 - 1, "f2 ff 7f ff 04"},
		{1<<23 - 1, "f2 ff ff 7f 04"},
		{-1 << 23, "f2 00 00 80 04"},
		{1 << 23, "f3 00 00 80 00 05"},
		{-1<<23 - 1, "f3 ff ff 7f ff 05"},
		{math.MaxInt32, "f3 ff ff ff 7f 05"},
		{math.MinInt32, "f3 00 00 00 80 05"},
		{math.MaxInt32 + 1, "f4 00 00 00 80 00 00 00 00 09"},
		{math.MinInt32 - 1, "f4 ff ff ff 7f ff ff ff ff 09"},
		{math.MaxInt64, "f4 ff ff ff ff ff ff ff 7f 09"},
		{math.MinInt64, "f4 00 00 00 00 00 00 00 80 09"},
	}
	for _, tt := range tests {
		t.Run(strconv.FormatInt(tt.v, 10), func(t *testing.T) {
			var w ListpackWriter
			w.AppendInt(tt.v)
			b := w.Bytes()
			if got := hex.EncodeToString(lpEntries(b)); got != strings.ReplaceAll(tt.want, " ", "") {
				t.Fatalf("AppendInt(%d) = %s, want %s", tt.v, got, tt.want)
			}
			// The decimal string takes the same encoding.
			w.Reset()
			w.Append(strconv.AppendInt(nil, tt.v, 10))
			if !bytes.Equal(w.Bytes(), b) {
				t.Fatalf("Append(%q) differs from AppendInt", strconv.FormatInt(tt.v, 10))
			}
			var got int64
			var gotInt bool
			err := ListpackEach(b, func(_ []byte, v int64, isInt bool) error {
				got, gotInt = v, isInt
				return nil
			})
			if err != nil || !gotInt || got != tt.v {
				t.Fatalf("ListpackEach = %d, %v, %v; want %d as integer", got, gotInt, err, tt.v)
			}
		})
	}
}

func TestListpackIntRange(t *testing.T) {
	// Every value of the small encodings, and a sweep across the others.
	var w ListpackWriter
	var want []int64
	for v := int64(-5000); v <= 5000; v++ {
		want = append(want, v)
	}
	for _, base := range []int64{1 << 15, 1 << 23, 1 << 31, 1 << 62} {
		for d := int64(-3); d <= 3; d++ {
			want = append(want, base+d, -base+d)
		}
	}
	for _, v := range want {
		w.AppendInt(v)
	}
	i := 0
	err := ListpackEach(w.Bytes(), func(_ []byte, v int64, isInt bool) error {
		if !isInt || v != want[i] {
			t.Fatalf("entry %d = %d (int %v), want %d", i, v, isInt, want[i])
		}
		i++
		return nil
	})
	if err != nil || i != len(want) {
		t.Fatalf("ListpackEach: %v after %d of %d", err, i, len(want))
	}
}

func TestListpackStringEncodings(t *testing.T) {
	tests := []struct {
		n       int
		header  string // encoding bytes
		backlen string
	}{
		{0, "80", "01"},
		{1, "81", "02"},
		{63, "bf", "40"},
		{64, "e040", "42"},
		{125, "e07d", "7f"},    // entry of 127 bytes: last one-byte backlen
		{126, "e07e", "0180"},  // 128 bytes: two-byte backlen
		{4095, "efff", "2081"}, // 4097 bytes
		{4096, "f000100000", "2085"},
		{16377, "f0f93f0000", "7ffe"},   // 16382 bytes: last two-byte backlen
		{16378, "f0fa3f0000", "00ffff"}, // 16383 bytes: Redis uses three
		{70000, "f070110100", "04a2f5"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			s := bytes.Repeat([]byte("x"), tt.n)
			var w ListpackWriter
			w.Append(s)
			b := w.Bytes()
			want := mustHex(tt.header + hex.EncodeToString(s) + tt.backlen)
			if !bytes.Equal(lpEntries(b), want) {
				t.Fatalf("entry header %x backlen %x, want %s %s",
					lpEntries(b)[:len(tt.header)/2], lpEntries(b)[len(want)-len(tt.backlen)/2:], tt.header, tt.backlen)
			}
			got, err := ListpackStrings(b)
			if err != nil || len(got) != 1 || !bytes.Equal(got[0], s) {
				t.Fatalf("ListpackStrings = %d entries, %v", len(got), err)
			}
		})
	}
}

func TestStringToInt64(t *testing.T) {
	tests := []struct {
		s    string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"7", 7, true},
		{"-7", -7, true},
		{"10", 10, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"-99999999999999999999", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"-0", 0, false},
		{"00", 0, false},
		{"007", 0, false},
		{"-01", 0, false},
		{"+5", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1.5", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
		{"12a", 0, false},
	}
	for _, tt := range tests {
		v, ok := CanonicalInt([]byte(tt.s))
		if v != tt.want || ok != tt.ok {
			t.Errorf("CanonicalInt(%q) = %d, %v; want %d, %v", tt.s, v, ok, tt.want, tt.ok)
		}
		// A non-canonical string must come back from the listpack unchanged.
		got, err := ListpackStrings(writeListpack([]string{tt.s}))
		if err != nil || len(got) != 1 || string(got[0]) != tt.s {
			t.Errorf("round trip of %q = %q, %v", tt.s, got, err)
		}
	}
}

func TestListpackWriter(t *testing.T) {
	var w ListpackWriter
	if got := w.Bytes(); !bytes.Equal(got, mustHex("07000000 0000 ff")) {
		t.Fatalf("empty listpack = %x", got)
	}
	if w.Size() != 7 || w.Len() != 0 {
		t.Fatalf("empty: Size %d Len %d", w.Size(), w.Len())
	}
	w.Append([]byte("a"))
	if w.Size() != 10 || w.Len() != 1 {
		t.Fatalf("after one entry: Size %d Len %d", w.Size(), w.Len())
	}
	w.Bytes() // Appending after Bytes continues the same listpack.
	w.AppendInt(5)
	b := w.Bytes()
	if !bytes.Equal(b, mustHex("0c000000 0200 8161 02 05 01 ff")) || w.Size() != len(b) {
		t.Fatalf("listpack = %x, Size %d", b, w.Size())
	}
	w.Reset()
	if got := w.Bytes(); len(got) != 7 || w.Len() != 0 {
		t.Fatalf("after Reset = %x", got)
	}
}

func TestListpackManyEntries(t *testing.T) {
	for _, n := range []int{65534, 65535, 70000} {
		var w ListpackWriter
		for i := range n {
			w.AppendInt(int64(i % 100))
		}
		b := w.Bytes()
		wantHdr := min(n, 65535)
		if got := int(binary.LittleEndian.Uint16(b[4:])); got != wantHdr {
			t.Fatalf("n=%d: header count %d, want %d", n, got, wantHdr)
		}
		got, err := ListpackStrings(b)
		if err != nil || len(got) != n {
			t.Fatalf("n=%d: %d entries, %v", n, len(got), err)
		}
		if n == 65534 {
			continue
		}
		// 65535 is "unknown", never a count to check against.
		binary.LittleEndian.PutUint16(b[4:], 3)
		if _, err := ListpackStrings(b); err == nil {
			t.Fatalf("n=%d: wrong count accepted", n)
		}
	}
	// An unknown count over few entries is valid, as in Redis.
	b := writeListpack([]string{"a", "b"})
	binary.LittleEndian.PutUint16(b[4:], lpCountUnknown)
	if got, err := ListpackStrings(b); err != nil || len(got) != 2 {
		t.Fatalf("unknown count: %d entries, %v", len(got), err)
	}
}

func TestListpackMalformed(t *testing.T) {
	valid := writeListpack([]string{"hello", "1", "-5000", strings.Repeat("y", 200), "70000"})
	// valid: header 6, "hello" 7 bytes at offset 6, 1 2 at 13, -5000 4 at
	// 15, the 200-byte string 2+200+2 at 19, 70000 5 at 223, terminator 228.
	tests := []rejectCase{
		{"nil", nil, "shorter than the header"},
		{"header only", mustHex("06000000 0000"), "shorter than the header"},
		{"total too big", mutated(valid, func(b []byte) { b[0]++ }), "header says"},
		{"total too small", mutated(valid, func(b []byte) { b[0]-- }), "header says"},
		{"no terminator", mutated(valid, func(b []byte) { b[len(b)-1] = 0xfe }), "terminator"},
		{"count", mutated(valid, func(b []byte) { b[4] = 4 }), "header says 4 entries"},
		{"bad encoding", mutated(valid, func(b []byte) { b[13] = 0xf5 }), "invalid encoding"},
		{"bad backlen", mutated(valid, func(b []byte) { b[12]++ }), "bad back-length"},
		{"long backlen", mutated(valid, func(b []byte) { b[14] = 0x82 }), "bad back-length"},
		{"string overruns", withTotal(append(mustHex("00000000 0100 bf 6162"), 0xff)), "overruns"},
		{"12-bit string overruns", mutated(valid, func(b []byte) { b[19] = 0xef }), "overruns"},
		{"32-bit length huge", withTotal(append(mustHex("00000000 0100 f0ffffffff 00"), 0xff)), "overruns"},
		{"32-bit length cut", withTotal(append(mustHex("00000000 0100 f0ff"), 0xff)), "overruns"},
		{"int cut", withTotal(append(mustHex("00000000 0100 f4ffff"), 0xff)), "overruns"},
		{"early terminator", withTotal(append(mustHex("00000000 0100 0001 ff 0001"), 0xff)), "terminator at offset"},
		{"missing backlen", withTotal(append(mustHex("00000000 0100 8161"), 0xff)), "overruns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRejected(t, tt.b, tt.want, ListpackEach, ListpackStrings) })
	}
	// Every truncation fails, with or without the total fixed up.
	for n := range len(valid) {
		if ListpackEach(valid[:n], nil) == nil {
			t.Fatalf("truncation to %d accepted", n)
		}
		if n < 6 {
			continue
		}
		cut := withTotal(append(bytes.Clone(valid[:n]), 0xff))
		if n != len(valid)-1 && ListpackEach(cut, nil) == nil {
			t.Fatalf("truncation to %d with fixed header accepted", n)
		}
	}
}

func TestListpackEachStops(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := ListpackEach(writeListpack([]string{"a", "b", "c"}), func([]byte, int64, bool) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Fatalf("err %v after %d calls, want stop after 1", err, calls)
	}
}

func TestListpackStringsAreCapped(t *testing.T) {
	b := writeListpack([]string{"ab", "cd", "1", "2"})
	got, err := ListpackStrings(b)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(got[0], 'X')
	_ = append(got[2], 'X')
	checkStrings(t, "after append", got, []string{"ab", "cd", "1", "2"})
	if _, err := ListpackStrings(b); err != nil {
		t.Fatalf("append through an entry corrupted the blob: %v", err)
	}
}

func FuzzListpack(f *testing.F) {
	f.Add(writeListpack([]string{"a", "1", "hello", "-5000", strings.Repeat("z", 100)}))
	f.Add(writeListpack(nil))
	// Seeds stay small: the fuzzer spends up to a minute minimizing each
	// new input, in proportion to its size. Unit tests cover long strings.
	f.Add(writeListpack([]string{strings.Repeat("q", 70), "9223372036854775807"}))
	f.Add(mustHex("0f000000 0200 00f3 02f6 ff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Any input: no panic, and a valid one survives a rewrite.
		if got, err := ListpackStrings(b); err == nil {
			var w ListpackWriter
			for _, s := range got {
				w.Append(s)
			}
			again, err := ListpackStrings(w.Bytes())
			if err != nil || len(again) != len(got) {
				t.Fatalf("rewrite: %d entries, %v; want %d", len(again), err, len(got))
			}
			for i := range got {
				if !bytes.Equal(again[i], got[i]) {
					t.Fatalf("rewrite: entry %d = %q, want %q", i, again[i], got[i])
				}
			}
		}
		// The input as entries (split at commas): writer and reader agree.
		entries := bytes.Split(b, []byte(","))
		var w ListpackWriter
		for _, e := range entries {
			w.Append(e)
		}
		lp := w.Bytes()
		if w.Size() != len(lp) || w.Len() != len(entries) {
			t.Fatalf("Size %d Len %d, blob %d bytes of %d entries", w.Size(), w.Len(), len(lp), len(entries))
		}
		got, err := ListpackStrings(lp)
		if err != nil || len(got) != len(entries) {
			t.Fatalf("read back: %d entries, %v", len(got), err)
		}
		for i := range entries {
			if !bytes.Equal(got[i], entries[i]) {
				t.Fatalf("entry %d = %q, want %q", i, got[i], entries[i])
			}
		}
	})
}
