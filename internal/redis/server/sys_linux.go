package server

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The loop's read(2), write(2) and polling epoll_wait(2) never block (the
// sockets are non-blocking, the poll has a zero timeout), so they are made
// as raw system calls: the runtime's syscall bookkeeping, and the
// scheduler handing the loop's P to another thread, cost more than the
// calls themselves. Only the epoll_wait that sleeps goes through
// unix.EpollWait.

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

// pollEvents is epoll_wait with a zero timeout.
func pollEvents(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_WAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
