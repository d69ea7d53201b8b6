package server

import (
	"time"

	"github.com/replikube/replikube/internal/redis/command"
)

// pauseState implements CLIENT PAUSE / UNPAUSE. Guarded by the engine lock.
// A paused request is not waited for: the event loop keeps it aside with
// its client and runs it when the pause ends (at until, or on UNPAUSE).
type pauseState struct {
	active bool
	until  time.Time
	write  bool // WRITE mode: only write commands wait
}

// pause starts or extends a pause.
func (s *Server) pause(d time.Duration, writeOnly bool) {
	until := time.Now().Add(d)
	p := &s.paused
	if !p.active || time.Now().After(p.until) {
		p.active = true
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

// unpause ends any pause; the loop then resumes the clients it held.
func (s *Server) unpause() {
	s.paused = pauseState{}
	s.ks.Paused = false
}

// pausedFor reports whether a command must wait because of CLIENT PAUSE.
func (s *Server) pausedFor(c *command.Client, cmd *command.Command) bool {
	p := &s.paused
	if !p.active {
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
