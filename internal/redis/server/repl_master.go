package server

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/rdb"
	"github.com/replikube/replikube/internal/redis/replication"
	"github.com/replikube/replikube/internal/redis/resp"
)

// The master side: REPLCONF, PSYNC/SYNC, the stream fed to replicas, and
// full resynchronisation.

// syncSendWindow bounds the snapshot bytes queued for a replica's socket
// during a full resync: the writer waits for the loop to send them.
const syncSendWindow = 4 << 20

var errNoReplicaLeft = errors.New("replication: every replica of the sync disconnected")

// send appends raw bytes to the client's output outside a request and
// has the loop write them (replication traffic: no pub/sub output limit).
// The caller holds the engine lock.
func (cn *conn) send(b []byte) {
	if cn.closed {
		return
	}
	cn.cl.W.Buf = append(cn.cl.W.Buf, b...)
	cn.l.markPending(cn)
}

// unsent is the output not yet taken by the socket.
func (cn *conn) unsent() int { return len(cn.out) + len(cn.cl.W.Buf) }

func (r *replState) replicaOf(c *command.Client) *replica {
	for _, rp := range r.replicas {
		if rp.c == c {
			return rp
		}
	}
	return nil
}

func (r *replState) cmdReplconf(c *command.Client, args [][]byte) {
	if len(args)%2 == 0 {
		c.Error(command.ErrSyntax)
		return
	}
	cn, _ := c.Extra.(*conn)
	for i := 1; i < len(args); i += 2 {
		opt, val := strings.ToLower(string(args[i])), string(args[i+1])
		switch opt {
		case "listening-port":
			p, err := strconv.Atoi(val)
			if err != nil || p < 0 || p > 65535 {
				c.Error(command.ErrNotInteger)
				return
			}
			if cn != nil {
				cn.replPort = p
			}
		case "ip-address":
			if len(val) >= 46 { // NET_HOST_STR_LEN
				c.Error("ERR REPLCONF ip-address provided by replica instance is too long: " + strconv.Itoa(len(val)) + " bytes")
				return
			}
			if cn != nil {
				cn.replIP = val
			}
		case "capa":
			if cn != nil {
				switch strings.ToLower(val) {
				case "eof":
					cn.capaEOF = true
				case "psync2":
					cn.capaPSYNC2 = true
				}
			}
		case "ack":
			// From a replica: its processed offset. Never replied to.
			rp := r.replicaOf(c)
			if rp == nil {
				return
			}
			off, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return
			}
			if off > rp.ackOffset {
				rp.ackOffset = off
			}
			rp.ackTime = time.Now()
			if len(r.waiters) > 0 {
				r.serveWaiters()
			}
			r.updateFailover(rp.ackTime)
			if rp.waitFirstAck {
				// Diskless: the replica has loaded the snapshot; the
				// stream can start.
				rp.waitFirstAck = false
				rp.cn.send(rp.pending)
				rp.pending = nil
			}
			return
		case "getack":
			// From our master: ACK after this command (see masterApplied).
			if c == r.master {
				r.ackPending = true
			}
			return
		case "rdb-only", "rdb-filter-only":
		default:
			c.Error("ERR Unrecognized REPLCONF option: " + string(args[i]))
			return
		}
	}
	c.OK()
}

func (r *replState) cmdSync(c *command.Client, args [][]byte) {
	r.startPSync(c, "?", -1, false)
}

func (r *replState) cmdPSync(c *command.Client, args [][]byte) {
	off, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		c.Error(command.ErrNotInteger)
		return
	}
	if len(args) > 3 && strings.EqualFold(string(args[3]), "failover") {
		if c.Flags&command.FlagReplica != 0 || !r.psyncFailover(c, string(args[1])) {
			return
		}
	}
	r.startPSync(c, string(args[1]), off, true)
}

