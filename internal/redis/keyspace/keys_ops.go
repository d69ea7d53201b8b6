package keyspace

// LookupNoTouch returns the live entry for key or nil, counting a keyspace
// hit or miss but leaving the access time alone: Redis's LOOKUP_NOTOUCH
// reads (EXISTS, TYPE, TTL, OBJECT, SCAN's TYPE filter).
func (db *DB) LookupNoTouch(key []byte) *KeyEntry {
	e := db.LookupReadNoTouch(key)
	if e == nil {
		db.ks.Stats.KeyspaceMisses++
	} else {
		db.ks.Stats.KeyspaceHits++
	}
	return e
}

// KeyMemUsage is what MEMORY USAGE reports for an entry: the value's
// accounted size plus the per-key overhead of the main dictionary.
func KeyMemUsage(e *KeyEntry) int64 {
	return e.Val.Val.MemUsage() + keyOverhead + int64(len(e.Key))
}

// FieldGetter is implemented by hash values: SORT's BY and GET patterns
// ("prefix*->field") read a single field.
type FieldGetter interface {
	// GetField returns the value of field and whether it exists.
	GetField(field []byte) ([]byte, bool)
}
