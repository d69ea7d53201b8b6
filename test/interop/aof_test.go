package interop

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// AOF tests run the binary: appendonly survives kill -9, files move between
// replikube and redis-server 7.0 in both directions (with and without the
// RDB preamble, across rewrites), and a write torn by kill -9 is cut off at
// load.

func TestAOFSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always")
	c := client(t, p.addr)
	fillEveryType(t, c)
	must(t, c, "incrbyfloat", "float", "1.5")
	must(t, c, "lpush", "src", "a", "b")
	must(t, c, "blmove", "src", "dst", "left", "right", "0")
	want := digest(t, c)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
	p = startProc(t, dir, "--save", "", "--appendonly", "yes")
	c = client(t, p.addr)
	if got := digest(t, c); got != want {
		t.Fatalf("after kill -9 with appendfsync always: digest %s, want %s", got, want)
	}
	if !strings.Contains(p.log(t), "DB loaded from append only file") {
		t.Fatalf("not loaded from the AOF:\n%s", p.log(t))
	}
}

func TestAOFInterop(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble="+preamble, func(t *testing.T) {
			// redis-server writes (across a rewrite), we load.
			theirs := client(t, startRedis(t, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble))
			fillEveryType(t, theirs)
			must(t, theirs, "bgrewriteaof")
			eventually(t, 20*time.Second, "redis-server's rewrite", func() bool {
				return infoInt(t, theirs, "aof_rewrite_in_progress") == 0 && infoInt(t, theirs, "aof_rewrites") == 1
			})
			must(t, theirs, "set", "after-rewrite", "1")
			must(t, theirs, "del", "raw")
			want := digest(t, theirs)
			theirDir := dirOf(t, theirs)
			ours := client(t, startProc(t, theirDir, "--save", "", "--appendonly", "yes", "--aof-use-rdb-preamble", preamble).addr)
			if got := digest(t, ours); got != want {
				t.Fatalf("redis-server's AOF loaded as digest %s, want %s", got, want)
			}

			// We write (across a rewrite), redis-server loads.
			dir := t.TempDir()
			p := startProc(t, dir, "--save", "", "--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
			ours = client(t, p.addr)
			fillEveryType(t, ours)
			must(t, ours, "bgrewriteaof")
			eventually(t, 20*time.Second, "our rewrite", func() bool {
				return infoInt(t, ours, "aof_rewrite_in_progress") == 0 && infoInt(t, ours, "aof_rewrites") == 1
			})
			must(t, ours, "set", "after-rewrite", "1")
			must(t, ours, "expire", "embstr", "1000")
			want = digest(t, ours)
			_ = ours.Do(context.Background(), "shutdown", "nosave").Err()
			p.wait(t)
			names, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*"))
			again := client(t, startRedis(t, "--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble))
			if got := digest(t, again); got != want {
				t.Fatalf("redis-server loaded our AOF (%v) as digest %s, want %s", names, got, want)
			}
		})
	}
}

// TestAOFTornWrite: kill -9 in the middle of a stream of writes leaves an
// AOF that loads (aof-load-truncated) to a prefix of the writes.
func TestAOFTornWrite(t *testing.T) {
	dir := t.TempDir()
	// No automatic rewrite: the writes of the 700 ms pass its 64mb
	// minimum, and a rewrite started just before the kill leaves a new,
	// still empty incr file to tear.
	p := startProc(t, dir, "--save", "", "--appendonly", "yes", "--appendfsync", "no", "--auto-aof-rewrite-percentage", "0")
	c := client(t, p.addr)
	ctx := context.Background()
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		defer func() { done <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			pipe := c.Pipeline()
			for i := 0; i < 100; i++ {
				pipe.Set(ctx, "seq:"+strconv.Itoa(n+i), strings.Repeat("x", 500), 0)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return
			}
			n += 100
		}
	}()
	time.Sleep(700 * time.Millisecond)
	_ = p.cmd.Process.Kill()
	close(stop)
	acked := <-done
	p.wait(t)
	// Tear the last record by hand too, as a crash mid-write would.
	incr, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	if len(incr) == 0 {
		t.Fatal("no incr file")
	}
	last := incr[len(incr)-1]
	st, err := os.Stat(last)
	if err != nil || st.Size() < 100 {
		t.Fatalf("incr file: %v %v", st, err)
	}
	if err := os.Truncate(last, st.Size()-7); err != nil {
		t.Fatal(err)
	}
	p = startProc(t, dir, "--save", "", "--appendonly", "yes")
	c = client(t, p.addr)
	n := c.DBSize(ctx).Val()
	if n == 0 || n > int64(acked)+100 {
		t.Fatalf("loaded %d keys after %d acknowledged writes", n, acked)
	}
	for i := int64(0); i < n; i++ {
		if c.Exists(ctx, "seq:"+strconv.FormatInt(i, 10)).Val() != 1 {
			t.Fatalf("key %d missing: the loaded data is not a prefix of the writes", i)
		}
	}
	if !strings.Contains(p.log(t), "Truncated") {
		t.Fatalf("the log does not mention the truncation:\n%s", p.log(t))
	}
}

func TestAOFAutoRewrite(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir, "--save", "", "--appendonly", "yes", "--auto-aof-rewrite-min-size", "64kb", "--auto-aof-rewrite-percentage", "100")
	c := client(t, p.addr)
	ctx := context.Background()
	for i := 0; i < 2000; i++ {
		must(t, c, "set", "k", strings.Repeat("v", 200))
	}
	eventually(t, 15*time.Second, "an automatic rewrite", func() bool { return infoInt(t, c, "aof_rewrites") >= 1 })
	// Writes after a rewrite grow the file again: the next rewrite brings
	// it back under the minimum size.
	eventually(t, 15*time.Second, "the AOF to shrink below the minimum size", func() bool {
		return infoInt(t, c, "aof_rewrite_in_progress") == 0 && infoInt(t, c, "aof_current_size") < 64<<10
	})
	if c.Get(ctx, "k").Val() != strings.Repeat("v", 200) {
		t.Fatal("value lost")
	}
}

// TestAOFEnabledAtRuntime: CONFIG SET appendonly yes writes a base of the
// current data, then appends; kill -9 loses nothing acknowledged.
func TestAOFEnabledAtRuntime(t *testing.T) {
	dir := t.TempDir()
	p := startProc(t, dir, "--save", "", "--appendfsync", "always")
	c := client(t, p.addr)
	fillEveryType(t, c)
	must(t, c, "config", "set", "appendonly", "yes")
	if infoInt(t, c, "aof_enabled") != 1 {
		t.Fatal("aof_enabled is not 1")
	}
	must(t, c, "set", "after-enable", "1")
	want := digest(t, c)
	_ = p.cmd.Process.Kill()
	p.wait(t)
	p = startProc(t, dir, "--save", "", "--appendonly", "yes")
	if got := digest(t, client(t, p.addr)); got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
}
