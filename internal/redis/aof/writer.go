package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/replikube/replikube/internal/redis/resp"
)

// FsyncPolicy is appendfsync.
type FsyncPolicy int

// Policies; the zero value is Redis's default, everysec.
const (
	FsyncEverysec FsyncPolicy = iota
	FsyncAlways
	FsyncNo
)

func (p FsyncPolicy) String() string {
	switch p {
	case FsyncAlways:
		return "always"
	case FsyncNo:
		return "no"
	}
	return "everysec"
}

// ParseFsyncPolicy reads an appendfsync value.
func ParseFsyncPolicy(s string) (FsyncPolicy, bool) {
	switch s {
	case "everysec":
		return FsyncEverysec, true
	case "always":
		return FsyncAlways, true
	case "no":
		return FsyncNo, true
	}
	return 0, false
}

// Writer errors.
var (
	ErrClosed            = errors.New("aof: writer closed")
	ErrNoBaseWriter      = errors.New("aof: a new AOF needs a base: use WithInitialBase")
	ErrRewriteInProgress = errors.New("aof: Background append only file rewriting already in progress")
	ErrRewriteDone       = errors.New("aof: rewrite already committed or aborted")
	ErrRewriteAborted    = errors.New("aof: rewrite aborted")
)

// BaseFunc writes a complete base file to w: an RDB when the base is an RDB
// (aof-use-rdb-preamble yes), else the commands that rebuild the dataset,
// each database's commands preceded by a SELECT.
type BaseFunc func(w io.Writer) error

// Option configures Open.
type Option func(*Writer)

// WithRDBPreamble sets aof-use-rdb-preamble (default yes): new bases are
// RDB files named *.base.rdb, else command files named *.base.aof.
func WithRDBPreamble(on bool) Option { return func(w *Writer) { w.rdbPreamble = on } }

// WithInitialBase gives Open what it needs when the manifest names no file
// at all (appendonly yes and nothing on disk): Redis then writes a base from
// the current dataset (empty, or loaded from the RDB) before the first incr.
// Open calls write once, synchronously, with the file's writer.
func WithInitialBase(write BaseFunc) Option { return func(w *Writer) { w.initialBase = write } }

// WithFreshBase makes Open write a new base through WithInitialBase even
// when m names files, and drop those files: for CONFIG SET appendonly yes
// at run time, when whatever is on disk predates the current dataset.
// Redis does this with a background rewrite into a temp incr file; here the
// base is written synchronously.
func WithFreshBase() Option { return func(w *Writer) { w.freshBase = true } }

// WithTimestamps sets aof-timestamp-enabled: Feed writes a "#TS:<unix
// time>" annotation before the first command of every second.
func WithTimestamps(on bool) Option { return func(w *Writer) { w.timestamps = on } }

// WithNoFsyncOnRewrite sets no-appendfsync-on-rewrite: no fsync while a
// rewrite is in progress.
func WithNoFsyncOnRewrite(on bool) Option { return func(w *Writer) { w.noFsyncOnRewrite = on } }

