package interop

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Process-level tests run the real `replikube server` binary, built once,
// so that start-up loading, signals, shutdown saving and kill -9 are
// exercised as users meet them.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func ourBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "replikube-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "replikube")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/replikube/replikube").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a replikube server process.
type proc struct {
	cmd  *exec.Cmd
	addr string
	dir  string
	done chan error
}

// startProc runs `replikube server` in dir on a free loopback port with
// extra directives; it is killed when the test ends.
func startProc(t *testing.T, dir string, extra ...string) *proc {
	t.Helper()
	return startProcOnPort(t, dir, strconv.Itoa(freePort(t)), extra...)
}

// startProcOnPort is startProc on a given port (a restart in place).
func startProcOnPort(t *testing.T, dir, port string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"server", "--port", port, "--bind", "127.0.0.1", "--dir", dir,
		"--daemonize", "no", "--enable-debug-command", "yes", "--logfile", filepath.Join(dir, "replikube.log")}, extra...)
	cmd := exec.Command(ourBinary(t), args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, addr: net.JoinHostPort("127.0.0.1", port), dir: dir, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return p
		}
		select {
		case err := <-p.done:
			p.done <- err
			log, _ := os.ReadFile(filepath.Join(dir, "replikube.log"))
			t.Fatalf("replikube server exited at start: %v\n%s", err, log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not reachable", p.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("server did not exit")
	}
	return -1
}

func (p *proc) log(t *testing.T) string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "replikube.log"))
	return string(b)
}

// waitLog waits until the server's log contains s.
func (p *proc) waitLog(t *testing.T, s string) {
	t.Helper()
	eventually(t, 20*time.Second, "log line "+strconv.Quote(s), func() bool { return strings.Contains(p.log(t), s) })
}

func infoInt(t *testing.T, c *redis.Client, field string) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "persistence").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("%s: %q", field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO has no %s", field)
	return 0
}

func infoStr(t *testing.T, c *redis.Client, field string) string {
	t.Helper()
	info, _ := c.Info(context.Background(), "persistence").Result()
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO has no %s", field)
	return ""
}

// eventually polls cond every 50 ms for up to limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestRestartKeepsData is the seed's warning: a master restarted with
// persistence keeps its data, through SIGTERM and through SHUTDOWN.
func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir, "--save", "3600 1")
	c := client(t, p.addr)
	fillEveryType(t, c)
	want := digest(t, c)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, p.log(t))
	}
	if !strings.Contains(p.log(t), "DB saved on disk") {
		t.Fatalf("no save at SIGTERM:\n%s", p.log(t))
	}
	// As redis-server: one "User requested shutdown..." per shutdown,
	// whether a signal or SHUTDOWN asked for it (the log file is shared
	// by the restarts below).
	if n := strings.Count(p.log(t), "User requested shutdown..."); n != 1 {
		t.Errorf("%d shutdown lines after SIGTERM:\n%s", n, p.log(t))
	}

	p = startProc(t, dir, "--save", "3600 1")
	c = client(t, p.addr)
	if got := digest(t, c); got != want {
		t.Fatalf("after restart: digest %s, want %s", got, want)
	}
	must(t, c, "set", "after-restart", "1")
	want = digest(t, c)
	_ = c.Do(context.Background(), "shutdown").Err()
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit code %d after SHUTDOWN", code)
	}
	if n := strings.Count(p.log(t), "User requested shutdown..."); n != 2 {
		t.Errorf("%d shutdown lines after SIGTERM and SHUTDOWN:\n%s", n, p.log(t))
	}

	p = startProc(t, dir, "--save", "")
	c = client(t, p.addr)
	if got := digest(t, c); got != want {
		t.Fatalf("after SHUTDOWN and restart: digest %s, want %s", got, want)
	}
	// SHUTDOWN NOSAVE loses what came after the last save; with no save
	// points plain SHUTDOWN does not save either; SHUTDOWN SAVE does.
	must(t, c, "set", "lost", "1")
	_ = c.Do(context.Background(), "shutdown", "nosave").Err()
	p.wait(t)
	p = startProc(t, dir, "--save", "")
	c = client(t, p.addr)
	if n := must(t, c, "exists", "lost").(int64); n != 0 {
		t.Fatal("SHUTDOWN NOSAVE saved")
	}
	must(t, c, "set", "kept", "1")
	_ = c.Do(context.Background(), "shutdown", "save").Err()
	p.wait(t)
	p = startProc(t, dir, "--save", "")
	c = client(t, p.addr)
	if n := must(t, c, "exists", "kept").(int64); n != 1 {
		t.Fatal("SHUTDOWN SAVE did not save")
	}
}

