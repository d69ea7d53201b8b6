package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/replikube/replikube/internal/redis/aof"
	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/rdb"
)

// The append-only file: loaded at start when appendonly is yes, fed every
// write through the engine's propagation, flushed before replies are sent
// (so a client never sees the reply to a write the AOF has not received),
// rewritten by BGREWRITEAOF and by the auto-rewrite thresholds from a
// point-in-time snapshot, like BGSAVE.

// fanout propagates writes to several receivers (the AOF, replicas).
type fanout []command.Propagator

func (f fanout) Propagate(db int, argv [][]byte) {
	for _, p := range f {
		p.Propagate(db, argv)
	}
}

// setPropagators installs the receivers of writes. The caller holds the
// engine lock.
func (s *Server) updatePropagation() {
	var f fanout
	if s.persist.aofw != nil {
		f = append(f, s.persist.aofw)
	}
	f = append(f, s.extraProps...)
	switch len(f) {
	case 0:
		s.eng.Prop = nil
	case 1:
		s.eng.Prop = f[0]
	default:
		s.eng.Prop = f
	}
}

func (p *persistence) aofDir() string { return p.s.cfg.Path(p.s.cfg.AppendDirname) }

// loadAOF replays the AOF at start.
func (p *persistence) loadAOF() (aof.Status, error) {
	s := p.s
	c := s.eng.NewClient()
	c.Flags |= command.FlagFake | command.FlagMaster
	var unknown error
	l := &aof.Loader{
		Dir:           p.aofDir(),
		FileName:      s.cfg.AppendFilename,
		LoadTruncated: s.cfg.AOFLoadTruncated,
		OldDir:        s.cfg.Dir,
		LoadRDB: func(r io.Reader, name string) error {
			br, ok := r.(*bufio.Reader)
			if !ok {
				br = rdb.NewReader(r)
			}
			meta, err := rdb.Load(br, s.ks, p.loadOptions(name, 0))
			if err == nil {
				p.loadedKeys += meta.Keys
			}
			return err
		},
		Apply: func(argv [][]byte) error {
			c.W.Buf = c.W.Buf[:0]
			s.eng.Dispatch(c, argv)
			if bytes.HasPrefix(c.W.Buf, []byte("-ERR unknown command")) {
				unknown = fmt.Errorf("unknown command '%s' reading the append only file", argv[0])
				return unknown
			}
			return nil
		},
	}
	st, err := l.Load()
	s.ks.Account()
	return st, err
}

// openAOF starts appending. fresh writes a new base from the current
// dataset first (CONFIG SET appendonly yes); m is the manifest Load
// returned at start. The caller holds the engine lock.
func (p *persistence) openAOF(m *aof.Manifest, fresh bool) error {
	s := p.s
	policy, _ := aof.ParseFsyncPolicy(s.cfg.AppendFsync)
	opts := []aof.Option{
		aof.WithRDBPreamble(s.cfg.AOFUseRDBPreamble),
		aof.WithInitialBase(func(w io.Writer) error {
			snap := rdb.Begin(p.source(rdb.NoLock), !s.cfg.AOFUseRDBPreamble)
			_, err := snap.WriteTo(w)
			return err
		}),
	}
	if fresh {
		opts = append(opts, aof.WithFreshBase())
	}
	w, err := aof.Open(p.aofDir(), s.cfg.AppendFilename, policy, m, opts...)
	if err != nil {
		return err
	}
	p.aofw = w
	s.updatePropagation()
	return nil
}

// closeAOF stops appending (CONFIG SET appendonly no, shutdown).
func (p *persistence) closeAOF() error {
	if p.aofw == nil {
		return nil
	}
	err := p.aofw.Close()
	p.aofw = nil
	p.s.updatePropagation()
	return err
}

// flushAOF writes buffered writes before replies go out (beforeSleep).
// The caller holds the engine lock.
func (p *persistence) flushAOF() {
	if p.aofw != nil {
		if err := p.aofw.Flush(); err != nil && !p.aofErrLogged {
			p.aofErrLogged = true
			p.s.log.Warningf("Error writing to the AOF file: %v", err)
		} else if err == nil {
			p.aofErrLogged = false
		}
	}
}

