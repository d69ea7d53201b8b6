package codec

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"testing"
)

// buildZiplist encodes entries as Redis 6's ziplistPush would, with a
// five-byte prevlen wherever bigPrev says so (Redis leaves those behind
// after cascade updates).
func buildZiplist(entries []string, bigPrev map[int]bool) []byte {
	b := make([]byte, zlHeaderSize)
	prev, last := 0, zlHeaderSize
	for i, e := range entries {
		start := len(b)
		if prev < zlBigPrevlen && !bigPrev[i] {
			b = append(b, byte(prev))
		} else {
			b = append(b, zlBigPrevlen)
			b = binary.LittleEndian.AppendUint32(b, uint32(prev))
		}
		v, isInt := CanonicalInt([]byte(e))
		switch {
		case isInt && v >= 0 && v <= 12:
			b = append(b, 0xF1+byte(v))
		case isInt && v >= math.MinInt8 && v <= math.MaxInt8:
			b = append(b, 0xFE, byte(v))
		case isInt && v >= math.MinInt16 && v <= math.MaxInt16:
			b = append(b, 0xC0, byte(v), byte(v>>8))
		case isInt && v >= -1<<23 && v < 1<<23:
			b = append(b, 0xF0, byte(v), byte(v>>8), byte(v>>16))
		case isInt && v >= math.MinInt32 && v <= math.MaxInt32:
			b = append(b, 0xD0)
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case isInt:
			b = append(b, 0xE0)
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		case len(e) <= 0x3f:
			b = append(b, byte(len(e)))
			b = append(b, e...)
		case len(e) <= 0x3fff:
			b = append(b, 0x40|byte(len(e)>>8), byte(len(e)))
			b = append(b, e...)
		default:
			b = append(b, 0x80)
			b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
			b = append(b, e...)
		}
		prev, last = len(b)-start, start
	}
	b = append(b, zlEnd)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(last))
	binary.LittleEndian.PutUint16(b[8:], uint16(min(len(entries), zlCountUnkn)))
	return b
}

func TestZiplistDocExample(t *testing.T) {
	// The ziplist holding 2 and 5 from the comment atop ziplist.c.
	b := mustHex("0f000000 0c000000 0200 00f3 02f6 ff")
	got, err := ZiplistStrings(b)
	if err != nil {
		t.Fatal(err)
	}
	checkStrings(t, "doc example", got, []string{"2", "5"})
	if mine := buildZiplist([]string{"2", "5"}, nil); !bytes.Equal(mine, b) {
		t.Fatalf("test encoder = %x, want %x", mine, b)
	}
}

