package keyspace

import "time"

// DB is one numbered database.
type DB struct {
	ks      *Keyspace
	ID      int
	dict    *Dict[Object]
	expires *Dict[*KeyEntry]
	avgTTL  int64
	// touched holds entries handed out for writing since the last Account:
	// their sizes are re-read and empty containers removed afterwards.
	touched []*KeyEntry
}

func newDB(ks *Keyspace, id int) *DB {
	return &DB{ks: ks, ID: id, dict: NewDict[Object](), expires: NewDict[*KeyEntry]()}
}

// Len is the number of keys (expired ones not yet removed included, as
// DBSIZE in Redis).
func (db *DB) Len() int { return db.dict.Len() }

// Expires is the number of keys with an expiry.
func (db *DB) Expires() int { return db.expires.Len() }

// AvgTTL is the estimate INFO keyspace reports.
func (db *DB) AvgTTL() int64 { return db.avgTTL }

// Dict exposes the key dictionary for iteration (KEYS, SCAN, snapshots).
func (db *DB) Dict() *Dict[Object] { return db.dict }

// ExpiresDict exposes the dictionary of volatile keys.
func (db *DB) ExpiresDict() *Dict[*KeyEntry] { return db.expires }

// Keyspace returns the owning keyspace.
func (db *DB) Keyspace() *Keyspace { return db.ks }

// IsExpired reports whether e is logically expired now.
func (db *DB) IsExpired(e *KeyEntry) bool {
	return e.Val.Expire != 0 && e.Val.Expire <= db.ks.Now() && !db.ks.IgnoreExpiry
}

// expireIfNeeded removes e if it is expired and reports whether the key must
// be treated as missing.
func (db *DB) expireIfNeeded(e *KeyEntry) bool {
	if !db.IsExpired(e) {
		return false
	}
	if db.ks.Replica || db.ks.Paused {
		return true
	}
	db.removeExpired(e.Key)
	return true
}

func (db *DB) removeExpired(key string) bool {
	if db.delete([]byte(key)) == nil {
		return false
	}
	db.ks.Stats.ExpiredKeys++
	if db.ks.Hooks != nil {
		db.ks.Hooks.KeyRemoved(db.ID, key, Expired)
	}
	return true
}

// find returns the entry for key, settled (see Loan in snapshot.go) for
// a lookup that may change it.
func (db *DB) find(key []byte) *KeyEntry { return db.findRead(key, changesEntry) }

// findRead returns the entry for key, settled for a lookup that changes
// at most c of it (see settleRead): a GET of a string a snapshot's
// serialiser is writing out goes on beside it instead of waiting for its
// batch.
func (db *DB) findRead(key []byte, c change) *KeyEntry {
	e := db.dict.FindBytes(key)
	if e != nil {
		db.settleRead(e, c)
	}
	return e
}

// Peek returns the entry without touching expiry, LRU or stats.
func (db *DB) Peek(key []byte) *KeyEntry { return db.find(key) }

// Exists reports whether key is present and not expired, without touching
// LRU or hit statistics.
func (db *DB) Exists(key []byte) bool {
	e := db.findRead(key, changesNothing)
	return e != nil && !db.expireIfNeeded(e)
}

// LookupRead returns the live entry for key or nil, counting a keyspace hit
// or miss and updating the access time.
func (db *DB) LookupRead(key []byte) *KeyEntry {
	e := db.findRead(key, changesAccess)
	if e == nil || db.expireIfNeeded(e) {
		db.ks.Stats.KeyspaceMisses++
		return nil
	}
	db.ks.Stats.KeyspaceHits++
	db.ks.touchAccess(&e.Val)
	return e
}

// LookupReadNoTouch is LookupRead without LRU update or stats (used by
// commands flagged no-touch, such as TYPE? no: OBJECT, TTL).
func (db *DB) LookupReadNoTouch(key []byte) *KeyEntry {
	e := db.findRead(key, changesNothing)
	if e == nil || db.expireIfNeeded(e) {
		return nil
	}
	return e
}

// LookupWrite returns the live entry for key or nil. The entry may be
// mutated in place; its size is re-accounted after the command.
func (db *DB) LookupWrite(key []byte) *KeyEntry {
	e := db.find(key)
	if e == nil {
		return nil
	}
	if db.IsExpired(e) && !db.ks.Paused {
		// Writes always delete expired keys, even on a replica (a writable
		// replica must not see the old value).
		db.removeExpired(e.Key)
		return nil
	}
	db.preWrite(e)
	db.ks.touchAccess(&e.Val)
	db.touch(e)
	return e
}

