package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// A container that ran this long before exiting restarts without delay and
// resets the backoff.
const backoffReset = 30 * time.Second

// podWorker runs one pod instance (one UID) from start to removal. Only its
// run goroutine touches the container state; update and gone may be called
// from the informer.
type podWorker struct {
	r         *runner
	namespace string
	name      string
	uid       types.UID
	dir       string
	logFile   string

	mu       sync.Mutex
	pod      *corev1.Pod
	isGone   bool
	notifyCh chan struct{}

	// Owned by run.
	ip          string
	proc        *process
	ctr         containerState
	boundClaims map[string]bool
}

// containerState is what the container status is built from.
type containerState struct {
	started      bool // the container has run at least once
	restarts     int32
	backoff      time.Duration
	waiting      *corev1.ContainerStateWaiting
	lastTerm     *corev1.ContainerStateTerminated
	finalTerm    *corev1.ContainerStateTerminated // restartPolicy says no more runs
	ready        bool
	imageID      string
	containerID  string
	runningSince metav1.Time
}

func newPodWorker(r *runner, pod *corev1.Pod) *podWorker {
	inst := safeName(pod.Name) + "-" + string(pod.UID)[:8]
	return &podWorker{
		r: r, namespace: pod.Namespace, name: pod.Name, uid: pod.UID,
		dir:         filepath.Join(r.runDir, "pods", pod.Namespace, inst),
		logFile:     filepath.Join(r.runDir, "logs", "pods", pod.Namespace+"_"+safeName(pod.Name)+"_"+string(pod.UID)[:8], containerName(pod)+".log"),
		pod:         pod,
		notifyCh:    make(chan struct{}, 1),
		boundClaims: map[string]bool{},
	}
}

func containerName(pod *corev1.Pod) string {
	if len(pod.Spec.Containers) == 0 {
		return "none"
	}
	return pod.Spec.Containers[0].Name
}

func (w *podWorker) update(pod *corev1.Pod) {
	w.mu.Lock()
	w.pod = pod
	w.mu.Unlock()
	w.notify()
}

// gone is called when the pod object has left the API.
func (w *podWorker) gone() {
	w.mu.Lock()
	w.isGone = true
	w.mu.Unlock()
	w.notify()
}

func (w *podWorker) notify() {
	select {
	case w.notifyCh <- struct{}{}:
	default:
	}
}

func (w *podWorker) latest() (*corev1.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.isGone
}

func (w *podWorker) logger() klog.ObjectRef { return klog.KRef(w.namespace, w.name) }

func (w *podWorker) run(ctx context.Context) error {
	ip, err := w.r.ips.get()
	if err != nil {
		return fmt.Errorf("run pod %s: %w", w.logger(), err)
	}
	w.ip = ip
	defer w.r.ips.put(ip)
	defer os.RemoveAll(w.dir)
	if err := os.MkdirAll(filepath.Dir(w.logFile), 0o755); err != nil {
		return fmt.Errorf("run pod %s: %w", w.logger(), err)
	}
	w.r.log.Info("Running pod", "pod", w.logger(), "ip", ip, "log", w.logFile)

	refresh := time.NewTicker(2 * time.Second)
	defer refresh.Stop()
	var retry <-chan time.Time
	for {
		pod, gone := w.latest()
		if gone || pod.DeletionTimestamp != nil {
			return w.terminate(ctx, pod, gone)
		}
		if w.proc == nil && w.ctr.finalTerm == nil && retry == nil {
			if err := w.startContainer(ctx, pod); err != nil {
				w.r.log.Info("Cannot start container", "pod", w.logger(), "error", err.Error())
				w.ctr.waiting = &corev1.ContainerStateWaiting{Reason: waitingReason(err), Message: err.Error()}
				retry = time.After(2 * time.Second)
			}
		}
		w.syncStatus(ctx)

		var exited <-chan struct{}
		var probes <-chan probeResult
		if w.proc != nil {
			exited, probes = w.proc.done, w.proc.results
		}
		select {
		case <-ctx.Done():
			if w.proc != nil {
				grace := min(w.r.opts.StopGrace, podGrace(pod))
				_ = stopGroup(context.Background(), w.proc.pid(), w.proc.done, grace)
			}
			return ctx.Err()
		case <-w.notifyCh:
		case <-exited:
			retry = w.onExit(pod)
		case res := <-probes:
			w.onProbe(pod, res)
		case <-retry:
			retry = nil
		case <-refresh.C:
			if w.proc != nil {
				if err := w.writeVolumes(ctx, pod, w.proc.mounts); err != nil {
					w.r.log.V(1).Info("Cannot refresh volumes", "pod", w.logger(), "error", err.Error())
				}
			}
		}
	}
}

