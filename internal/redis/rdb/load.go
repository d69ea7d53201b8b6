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
	l := loader{rd: rd, ks: ks, opt: opt, ver: ver}

	// Two stages, as two cores make them faster than one: a goroutine
	// reads the stream and builds each value (strings, LZF, listpacks,
	// whole containers: nothing shared), and this one adds them to the
	// keyspace, in file order. Batches go back and forth so that the
	// handover costs nothing per key. Load returns only once the reader
	// has stopped, so r is left exactly after the RDB.
	full := make(chan []loadRec, 4)
	free := make(chan []loadRec, 6)
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
	op     byte // 0 for a key, else OpSelectDB or OpResizeDB
	db     int
	keys   uint64 // RESIZEDB
	exps   uint64
	at     int64 // offset of the key's record, for errors
	key    []byte
	val    keyspace.Value
	expire int64
	idle   int64
	freq   int
}

// loadBatch is how many records travel together between the stages.
const loadBatch = 256

// read is the first stage of Load: it decodes the stream into records
// until the checksum, an error, or stop.
func (l *loader) read(meta *Meta, full chan<- []loadRec, free <-chan []loadRec, stop *atomic.Bool) error {
	rd, ver := l.rd, l.ver
	batch := make([]loadRec, 0, loadBatch)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		full <- batch
		select {
		case batch = <-free:
		default:
			batch = make([]loadRec, 0, loadBatch)
		}
	}
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
			batch = append(batch, loadRec{op: OpSelectDB, db: int(n)})
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
			batch = append(batch, loadRec{op: OpResizeDB, keys: keys, exps: expires})
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
		key, err := rd.str()
		if err != nil {
			return err
		}
		v, err := l.value(t)
		if err != nil {
			return err
		}
		if v != nil { // empty containers are skipped, as Redis 7.0 does
			batch = append(batch, loadRec{at: at, key: key, val: v, expire: expire, idle: idle, freq: freq})
			if len(batch) == loadBatch {
				flush()
			}
		}
		expire, idle, freq = 0, -1, -1
	}
	return nil
}

// apply is the second stage of Load: it adds the records to the keyspace
// and hands the emptied batches back.
func (l *loader) apply(meta *Meta, full <-chan []loadRec, free chan<- []loadRec) error {
	ks, opt := l.ks, l.opt
	db := ks.DBs[0]
	for batch := range full {
		for i := range batch {
			r := &batch[i]
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
		clear(batch)
		select {
		case free <- batch[:0]:
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

type loader struct {
	rd  *reader
	ks  *keyspace.Keyspace
	opt LoadOptions
	ver int
}

// value reads a value of type t. nil without error is an empty container.
func (l *loader) value(t byte) (keyspace.Value, error) {
	rd := l.rd
	switch t {
	case TypeString:
		s, err := rd.str()
		if err != nil {
			return nil, err
		}
		return keyspace.NewString(s), nil
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
	case TypeHashZipmap, TypeHashZiplist, TypeHashListpack:
		b, at, err := rd.blob()
		if err != nil {
			return nil, err
		}
		h := keyspace.NewHash()
		lim := l.opt.Limits
		var field []byte
		pair := func(f, v []byte) error {
			if !h.Set(f, v, lim.HashMaxListpackEntries, lim.HashMaxListpackValue) {
				return fmt.Errorf("duplicate hash fields detected")
			}
			return nil
		}
		flat := func(s []byte, v int64, isInt bool) error {
			if isInt {
				s = strconv.AppendInt(rd.num[:0], v, 10)
			}
			if field == nil {
				field = append([]byte{}, s...)
				return nil
			}
			err := pair(field, s)
			field = nil
			return err
		}
		switch t {
		case TypeHashZipmap:
			err = codec.ZipmapEach(b, pair)
		case TypeHashZiplist:
			err = codec.ZiplistEach(b, flat)
		default:
			err = codec.ListpackEach(b, flat)
		}
		if err == nil && field != nil {
			err = fmt.Errorf("odd number of entries")
		}
		if err != nil {
			return nil, l.bad(at, "hash", err)
		}
		return emptyNil(h, h.Len()), nil
	case TypeZSet, TypeZSet2:
		return l.zset(t == TypeZSet2)
	case TypeZSetZiplist, TypeZSetListpack:
		b, at, err := rd.blob()
		if err != nil {
			return nil, err
		}
		var strs [][]byte
		if t == TypeZSetZiplist {
			strs, err = codec.ZiplistStrings(b)
		} else {
			strs, err = codec.ListpackStrings(b)
		}
		if err == nil && len(strs)%2 != 0 {
			err = fmt.Errorf("odd number of entries")
		}
		if err != nil {
			return nil, l.bad(at, "sorted set", err)
		}
		z := keyspace.NewSkiplistZSet()
		for i := 0; i < len(strs); i += 2 {
			f, err := strconv.ParseFloat(string(strs[i+1]), 64)
			if err != nil || math.IsNaN(f) {
				return nil, l.bad(at, "sorted set", fmt.Errorf("invalid score %q", strs[i+1]))
			}
			if z.Find(strs[i]) != nil {
				return nil, l.bad(at, "sorted set", fmt.Errorf("duplicate zset fields detected"))
			}
			z.Insert(strs[i], f)
		}
		return l.fitZSet(z), nil
	case TypeStreamListpack, TypeStreamListpack2:
		return nil, rd.unsupported("a stream")
	case TypeModule, TypeModule2:
		return nil, rd.unsupported("a module type")
	}
	return nil, rd.fail("unknown RDB type %d", t)
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
		b, at, err := rd.blob()
		if err != nil {
			return nil, err
		}
		if container == qlPlain {
			elems = append(elems, b)
			continue
		}
		var strs [][]byte
		if v2 {
			strs, err = codec.ListpackStrings(b)
		} else {
			strs, err = codec.ZiplistStrings(b)
		}
		if err != nil {
			return nil, l.bad(at, "quicklist node", err)
		}
		for _, s := range strs {
			elems = append(elems, append([]byte(nil), s...))
		}
	}
	return listOf(elems), nil
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
		m, err := rd.str()
		if err != nil {
			return nil, err
		}
		if s == nil {
			if n > int64(l.opt.Limits.SetMaxIntsetEntries) {
				s = keyspace.NewSetFor([]byte("not an integer"))
			} else {
				s = keyspace.NewSetFor(m)
			}
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
		f, err := rd.str()
		if err != nil {
			return nil, err
		}
		v, err := rd.str()
		if err != nil {
			return nil, err
		}
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
	for i := int64(0); i < n; i++ {
		at := rd.off
		m, err := rd.str()
		if err != nil {
			return nil, err
		}
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
		if z.Find(m) != nil {
			return nil, &Error{Name: rd.name, Offset: at, Msg: "duplicate zset fields detected"}
		}
		z.Insert(m, f)
	}
	return l.fitZSet(z), nil
}

func (l *loader) fitZSet(z *keyspace.ZSet) keyspace.Value {
	if z.Len() == 0 {
		return nil
	}
	z.Fit(l.opt.Limits.ZSetMaxListpackEntries, l.opt.Limits.ZSetMaxListpackValue)
	return z
}
