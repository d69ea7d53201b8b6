package aof

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// hooks replaces the clock and fsync and stops the everysec ticker so that
// tests drive time. block, when set, holds every fsync until it is closed.
type hooks struct {
	clock fakeClock
	syncs atomic.Int64
	block chan struct{}
}

func newHooks() *hooks { return &hooks{clock: fakeClock{t: time.Unix(1000, 0)}} }

func (h *hooks) option() Option {
	return func(w *Writer) {
		w.now = h.clock.Now
		w.noTicker = true
		w.sync = func(f *os.File) error {
			if h.block != nil {
				<-h.block
			}
			h.syncs.Add(1)
			return f.Sync()
		}
	}
}

func emptyBase(io.Writer) error { return nil }

func baseOf(cmds ...[]byte) BaseFunc {
	return func(w io.Writer) error {
		_, err := w.Write(cat(cmds...))
		return err
	}
}

func mustOpen(t *testing.T, dir string, policy FsyncPolicy, m *Manifest, opts ...Option) *Writer {
	t.Helper()
	w, err := Open(dir, "appendonly.aof", policy, m, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loadAll loads dir and returns what was applied.
func loadAll(t *testing.T, dir string) ([]string, Status) {
	t.Helper()
	var r recorder
	l := r.loader(dir)
	l.LoadRDB = func(rd io.Reader, name string) error {
		_, err := io.Copy(io.Discard, rd)
		r.log = append(r.log, "rdb "+name)
		return err
	}
	st, err := l.Load()
	if err != nil {
		t.Fatal(err)
	}
	return r.log, st
}

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

func TestOpenCreatesBaseIncrManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	if _, err := Open(dir, "appendonly.aof", FsyncNo, nil); !errors.Is(err, ErrNoBaseWriter) {
		t.Fatalf("without base writer: %v", err)
	}
	w := mustOpen(t, dir, FsyncNo, nil, WithInitialBase(func(bw io.Writer) error {
		_, err := bw.Write(fakeRDB("x"))
		return err
	}))
	want := "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != want {
		t.Fatalf("manifest %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.1.base.rdb")); got != string(fakeRDB("x")) {
		t.Fatalf("base %q", got)
	}
	info := w.Info()
	if !info.Enabled || info.CurrentSize != int64(len(fakeRDB("x"))) || info.BaseSize != info.CurrentSize || info.IncrFiles != 1 {
		t.Fatalf("info %+v", info)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("files left: %v", entries)
	}

	// Without the preamble the base is commands, named .aof.
	dir2 := filepath.Join(t.TempDir(), "appendonlydir")
	w2 := mustOpen(t, dir2, FsyncNo, &Manifest{}, WithRDBPreamble(false), WithInitialBase(emptyBase))
	if b := w2.Manifest().Base; b == nil || b.Name != "appendonly.aof.1.base.aof" {
		t.Fatalf("base %+v", b)
	}
}

func TestOpenReusesLoadedManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	writeAOF(t, dir, stdManifest, map[string][]byte{
		"appendonly.aof.1.base.rdb": fakeRDB(""),
		"appendonly.aof.1.incr.aof": cmd("SET", "a", "1"),
		"appendonly.aof.2.incr.aof": cmd("SET", "b", "2"),
	})
	_, st := loadAll(t, dir)
	w := mustOpen(t, dir, FsyncNo, st.Manifest)
	w.Feed(0, args("SET", "c", "3"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.2.incr.aof")); got != string(cat(cmd("SET", "b", "2"), cmd("SELECT", "0"), cmd("SET", "c", "3"))) {
		t.Fatalf("incr %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != stdManifest {
		t.Fatalf("manifest rewritten: %q", got)
	}
	if info := w.Info(); info.CurrentSize != st.Size+int64(len(cat(cmd("SELECT", "0"), cmd("SET", "c", "3")))) {
		t.Fatalf("size %d, loaded %d", info.CurrentSize, st.Size)
	}
}

func TestFeedFlushSelect(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	w := mustOpen(t, dir, FsyncNo, nil, WithInitialBase(emptyBase))
	a := args("SET", "k", "v")
	w.Feed(0, a)
	a[1][0] = 'X' // Feed must not retain argv
	w.Feed(0, args("INCR", "n"))
	w.Feed(5, args("DEL", "k"))
	w.Feed(-1, args("PING"))
	w.Feed(5, args("DEL", "j"))
	w.Feed(0, args("DEL", "i"))
	path := filepath.Join(dir, "appendonly.aof.1.incr.aof")
	if readFile(t, path) != "" {
		t.Fatal("Feed wrote to the file")
	}
	want := string(cat(cmd("SELECT", "0"), cmd("SET", "k", "v"), cmd("INCR", "n"), cmd("SELECT", "5"),
		cmd("DEL", "k"), cmd("PING"), cmd("DEL", "j"), cmd("SELECT", "0"), cmd("DEL", "i")))
	if info := w.Info(); info.BufferLength != int64(len(want)) {
		t.Fatalf("buffer %d, want %d", info.BufferLength, len(want))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != want {
		t.Fatalf("file %q\nwant %q", got, want)
	}
	if info := w.Info(); info.BufferLength != 0 || info.CurrentSize != int64(len(want)) {
		t.Fatalf("info %+v", info)
	}
}

// The engine's Propagator, restated here: aof must not import command.
var _ interface{ Propagate(db int, argv [][]byte) } = (*Writer)(nil)

func TestTimestamps(t *testing.T) {
	h := newHooks()
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	w := mustOpen(t, dir, FsyncNo, nil, WithInitialBase(emptyBase), h.option(), WithTimestamps(true))
	w.Feed(0, args("SET", "a", "1"))
	w.Feed(0, args("SET", "b", "2"))
	h.clock.Add(time.Second)
	w.Feed(0, args("SET", "c", "3"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "#TS:1000\r\n" + string(cat(cmd("SELECT", "0"), cmd("SET", "a", "1"), cmd("SET", "b", "2"))) +
		"#TS:1001\r\n" + string(cmd("SET", "c", "3"))
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.1.incr.aof")); got != want {
		t.Fatalf("got %q", got)
	}
	if got, _ := loadAll(t, dir); len(got) != 4 {
		t.Fatalf("load %q", got)
	}
}

func TestFsyncAlways(t *testing.T) {
	h := newHooks()
	w := mustOpen(t, filepath.Join(t.TempDir(), "d"), FsyncAlways, nil, WithInitialBase(emptyBase), h.option())
	if err := w.Flush(); err != nil || h.syncs.Load() != 0 {
		t.Fatalf("empty flush: %v, %d fsyncs", err, h.syncs.Load())
	}
	for i := 1; i <= 3; i++ {
		w.Feed(0, args("SET", "k", "v"))
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if h.syncs.Load() != int64(i) {
			t.Fatalf("after %d flushes: %d fsyncs", i, h.syncs.Load())
		}
	}
}

func TestFsyncNo(t *testing.T) {
	h := newHooks()
	w := mustOpen(t, filepath.Join(t.TempDir(), "d"), FsyncNo, nil, WithInitialBase(emptyBase), h.option())
	for range 3 {
		w.Feed(0, args("SET", "k", "v"))
		h.clock.Add(2 * time.Second)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		w.Tick()
	}
	if h.syncs.Load() != 0 {
		t.Fatalf("%d fsyncs with appendfsync no", h.syncs.Load())
	}
	if err := w.Close(); err != nil || h.syncs.Load() != 1 {
		t.Fatalf("Close: %v, %d fsyncs", err, h.syncs.Load())
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFsyncEverysec(t *testing.T) {
	h := newHooks()
	dir := filepath.Join(t.TempDir(), "d")
	w := mustOpen(t, dir, FsyncEverysec, nil, WithInitialBase(emptyBase), h.option())
	path := filepath.Join(dir, "appendonly.aof.1.incr.aof")

	// Same second as the last fsync (Open): written, not fsynced.
	w.Feed(0, args("SET", "a", "1"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if h.syncs.Load() != 0 || readFile(t, path) == "" {
		t.Fatalf("%d fsyncs", h.syncs.Load())
	}
	// Next second: the flush hands an fsync to the background.
	h.clock.Add(time.Second)
	w.Feed(0, args("SET", "b", "2"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "background fsync", func() bool { return h.syncs.Load() == 1 && w.Info().PendingBioFsync == 0 })
	// Nothing new in the same second: no fsync.
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// Data written within the second of the last fsync, then silence: the
	// timer fsyncs it a second later without any Flush.
	w.Feed(0, args("SET", "c", "3"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(time.Second)
	w.Tick()
	waitFor(t, "idle fsync", func() bool { return h.syncs.Load() == 2 && w.Info().PendingBioFsync == 0 })
	if h.syncs.Load() != 2 {
		t.Fatalf("%d fsyncs", h.syncs.Load())
	}

	// A slow fsync postpones writes for up to two seconds.
	h.block = make(chan struct{})
	w.Feed(0, args("SET", "d", "4"))
	h.clock.Add(time.Second)
	if err := w.Flush(); err != nil { // writes, starts the fsync that hangs
		t.Fatal(err)
	}
	waitFor(t, "fsync in progress", func() bool { return w.fsyncsBusy.Load() == 1 })
	size := len(readFile(t, path))
	w.Feed(0, args("SET", "e", "5"))
	h.clock.Add(time.Second)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(readFile(t, path)) != size || w.Info().BufferLength == 0 {
		t.Fatal("write not postponed behind the fsync")
	}
	h.clock.Add(time.Second)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(readFile(t, path)) != size {
		t.Fatal("postponed less than two seconds")
	}
	h.clock.Add(time.Second)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(readFile(t, path)) == size || w.Info().DelayedFsync != 1 {
		t.Fatalf("not written after two seconds: %+v", w.Info())
	}
	close(h.block)
	waitFor(t, "fsync done", func() bool { return w.Info().PendingBioFsync == 0 })
	got, _ := loadAll(t, dir)
	if len(got) != 6 {
		t.Fatalf("loaded %q", got)
	}
}

func TestWriteErrorKeepsBuffer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	w := mustOpen(t, dir, FsyncNo, nil, WithInitialBase(emptyBase))
	path := filepath.Join(dir, "appendonly.aof.1.incr.aof")
	good := w.f
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	w.f = ro
	w.mu.Unlock()
	w.Feed(0, args("SET", "a", "1"))
	if err := w.Flush(); err == nil {
		t.Fatal("write to a read-only file succeeded")
	}
	if w.Err() == nil || w.Info().LastWriteStatus != "err" || w.Info().BufferLength == 0 {
		t.Fatalf("error not kept: %+v", w.Info())
	}
	w.Feed(0, args("SET", "b", "2"))
	w.mu.Lock()
	w.f = good
	w.mu.Unlock()
	ro.Close()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Err() != nil || w.Info().LastWriteStatus != "ok" {
		t.Fatalf("error not cleared: %v", w.Err())
	}
	if got, _ := loadAll(t, dir); !reflect.DeepEqual(got, []string{"SELECT 0", "SET a 1", "SET b 2"}) {
		t.Fatalf("loaded %q", got)
	}
}

func TestCloseFlushes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	w, err := Open(dir, "appendonly.aof", FsyncEverysec, nil, WithInitialBase(emptyBase))
	if err != nil {
		t.Fatal(err)
	}
	w.Feed(2, args("SET", "a", "1"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Flush after Close: %v", err)
	}
	if _, err := w.StartRewrite(); !errors.Is(err, ErrClosed) {
		t.Fatalf("StartRewrite after Close: %v", err)
	}
	if got, _ := loadAll(t, dir); !reflect.DeepEqual(got, []string{"SELECT 2", "SET a 1"}) {
		t.Fatalf("loaded %q", got)
	}
}

func TestParseFsyncPolicy(t *testing.T) {
	for _, p := range []FsyncPolicy{FsyncEverysec, FsyncAlways, FsyncNo} {
		if q, ok := ParseFsyncPolicy(p.String()); !ok || q != p {
			t.Errorf("%v round trip: %v %v", p, q, ok)
		}
	}
	if _, ok := ParseFsyncPolicy("sometimes"); ok {
		t.Error("accepted sometimes")
	}
}

func TestOpenFreshBase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	writeAOF(t, dir, stdManifest, map[string][]byte{
		"appendonly.aof.1.base.rdb": fakeRDB("old"),
		"appendonly.aof.1.incr.aof": cmd("SET", "stale", "1"),
		"appendonly.aof.2.incr.aof": cmd("SET", "stale", "2"),
	})
	_, st := loadAll(t, dir)
	w := mustOpen(t, dir, FsyncNo, st.Manifest, WithFreshBase(), WithRDBPreamble(false),
		WithInitialBase(baseOf(cmd("SELECT", "0"), cmd("SET", "now", "1"))))
	w.Feed(0, args("SET", "next", "2"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
	if got := readFile(t, filepath.Join(dir, "appendonly.aof.manifest")); got != want {
		t.Fatalf("manifest %q", got)
	}
	if names := dirNames(t, dir); len(names) != 3 {
		t.Fatalf("files %q", names)
	}
	if got, _ := loadAll(t, dir); !reflect.DeepEqual(got, []string{"SELECT 0", "SET now 1", "SELECT 0", "SET next 2"}) {
		t.Fatalf("loaded %q", got)
	}
}
