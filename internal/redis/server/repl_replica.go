package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/rdb"
	"github.com/replikube/replikube/internal/redis/replication"
	"github.com/replikube/replikube/internal/redis/resp"
)

// The replica side: the link to the master (connect, handshake, receive
// and load a snapshot or continue), then the master's stream applied on
// the event loop.

// maxSyncPayload bounds the announced size of a snapshot from a master.
const maxSyncPayload = 1 << 50

// connectMaster starts the link goroutine when the link is to be
// (re)established and the event loop runs. The caller holds the engine
// lock.
func (r *replState) connectMaster() {
	s := r.s
	if r.link != linkConnect {
		return
	}
	s.mu.Lock()
	serving := s.loop != nil
	s.mu.Unlock()
	if !serving {
		return // the cron connects once the loop runs
	}
	r.link = linkConnecting
	port := s.cfg.Port
	if s.cfg.ReplicaAnnouncePort != 0 {
		port = s.cfg.ReplicaAnnouncePort
	}
	h := replication.Handshake{
		User: s.cfg.MasterUser, Password: s.cfg.MasterAuth,
		ListeningPort: port, AnnounceIP: s.cfg.ReplicaAnnounceIP,
		Log: s.log.Noticef,
	}
	if r.cached {
		h.ReplID, h.Offset = r.ids.ID, r.offset
	}
	h.Failover = r.fo.state == failoverInProgress
	l := &masterLink{r: r, gen: r.linkGen, addr: net.JoinHostPort(r.masterHost, strconv.Itoa(r.masterPort)),
		timeout: time.Duration(s.cfg.ReplTimeout) * time.Second, hs: h,
		dir: s.cfg.Path(".")}
	go l.run()
}

// masterLink is one attempt to connect to the master and synchronise.
type masterLink struct {
	r       *replState
	gen     int
	addr    string
	timeout time.Duration
	hs      replication.Handshake
	dir     string
}

// deadlineConn renews the deadline before each read and write, so that
// only a master silent for repl-timeout fails the link.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
	onRead  func(n int)
}

func (d *deadlineConn) Read(p []byte) (int, error) {
	_ = d.Conn.SetDeadline(time.Now().Add(d.timeout))
	n, err := d.Conn.Read(p)
	if n > 0 && d.onRead != nil {
		d.onRead(n)
	}
	return n, err
}

func (d *deadlineConn) Write(p []byte) (int, error) {
	_ = d.Conn.SetDeadline(time.Now().Add(d.timeout))
	return d.Conn.Write(p)
}

func (l *masterLink) run() {
	r, s := l.r, l.r.s
	nc, err := net.DialTimeout("tcp", l.addr, l.timeout)
	if err != nil {
		l.fail(fmt.Errorf("Error condition on socket for SYNC: %w", err))
		return
	}
	s.log.Noticef("MASTER <-> REPLICA sync started")
	dc := &deadlineConn{Conn: nc, timeout: l.timeout}
	br := bufio.NewReaderSize(dc, 64<<10)
	reply, err := l.hs.Run(dc, br)
	if err != nil {
		nc.Close()
		l.fail(err)
		return
	}
	s.eng.Mu.Lock()
	if l.gen == r.linkGen {
		r.failoverPSync(true)
	}
	s.eng.Mu.Unlock()
	var leftover []byte
	if reply.Full {
		s.log.Noticef("Full resync from master: %s:%d", reply.ReplID, reply.Offset)
		if leftover, err = l.fullSync(dc, br, reply); err != nil {
			nc.Close()
			l.fail(err)
			return
		}
	} else {
		s.eng.Mu.Lock()
		if l.gen != r.linkGen {
			s.eng.Mu.Unlock()
			nc.Close()
			return
		}
		s.log.Noticef("Successful partial resynchronization with master.")
		if reply.ReplID != r.ids.ID {
			r.ids.Shift(r.offset, reply.ReplID)
			s.log.Noticef("Master replication ID changed to %s", reply.ReplID)
			// Sub-replicas reconnect to learn the new ID.
			r.disconnectReplicas()
		}
		if r.backlog == nil {
			r.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), r.offset)
		}
		s.log.Noticef("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
		s.eng.Mu.Unlock()
	}
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		leftover = append(leftover, b...)
	}
	_ = nc.SetDeadline(time.Time{})
	_, err = s.AddConn(nc, func(c *command.Client) {
		if l.gen != r.linkGen {
			c.Flags |= command.FlagCloseASAP
			return
		}
		cn := c.Extra.(*conn)
		c.Flags |= command.FlagMaster
		c.Authed = true
		cn.rd.Feed(leftover)
		cn.resume = true
		r.master, r.masterConn = c, cn
		r.link = linkConnected
		r.cached = true
		r.lastIO = time.Now()
		// The first ACK also tells a diskless master that the stream
		// can start.
		r.sendAck()
	})
	if err != nil {
		l.fail(err)
	}
}

