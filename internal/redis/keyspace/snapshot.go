package keyspace

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
func (ks *Keyspace) EndSnapshot() { ks.snap = nil }

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
