package rdb

import (
	"bufio"
	"encoding/binary"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/rdb/codec"
)

// Source describes the dataset a snapshot is taken of.
type Source struct {
	// Lock is the engine lock. The snapshot holds it while it reads the
	// keyspace and releases it while it writes. A caller that already
	// holds it for the whole save (SAVE, SHUTDOWN) passes NoLock.
	Lock sync.Locker
	KS   *keyspace.Keyspace
	// Encoder settings: rdbcompression and list-max-listpack-size.
	Compress            bool
	ListMaxListpackSize int
	// Checksum writes the CRC64 trailer (rdbchecksum); else zero.
	Checksum bool
	// Access tells which access data to save per key: LRU idle time or LFU
	// frequency (maxmemory-policy), read under the lock at the start.
	Access func() (lru, lfu bool)
	// Aux returns the aux fields, read under the lock at the start, after
	// the snapshot began (so a replication offset matches the data).
	Aux func() []AuxField
	// ChunkBytes is how much is serialised per lock hold at most (default
	// 32 KiB); HoldTime bounds a hold in time (default 100µs), so that
	// large values do not make clients wait long.
	ChunkBytes int
	HoldTime   time.Duration
}

// AuxField is one AUX pair of the header.
type AuxField struct{ Key, Val string }

// NoLock is a Locker that does nothing, for callers holding the lock.
var NoLock sync.Locker = noLock{}

type noLock struct{}

func (noLock) Lock()   {}
func (noLock) Unlock() {}

// Snapshot is a point-in-time copy of the dataset being written out. It
// is taken by Begin under the engine lock and written either by WriteTo,
// which takes the lock for each step, or batch by batch: Claim under the
// lock, Encode without it, the batch's keys lent meanwhile (see
// keyspace/snapshot.go).
type Snapshot struct {
	src *Source
	// enc serialises pre-images (Capture, under the lock); encOff the
	// claimed batches (Encode, possibly without it).
	enc      Encoder
	encOff   Encoder
	step     Batch
	commands bool // an AOF base of commands rather than an RDB
	dicts    []*keyspace.Dict[keyspace.Object]
	sizes    [][2]int
	aux      []AuxField
	pending  [][]byte // serialised pre-images per database
	lru      bool
	lfu      bool
	err      error
	ended    bool

	// Progress of the walk (Claim) and of the checksum (Encode).
	started bool
	db      int    // database being written
	inDB    bool   // its SELECTDB is written
	cursor  uint64 // Scan cursor in it
	crc     uint64
}

// Begin starts a snapshot of src. The caller holds src.Lock (or is the
// only user of the keyspace). asCommands makes WriteTo produce an AOF base
// of commands (aof-use-rdb-preamble no) instead of an RDB. Every Begin
// must be followed by WriteTo or Abort.
func Begin(src *Source, asCommands bool) *Snapshot {
	enc := Encoder{Compress: src.Compress, ListMaxListpackSize: src.ListMaxListpackSize}
	s := &Snapshot{src: src, commands: asCommands, enc: enc, encOff: enc}
	if src.Access != nil {
		s.lru, s.lfu = src.Access()
	}
	ks := src.KS
	s.dicts = ks.BeginSnapshot(s)
	s.pending = make([][]byte, len(s.dicts))
	s.sizes = make([][2]int, len(s.dicts))
	for i, d := range s.dicts {
		s.sizes[i] = [2]int{d.Len(), ks.DBs[i].Expires()}
	}
	if src.Aux != nil {
		s.aux = src.Aux()
	}
	return s
}

// Abort ends a snapshot that will not be written. The caller holds the
// lock.
func (s *Snapshot) Abort() {
	if !s.ended {
		s.ended = true
		s.src.KS.EndSnapshot()
	}
}

func (s *Snapshot) dbOf(d *keyspace.Dict[keyspace.Object]) int {
	for i, x := range s.dicts {
		if x == d {
			return i
		}
	}
	return -1
}

// Capture implements keyspace.SnapshotSink.
func (s *Snapshot) Capture(d *keyspace.Dict[keyspace.Object], e *keyspace.KeyEntry) {
	i := s.dbOf(d)
	if i < 0 || s.err != nil {
		return
	}
	idle, freq := s.access(s.src.KS.AccessClock(), e)
	s.pending[i], s.err = s.appendKey(&s.enc, s.pending[i], e, idle, freq)
}