// fail records a failed attempt; the cron tries again a second later.
func (l *masterLink) fail(err error) {
	r := l.r
	r.s.eng.Mu.Lock()
	defer r.s.eng.Mu.Unlock()
	if l.gen != r.linkGen {
		return
	}
	r.s.log.Warningf("%v", err)
	r.link = linkConnect
	r.failoverPSync(false)
}

// fullSync receives and loads the snapshot after +FULLRESYNC, as
// repl-diskless-load says: through a temporary file (disabled, the
// default), or straight from the socket into a dataset beside the live one
// (swapdb; on-empty-db when the dataset is empty). Either way the live
// dataset is served until the new one is complete and is then replaced
// under the engine lock; a failed or corrupt transfer leaves the old data
// (loading from the socket) or an empty dataset (from the file, flushed
// first as Redis does), never a half-loaded one.
func (l *masterLink) fullSync(dc *deadlineConn, br *bufio.Reader, reply replication.PSyncReply) ([]byte, error) {
	r, s := l.r, l.r.s
	s.eng.Mu.Lock()
	if l.gen != r.linkGen {
		s.eng.Mu.Unlock()
		return nil, fmt.Errorf("replication: link superseded")
	}
	r.link = linkTransfer
	r.syncStart, r.lastIO = time.Now(), time.Now()
	r.syncTotal, r.syncRead = -1, 0
	mode := s.cfg.ReplDisklessLoad
	var aside *keyspace.Keyspace
	if mode == "swapdb" || (mode == "on-empty-db" && s.ks.Size() == 0) {
		aside = s.ks.Aside()
	}
	s.eng.Mu.Unlock()
	dc.onRead = func(n int) {
		s.eng.Mu.Lock()
		r.syncRead += int64(n)
		r.lastIO = time.Now()
		s.eng.Mu.Unlock()
	}
	defer func() { dc.onRead = nil }()
	if aside != nil {
		return l.loadFromSocket(dc, br, reply, aside)
	}

	tmp := filepath.Join(l.dir, fmt.Sprintf("temp-%d.%d.rdb", time.Now().Unix(), os.Getpid()))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("Opening the temp file needed for MASTER <-> REPLICA synchronization: %w", err)
	}
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(f, 1<<20)
	n, leftover, err := replication.ReadPayload(br, bw, maxSyncPayload, nil, func(size int64) {
		logReceiving(s, size, "to disk")
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("I/O error trying to sync with MASTER: %w", err)
	}
	s.log.Noticef("MASTER <-> REPLICA sync: %d bytes received from master", n)

	s.eng.Mu.Lock()
	defer s.eng.Mu.Unlock()
	if l.gen != r.linkGen {
		return nil, fmt.Errorf("replication: link superseded")
	}
	// Sub-replicas hold the old history: they must resync with us.
	r.disconnectReplicas()
	s.log.Noticef("MASTER <-> REPLICA sync: Flushing old data")
	s.ks.FlushAll()
	s.log.Noticef("MASTER <-> REPLICA sync: Loading DB in memory")
	rf, err := os.Open(tmp)
	if err != nil {
		return nil, err
	}
	defer rf.Close()
	s.persist.loading = true
	_, err = rdb.Load(rdb.NewReader(rf), s.ks, s.persist.loadOptions(tmp, 0))
	s.persist.loading = false
	if err != nil {
		s.ks.FlushAll()
		s.ks.Account()
		return nil, fmt.Errorf("Failed trying to load the MASTER synchronization DB from disk: %w", err)
	}
	s.ks.Account()
	if err := os.Rename(tmp, s.persist.rdbPath()); err != nil {
		s.log.Warningf("Failed trying to rename the temp DB into %s in MASTER <-> REPLICA synchronization: %v", s.cfg.DBFilename, err)
	}
	r.synced(reply)
	return leftover, nil
}

