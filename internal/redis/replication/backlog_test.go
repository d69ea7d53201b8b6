package replication

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// refStream is the whole replication stream since offset base+1, kept as a
// reference for the backlog's contents.
type refStream struct {
	base int64 // offset of the byte before the first one held
	buf  bytes.Buffer
}

func (r *refStream) end() int64 { return r.base + int64(r.buf.Len()) }

// from returns the stream bytes from offset off to the end.
func (r *refStream) from(off int64) []byte {
	return r.buf.Bytes()[off-r.base-1:]
}

// pattern returns n bytes numbered from start, so that misplaced bytes show.
func pattern(start, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte('a' + (start+i)%26)
	}
	return p
}

// checkBacklog compares every observable of b against the reference.
func checkBacklog(t *testing.T, b *Backlog, ref *refStream) {
	t.Helper()
	end := ref.end()
	held := min(int64(b.Size()), int64(ref.buf.Len()))
	first := end - held + 1
	if got := b.End(); got != end {
		t.Fatalf("End() = %d, want %d", got, end)
	}
	if got := b.HistLen(); int64(got) != held {
		t.Fatalf("HistLen() = %d, want %d", got, held)
	}
	if got := b.First(); got != first {
		t.Fatalf("First() = %d, want %d", got, first)
	}
	for _, c := range []struct {
		off  int64
		want bool
	}{
		{first - 1, false},
		{first, true},
		{end, held > 0},
		{end + 1, true},
		{end + 2, false},
	} {
		if got := b.Covers(c.off); got != c.want {
			t.Fatalf("Covers(%d) = %v, want %v (first %d, end %d)", c.off, got, c.want, first, end)
		}
	}
	for _, off := range []int64{first, first + held/2, end, end + 1} {
		if off < first || off > end+1 {
			continue
		}
		prefix := []byte("prefix")
		got, ok := b.ReadFrom(bytes.Clone(prefix), off)
		if !ok {
			t.Fatalf("ReadFrom(%d) not ok (first %d, end %d)", off, first, end)
		}
		want := append(bytes.Clone(prefix), ref.from(off)...)
		if !bytes.Equal(got, want) {
			t.Fatalf("ReadFrom(%d) = %q, want %q", off, got, want)
		}
	}
	for _, off := range []int64{first - 1, end + 2} {
		dst := []byte("keep")
		got, ok := b.ReadFrom(dst, off)
		if ok {
			t.Fatalf("ReadFrom(%d) ok outside [%d, %d]", off, first, end+1)
		}
		if !bytes.Equal(got, []byte("keep")) {
			t.Fatalf("ReadFrom(%d) outside the backlog changed dst to %q", off, got)
		}
	}
}

func TestNewBacklog(t *testing.T) {
	for _, tc := range []struct {
		size     int
		off      int64
		wantSize int
	}{
		{16, 0, 16},
		{16, 1000, 16},
		{1, 7, 1},
		{0, 5, 1},
		{-3, 5, 1},
	} {
		t.Run(fmt.Sprintf("size=%d,off=%d", tc.size, tc.off), func(t *testing.T) {
			b := NewBacklog(tc.size, tc.off)
			if b.Size() != tc.wantSize {
				t.Fatalf("Size() = %d, want %d", b.Size(), tc.wantSize)
			}
			if b.HistLen() != 0 {
				t.Fatalf("HistLen() = %d, want 0", b.HistLen())
			}
			if b.End() != tc.off {
				t.Fatalf("End() = %d, want %d", b.End(), tc.off)
			}
			if b.First() != tc.off+1 {
				t.Fatalf("First() = %d, want %d", b.First(), tc.off+1)
			}
			if b.Covers(tc.off) {
				t.Fatalf("empty backlog covers %d", tc.off)
			}
			if !b.Covers(tc.off + 1) {
				t.Fatalf("empty backlog does not cover End()+1 = %d", tc.off+1)
			}
			if b.Covers(tc.off + 2) {
				t.Fatalf("empty backlog covers %d", tc.off+2)
			}
			got, ok := b.ReadFrom(nil, tc.off+1)
			if !ok || len(got) != 0 {
				t.Fatalf("ReadFrom(End()+1) = %q, %v; want empty, true", got, ok)
			}
			checkBacklog(t, b, &refStream{base: tc.off})
		})
	}
}

