package codec

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func intsetValues(t *testing.T, b []byte) []int64 {
	t.Helper()
	var got []int64
	if err := IntsetEach(b, func(v int64) error { got = append(got, v); return nil }); err != nil {
		t.Fatalf("IntsetEach(%x): %v", b, err)
	}
	return got
}

func TestIntsetEncodings(t *testing.T) {
	tests := []struct {
		values []int64
		enc    uint32
	}{
		{[]int64{0}, 2},
		{[]int64{math.MinInt16, math.MaxInt16}, 2},
		{[]int64{math.MinInt16 - 1, 0}, 4},
		{[]int64{0, math.MaxInt16 + 1}, 4},
		{[]int64{math.MinInt32, math.MaxInt32}, 4},
		{[]int64{math.MinInt32 - 1, 1}, 8},
		{[]int64{-1, math.MaxInt32 + 1}, 8},
		{[]int64{math.MinInt64, -1, 0, 1, math.MaxInt64}, 8},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.values), func(t *testing.T) {
			b := AppendIntset([]byte("prefix"), tt.values)
			if string(b[:6]) != "prefix" {
				t.Fatal("AppendIntset overwrote dst")
			}
			b = b[6:]
			if enc := binary.LittleEndian.Uint32(b); enc != tt.enc {
				t.Fatalf("encoding %d, want %d", enc, tt.enc)
			}
			if len(b) != 8+int(tt.enc)*len(tt.values) {
				t.Fatalf("%d bytes", len(b))
			}
			if got := intsetValues(t, b); !slices.Equal(got, tt.values) {
				t.Fatalf("got %v", got)
			}
		})
	}
}

func TestIntsetMalformed(t *testing.T) {
	tests := []struct {
		name string
		b    string
		want string
	}{
		{"nil", "", "shorter than the header"},
		{"short header", "02000000 0100", "shorter than the header"},
		{"empty", "02000000 00000000", "empty"},
		{"encoding 3", "03000000 01000000 010000", "invalid encoding"},
		{"encoding 0", "00000000 01000000", "invalid encoding"},
		{"length too big", "02000000 03000000 0100 0200", "header says 3 entries"},
		{"length huge", "08000000 ffffffff 0100000000000000", "header says"},
		{"trailing byte", "02000000 01000000 0100 00", "header says"},
		{"descending", "02000000 02000000 0200 0100", "entry 1"},
		{"duplicate", "04000000 03000000 01000000 05000000 05000000", "entry 2"},
		{"negative order", "02000000 02000000 0100 ffff", "entry 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := IntsetEach(mustHex(tt.b), func(int64) error {
				t.Fatal("callback called on a malformed intset")
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// Redis's own empty intset is rejected, as intsetValidateIntegrity does.
	if err := IntsetEach(AppendIntset(nil, nil), func(int64) error { return nil }); err == nil {
		t.Fatal("empty intset accepted")
	}
}

func FuzzIntset(f *testing.F) {
	f.Add(AppendIntset(nil, []int64{-5, 1, 2, 3}))
	f.Add(AppendIntset(nil, []int64{-1, 70000}))
	f.Add(AppendIntset(nil, []int64{math.MinInt64, 0, math.MaxInt64}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got []int64
		if IntsetEach(b, func(v int64) error { got = append(got, v); return nil }) != nil {
			return
		}
		// A valid intset re-encodes to the smallest encoding of the same values.
		again := AppendIntset(nil, got)
		if len(again) > len(b) {
			t.Fatalf("re-encoding grew: %d > %d", len(again), len(b))
		}
		if back := intsetValues(t, again); !slices.Equal(back, got) {
			t.Fatalf("re-encoded %v, want %v", back, got)
		}
	})
}
