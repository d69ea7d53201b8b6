package aof

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync flushes f's data (not all its metadata) as Redis's redis_fsync
// does on Linux. Control keeps f from being closed meanwhile.
func datasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = unix.Fdatasync(int(fd))
			if serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
