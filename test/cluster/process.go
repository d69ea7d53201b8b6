package cluster

import (
	"context"
	"os"
	"os/exec"
	"syscall"
)

// process is one run of a container: a process group led by cmd.
type process struct {
	cmd     *exec.Cmd
	mounts  []mount
	done    chan struct{}
	results chan probeResult
	cancel  context.CancelFunc
	ctx     context.Context
	// livenessKilled is set by the worker when a liveness probe stopped it.
	livenessKilled bool
}

func newProcess(cmd *exec.Cmd, logf *os.File, ms []mount) *process {
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{
		cmd: cmd, mounts: ms, done: make(chan struct{}),
		results: make(chan probeResult), ctx: ctx, cancel: cancel,
	}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		// Whatever the leader left behind in its group goes with it.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		close(p.done)
	}()
	return p
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) stopProbes() { p.cancel() }

// exitStatus is the exit code and, when a signal ended the process, its
// number (the code is then 128+signal, as container runtimes report it).
func (p *process) exitStatus() (code, signal int32) {
	select {
	case <-p.done:
	default:
		return -1, 0
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return int32(p.cmd.ProcessState.ExitCode()), 0
	}
	if ws.Signaled() {
		return 128 + int32(ws.Signal()), int32(ws.Signal())
	}
	return int32(ws.ExitStatus()), 0
}
