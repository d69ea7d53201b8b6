package server

import (
	"iter"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/rdb"
	"github.com/replikube/replikube/internal/redis/spin"
)

// A background snapshot (BGSAVE, BGREWRITEAOF, a replica's full sync) is
// serialised by a goroutine of its own, as Redis's forked child does it,
// while the event loop serves commands. Each batch is claimed under the
// engine lock (a span of a dictionary's scan order, a few arithmetic
// operations): by the serialiser itself when the lock is free, else by
// the loop at the end of its iteration (requestBatch, nextBatch,
// feedSnapJob), without waking the loop for it. The
// serialiser walks and encodes the batch without the lock and hands the
// bytes to the writer: a file, on the serialiser's own goroutine, or
// replica sockets, on another one. The batch's keys are lent meanwhile: a
// command that needs one of them waits for the batch to be serialised
// (keyspace.Loan). Between claims the keyspace gives the snapshot the
// pre-image of every key a command is about to change
// (keyspace/snapshot.go). The serialiser never waits for the engine lock
// while a batch is out, it only tries it: a lock handed back and forth
// made the loop wait for the scheduler, and the loop may be waiting for
// that batch.
//
// No lock is held, and no loan is out, while the serialiser waits for a
// writer that may itself take the lock (replica sockets): it asks for the
// next batch before encoding the current one only when the writer's
// queue has room for what it will hand over.

// snapJobDepth is how many serialised chunks may wait for the writer.
const snapJobDepth = 16

// nextBatchSpin bounds how long the serialiser tries to claim its next
// batch itself before it asks the loop (nextBatch).
const nextBatchSpin = 50 * time.Microsecond

// snapChunkBytes is how much the serialiser encodes before handing a
// chunk to the writer.
const snapChunkBytes = 32 << 10

type snapChunk struct {
	b    []byte
	keys int64 // keys walked into b (rdb-key-save-delay)
	err  error // the snapshot failed: the writer must give up
}

type snapJob struct {
	snap *rdb.Snapshot
	out  chan snapChunk // to the writer's goroutine, if not on it
	// ahead: handing a chunk over never waits for the engine lock (a
	// file write), so the next batch may be claimed before (see
	// serialiseSnap). A write the kernel holds back for the disk then
	// keeps that batch lent longer: only commands needing one of its
	// keys wait with it.
	ahead  bool
	free   chan []byte
	failed atomic.Bool // the writer gave up: stop serialising
	// want carries the slot the serialiser wants the next batch claimed
	// into; ready the slot once claimed. At most one of each is pending.
	want  chan int
	ready chan int
	slots [2]struct {
		batch rdb.Batch
		loan  keyspace.Loan
	}
	// produced is closed once every batch is serialised and the snapshot
	// ended.
	produced chan struct{}
}

// startSnapJob starts serialising snap in the background and runs write
// in a goroutine over the serialised chunks (it must consume them until
// they end or it fails, and return the first error of a chunk). finish
// runs under the engine lock once write returned. The caller holds the
// engine lock.
//
// toFile says that write never takes the engine lock while it consumes
// chunks (it writes a file): the serialiser then runs on write's own
// goroutine, handing each chunk over by a function call, not through a
// channel to another goroutine, which spares a thread wake-up per chunk.
// Otherwise (replica sockets) the serialiser runs on a goroutine of its
// own and write reads its chunks from a channel.
func (s *Server) startSnapJob(snap *rdb.Snapshot, toFile bool, write func(chunks iter.Seq[snapChunk], recycle func([]byte)) error, finish func(error)) {
	delay := time.Duration(s.cfg.RDBKeySaveDelay) * time.Microsecond
	job := &snapJob{snap: snap, free: make(chan []byte, snapJobDepth), ahead: toFile && delay == 0,
		want: make(chan int, 2), ready: make(chan int, 2), produced: make(chan struct{})}
	s.job = job
	recycle := func(b []byte) {
		select {
		case job.free <- b[:0]:
		default:
		}
	}
	chunks := func(yield func(snapChunk) bool) { s.serialiseSnap(job, yield) }
	if !toFile {
		job.out = make(chan snapChunk, snapJobDepth)
		go func() {
			ownThread()
			s.serialiseSnap(job, func(c snapChunk) bool {
				job.out <- c
				return true
			})
		}()
		chunks = func(yield func(snapChunk) bool) {
			for c := range job.out {
				if !yield(c) {
					job.failed.Store(true)
					for range job.out {
					}
					return
				}
			}
		}
	}
	if delay > 0 {
		// rdb-key-save-delay: the writer takes its time, and the
		// serialiser waits for it.
		fast := chunks
		chunks = func(yield func(snapChunk) bool) {
			for c := range fast {
				time.Sleep(time.Duration(c.keys) * delay)
				if !yield(c) {
					return
				}
			}
		}
	}
	job.want <- 0 // the first batch: the loop or the serialiser claims it
	go func() {
		if toFile {
			ownThread() // the serialiser runs here
		}
		err := write(chunks, recycle)
		// write may have stopped early (an error): the serialiser stops
		// too and ends the snapshot, if it has not yet.
		job.failed.Store(true)
		if job.out != nil {
			for range job.out {
			}
		} else {
			select {
			case <-job.produced:
			default: // write returned before it read a chunk
				s.serialiseSnap(job, func(snapChunk) bool { return false })
			}
		}
		s.eng.Mu.Lock()
		defer s.eng.Mu.Unlock()
		if s.job == job {
			s.job = nil
		}
		finish(err)
	}()
	s.wakeLoop() // the caller may be a goroutine other than the loop
}