// Writer appends writes to the newest incr file and runs the rewrite file
// protocol. Feed, Flush, StartRewrite and the setters may be called from
// any goroutine; Feed and StartRewrite must be called under the lock that
// orders writes (the engine lock) so that a rewrite never splits a MULTI.
type Writer struct {
	dir, fileName string
	initialBase   BaseFunc
	freshBase     bool
	now           func() time.Time
	sync          func(*os.File) error // datasync, replaced in tests
	noTicker      bool                 // tests drive the everysec timer

	mu               sync.Mutex
	policy           FsyncPolicy
	rdbPreamble      bool
	timestamps       bool
	noFsyncOnRewrite bool
	m                *Manifest
	f                *os.File // the newest incr file, O_APPEND
	buf              []byte   // aof_buf
	selectedDB       int      // aof_selected_db; -1 forces a SELECT
	curTimestamp     int64    // aof_cur_timestamp
	currentSize      int64    // aof_current_size
	lastIncrSize     int64    // aof_last_incr_size
	baseSize         int64    // aof_rewrite_base_size
	fsyncedSize      int64    // aof_fsync_offset
	lastFsync        int64    // aof_last_fsync, unix seconds
	flushPostponed   int64    // aof_flush_postponed_start, unix seconds
	delayedFsync     int64    // aof_delayed_fsync
	writeErr         error    // aof_last_write_status
	bioErr           error    // aof_bio_fsync_status
	rw               *Rewrite
	rewrites         int64 // stat_aof_rewrites
	rewriteStart     time.Time
	lastRewriteSec   int64 // aof_rewrite_time_last
	lastRewriteErr   error // aof_lastbgrewrite_status
	closed           bool

	// The background fsync goroutine (Redis's bio thread).
	jobs        chan bioJob
	fsyncsBusy  atomic.Int64 // fsync jobs queued or running: aofFsyncInProgress
	jobsPending atomic.Int64 // all jobs: aof_pending_bio_fsync
	stop        chan struct{}
	stopped     chan struct{}
}

type bioJob struct {
	f     *os.File
	close bool // fsync then close a file the writer no longer appends to
}

