package codec

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

type zmPair struct {
	field, value string
	free         int
}

// buildZipmap encodes pairs as zipmapSet would, with free trailing bytes.
func buildZipmap(pairs []zmPair) []byte {
	appendLen := func(b []byte, n int) []byte {
		if n < zmBigLen {
			return append(b, byte(n))
		}
		b = append(b, zmBigLen)
		return binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	b := []byte{byte(min(len(pairs), zmBigLen))}
	for _, p := range pairs {
		b = appendLen(b, len(p.field))
		b = append(b, p.field...)
		b = appendLen(b, len(p.value))
		b = append(b, byte(p.free))
		b = append(b, p.value...)
		b = append(b, bytes.Repeat([]byte{0xAA}, p.free)...)
	}
	return append(b, zmEnd)
}

func zipmapPairs(t *testing.T, b []byte) []zmPair {
	t.Helper()
	var got []zmPair
	err := ZipmapEach(b, func(f, v []byte) error {
		got = append(got, zmPair{field: string(f), value: string(v)})
		return nil
	})
	if err != nil {
		t.Fatalf("ZipmapEach: %v", err)
	}
	return got
}

func TestZipmapDocExample(t *testing.T) {
	// The two-pair example from the comment atop zipmap.c.
	b := []byte("\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff")
	got := zipmapPairs(t, b)
	if len(got) != 2 || got[0] != (zmPair{"foo", "bar", 0}) || got[1] != (zmPair{"hello", "world", 0}) {
		t.Fatalf("got %+v", got)
	}
}

func TestZipmapLengths(t *testing.T) {
	pairs := []zmPair{
		{"", "", 0},
		{"a", "b", 3},
		{strings.Repeat("k", 253), strings.Repeat("v", 253), 0},
		{strings.Repeat("K", 254), strings.Repeat("V", 300), 4},
		{"x", strings.Repeat("w", 70000), 1},
	}
	got := zipmapPairs(t, buildZipmap(pairs))
	if len(got) != len(pairs) {
		t.Fatalf("%d pairs", len(got))
	}
	for i, p := range pairs {
		if got[i].field != p.field || got[i].value != p.value {
			t.Fatalf("pair %d: %d/%d bytes, want %d/%d", i, len(got[i].field), len(got[i].value), len(p.field), len(p.value))
		}
	}
	// 254 or more pairs: the count byte says "unknown".
	var many []zmPair
	for i := range 300 {
		many = append(many, zmPair{field: string(rune('a' + i%26)), value: "v"})
	}
	if got := zipmapPairs(t, buildZipmap(many)); len(got) != 300 {
		t.Fatalf("%d pairs, want 300", len(got))
	}
}

func TestZipmapMalformed(t *testing.T) {
	tests := []struct {
		name string
		b    string
		want string
	}{
		{"nil", "", "too short"},
		{"no terminator", "01 01 61 01 00 62 fe", "terminator"},
		{"empty", "00 ff", "empty"},
		{"count", "02 01 61 01 00 62 ff", "header says 2 pairs"},
		{"field overruns", "01 09 61 01 00 62 ff", "overruns"},
		{"value overruns", "01 01 61 09 00 62 ff", "overruns"},
		{"free overruns", "01 01 61 01 09 62 ff", "overruns"},
		{"value length missing", "01 01 61 ff", "overruns"},
		{"free byte missing", "01 01 61 01 ff", "overruns"},
		{"big length cut", "01 fe 0100 ff", "overruns"},
		{"big length huge", "01 fe ffffffff 61 ff", "overruns"},
		{"value length 0xff", "01 01 61 ff 00 62 ff", "invalid length byte"},
		{"early terminator", "01 01 61 01 00 62 ff 00 ff", "before the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ZipmapEach(mustHex(tt.b), func(_, _ []byte) error {
				t.Fatal("callback called on a malformed zipmap")
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	valid := buildZipmap([]zmPair{{"foo", "bar", 2}, {"hello", "world", 0}})
	for n := range len(valid) {
		if ZipmapEach(valid[:n], func(_, _ []byte) error { return nil }) == nil {
			t.Fatalf("truncation to %d accepted", n)
		}
	}
}

func FuzzZipmap(f *testing.F) {
	f.Add([]byte("\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff"))
	f.Add(buildZipmap([]zmPair{{strings.Repeat("K", 254), "v", 2}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var pairs []zmPair
		if ZipmapEach(b, func(f, v []byte) error {
			pairs = append(pairs, zmPair{field: string(f), value: string(v)})
			return nil
		}) != nil {
			return
		}
		again := zipmapPairs(t, buildZipmap(pairs))
		if len(again) != len(pairs) {
			t.Fatalf("re-encoded: %d pairs, want %d", len(again), len(pairs))
		}
		for i := range pairs {
			if again[i] != pairs[i] {
				t.Fatalf("re-encoded pair %d differs", i)
			}
		}
	})
}
