package server

import (
	"time"

	"github.com/replikube/replikube/internal/redis/command"
)

// pauseState implements CLIENT PAUSE / UNPAUSE. Guarded by the engine lock.
type pauseState struct {
	until time.Time
	write bool // WRITE mode: only write commands wait
	wake  chan struct{}
}

// pause starts or extends a pause.
func (s *Server) pause(d time.Duration, writeOnly bool) {
	until := time.Now().Add(d)
	p := &s.paused
	if p.wake == nil || time.Now().After(p.until) {
		p.wake = make(chan struct{})
		p.until = until
		p.write = writeOnly
	} else {
		if until.After(p.until) {
			p.until = until
		}
		// A pause of all commands overrides a write pause, not the reverse.
		p.write = p.write && writeOnly
	}
	s.ks.Paused = true
}

// unpause ends any pause.
func (s *Server) unpause() {
	p := &s.paused
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
	p.until = time.Time{}
	s.ks.Paused = false
}

// pausedFor reports whether a command must wait because of CLIENT PAUSE.
func (s *Server) pausedFor(c *command.Client, cmd *command.Command) bool {
	p := &s.paused
	if p.wake == nil {
		return false
	}
	if !time.Now().Before(p.until) {
		s.unpause()
		return false
	}
	if c.Flags&(command.FlagMaster|command.FlagReplica) != 0 {
		return false
	}
	if !p.write {
		return true
	}
	if cmd == nil {
		return false
	}
	return cmd.Flags&(command.Write|command.MayReplicate) != 0 ||
		(cmd.Name == "exec" && cmd.Parent == nil && c.MultiCount() > 0)
}

// waitIfPaused blocks the calling connection (releasing the engine lock)
// while a pause applies to the command in args. The caller holds the lock.
func (s *Server) waitIfPaused(c *command.Client, args [][]byte) {
	for {
		if s.paused.wake == nil {
			return
		}
		cmd, _ := s.eng.Lookup(args)
		if !s.pausedFor(c, cmd) {
			return
		}
		wake, until := s.paused.wake, s.paused.until
		s.eng.Mu.Unlock()
		t := time.NewTimer(time.Until(until))
		select {
		case <-wake:
		case <-t.C:
		}
		t.Stop()
		s.eng.Mu.Lock()
	}
}
