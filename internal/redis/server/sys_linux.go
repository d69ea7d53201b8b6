package server

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The loop's read(2) and write(2) never block (the sockets are
// non-blocking), so they are made as raw system calls, without the
// runtime's syscall bookkeeping. So is its epoll_wait, which sleeps, when
// the loop may keep a P to itself (eventLoop.wait).

func rawRead(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

func rawWrite(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// nameThread names the calling OS thread (what top -H, ps -L and perf
// show), as redis-server names its threads and its BGSAVE child. The
// caller keeps the thread locked until it exits, so no other goroutine
// runs under the name.
func nameThread(name string) {
	b, err := unix.BytePtrFromString(name)
	if err != nil {
		return
	}
	_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(b)), 0, 0, 0)
}

// rawEpollWait is epoll_wait(2) as a raw system call (see eventLoop.wait).
func rawEpollWait(epfd int, events []unix.EpollEvent, msec int) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_WAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(msec), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
