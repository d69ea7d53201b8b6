package keyspace

import (
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/replikube/replikube/internal/redis/spin"
)

// Point-in-time snapshots without fork.
//
// A snapshot (BGSAVE, an AOF rewrite, a replica's full sync) walks the
// databases in small steps, releasing the engine lock between steps, while
// commands keep changing the data. Each Object carries the epoch of the
// last snapshot that wrote it (or, for keys created since, the epoch in
// force when they were created). Starting a snapshot bumps the epoch, so
// every existing key is "not yet written". From then on:
//
//   - the walker claims each key it meets (SnapMark.Claim) and writes it
//     only if it was still unwritten; the dictionary's reverse-binary Scan
//     guarantees that every key present for the whole walk is met at least
//     once, whatever resizing happens in between;
//   - before any change to an unwritten key (LookupWrite, Set or Add over
//     it, SetExpire, deletion by any path), the keyspace hands the key's
//     current state to the snapshot's sink (Capture), which serialises it
//     at once and marks it written: the snapshot gets the value as it was
//     when the snapshot started, and only values written to during the
//     snapshot are ever copied;
//   - keys created during the snapshot carry the new epoch and are skipped;
//   - FLUSHDB/FLUSHALL during a snapshot detach the old dictionaries
//     instead of clearing them, and the walker, which holds the
//     dictionaries it started with, finishes them unchanged; SWAPDB moves
//     dictionaries between databases, which the walker also ignores as it
//     knows each dictionary's database at the start.
//
// The extra memory is thus bounded by the serialised size of the keys
// written to while the snapshot runs, not by the dataset.
//
// Serialising without the lock. A background snapshot takes a span of
// the scan order of a dictionary under the engine lock (Dict.Take: a
// cursor interval and the tables as they are, a few arithmetic
// operations) and walks and serialises it after releasing the lock, on a
// goroutine of its own, while commands run: the processor cost of a
// BGSAVE then leaves the event loop, as Redis's forked child does. The
// span is lent to that goroutine (Lend, a Loan): until it returns the
// loan, nothing on the engine's side may link or unlink an entry in the
// span's buckets, change an entry there or anything its value reaches
// (reads that move a container's rehash on are changes too), or rehash
// the dictionary (Dict.Pin). So every path that hands out an entry,
// adds one or changes one (lookups, additions, preWrite, and through
// preWrite every write and deletion) first settles the key: if its hash
// lands in a lent span, it waits for the loan to come back, which takes
// at most the serialisation of one span and needs nothing from the
// engine. Reads that change nothing the serialiser reads go on beside
// it: a GET of a string (it changes the access data, which the
// serialiser reads only when the snapshot saves them, Loan.ReadsAccess),
// EXISTS or TTL of a string; the loop thus serves reads of strings
// without waiting for a batch. Growing a dictionary stays allowed: it
// starts a new table, which no lent span holds. The serialising side
// reads an entry's key, value, expiry and access data (against a clock
// read at Take time, AccessClock) and writes its snapshot mark; the
// engine may still write the entry's mem field.

// SnapshotSink receives the pre-image of a key the running snapshot has not
// written yet, just before the key changes or disappears. It runs under the
// engine lock and must serialise the entry before returning.
type SnapshotSink interface {
	Capture(dict *Dict[Object], e *KeyEntry)
}

// BeginSnapshot starts a snapshot and returns the dictionaries of the
// databases at this instant, by database index. Only one snapshot runs at
// a time.
func (ks *Keyspace) BeginSnapshot(sink SnapshotSink) []*Dict[Object] {
	ks.snapEpoch++
	ks.snap = sink
	dicts := make([]*Dict[Object], len(ks.DBs))
	for i, db := range ks.DBs {
		dicts[i] = db.dict
	}
	return dicts
}

// EndSnapshot ends the running snapshot.
func (ks *Keyspace) EndSnapshot() {
	ks.settleAll()
	ks.snap = nil
}

// SnapshotRunning reports whether a snapshot is in progress.
func (ks *Keyspace) SnapshotRunning() bool { return ks.snap != nil }

// SnapMark identifies the running snapshot for a walker without the
// lock: read under the lock (Mark), then used by Claim.
type SnapMark uint32

// Mark returns the running snapshot's mark.
func (ks *Keyspace) Mark() SnapMark { return SnapMark(ks.snapEpoch) }

// Claim marks e as written by the snapshot and reports whether it still
// had to be written. The caller holds the lock or has e on loan.
func (m SnapMark) Claim(e *KeyEntry) bool {
	if e.Val.snap == uint32(m) {
		return false
	}
	e.Val.snap = uint32(m)
	return true
}

// preWrite gives the sink the pre-image of e before it changes.
func (db *DB) preWrite(e *KeyEntry) {
	ks := db.ks
	db.settleKey(e.Key)
	if ks.snap != nil && e.Val.snap != ks.snapEpoch {
		e.Val.snap = ks.snapEpoch
		ks.snap.Capture(db.dict, e)
	}
}

// SetAccess restores the access data a snapshot recorded: idle seconds
// under an LRU policy, the LFU counter under an LFU one (-1: not given).
func (ks *Keyspace) SetAccess(o *Object, idle int64, freq int) {
	if ks.LFU {
		if freq >= 0 {
			o.LRU = ks.lfuTime()<<8 | uint32(min(freq, 255))
		}
		return
	}
	if idle >= 0 {
		now := int64(ks.lruClock())
		o.LRU = uint32(now-min(idle, 1<<24-1)) & (1<<24 - 1)
	}
}

