package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/replication"
)

// Replication, as Redis 7.0 does it. One server is a master or a replica
// of one master; either way it can serve replicas of its own (a chain).
//
// The replication stream is what a master feeds its replicas: every write
// in the one total order of the engine (command.Propagator), encoded as
// RESP commands with SELECT where the database changes, plus PINGs. Its
// bytes are counted by the master replication offset and kept in the
// backlog ring, from which a replica that reconnects continues
// (+CONTINUE); otherwise it gets a full resync: +FULLRESYNC, a
// point-in-time snapshot (serialised beside the event loop, see
// snapjob.go) on disk or straight onto the socket ($EOF:<mark> framing),
// then the writes made since the snapshot began.
//
// A replica applies what its master sends through a client flagged
// command.FlagMaster on the event loop, counts the bytes it processed as
// its offset, and forwards them verbatim to its own backlog and replicas,
// so that a chain carries exactly the top master's stream and offsets.
// Its link to the master (connect, handshake, receive and load the
// snapshot) runs in a goroutine; once synced, the connection is handed to
// the event loop (Server.AddConn). All the state below is guarded by the
// engine lock.

// Replica states on the master, with Redis's names for INFO.
const (
	replWaitBgsave = iota // full resync: waiting for the snapshot to start
	replSendBulk          // the snapshot is being sent; the stream waits
	replOnline            // receiving the stream
)

var replStateNames = [...]string{"wait_bgsave", "send_bulk", "online"}

// replica is one replica attached to this server.
type replica struct {
	c          *command.Client
	cn         *conn
	state      int
	port       int
	ip         string
	capaEOF    bool
	capaPSYNC2 bool
	ackOffset  int64
	ackTime    time.Time
	since      time.Time // attached (for the diskless delay)
	// pending holds the stream produced while the snapshot is sent; it
	// goes out after it (or, diskless, after the replica's first ACK, as
	// the replica may read past the end mark otherwise).
	pending      []byte
	waitFirstAck bool
	softSince    time.Time // over the soft output limit since
}

// Link states of a replica's connection to its master (INFO's
// master_link_status is "up" only when connected).
const (
	linkNone       = iota // not a replica
	linkConnect           // to (re)connect
	linkConnecting        // handshake running
	linkTransfer          // receiving the snapshot
	linkConnected         // streaming
)

type replState struct {
	s *Server

	ids     replication.IDs
	offset  int64 // master_repl_offset
	backlog *replication.Backlog
	seldb   int // database of the last SELECT in the stream, -1 to repeat it
	scratch []byte

	replicas     []*replica
	waiters      []waiter  // clients in WAIT
	noReplicas   time.Time // since when no replica is attached (repl-backlog-ttl)
	lastPing     time.Time
	syncRunning  bool     // a snapshot for replicas is being produced
	run          *syncRun // that snapshot, while it runs
	fullSyncs    int64
	partialOK    int64
	partialError int64

	// Replica side.
	masterHost  string // "" when master
	isReplica   atomic.Bool
	masterPort  int
	link        int
	linkGen     int // bumped on every REPLICAOF: stale link goroutines give up
	master      *command.Client
	masterConn  *conn
	cached      bool // ids.ID and offset describe a history we can PSYNC with
	lastIO      time.Time
	linkDown    time.Time // when the link went down (master_link_down_since_seconds)
	readOffset  int64     // slave_read_repl_offset
	syncStart   time.Time
	syncTotal   int64
	syncRead    int64
	ackPending  bool // the master asked REPLCONF GETACK in the current command
	lastAckSent time.Time
	lastCron    time.Time

	fo failoverState // FAILOVER, on a master
}