// loadFromSocket parses the snapshot as it arrives into aside, without
// the engine lock, then swaps it in.
func (l *masterLink) loadFromSocket(dc *deadlineConn, br *bufio.Reader, reply replication.PSyncReply, aside *keyspace.Keyspace) ([]byte, error) {
	r, s := l.r, l.r.s
	s.log.Noticef("MASTER <-> REPLICA sync: Loading DB in memory")
	pr, pw := io.Pipe()
	type result struct {
		leftover []byte
		err      error
	}
	done := make(chan result, 1)
	var transferFailed atomic.Bool // set before the loader can see it
	go func() {
		_, leftover, err := replication.ReadPayload(br, pw, maxSyncPayload, nil, func(size int64) {
			logReceiving(s, size, "to parser")
		})
		if err != nil {
			transferFailed.Store(true)
		}
		pw.CloseWithError(err) // nil: the loader sees EOF
		done <- result{leftover, err}
	}()
	_, lerr := rdb.Load(bufio.NewReaderSize(pr, 1<<20), aside, s.persist.loadOptions("(socket)", 0))
	transferFirst := transferFailed.Load()
	if lerr == nil {
		// The loader stops at the checksum: the framing may still hold
		// the end mark, read by ReadPayload.
		_, lerr = io.Copy(io.Discard, pr)
	} else {
		// Unblock the reader, stuck in a write to the pipe or a read
		// from the master.
		pr.CloseWithError(lerr)
		_ = dc.Conn.Close()
	}
	res := <-done
	switch {
	case res.err != nil && (lerr == nil || transferFirst):
		// The transfer failed first (the pipe passed its error on).
		return nil, fmt.Errorf("I/O error trying to sync with MASTER: %w", res.err)
	case lerr != nil:
		return nil, fmt.Errorf("Failed trying to load the MASTER synchronization DB from socket: %w", lerr)
	}

	s.eng.Mu.Lock()
	defer s.eng.Mu.Unlock()
	if l.gen != r.linkGen {
		return nil, fmt.Errorf("replication: link superseded")
	}
	r.disconnectReplicas()
	s.log.Noticef("MASTER <-> REPLICA sync: Swapping active DB with loaded DB")
	s.ks.Adopt(aside)
	r.synced(reply)
	return res.leftover, nil
}

// synced takes the master's history after a full sync. The caller holds
// the engine lock.
func (r *replState) synced(reply replication.PSyncReply) {
	s := r.s
	r.ids.ID = reply.ReplID
	r.ids.Clear()
	r.offset, r.readOffset = reply.Offset, reply.Offset
	r.backlog = replication.NewBacklog(int(s.cfg.ReplBacklogSize), r.offset)
	r.seldb = -1
	if s.persist.aofw != nil {
		// The AOF holds the old dataset: start it again from this one.
		s.persist.rewriteScheduled = true
	}
	s.log.Noticef("MASTER <-> REPLICA sync: Finished with success")
}

// masterApplied accounts a command of the master's stream once applied:
// an ACK when the master asked for one (at the offset before the GETACK,
// as Redis), then the bytes go to our offset, backlog and replicas
// verbatim. now is the event loop's time of the batch. The caller holds
// the engine lock.
func (r *replState) masterApplied(raw []byte, now time.Time) {
	r.lastIO = now
	if r.ackPending {
		r.ackPending = false
		r.sendAck()
	}
	r.feedStream(raw)
	r.readOffset = r.offset
}

// sendAck tells the master our offset (REPLCONF ACK).
func (r *replState) sendAck() {
	if r.masterConn == nil {
		return
	}
	var a [20]byte
	r.masterConn.send(resp.AppendCommand(nil, []byte("REPLCONF"), []byte("ACK"), strconv.AppendInt(a[:0], r.offset, 10)))
	r.lastAckSent = time.Now()
}

// logReceiving logs, as Redis does once the payload's header is read, how
// the snapshot arrives: streamed with an end mark (size -1) or with its
// length; where is "to disk" or "to parser".
func logReceiving(s *Server, size int64, where string) {
	if size < 0 {
		s.log.Noticef("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF %s", where)
		return
	}
	s.log.Noticef("MASTER <-> REPLICA sync: receiving %d bytes from master %s", size, where)
}
