package rdb

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/rdb/codec"
)

// Load reads a whole RDB stream (header to checksum) into ks, whose
// databases should be empty. It reads exactly the RDB from r and nothing
// after it, so an AOF preamble or a replication stream can continue on r.
// On error ks holds a partial dataset: the caller discards it.
func Load(r *bufio.Reader, ks *keyspace.Keyspace, opt LoadOptions) (*Meta, error) {
	rd := &reader{r: r, name: opt.Name, max: opt.MaxBulk}
	if rd.max <= 0 {
		rd.max = 1 << 40
	}
	if rd.name == "" {
		rd.name = "RDB"
	}
	hdr, err := rd.next(9)
	if err != nil {
		return nil, err
	}
	if string(hdr[:5]) != "REDIS" {
		return nil, &Error{Name: rd.name, Msg: "wrong signature trying to load DB from file"}
	}
	ver, err := strconv.Atoi(string(hdr[5:]))
	if err != nil || ver < MinVersion || ver > Version {
		return nil, &Error{Name: rd.name, Offset: 5, Msg: fmt.Sprintf("can't handle RDB format version %s", hdr[5:])}
	}
	meta := &Meta{Version: ver, ReplStreamDB: -1, Aux: map[string]string{}}
	// One clock reading stamps every key's LRU clock, not one per key.
	ks.FixTime()
	defer ks.ReleaseTime()
	defer boostGC()()
	l := newLoader(rd, ks, opt, ver)

	// Two stages, as two cores make them faster than one: a goroutine
	// reads the stream and builds each value (strings, LZF, listpacks,
	// whole containers: nothing shared), and this one adds them to the
	// keyspace, in file order. Batches go back and forth so that the
	// handover costs nothing per key. Load returns only once the reader
	// has stopped, so r is left exactly after the RDB.
	full := make(chan *loadBatch, 4)
	free := make(chan *loadBatch, 6)
	done := make(chan struct{})
	var (
		stop    atomic.Bool
		readErr error
	)
	go func() {
		defer close(done)
		defer close(full)
		readErr = l.read(meta, full, free, &stop)
	}()
	err = l.apply(meta, full, free)
	if err != nil {
		stop.Store(true)
		for range full {
		}
	}
	<-done
	if err == nil {
		err = readErr
	}
	if err != nil {
		return nil, err
	}
	return meta, nil
}

// loadRec is one step of the file for the keyspace: a key with its value
// and metadata, a SELECTDB or a RESIZEDB.
type loadRec struct {
	op   byte // 0 for a key, else OpSelectDB or OpResizeDB
	db   int
	keys uint64 // RESIZEDB
	exps uint64
	at   int64 // offset of the key's record, for errors
	key  []byte
	val  keyspace.Value
	// A value left for the second stage to build: its blob and type.
	blob     []byte
	blobType byte
	blobAt   int64
	expire   int64
	idle     int64
	freq     int
}

// loadBatch is records travelling together between the stages, with the
// bytes of their keys (the keyspace copies a key into its entry, so the
// keys of a batch share one array, reused with the batch).
type loadBatch struct {
	recs []loadRec
	keys []byte
}

// deferBuild tells the value types the second stage may build: small
// hashes and sorted sets, held in one blob each, whose building is about a
// third of the first stage's work (with 10% of the keys of each type).
// The first stage hands them over while the second keeps up: which stage
// is the slower one depends on the data and on the size of the keyspace.
func deferBuild(t byte) bool {
	switch t {
	case TypeHashZiplist, TypeHashListpack, TypeZSetZiplist, TypeZSetListpack:
		return true
	}
	return false
}

// smallContainer is the most members of a set or sorted set whose members
// the loader allocates in one block (see keyspace.Dict.ReserveEntries).
const smallContainer = 128

// loadBatchLen is how many records a batch holds.
const loadBatchLen = 256

