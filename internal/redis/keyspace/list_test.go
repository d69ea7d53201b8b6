package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// listModel is the obvious slice implementation the deque must agree with.
type listModel [][]byte

// applyListOp runs op number op (with argument x) on both the deque and the
// model and fails on the first disagreement.
func applyListOp(t *testing.T, l *List, m *listModel, op byte, x uint16) {
	t.Helper()
	val := []byte(fmt.Sprintf("v%d", x%7))
	n := len(*m)
	switch op % 10 {
	case 0:
		l.PushFront(val)
		*m = append([][]byte{val}, *m...)
	case 1:
		l.PushBack(val)
		*m = append(*m, val)
	case 2:
		got := l.PopFront()
		var want []byte
		if n > 0 {
			want, *m = (*m)[0], (*m)[1:]
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("PopFront = %q, want %q", got, want)
		}
	case 3:
		got := l.PopBack()
		var want []byte
		if n > 0 {
			want, *m = (*m)[n-1], (*m)[:n-1]
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("PopBack = %q, want %q", got, want)
		}
	case 4:
		i := int(x) % (n + 1)
		l.Insert(i, val)
		*m = append((*m)[:i], append([][]byte{val}, (*m)[i:]...)...)
	case 5:
		if n > 0 {
			i := int(x) % n
			l.Set(i, val)
			(*m)[i] = val
		}
	case 6:
		k := int(x) % (n + 1)
		l.TrimFront(k)
		*m = (*m)[k:]
	case 7:
		k := int(x) % (n + 1)
		l.TrimBack(k)
		*m = (*m)[:n-k]
	case 8, 9:
		limit := int64(x%4) - 1 // -1..2; <= 0 removes all
		fromTail := op%10 == 9
		got := l.RemoveEqual(val, limit, fromTail)
		want := modelRemove(m, val, limit, fromTail)
		if got != want {
			t.Fatalf("RemoveEqual(%q,%d,%v) = %d, want %d", val, limit, fromTail, got, want)
		}
	}
	checkList(t, l, *m)
}

func modelRemove(m *listModel, v []byte, limit int64, fromTail bool) int64 {
	var removed int64
	idx := make([]int, 0, len(*m))
	for i := range *m {
		idx = append(idx, i)
	}
	if fromTail {
		for i, j := 0, len(idx)-1; i < j; i, j = i+1, j-1 {
			idx[i], idx[j] = idx[j], idx[i]
		}
	}
	drop := map[int]bool{}
	for _, i := range idx {
		if (limit <= 0 || removed < limit) && bytes.Equal((*m)[i], v) {
			drop[i] = true
			removed++
		}
	}
	var out listModel
	for i, e := range *m {
		if !drop[i] {
			out = append(out, e)
		}
	}
	*m = out
	return removed
}

func checkList(t *testing.T, l *List, m listModel) {
	t.Helper()
	if l.Len() != len(m) {
		t.Fatalf("Len = %d, want %d", l.Len(), len(m))
	}
	var sum int64
	for i, e := range m {
		if !bytes.Equal(l.At(i), e) {
			t.Fatalf("At(%d) = %q, want %q", i, l.At(i), e)
		}
		sum += int64(len(e))
	}
	if want := listHeader + int64(len(l.buf))*listSlotSize + sum; l.MemUsage() != want {
		t.Fatalf("MemUsage = %d, want %d", l.MemUsage(), want)
	}
	// Slots outside the live range must not pin popped elements.
	for i := l.n; i < len(l.buf); i++ {
		if l.buf[l.slot(i)] != nil {
			t.Fatalf("dead slot %d still holds %q", i, l.buf[l.slot(i)])
		}
	}
}

func TestListAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		l, m := NewList(), listModel{}
		for step := 0; step < 2000; step++ {
			op := byte(r.IntN(10))
			// Bias towards growth in the first half to reach large sizes
			// and shrinking after.
			if step < 1000 && op >= 2 && op <= 3 && r.IntN(2) == 0 {
				op = byte(r.IntN(2))
			}
			applyListOp(t, l, &m, op, uint16(r.IntN(1<<16)))
		}
	}
}

func FuzzList(f *testing.F) {
	f.Add([]byte{0, 1, 1, 4, 2, 3, 8, 9, 6, 7, 5})
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 4, 4, 4, 2, 2, 2, 3, 9, 9})
	f.Fuzz(func(t *testing.T, ops []byte) {
		l, m := NewList(), listModel{}
		for i := 0; i+1 < len(ops); i += 2 {
			applyListOp(t, l, &m, ops[i], uint16(ops[i+1]))
		}
	})
}

func TestListValue(t *testing.T) {
	l := NewListOf([][]byte{[]byte("a"), []byte("bb")})
	if l.Kind() != KindList || l.Encoding() != "quicklist" {
		t.Fatalf("kind %v encoding %s", l.Kind(), l.Encoding())
	}
	c := l.Clone().(*List)
	c.At(0)[0] = 'z'
	c.PushBack([]byte("c"))
	if string(l.At(0)) != "a" || l.Len() != 2 {
		t.Fatal("Clone shares state with the original")
	}
	els := l.Elements()
	if len(els) != 2 || string(els[1]) != "bb" {
		t.Fatalf("Elements = %q", els)
	}
	// A big list given back shrinks its buffer.
	big := NewList()
	for i := 0; i < 10000; i++ {
		big.PushBack([]byte("x"))
	}
	for big.Len() > 1 {
		big.PopFront()
	}
	if len(big.buf) >= listMinShrink {
		t.Fatalf("buffer of %d slots kept for one element", len(big.buf))
	}
	var _ ElementLister = l
	var _ Lener = l
}

// NewListOf adopts a slice whose capacity is a ring size, and the list
// then behaves as any other: pushes at both ends past that capacity,
// pops, indexing, byte accounting.
func TestNewListOfAdopts(t *testing.T) {
	for _, c := range []int{3, 4, 8, 6} {
		elems := make([][]byte, 0, c)
		for i := 0; i < min(c, 3); i++ {
			elems = append(elems, []byte{'a' + byte(i)})
		}
		l := NewListOf(elems)
		adopted := c == 4 || c == 8
		if got := len(l.buf) == c && &l.buf[0] == &elems[:1][0]; got != adopted {
			t.Fatalf("cap %d: adopted %v, want %v", c, got, adopted)
		}
		for i := 0; i < 10; i++ {
			l.PushFront([]byte{'x'})
			l.PushBack([]byte{'y'})
		}
		if l.Len() != 23 || string(l.At(10)) != "a" || string(l.At(12)) != "c" || string(l.PopBack()) != "y" || string(l.PopFront()) != "x" {
			t.Fatalf("cap %d: %q", c, l.Elements())
		}
		if l.bytes != 21 {
			t.Fatalf("cap %d: %d bytes accounted, want 21", c, l.bytes)
		}
	}
}