// TestSavePointsAndMisconf: a save point triggers a background save; a
// failing one refuses writes with MISCONF until a save succeeds again.
func TestSavePointsAndMisconf(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir, "--save", "1 1", "--enable-protected-configs", "yes")
	c := client(t, p.addr)
	before := must(t, c, "lastsave").(int64)
	must(t, c, "set", "k", "v")
	if infoInt(t, c, "rdb_changes_since_last_save") != 1 {
		t.Fatal("rdb_changes_since_last_save should count the write")
	}
	eventually(t, 10*time.Second, "a save point to save", func() bool {
		_, err := os.Stat(filepath.Join(dir, "dump.rdb"))
		return err == nil && infoInt(t, c, "rdb_changes_since_last_save") == 0
	})
	if infoStr(t, c, "rdb_last_bgsave_status") != "ok" || infoInt(t, c, "rdb_saves") < 1 {
		t.Fatal("INFO persistence does not report the save")
	}
	if must(t, c, "lastsave").(int64) < before {
		t.Fatal("LASTSAVE went back")
	}

	// Make saving impossible: the directory disappears.
	sub := filepath.Join(dir, "data")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	must(t, c, "config", "set", "dir", sub)
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	must(t, c, "set", "k2", "v")
	eventually(t, 10*time.Second, "the failed save", func() bool { return infoStr(t, c, "rdb_last_bgsave_status") == "err" })
	err := c.Set(context.Background(), "k3", "v", 0).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "MISCONF ") {
		t.Fatalf("write after a failed save: %v, want MISCONF", err)
	}
	if err := c.Get(context.Background(), "k").Err(); err != nil {
		t.Fatalf("reads must go on: %v", err)
	}
	// The directory comes back: the retry succeeds and writes resume.
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the retried save", func() bool { return infoStr(t, c, "rdb_last_bgsave_status") == "ok" })
	must(t, c, "set", "k3", "v")
}