func TestZiplistEncodings(t *testing.T) {
	entries := []string{
		"0", "12", "13", "-1", "127", "-128", "128", "-129", "32767", "-32768",
		"32768", "-32769", "8388607", "-8388608", "8388608", "-8388609",
		"2147483647", "-2147483648", "2147483648", "-2147483649",
		"9223372036854775807", "-9223372036854775808",
		"", "a", strings.Repeat("b", 63), strings.Repeat("c", 64),
		strings.Repeat("d", 252), strings.Repeat("e", 253), // prevlen 254 and up
		strings.Repeat("f", 16383), strings.Repeat("g", 16384), "007", "-0",
	}
	for _, big := range []map[int]bool{nil, {0: true, 1: true, 5: true}} {
		b := buildZiplist(entries, big)
		got, err := ZiplistStrings(b)
		if err != nil {
			t.Fatalf("ZiplistStrings: %v", err)
		}
		checkStrings(t, "encodings", got, entries)
		i := 0
		err = ZiplistEach(b, func(s []byte, v int64, isInt bool) error {
			want, wantInt := CanonicalInt([]byte(entries[i]))
			if isInt != wantInt || (isInt && v != want) || (!isInt && string(s) != entries[i]) {
				t.Fatalf("entry %d = %q %d %v", i, s, v, isInt)
			}
			i++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestZiplistCounts(t *testing.T) {
	var entries []string
	for i := range 70000 {
		entries = append(entries, strconv.Itoa(i%300))
	}
	b := buildZiplist(entries, nil)
	got, err := ZiplistStrings(b)
	if err != nil || len(got) != 70000 {
		t.Fatalf("%d entries, %v", len(got), err)
	}
	empty := buildZiplist(nil, nil)
	if got, err := ZiplistStrings(empty); err != nil || len(got) != 0 {
		t.Fatalf("empty: %d entries, %v", len(got), err)
	}
	// An unknown count over few entries is valid.
	small := buildZiplist([]string{"a"}, nil)
	binary.LittleEndian.PutUint16(small[8:], zlCountUnkn)
	if got, err := ZiplistStrings(small); err != nil || len(got) != 1 {
		t.Fatalf("unknown count: %d entries, %v", len(got), err)
	}
}

func TestZiplistMalformed(t *testing.T) {
	valid := buildZiplist([]string{"hello", "7", "-300", strings.Repeat("z", 300)}, nil)
	// Entries: "hello" at 10 (7 bytes), 7 at 17 (2), -300 at 19 (4), the
	// 300-byte string at 23 (1+2+300), terminator at 326.
	tests := []rejectCase{
		{"nil", nil, "shorter than the header"},
		{"header only", mustHex("0a000000 0a000000 0000"), "shorter than the header"},
		{"total", mutated(valid, func(b []byte) { b[0]++ }), "header says"},
		{"terminator", mutated(valid, func(b []byte) { b[len(b)-1] = 0 }), "terminator"},
		{"tail past end", mutated(valid, func(b []byte) { b[5] = 9 }), "past the end"},
		{"tail not last", mutated(valid, func(b []byte) { b[4] = 19 }), "tail offset"},
		{"count", mutated(valid, func(b []byte) { b[8] = 3 }), "header says 3 entries"},
		{"first prevlen", mutated(valid, func(b []byte) { b[10] = 1 }), "previous entry"},
		{"prevlen", mutated(valid, func(b []byte) { b[19] = 3 }), "previous entry"},
		{"bad encoding", mutated(valid, func(b []byte) { b[18] = 0xc1 }), "invalid encoding"},
		{"encoding 0xff", mutated(valid, func(b []byte) { b[18] = 0xff }), "invalid encoding"},
		{"string overruns", mutated(valid, func(b []byte) { b[24] = 0x7f }), "overruns"},
		{"32-bit string huge", withTotal(mustHex("00000000 0a000000 0100 00 80ffffffff ff")), "overruns"},
		{"32-bit length cut", withTotal(mustHex("00000000 0a000000 0100 00 80ff ff")), "overruns"},
		{"big prevlen cut", withTotal(mustHex("00000000 0a000000 0100 fe0000 ff")), "overruns"},
		{"int cut", withTotal(mustHex("00000000 0a000000 0100 00e00102 ff")), "overruns"},
		{"encoding missing", withTotal(mustHex("00000000 0a000000 0100 00 ff")), "overruns"},
		{"early terminator", withTotal(mustHex("00000000 0a000000 0100 00f1 ff 00 ff")), "before the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRejected(t, tt.b, tt.want, ZiplistEach, ZiplistStrings) })
	}
	for n := range len(valid) {
		if ZiplistEach(valid[:n], nil) == nil {
			t.Fatalf("truncation to %d accepted", n)
		}
	}
}

func FuzzZiplist(f *testing.F) {
	f.Add(buildZiplist([]string{"a", "1", "-300", strings.Repeat("x", 300), "70000"}, nil))
	f.Add(buildZiplist([]string{"a", "b"}, map[int]bool{1: true}))
	f.Add(mustHex("0f000000 0c000000 0200 00f3 02f6 ff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ZiplistStrings(b)
		if err != nil {
			return
		}
		// A valid ziplist re-encodes to one with the same entries.
		strs := make([]string, len(got))
		for i, s := range got {
			strs[i] = string(s)
		}
		again, err := ZiplistStrings(buildZiplist(strs, nil))
		if err != nil {
			t.Fatalf("re-encoded: %v", err)
		}
		checkStrings(t, "re-encoded", again, strs)
	})
}
