package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/replikube/replikube/internal/redis/aof"
	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/rdb"
)

// errMisconf is Redis's refusal of writes after a failed background save
// (stop-writes-on-bgsave-error).
const errMisconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."

// bgsaveRetryDelay is how long save points wait after a failed background
// save before trying again (CONFIG_BGSAVE_RETRY_DELAY).
const bgsaveRetryDelay = 5 * time.Second

// persistence is the RDB side of the server: SAVE, BGSAVE, save points,
// loading at start, saving at shutdown, the INFO persistence fields. Its
// fields are guarded by the engine lock.
type persistence struct {
	s *Server

	lastSave        time.Time // last successful save (LASTSAVE)
	lastTry         time.Time // last background save attempt
	lastBgsaveOK    bool
	lastBgsaveSecs  int64
	saves           int64
	bgsaveRunning   bool
	bgsaveStart     time.Time
	dirtyAtBgsave   int64
	bgsaveScheduled bool
	loading         bool
	loadedKeys      int64
	loadedExpired   int64

	// childDone is closed when the running background job (BGSAVE or
	// BGREWRITEAOF: one at a time, as Redis has one child) ends.
	childDone chan struct{}

	aofw             *aof.Writer // nil when appendonly is no
	aofErrLogged     bool
	rewriteRunning   bool
	rewriteStart     time.Time
	rewriteScheduled bool
}

func (s *Server) initPersistence() {
	p := &persistence{s: s, lastSave: time.Now(), lastBgsaveOK: true, lastBgsaveSecs: -1}
	s.persist = p
	s.LastSave = func() int64 { return p.lastSave.Unix() }
	s.Startup = p.load
	s.BeforeExit = p.beforeExit
	s.eng.Gates = append(s.eng.Gates, p.gate)
	if s.DebugHooks == nil {
		s.DebugHooks = map[string]command.Handler{}
	}
	s.DebugHooks["reload"] = p.cmdDebugReload
	s.DebugHooks["loadaof"] = p.cmdDebugLoadAOF
	f := command.Admin | command.NoScript | command.NoAsyncLoading
	s.eng.Table.Add(
		&command.Command{Name: "save", Arity: 1, Flags: f | command.NoMulti, Group: "server", Since: "1.0.0", Handler: p.cmdSave},
		&command.Command{Name: "bgsave", Arity: -1, Flags: f, Group: "server", Since: "1.0.0", Handler: p.cmdBgsave},
		&command.Command{Name: "bgrewriteaof", Arity: 1, Flags: f, Group: "server", Since: "1.0.0", Handler: p.cmdBgrewriteaof},
	)
}

// source describes the dataset for a snapshot, holding lock between steps.
func (p *persistence) source(lock sync.Locker) *rdb.Source {
	s := p.s
	return &rdb.Source{
		Lock:                lock,
		KS:                  s.ks,
		Compress:            s.cfg.RDBCompression,
		ListMaxListpackSize: s.cfg.ListMaxListpackSize,
		Checksum:            s.cfg.RDBChecksum,
		// A step of a snapshot written under a lock taken per step
		// (WriteTo) delays the clients meanwhile: keep it short.
		HoldTime: 25 * time.Microsecond,
		Access: func() (bool, bool) {
			pol := s.eng.Cfg.Policy
			lfu := pol == keyspace.AllKeysLFU || pol == keyspace.VolatileLFU
			lru := pol == keyspace.AllKeysLRU || pol == keyspace.VolatileLRU
			return lru, lfu
		},
		Aux: func() []rdb.AuxField {
			return rdb.StandardAux(command.ServerVersion, time.Now().Unix(), s.ks.UsedMemory(), -1, "", 0, false)
		},
	}
}

// writeFile saves a snapshot to path durably, holding lock between steps.
func (p *persistence) writeFile(path string, lock sync.Locker) error {
	return writeDurably(path, func(w io.Writer) error {
		_, err := rdb.WriteSnapshot(w, p.source(lock))
		return err
	})
}

