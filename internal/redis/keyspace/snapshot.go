package keyspace

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
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
//   - the walker claims each key it meets (Claim) and writes it only if it
//     was still unwritten; the dictionary's reverse-binary Scan guarantees
//     that every key present for the whole walk is met at least once,
//     whatever resizing happens in between;
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
// Serialising without the lock. A background snapshot claims a small batch
// of keys under the engine lock and serialises them after releasing it, on
// a goroutine of its own, while commands run (the processor cost of a
// BGSAVE then leaves the event loop, as Redis's forked child does). The
// batch is lent to that goroutine (Lend, a Loan): until it returns the
// loan, nothing on the engine's side may change those entries or anything
// their values reach, and reads that move a container's rehash on are
// changes too. So every path that hands out an entry or changes one
// (lookups, preWrite, and through preWrite every write and deletion)
// first settles it: if the entry is on loan, it waits for the loan to come
// back, which takes at most the serialisation of one batch and needs
// nothing from the engine. The serialising side reads only an entry's key,
// value and expiry, never its access data (read at claim time), mem or
// snap fields, which the engine may still write.

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

// Claim marks e as written by the running snapshot and reports whether it
// still had to be written.
func (ks *Keyspace) Claim(e *KeyEntry) bool {
	if e.Val.snap == ks.snapEpoch {
		return false
	}
	e.Val.snap = ks.snapEpoch
	return true
}

// preWrite gives the sink the pre-image of e before it changes.
func (db *DB) preWrite(e *KeyEntry) {
	ks := db.ks
	if len(ks.loans) != 0 {
		ks.settle(e)
	}
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

// Loan is a batch of entries lent to a goroutine that reads them without
// the engine lock (see above). Its entries are added and it is lent under
// the lock; the borrower calls Return, from any goroutine, once it no
// longer reads them. A Loan may be reused once returned.
type Loan struct {
	bits    [loanBits / 64]uint64 // filter over entry addresses
	entries []*KeyEntry
	back    atomic.Bool
}

const loanBits = 1024

func loanHash(e *KeyEntry) uint64 {
	return uint64(uintptr(unsafe.Pointer(e))>>4) * 0x9E3779B97F4A7C15 >> (64 - 10)
}

// Reset empties the loan for a new batch. The caller holds the lock and
// the loan was returned (or never lent).
func (l *Loan) Reset() {
	l.bits = [loanBits / 64]uint64{}
	clear(l.entries)
	l.entries = l.entries[:0]
}

// Add puts e in the loan. The caller holds the lock.
func (l *Loan) Add(e *KeyEntry) {
	h := loanHash(e)
	l.bits[h/64] |= 1 << (h % 64)
	l.entries = append(l.entries, e)
}

// Return ends the loan: the borrower no longer reads its entries.
func (l *Loan) Return() { l.back.Store(true) }

func (l *Loan) has(e *KeyEntry) bool {
	h := loanHash(e)
	if l.bits[h/64]&(1<<(h%64)) == 0 {
		return false
	}
	for _, x := range l.entries {
		if x == e {
			return true
		}
	}
	return false
}

// Lend lends l's entries until l.Return. Several loans may be out at
// once (a serialiser claims the next batch while it writes one). The
// caller holds the lock.
func (ks *Keyspace) Lend(l *Loan) {
	if len(l.entries) == 0 {
		return
	}
	l.back.Store(false)
	ks.loans = append(ks.loans, l)
}

// settle waits, if e is on loan, until the loan is returned, and forgets
// the loans that came back. The caller holds the lock.
func (ks *Keyspace) settle(e *KeyEntry) {
	out := ks.loans[:0]
	for _, l := range ks.loans {
		if !l.back.Load() && l.has(e) {
			ks.Stats.LoanWaits++
			for i := 0; !l.back.Load(); i++ {
				// The borrower serialises a batch and needs nothing
				// from us: yield first, then sleep briefly if a large
				// value keeps it.
				if i < 64 {
					runtime.Gosched()
				} else {
					time.Sleep(20 * time.Microsecond)
				}
			}
		}
		if !l.back.Load() {
			out = append(out, l)
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
	clear(ks.loans)
	ks.loans = ks.loans[:0]
}
