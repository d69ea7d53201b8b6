package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
)

// Daemonizing. Go cannot fork a running runtime, so `daemonize yes`
// re-executes the same binary with the same arguments, from the directory
// the process started in, in a new session with standard input, output
// and error on /dev/null (configuration read from standard input is
// handed over through a pipe). The child finds daemonMarker in its
// environment and a pipe on fd 3: it reports there, with ReadyNotify,
// whether it could start (its port bound) or why not, and the parent
// exits only then, with the child's error if any.

const (
	daemonMarker = "REPLIKUBE_DAEMON_CHILD"
	// DefaultPidFile is the pid file of a daemonized server that names
	// none (Redis's CONFIG_DEFAULT_PID_FILE).
	DefaultPidFile = "/var/run/redis.pid"
)

var (
	// startDir is the working directory at process start: the child runs
	// there so that a relative configuration file name still resolves.
	startDir, _ = os.Getwd()
	// daemonArgs are the child's arguments (tests replace them).
	daemonArgs = func() []string { return os.Args[1:] }

	readyMu   sync.Mutex
	readyPipe *os.File
)

// Daemonize detaches the server. In the parent it starts the child,
// waits for its ReadyNotify and returns isChild false (exit 0 then) or
// the child's error; in the child it returns isChild true.
func Daemonize(cfg *Config) (isChild bool, err error) {
	if os.Getenv(daemonMarker) == "1" {
		_ = os.Unsetenv(daemonMarker)
		readyMu.Lock()
		readyPipe = os.NewFile(3, "daemon-ready")
		readyMu.Unlock()
		return true, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return false, fmt.Errorf("daemonize: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return false, fmt.Errorf("daemonize: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(exe, daemonArgs()...)
	cmd.Dir = startDir
	cmd.Env = append(os.Environ(), daemonMarker+"=1")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdinW *os.File
	if cfg != nil && cfg.stdinConfig != nil {
		sr, sw, err := os.Pipe()
		if err != nil {
			w.Close()
			return false, fmt.Errorf("daemonize: %w", err)
		}
		defer sr.Close()
		cmd.Stdin, stdinW = sr, sw
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		if stdinW != nil {
			stdinW.Close()
		}
		return false, fmt.Errorf("daemonize: start %s: %w", exe, err)
	}
	if stdinW != nil {
		go func() {
			_, _ = stdinW.Write(cfg.stdinConfig)
			stdinW.Close()
		}()
	}
	line, readErr := bufio.NewReader(r).ReadString('\n')
	switch {
	case strings.HasPrefix(line, "OK"):
		_ = cmd.Process.Release()
		return false, nil
	case strings.HasPrefix(line, "ERR "):
		_ = cmd.Wait()
		return false, errors.New(strings.TrimSuffix(strings.TrimPrefix(line, "ERR "), "\n"))
	}
	werr := cmd.Wait()
	if readErr != nil && readErr != io.EOF {
		return false, fmt.Errorf("daemonize: %w", readErr)
	}
	return false, fmt.Errorf("daemonize: the server exited before it was ready (%v)", werr)
}

// ReadyNotify tells the waiting parent of a daemonized server that it
// is serving (err nil) or why it failed. Outside a daemon child, and
// after the first call, it does nothing.
func ReadyNotify(err error) {
	readyMu.Lock()
	defer readyMu.Unlock()
	if readyPipe == nil {
		return
	}
	msg := "OK\n"
	if err != nil {
		msg = "ERR " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n"
	}
	_, _ = readyPipe.WriteString(msg)
	_ = readyPipe.Close()
	readyPipe = nil
}