func (s *Server) initReplication() {
	r := &replState{s: s, seldb: -1, noReplicas: time.Now()}
	r.ids = replication.IDs{ID: replication.NewReplID()}
	r.ids.Clear()
	s.repl = r
	s.eng.Role = r.role
	s.eng.Gates = append(s.eng.Gates, r.gate)
	s.extraProps = append(s.extraProps, r)
	s.SetInfoSection("replication", r.info)
	s.updatePropagation()
	// The log is written from goroutines too: the role is read atomically.
	s.log.Role = func() byte {
		if r.isReplica.Load() {
			return 'S'
		}
		return 'M'
	}
	if s.DebugHooks == nil {
		s.DebugHooks = map[string]command.Handler{}
	}
	s.DebugHooks["change-repl-id"] = r.cmdDebugChangeReplID
	f := command.Admin | command.NoScript
	s.eng.Table.Add(
		&command.Command{Name: "replicaof", Arity: 3, Flags: f | command.Stale | command.NoAsyncLoading, Group: "server", Since: "5.0.0", Handler: r.cmdReplicaOf},
		&command.Command{Name: "slaveof", Arity: 3, Flags: f | command.Stale | command.NoAsyncLoading, Group: "server", Since: "1.0.0", Handler: r.cmdReplicaOf},
		&command.Command{Name: "role", Arity: 1, Flags: command.NoScript | command.Loading | command.Stale | command.Fast, Group: "server", Since: "2.8.12", Handler: r.cmdRole},
		&command.Command{Name: "replconf", Arity: -1, Flags: f | command.Loading | command.Stale | command.AllowBusy, Group: "server", Since: "3.0.0", Handler: r.cmdReplconf},
		&command.Command{Name: "psync", Arity: -3, Flags: f | command.NoMulti | command.NoAsyncLoading, Group: "server", Since: "2.8.0", Handler: r.cmdPSync},
		&command.Command{Name: "wait", Arity: 3, Flags: command.NoScript, Group: "generic", Since: "3.0.0", Handler: r.cmdWait},
		&command.Command{Name: "failover", Arity: -1, Flags: command.Admin | command.NoScript | command.Stale, Group: "server", Since: "6.2.0", Handler: r.cmdFailover},
		&command.Command{Name: "sync", Arity: 1, Flags: f | command.NoMulti | command.NoAsyncLoading, Group: "server", Since: "1.0.0", Handler: r.cmdSync},
	)
}

// cmdDebugChangeReplID is DEBUG CHANGE-REPL-ID: a new ID and no
// secondary one, so that no replica can continue with us.
func (r *replState) cmdDebugChangeReplID(c *command.Client, args [][]byte) {
	if len(args) != 2 {
		debugUsage(c, args)
		return
	}
	r.s.log.Warningf("Changing replication IDs after receiving DEBUG change-repl-id")
	r.ids.ID = replication.NewReplID()
	r.ids.Clear()
	c.OK()
}

// startReplication applies the replicaof setting at start.
func (r *replState) startReplication() {
	if r.s.cfg.ReplicaOf == "" {
		return
	}
	host, port, _ := strings.Cut(r.s.cfg.ReplicaOf, " ")
	p, _ := strconv.Atoi(port)
	r.setMaster(host, p, false)
}

func (r *replState) role() string {
	if r.masterHost != "" {
		return "slave"
	}
	return "master"
}

// gate refuses what a replica must not run: writes from clients
// (replica-read-only), anything but stale-safe commands while the link is
// down (replica-serve-stale-data no); and, on a master, writes without
// enough good replicas (min-replicas-to-write).
func (r *replState) gate(c *command.Client, cmd *command.Command, args [][]byte) string {
	cfg := r.s.cfg
	write := cmd.Flags&command.Write != 0
	if r.masterHost != "" {
		if write && cfg.ReplicaReadOnly && c.Flags&command.FlagFake == 0 {
			return "READONLY You can't write against a read only replica."
		}
		if r.link != linkConnected && !cfg.ReplicaServeStaleData && cmd.Flags&command.Stale == 0 {
			return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
		}
		return ""
	}
	if write && cfg.MinReplicasToWrite > 0 && r.goodReplicas() < cfg.MinReplicasToWrite {
		return "NOREPLICAS Not enough good replicas to write."
	}
	return ""
}