// read is the first stage of Load: it decodes the stream into records
// until the checksum, an error, or stop.
func (l *loader) read(meta *Meta, full chan<- *loadBatch, free <-chan *loadBatch, stop *atomic.Bool) (err error) {
	rd, ver := l.rd, l.ver
	newBatch := func() *loadBatch { return &loadBatch{recs: make([]loadRec, 0, loadBatchLen)} }
	batch := newBatch()
	flush := func() {
		if len(batch.recs) == 0 {
			return
		}
		full <- batch
		select {
		case batch = <-free:
		default:
			batch = newBatch()
		}
	}
	defer func() {
		if err != nil {
			// The records before the error may hold an earlier one
			// (a blob the second stage builds): it is found first.
			flush()
		}
	}()
	expire, idle, freq := int64(0), int64(-1), -1
	for !stop.Load() {
		t, err := rd.byte()
		if err != nil {
			return err
		}
		switch t {
		case OpExpireTime:
			p, err := rd.next(4)
			if err != nil {
				return err
			}
			expire = int64(int32(binary.LittleEndian.Uint32(p))) * 1000
			continue
		case OpExpireTimeMS:
			p, err := rd.next(8)
			if err != nil {
				return err
			}
			expire = int64(binary.LittleEndian.Uint64(p))
			continue
		case OpIdle:
			n, enc, err := rd.length()
			if err != nil {
				return err
			}
			if enc {
				return rd.fail("invalid idle time")
			}
			idle = int64(min(n, math.MaxInt64))
			continue
		case OpFreq:
			f, err := rd.byte()
			if err != nil {
				return err
			}
			freq = int(f)
			continue
		case OpEOF:
			if ver >= 5 {
				sum := rd.crc
				p, err := rd.next(8)
				if err != nil {
					return err
				}
				if got := binary.LittleEndian.Uint64(p); got != 0 && got != sum {
					return &Error{Name: rd.name, Offset: rd.off - 8, Msg: "wrong RDB checksum"}
				}
			}
			flush()
			return nil
		case OpSelectDB:
			n, enc, err := rd.length()
			if err != nil {
				return err
			}
			if enc || n >= uint64(len(l.ks.DBs)) {
				return rd.fail("FATAL: Data file was created with a Redis server configured to handle more than %d databases", len(l.ks.DBs))
			}
			batch.recs = append(batch.recs, loadRec{op: OpSelectDB, db: int(n)})
			continue
		case OpResizeDB:
			keys, _, err := rd.length()
			if err != nil {
				return err
			}
			expires, _, err := rd.length()
			if err != nil {
				return err
			}
			batch.recs = append(batch.recs, loadRec{op: OpResizeDB, keys: keys, exps: expires})
			continue
		case OpAux:
			k, err := rd.str()
			if err != nil {
				return err
			}
			v, err := rd.str()
			if err != nil {
				return err
			}
			meta.aux(string(k), string(v))
			continue
		case OpModuleAux:
			return rd.unsupported("module data")
		case OpFunction, OpFunction2:
			return rd.unsupported("functions (FUNCTION LOAD)")
		}
		at := rd.off - 1
		start := len(batch.keys)
		keys, err := rd.strTo(batch.keys)
		if err != nil {
			return err
		}
		// Earlier keys keep the old array if this one moved it.
		batch.keys = keys
		key := keys[start:len(keys):len(keys)]
		rec := loadRec{at: at, key: key, expire: expire, idle: idle, freq: freq}
		if deferBuild(t) && len(full) < cap(full)/2 {
			// The second stage builds the value from a copy of the
			// blob, unless it is the one behind (batches queue up).
			b, blobAt, err := rd.blob()
			if err != nil {
				return err
			}
			start := len(batch.keys)
			batch.keys = append(batch.keys, b...)
			rec.blob, rec.blobType, rec.blobAt = batch.keys[start:len(batch.keys):len(batch.keys)], t, blobAt
		} else if rec.val, err = l.value(t); err != nil {
			return err
		}
		if rec.val != nil || rec.blob != nil { // empty containers are skipped, as Redis 7.0 does
			batch.recs = append(batch.recs, rec)
			if len(batch.recs) == loadBatchLen {
				flush()
			}
		}
		expire, idle, freq = 0, -1, -1
	}
	return nil
}