// writeDurably writes a file through fill: a temporary file in the same
// directory, fsync, rename, fsync of the directory. A crash at any point
// leaves the previous file intact.
func writeDurably(path string, fill func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, fmt.Sprintf("temp-%d-%d.rdb", os.Getpid(), time.Now().UnixNano()))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %w", filepath.Base(tmp), dir, err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("Write error saving DB on disk: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := fill(bw); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("Write error saving DB on disk: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("Error moving temp DB file %s on the final destination %s (in server root dir %s): %w", filepath.Base(tmp), filepath.Base(path), dir, err)
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

func (p *persistence) rdbPath() string { return p.s.cfg.Path(p.s.cfg.DBFilename) }

// saveNow is SAVE: a foreground save under the engine lock.
func (p *persistence) saveNow() error {
	if err := p.writeFile(p.rdbPath(), rdb.NoLock); err != nil {
		p.s.log.Warningf("%v", err)
		return err
	}
	p.s.log.Noticef("DB saved on disk")
	p.s.eng.Dirty = 0
	p.lastSave = time.Now()
	p.lastBgsaveOK = true
	p.saves++
	return nil
}

// startBgsave starts a background save. The caller holds the engine lock.
func (p *persistence) startBgsave() {
	s := p.s
	p.bgsaveRunning = true
	p.bgsaveStart = time.Now()
	p.lastTry = p.bgsaveStart
	p.dirtyAtBgsave = s.eng.Dirty
	p.childDone = make(chan struct{})
	path := p.rdbPath()
	s.log.Noticef("Background saving started")
	snap := rdb.Begin(p.source(rdb.NoLock), false)
	s.startSnapJob(snap, true, func(chunks iter.Seq[snapChunk], recycle func([]byte)) error {
		return writeDurably(path, func(w io.Writer) error {
			for c := range chunks {
				if c.err != nil {
					return c.err
				}
				if _, err := w.Write(c.b); err != nil {
					return err
				}
				recycle(c.b)
			}
			return nil
		})
	}, func(err error) {
		p.bgsaveRunning = false
		p.lastBgsaveSecs = int64(time.Since(p.bgsaveStart).Seconds())
		close(p.childDone)
		if err != nil {
			p.lastBgsaveOK = false
			s.log.Warningf("%v", err)
			s.log.Warningf("Background saving error")
			return
		}
		p.lastBgsaveOK = true
		p.saves++
		p.lastSave = time.Now()
		s.eng.Dirty -= p.dirtyAtBgsave
		s.log.Noticef("DB saved on disk")
		s.log.Noticef("Background saving terminated with success")
	})
}

// waitChild waits for a running background save or rewrite to end. The
// caller holds the engine lock, which is released meanwhile.
func (p *persistence) waitChild() {
	p.s.finishSnapJob()
	for p.bgsaveRunning || p.rewriteRunning {
		done := p.childDone
		p.s.eng.Mu.Unlock()
		<-done
		p.s.eng.Mu.Lock()
	}
}

func (p *persistence) cmdSave(c *command.Client, args [][]byte) {
	if p.bgsaveRunning {
		c.Error("ERR Background save already in progress")
		return
	}
	// One snapshot at a time: a running AOF rewrite finishes first.
	p.waitChild()
	if err := p.saveNow(); err != nil {
		c.Error("ERR")
		return
	}
	c.OK()
}

func (p *persistence) cmdBgsave(c *command.Client, args [][]byte) {
	schedule := false
	if len(args) > 1 {
		if len(args) != 2 || !command.EqualFold(args[1], "schedule") {
			c.Error(command.ErrSyntax)
			return
		}
		schedule = true
	}
	if p.bgsaveRunning {
		c.Error("ERR Background save already in progress")
		return
	}
	if p.rewriteRunning || p.s.repl.syncRunning || c.InMulti() {
		if schedule || c.InMulti() {
			p.bgsaveScheduled = true
			c.W.Simple("Background saving scheduled")
			return
		}
		c.Error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
		return
	}
	p.startBgsave()
	c.W.Simple("Background saving started")
}

// cron runs once a second under the engine lock: save points and
// scheduled saves.
func (p *persistence) cron(now time.Time) {
	p.flushAOF()
	if p.bgsaveRunning || p.rewriteRunning || p.loading || p.s.repl.syncRunning {
		return
	}
	if p.bgsaveScheduled {
		p.bgsaveScheduled = false
		p.startBgsave()
		return
	}
	dirty := p.s.eng.Dirty
	for _, sp := range p.s.cfg.Save {
		secs, changes := sp[0], sp[1]
		if dirty >= changes && now.Sub(p.lastSave) > time.Duration(secs)*time.Second &&
			(p.lastBgsaveOK || now.Sub(p.lastTry) > bgsaveRetryDelay) {
			p.s.log.Noticef("%d changes in %d seconds. Saving...", changes, secs)
			p.startBgsave()
			return
		}
	}
	p.aofCron()
}

// gate refuses writes (and PING) while the last background save failed and
// stop-writes-on-bgsave-error is on, as Redis's MISCONF.
func (p *persistence) gate(c *command.Client, cmd *command.Command, args [][]byte) string {
	if cmd.Flags&command.Write == 0 && cmd.Name != "ping" {
		return ""
	}
	if !p.lastBgsaveOK && p.s.cfg.StopWritesOnBgsaveError && len(p.s.cfg.Save) > 0 {
		return errMisconf
	}
	return p.aofGateError()
}

// load reads the dataset at start: the AOF when appendonly is yes (and
// then starts appending), else the RDB file when present.
func (p *persistence) load() error {
	s := p.s
	if s.cfg.AppendOnly {
		start := time.Now()
		s.eng.Mu.Lock()
		defer s.eng.Mu.Unlock()
		p.loading = true
		st, err := p.loadAOF()
		p.loading = false
		if err != nil {
			s.ks.FlushAll()
			return err
		}
		switch st.Result {
		case aof.Truncated:
			s.log.Warningf("!!! Warning: short read while loading the AOF file %s!!! Truncated to offset %d.", st.TruncatedFile, st.TruncatedTo)
			fallthrough
		case aof.Loaded:
			s.log.Noticef("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
		}
		if err := p.openAOF(st.Manifest, false); err != nil {
			return fmt.Errorf("opening the append only file: %w", err)
		}
		return nil
	}
	path := p.rdbPath()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	start := time.Now()
	s.eng.Mu.Lock()
	defer s.eng.Mu.Unlock()
	p.loading = true
	defer func() { p.loading = false }()
	meta, err := rdb.Load(rdb.NewReader(f), s.ks, p.loadOptions(path, time.Now().UnixMilli()))
	if err != nil {
		s.ks.FlushAll()
		return err
	}
	s.ks.Account()
	p.loadedKeys, p.loadedExpired = meta.Keys, meta.Expired
	s.log.Noticef("Loading RDB produced by version %s", meta.RedisVer)
	s.log.Noticef("Done loading RDB, keys loaded: %d, keys expired: %d.", meta.Keys, meta.Expired)
	s.log.Noticef("DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
	return nil
}

func (p *persistence) loadOptions(name string, skipExpiredBefore int64) rdb.LoadOptions {
	c := p.s.cfg
	return rdb.LoadOptions{
		Name: name,
		Limits: rdb.Limits{
			HashMaxListpackEntries: c.HashMaxListpackEntries,
			HashMaxListpackValue:   c.HashMaxListpackValue,
			SetMaxIntsetEntries:    c.SetMaxIntsetEntries,
			ZSetMaxListpackEntries: c.ZSetMaxListpackEntries,
			ZSetMaxListpackValue:   c.ZSetMaxListpackValue,
		},
		SkipExpiredBefore: skipExpiredBefore,
		MaxBulk:           c.ProtoMaxBulkLen,
	}
}

// beforeExit saves at shutdown when save points exist or SHUTDOWN SAVE
// asked for it, unless SHUTDOWN NOSAVE.
func (p *persistence) beforeExit(mode string) error {
	s := p.s
	s.eng.Mu.Lock()
	defer s.eng.Mu.Unlock()
	return p.shutdownSave(mode)
}

// shutdownSave is the save step of shutdown. The caller holds the lock.
func (p *persistence) shutdownSave(mode string) error {
	if mode == "nosave" || (mode != "save" && len(p.s.cfg.Save) == 0) {
		if err := p.closeAOF(); err != nil {
			p.s.log.Warningf("Error flushing the append only file at shutdown: %v", err)
		}
		return nil
	}
	p.waitChild()
	p.s.log.Noticef("Saving the final RDB snapshot before exiting.")
	if err := p.saveNow(); err != nil {
		return err
	}
	return p.closeAOF()
}

// cmdDebugReload is DEBUG RELOAD: save, empty the dataset, load the file.
func (p *persistence) cmdDebugReload(c *command.Client, args [][]byte) {
	s := p.s
	save, flush := true, true
	for _, a := range args[2:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			save = false
		case "noflush":
			flush = false
		case "merge":
			c.Error("ERR DEBUG RELOAD MERGE is not supported")
			return
		default:
			c.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	if save {
		p.waitChild()
		if err := p.saveNow(); err != nil {
			c.Error("ERR Error trying to save the DB")
			return
		}
	}
	if flush {
		s.ks.FlushAll()
	}
	path := p.rdbPath()
	f, err := os.Open(path)
	if err != nil {
		c.Error("ERR Error trying to load the RDB dump, check server logs.")
		return
	}
	defer f.Close()
	if _, err := rdb.Load(rdb.NewReader(f), s.ks, p.loadOptions(path, time.Now().UnixMilli())); err != nil {
		s.log.Warningf("%v", err)
		c.Error("ERR Error trying to load the RDB dump, check server logs.")
		return
	}
	s.ks.Account()
	s.log.Noticef("DB reloaded by DEBUG RELOAD")
	c.OK()
}

// info renders INFO persistence. The caller holds the engine lock.
func (p *persistence) info(b *strings.Builder) {
	now := time.Now()
	b01 := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	status := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "err"
	}
	cur := int64(-1)
	if p.bgsaveRunning {
		cur = int64(now.Sub(p.bgsaveStart).Seconds())
	}
	kv(b, "loading", b01(p.loading))
	kv(b, "async_loading", 0)
	kv(b, "current_cow_peak", 0)
	kv(b, "current_cow_size", 0)
	kv(b, "current_cow_size_age", 0)
	kv(b, "current_fork_perc", "0.00")
	kv(b, "current_save_keys_processed", 0)
	kv(b, "current_save_keys_total", 0)
	kv(b, "rdb_changes_since_last_save", p.s.eng.Dirty)
	kv(b, "rdb_bgsave_in_progress", b01(p.bgsaveRunning))
	kv(b, "rdb_last_save_time", p.lastSave.Unix())
	kv(b, "rdb_last_bgsave_status", status(p.lastBgsaveOK))
	kv(b, "rdb_last_bgsave_time_sec", p.lastBgsaveSecs)
	kv(b, "rdb_current_bgsave_time_sec", cur)
	kv(b, "rdb_saves", p.saves)
	kv(b, "rdb_last_cow_size", 0)
	kv(b, "rdb_last_load_keys_expired", p.loadedExpired)
	kv(b, "rdb_last_load_keys_loaded", p.loadedKeys)
	p.aofInfo(b, b01)
}

// cmdDebugLoadAOF is DEBUG LOADAOF: flush the AOF, empty the dataset and
// load it back from the AOF.
func (p *persistence) cmdDebugLoadAOF(c *command.Client, args [][]byte) {
	if p.aofw == nil {
		c.Error("ERR AOF is not enabled")
		return
	}
	p.waitChild()
	if err := p.aofw.Close(); err != nil {
		c.Error("ERR Error flushing the AOF, check server logs.")
		return
	}
	p.aofw = nil
	p.s.ks.FlushAll()
	p.loading = true
	st, err := p.loadAOF()
	p.loading = false
	if err == nil {
		err = p.openAOF(st.Manifest, false)
	}
	if err != nil {
		p.s.log.Warningf("%v", err)
		c.Error("ERR Error loading the AOF, check server logs.")
		return
	}
	p.s.log.Noticef("Append Only File loaded by DEBUG LOADAOF")
	c.OK()
}

// aofInfo renders the AOF part of INFO persistence.
func (p *persistence) aofInfo(b *strings.Builder, b01 func(bool) int) {
	var in aof.Info
	if p.aofw != nil {
		in = p.aofw.Info()
	} else {
		in = aof.Info{LastRewriteTimeSec: -1, CurrentRewriteTimeSec: -1, LastBgrewriteStatus: "ok", LastWriteStatus: "ok"}
	}
	cur := int64(-1)
	if p.rewriteRunning {
		cur = int64(time.Since(p.rewriteStart).Seconds())
	}
	kv(b, "aof_enabled", b01(p.aofw != nil))
	kv(b, "aof_rewrite_in_progress", b01(p.rewriteRunning))
	kv(b, "aof_rewrite_scheduled", b01(p.rewriteScheduled))
	kv(b, "aof_last_rewrite_time_sec", in.LastRewriteTimeSec)
	kv(b, "aof_current_rewrite_time_sec", cur)
	kv(b, "aof_last_bgrewrite_status", in.LastBgrewriteStatus)
	kv(b, "aof_rewrites", in.Rewrites)
	kv(b, "aof_rewrites_consecutive_failures", 0)
	kv(b, "aof_last_write_status", in.LastWriteStatus)
	kv(b, "aof_last_cow_size", 0)
	kv(b, "module_fork_in_progress", 0)
	kv(b, "module_fork_last_cow_size", 0)
	if p.aofw != nil {
		kv(b, "aof_current_size", in.CurrentSize)
		kv(b, "aof_base_size", in.BaseSize)
		kv(b, "aof_pending_rewrite", b01(p.rewriteScheduled))
		kv(b, "aof_buffer_length", in.BufferLength)
		kv(b, "aof_pending_bio_fsync", in.PendingBioFsync)
		kv(b, "aof_delayed_fsync", in.DelayedFsync)
	}
}
