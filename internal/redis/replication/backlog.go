package replication

// Backlog is the replication backlog: a ring holding the most recent bytes
// of the replication stream, from which a replica that reconnects is
// served the part it missed (+CONTINUE). The caller serialises access (the
// server's engine lock).
type Backlog struct {
	buf     []byte
	idx     int   // where the next byte goes
	histlen int   // bytes held, at most len(buf)
	end     int64 // offset of the last byte appended (master_repl_offset)
}

// NewBacklog returns an empty backlog of size bytes whose next byte will
// have offset masterOffset+1.
func NewBacklog(size int, masterOffset int64) *Backlog {
	return &Backlog{buf: make([]byte, max(size, 1)), end: masterOffset}
}

// Size is the capacity (repl_backlog_size).
func (b *Backlog) Size() int { return len(b.buf) }

// HistLen is the number of bytes held (repl_backlog_histlen).
func (b *Backlog) HistLen() int { return b.histlen }

// First is the offset of the oldest byte held
// (repl_backlog_first_byte_offset); with nothing held it is End()+1.
func (b *Backlog) First() int64 { return b.end - int64(b.histlen) + 1 }

// End is the offset of the newest byte (the master replication offset).
func (b *Backlog) End() int64 { return b.end }

// Append adds stream bytes, dropping the oldest beyond the capacity.
func (b *Backlog) Append(p []byte) {
	b.end += int64(len(p))
	if len(p) >= len(b.buf) {
		copy(b.buf, p[len(p)-len(b.buf):])
		b.idx = 0
		b.histlen = len(b.buf)
		return
	}
	n := copy(b.buf[b.idx:], p)
	if n < len(p) {
		copy(b.buf, p[n:])
	}
	b.idx = (b.idx + len(p)) % len(b.buf)
	b.histlen = min(b.histlen+len(p), len(b.buf))
}

// Covers reports whether a replica asking for offset off (its processed
// offset + 1) can be served from the backlog: off is within the bytes
// held, or just after the newest.
func (b *Backlog) Covers(off int64) bool {
	return off >= b.First() && off <= b.end+1
}

// ReadFrom appends the bytes from offset off to the newest to dst. It
// returns false when the backlog does not cover off.
func (b *Backlog) ReadFrom(dst []byte, off int64) ([]byte, bool) {
	if !b.Covers(off) {
		return dst, false
	}
	n := int(b.end - off + 1)
	start := (b.idx - n + len(b.buf)) % len(b.buf)
	if start+n <= len(b.buf) {
		return append(dst, b.buf[start:start+n]...), true
	}
	dst = append(dst, b.buf[start:]...)
	return append(dst, b.buf[:n-(len(b.buf)-start)]...), true
}

// Resize changes the capacity (CONFIG SET repl-backlog-size), keeping the
// newest bytes that fit.
func (b *Backlog) Resize(size int) {
	size = max(size, 1)
	if size == len(b.buf) {
		return
	}
	keep := min(b.histlen, size)
	held, _ := b.ReadFrom(make([]byte, 0, keep), b.end-int64(keep)+1)
	nb := &Backlog{buf: make([]byte, size), end: b.end - int64(len(held))}
	nb.Append(held)
	*b = *nb
}
