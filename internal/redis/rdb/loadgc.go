package rdb

import (
	"runtime/debug"
	"sync"

	"github.com/replikube/replikube/internal/redis/sysmem"
)

// The GC while a load runs. A load makes little garbage: nearly all it
// allocates stays (1M mixed keys: 22 MB of garbage for a 520 MB heap).
// Collecting as the heap grows only marks the growing dataset again and
// again: at GOGC 100 about a fifth of a load's CPU time, and at 300 the
// last cycle still marked half a gigabyte while the load ran. So a load
// turns the GC off and leaves it to a memory limit, 3/4 of the machine's
// or the cgroup's memory, to collect if the heap ever nears that; the
// first cycle after the load marks the dataset once, concurrently with
// serving. 1M mixed keys then load in 0.78-0.79 s instead of 0.93-0.99 s
// (at 300; redis-server 1.18 s), peak RSS 607 MB instead of 602.
//
// A process already running without a GC target keeps its settings, and
// where the memory size cannot be read the target is only raised to
// loadGCPercent.
const loadGCPercent = 300

var gcBoost struct {
	sync.Mutex
	n         int   // loads running
	prev      int   // GOGC before the first of them
	prevLimit int64 // memory limit before the first of them
}

// boostGC sets the GC policy for a load and returns what puts back the
// process's own once the last concurrent load is over.
func boostGC() (restore func()) {
	gcBoost.Lock()
	if gcBoost.n == 0 {
		gcBoost.prevLimit = debug.SetMemoryLimit(-1)
		gcBoost.prev = debug.SetGCPercent(-1)
		switch limit := memoryBound(); {
		case gcBoost.prev < 0:
			debug.SetGCPercent(gcBoost.prev)
		case limit > 0:
			debug.SetMemoryLimit(min(gcBoost.prevLimit, limit))
		default:
			debug.SetGCPercent(max(gcBoost.prev, loadGCPercent))
		}
	}
	gcBoost.n++
	gcBoost.Unlock()
	return func() {
		gcBoost.Lock()
		if gcBoost.n--; gcBoost.n == 0 {
			debug.SetGCPercent(gcBoost.prev)
			debug.SetMemoryLimit(gcBoost.prevLimit)
		}
		gcBoost.Unlock()
	}
}

// memoryBound is 3/4 of the memory this process may use (sysmem.Limit),
// 0 when that cannot be read.
func memoryBound() int64 { return sysmem.Limit() / 4 * 3 }
