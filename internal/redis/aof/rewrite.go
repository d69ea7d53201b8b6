package aof

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Rewrite is one BGREWRITEAOF in progress. The caller writes the new base
// to Base from a snapshot of the dataset taken at StartRewrite, then calls
// Commit, or Abort on failure. Base, Commit and Abort belong to one
// goroutine; the writer keeps appending meanwhile.
type Rewrite struct {
	w       *Writer
	tmp     *os.File
	bw      *bufio.Writer
	rdb     bool
	incrSeq int64 // the incr file opened by StartRewrite; it and later ones stay incr
	done    bool
}

// StartRewrite begins a rewrite as Redis's rewriteAppendOnlyFileBackground
// does in the parent: it writes out the buffer, opens a new incr file,
// persists a manifest listing it after the old ones (so a crash from now
// on still loads old base + old incrs + new incr), and switches Feed and
// Flush to it. Call it under the lock that orders writes, at the moment the
// snapshot for the new base is taken: every write fed before belongs to the
// base, every write after to the new incr file.
func (w *Writer) StartRewrite() (*Rewrite, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	if w.rw != nil {
		return nil, ErrRewriteInProgress
	}
	rw, err := w.startRewriteLocked()
	if err != nil {
		w.lastRewriteErr = err
		return nil, err
	}
	return rw, nil
}

func (w *Writer) startRewriteLocked() (*Rewrite, error) {
	// A write that fails here would otherwise land in the new incr file
	// and be applied twice: once from the new base, once from the incr.
	if err := w.flushLocked(true); err != nil {
		return nil, fmt.Errorf("start AOF rewrite: %w", err)
	}
	tmp, err := createTemp(w.dir, tempPrefix+"rewriteaof-bg-*.aof")
	if err != nil {
		return nil, fmt.Errorf("start AOF rewrite: %w", err)
	}
	m := w.m.Clone()
	incr := m.addIncr(w.fileName)
	path := filepath.Join(w.dir, incr.Name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		if err = writeManifest(w.dir, w.fileName, m); err != nil {
			f.Close()
			_ = os.Remove(path)
		}
	}
	if err != nil {
		tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("start AOF rewrite: %w", err)
	}
	// The old incr file is complete: fsync and close it in the background
	// (with always it is already synced).
	w.enqueue(bioJob{f: w.f, close: true})
	now := w.now()
	w.f, w.m = f, m
	w.lastIncrSize = 0
	w.selectedDB = -1
	w.fsyncedSize = w.currentSize
	w.lastFsync = now.Unix()
	w.rewrites++
	w.rewriteStart = now
	w.rw = &Rewrite{w: w, tmp: tmp, bw: bufio.NewWriterSize(tmp, 64<<10), rdb: w.rdbPreamble, incrSeq: incr.Seq}
	return w.rw, nil
}

// Base is where the new base goes: an RDB when RDB reports true, else
// commands.
func (r *Rewrite) Base() io.Writer { return r.bw }

// RDB reports the format the base must have (aof-use-rdb-preamble when the
// rewrite started); it decides the file's name.
func (r *Rewrite) RDB() bool { return r.rdb }

// TempPath is the temp file behind Base, for logs.
func (r *Rewrite) TempPath() string { return r.tmp.Name() }