// Open prepares appending to the AOF in dir (<dir>/<appenddirname>) whose
// files are named after fileName (appendfilename), as Redis's
// aofOpenIfNeededOnServerStart: it creates dir when missing, writes a first
// base through WithInitialBase when m names no file, opens the newest incr
// file for appending (creating the first one when m has none) and persists
// the manifest when it changed. m is normally Status.Manifest from a Load
// of the same directory, which must come first (it may cut the last incr);
// nil means none. Open keeps its own copy of m.
func Open(dir, fileName string, policy FsyncPolicy, m *Manifest, opts ...Option) (*Writer, error) {
	if !safeName(fileName) {
		return nil, fmt.Errorf("open AOF: appendfilename %q is not a plain file name", fileName)
	}
	w := &Writer{
		dir: dir, fileName: fileName, policy: policy, rdbPreamble: true,
		now: time.Now, sync: datasync, selectedDB: -1, lastRewriteSec: -1,
	}
	for _, o := range opts {
		o(w)
	}
	if m == nil {
		m = &Manifest{}
	}
	m = m.Clone()
	if err := mkdirDurable(dir); err != nil {
		return nil, fmt.Errorf("open AOF: %w", err)
	}
	_, statErr := os.Stat(filepath.Join(dir, ManifestName(fileName)))
	dirty := statErr != nil
	var stale []File
	if m.Empty() || w.freshBase {
		if w.initialBase == nil {
			return nil, ErrNoBaseWriter
		}
		base := m.newBase(fileName, w.rdbPreamble)
		if err := w.createBase(base.Name, w.initialBase); err != nil {
			return nil, fmt.Errorf("open AOF: create base %s: %w", base.Name, err)
		}
		for _, f := range m.Incrs {
			f.Type = TypeHistory
			m.History = append(m.History, f)
		}
		m.Incrs = nil
		stale, dirty = m.History, true
	}
	if len(m.Incrs) == 0 {
		m.addIncr(fileName)
		dirty = true
	}
	incr := m.Incrs[len(m.Incrs)-1]
	if !safeName(incr.Name) {
		return nil, fmt.Errorf("open AOF: incr file name %q is not a plain file name", incr.Name)
	}
	f, err := os.OpenFile(filepath.Join(dir, incr.Name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open AOF: %w", err)
	}
	if dirty {
		if err := writeManifest(dir, fileName, m); err != nil {
			f.Close()
			return nil, fmt.Errorf("open AOF: %w", err)
		}
	}
	if len(stale) > 0 {
		// The new manifest is durable: the old files are garbage.
		var deleted []string
		for _, h := range stale {
			if safeName(h.Name) && os.Remove(filepath.Join(dir, h.Name)) == nil {
				deleted = append(deleted, h.Name)
			}
		}
		if len(deleted) > 0 {
			pruned := m.Clone()
			pruned.History = removeNames(pruned.History, deleted)
			if writeManifest(dir, fileName, pruned) == nil {
				m = pruned
			}
		}
	}
	w.m, w.f = m, f
	for _, fl := range m.Files() {
		if fi, err := os.Stat(filepath.Join(dir, fl.Name)); err == nil {
			w.currentSize += fi.Size()
			if fl.Type == TypeBase {
				w.baseSize = fi.Size()
			}
			if fl.Name == incr.Name {
				w.lastIncrSize = fi.Size()
			}
		}
	}
	w.fsyncedSize = w.currentSize
	w.lastFsync = w.now().Unix()
	w.jobs = make(chan bioJob, 64)
	w.stop, w.stopped = make(chan struct{}), make(chan struct{})
	go w.bioLoop()
	return w, nil
}

// createBase writes a base through write into a temp file in dir, fsyncs it
// and renames it to name. The caller persists a manifest naming it, which
// fsyncs dir.
func (w *Writer) createBase(name string, write BaseFunc) error {
	tmp, err := createTemp(w.dir, tempPrefix+"rewriteaof-*.aof")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(tmp, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	return finishTemp(tmp, filepath.Join(w.dir, name), err)
}

// createTemp creates a temp file for a base in dir, with the mode Redis's
// files get (CreateTemp's is 0600).
func createTemp(dir, pattern string) (*os.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		_ = os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// finishTemp fsyncs, closes and renames tmp to path, or removes it when err
// or any step fails.
func finishTemp(tmp *os.File, path string, err error) error {
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// Propagate is Feed; it makes a *Writer a command.Propagator.
func (w *Writer) Propagate(db int, argv [][]byte) { w.Feed(db, argv) }

// Feed appends a write to the AOF buffer, preceded by a SELECT when db is
// not the database of the previous write (db < 0: never). argv is encoded at
// once and not retained. Nothing reaches the file before Flush. After
// Close, Feed drops its input.
func (w *Writer) Feed(db int, argv [][]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if w.timestamps {
		if now := w.now().Unix(); now > w.curTimestamp {
			w.curTimestamp = now
			w.buf = append(w.buf, "#TS:"...)
			w.buf = strconv.AppendInt(w.buf, now, 10)
			w.buf = append(w.buf, '\r', '\n')
		}
	}
	if db >= 0 && db != w.selectedDB {
		var a [20]byte
		w.buf = resp.AppendCommand(w.buf, []byte("SELECT"), strconv.AppendInt(a[:0], int64(db), 10))
		w.selectedDB = db
	}
	w.buf = resp.AppendCommand(w.buf, argv...)
}

// Flush writes the buffer to the incr file, as Redis's
// flushAppendOnlyFile in beforeSleep: call it once per event-loop
// iteration, before the replies of the writes it carries are sent. With
// always it fsyncs too; with everysec it hands an fsync to the background
// goroutine at most once a second, and while one is running it postpones
// the write for up to two seconds (then writes anyway and counts
// aof_delayed_fsync); with no it never fsyncs.
//
// On a failed or short write the unwritten bytes stay buffered (a partial
// write is cut off the file when possible), Err reports the error until a
// write succeeds, and the next Flush retries. Redis exits on a write or
// fsync error with always; the caller decides.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked(false)
}

func (w *Writer) flushLocked(force bool) error {
	if w.closed {
		return ErrClosed
	}
	now := w.now().Unix()
	syncing := false
	if len(w.buf) == 0 {
		switch {
		case w.policy == FsyncEverysec && w.fsyncedSize != w.currentSize && now > w.lastFsync:
			// Writes stopped within the second of the last fsync: make sure
			// the page cache still reaches the disk.
			if syncing = w.fsyncsBusy.Load() > 0; syncing {
				return nil
			}
			return w.fsyncLocked(now, syncing)
		case w.policy == FsyncAlways && w.fsyncedSize != w.currentSize:
			// A previous fsync failed: retry it.
			return w.fsyncLocked(now, false)
		}
		return nil
	}
	if w.policy == FsyncEverysec {
		syncing = w.fsyncsBusy.Load() > 0
	}
	if w.policy == FsyncEverysec && !force && syncing {
		// write(2) would block behind the fsync anyway.
		if w.flushPostponed == 0 {
			w.flushPostponed = now
			return nil
		}
		if now-w.flushPostponed < 2 {
			return nil
		}
		w.delayedFsync++
	}
	n, err := w.f.Write(w.buf)
	w.flushPostponed = 0
	if err != nil {
		if n > 0 {
			if w.f.Truncate(w.lastIncrSize) == nil {
				n = 0
			} else {
				w.currentSize += int64(n)
				w.lastIncrSize += int64(n)
				w.buf = w.buf[:copy(w.buf, w.buf[n:])]
			}
		}
		w.writeErr = err
		return fmt.Errorf("write AOF %s: %w", w.f.Name(), err)
	}
	w.writeErr = nil
	w.currentSize += int64(n)
	w.lastIncrSize += int64(n)
	if cap(w.buf) > 1<<20 {
		w.buf = nil // give back the memory of a burst
	} else {
		w.buf = w.buf[:0]
	}
	return w.fsyncLocked(now, syncing)
}

// fsyncLocked is the try_fsync part of flushAppendOnlyFile.
func (w *Writer) fsyncLocked(now int64, syncing bool) error {
	if w.noFsyncOnRewrite && w.rw != nil {
		return nil
	}
	switch {
	case w.policy == FsyncAlways:
		if err := w.sync(w.f); err != nil {
			w.writeErr = err
			return fmt.Errorf("fsync AOF: %w", err)
		}
		w.fsyncedSize = w.currentSize
		w.lastFsync = now
	case w.policy == FsyncEverysec && now > w.lastFsync:
		if !syncing {
			w.enqueue(bioJob{f: w.f})
			w.fsyncedSize = w.currentSize
		}
		w.lastFsync = now
	}
	return nil
}

func (w *Writer) enqueue(j bioJob) {
	if !j.close {
		w.fsyncsBusy.Add(1)
	}
	w.jobsPending.Add(1)
	select {
	case w.jobs <- j:
	default:
		// The queue is full only if fsyncs hang; do this one inline (the
		// caller holds w.mu).
		w.bioErr = w.runJob(j)
	}
}

// runJob fsyncs (and closes) a file; the caller records the result in
// bioErr, Redis's aof_bio_fsync_status.
func (w *Writer) runJob(j bioJob) error {
	err := w.sync(j.f)
	if j.close {
		if cerr := j.f.Close(); err == nil {
			err = cerr
		}
	} else {
		w.fsyncsBusy.Add(-1)
	}
	w.jobsPending.Add(-1)
	return err
}

func (w *Writer) runQueued(j bioJob) {
	err := w.runJob(j)
	w.mu.Lock()
	w.bioErr = err
	w.mu.Unlock()
}

func (w *Writer) bioLoop() {
	defer close(w.stopped)
	var tick <-chan time.Time
	if !w.noTicker {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case j := <-w.jobs:
			w.runQueued(j)
		case <-tick:
			w.Tick()
		case <-w.stop:
			for {
				select {
				case j := <-w.jobs:
					w.runQueued(j)
				default:
					return
				}
			}
		}
	}
}

// Tick does what Redis's serverCron does for the AOF: a write postponed
// behind a slow fsync is retried, and with everysec data written more than a
// second ago is fsynced even when no Flush comes. The writer runs it every
// second by itself.
func (w *Writer) Tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if w.flushPostponed != 0 || len(w.buf) == 0 {
		_ = w.flushLocked(false)
	}
}

// Err is the error that should make the server refuse writes (Redis's
// "MISCONF Errors writing to the AOF file: ..."): the last write or fsync
// failure, until a write or fsync succeeds.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.writeErr != nil {
		return w.writeErr
	}
	return w.bioErr
}