// apply is the second stage of Load: it adds the records to the keyspace
// and hands the emptied batches back.
func (l *loader) apply(meta *Meta, full <-chan *loadBatch, free chan<- *loadBatch) error {
	ks, opt := l.ks, l.opt
	db := ks.DBs[0]
	bld := builder{name: l.bld.name, lim: l.bld.lim}
	var keys [][]byte
	for batch := range full {
		recs := batch.recs
		// Prefetch the batch's keys first (keyspace.DB.Prefetch), up to
		// the first SELECTDB, after which they are another table's.
		keys = keys[:0]
		for i := range recs {
			if recs[i].op == OpSelectDB {
				break
			}
			if recs[i].op == 0 {
				keys = append(keys, recs[i].key)
			}
		}
		db.Prefetch(keys)
		for i := range recs {
			r := &recs[i]
			switch r.op {
			case OpSelectDB:
				db = ks.DBs[r.db]
				continue
			case OpResizeDB:
				// Sizes are hints: a lying file must not make us allocate.
				const maxHint = 1 << 21
				db.Reserve(int(min(r.keys, maxHint)), int(min(r.exps, maxHint)))
				continue
			}
			if r.blob != nil {
				v, err := bld.packed(r.blobType, r.blob, r.blobAt)
				if err != nil {
					return err
				}
				if v == nil {
					continue // empty
				}
				r.val = v
			}
			if r.expire != 0 && opt.SkipExpiredBefore != 0 && r.expire <= opt.SkipExpiredBefore {
				meta.Expired++
				continue
			}
			e := db.AddIfAbsent(r.key, r.val)
			if e == nil {
				return &Error{Name: l.rd.name, Offset: r.at, Msg: fmt.Sprintf("duplicate key '%s'", r.key)}
			}
			if r.expire != 0 {
				db.SetExpire(e, r.expire)
			}
			ks.SetAccess(&e.Val, r.idle, r.freq)
			meta.Keys++
			if meta.Keys%1024 == 0 {
				ks.Account()
			}
		}
		clear(recs)
		batch.recs = recs[:0]
		if cap(batch.keys) > 1<<20 {
			batch.keys = nil // a batch of huge keys: do not keep the array
		}
		batch.keys = batch.keys[:0]
		select {
		case free <- batch:
		default:
		}
	}
	return nil
}

func (m *Meta) aux(k, v string) {
	m.Aux[k] = v
	n, _ := strconv.ParseInt(v, 10, 64)
	switch k {
	case "redis-ver":
		m.RedisVer = v
	case "ctime":
		m.CTime = n
	case "used-mem":
		m.UsedMem = n
	case "repl-id":
		m.ReplID = v
	case "repl-offset":
		m.ReplOffset = n
	case "repl-stream-db":
		m.ReplStreamDB = int(n)
	case "aof-base", "aof-preamble":
		m.AOFBase = n != 0
	}
}

func newLoader(rd *reader, ks *keyspace.Keyspace, opt LoadOptions, ver int) loader {
	return loader{rd: rd, ks: ks, opt: opt, ver: ver, bld: builder{name: rd.name, lim: opt.Limits}}
}

type loader struct {
	rd  *reader
	ks  *keyspace.Keyspace
	opt LoadOptions
	ver int
	bld builder
	// Buffers reused from value to value.
	ends  []int  // packedElems
	field []byte // a hash field or a sorted set member being read
	val   []byte // a hash value or a string being read
}