// Reserve sizes the database for keys keys, expires of them volatile
// (RDB RESIZEDB), when it is empty.
func (db *DB) Reserve(keys, expires int) {
	db.dict.Reserve(keys)
	db.expires.Reserve(expires)
}

// Prefetch starts loading what looking up or adding keys will read (see
// Dict.Prefetch), for a caller about to run a batch of commands on them
// or to load them.
func (db *DB) Prefetch(keys [][]byte) { db.dict.Prefetch(keys) }

// AddIfAbsent stores val under key unless the key exists, as a loader
// does; it returns nil for a key already present.
func (db *DB) AddIfAbsent(key []byte, val Value) *KeyEntry {
	db.settleBytes(key)
	e, created := db.dict.AddOrFind(key)
	if !created {
		return nil
	}
	e.Val = Object{Val: val, snap: db.ks.snapEpoch}
	db.ks.InitAccess(&e.Val)
	db.touch(e)
	return e
}

// Add stores val under a key known to be absent (after LookupWrite).
func (db *DB) Add(key []byte, val Value) *KeyEntry {
	db.settleBytes(key)
	e, created := db.dict.AddOrFind(key)
	if !created {
		db.preWrite(e)
		db.unexpire(e)
		db.ks.mem -= e.Val.mem
	}
	e.Val = Object{Val: val, snap: db.ks.snapEpoch}
	db.ks.InitAccess(&e.Val)
	db.touch(e)
	return e
}

// Set stores val under key, replacing any value. The expiry is removed
// unless keepTTL.
func (db *DB) Set(key []byte, val Value, keepTTL bool) *KeyEntry {
	db.settleBytes(key)
	e, created := db.dict.AddOrFind(key)
	if !created {
		db.preWrite(e)
		if db.IsExpired(e) {
			keepTTL = false
		}
		if !keepTTL {
			db.unexpire(e)
		}
		e.Val.Val = val
		db.ks.touchAccess(&e.Val)
	} else {
		e.Val = Object{Val: val, snap: db.ks.snapEpoch}
		db.ks.InitAccess(&e.Val)
	}
	db.touch(e)
	return e
}

// Delete removes key and reports whether it existed (expired keys count as
// absent).
func (db *DB) Delete(key []byte) bool {
	e := db.find(key)
	if e == nil {
		return false
	}
	if db.expireIfNeeded(e) {
		return false
	}
	db.delete(key)
	return true
}

func (db *DB) delete(key []byte) *KeyEntry {
	if db.ks.snap != nil || len(db.ks.loans) != 0 {
		if e := db.dict.FindBytes(key); e != nil {
			db.preWrite(e)
		}
	}
	e := db.dict.Delete(key)
	if e == nil {
		return nil
	}
	db.unexpire(e)
	db.ks.mem -= e.Val.mem
	e.Val.mem = 0
	e.Val.Val = nil
	db.dict.ShrinkIfNeeded()
	return e
}

// Remove deletes key unconditionally, expired or not, returning the old
// entry (RENAME, MOVE, eviction).
func (db *DB) Remove(key []byte) *KeyEntry {
	e := db.find(key)
	if e == nil {
		return nil
	}
	obj := e.Val
	db.delete(key)
	out := &KeyEntry{Key: e.Key, Val: obj}
	return out
}

func (db *DB) unexpire(e *KeyEntry) {
	if e.Val.Expire != 0 {
		db.expires.Delete([]byte(e.Key))
		db.expires.ShrinkIfNeeded()
		e.Val.Expire = 0
	}
}

// SetExpire sets the absolute expiry (Unix ms) of a live entry; 0 removes it.
func (db *DB) SetExpire(e *KeyEntry, at int64) {
	db.preWrite(e)
	if at == 0 {
		db.unexpire(e)
		return
	}
	if e.Val.Expire == 0 {
		db.expires.Set([]byte(e.Key), e)
	}
	e.Val.Expire = at
}

