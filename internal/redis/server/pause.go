package server

import (
	"time"

	"github.com/replikube/replikube/internal/redis/command"
)

// pauseState implements CLIENT PAUSE / UNPAUSE and the write pause of
// FAILOVER. Guarded by the engine lock. A paused request is not waited
// for: the event loop keeps it aside with its client and runs it when the
// pause ends (at until, on UNPAUSE, or when the failover ends); a request
// still paused for another reason is then held again.
type pauseState struct {
	active   bool // CLIENT PAUSE
	until    time.Time
	write    bool // WRITE mode: only write commands wait
	failover bool // FAILOVER: writes wait until it ends or aborts
	ended    bool // a CLIENT PAUSE ended: the loop re-runs what it held
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

// unpause ends the CLIENT PAUSE (a failover's pause stays); the loop then
// resumes the clients it held.
func (s *Server) unpause() {
	p := &s.paused
	p.active, p.until, p.write = false, time.Time{}, false
	p.ended = true
	s.ks.Paused = p.failover
}

// pauseWrites starts or ends FAILOVER's write pause.
func (s *Server) pauseWrites(on bool) {
	s.paused.failover = on
	s.ks.Paused = on || s.paused.active
}

// pausing reports whether any pause may hold requests.
func (s *Server) pausing() bool {
	return s.paused.active || s.paused.failover
}

// pausedFor reports whether a command must wait because of CLIENT PAUSE or
// a failover.
func (s *Server) pausedFor(c *command.Client, cmd *command.Command) bool {
	p := &s.paused
	if p.active && !time.Now().Before(p.until) {
		s.unpause()
	}
	if !p.active && !p.failover {
		return false
	}
	if c.Flags&(command.FlagMaster|command.FlagReplica) != 0 {
		return false
	}
	if p.active && !p.write {
		return true
	}
	if cmd == nil {
		return false
	}
	return cmd.Flags&(command.Write|command.MayReplicate) != 0 ||
		(cmd.Name == "exec" && cmd.Parent == nil && c.MultiCount() > 0)
}