// startPSync serves PSYNC (psync) or SYNC: continue from the backlog when
// the replica's ID and offset allow it, else a full resync.
func (r *replState) startPSync(c *command.Client, id string, off int64, psync bool) {
	if c.Flags&command.FlagReplica != 0 {
		return
	}
	cn, ok := c.Extra.(*conn)
	if !ok {
		c.Error("ERR Replica can't interact with the keyspace")
		return
	}
	if r.fo.state != failoverNone {
		c.Error("NOMASTERLINK Can't SYNC while failing over")
		return
	}
	if r.masterHost != "" && r.link != linkConnected {
		c.Error("NOMASTERLINK Can't SYNC while not connected with my master")
		return
	}
	if cn.unsent() > 0 {
		c.Error("ERR SYNC and PSYNC are invalid with pending output")
		return
	}
	s := r.s
	addr := c.Addr
	if psync {
		partial, reason := replication.DecidePSync(r.ids, r.backlog, id, off)
		if partial {
			rp := r.attach(c, cn, replOnline)
			reply := "+CONTINUE\r\n"
			if cn.capaPSYNC2 {
				reply = "+CONTINUE " + r.ids.ID + "\r\n"
			}
			c.W.Raw([]byte(reply))
			before := len(c.W.Buf)
			c.W.Buf, _ = r.backlog.ReadFrom(c.W.Buf, off)
			r.partialOK++
			rp.ackOffset = off - 1
			s.log.Noticef("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.", rp.addr(), len(c.W.Buf)-before, off)
			return
		}
		if id != "?" {
			r.partialError++
		}
		s.log.Noticef("Replica %s asks for synchronization", addr)
		s.log.Noticef("%s", reason)
	} else {
		s.log.Noticef("Replica %s asks for synchronization", addr)
	}
	if r.backlog == nil {
		// The first replica: a new history starts with the backlog.
		r.ids.ID = replication.NewReplID()
		r.ids.Clear()
		r.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), r.offset)
		s.log.Noticef("Replication backlog created, my new replication IDs are '%s' and '%s'", r.ids.ID, r.ids.ID2)
	}
	r.attach(c, cn, replWaitBgsave)
	r.maybeStartSync(time.Now())
}

// attach registers c as a replica.
func (r *replState) attach(c *command.Client, cn *conn, state int) *replica {
	c.Flags |= command.FlagReplica
	now := time.Now()
	rp := &replica{c: c, cn: cn, state: state, port: cn.replPort, ip: cn.replIP,
		capaEOF: cn.capaEOF, capaPSYNC2: cn.capaPSYNC2, ackTime: now, since: now}
	r.replicas = append(r.replicas, rp)
	return rp
}

// maybeStartSync starts a full resync for the replicas waiting for one,
// once no other snapshot runs and, diskless, once repl-diskless-sync-delay
// has passed since the first of them arrived (or
// repl-diskless-sync-max-replicas are waiting).
func (r *replState) maybeStartSync(now time.Time) {
	s := r.s
	r.joinDiskSync()
	if r.syncRunning || s.job != nil || s.persist.bgsaveRunning || s.persist.rewriteRunning {
		return
	}
	var waiting []*replica
	diskless := s.cfg.ReplDisklessSync
	first := now
	for _, rp := range r.replicas {
		if rp.state == replWaitBgsave {
			waiting = append(waiting, rp)
			diskless = diskless && rp.capaEOF
			if rp.since.Before(first) {
				first = rp.since
			}
		}
	}
	if len(waiting) == 0 {
		return
	}
	if diskless && s.cfg.ReplDisklessSyncDelay > 0 && now.Sub(first) < time.Duration(s.cfg.ReplDisklessSyncDelay)*time.Second &&
		(s.cfg.ReplDisklessSyncMaxReplica == 0 || len(waiting) < s.cfg.ReplDisklessSyncMaxReplica) {
		return
	}
	r.startSync(waiting, diskless)
}

