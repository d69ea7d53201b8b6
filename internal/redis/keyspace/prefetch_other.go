//go:build !amd64

package keyspace

// prefetch is a no-op where no assembly version exists: the lookups
// that follow only miss the head start.
func prefetch(uintptr) {}