// goodReplicas counts online replicas whose last ACK is at most
// min-replicas-max-lag seconds old.
func (r *replState) goodReplicas() int {
	n := 0
	now := time.Now()
	for _, rp := range r.replicas {
		if rp.state == replOnline && now.Sub(rp.ackTime) <= time.Duration(r.s.cfg.MinReplicasMaxLag)*time.Second {
			n++
		}
	}
	return n
}

func (r *replState) cmdReplicaOf(c *command.Client, args [][]byte) {
	host, port := string(args[1]), string(args[2])
	if r.fo.state != failoverNone {
		c.Error("ERR REPLICAOF not allowed while failing over.")
		return
	}
	if strings.EqualFold(host, "no") && strings.EqualFold(port, "one") {
		if r.masterHost != "" {
			r.promote()
			r.s.log.Noticef("MASTER MODE enabled (user request from '%s')", c.Addr)
		}
		c.OK()
		return
	}
	if c.Flags&command.FlagReplica != 0 {
		c.Error("ERR Command is not valid when client is a replica.")
		return
	}
	p, err := strconv.ParseInt(port, 10, 64)
	if err != nil || p < 0 || p > 65535 {
		c.Error("ERR Invalid master port")
		return
	}
	if r.masterHost != "" && strings.EqualFold(r.masterHost, host) && r.masterPort == int(p) {
		r.s.log.Noticef("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
		c.W.Simple("OK Already connected to specified master")
		return
	}
	r.setMaster(host, int(p), r.masterHost == "")
	r.s.log.Noticef("REPLICAOF %s:%d enabled (user request from '%s')", host, p, c.Addr)
	c.OK()
}

// setMaster makes this server a replica of host:port, as Redis's
// replicationSetMaster: the old link is dropped, the sub-replicas stay
// (they may continue with us), and a master that becomes a replica
// offers its own ID and offset in PSYNC, so that it can continue from a
// promoted replica of its own (PSYNC2).
func (r *replState) setMaster(host string, port int, wasMaster bool) {
	r.dropMasterLink()
	if wasMaster {
		r.cached = true
	}
	r.masterHost, r.masterPort = host, port
	r.isReplica.Store(true)
	r.s.ks.Replica = true
	r.link = linkConnect
	r.linkGen++
	r.linkDown = time.Now()
	r.s.cfg.ReplicaOf = host + " " + strconv.Itoa(port)
	r.s.log.Noticef("Connecting to MASTER %s:%d", host, port)
	r.connectMaster()
}

// promote is REPLICAOF NO ONE: the master's ID becomes the secondary one
// (valid up to our offset), a new ID starts, and the sub-replicas, which
// continue with us, hear about it when they reconnect.
func (r *replState) promote() {
	r.dropMasterLink()
	r.masterHost, r.masterPort = "", 0
	r.isReplica.Store(false)
	r.s.ks.Replica = false
	r.link = linkNone
	r.linkGen++
	r.s.cfg.ReplicaOf = ""
	r.ids.Shift(r.offset, replication.NewReplID())
	r.s.log.Noticef("Setting secondary replication ID to %s, valid up to offset: %d. New replication ID is %s", r.ids.ID2, r.ids.SecondOffset, r.ids.ID)
	// Sub-replicas must learn the new ID: they reconnect and continue.
	r.disconnectReplicas()
	r.seldb = -1
	if r.backlog == nil {
		r.backlog = replication.NewBacklog(int(r.s.cfg.ReplBacklogSize), r.offset)
	}
}

// dropMasterLink closes the connection to the master, if any.
func (r *replState) dropMasterLink() {
	if cn := r.masterConn; cn != nil {
		cn.l.closeConn(cn) // connClosed updates the link state
	}
}

func (r *replState) disconnectReplicas() {
	for _, rp := range append([]*replica(nil), r.replicas...) {
		rp.cn.l.closeConn(rp.cn)
	}
}

// connClosed is called by the event loop when a client of ours closes.
func (r *replState) connClosed(cn *conn) {
	c := cn.cl
	if c.Flags&command.FlagReplica != 0 {
		for i, rp := range r.replicas {
			if rp.c == c {
				r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
				r.s.log.Noticef("Connection with replica %s lost.", rp.addr())
				break
			}
		}
		if len(r.replicas) == 0 {
			r.noReplicas = time.Now()
		}
	}
	if cn == r.masterConn {
		r.master, r.masterConn = nil, nil
		r.link = linkConnect
		r.linkDown = time.Now()
		r.s.log.Noticef("Connection with master lost.")
		r.s.log.Noticef("* Caching the disconnected master state.")
	}
}

func (rp *replica) addr() string {
	host, _, _ := net.SplitHostPort(rp.c.Addr)
	if rp.ip != "" {
		host = rp.ip
	}
	return net.JoinHostPort(host, strconv.Itoa(rp.port))
}

func (r *replState) cmdRole(c *command.Client, args [][]byte) {
	if r.masterHost == "" {
		c.W.Array(3)
		c.W.BulkString("master")
		c.W.Int(r.offset)
		online := 0
		for _, rp := range r.replicas {
			if rp.state == replOnline {
				online++
			}
		}
		c.W.Array(online)
		for _, rp := range r.replicas {
			if rp.state != replOnline {
				continue
			}
			host, port, _ := net.SplitHostPort(rp.addr())
			c.W.Array(3)
			c.W.BulkString(host)
			c.W.BulkString(port)
			c.W.BulkString(strconv.FormatInt(rp.ackOffset, 10))
		}
		return
	}
	c.W.Array(5)
	c.W.BulkString("slave")
	c.W.BulkString(r.masterHost)
	c.W.Int(int64(r.masterPort))
	state := map[int]string{linkConnect: "connect", linkConnecting: "connecting", linkTransfer: "sync", linkConnected: "connected"}[r.link]
	c.W.BulkString(state)
	off := int64(-1)
	if r.link == linkConnected {
		off = r.offset
	}
	c.W.Int(off)
}

// info renders INFO replication with Redis 7.0's fields.
func (r *replState) info(b *strings.Builder) {
	s := r.s
	now := time.Now()
	b.WriteString("# Replication\r\n")
	kv(b, "role", r.role())
	if r.masterHost != "" {
		kv(b, "master_host", r.masterHost)
		kv(b, "master_port", r.masterPort)
		status := "down"
		if r.link == linkConnected {
			status = "up"
		}
		kv(b, "master_link_status", status)
		lastIO := int64(-1)
		if r.link == linkConnected {
			lastIO = int64(now.Sub(r.lastIO).Seconds())
		}
		kv(b, "master_last_io_seconds_ago", lastIO)
		kv(b, "master_sync_in_progress", b01(r.link == linkTransfer))
		kv(b, "slave_read_repl_offset", r.readOffset)
		kv(b, "slave_repl_offset", r.offset)
		if r.link == linkTransfer {
			kv(b, "master_sync_total_bytes", r.syncTotal)
			kv(b, "master_sync_read_bytes", r.syncRead)
			left := int64(-1)
			perc := "0.00"
			if r.syncTotal > 0 {
				left = r.syncTotal - r.syncRead
				perc = fmt.Sprintf("%.2f", float64(r.syncRead)*100/float64(r.syncTotal))
			}
			kv(b, "master_sync_left_bytes", left)
			kv(b, "master_sync_perc", perc)
			kv(b, "master_sync_last_io_seconds_ago", int64(now.Sub(r.lastIO).Seconds()))
		}
		if r.link != linkConnected {
			kv(b, "master_link_down_since_seconds", int64(now.Sub(r.linkDown).Seconds()))
		}
		kv(b, "slave_priority", s.cfg.ReplicaPriority)
		kv(b, "slave_read_only", b01(s.cfg.ReplicaReadOnly))
		kv(b, "replica_announced", b01(s.cfg.ReplicaAnnounced))
	}
	kv(b, "connected_slaves", len(r.replicas))
	if s.cfg.MinReplicasToWrite > 0 && r.masterHost == "" {
		kv(b, "min_slaves_good_slaves", r.goodReplicas())
	}
	for i, rp := range r.replicas {
		host, port, _ := net.SplitHostPort(rp.addr())
		fmt.Fprintf(b, "slave%d:ip=%s,port=%s,state=%s,offset=%d,lag=%d\r\n", i, host, port,
			replStateNames[rp.state], rp.ackOffset, int64(now.Sub(rp.ackTime).Seconds()))
	}
	kv(b, "master_failover_state", failoverStateNames[r.fo.state])
	kv(b, "master_replid", r.ids.ID)
	kv(b, "master_replid2", r.ids.ID2)
	kv(b, "master_repl_offset", r.offset)
	kv(b, "second_repl_offset", r.ids.SecondOffset)
	if r.backlog != nil {
		kv(b, "repl_backlog_active", 1)
		kv(b, "repl_backlog_size", s.cfg.ReplBacklogSize)
		kv(b, "repl_backlog_first_byte_offset", r.backlog.First())
		kv(b, "repl_backlog_histlen", r.backlog.HistLen())
	} else {
		kv(b, "repl_backlog_active", 0)
		kv(b, "repl_backlog_size", s.cfg.ReplBacklogSize)
		kv(b, "repl_backlog_first_byte_offset", 0)
		kv(b, "repl_backlog_histlen", 0)
	}
}

func b01(v bool) int {
	if v {
		return 1
	}
	return 0
}

// cron runs once a second under the engine lock: PING and timeouts of
// replicas, ACKs and timeouts towards the master, reconnection, delayed
// diskless syncs, the backlog's time to live.
func (r *replState) cron(now time.Time) {
	s := r.s
	timeout := time.Duration(s.cfg.ReplTimeout) * time.Second
	if r.masterHost != "" {
		switch r.link {
		case linkConnect:
			r.connectMaster()
		case linkConnected:
			if now.Sub(r.lastIO) > timeout {
				s.log.Warningf("MASTER timeout: no data nor PING received...")
				r.dropMasterLink()
			} else if now.Sub(r.lastAckSent) >= time.Second {
				r.sendAck()
			}
		}
	}
	// No PING while a failover waits: the target must catch up with a
	// still offset.
	if r.masterHost == "" && r.fo.state == failoverNone && len(r.replicas) > 0 && now.Sub(r.lastPing) >= time.Duration(s.cfg.ReplPingReplicaPeriod)*time.Second {
		r.lastPing = now
		r.feed(-1, [][]byte{[]byte("PING")})
	}
	for _, rp := range append([]*replica(nil), r.replicas...) {
		if rp.state == replWaitBgsave {
			// Keep the link alive while the snapshot has not started.
			rp.cn.send([]byte("\n"))
		}
		if rp.state == replOnline && now.Sub(rp.ackTime) > timeout && rp.capaPSYNC2 {
			s.log.Warningf("Disconnecting timedout replica (streaming sync): %s", rp.addr())
			rp.cn.l.closeConn(rp.cn)
		}
	}
	if r.backlog != nil && r.masterHost == "" && len(r.replicas) == 0 && s.cfg.ReplBacklogTTL > 0 &&
		now.Sub(r.noReplicas) > time.Duration(s.cfg.ReplBacklogTTL)*time.Second {
		// Redis changes the ID too: replicas that come back cannot
		// continue from a backlog that no longer exists.
		r.ids.ID = replication.NewReplID()
		r.ids.Clear()
		r.backlog = nil
		s.log.Noticef("Replication backlog freed after %d seconds without connected replicas.", s.cfg.ReplBacklogTTL)
	}
	r.updateFailover(now)
	r.maybeStartSync(now)
}
