package spin

import "golang.org/x/sys/unix"

// Yield lets another thread that is ready to run on this processor run
// first (sched_yield(2)); it returns at once if there is none. The
// calling goroutine keeps its thread and its P.
func Yield() { _, _, _ = unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }
