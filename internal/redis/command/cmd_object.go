package command

import (
	"strconv"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

// Introspection of stored values: OBJECT and MEMORY.

func init() {
	register(func(e *Engine) {
		objKey := KeySpec{2, 2, 1}
		e.Table.Add(
			&Command{Name: "object", Arity: -2, Group: "generic", Since: "2.2.3", Summary: "A container for object introspection commands", Sub: map[string]*Command{
				"encoding": {Arity: 3, Flags: ReadOnly, Keys: objKey, Since: "2.2.3", Summary: "Inspect the internal encoding of a Redis object", Handler: cmdObjectEncoding},
				"freq":     {Arity: 3, Flags: ReadOnly, Keys: objKey, Since: "4.0.0", Summary: "Get the logarithmic access frequency counter of a Redis object", Handler: cmdObjectFreq},
				"idletime": {Arity: 3, Flags: ReadOnly, Keys: objKey, Since: "2.2.3", Summary: "Get the time since a Redis object was last accessed", Handler: cmdObjectIdleTime},
				"refcount": {Arity: 3, Flags: ReadOnly, Keys: objKey, Since: "2.2.3", Summary: "Get the number of references to the value of the key", Handler: cmdObjectRefCount},
				"help":     {Arity: 2, Flags: Loading | Stale, Since: "6.2.0", Summary: "Show helpful text about the different subcommands", Handler: helpReply("OBJECT", objectHelp)},
			}},
			&Command{Name: "memory", Arity: -2, Group: "server", Since: "4.0.0", Summary: "A container for memory diagnostics commands", Sub: map[string]*Command{
				"doctor":       {Arity: 2, Since: "4.0.0", Summary: "Outputs memory problems report", Handler: cmdMemoryDoctor},
				"malloc-stats": {Arity: 2, Since: "4.0.0", Summary: "Show allocator internal stats", Handler: cmdMemoryMallocStats},
				"purge":        {Arity: 2, Since: "4.0.0", Summary: "Ask the allocator to release memory", Handler: func(c *Client, args [][]byte) { c.OK() }},
				"stats":        {Arity: 2, Since: "4.0.0", Summary: "Show memory usage details", Handler: cmdMemoryStats},
				"usage":        {Arity: -3, Flags: ReadOnly, Keys: objKey, Since: "4.0.0", Summary: "Estimate the memory usage of a key", Handler: cmdMemoryUsage},
				"help":         {Arity: 2, Flags: Loading | Stale, Since: "4.0.0", Summary: "Show helpful text about the different subcommands", Handler: helpReply("MEMORY", memoryHelp)},
			}},
		)
	})
}

// Error and report texts of OBJECT and MEMORY.
const (
	errFreqNotLFU     = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errIdleTimeLFU    = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	memDoctorEmpty    = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
	memDoctorHealthy  = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
	memMallocStatsNot = "Stats not supported for the current memory allocator"
	// memDoctorMinBytes is the allocation below which MEMORY DOCTOR
	// declines to judge.
	memDoctorMinBytes = 5 << 20
	// sharedRefCount is what OBJECT REFCOUNT reports for Redis's shared
	// integer objects (OBJ_SHARED_REFCOUNT, INT_MAX).
	sharedRefCount = 1<<31 - 1
	// sharedIntegers is OBJ_SHARED_INTEGERS: 0..9999 are shared.
	sharedIntegers = 10000
)

var objectHelp = []string{
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
}

var memoryHelp = []string{
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
}

// objectLookup reads the key of OBJECT without touching its access time;
// a missing key is a null reply.
func objectLookup(c *Client, key []byte) *keyspace.KeyEntry {
	e := c.DB.LookupNoTouch(key)
	if e == nil {
		c.W.Null()
	}
	return e
}

func cmdObjectEncoding(c *Client, args [][]byte) {
	if e := objectLookup(c, args[2]); e != nil {
		c.W.BulkString(e.Val.Val.Encoding())
	}
}

// lfuPolicy reports whether maxmemory-policy is an LFU one: it decides
// what the LRU field of objects holds, whatever maxmemory is.
func (c *Client) lfuPolicy() bool {
	p := c.E.Cfg.Policy
	return p == keyspace.AllKeysLFU || p == keyspace.VolatileLFU
}

func cmdObjectFreq(c *Client, args [][]byte) {
	e := objectLookup(c, args[2])
	if e == nil {
		return
	}
	if !c.lfuPolicy() {
		c.Error(errFreqNotLFU)
		return
	}
	c.W.Int(int64(c.E.KS.Freq(&e.Val)))
}

func cmdObjectIdleTime(c *Client, args [][]byte) {
	e := objectLookup(c, args[2])
	if e == nil {
		return
	}
	if c.lfuPolicy() {
		c.Error(errIdleTimeLFU)
		return
	}
	c.W.Int(c.E.KS.IdleSeconds(&e.Val))
}

// cmdObjectRefCount answers 1, except for the integers 0..9999 Redis keeps
// as shared objects: it shares them unless maxmemory is set with an LRU or
// LFU policy (the objects then need their own access time).
func cmdObjectRefCount(c *Client, args [][]byte) {
	e := objectLookup(c, args[2])
	if e == nil {
		return
	}
	if c.sharedInteger(e.Val.Val) {
		c.W.Int(sharedRefCount)
		return
	}
	c.W.Int(1)
}

func (c *Client) sharedInteger(v keyspace.Value) bool {
	s, ok := v.(*keyspace.String)
	if !ok || s.Encoding() != "int" {
		return false
	}
	n, err := strconv.ParseInt(string(s.B), 10, 64)
	if err != nil || n < 0 || n >= sharedIntegers {
		return false
	}
	switch c.E.Cfg.Policy {
	case keyspace.AllKeysLRU, keyspace.VolatileLRU, keyspace.AllKeysLFU, keyspace.VolatileLFU:
		return c.E.Cfg.MaxMemory == 0
	}
	return true
}

// cmdMemoryUsage reports the accounted size of a key and its value. Sizes
// are kept up to date by the value types, so SAMPLES is validated but not
// needed; like Redis the key is found without an expiry check.
func cmdMemoryUsage(c *Client, args [][]byte) {
	for i := 3; i < len(args); i += 2 {
		if !EqualFold(args[i], "samples") || i+1 >= len(args) {
			c.Error(ErrSyntax)
			return
		}
		n, ok := c.IntArg(args[i+1])
		if !ok {
			return
		}
		if n < 0 {
			c.Error(ErrSyntax)
			return
		}
	}
	e := c.DB.Peek(args[2])
	if e == nil {
		c.W.Null()
		return
	}
	c.W.Int(keyspace.KeyMemUsage(e))
}

func cmdMemoryDoctor(c *Client, args [][]byte) {
	report := memDoctorHealthy
	if c.E.KS.UsedMemory() < memDoctorMinBytes {
		report = memDoctorEmpty
	}
	c.W.Verbatim("txt", report)
}

// cmdMemoryMallocStats has no allocator report to give. It answers with
// the reply type of Redis's default (jemalloc) build, a verbatim string,
// so that RESP3 clients see what they see from Redis.
func cmdMemoryMallocStats(c *Client, args [][]byte) { c.W.Verbatim("txt", memMallocStatsNot) }

// cmdMemoryStats answers MEMORY STATS with Redis 7.0's fields, in its
// order, from the keyspace accounting: the allocator-level fields have no
// counterpart here and report the accounted size (ratios 1).
func cmdMemoryStats(c *Client, args [][]byte) {
	ks := c.E.KS
	used := ks.UsedMemory()
	keys := int64(ks.Size())
	var dbs []*keyspace.DB
	overhead := int64(0)
	for _, db := range ks.DBs {
		if db.Len() > 0 {
			dbs = append(dbs, db)
			overhead += dictOverhead(db.Dict().Buckets(), db.Len()) + dictOverhead(db.ExpiresDict().Buckets(), db.Expires())
		}
	}
	dataset := max(used-overhead, 0)
	perKey := int64(0)
	if keys > 0 {
		perKey = used / keys
	}
	pct := func(part, whole int64) float64 {
		if whole == 0 {
			return 0
		}
		return float64(float32(float64(part) * 100 / float64(whole)))
	}
	w := &c.W
	w.Map(27 + len(dbs))
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"peak.allocated", used}, {"total.allocated", used}, {"startup.allocated", 0},
		{"replication.backlog", 0}, {"clients.slaves", 0}, {"clients.normal", 0},
		{"cluster.links", 0}, {"aof.buffer", 0}, {"lua.caches", 0}, {"functions.caches", 0},
	} {
		w.BulkString(f.name)
		w.Int(f.v)
	}
	for _, db := range dbs {
		w.BulkString("db." + strconv.Itoa(db.ID))
		w.Map(3)
		w.BulkString("overhead.hashtable.main")
		w.Int(dictOverhead(db.Dict().Buckets(), db.Len()))
		w.BulkString("overhead.hashtable.expires")
		w.Int(dictOverhead(db.ExpiresDict().Buckets(), db.Expires()))
		w.BulkString("overhead.hashtable.slot-to-keys")
		w.Int(0)
	}
	w.BulkString("overhead.total")
	w.Int(overhead)
	w.BulkString("keys.count")
	w.Int(keys)
	w.BulkString("keys.bytes-per-key")
	w.Int(perKey)
	w.BulkString("dataset.bytes")
	w.Int(dataset)
	w.BulkString("dataset.percentage")
	w.Double(pct(dataset, used))
	w.BulkString("peak.percentage")
	w.Double(pct(used, used))
	for _, f := range []string{"allocator.allocated", "allocator.active", "allocator.resident"} {
		w.BulkString(f)
		w.Int(used)
	}
	for _, f := range []string{"allocator-fragmentation", "allocator-rss", "rss-overhead"} {
		w.BulkString(f + ".ratio")
		w.Double(1)
		w.BulkString(f + ".bytes")
		w.Int(0)
	}
	w.BulkString("fragmentation")
	w.Double(1)
	w.BulkString("fragmentation.bytes")
	w.Int(0)
}

// dictOverhead estimates a hash table's own memory: its bucket array and
// one entry header per element (Redis's dictEntry is 24 bytes).
func dictOverhead(buckets, entries int) int64 {
	return int64(buckets)*8 + int64(entries)*24
}
