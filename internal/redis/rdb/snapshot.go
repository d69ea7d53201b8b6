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
// is taken by Begin under the engine lock and written by WriteTo, which
// releases the lock between steps (see keyspace/snapshot.go).
type Snapshot struct {
	// Keys counts the keys the walk has written so far.
	Keys int64
	// Hold, when set, bounds the next steps in time instead of
	// src.HoldTime (the event loop shortens them while clients talk).
	Hold time.Duration

	src      *Source
	enc      Encoder
	commands bool // an AOF base of commands rather than an RDB
	dicts    []*keyspace.Dict[keyspace.Object]
	sizes    [][2]int
	aux      []AuxField
	pending  [][]byte // serialised pre-images per database
	lru      bool
	lfu      bool
	err      error
	ended    bool

	// Progress of Step.
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
	s := &Snapshot{src: src, commands: asCommands, enc: Encoder{Compress: src.Compress, ListMaxListpackSize: src.ListMaxListpackSize}}
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
	s.pending[i], s.err = s.appendEntry(s.pending[i], e)
}

func (s *Snapshot) appendEntry(b []byte, e *keyspace.KeyEntry) ([]byte, error) {
	if s.commands {
		return s.enc.AppendKeyCommands(b, e.Key, &e.Val)
	}
	idle, freq := int64(-1), -1
	if s.lru {
		idle = s.src.KS.IdleSeconds(&e.Val)
	} else if s.lfu {
		freq = s.src.KS.Freq(&e.Val)
	}
	return s.enc.AppendKey(b, e.Key, &e.Val, idle, freq)
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
// trailer). The caller holds the lock. Whoever holds the lock can drive
// the snapshot: a background goroutine through WriteTo, or the event loop
// between batches of commands. After done or an error, call Abort (WriteTo
// does).
func (s *Snapshot) Step(dst []byte) (out []byte, done bool, err error) {
	src := s.src
	chunk := src.ChunkBytes
	if chunk <= 0 {
		chunk = 32 << 10
	}
	hold := src.HoldTime
	if s.Hold > 0 {
		hold = s.Hold
	}
	if hold <= 0 {
		hold = 100 * time.Microsecond
	}
	buf := dst
	start0 := len(buf)
	if !s.started {
		s.started = true
		if !s.commands {
			buf = AppendHeader(buf, s.aux)
		}
	}
	ks := src.KS
	start := time.Now()
	for s.db < len(s.dicts) && len(buf)-start0 < chunk {
		i := s.db
		if s.sizes[i][0] == 0 {
			s.db++
			continue
		}
		if !s.inDB {
			s.inDB = true
			s.cursor = 0
			if s.commands {
				buf = appendCommand(buf, []byte("SELECT"), strconv.AppendInt(nil, int64(i), 10))
			} else {
				buf = append(buf, OpSelectDB)
				buf = appendLen(buf, uint64(i))
				buf = append(buf, OpResizeDB)
				buf = appendLen(buf, uint64(s.sizes[i][0]))
				buf = appendLen(buf, uint64(s.sizes[i][1]))
			}
		}
		d := s.dicts[i]
		finished := false
		for steps := 0; len(buf)-start0 < chunk; steps++ {
			if steps > 0 && time.Since(start) > hold {
				break
			}
			s.cursor = d.ScanBatch(s.cursor, keyspace.TouchValue, func(e *keyspace.KeyEntry) {
				if s.err == nil && ks.Claim(e) {
					buf, s.err = s.appendEntry(buf, e)
					s.Keys++
				}
			})
			if s.cursor == 0 {
				finished = true
				break
			}
		}
		buf = append(buf, s.pending[i]...)
		s.pending[i] = s.pending[i][:0]
		if s.err != nil {
			return buf, false, s.err
		}
		if !finished {
			break // budget spent
		}
		// Every key of this database is written or was created after
		// the start: nothing more can be captured for it.
		s.pending[i] = nil
		s.inDB = false
		s.db++
		if time.Since(start) > hold {
			break
		}
	}
	s.crc = codec.CRC64(s.crc, buf[start0:])
	if s.db < len(s.dicts) {
		return buf, false, nil
	}
	if !s.commands {
		buf = append(buf, OpEOF)
		s.crc = codec.CRC64(s.crc, buf[len(buf)-1:])
		var sum uint64
		if src.Checksum {
			sum = s.crc
		}
		buf = binary.LittleEndian.AppendUint64(buf, sum)
	}
	return buf, true, nil
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