// value reads a value of type t. nil without error is an empty container.
func (l *loader) value(t byte) (keyspace.Value, error) {
	rd := l.rd
	switch t {
	case TypeString:
		s, err := rd.strTo(l.val[:0])
		if err != nil {
			return nil, err
		}
		if len(s) > keyspace.EmbedMax {
			l.val = nil // the value keeps the buffer it was read into
			return keyspace.NewString(s), nil
		}
		l.val = s
		return keyspace.NewStringCopy(s), nil
	case TypeList:
		n, err := rd.count()
		if err != nil {
			return nil, err
		}
		elems := make([][]byte, 0, min(n, 1<<16))
		for i := int64(0); i < n; i++ {
			s, err := rd.str()
			if err != nil {
				return nil, err
			}
			elems = append(elems, s)
		}
		return listOf(elems), nil
	case TypeListZiplist:
		b, at, err := rd.blob()
		if err != nil {
			return nil, err
		}
		elems, err := codec.ZiplistStrings(b)
		if err != nil {
			return nil, l.bad(at, "ziplist", err)
		}
		return listOf(elems), nil
	case TypeListQuicklist, TypeListQuicklist2:
		return l.quicklist(t == TypeListQuicklist2)
	case TypeSet:
		return l.set()
	case TypeSetIntset:
		b, at, err := rd.blob()
		if err != nil {
			return nil, err
		}
		s := keyspace.NewSet()
		var num [24]byte
		err = codec.IntsetEach(b, func(v int64) error {
			s.Add(strconv.AppendInt(num[:0], v, 10), l.opt.Limits.SetMaxIntsetEntries)
			return nil
		})
		if err != nil {
			return nil, l.bad(at, "intset", err)
		}
		return emptyNil(s, s.Len()), nil
	case TypeHash:
		return l.hash()
	case TypeHashZipmap, TypeHashZiplist, TypeHashListpack, TypeZSetZiplist, TypeZSetListpack:
		b, at, err := rd.blob()
		if err != nil {
			return nil, err
		}
		return l.bld.packed(t, b, at)
	case TypeZSet, TypeZSet2:
		return l.zset(t == TypeZSet2)
	case TypeStreamListpack, TypeStreamListpack2:
		return nil, rd.unsupported("a stream")
	case TypeModule, TypeModule2:
		return nil, rd.unsupported("a module type")
	}
	return nil, rd.fail("unknown RDB type %d", t)
}

// builder builds the values held in one listpack, ziplist or zipmap blob
// (small hashes and sorted sets). Load runs one in its second stage, so
// that the two stages share the work; the loader has its own for DUMP
// payloads and its first stage.
type builder struct {
	name  string // the source, for errors
	lim   Limits
	field []byte // a field or member being read
	num   [24]byte
}

func (b *builder) bad(at int64, what string, err error) error {
	return &Error{Name: b.name, Offset: at, Msg: fmt.Sprintf("invalid %s encoding: %v", what, err)}
}

// packed builds a value of type t (a hash or a sorted set in a blob) from
// blob, found at offset at. nil without error is an empty container.
func (b *builder) packed(t byte, blob []byte, at int64) (keyspace.Value, error) {
	if t == TypeZSetZiplist || t == TypeZSetListpack {
		return b.zset(t, blob, at)
	}
	return b.hash(t, blob, at)
}

func (b *builder) zset(t byte, blob []byte, at int64) (keyspace.Value, error) {
	walk := codec.ListpackEach
	if t == TypeZSetZiplist {
		walk = codec.ZiplistEach
	}
	z := keyspace.NewSkiplistZSet()
	if t == TypeZSetListpack && len(blob) >= 6 {
		if n := binary.LittleEndian.Uint16(blob[4:]); n != 0xFFFF {
			z.Reserve(int(n/2), int(n/2) <= smallContainer) // the header's count, when known
		}
	}
	member, haveMember := b.field[:0], false
	err := walk(blob, func(s []byte, v int64, isInt bool) error {
		if !haveMember {
			member, haveMember = appendEntry(member[:0], s, v, isInt), true
			return nil
		}
		haveMember = false
		f := float64(v)
		if !isInt {
			var err error
			if f, err = strconv.ParseFloat(unsafeString(s), 64); err != nil || math.IsNaN(f) {
				return fmt.Errorf("invalid score %q", s)
			}
		}
		if !z.InsertNew(member, f) {
			return fmt.Errorf("duplicate zset fields detected")
		}
		return nil
	})
	b.field = member
	if err == nil && haveMember {
		err = fmt.Errorf("odd number of entries")
	}
	if err != nil {
		return nil, b.bad(at, "sorted set", err)
	}
	return fitZSet(z, b.lim), nil
}