// access is the access data saved with e: LRU idle seconds or LFU
// frequency as the policy wants, -1 for none (and always for an AOF base
// of commands), read against clock. The caller holds the lock or has e
// on loan.
func (s *Snapshot) access(clock keyspace.AccessClock, e *keyspace.KeyEntry) (idle int64, freq int) {
	idle, freq = -1, -1
	switch {
	case s.commands:
	case s.lru:
		idle = clock.Idle(&e.Val)
	case s.lfu:
		freq = clock.Freq(&e.Val)
	}
	return idle, freq
}

// appendKey serialises e with enc, as a record of the RDB or as the
// commands of an AOF base.
func (s *Snapshot) appendKey(enc *Encoder, b []byte, e *keyspace.KeyEntry, idle int64, freq int) ([]byte, error) {
	if s.commands {
		return enc.AppendKeyCommands(b, e.Key, &e.Val)
	}
	return enc.AppendKey(b, e.Key, &e.Val, idle, freq)
}

// WriteSnapshot writes a point-in-time RDB of src to w and returns the
// number of bytes written. The point in time is the moment it first takes
// the lock.
func WriteSnapshot(w io.Writer, src *Source) (int64, error) {
	src.Lock.Lock()
	s := Begin(src, false)
	src.Lock.Unlock()
	return s.WriteTo(w)
}

// WriteTo writes the snapshot to w, taking the lock for each step, and
// ends the snapshot.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) {
	src := s.src
	var n int64
	defer func() {
		src.Lock.Lock()
		s.Abort()
		src.Lock.Unlock()
	}()
	// One buffer for every step: w copies what it keeps.
	buf := make([]byte, 0, 64<<10)
	for {
		src.Lock.Lock()
		out, done, err := s.Step(buf[:0])
		src.Lock.Unlock()
		if err != nil {
			return n, err
		}
		k, err := w.Write(out)
		n += int64(k)
		if err != nil {
			return n, err
		}
		if done {
			return n, nil
		}
		buf = out[:0]
	}
}

// Step serialises the next part of the snapshot, at most about
// src.ChunkBytes or src.HoldTime of work, appended to dst, and reports
// whether the snapshot is complete (the last part included the RDB
// trailer). The caller holds the lock throughout: Step claims and
// serialises batches itself. After done or an error, call Abort (WriteTo
// does).
func (s *Snapshot) Step(dst []byte) (out []byte, done bool, err error) {
	src := s.src
	chunk := src.ChunkBytes
	if chunk <= 0 {
		chunk = 32 << 10
	}
	hold := src.HoldTime
	if hold <= 0 {
		hold = 100 * time.Microsecond
	}
	start := time.Now()
	buf := dst
	for {
		s.Claim(&s.step, StepKeys, nil)
		buf, err = s.Encode(buf, &s.step, nil)
		if err != nil || s.step.Last {
			return buf, s.step.Last && err == nil, err
		}
		if len(buf)-len(dst) >= chunk || time.Since(start) > hold {
			return buf, false, nil
		}
	}
}

// StepKeys is about how many keys a batch claims (Claim): few enough
// that a command needing a key of the batch being serialised waits little.
const StepKeys = 128

// Batch is the part of a snapshot one Claim took: spans of the scan order
// to walk and serialise, and the bytes that go around them (header,
// SELECTDB, pre-images captured since the last batch).
type Batch struct {
	// Last: the batch ends the snapshot.
	Last  bool
	raw   []byte
	parts []batchPart
	mark  keyspace.SnapMark
	clock keyspace.AccessClock
	keys  int // serialised by Encode
	err   error
}

type batchPart struct {
	span keyspace.Span[keyspace.Object]
	at   int // offset in raw before which the span's keys go
}

// Keys is the number of keys Encode serialised from the batch.
func (b *Batch) Keys() int { return b.keys }

