// Package keyspace owns the databases of the data plane: the key dictionary,
// the value types and their encodings, expiry (lazy on access plus an active
// sampling cycle, both reading an injected clock), and the memory accounting
// that INFO's used_memory and maxmemory eviction share.
//
// It is CPU-only: no I/O, no goroutines, no locks. The command engine holds
// the one keyspace lock while it calls in here, so every function assumes
// exclusive access. It imports nothing from Kubernetes.
package keyspace

import (
	"math/rand/v2"
	"time"
)

// Kind is the type of a value, as TYPE reports it.
type Kind uint8

// Value kinds.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

// String returns the name TYPE replies with.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindSet:
		return "set"
	case KindZSet:
		return "zset"
	case KindHash:
		return "hash"
	case KindStream:
		return "stream"
	}
	return "none"
}

// Value is a stored value of any type.
type Value interface {
	Kind() Kind
	// Encoding is the name OBJECT ENCODING reports (Redis's names).
	Encoding() string
	// MemUsage is the accounted size of the value in bytes. It must be
	// cheap (kept up to date by the type's mutators), as it is read after
	// every write.
	MemUsage() int64
	// Clone returns a deep copy (COPY, snapshots).
	Clone() Value
}

// ElementLister is implemented by list, set and sorted set values: their
// elements in their natural order (list order, set iteration order,
// sorted-set rank order). SORT and the persistence layer use it.
type ElementLister interface {
	Elements() [][]byte
}

// Object is what a key maps to.
type Object struct {
	Val Value
	// Expire is the absolute expiry time in Unix milliseconds, 0 for none.
	Expire int64
	// LRU holds the LRU clock (seconds resolution, 24 bits) or, under an
	// LFU policy, the LFU counter and decrement time as Redis packs them.
	LRU uint32
	// snap is the epoch of the last snapshot that wrote this object, or
	// the epoch in force when it was created (see snapshot.go).
	snap uint32
	// mem is the accounted size last added to the database total.
	mem int64
}

// KeyEntry is an entry of the main dictionary.
type KeyEntry = Entry[Object]

// Clock gives the current time in Unix milliseconds.
type Clock func() int64

// SystemClock reads the wall clock.
func SystemClock() int64 { return time.Now().UnixMilli() }

// DeleteReason says why a key disappears on its own.
type DeleteReason uint8

// Reasons for Hooks.KeyRemoved.
const (
	Expired DeleteReason = iota
	Evicted
)

// Hooks lets the engine learn of deletions the keyspace decides itself
// (expiry, eviction), so that they are propagated as DEL like any write.
type Hooks interface {
	KeyRemoved(db int, key string, why DeleteReason)
}

// Keyspace is the set of databases.
type Keyspace struct {
	DBs   []*DB
	Clock Clock
	Rand  *rand.Rand
	Hooks Hooks
	// Replica disables deletion of expired keys on access: a replica
	// waits for the master's DEL, while reads still treat them as missing.
	Replica bool
	// Paused stops expiry altogether (CLIENT PAUSE WRITE, DEBUG
	// SET-ACTIVE-EXPIRE 0 only stops the active cycle).
	Paused bool
	// IgnoreExpiry makes expired keys visible: set while a replica applies
	// its master's stream, which alone decides when keys go.
	IgnoreExpiry bool
	// LFU makes access bump LFU counters instead of the LRU clock.
	LFU          bool
	LFULogFactor int
	LFUDecayTime int

	Stats Stats
	// mem is the accounted total over all databases, in bytes.
	mem int64
	// anyTouched: some database has entries waiting for Account.
	anyTouched bool
	// snap receives pre-images while a snapshot runs; snapEpoch numbers
	// snapshots (see snapshot.go).
	snap      SnapshotSink
	snapEpoch uint32
	// loans are the batches of entries a snapshot serialises without
	// the lock and has not returned yet.
	loans []*Loan
	// fixedNow, when not 0, is the time of the running command (FixTime),
	// fixedDepth how many FixTime calls are open.
	fixedNow   int64
	fixedDepth int
}

// Stats are the counters INFO reports.
type Stats struct {
	ExpiredKeys       int64
	EvictedKeys       int64
	KeyspaceHits      int64
	KeyspaceMisses    int64
	ExpiredStalePerc  float64
	ExpiredTimeCapped int64
	// LoanWaits counts the times a command waited for a snapshot's
	// serialiser to give back a key it was reading (see Loan).
	LoanWaits int64
}