// startSync sends +FULLRESYNC to targets and starts the snapshot they
// will receive; the stream after it is buffered per replica meanwhile.
func (r *replState) startSync(targets []*replica, diskless bool) {
	s := r.s
	// The stream after the snapshot must say which database it writes.
	r.seldb = -1
	head := []byte("+FULLRESYNC " + r.ids.ID + " " + strconv.FormatInt(r.offset, 10) + "\r\n")
	for _, rp := range targets {
		rp.state = replSendBulk
		rp.pending = nil
		rp.ackOffset = r.offset
		rp.cn.send(head)
		r.fullSyncs++
	}
	src := s.persist.source(rdb.NoLock)
	id, off := r.ids.ID, r.offset
	run := &syncRun{targets: targets, diskless: diskless, id: id, offset: off}
	r.run = run
	src.Aux = func() []rdb.AuxField {
		return rdb.StandardAux(command.ServerVersion, time.Now().Unix(), s.ks.UsedMemory(), 0, id, off, false)
	}
	snap := rdb.Begin(src, false)
	r.syncRunning = true
	target := "disk"
	if diskless {
		target = "replicas sockets"
	}
	s.log.Noticef("Starting BGSAVE for SYNC with target: %s", target)
	var write func(iter.Seq[snapChunk], func([]byte)) error
	if diskless {
		write = func(chunks iter.Seq[snapChunk], recycle func([]byte)) error {
			mark := []byte(replication.NewReplID())
			if err := r.sendToAll(targets, append(append([]byte("$EOF:"), mark...), '\r', '\n')); err != nil {
				return err
			}
			for c := range chunks {
				if c.err != nil {
					return c.err
				}
				if err := r.sendToAll(targets, c.b); err != nil {
					return err
				}
				recycle(c.b)
			}
			return r.sendToAll(targets, mark)
		}
	} else {
		path := s.persist.rdbPath()
		write = func(chunks iter.Seq[snapChunk], recycle func([]byte)) error {
			err := writeDurably(path, func(w io.Writer) error {
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
			if err != nil {
				return err
			}
			s.eng.Mu.Lock()
			run.sending = true // too late to join from now on
			targets := run.targets
			s.eng.Mu.Unlock()
			return r.sendFile(targets, path)
		}
	}
	s.startSnapJob(snap, !diskless, write, func(err error) {
		r.syncRunning = false
		r.run = nil
		now := time.Now()
		for _, rp := range run.targets {
			if rp.cn.closed {
				continue
			}
			if err != nil {
				s.log.Warningf("SYNC failed for replica %s: %v", rp.addr(), err)
				rp.cn.l.closeConn(rp.cn)
				continue
			}
			rp.state = replOnline
			rp.ackTime = now
			if diskless {
				rp.waitFirstAck = true
			} else {
				rp.cn.send(rp.pending)
				rp.pending = nil
			}
			s.log.Noticef("Synchronization with replica %s succeeded", rp.addr())
		}
		r.maybeStartSync(now)
	})
}

// syncRun is the snapshot being produced for replicas.
type syncRun struct {
	targets  []*replica
	diskless bool
	id       string
	offset   int64
	sending  bool // the file is being sent
}

// joinDiskSync lets replicas waiting for a full resync share a disk-based
// snapshot still being written, as Redis does: they get the same
// +FULLRESYNC offset and a copy of the stream buffered since it began
// (from a replica already in it), then the same file. The caller holds
// the engine lock.
func (r *replState) joinDiskSync() {
	run := r.run
	if run == nil || run.diskless || run.sending || run.id != r.ids.ID {
		return
	}
	var donor *replica
	for _, rp := range run.targets {
		if !rp.cn.closed && rp.state == replSendBulk {
			donor = rp
			break
		}
	}
	if donor == nil {
		return
	}
	head := []byte("+FULLRESYNC " + run.id + " " + strconv.FormatInt(run.offset, 10) + "\r\n")
	for _, rp := range r.replicas {
		if rp.state != replWaitBgsave {
			continue
		}
		rp.state = replSendBulk
		rp.pending = append([]byte(nil), donor.pending...)
		rp.ackOffset = run.offset
		rp.cn.send(head)
		r.fullSyncs++
		run.targets = append(run.targets, rp)
		r.s.log.Noticef("Waiting for end of BGSAVE for SYNC")
	}
}

// sendToAll queues b on every target still connected, waiting while any
// has more than syncSendWindow unsent. It takes the engine lock. The wait
// is a poll every millisecond: a replica drains the window in a few, and
// a longer sleep (this backed off to 20 ms) left the link idle.
func (r *replState) sendToAll(targets []*replica, b []byte) error {
	for {
		r.s.eng.Mu.Lock()
		alive, busy := 0, false
		for _, rp := range targets {
			if !rp.cn.closed {
				alive++
				busy = busy || rp.cn.unsent() > syncSendWindow
			}
		}
		if alive == 0 {
			r.s.eng.Mu.Unlock()
			return errNoReplicaLeft
		}
		if !busy {
			for _, rp := range targets {
				rp.cn.send(b)
			}
			r.s.eng.Mu.Unlock()
			return nil
		}
		r.s.eng.Mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

// sendFile sends the RDB at path as a bulk payload ($<len>).
func (r *replState) sendFile(targets []*replica, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := r.sendToAll(targets, []byte(fmt.Sprintf("$%d\r\n", st.Size()))); err != nil {
		return err
	}
	buf := make([]byte, 256<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if err := r.sendToAll(targets, buf[:n]); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Propagate feeds a write to the replication stream (command.Propagator).
// A replica forwards its master's stream instead (masterApplied).
func (r *replState) Propagate(db int, argv [][]byte) {
	if r.masterHost != "" {
		return
	}
	r.feed(db, argv)
}

// feed encodes a command into the stream, with a SELECT first when the
// database changes (db -1: none, as for PING).
func (r *replState) feed(db int, argv [][]byte) {
	if r.backlog == nil && len(r.replicas) == 0 {
		return
	}
	buf := r.scratch[:0]
	if db >= 0 && db != r.seldb {
		var a [20]byte
		buf = resp.AppendCommand(buf, []byte("SELECT"), strconv.AppendInt(a[:0], int64(db), 10))
		r.seldb = db
	}
	buf = resp.AppendCommand(buf, argv...)
	r.scratch = buf
	r.feedStream(buf)
}

// feedStream appends stream bytes to the backlog, the offset, and every
// replica: sent to those online, buffered for those receiving a snapshot.
func (r *replState) feedStream(b []byte) {
	if r.backlog == nil {
		return
	}
	r.backlog.Append(b)
	r.offset += int64(len(b))
	if len(r.replicas) == 0 {
		return
	}
	lim := r.s.cfg.ClientOutputBufferLimit[1]
	var over []*replica
	for _, rp := range r.replicas {
		var size int
		switch {
		case rp.state == replWaitBgsave:
			continue
		case rp.state == replSendBulk || rp.waitFirstAck:
			rp.pending = append(rp.pending, b...)
			size = len(rp.pending)
		default:
			rp.cn.send(b)
			size = rp.cn.unsent()
		}
		if r.overLimit(rp, lim, int64(size)) {
			over = append(over, rp)
		}
	}
	// Closing a replica changes r.replicas: after the loop.
	for _, rp := range over {
		r.s.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", rp.c.Addr)
		rp.cn.l.closeConn(rp.cn)
	}
}

// overLimit applies client-output-buffer-limit replica: over the hard
// limit, or over the soft one for longer than its seconds.
func (r *replState) overLimit(rp *replica, lim OutputLimit, size int64) bool {
	if lim.Hard > 0 && size > lim.Hard {
		return true
	}
	if lim.Soft > 0 && size > lim.Soft {
		now := time.Now()
		if rp.softSince.IsZero() {
			rp.softSince = now
		}
		return now.Sub(rp.softSince) > time.Duration(lim.SoftSeconds)*time.Second
	}
	rp.softSince = time.Time{}
	return false
}

// waiter is a client blocked in WAIT.
type waiter struct {
	c      *command.Client
	offset int64
	num    int
}

// acked counts replicas that acknowledged offset.
func (r *replState) acked(offset int64) int {
	n := 0
	for _, rp := range r.replicas {
		if rp.state == replOnline && rp.ackOffset >= offset {
			n++
		}
	}
	return n
}

// cmdWait is WAIT numreplicas timeout: block until numreplicas replicas
// acknowledged every write made so far, or timeout milliseconds (0:
// forever), and reply how many did.
func (r *replState) cmdWait(c *command.Client, args [][]byte) {
	if r.masterHost != "" {
		c.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	num, err := strconv.ParseInt(string(args[1]), 10, 64)
	if err != nil {
		c.Error(command.ErrNotInteger)
		return
	}
	ms, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil {
		c.Error("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.Error("ERR timeout is negative")
		return
	}
	offset := r.offset
	n := r.acked(offset)
	if int64(n) >= num || c.InMulti() || !c.CanBlock() {
		c.W.Int(int64(n))
		return
	}
	r.waiters = append(r.waiters, waiter{c: c, offset: offset, num: int(num)})
	c.Block(nil, time.Duration(ms)*time.Millisecond, func(c *command.Client) {
		r.dropWaiter(c)
		c.W.Int(int64(r.acked(offset)))
	})
	// Ask the replicas for their offsets now rather than within a second.
	r.feed(-1, [][]byte{[]byte("REPLCONF"), []byte("GETACK"), []byte("*")})
}

func (r *replState) dropWaiter(c *command.Client) {
	for i, w := range r.waiters {
		if w.c == c {
			r.waiters = append(r.waiters[:i], r.waiters[i+1:]...)
			return
		}
	}
}

// serveWaiters replies to the WAITs an ACK satisfied.
func (r *replState) serveWaiters() {
	for _, w := range append([]waiter(nil), r.waiters...) {
		switch {
		case !w.c.Blocked():
			r.dropWaiter(w.c) // disconnected or unblocked otherwise
		case r.acked(w.offset) >= w.num:
			r.s.eng.Unblock(w.c, false)
		}
	}
}