func TestBacklogOffsetsFollowRedis(t *testing.T) {
	// A fresh master: offset 0, the first byte has offset 1.
	b := NewBacklog(100, 0)
	b.Append([]byte("*1\r\n$4\r\nPING\r\n"))
	if b.End() != 14 || b.First() != 1 || b.HistLen() != 14 {
		t.Fatalf("End, First, HistLen = %d, %d, %d; want 14, 1, 14", b.End(), b.First(), b.HistLen())
	}
	// A replica that processed up to offset 4 asks for 5.
	got, ok := b.ReadFrom(nil, 5)
	if !ok || string(got) != "$4\r\nPING\r\n" {
		t.Fatalf("ReadFrom(5) = %q, %v", got, ok)
	}
	got, ok = b.ReadFrom(nil, 1)
	if !ok || string(got) != "*1\r\n$4\r\nPING\r\n" {
		t.Fatalf("ReadFrom(1) = %q, %v", got, ok)
	}
}

func TestBacklogAppend(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		start int64
		sizes []int
	}{
		{"single small", 16, 0, []int{5}},
		{"fill exactly", 16, 0, []int{16}},
		{"fill in pieces", 16, 0, []int{4, 4, 4, 4}},
		{"wrap around", 16, 0, []int{10, 10}},
		{"wrap around twice", 16, 0, []int{10, 10, 10, 10}},
		{"exactly capacity after data", 16, 3, []int{5, 16}},
		{"exactly capacity twice", 16, 0, []int{16, 16}},
		{"larger than capacity", 16, 0, []int{40}},
		{"larger than capacity after wrap", 16, 100, []int{7, 11, 40, 3}},
		{"one less than capacity", 16, 0, []int{3, 15, 15}},
		{"one more than capacity", 16, 0, []int{3, 17, 2}},
		{"empty appends", 16, 9, []int{0, 5, 0, 16, 0}},
		{"single byte ring", 1, 0, []int{1, 1, 3, 0, 2}},
		{"two byte ring", 2, 50, []int{1, 1, 1, 3, 1}},
		{"byte at a time", 5, 0, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"large offset", 8, 1 << 40, []int{5, 5, 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBacklog(tc.size, tc.start)
			ref := &refStream{base: tc.start}
			written := 0
			for i, n := range tc.sizes {
				p := pattern(written, n)
				written += n
				b.Append(p)
				ref.buf.Write(p)
				t.Run(fmt.Sprintf("after append %d (%d bytes)", i, n), func(t *testing.T) {
					checkBacklog(t, b, ref)
				})
			}
		})
	}
}

func TestBacklogAppendDoesNotRetainInput(t *testing.T) {
	b := NewBacklog(8, 0)
	p := []byte("abcdef")
	b.Append(p)
	copy(p, "XXXXXX")
	got, ok := b.ReadFrom(nil, 1)
	if !ok || string(got) != "abcdef" {
		t.Fatalf("ReadFrom(1) = %q, %v; want \"abcdef\" (the backlog must copy)", got, ok)
	}
}

func TestBacklogReadFromEveryOffset(t *testing.T) {
	b := NewBacklog(10, 0)
	ref := &refStream{}
	written := 0
	for _, n := range []int{3, 4, 5, 6, 7} {
		p := pattern(written, n)
		written += n
		b.Append(p)
		ref.buf.Write(p)
		for off := b.First() - 2; off <= b.End()+3; off++ {
			got, ok := b.ReadFrom(nil, off)
			wantOK := off >= b.First() && off <= b.End()+1
			if ok != wantOK {
				t.Fatalf("end %d: ReadFrom(%d) ok = %v, want %v", b.End(), off, ok, wantOK)
			}
			if ok && !bytes.Equal(got, ref.from(off)) {
				t.Fatalf("end %d: ReadFrom(%d) = %q, want %q", b.End(), off, got, ref.from(off))
			}
		}
	}
}