// Claim takes the next part of the walk, spans of about max keys in all,
// into b, with the bytes that precede and follow them. With a loan, the
// spans are lent to the caller, who will walk and serialise them with
// Encode without the lock. The caller holds the lock: a claim costs a few
// arithmetic operations per database, whatever max is.
func (s *Snapshot) Claim(b *Batch, max int, loan *keyspace.Loan) {
	ks := s.src.KS
	clear(b.parts)
	b.raw, b.parts, b.Last, b.err, b.keys = b.raw[:0], b.parts[:0], false, nil, 0
	b.mark, b.clock = ks.Mark(), ks.AccessClock()
	if loan != nil {
		ks.Reap()
		loan.Reset()
		loan.ReadsAccess = !s.commands && (s.lru || s.lfu)
	}
	if !s.started {
		s.started = true
		if !s.commands {
			b.raw = AppendHeader(b.raw, s.aux)
		}
	}
	for s.db < len(s.dicts) && max > 0 {
		i := s.db
		if s.sizes[i][0] == 0 {
			s.db++
			continue
		}
		if !s.inDB {
			s.inDB = true
			s.cursor = 0
			if s.commands {
				b.raw = appendCommand(b.raw, []byte("SELECT"), strconv.AppendInt(nil, int64(i), 10))
			} else {
				b.raw = append(b.raw, OpSelectDB)
				b.raw = appendLen(b.raw, uint64(i))
				b.raw = append(b.raw, OpResizeDB)
				b.raw = appendLen(b.raw, uint64(s.sizes[i][0]))
				b.raw = appendLen(b.raw, uint64(s.sizes[i][1]))
			}
		}
		d := s.dicts[i]
		var span keyspace.Span[keyspace.Object]
		span, s.cursor = d.Take(s.cursor, max)
		max -= span.Estimate() + 1
		b.parts = append(b.parts, batchPart{span: span, at: len(b.raw)})
		if loan != nil {
			loan.Add(d, span)
		}
		b.raw = append(b.raw, s.pending[i]...)
		s.pending[i] = s.pending[i][:0]
		if s.err != nil {
			b.err = s.err
			break
		}
		if s.cursor != 0 {
			break // the batch is full
		}
		// Every key of this database is in a span now or was created
		// after the start: the keys of this last span cannot change
		// before it is walked (they are lent, or the caller holds the
		// lock), so nothing more can be captured for it.
		s.pending[i] = nil
		s.inDB = false
		s.db++
	}
	b.Last = s.db == len(s.dicts) && b.err == nil
	if loan != nil {
		ks.Lend(loan)
	}
}

// Encode walks the spans Claim took and serialises their keys not yet
// written, appended to dst, with the RDB trailer after the last batch; it
// returns the loan, if any, once the spans are walked. It needs no lock:
// only one Encode runs at a time per snapshot, in the order of the claims.
func (s *Snapshot) Encode(dst []byte, b *Batch, loan *keyspace.Loan) ([]byte, error) {
	start := len(dst)
	pos, err := 0, b.err
	for i := range b.parts {
		if err != nil {
			break
		}
		p := &b.parts[i]
		dst = append(dst, b.raw[pos:p.at]...)
		pos = p.at
		p.span.Walk(keyspace.TouchValue, func(e *keyspace.KeyEntry) {
			if err != nil || !b.mark.Claim(e) {
				return
			}
			idle, freq := s.access(b.clock, e)
			dst, err = s.appendKey(&s.encOff, dst, e, idle, freq)
			b.keys++
		})
	}
	if loan != nil {
		loan.Return()
	}
	if err != nil {
		return dst, err
	}
	dst = append(dst, b.raw[pos:]...)
	if b.Last && !s.commands {
		dst = append(dst, OpEOF)
		s.crc = codec.CRC64(s.crc, dst[start:])
		var sum uint64
		if s.src.Checksum {
			sum = s.crc
		}
		return binary.LittleEndian.AppendUint64(dst, sum), nil
	}
	s.crc = codec.CRC64(s.crc, dst[start:])
	return dst, nil
}

// AppendHeader appends the magic, version and aux fields.
func AppendHeader(b []byte, aux []AuxField) []byte {
	b = append(b, "REDIS0010"...)
	var enc Encoder
	for _, a := range aux {
		b = append(b, OpAux)
		b = enc.appendStringStr(b, a.Key)
		b = enc.appendStringStr(b, a.Val)
	}
	return b
}

// StandardAux returns the aux fields Redis 7.0 writes. replID empty omits
// the replication fields.
func StandardAux(version string, ctime, usedMem int64, replStreamDB int, replID string, replOffset int64, aofBase bool) []AuxField {
	aux := []AuxField{
		{"redis-ver", version},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(ctime, 10)},
		{"used-mem", strconv.FormatInt(usedMem, 10)},
	}
	if replID != "" {
		aux = append(aux,
			AuxField{"repl-stream-db", strconv.Itoa(replStreamDB)},
			AuxField{"repl-id", replID},
			AuxField{"repl-offset", strconv.FormatInt(replOffset, 10)})
	}
	b := "0"
	if aofBase {
		b = "1"
	}
	return append(aux, AuxField{"aof-base", b})
}

// NewReader wraps r for Load with a buffer large enough for its reads.
func NewReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }
