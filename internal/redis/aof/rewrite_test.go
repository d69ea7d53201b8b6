package aof

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// rewriteFixture is a writer with a base and a few writes in incr 1.
func rewriteFixture(t *testing.T) (*Writer, string, *hooks) {
	t.Helper()
	h := newHooks()
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	w := mustOpen(t, dir, FsyncAlways, nil, WithRDBPreamble(false), h.option(),
		WithInitialBase(baseOf(cmd("SELECT", "0"), cmd("SET", "base", "0"))))
	w.Feed(0, args("SET", "a", "1"))
	w.Feed(0, args("SET", "b", "2"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return w, dir, h
}

func TestRewriteCommit(t *testing.T) {
	w, dir, h := rewriteFixture(t)
	w.Feed(0, args("SET", "c", "3")) // buffered: must land in incr 1, before the snapshot
	rw, err := w.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.StartRewrite(); !errors.Is(err, ErrRewriteInProgress) {
		t.Fatalf("second StartRewrite: %v", err)
	}
	wantManifest := "file appendonly.aof.1.base.aof seq 1 type b\n" +
		"file appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != wantManifest {
		t.Fatalf("manifest after StartRewrite:\n%s", got)
	}
	if info := w.Info(); !info.RewriteInProgress || info.Rewrites != 1 || info.CurrentRewriteTimeSec != 0 {
		t.Fatalf("info %+v", info)
	}
	// Writes after the snapshot go to the new incr, with a fresh SELECT.
	w.Feed(0, args("SET", "d", "4"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.2.incr.aof")); got != string(cat(cmd("SELECT", "0"), cmd("SET", "d", "4"))) {
		t.Fatalf("new incr %q", got)
	}
	// Crash now: everything loads from the old base and both incrs.
	got, _ := loadAll(t, dir)
	want := []string{"SELECT 0", "SET base 0", "SELECT 0", "SET a 1", "SET b 2", "SET c 3", "SELECT 0", "SET d 4"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("crash during rewrite loads %q", got)
	}

	if rw.RDB() {
		t.Fatal("preamble off but RDB base asked")
	}
	snapshot := cat(cmd("SELECT", "0"), cmd("SET", "base", "0"), cmd("SET", "a", "1"), cmd("SET", "b", "2"), cmd("SET", "c", "3"))
	if _, err := rw.Base().Write(snapshot); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(3 * time.Second)
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := rw.Commit(); !errors.Is(err, ErrRewriteDone) {
		t.Fatalf("second Commit: %v", err)
	}
	wantManifest = "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != wantManifest {
		t.Fatalf("manifest after Commit:\n%s", got)
	}
	wantFiles := []string{"appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, wantFiles) {
		t.Fatalf("files %q", names)
	}
	info := w.Info()
	incr2 := int64(len(cat(cmd("SELECT", "0"), cmd("SET", "d", "4"))))
	if info.RewriteInProgress || info.LastBgrewriteStatus != "ok" || info.LastRewriteTimeSec != 3 ||
		info.CurrentSize != int64(len(snapshot))+incr2 || info.BaseSize != info.CurrentSize || info.HistoryFiles != 0 {
		t.Fatalf("info %+v", info)
	}
	w.Feed(0, args("SET", "e", "5"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, _ = loadAll(t, dir)
	want = []string{"SELECT 0", "SET base 0", "SET a 1", "SET b 2", "SET c 3", "SELECT 0", "SET d 4", "SELECT 0", "SET e 5"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after Commit loads %q", got)
	}
}

func TestRewriteAbortThenCommit(t *testing.T) {
	w, dir, _ := rewriteFixture(t)
	rw, err := w.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Base().Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	tmp := rw.TempPath()
	if err := rw.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatal("temp base left behind")
	}
	if err := rw.Commit(); !errors.Is(err, ErrRewriteDone) {
		t.Fatalf("Commit after Abort: %v", err)
	}
	if info := w.Info(); info.RewriteInProgress || info.LastBgrewriteStatus != "err" {
		t.Fatalf("info %+v", info)
	}
	w.Feed(0, args("SET", "x", "1"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, _ := loadAll(t, dir)
	want := []string{"SELECT 0", "SET base 0", "SELECT 0", "SET a 1", "SET b 2", "SELECT 0", "SET x 1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after Abort loads %q", got)
	}

	// The next rewrite demotes every incr opened before it.
	rw, err = w.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	w.Feed(0, args("SET", "y", "2"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Base().Write(cat(cmd("SELECT", "0"), cmd("MSET", "base", "0", "a", "1", "b", "2", "x", "1"))); err != nil {
		t.Fatal(err)
	}
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	wantManifest := "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != wantManifest {
		t.Fatalf("manifest:\n%s", got)
	}
	if names := dirNames(t, dir); len(names) != 3 {
		t.Fatalf("files %q", names)
	}
	got, _ = loadAll(t, dir)
	want = []string{"SELECT 0", "MSET base 0 a 1 b 2 x 1", "SELECT 0", "SET y 2"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("loads %q", got)
	}
}

// TestRewriteLoadableAtEveryStep loads the directory after each step of
// rewrites, as a crash would leave it (temp base included), and checks that
// the keys seen, from the fake RDB bases and the incr commands, are all
// the keys written.
func TestRewriteLoadableAtEveryStep(t *testing.T) {
	h := newHooks()
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	w := mustOpen(t, dir, FsyncNo, nil, h.option(), WithInitialBase(func(bw io.Writer) error {
		_, err := bw.Write(fakeRDB(""))
		return err
	}))
	var keys []string
	put := func(k string) {
		w.Feed(0, args("SET", k, "v"))
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	check := func(step string) {
		t.Helper()
		var r recorder
		if _, err := r.loader(dir).Load(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		var got []string
		for _, s := range r.log {
			f := strings.Fields(s)
			switch {
			case f[0] == "rdb" && len(f) == 3:
				got = append(got, strings.Split(f[2], ",")...)
			case f[0] == "SET":
				got = append(got, f[1])
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(keys))
		if !slices.Equal(got, want) {
			t.Fatalf("%s: loaded %q, want %q", step, got, want)
		}
	}
	put("a")
	check("before any rewrite")
	for i := range 3 {
		rw, err := w.StartRewrite()
		if err != nil {
			t.Fatal(err)
		}
		snapshot := strings.Join(keys, ",")
		check("after StartRewrite")
		put(fmt.Sprintf("during%d", i))
		check("during the rewrite")
		if _, err := rw.Base().Write(fakeRDB(snapshot)); err != nil {
			t.Fatal(err)
		}
		check("while the base is written")
		if i == 1 {
			if err := rw.Abort(); err != nil {
				t.Fatal(err)
			}
			check("after Abort")
		} else {
			if err := rw.Commit(); err != nil {
				t.Fatal(err)
			}
			check("after Commit")
		}
		put(fmt.Sprintf("after%d", i))
		check("after more writes")
	}
	m := w.Manifest()
	if m.Base.Name != "appendonly.aof.3.base.rdb" || len(m.Incrs) != 1 || m.Incrs[0].Seq != 4 || len(m.History) != 0 {
		t.Fatalf("manifest %+v", m)
	}
}

func TestCloseAbortsRewrite(t *testing.T) {
	w, _, _ := rewriteFixture(t)
	rw, err := w.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rw.TempPath()); !os.IsNotExist(err) {
		t.Fatal("temp base left behind")
	}
	if err := rw.Commit(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit after Close: %v", err)
	}
}