// Flush removes every key and returns how many there were.
func (db *DB) Flush() int {
	n := db.dict.Len()
	// A running snapshot keeps walking the old dictionary: leave its
	// values alone then.
	keep := db.ks.snap != nil || len(db.ks.loans) != 0
	db.dict.Each(func(e *KeyEntry) bool {
		db.ks.mem -= e.Val.mem
		e.Val.mem = 0
		if !keep {
			e.Val.Val = nil
		}
		return true
	})
	db.dict = NewDict[Object]()
	db.expires = NewDict[*KeyEntry]()
	db.avgTTL = 0
	db.touched = db.touched[:0]
	return n
}

// touch queues e for re-accounting after the current command.
func (db *DB) touch(e *KeyEntry) {
	db.touched = append(db.touched, e)
	db.ks.anyTouched = true
}

// Lener is implemented by container values; an empty container is removed
// after the command that emptied it, as Redis never keeps empty keys.
type Lener interface{ Len() int }

// Account re-reads the size of every entry written since the last call and
// removes containers left empty. The engine calls it after each command.
func (ks *Keyspace) Account() {
	// Called after every command: most read nothing for writing, so skip
	// the walk over the databases then.
	if !ks.anyTouched {
		return
	}
	ks.anyTouched = false
	for _, db := range ks.DBs {
		if len(db.touched) == 0 {
			continue
		}
		for i, e := range db.touched {
			db.touched[i] = nil
			if e.Val.Val == nil {
				continue // deleted since
			}
			if l, ok := e.Val.Val.(Lener); ok && l.Len() == 0 {
				if cur := db.dict.Find(e.Key); cur == e {
					db.delete([]byte(e.Key))
				}
				continue
			}
			m := e.Val.Val.MemUsage() + keyOverhead + int64(len(e.Key))
			ks.mem += m - e.Val.mem
			e.Val.mem = m
		}
		db.touched = db.touched[:0]
	}
}

// RandomKey returns a random live key, or nil. Like Redis it gives up
// after 100 tries when every sampled key is expired (replica case).
func (db *DB) RandomKey() *KeyEntry {
	for tries := 0; tries < 100; tries++ {
		e := db.dict.Random(db.ks.Rand)
		if e == nil {
			return nil
		}
		db.settleKey(e.Key)
		if e.Val.Expire != 0 && db.IsExpired(e) {
			if db.ks.Replica || db.ks.Paused {
				if db.expires.Len() == db.dict.Len() && tries == 99 {
					return e
				}
				continue
			}
			db.removeExpired(e.Key)
			continue
		}
		return e
	}
	return nil
}

// Active expiry parameters (Redis's ACTIVE_EXPIRE_CYCLE_*, effort 1).
const (
	expireKeysPerLoop = 20
	expireAcceptStale = 10 // percent
)

// ActiveExpireCycle samples volatile keys of every database and removes
// the expired ones, repeating on a database while more than 10% of a
// sample was expired, within budget. It returns the number removed.
func (ks *Keyspace) ActiveExpireCycle(budget time.Duration) int {
	if ks.Replica || ks.Paused {
		return 0
	}
	start := time.Now()
	removed := 0
	now := ks.Clock()
	var batch []string
	for _, db := range ks.DBs {
		for {
			if db.expires.Len() == 0 {
				db.avgTTL = 0
				break
			}
			batch = batch[:0]
			sampled := 0
			var ttlSum, ttlN int64
			db.expires.Sample(ks.Rand, expireKeysPerLoop, func(x *Entry[*KeyEntry]) {
				sampled++
				e := x.Val
				if e.Val.Expire <= now {
					batch = append(batch, e.Key)
				} else {
					ttlSum += e.Val.Expire - now
					ttlN++
				}
			})
			for _, k := range batch {
				if db.removeExpired(k) {
					removed++
				}
			}
			if ttlN > 0 {
				avg := ttlSum / ttlN
				if db.avgTTL == 0 {
					db.avgTTL = avg
				} else {
					db.avgTTL = db.avgTTL/50*49 + avg/50
				}
			}
			if time.Since(start) > budget {
				ks.Stats.ExpiredTimeCapped++
				return removed
			}
			if sampled == 0 || len(batch)*100/sampled <= expireAcceptStale {
				break
			}
		}
	}
	return removed
}

// Rehash gives every database's dictionaries a slice of incremental
// rehashing (server cron).
func (ks *Keyspace) Rehash() {
	for _, db := range ks.DBs {
		db.dict.RehashFor(10)
		db.expires.RehashFor(10)
	}
}