func (b *builder) hash(t byte, blob []byte, at int64) (keyspace.Value, error) {
	var err error
	h := keyspace.NewHash()
	h.Reserve(len(blob))
	lim := b.lim
	field, haveField := b.field[:0], false
	pair := func(f, v []byte) error {
		if !h.Set(f, v, lim.HashMaxListpackEntries, lim.HashMaxListpackValue) {
			return fmt.Errorf("duplicate hash fields detected")
		}
		return nil
	}
	flat := func(s []byte, v int64, isInt bool) error {
		if !haveField {
			field, haveField = appendEntry(field[:0], s, v, isInt), true
			return nil
		}
		if isInt {
			s = strconv.AppendInt(b.num[:0], v, 10)
		}
		haveField = false
		return pair(field, s)
	}
	switch t {
	case TypeHashZipmap:
		err = codec.ZipmapEach(blob, pair)
	case TypeHashZiplist:
		err = codec.ZiplistEach(blob, flat)
	default:
		err = codec.ListpackEach(blob, flat)
	}
	b.field = field
	if err == nil && haveField {
		err = fmt.Errorf("odd number of entries")
	}
	if err != nil {
		return nil, b.bad(at, "hash", err)
	}
	return emptyNil(h, h.Len()), nil
}

func (l *loader) bad(at int64, what string, err error) error {
	return &Error{Name: l.rd.name, Offset: at, Msg: fmt.Sprintf("invalid %s encoding: %v", what, err)}
}

func emptyNil(v keyspace.Value, n int) keyspace.Value {
	if n == 0 {
		return nil
	}
	return v
}

func listOf(elems [][]byte) keyspace.Value {
	if len(elems) == 0 {
		return nil
	}
	return keyspace.NewListOf(elems)
}

func (l *loader) quicklist(v2 bool) (keyspace.Value, error) {
	rd := l.rd
	nodes, err := rd.count()
	if err != nil {
		return nil, err
	}
	var elems [][]byte
	for i := int64(0); i < nodes; i++ {
		container := uint64(qlPacked)
		if v2 {
			c, enc, err := rd.length()
			if err != nil {
				return nil, err
			}
			if enc || (c != qlPlain && c != qlPacked) {
				return nil, rd.fail("invalid quicklist node container %d", c)
			}
			container = c
		}
		if container == qlPlain {
			b, err := rd.str()
			if err != nil {
				return nil, err
			}
			elems = append(elems, b)
			continue
		}
		b, at, err := rd.blob()
		if err != nil {
			return nil, err
		}
		walk, countAt := codec.ZiplistEach, 8
		if v2 {
			walk, countAt = codec.ListpackEach, 4
		}
		if elems, err = l.packedElems(elems, b, countAt, walk); err != nil {
			return nil, l.bad(at, "quicklist node", err)
		}
	}
	return listOf(elems), nil
}

// appendEntry appends a listpack or ziplist entry as text.
func appendEntry(dst, s []byte, v int64, isInt bool) []byte {
	if isInt {
		return strconv.AppendInt(dst, v, 10)
	}
	return append(dst, s...)
}