// Commit installs the new base as Redis's backgroundRewriteDoneHandler: the
// temp file is fsynced and renamed to the next base name; a manifest naming
// the new base, the incr files opened since StartRewrite, and the old base
// and older incr files as history is persisted; then the history files are
// deleted and the manifest persisted without them. On error the old
// manifest stays in force (it names everything needed) and the new base is
// removed.
func (r *Rewrite) Commit() error {
	if r.done {
		return ErrRewriteDone
	}
	r.done = true
	w := r.w
	err := r.bw.Flush()
	if err == nil {
		err = r.tmp.Sync()
	}
	if cerr := r.tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(r.tmp.Name())
		err = fmt.Errorf("commit AOF rewrite: write base: %w", err)
		w.mu.Lock()
		if w.rw == r {
			w.finishRewriteLocked(err)
		}
		w.mu.Unlock()
		return err
	}

	w.mu.Lock()
	if w.closed || w.rw != r {
		w.mu.Unlock()
		_ = os.Remove(r.tmp.Name())
		return ErrClosed
	}
	history, err := r.installLocked()
	if err != nil {
		w.finishRewriteLocked(err)
		w.mu.Unlock()
		_ = os.Remove(r.tmp.Name())
		return err
	}
	w.mu.Unlock()

	// Deleting large files can take a while: not under the lock. A file
	// that cannot be deleted stays listed as history, which is harmless.
	var deleted []string
	for _, f := range history {
		if err := os.Remove(filepath.Join(w.dir, f.Name)); err == nil || os.IsNotExist(err) {
			deleted = append(deleted, f.Name)
		}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed && len(deleted) > 0 {
		m := w.m.Clone()
		m.History = removeNames(m.History, deleted)
		if writeManifest(w.dir, w.fileName, m) == nil {
			w.m = m
		}
	}
	w.finishRewriteLocked(nil)
	return nil
}

// installLocked renames the new base into place and persists the manifest
// that makes it the base. It returns the history files to delete.
func (r *Rewrite) installLocked() ([]File, error) {
	w := r.w
	m := w.m.Clone()
	base := m.newBase(w.fileName, r.rdb)
	basePath := filepath.Join(w.dir, base.Name)
	if err := os.Rename(r.tmp.Name(), basePath); err != nil {
		return nil, fmt.Errorf("commit AOF rewrite: %w", err)
	}
	var kept, demoted []File
	for _, f := range m.Incrs {
		if f.Seq >= r.incrSeq {
			kept = append(kept, f)
			continue
		}
		f.Type = TypeHistory
		demoted = append(demoted, f)
	}
	m.Incrs = kept
	m.History = append(demoted, m.History...)
	if err := writeManifest(w.dir, w.fileName, m); err != nil {
		_ = os.Remove(basePath)
		return nil, fmt.Errorf("commit AOF rewrite: %w", err)
	}
	w.m = m
	var baseSize int64
	if fi, err := os.Stat(basePath); err == nil {
		baseSize = fi.Size()
	}
	unsynced := min(w.currentSize-w.fsyncedSize, w.lastIncrSize)
	w.currentSize = baseSize + w.lastIncrSize
	w.baseSize = w.currentSize
	w.fsyncedSize = w.currentSize - unsynced
	w.selectedDB = -1

	live := map[string]bool{base.Name: true}
	for _, f := range m.Incrs {
		live[f.Name] = true
	}
	var del []File
	for _, f := range m.History {
		if safeName(f.Name) && !live[f.Name] {
			del = append(del, f)
		}
	}
	return del, nil
}

func removeNames(fs []File, names []string) []File {
	gone := make(map[string]bool, len(names))
	for _, n := range names {
		gone[n] = true
	}
	var out []File
	for _, f := range fs {
		if !gone[f.Name] {
			out = append(out, f)
		}
	}
	return out
}

// Abort drops the rewrite: the temp base is removed and the manifest left
// as StartRewrite wrote it (old base, old incrs, new incr), which loads the
// whole dataset. The next rewrite demotes all of them.
func (r *Rewrite) Abort() error {
	if r.done {
		return nil
	}
	r.done = true
	r.tmp.Close()
	err := os.Remove(r.tmp.Name())
	if os.IsNotExist(err) {
		err = nil
	}
	w := r.w
	w.mu.Lock()
	if w.rw == r {
		w.finishRewriteLocked(ErrRewriteAborted)
	}
	w.mu.Unlock()
	return err
}

func (w *Writer) finishRewriteLocked(err error) {
	w.rw = nil
	w.lastRewriteErr = err
	w.lastRewriteSec = int64(w.now().Sub(w.rewriteStart) / time.Second)
}
