package server

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
)

// FAILOVER, as Redis 7.0's: a coordinated hand-over from a master to one
// of its replicas without losing an acknowledged write.
//
//  1. waiting-for-sync: client writes are paused (they wait, they are not
//     refused), PINGs to the replicas stop so the offset stays still, and
//     the master waits until the target (the named one, or the first
//     replica to ACK its offset) has acknowledged every byte.
//  2. failover-in-progress: the master becomes a replica of the target
//     and sends PSYNC <replid> <offset> FAILOVER; the target, whose ID is
//     ours, promotes itself and answers +CONTINUE. Once the PSYNC is
//     answered the failover ends and the paused writes run (and get
//     READONLY, as they would on any replica).
//
// A timeout aborts in the first state, unless FORCE asks to fail over to
// the named target anyway; a refused PSYNC aborts in the second, making
// this server a master again. FAILOVER ABORT ends either state.

// Failover states, with INFO's names.
const (
	failoverNone = iota
	failoverWaitSync
	failoverInProgress
)

var failoverStateNames = [...]string{"no-failover", "waiting-for-sync", "failover-in-progress"}

type failoverState struct {
	state int
	host  string // target; "" until one is chosen
	port  int
	end   time.Time // zero: no timeout
	force bool
}

func (r *replState) cmdFailover(c *command.Client, args [][]byte) {
	if len(args) == 2 && strings.EqualFold(string(args[1]), "abort") {
		if r.fo.state == failoverNone {
			c.Error("ERR No failover in progress.")
			return
		}
		r.abortFailover("Failover manually aborted")
		c.OK()
		return
	}
	var (
		timeout int64
		force   bool
		host    string
		port    int64
	)
	for j := 1; j < len(args); j++ {
		opt := strings.ToLower(string(args[j]))
		switch {
		case opt == "timeout" && j+1 < len(args) && timeout == 0:
			v, err := strconv.ParseInt(string(args[j+1]), 10, 64)
			if err != nil {
				c.Error(command.ErrNotInteger)
				return
			}
			if v <= 0 {
				c.Error("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeout = v
			j++
		case opt == "to" && j+2 < len(args) && host == "":
			v, err := strconv.ParseInt(string(args[j+2]), 10, 64)
			if err != nil {
				c.Error(command.ErrNotInteger)
				return
			}
			host, port = string(args[j+1]), v
			j += 2
		case opt == "force" && !force:
			force = true
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	switch {
	case r.fo.state != failoverNone:
		c.Error("ERR FAILOVER already in progress.")
		return
	case r.masterHost != "":
		c.Error("ERR FAILOVER is not valid when server is a replica.")
		return
	case len(r.replicas) == 0:
		c.Error("ERR FAILOVER requires connected replicas.")
		return
	case force && (timeout == 0 || host == ""):
		c.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	if host != "" {
		rp := r.findReplica(host, int(port))
		if rp == nil {
			c.Error("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
		if rp.state != replOnline {
			c.Error("ERR FAILOVER target replica is not online.")
			return
		}
		r.s.log.Noticef("FAILOVER requested to %s:%d.", host, port)
	} else {
		r.s.log.Noticef("FAILOVER requested to any replica.")
	}
	r.fo = failoverState{state: failoverWaitSync, host: host, port: int(port), force: force}
	if timeout > 0 {
		r.fo.end = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	r.s.pauseWrites(true)
	c.OK()
}

// findReplica finds an attached replica by its announced address.
func (r *replState) findReplica(host string, port int) *replica {
	for _, rp := range r.replicas {
		if strings.EqualFold(rp.announcedIP(), host) && rp.port == port {
			return rp
		}
	}
	return nil
}

// announcedIP is the replica's address as INFO shows it.
func (rp *replica) announcedIP() string {
	host, _, _ := net.SplitHostPort(rp.addr())
	return host
}

// updateFailover moves a failover waiting for its target on: on a timeout,
// and once a replica has acknowledged the whole stream. Called by the cron
// and on every ACK.
func (r *replState) updateFailover(now time.Time) {
	fo := &r.fo
	if fo.state != failoverWaitSync {
		return
	}
	if !fo.end.IsZero() && !now.Before(fo.end) {
		if fo.force {
			r.s.log.Noticef("FAILOVER to %s:%d time out exceeded, failing over.", fo.host, fo.port)
			r.handOver()
		} else {
			r.abortFailover("Replica never caught up before timeout")
		}
		return
	}
	var target *replica
	if fo.host != "" {
		target = r.findReplica(fo.host, fo.port)
	} else {
		for _, rp := range r.replicas {
			if rp.state == replOnline && rp.ackOffset == r.offset {
				target = rp
				fo.host, fo.port = rp.announcedIP(), rp.port
				break
			}
		}
	}
	if target != nil && target.ackOffset == r.offset {
		r.s.log.Noticef("Failover target %s:%d is synced, failing over.", fo.host, fo.port)
		r.handOver()
	}
}

// handOver becomes a replica of the target with PSYNC ... FAILOVER.
func (r *replState) handOver() {
	r.fo.state = failoverInProgress
	r.setMaster(r.fo.host, r.fo.port, true)
}

// abortFailover ends a failover that did not complete; in progress, this
// server becomes a master again.
func (r *replState) abortFailover(why string) {
	fo := &r.fo
	if fo.state == failoverNone {
		return
	}
	if fo.host != "" {
		r.s.log.Noticef("FAILOVER to %s:%d aborted: %s", fo.host, fo.port, why)
	} else {
		r.s.log.Noticef("FAILOVER to any replica aborted: %s", why)
	}
	inProgress := fo.state == failoverInProgress
	r.clearFailover()
	if inProgress {
		r.promote()
	}
}

// clearFailover ends the failover and releases the paused writes.
func (r *replState) clearFailover() {
	r.fo = failoverState{}
	r.s.pauseWrites(false)
	r.s.mu.Lock()
	l := r.s.loop
	r.s.mu.Unlock()
	if l != nil {
		l.wake()
	}
}

// failoverPSync ends the hand-over once the target answered PSYNC: ok
// when it continued or started a full resync.
func (r *replState) failoverPSync(ok bool) {
	if r.fo.state != failoverInProgress {
		return
	}
	if ok {
		r.clearFailover()
		return
	}
	r.abortFailover("Failover target rejected psync request")
}

// psyncFailover serves the target's side: PSYNC <our replid> <offset>
// FAILOVER from our master makes us a master first. It reports false when
// it has replied with an error.
func (r *replState) psyncFailover(c *command.Client, id string) bool {
	if id != r.ids.ID {
		c.Error("ERR PSYNC FAILOVER replid must match my replid.")
		return false
	}
	if r.masterHost != "" {
		r.promote()
		r.s.log.Noticef("MASTER MODE enabled (failover request from '%s')", c.Addr)
	}
	r.s.log.Noticef("Failover request received for replid %s.", id)
	return true
}