// packedElems appends the entries of the listpack or ziplist b to elems,
// all of them in one new array (one allocation per node, not per
// element; each element is capped, so appending to one copies it).
func (l *loader) packedElems(elems [][]byte, b []byte, countAt int, walk func([]byte, func([]byte, int64, bool) error) error) ([][]byte, error) {
	if elems == nil && len(b) >= countAt+2 {
		// The first node: size the list for its entries, when the
		// header knows their count, in a slice the list adopts.
		if n := binary.LittleEndian.Uint16(b[countAt:]); n != 0xFFFF {
			elems = make([][]byte, 0, keyspace.ListBufSize(min(int(n), len(b)/2)))
		}
	}
	back := make([]byte, 0, len(b))
	ends := l.ends[:0]
	err := walk(b, func(s []byte, v int64, isInt bool) error {
		back = appendEntry(back, s, v, isInt)
		ends = append(ends, len(back))
		return nil
	})
	l.ends = ends
	if err != nil {
		return nil, err
	}
	// back may have moved while it grew: slice its final array.
	prev := 0
	for _, end := range ends {
		elems = append(elems, back[prev:end:end])
		prev = end
	}
	return elems, nil
}

func (l *loader) set() (keyspace.Value, error) {
	rd := l.rd
	n, err := rd.count()
	if err != nil {
		return nil, err
	}
	var s *keyspace.Set
	for i := int64(0); i < n; i++ {
		at := rd.off
		m, err := rd.strTo(l.field[:0])
		if err != nil {
			return nil, err
		}
		l.field = m
		if s == nil {
			if n > int64(l.opt.Limits.SetMaxIntsetEntries) {
				s = keyspace.NewSetFor([]byte("not an integer"))
			} else {
				s = keyspace.NewSetFor(m)
			}
			s.Reserve(int(min(n, 1<<16)), n <= smallContainer)
		}
		if !s.Add(m, l.opt.Limits.SetMaxIntsetEntries) {
			return nil, &Error{Name: rd.name, Offset: at, Msg: "duplicate set members detected"}
		}
	}
	if s == nil {
		return nil, nil
	}
	return s, nil
}

func (l *loader) hash() (keyspace.Value, error) {
	rd := l.rd
	n, err := rd.count()
	if err != nil {
		return nil, err
	}
	h := keyspace.NewHash()
	lim := l.opt.Limits
	for i := int64(0); i < n; i++ {
		at := rd.off
		f, err := rd.strTo(l.field[:0])
		if err != nil {
			return nil, err
		}
		l.field = f
		v, err := rd.strTo(l.val[:0])
		if err != nil {
			return nil, err
		}
		l.val = v
		maxEntries := lim.HashMaxListpackEntries
		if n > int64(maxEntries) {
			maxEntries = -1 // straight to a hashtable, as Redis does
		}
		if !h.Set(f, v, maxEntries, lim.HashMaxListpackValue) {
			return nil, &Error{Name: rd.name, Offset: at, Msg: "duplicate hash fields detected"}
		}
	}
	return emptyNil(h, h.Len()), nil
}

func (l *loader) zset(binaryScores bool) (keyspace.Value, error) {
	rd := l.rd
	n, err := rd.count()
	if err != nil {
		return nil, err
	}
	z := keyspace.NewSkiplistZSet()
	z.Reserve(int(min(n, 1<<16)), n <= smallContainer)
	for i := int64(0); i < n; i++ {
		at := rd.off
		m, err := rd.strTo(l.field[:0])
		if err != nil {
			return nil, err
		}
		l.field = m
		var f float64
		if binaryScores {
			f, err = rd.binaryDouble()
		} else {
			f, err = rd.oldDouble()
		}
		if err != nil {
			return nil, err
		}
		if math.IsNaN(f) {
			return nil, &Error{Name: rd.name, Offset: at, Msg: "zset score is NaN"}
		}
		if !z.InsertNew(m, f) {
			return nil, &Error{Name: rd.name, Offset: at, Msg: "duplicate zset fields detected"}
		}
	}
	return fitZSet(z, l.opt.Limits), nil
}

func fitZSet(z *keyspace.ZSet, lim Limits) keyspace.Value {
	if z.Len() == 0 {
		return nil
	}
	z.Fit(lim.ZSetMaxListpackEntries, lim.ZSetMaxListpackValue)
	return z
}