func waitingReason(err error) string {
	if errors.Is(err, errImageNotMapped) {
		return "ErrImageNeverPull"
	}
	return "CreateContainerConfigError"
}

// podGrace is the termination grace period a deletion asked for, else the
// pod's own.
func podGrace(pod *corev1.Pod) time.Duration {
	s := int64(corev1.DefaultTerminationGracePeriodSeconds)
	switch {
	case pod.DeletionGracePeriodSeconds != nil:
		s = *pod.DeletionGracePeriodSeconds
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		s = *pod.Spec.TerminationGracePeriodSeconds
	}
	return time.Duration(s) * time.Second
}

// startContainer materialises volumes, resolves env and argv and starts the
// process.
func (w *podWorker) startContainer(ctx context.Context, pod *corev1.Pod) error {
	if n := len(pod.Spec.Containers); n != 1 || len(pod.Spec.InitContainers) > 0 {
		return fmt.Errorf("pod has %d containers and %d init containers: the runner runs exactly one container", n, len(pod.Spec.InitContainers))
	}
	c := &pod.Spec.Containers[0]
	ms, err := w.containerMounts(pod, c)
	if err != nil {
		return err
	}
	if err := w.writeVolumes(ctx, pod, ms); err != nil {
		return err
	}
	env, err := containerEnv(pod, c, w.ip, w.r)
	if err != nil {
		return err
	}
	values := map[string]string{}
	for i := range env {
		env[i].Value = rewritePaths(env[i].Value, ms)
		values[env[i].Name] = env[i].Value
	}
	lookup := func(name string) (string, bool) { v, ok := values[name]; return v, ok }
	rewrite := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = expand(rewritePaths(s, ms), lookup)
		}
		return out
	}
	argv, err := w.r.opts.Binaries.argv(c.Image, rewrite(c.Command), rewrite(c.Args))
	if err != nil {
		return err
	}
	bin, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("find %s: %w", argv[0], err)
	}

	cwd := filepath.Join(w.dir, "cwd")
	if c.WorkingDir != "" {
		cwd = rewritePaths(c.WorkingDir, ms)
	}
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return fmt.Errorf("create working dir: %w", err)
	}
	osEnv := []string{"HOSTNAME=" + pod.Name, "PATH=" + os.Getenv("PATH"), "HOME=" + cwd}
	for _, m := range ms {
		if m.path == "/tmp" {
			osEnv = append(osEnv, "TMPDIR="+m.dir)
		}
	}
	for _, e := range env {
		osEnv = append(osEnv, e.Name+"="+e.Value)
	}

	logf, err := os.OpenFile(w.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open container log: %w", err)
	}
	cmd := &exec.Cmd{Path: bin, Args: argv, Env: osEnv, Dir: cwd, Stdout: logf, Stderr: logf}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", bin, err)
	}
	p := newProcess(cmd, logf, ms)
	p.startProbes(c, w.ip, osEnv)
	w.proc = p
	w.ctr.started = true
	w.ctr.waiting = nil
	w.ctr.ready = c.ReadinessProbe == nil
	w.ctr.imageID = "local://" + bin
	w.ctr.containerID = "local://" + strconv.Itoa(p.pid())
	w.ctr.runningSince = metav1.Now()
	w.r.log.Info("Started container", "pod", w.logger(), "pid", p.pid(), "binary", bin)
	return nil
}