// SetFsyncPolicy changes appendfsync at run time.
func (w *Writer) SetFsyncPolicy(p FsyncPolicy) {
	w.mu.Lock()
	w.policy = p
	w.mu.Unlock()
}

// SetRDBPreamble changes aof-use-rdb-preamble for the next rewrite.
func (w *Writer) SetRDBPreamble(on bool) {
	w.mu.Lock()
	w.rdbPreamble = on
	w.mu.Unlock()
}

// SetTimestamps changes aof-timestamp-enabled.
func (w *Writer) SetTimestamps(on bool) {
	w.mu.Lock()
	w.timestamps = on
	w.mu.Unlock()
}

// SetNoFsyncOnRewrite changes no-appendfsync-on-rewrite.
func (w *Writer) SetNoFsyncOnRewrite(on bool) {
	w.mu.Lock()
	w.noFsyncOnRewrite = on
	w.mu.Unlock()
}

// Manifest returns a copy of the current manifest.
func (w *Writer) Manifest() *Manifest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.m.Clone()
}

// Close flushes the buffer, fsyncs the incr file and closes it, as Redis
// does on shutdown. A rewrite in progress is aborted: its Commit then
// returns ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	err := w.flushLocked(true)
	if serr := w.sync(w.f); serr != nil {
		err = errors.Join(err, fmt.Errorf("fsync AOF: %w", serr))
	}
	w.closed = true
	if w.rw != nil {
		_ = os.Remove(w.rw.tmp.Name())
		w.finishRewriteLocked(ErrClosed)
	}
	f := w.f
	w.mu.Unlock()
	close(w.stop)
	<-w.stopped
	if cerr := f.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// Info is the writer's part of INFO persistence.
