package codec

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// lzfInputs are inputs of every kind of compressibility.
func lzfInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	var text strings.Builder
	for i := range 5000 {
		text.WriteString("user:" + strconv.Itoa(i%731) + " logged in from 10.0." + strconv.Itoa(i%17) + ".1\n")
	}
	// Runs of one byte longer than the longest match, and matches right
	// at the 8 KiB window edge.
	window := append(bytes.Clone(random[:lzfMaxOff]), random[:300]...)
	window = append(window, random[1:lzfMaxOff+50]...)
	return map[string][]byte{
		"one byte":  {'x'},
		"two bytes": []byte("ab"),
		"short":     []byte("abcabcabcabc"),
		"zeros":     make([]byte, 10000),
		"text":      []byte(text.String()),
		"random":    random,
		"window":    window,
		"letters":   []byte(goldenLetters(5000)),
	}
}

func TestLZFRoundTrip(t *testing.T) {
	for name, src := range lzfInputs() {
		t.Run(name, func(t *testing.T) {
			dst := make([]byte, len(src)+len(src)/32+1)
			n := LZFCompress(dst, src)
			if n == 0 {
				t.Fatalf("LZFCompress gave 0 with room for the worst case")
			}
			out := make([]byte, len(src))
			if m, err := LZFDecompress(out, dst[:n]); err != nil || m != len(src) {
				t.Fatalf("LZFDecompress = %d, %v", m, err)
			}
			if !bytes.Equal(out, src) {
				t.Fatal("round trip differs")
			}
			// Exactly enough room gives the same output; one byte less gives 0.
			exact := make([]byte, n)
			if m := LZFCompress(exact, src); m != n || !bytes.Equal(exact, dst[:n]) {
				t.Fatalf("with %d bytes of room: %d", n, m)
			}
			if m := LZFCompress(make([]byte, n-1), src); m != 0 {
				t.Fatalf("with %d bytes of room: %d, want 0", n-1, m)
			}
			t.Logf("%d -> %d bytes", len(src), n)
		})
	}
}

func TestLZFCompressRatios(t *testing.T) {
	in := lzfInputs()
	for name, maxRatio := range map[string]float64{"zeros": 0.05, "text": 0.5, "letters": 0.05} {
		src := in[name]
		dst := make([]byte, len(src))
		if n := LZFCompress(dst, src); n == 0 || float64(n) > maxRatio*float64(len(src)) {
			t.Errorf("%s: %d -> %d bytes, want at most %.0f%%", name, len(src), n, maxRatio*100)
		}
	}
	// Redis's call: room for len-4 bytes; random data does not fit.
	src := in["random"]
	if n := LZFCompress(make([]byte, len(src)-4), src); n != 0 {
		t.Errorf("random data compressed to %d bytes", n)
	}
}

func TestLZFCompressDeterministic(t *testing.T) {
	// The pooled hash table must not leak matches from earlier calls.
	src := []byte(strings.Repeat("hello world ", 50))
	first := make([]byte, len(src))
	n := LZFCompress(first, src)
	for _, other := range lzfInputs() {
		LZFCompress(make([]byte, len(other)+len(other)/32+1), other)
		again := make([]byte, len(src))
		if m := LZFCompress(again, src); m != n || !bytes.Equal(again[:m], first[:n]) {
			t.Fatal("output depends on earlier calls")
		}
	}
}

func TestLZFCompressEdges(t *testing.T) {
	if n := LZFCompress(make([]byte, 10), nil); n != 0 {
		t.Errorf("empty input: %d", n)
	}
	if n := LZFCompress(nil, []byte("abc")); n != 0 {
		t.Errorf("no room: %d", n)
	}
}

func TestLZFDecompressMalformed(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		outLen int
	}{
		{"reference before start", "20 00", 3},
		{"reference one before start", "00 61 20 01", 4},
		{"literal overruns input", "05 61 62", 6},
		{"literal overruns output", "02 61 62 63", 2},
		{"reference overruns output", "00 61 20 00", 3},
		{"reference missing offset", "00 61 20", 4},
		{"long reference missing length", "00 61 e0", 20},
		{"long reference missing offset", "00 61 e0 05", 20},
		{"output too short", "01 61 62", 3},
		{"empty input, output wanted", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, err := LZFDecompress(make([]byte, tt.outLen), mustHex(tt.src)); err == nil {
				t.Fatalf("accepted, %d bytes", n)
			}
		})
	}
	// Valid hand-made streams: a literal then an overlapping reference.
	out := make([]byte, 6)
	if n, err := LZFDecompress(out, mustHex("01 61 62 40 01")); err != nil || string(out) != "ababab" || n != 6 {
		t.Fatalf("= %q, %d, %v", out, n, err)
	}
	// The farthest reference: 8192 bytes back.
	var far []byte
	var want []byte
	for i := 0; i < lzfMaxOff; i += 32 {
		far = append(far, 31)
		for j := range 32 {
			far = append(far, byte(i+j*7))
			want = append(want, byte(i+j*7))
		}
	}
	far = append(far, 0x3f, 0xff)
	want = append(want, want[:3]...)
	out = make([]byte, len(want))
	if _, err := LZFDecompress(out, far); err != nil || !bytes.Equal(out, want) {
		t.Fatalf("8 KiB back reference: %v", err)
	}
	if n, err := LZFDecompress(nil, nil); err != nil || n != 0 {
		t.Fatalf("empty: %d, %v", n, err)
	}
}

func FuzzLZF(f *testing.F) {
	f.Add([]byte("hello hello hello hello"), uint16(23))
	f.Add(mustHex("01 61 62 40 01"), uint16(6))
	f.Add(mustHex("20 00"), uint16(3))
	f.Fuzz(func(t *testing.T, data []byte, outLen uint16) {
		// Decompressing anything must not panic.
		LZFDecompress(make([]byte, outLen), data)
		// Compressing anything round trips.
		dst := make([]byte, len(data)+len(data)/32+1)
		n := LZFCompress(dst, data)
		if len(data) > 0 && n == 0 {
			t.Fatal("no output with room for the worst case")
		}
		out := make([]byte, len(data))
		if _, err := LZFDecompress(out, dst[:n]); err != nil || !bytes.Equal(out, data) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func BenchmarkLZF(b *testing.B) {
	in := lzfInputs()
	for _, name := range []string{"text", "random", "letters"} {
		src := in[name]
		dst := make([]byte, len(src))
		n := LZFCompress(dst, src)
		b.Run("compress/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				LZFCompress(dst, src)
			}
		})
		if n == 0 {
			continue
		}
		out := make([]byte, len(src))
		b.Run("decompress/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := LZFDecompress(out, dst[:n]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Redis compresses every string over 20 bytes: short calls must be cheap.
	short := []byte("session:8f14e45fceea167a5a36dedd4bea2543")
	b.Run("compress/short", func(b *testing.B) {
		dst := make([]byte, len(short))
		b.ReportAllocs()
		for b.Loop() {
			LZFCompress(dst, short)
		}
	})
}
