package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The daemon tests re-execute this test binary as the daemon child: it
// runs only TestDaemonChildHelper, reports to the parent, and exits by
// itself (the parent test reaps it), so no process outlives the test.

const (
	daemonTestMode = "REPLIKUBE_DAEMON_TEST"
	daemonTestDir  = "REPLIKUBE_DAEMON_TEST_DIR"
)

func TestDaemonChildHelper(t *testing.T) {
	mode := os.Getenv(daemonTestMode)
	if mode == "" {
		t.Skip("daemon child helper")
	}
	isChild, err := Daemonize(nil)
	if !isChild || err != nil {
		os.Exit(3)
	}
	dir := os.Getenv(daemonTestDir)
	switch mode {
	case "fail":
		ReadyNotify(errors.New("listen on 127.0.0.1:1: address already in use"))
		os.Exit(1)
	case "die":
		os.Exit(2)
	}
	sid := procSession(os.Getpid())
	var st syscall.Stat_t
	_ = syscall.Fstat(1, &st)
	info := fmt.Sprintf("%d %d %d", os.Getpid(), sid, st.Rdev)
	_ = os.WriteFile(filepath.Join(dir, "child"), []byte(info), 0o644)
	ReadyNotify(nil)
	ReadyNotify(errors.New("ignored: second call"))
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(filepath.Join(dir, "stop")); err == nil {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	os.Exit(0)
}

func runDaemon(t *testing.T, mode string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(daemonTestMode, mode)
	t.Setenv(daemonTestDir, dir)
	saved := daemonArgs
	daemonArgs = func() []string { return []string{"-test.run=^TestDaemonChildHelper$", "-test.count=1"} }
	defer func() { daemonArgs = saved }()
	isChild, err := Daemonize(DefaultConfig())
	if isChild {
		t.Fatal("parent reported as child")
	}
	return dir, err
}

func TestDaemonize(t *testing.T) {
	dir, err := runDaemon(t, "ok")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "child"))
	if err != nil {
		t.Fatalf("child wrote nothing before it was ready: %v", err)
	}
	var pid, sid int
	var rdev uint64
	if _, err := fmt.Sscanf(string(data), "%d %d %d", &pid, &sid, &rdev); err != nil {
		t.Fatal(err)
	}
	// Stop and reap the child whatever happens below.
	defer func() {
		_ = os.WriteFile(filepath.Join(dir, "stop"), nil, 0o644)
		done := make(chan struct{})
		go func() {
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(pid, &ws, 0, nil)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(pid, syscall.SIGKILL)
			<-done
		}
	}()
	mySid := procSession(os.Getpid())
	if sid != pid || sid == mySid {
		t.Fatalf("child pid %d sid %d, test sid %d: not in a new session", pid, sid, mySid)
	}
	var null syscall.Stat_t
	if err := syscall.Stat(os.DevNull, &null); err == nil && rdev != uint64(null.Rdev) {
		t.Fatalf("child stdout is not %s", os.DevNull)
	}
}

func TestDaemonizeChildError(t *testing.T) {
	_, err := runDaemon(t, "fail")
	if err == nil || err.Error() != "listen on 127.0.0.1:1: address already in use" {
		t.Fatalf("got %v", err)
	}
	_, err = runDaemon(t, "die")
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Fatalf("got %v", err)
	}
}

func TestReadyNotifyOutsideDaemon(t *testing.T) {
	ReadyNotify(nil) // no pipe: nothing happens
}

// procSession reads a process's session id from /proc.
func procSession(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	var sid int
	if len(fields) > 3 {
		fmt.Sscanf(fields[3], "%d", &sid)
	}
	return sid
}