// Loan is a batch of spans lent to a goroutine that walks them without
// the engine lock (see above). Its spans are added and it is lent under
// the lock; the borrower calls Return, from any goroutine, once it no
// longer reads them. A Loan may be reused once returned.
type Loan struct {
	// ReadsAccess says that the borrower reads the spans' access data
	// (an RDB saved under an LRU or LFU policy): then a lookup that
	// updates it waits for the loan too (see settle).
	ReadsAccess bool
	spans       []lentSpan
	back        atomic.Bool
}

type lentSpan struct {
	d *Dict[Object]
	s Span[Object]
}

// Reset empties the loan for a new batch. The caller holds the lock and
// the loan was returned and reaped (Keyspace.Reap), or never lent.
func (l *Loan) Reset() {
	clear(l.spans)
	l.spans = l.spans[:0]
}

// Add puts span s of d in the loan. The caller holds the lock.
func (l *Loan) Add(d *Dict[Object], s Span[Object]) {
	if s.steps > 0 {
		l.spans = append(l.spans, lentSpan{d, s})
	}
}

// Return ends the loan: the borrower no longer reads its spans.
func (l *Loan) Return() { l.back.Store(true) }

func (l *Loan) holds(d *Dict[Object], h uint64) bool {
	for i := range l.spans {
		if l.spans[i].d == d && l.spans[i].s.Holds(h) {
			return true
		}
	}
	return false
}

// Lend lends l's spans until l.Return, pausing the rehashing of their
// dictionaries. Several loans may be out at once (a serialiser takes the
// next batch while it writes one). The caller holds the lock.
func (ks *Keyspace) Lend(l *Loan) {
	if len(l.spans) == 0 {
		return
	}
	l.back.Store(false)
	for _, x := range l.spans {
		x.d.Pin()
	}
	ks.loans = append(ks.loans, l)
}

// loanSpin bounds how long a command retries for a loan to come back
// before it sleeps: a batch takes about 100 us to serialise, two when the
// next one was lent ahead.
const loanSpin = time.Millisecond

// A lookup says what it may change of the entry it finds, which decides
// which loans it waits for (settle).
type change uint8

const (
	// changesNothing: a read that leaves the entry as it is (a string's
	// value without its access data: TTL, EXISTS, OBJECT).
	changesNothing change = iota
	// changesAccess: a read that updates the entry's access data only
	// (GET): it waits for loans whose borrower reads access data.
	changesAccess
	// changesEntry: anything else: a write, a deletion, a lookup that
	// hands the entry out to be changed, or a read of a container, which
	// may step the container's own rehashing.
	changesEntry
)

// settle waits, if a key of hash h in d is on loan and the lookup's
// change c could race with the borrower, until the loan is returned, and
// forgets the loans that came back. The borrower reads keys, values,
// expiries and, if ReadsAccess, access data: a read that changes none of
// these goes on beside it. The caller holds the lock.
func (ks *Keyspace) settle(d *Dict[Object], h uint64, c change) {
	for _, l := range ks.loans {
		if c == changesNothing || (c == changesAccess && !l.ReadsAccess) {
			continue
		}
		if !l.back.Load() && l.holds(d, h) {
			ks.Stats.LoanWaits++
			// The borrower serialises a span (about 100 us) and needs
			// nothing from us: retry, then sleep if a large value
			// keeps it.
			if !spin.Retry(loanSpin, l.back.Load) {
				for !l.back.Load() {
					time.Sleep(20 * time.Microsecond)
				}
			}
		}
	}
	ks.Reap()
}

// settleKey is settle for a change of key in db.
func (db *DB) settleKey(key string) {
	if len(db.ks.loans) != 0 {
		db.ks.settle(db.dict, db.dict.Hash(key), changesEntry)
	}
}

// settleRead is settle for a lookup of e that changes c of it. Reads of a
// string change nothing but, at most, its access data; reads of any other
// type count as changesEntry.
func (db *DB) settleRead(e *KeyEntry, c change) {
	if len(db.ks.loans) == 0 {
		return
	}
	if _, str := e.Val.Val.(*String); !str {
		c = changesEntry
	}
	db.ks.settle(db.dict, db.dict.Hash(e.Key), c)
}

// settleBytes is settleKey for a key given as bytes.
func (db *DB) settleBytes(key []byte) { db.settleKey(unsafe.String(unsafe.SliceData(key), len(key))) }

// Reap forgets the loans that came back, resuming the rehashing of their
// dictionaries. The caller holds the lock.
func (ks *Keyspace) Reap() {
	out := ks.loans[:0]
	for _, l := range ks.loans {
		if !l.back.Load() {
			out = append(out, l)
			continue
		}
		for _, x := range l.spans {
			x.d.Unpin()
		}
	}
	clear(ks.loans[len(out):])
	ks.loans = out
}

// settleAll waits for every loan to come back (the end of a snapshot).
// The caller holds the lock.
func (ks *Keyspace) settleAll() {
	for _, l := range ks.loans {
		for !l.back.Load() {
			time.Sleep(20 * time.Microsecond)
		}
	}
	ks.Reap()
}
