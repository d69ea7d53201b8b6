package keyspace

import "math"

// Policy is a maxmemory-policy.
type Policy uint8

// The maxmemory policies of Redis.
const (
	NoEviction Policy = iota
	AllKeysLRU
	VolatileLRU
	AllKeysLFU
	VolatileLFU
	AllKeysRandom
	VolatileRandom
	VolatileTTL
)

var policyNames = []string{"noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "allkeys-random", "volatile-random", "volatile-ttl"}

func (p Policy) String() string { return policyNames[p] }

// ParsePolicy parses a maxmemory-policy name.
func ParsePolicy(s string) (Policy, bool) {
	for i, n := range policyNames {
		if n == s {
			return Policy(i), true
		}
	}
	return 0, false
}

func (p Policy) volatile() bool {
	return p == VolatileLRU || p == VolatileLFU || p == VolatileRandom || p == VolatileTTL
}

const lfuInitVal = 5

// touchAccess updates the LRU clock or the LFU counter on access.
func (ks *Keyspace) touchAccess(o *Object) {
	if ks.LFU {
		c := ks.lfuDecr(o.LRU)
		c = ks.lfuLogIncr(c)
		o.LRU = ks.lfuTime()<<8 | uint32(c)
		return
	}
	o.LRU = ks.lruClock()
}

// InitAccess stamps a new object (LFU counters start at 5).
func (ks *Keyspace) InitAccess(o *Object) {
	if ks.LFU {
		o.LRU = ks.lfuTime()<<8 | lfuInitVal
		return
	}
	o.LRU = ks.lruClock()
}

func (ks *Keyspace) lfuTime() uint32 { return uint32(ks.Now()/60000) & 0xffff }

func (ks *Keyspace) lfuDecr(lru uint32) uint8 { return lfuDecrAt(lru, ks.lfuTime(), ks.LFUDecayTime) }

// lfuDecrAt is the LFU counter of lru decayed to now (lfuTime), one step
// every decay minutes.
func lfuDecrAt(lru, now uint32, decay int) uint8 {
	ldt := lru >> 8
	counter := uint8(lru & 0xff)
	var elapsed uint32
	if now >= ldt {
		elapsed = now - ldt
	} else {
		elapsed = 65535 - ldt + now
	}
	periods := uint32(0)
	if decay > 0 {
		periods = elapsed / uint32(decay)
	}
	if periods > 0 {
		if periods > uint32(counter) {
			return 0
		}
		return counter - uint8(periods)
	}
	return counter
}

func (ks *Keyspace) lfuLogIncr(c uint8) uint8 {
	if c == 255 {
		return 255
	}
	r := ks.Rand.Float64()
	base := float64(c) - lfuInitVal
	if base < 0 {
		base = 0
	}
	p := 1.0 / (base*float64(ks.LFULogFactor) + 1)
	if r < p {
		c++
	}
	return c
}

// Freq is OBJECT FREQ: the decayed LFU counter.
func (ks *Keyspace) Freq(o *Object) int { return int(ks.lfuDecr(o.LRU)) }

// IdleSeconds is OBJECT IDLETIME.
func (ks *Keyspace) IdleSeconds(o *Object) int64 { return idleAt(o.LRU, ks.lruClock()) }

func idleAt(lru, now uint32) int64 {
	if now >= lru {
		return int64(now - lru)
	}
	return int64(now + (1<<24 - 1) - lru)
}

// AccessClock is the clock and decay setting access data is read
// against (AccessClock.Idle, AccessClock.Freq), taken under the lock for
// a reader that has no lock.
type AccessClock struct {
	lru, lfu uint32
	decay    int
}

// AccessClock reads the clock for access data.
func (ks *Keyspace) AccessClock() AccessClock {
	return AccessClock{lru: ks.lruClock(), lfu: ks.lfuTime(), decay: ks.LFUDecayTime}
}

// Idle is IdleSeconds at c's time.
func (c AccessClock) Idle(o *Object) int64 { return idleAt(o.LRU, c.lru) }

// Freq is Keyspace.Freq at c's time.
func (c AccessClock) Freq(o *Object) int { return int(lfuDecrAt(o.LRU, c.lfu, c.decay)) }

type evictCandidate struct {
	db    int
	key   string
	score float64 // higher is a better candidate
}

const evictPoolSize = 16

// EvictOne removes one key chosen by policy from samples drawn per
// database and reports whether it found one (false means nothing can be
// evicted: the caller replies OOM).
func (ks *Keyspace) EvictOne(policy Policy, samples int) bool {
	if policy == NoEviction {
		return false
	}
	if policy == AllKeysRandom || policy == VolatileRandom {
		start := ks.Rand.IntN(len(ks.DBs))
		for i := 0; i < len(ks.DBs); i++ {
			db := ks.DBs[(start+i)%len(ks.DBs)]
			if policy == AllKeysRandom {
				if e := db.dict.Random(ks.Rand); e != nil {
					ks.evict(db, e.Key)
					return true
				}
			} else if e := db.expires.Random(ks.Rand); e != nil {
				ks.evict(db, e.Key)
				return true
			}
		}
		return false
	}
	var pool []evictCandidate
	consider := func(db *DB, e *KeyEntry) {
		var score float64
		switch policy {
		case AllKeysLRU, VolatileLRU:
			score = float64(ks.IdleSeconds(&e.Val))
		case AllKeysLFU, VolatileLFU:
			score = float64(255 - ks.Freq(&e.Val))
		case VolatileTTL:
			score = math.MaxInt64 - float64(e.Val.Expire)
		}
		c := evictCandidate{db: db.ID, key: e.Key, score: score}
		if len(pool) < evictPoolSize {
			pool = append(pool, c)
			return
		}
		worst := 0
		for i := range pool {
			if pool[i].score < pool[worst].score {
				worst = i
			}
		}
		if pool[worst].score < score {
			pool[worst] = c
		}
	}
	for _, db := range ks.DBs {
		if policy.volatile() {
			db.expires.Sample(ks.Rand, samples, func(x *Entry[*KeyEntry]) { consider(db, x.Val) })
		} else {
			db.dict.Sample(ks.Rand, samples, func(x *KeyEntry) { consider(db, x) })
		}
	}
	if len(pool) == 0 {
		return false
	}
	best := 0
	for i := range pool {
		if pool[i].score > pool[best].score {
			best = i
		}
	}
	ks.evict(ks.DBs[pool[best].db], pool[best].key)
	return true
}

func (ks *Keyspace) evict(db *DB, key string) {
	db.delete([]byte(key))
	ks.Stats.EvictedKeys++
	if ks.Hooks != nil {
		ks.Hooks.KeyRemoved(db.ID, key, Evicted)
	}
}
