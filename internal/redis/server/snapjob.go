package server

import (
	"sync/atomic"
	"time"

	"github.com/replikube/replikube/internal/redis/rdb"
)

// A background snapshot (BGSAVE, BGREWRITEAOF, later a replica's full
// sync) is serialised by the event loop itself, one bounded step per loop
// iteration under the engine lock it already holds, and written out by a
// goroutine of its own. Clients thus never wait for the snapshot longer
// than one step (rdb.Source.HoldTime), and no lock is handed back and
// forth between goroutines. Between steps commands run as usual; the
// keyspace gives the snapshot the pre-image of every key they are about to
// change (keyspace/snapshot.go).

// snapJobDepth is how many serialised steps may wait for the writer.
const snapJobDepth = 16

type snapChunk struct {
	b    []byte
	keys int64 // keys walked into b (rdb-key-save-delay)
	err  error // the snapshot failed: the writer must give up
}

type snapJob struct {
	snap   *rdb.Snapshot
	out    chan snapChunk
	free   chan []byte
	failed atomic.Bool // the writer gave up: stop serialising
	ended  bool
}

// startSnapJob starts serialising snap from the event loop and runs
// write in a goroutine over the serialised chunks (it must read the
// channel until it is closed, and return the first error of a chunk).
// finish runs under the engine lock once write returned. The caller holds
// the engine lock.
func (s *Server) startSnapJob(snap *rdb.Snapshot, write func(chunks <-chan snapChunk, recycle func([]byte)) error, finish func(error)) {
	job := &snapJob{snap: snap, out: make(chan snapChunk, snapJobDepth), free: make(chan []byte, snapJobDepth)}
	s.job = job
	recycle := func(b []byte) {
		select {
		case job.free <- b[:0]:
		default:
		}
	}
	chunks := (<-chan snapChunk)(job.out)
	if d := time.Duration(s.cfg.RDBKeySaveDelay) * time.Microsecond; d > 0 {
		// rdb-key-save-delay: the writer takes its time, and the bounded
		// channel slows the walk with it; the event loop never sleeps.
		delayed := make(chan snapChunk)
		go func() {
			defer close(delayed)
			for c := range job.out {
				time.Sleep(time.Duration(c.keys) * d)
				delayed <- c
			}
		}()
		chunks = delayed
	}
	go func() {
		err := write(chunks, recycle)
		if err != nil {
			job.failed.Store(true)
			for range job.out {
			}
		}
		s.eng.Mu.Lock()
		defer s.eng.Mu.Unlock()
		if s.job == job {
			s.job = nil
		}
		finish(err)
	}()
	s.wakeLoop()
}

// Steps of a background snapshot run by the event loop: short while
// clients send requests, since one arriving meanwhile waits for the step
// to end; long when none did for a while (a replica's full sync on an
// idle master, a BGSAVE at night), since each step costs a loop
// iteration more.
const (
	snapStepBusy = 25 * time.Microsecond
	snapStepIdle = 500 * time.Microsecond
	snapBusyFor  = 10 * time.Millisecond // how long a client event counts
)

// stepSnapJob runs one step of the background snapshot, of at most hold
// (0 for the source's own bound); block makes it wait for room in the
// writer's queue (a caller that must finish the job, such as SAVE or
// SHUTDOWN) instead of skipping the step. The caller holds the engine
// lock.
func (s *Server) stepSnapJob(block bool, hold time.Duration) {
	job := s.job
	if job == nil || job.ended {
		return
	}
	if job.failed.Load() {
		job.end(nil)
		return
	}
	if !block && len(job.out) == cap(job.out) {
		return
	}
	var buf []byte
	select {
	case buf = <-job.free:
	default:
		buf = make([]byte, 0, 40<<10)
	}
	keys := job.snap.Keys
	job.snap.Hold = hold
	out, done, err := job.snap.Step(buf)
	if len(out) > 0 {
		job.out <- snapChunk{b: out, keys: job.snap.Keys - keys}
	}
	if err != nil || done {
		job.end(err)
	}
}

// end stops the snapshot and closes the writer's channel.
func (j *snapJob) end(err error) {
	j.ended = true
	j.snap.Abort()
	if err != nil {
		j.out <- snapChunk{err: err}
	}
	close(j.out)
}

// finishSnapJob drives the running snapshot to its end (SAVE, SHUTDOWN,
// DEBUG RELOAD wait for it). The caller holds the engine lock.
func (s *Server) finishSnapJob() {
	for s.job != nil && !s.job.ended {
		s.stepSnapJob(true, snapStepIdle)
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