// startRewrite starts BGREWRITEAOF. The caller holds the engine lock and
// has checked that no background save or rewrite runs.
func (p *persistence) startRewrite() error {
	s := p.s
	rw, err := p.aofw.StartRewrite()
	if err != nil {
		s.log.Warningf("Can't rewrite append only file in background: %v", err)
		return err
	}
	snap := rdb.Begin(p.source(rdb.NoLock), !rw.RDB())
	p.rewriteRunning = true
	p.rewriteStart = time.Now()
	p.childDone = make(chan struct{})
	s.log.Noticef("Background append only file rewriting started")
	s.startSnapJob(snap, true, func(chunks iter.Seq[snapChunk], recycle func([]byte)) error {
		var err error
		for c := range chunks {
			if err == nil && c.err != nil {
				err = c.err
			}
			if err == nil {
				_, err = rw.Base().Write(c.b)
			}
			recycle(c.b)
		}
		if err == nil {
			err = rw.Commit()
		} else {
			_ = rw.Abort()
		}
		return err
	}, func(err error) {
		p.rewriteRunning = false
		close(p.childDone)
		if err != nil {
			s.log.Warningf("Background AOF rewrite failed: %v", err)
			return
		}
		s.log.Noticef("Background AOF rewrite terminated with success")
		s.log.Noticef("Background AOF rewrite finished successfully")
	})
	return nil
}

func (p *persistence) cmdBgrewriteaof(c *command.Client, args [][]byte) {
	switch {
	case p.rewriteRunning:
		c.Error("ERR Background append only file rewriting already in progress")
	case p.bgsaveRunning || p.s.repl.syncRunning:
		p.rewriteScheduled = true
		c.W.Simple("Background append only file rewriting scheduled")
	case p.aofw == nil:
		// Redis rewrites even with appendonly no (the file is simply not
		// in use); we have no AOF to rewrite then.
		c.Error("ERR Background append only file rewriting is only available with appendonly yes")
	default:
		if err := p.startRewrite(); err != nil {
			c.Error("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
			return
		}
		c.W.Simple("Background append only file rewriting started")
	}
}

// aofCron starts scheduled and automatic rewrites. The caller holds the
// engine lock.
func (p *persistence) aofCron() {
	if p.aofw == nil || p.rewriteRunning || p.bgsaveRunning || p.s.repl.syncRunning {
		return
	}
	if p.rewriteScheduled {
		p.rewriteScheduled = false
		_ = p.startRewrite()
		return
	}
	cfg := p.s.cfg
	info := p.aofw.Info()
	if cfg.AutoAOFRewritePercentage > 0 && info.CurrentSize > cfg.AutoAOFRewriteMinSize {
		base := max(info.BaseSize, 1)
		growth := (info.CurrentSize*100)/base - 100
		if growth >= int64(cfg.AutoAOFRewritePercentage) {
			p.s.log.Noticef("Starting automatic rewriting of AOF on %d%% growth", growth)
			_ = p.startRewrite()
		}
	}
}

// aofGateError is the MISCONF refusal after a failed AOF write.
func (p *persistence) aofGateError() string {
	if p.aofw == nil {
		return ""
	}
	if err := p.aofw.Err(); err != nil {
		var cause error = err
		for u := errors.Unwrap(cause); u != nil; u = errors.Unwrap(cause) {
			cause = u
		}
		return "MISCONF Errors writing to the AOF file: " + cause.Error()
	}
	return ""
}

// applyAOFConfig follows CONFIG SET of the AOF settings. The caller holds
// the engine lock.
func (p *persistence) applyAOFConfig(old *Config) error {
	c := p.s.cfg
	if old == nil || p.loading {
		return nil
	}
	if c.AppendOnly && p.aofw == nil {
		if p.bgsaveRunning || p.rewriteRunning {
			p.waitChild()
		}
		if err := p.openAOF(nil, true); err != nil {
			c.AppendOnly = false
			return err
		}
		return nil
	}
	if !c.AppendOnly && p.aofw != nil {
		p.waitChild()
		return p.closeAOF()
	}
	if p.aofw != nil {
		if policy, ok := aof.ParseFsyncPolicy(c.AppendFsync); ok {
			p.aofw.SetFsyncPolicy(policy)
		}
		p.aofw.SetRDBPreamble(c.AOFUseRDBPreamble)
	}
	return nil
}