// ownThread keeps the calling goroutine, a serialiser, on an OS thread
// of its own until it exits (the thread then ends with it). A serialiser
// runs for seconds: the runtime preempts it every 10 ms, and it blocks
// in file writes; unlocked, it resumed each time on whichever thread
// was free, often on another core, its caches cold: a BGSAVE of 1M keys
// took 1.29-1.53 s, 1.20-1.23 s on a thread of its own (SAVE: 1.1 s).
func ownThread() {
	runtime.LockOSThread()
	nameThread("rdb-serialiser")
}

// feedSnapJob claims the batch the running snapshot's serialiser asks
// for, if it does. The caller holds the engine lock.
func (s *Server) feedSnapJob() {
	if job := s.job; job != nil {
		job.feed()
	}
}

// feed claims the batch the serialiser asks for, if it does. The caller
// holds the engine lock.
func (j *snapJob) feed() {
	select {
	case i := <-j.want:
		j.claim(i)
	default:
	}
}

// requestBatch gets the next batch claimed into slot i: by the
// serialiser itself when the engine lock is free (the event loop is
// waiting for events; a claim takes a microsecond), else by the loop at
// the end of its iteration, or by nextBatch, whichever comes first. The
// loop is never woken for it: those wake-ups (one per batch, thousands
// per second) made the loop's thread compete with the clients for the
// processors.
func (s *Server) requestBatch(job *snapJob, i int) {
	job.want <- i
	s.tryFeed(job)
}

// tryFeed claims the batch the serialiser asks for, if it does and the
// engine lock is free; it never waits for the lock.
func (s *Server) tryFeed(job *snapJob) {
	if s.eng.Mu.TryLock() {
		job.feed()
		s.eng.Mu.Unlock()
	}
}

// nextBatch returns the slot of the batch requested last, once claimed.
// If the loop has not claimed it yet, the serialiser claims it itself as
// soon as the lock is free (the loop's iteration is over), trying for up
// to nextBatchSpin and giving its processor away between tries; then it
// wakes the loop and waits. It never blocks on the lock: the loop may be
// waiting, lock held, for a batch lent to the serialiser.
func (s *Server) nextBatch(job *snapJob) int {
	var i int
	claimed := spin.Retry(nextBatchSpin, func() bool {
		select {
		case i = <-job.ready:
			return true
		default:
		}
		s.tryFeed(job) // unless the loop claimed it meanwhile
		return false
	})
	if !claimed {
		s.wakeLoop()
		i = <-job.ready
	}
	return i
}

func (j *snapJob) claim(i int) {
	sl := &j.slots[i]
	j.snap.Claim(&sl.batch, rdb.StepKeys, &sl.loan)
	j.ready <- i
}

// serialiseSnap encodes job's snapshot batch by batch into chunks for
// hand, which reports false when the writer gave up; then it ends the
// snapshot.
func (s *Server) serialiseSnap(job *snapJob, hand func(snapChunk) bool) {
	var (
		buf    []byte
		keys   int64
		err    error
		gaveUp bool // hand reported false: call it no more
	)
	newBuf := func() []byte {
		select {
		case b := <-job.free:
			return b
		default:
			return make([]byte, 0, snapChunkBytes+snapChunkBytes/4)
		}
	}
	buf = newBuf()
	asked := true // job.want holds slot 0
	for err == nil && !job.failed.Load() {
		if !asked {
			s.requestBatch(job, 0) // no batch is out: either slot is free
		}
		i := s.nextBatch(job)
		sl := &job.slots[i]
		last := sl.batch.Last
		// Ask for the next batch now, so that it is claimed while this
		// one is encoded, unless handing this one over may wait for a
		// writer that takes the lock: no loan may be out then.
		asked = !last && (job.ahead || len(job.out) < cap(job.out)-1)
		if asked {
			s.requestBatch(job, 1-i)
		}
		buf, err = job.snap.Encode(buf, &sl.batch, &sl.loan)
		keys += int64(sl.batch.Keys())
		if err != nil {
			break
		}
		if len(buf) >= snapChunkBytes || last {
			if !hand(snapChunk{b: buf, keys: keys}) {
				job.failed.Store(true)
				gaveUp = true
				break
			}
			buf, keys = newBuf(), 0
		}
		if last {
			break
		}
	}
	// No claim may come after this: withdraw the request and return the
	// loan of a batch claimed but not encoded.
	s.eng.Mu.Lock()
	for drained := false; !drained; {
		select {
		case <-job.want:
		case i := <-job.ready:
			job.slots[i].loan.Return()
		default:
			drained = true
		}
	}
	job.snap.Abort()
	s.eng.Mu.Unlock()
	if err != nil && !gaveUp {
		hand(snapChunk{err: err})
	}
	if job.out != nil {
		close(job.out)
	}
	close(job.produced)
}

// finishSnapJob waits until the running snapshot is serialised and ended
// (SAVE, SHUTDOWN and DEBUG RELOAD need it gone), claiming batches for
// its serialiser meanwhile, as the event loop, which is the caller, would.
// The caller holds the engine lock, which is released while waiting.
func (s *Server) finishSnapJob() {
	for {
		job := s.job
		if job == nil {
			return
		}
		select {
		case <-job.produced:
			return
		default:
		}
		s.feedSnapJob()
		s.eng.Mu.Unlock()
		slot := -1
		select {
		case <-job.produced:
		case slot = <-job.want:
		}
		s.eng.Mu.Lock()
		if slot >= 0 {
			job.claim(slot)
		}
	}
}

// wakeLoop makes the event loop run an iteration soon.
func (s *Server) wakeLoop() {
	s.mu.Lock()
	l := s.loop
	s.mu.Unlock()
	if l != nil {
		l.wake()
	}
}