// New returns a keyspace of n databases reading clock.
func New(n int, clock Clock) *Keyspace {
	ks := &Keyspace{Clock: clock, Rand: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), LFULogFactor: 10, LFUDecayTime: 1}
	ks.DBs = make([]*DB, n)
	for i := range ks.DBs {
		ks.DBs[i] = newDB(ks, i)
	}
	return ks
}

// Now is the clock reading, or the time fixed by FixTime.
func (ks *Keyspace) Now() int64 {
	if ks.fixedNow != 0 {
		return ks.fixedNow
	}
	return ks.Clock()
}

// FixTime reads the clock once and makes Now, expiry and the LRU clock
// use that reading until ReleaseTime, as Redis fixes the time of a
// command (and of all the commands of an EXEC) while it runs: a key
// cannot expire half way through, and a command reads the clock once
// instead of at every access.
// Calls nest: the outermost fixes the time, its ReleaseTime frees it.
func (ks *Keyspace) FixTime() {
	if ks.fixedDepth == 0 {
		ks.fixedNow = ks.Clock()
	}
	ks.fixedDepth++
}

// ReleaseTime undoes FixTime.
func (ks *Keyspace) ReleaseTime() {
	if ks.fixedDepth > 0 {
		ks.fixedDepth--
	}
	if ks.fixedDepth == 0 {
		ks.fixedNow = 0
	}
}

// ResetTime frees the time whatever the nesting (after a panic).
func (ks *Keyspace) ResetTime() { ks.fixedNow, ks.fixedDepth = 0, 0 }

// UsedMemory is the accounted size of all keys and values.
func (ks *Keyspace) UsedMemory() int64 { return ks.mem }

// Size sums the keys of every database.
func (ks *Keyspace) Size() int {
	n := 0
	for _, db := range ks.DBs {
		n += db.Len()
	}
	return n
}

// Swap exchanges the contents of two databases (SWAPDB).
func (ks *Keyspace) Swap(a, b int) {
	da, db := ks.DBs[a], ks.DBs[b]
	da.dict, db.dict = db.dict, da.dict
	da.expires, db.expires = db.expires, da.expires
	da.avgTTL, db.avgTTL = db.avgTTL, da.avgTTL
}

// Aside returns an empty keyspace like ks, for a dataset loaded beside the
// live one (a replica's diskless load) and later moved in with Adopt. Its
// keys carry the current snapshot epoch, so that a snapshot running when
// they are adopted treats them as created during it.
func (ks *Keyspace) Aside() *Keyspace {
	o := New(len(ks.DBs), ks.Clock)
	o.LFU, o.LFULogFactor, o.LFUDecayTime = ks.LFU, ks.LFULogFactor, ks.LFUDecayTime
	o.Replica, o.IgnoreExpiry = true, true
	o.snapEpoch = ks.snapEpoch
	return o
}

// Adopt replaces the contents of every database with other's, which is
// left empty. A running snapshot keeps the dictionaries it started with,
// as with FlushAll.
func (ks *Keyspace) Adopt(other *Keyspace) {
	ks.FlushAll()
	other.Account()
	for i, db := range ks.DBs {
		if i >= len(other.DBs) {
			break
		}
		o := other.DBs[i]
		db.dict, db.expires, db.avgTTL = o.dict, o.expires, o.avgTTL
		o.dict, o.expires, o.avgTTL = NewDict[Object](), NewDict[*KeyEntry](), 0
	}
	ks.mem += other.mem
	other.mem = 0
}

// FlushAll empties every database and returns how many keys were removed.
func (ks *Keyspace) FlushAll() int {
	n := 0
	for _, db := range ks.DBs {
		n += db.Flush()
	}
	return n
}

// lruClock is Redis's LRU clock: seconds, 24 bits.
func (ks *Keyspace) lruClock() uint32 { return uint32(ks.Now()/1000) & (1<<24 - 1) }

// Overhead per key of the accounting: dictionary entry, bucket slot,
// object header. Chosen to mirror what the Go heap really spends.
const keyOverhead = 64 + 8 + 16