// TestKillDuringBgsave: kill -9 while a background save runs leaves the
// previous file intact and loadable.
func TestKillDuringBgsave(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir, "--save", "")
	c := client(t, p.addr)
	ctx := context.Background()
	pipe := c.Pipeline()
	val := strings.Repeat("v", 1000)
	for i := 0; i < 200_000; i++ {
		pipe.Set(ctx, "key:"+strconv.Itoa(i), val, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	must(t, c, "save")
	want := digest(t, c)
	must(t, c, "set", "newer", "x")
	must(t, c, "config", "set", "rdbcompression", "no")
	// Slow enough that the kill surely lands in the middle of it.
	must(t, c, "config", "set", "rdb-key-save-delay", "20")
	must(t, c, "bgsave")
	if infoInt(t, c, "rdb_bgsave_in_progress") != 1 {
		t.Fatal("no background save in progress right after BGSAVE")
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
	out, err := exec.Command("redis-check-rdb", filepath.Join(dir, "dump.rdb")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RDB looks OK") {
		t.Fatalf("the previous file is damaged: %v\n%s", err, out)
	}
	p = startProc(t, dir, "--save", "")
	if got := digest(t, client(t, p.addr)); got != want {
		t.Fatalf("after kill -9 during BGSAVE: digest %s, want %s", got, want)
	}
}

// TestBgsaveIsPointInTime: a BGSAVE taken while a client keeps writing
// (overwrites, deletions, new keys, container changes, expiries) holds
// exactly the data of the moment it started, however the event loop and
// the serialiser share the keys meanwhile.
func TestBgsaveIsPointInTime(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir, "--save", "")
	c := client(t, p.addr)
	ctx := context.Background()
	const keys, containers = 300_000, 5000
	must(t, c, "debug", "populate", strconv.Itoa(keys))
	pipe := c.Pipeline()
	for i := 0; i < containers; i++ {
		k := strconv.Itoa(i)
		pipe.HSet(ctx, "h:"+k, "f", "v0", "g", k)
		pipe.RPush(ctx, "l:"+k, "a", "b", k)
		pipe.SAdd(ctx, "s:"+k, "x", k)
		pipe.ZAdd(ctx, "z:"+k, redis.Z{Score: 1, Member: k})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	want := digest(t, c)
	must(t, c, "bgsave")
	// Every write sent from here on comes after the snapshot's instant.
	writes := 0
	deadline := time.Now().Add(time.Minute)
	for n := 0; infoInt(t, c, "rdb_bgsave_in_progress") == 1; n++ {
		if time.Now().After(deadline) {
			t.Fatal("the background save does not end")
		}
		pipe := c.Pipeline()
		for j := 0; j < 300; j++ {
			i := (n*7919 + j*104729) % keys
			k, ck := "key:"+strconv.Itoa(i), strconv.Itoa(i%containers)
			switch j % 8 {
			case 0:
				pipe.Set(ctx, k, "changed", 0)
			case 1:
				pipe.Del(ctx, k)
			case 2:
				pipe.Set(ctx, "new:"+strconv.Itoa(writes+j), "x", 0)
			case 3:
				pipe.HSet(ctx, "h:"+ck, "f", "v1")
			case 4:
				pipe.LPop(ctx, "l:"+ck)
			case 5:
				pipe.SRem(ctx, "s:"+ck, ck)
			case 6:
				pipe.ZIncrBy(ctx, "z:"+ck, 1, ck)
			case 7:
				pipe.Expire(ctx, k, time.Hour)
			}
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		writes += 300
	}
	if writes == 0 {
		t.Fatal("no write ran during the background save: the test shows nothing")
	}
	if infoStr(t, c, "rdb_last_bgsave_status") != "ok" {
		t.Fatal("the background save failed")
	}
	dir2 := t.TempDir()
	b, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir2, "dump.rdb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	c2 := client(t, startProc(t, dir2, "--save", "").addr)
	if got := digest(t, c2); got != want {
		t.Fatalf("the file is not the data at the BGSAVE (%d writes during it): %d keys, %d of them new; digest %s, want %s",
			writes, c2.DBSize(ctx).Val(), len(c2.Keys(ctx, "new:*").Val()), got, want)
	}
	t.Logf("%d writes during the background save", writes)
}

// TestCommandsWaitForBgsave: DEBUG RELOAD and SHUTDOWN SAVE, run while a
// background save is being serialised beside the event loop, drive it to
// its end (claiming its batches themselves, as the loop they block would)
// and then save, with every key.
func TestCommandsWaitForBgsave(t *testing.T) {
	dir := t.TempDir()
	// 20000 keys at 50 us each: the background save takes a second.
	p := startProc(t, dir, "--save", "", "--rdb-key-save-delay", "50", "--enable-debug-command", "yes")
	c := client(t, p.addr)
	ctx := context.Background()
	must(t, c, "debug", "populate", "20000")
	want := digest(t, c)
	must(t, c, "bgsave")
	if infoInt(t, c, "rdb_bgsave_in_progress") != 1 {
		t.Fatal("no background save in progress right after BGSAVE")
	}
	must(t, c, "debug", "reload")
	if infoInt(t, c, "rdb_bgsave_in_progress") != 0 {
		t.Fatal("DEBUG RELOAD returned while the background save still ran")
	}
	if got := digest(t, c); got != want {
		t.Fatalf("after DEBUG RELOAD during BGSAVE: digest %s, want %s", got, want)
	}
	must(t, c, "set", "after", "1")
	must(t, c, "bgsave")
	if infoInt(t, c, "rdb_bgsave_in_progress") != 1 {
		t.Fatal("no background save in progress right after BGSAVE")
	}
	if err := c.Do(ctx, "shutdown", "save").Err(); err == nil {
		t.Fatal("SHUTDOWN SAVE replied instead of closing the connection")
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit status %d after SHUTDOWN SAVE", code)
	}
	p = startProc(t, dir, "--save", "")
	if n := client(t, p.addr).DBSize(ctx).Val(); n != 20001 {
		t.Fatalf("%d keys after SHUTDOWN SAVE during BGSAVE, want 20001", n)
	}
}