// onExit records the exit and says when to start again; the channel is nil
// when restartPolicy says never.
func (w *podWorker) onExit(pod *corev1.Pod) <-chan time.Time {
	term := w.recordExit()
	policy := pod.Spec.RestartPolicy
	if policy == corev1.RestartPolicyNever || policy == corev1.RestartPolicyOnFailure && term.ExitCode == 0 {
		w.ctr.finalTerm = term
		return nil
	}
	w.ctr.lastTerm = term
	w.ctr.restarts++
	if time.Since(term.StartedAt.Time) > backoffReset {
		w.ctr.backoff = 0
	}
	w.ctr.backoff = min(max(2*w.ctr.backoff, time.Second), w.r.opts.MaxRestartBackoff)
	w.ctr.waiting = &corev1.ContainerStateWaiting{
		Reason:  "CrashLoopBackOff",
		Message: fmt.Sprintf("back-off %s restarting failed container", w.ctr.backoff),
	}
	return time.After(w.ctr.backoff)
}

// recordExit forgets the exited process and describes how it ended.
func (w *podWorker) recordExit() *corev1.ContainerStateTerminated {
	p := w.proc
	w.proc = nil
	p.stopProbes()
	code, signal := p.exitStatus()
	term := &corev1.ContainerStateTerminated{
		ExitCode: code, Signal: signal,
		StartedAt: w.ctr.runningSince, FinishedAt: metav1.Now(),
		ContainerID: w.ctr.containerID,
		Reason:      "Completed",
	}
	if code != 0 {
		term.Reason = "Error"
	}
	if p.livenessKilled {
		term.Reason, term.Message = "Error", "liveness probe failed"
	}
	w.ctr.ready = false
	w.r.log.Info("Container exited", "pod", w.logger(), "exitCode", code, "reason", term.Reason)
	return term
}

func (w *podWorker) onProbe(pod *corev1.Pod, res probeResult) {
	if !res.liveness {
		w.ctr.ready = res.ok
		return
	}
	if res.ok || w.proc.livenessKilled {
		return
	}
	w.r.log.Info("Liveness probe failed, restarting container", "pod", w.logger(), "error", res.err)
	w.proc.livenessKilled = true
	p := w.proc
	grace := podGrace(pod)
	go func() { _ = stopGroup(context.Background(), p.pid(), p.done, grace) }()
}

// terminate stops the container within the grace period and removes the
// pod from the API, as a kubelet finishing a graceful deletion does.
func (w *podWorker) terminate(ctx context.Context, pod *corev1.Pod, gone bool) error {
	grace := podGrace(pod)
	if gone {
		grace = min(grace, w.r.opts.StopGrace)
	}
	if w.proc != nil {
		w.r.log.Info("Stopping container", "pod", w.logger(), "grace", grace)
		err := stopGroup(ctx, w.proc.pid(), w.proc.done, grace)
		w.ctr.finalTerm = w.recordExit()
		if err != nil {
			return fmt.Errorf("stop pod %s: %w", w.logger(), err)
		}
	}
	if gone || ctx.Err() != nil {
		return ctx.Err()
	}
	w.ctr.waiting = nil
	w.syncStatus(ctx)
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := w.r.cs.CoreV1().Pods(w.namespace).Delete(dctx, w.name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      &metav1.Preconditions{UID: &w.uid},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("remove pod %s: %w", w.logger(), err)
	}
	w.r.log.Info("Removed pod", "pod", w.logger())
	return nil
}

// syncStatus writes the pod status when it differs from what the API holds.
// Failures are logged: the next event retries.
func (w *podWorker) syncStatus(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pods := w.r.cs.CoreV1().Pods(w.namespace)
	first := true
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		pod, _ := w.latest()
		if !first {
			fresh, err := pods.Get(ctx, w.name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			pod = fresh
		}
		first = false
		if pod.UID != w.uid {
			return nil
		}
		status, changed := podStatus(pod, w.statusInput(), metav1.Now())
		if !changed {
			return nil
		}
		pod = pod.DeepCopy()
		pod.Status = status
		updated, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		if err == nil {
			w.mu.Lock()
			if w.pod.ResourceVersion == pod.ResourceVersion {
				w.pod = updated
			}
			w.mu.Unlock()
		}
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		w.r.log.Info("Cannot write pod status", "pod", w.logger(), "error", err.Error())
	}
}

func (w *podWorker) statusInput() statusInput {
	in := statusInput{podIP: w.ip, hostIP: nodeIP, ctr: w.ctr, running: w.proc != nil}
	return in
}
