// Package spin holds the short waits of the data plane's threads for one
// another: the event loop and a snapshot's serialiser wait for each
// other's hold of the engine lock, and a command for a batch of keys lent
// to the serialiser. Such a wait is short unless the thread that ends it
// was preempted, so it retries, giving the processor to another ready
// thread between tries (Yield), instead of blocking: a goroutine locked
// to its thread, as the loop and the serialiser are, that blocks in the
// Go scheduler hands its P to another thread and takes it back, several
// thread wake-ups per wait.
package spin

import "time"

// Retry calls try until it reports true, for up to about limit, giving
// the processor away (Yield) every 32 tries; it reports whether try
// succeeded.
func Retry(limit time.Duration, try func() bool) bool {
	var start time.Time
	for n := 1; ; n++ {
		if try() {
			return true
		}
		if n%32 == 0 {
			if start.IsZero() {
				start = time.Now()
			} else if time.Since(start) > limit {
				return false
			}
			Yield()
		}
	}
}
