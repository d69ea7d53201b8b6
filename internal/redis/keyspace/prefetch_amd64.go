package keyspace

// prefetch asks the processor to start loading the cache line at addr,
// without waiting for it: a hint, which never faults, whatever addr is.
// addr is a uintptr, not a pointer: it may point past the object it was
// computed from (to the bytes that follow an entry), which the garbage
// collector and checkptr must not see as a pointer.
//
//go:noescape
func prefetch(addr uintptr)