func TestBacklogRandomized(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		size := 1 + rng.IntN(64)
		start := rng.Int64N(1 << 20)
		b := NewBacklog(size, start)
		ref := &refStream{base: start}
		for step := range 40 {
			switch op := rng.IntN(10); {
			case op < 8:
				var n int
				switch rng.IntN(4) {
				case 0:
					n = rng.IntN(3)
				case 1:
					n = size
				case 2:
					n = size + rng.IntN(2*size+1)
				default:
					n = rng.IntN(size + 1)
				}
				p := make([]byte, n)
				for i := range p {
					p[i] = byte(rng.UintN(256))
				}
				b.Append(p)
				ref.buf.Write(p)
			default:
				size = 1 + rng.IntN(64)
				b.Resize(size)
				// Resize keeps only what fits: the reference must
				// forget the bytes that were dropped by an earlier,
				// smaller capacity. Rebuild it from the backlog.
				held, ok := b.ReadFrom(nil, b.First())
				if !ok {
					t.Fatalf("iter %d step %d: ReadFrom(First()) not ok after Resize", iter, step)
				}
				want := ref.from(ref.end() - int64(len(held)) + 1)
				if !bytes.Equal(held, want) {
					t.Fatalf("iter %d step %d: after Resize(%d) held %x, want %x", iter, step, size, held, want)
				}
				ref = &refStream{base: ref.end() - int64(len(held))}
				ref.buf.Write(held)
			}
			if b.Size() != size {
				t.Fatalf("iter %d step %d: Size() = %d, want %d", iter, step, b.Size(), size)
			}
			checkBacklog(t, b, ref)
			// Every offset the backlog covers reads back the reference.
			for off := b.First(); off <= b.End()+1; off++ {
				got, ok := b.ReadFrom(nil, off)
				if !ok || !bytes.Equal(got, ref.from(off)) {
					t.Fatalf("iter %d step %d: ReadFrom(%d) = %x, %v; want %x", iter, step, off, got, ok, ref.from(off))
				}
			}
		}
	}
}

func TestBacklogResize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		size    int
		sizes   []int // appends before the resize
		newSize int
		after   []int // appends after the resize
	}{
		{"grow empty", 8, nil, 32, []int{20}},
		{"shrink empty", 8, nil, 2, []int{5}},
		{"grow partial", 8, []int{5}, 32, []int{20}},
		{"grow full wrapped", 8, []int{5, 6}, 32, []int{3, 30}},
		{"shrink keeps newest", 16, []int{10, 10}, 4, []int{1, 5}},
		{"shrink above histlen", 16, []int{5}, 8, []int{2, 2}},
		{"shrink to histlen", 16, []int{5, 3}, 8, []int{1}},
		{"shrink to zero means one", 16, []int{9}, 0, []int{3}},
		{"same size", 8, []int{5, 6}, 8, []int{4}},
		{"grow after overflow", 4, []int{100}, 10, []int{3, 3, 3, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const start = 1000
			b := NewBacklog(tc.size, start)
			ref := &refStream{base: start}
			written := 0
			app := func(n int) {
				p := pattern(written, n)
				written += n
				b.Append(p)
				ref.buf.Write(p)
			}
			for _, n := range tc.sizes {
				app(n)
			}
			endBefore := b.End()
			heldBefore := b.HistLen()
			b.Resize(tc.newSize)
			wantSize := max(tc.newSize, 1)
			if b.Size() != wantSize {
				t.Fatalf("Size() = %d, want %d", b.Size(), wantSize)
			}
			if b.End() != endBefore {
				t.Fatalf("End() after Resize = %d, want %d", b.End(), endBefore)
			}
			wantHeld := min(heldBefore, wantSize)
			if b.HistLen() != wantHeld {
				t.Fatalf("HistLen() after Resize = %d, want %d", b.HistLen(), wantHeld)
			}
			// The reference after the resize: the newest wantHeld bytes.
			tail := bytes.Clone(ref.from(ref.end() - int64(wantHeld) + 1))
			ref = &refStream{base: endBefore - int64(wantHeld)}
			ref.buf.Write(tail)
			checkBacklog(t, b, ref)
			for _, n := range tc.after {
				app(n)
				checkBacklog(t, b, ref)
			}
		})
	}
}
