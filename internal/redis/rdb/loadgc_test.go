package rdb

import (
	"math"
	"runtime/debug"
	"testing"
)

// While a load runs the GC is off under a memory limit; the process's own
// settings come back when the last overlapping load ends, and a process
// already running without a GC target is left as it is.
func TestBoostGC(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	bound := memoryBound()
	if bound <= 0 {
		t.Fatalf("memoryBound() = %d on Linux", bound)
	}
	gc := func() (int, int64) {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1)
	}
	for _, tc := range []struct {
		gogc        int
		limit       int64
		during      int
		duringLimit int64
	}{
		{100, math.MaxInt64, -1, bound},
		{50, bound / 2, -1, bound / 2},
		{-1, 1 << 30, -1, 1 << 30},
	} {
		debug.SetGCPercent(tc.gogc)
		debug.SetMemoryLimit(tc.limit)
		outer := boostGC()
		inner := boostGC()
		if p, l := gc(); p != tc.during || l != tc.duringLimit {
			t.Errorf("GOGC %d limit %d: during a load GOGC %d limit %d, want %d %d", tc.gogc, tc.limit, p, l, tc.during, tc.duringLimit)
		}
		inner()
		if p, l := gc(); p != tc.during || l != tc.duringLimit {
			t.Errorf("GOGC %d: restored while a load still runs (GOGC %d limit %d)", tc.gogc, p, l)
		}
		outer()
		if p, l := gc(); p != tc.gogc || l != tc.limit {
			t.Errorf("GOGC %d limit %d before the loads, %d %d after", tc.gogc, tc.limit, p, l)
		}
	}
}