type Info struct {
	Enabled               bool   // aof_enabled
	RewriteInProgress     bool   // aof_rewrite_in_progress
	LastRewriteTimeSec    int64  // aof_last_rewrite_time_sec (-1: none yet)
	CurrentRewriteTimeSec int64  // aof_current_rewrite_time_sec (-1: none running)
	LastBgrewriteStatus   string // aof_last_bgrewrite_status: "ok" or "err"
	LastWriteStatus       string // aof_last_write_status: "ok" or "err"
	LastCowSize           int64  // aof_last_cow_size: always 0, there is no fork
	Rewrites              int64  // aof_rewrites
	CurrentSize           int64  // aof_current_size
	BaseSize              int64  // aof_base_size
	BufferLength          int64  // aof_buffer_length
	PendingBioFsync       int64  // aof_pending_bio_fsync
	DelayedFsync          int64  // aof_delayed_fsync
	FsyncPolicy           FsyncPolicy
	RDBPreamble           bool
	IncrFiles             int // incr files in the manifest
	HistoryFiles          int // history files in the manifest (0 unless a deletion failed)
}

func status(err error) string {
	if err != nil {
		return "err"
	}
	return "ok"
}

// Info returns the INFO persistence fields the writer owns.
func (w *Writer) Info() Info {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur := int64(-1)
	if w.rw != nil {
		cur = int64(w.now().Sub(w.rewriteStart) / time.Second)
	}
	lastWrite := w.writeErr
	if lastWrite == nil {
		lastWrite = w.bioErr
	}
	return Info{
		Enabled:               !w.closed,
		RewriteInProgress:     w.rw != nil,
		LastRewriteTimeSec:    w.lastRewriteSec,
		CurrentRewriteTimeSec: cur,
		LastBgrewriteStatus:   status(w.lastRewriteErr),
		LastWriteStatus:       status(lastWrite),
		Rewrites:              w.rewrites,
		CurrentSize:           w.currentSize,
		BaseSize:              w.baseSize,
		BufferLength:          int64(len(w.buf)),
		PendingBioFsync:       w.jobsPending.Load(),
		DelayedFsync:          w.delayedFsync,
		FsyncPolicy:           w.policy,
		RDBPreamble:           w.rdbPreamble,
		IncrFiles:             len(w.m.Incrs),
		HistoryFiles:          len(w.m.History),
	}
}
