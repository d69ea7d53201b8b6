package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Options configure Start.
type Options struct {
	// Assets is the directory holding kube-apiserver, etcd and
	// kube-controller-manager (KUBEBUILDER_ASSETS, printed by
	// hack/k8s-binaries.sh).
	Assets string
	// CRDDirs are installed before Start returns (config/crd/bases).
	CRDDirs []string
	// RunDir holds kubeconfigs, logs and volumes. Empty: a temporary
	// directory, removed by Stop.
	RunDir string
	// Binaries stand in for container images.
	Binaries Binaries
	// NodeName is the fake Node's name; "local" when empty.
	NodeName string
	// MaxRestartBackoff bounds the delay between container restarts;
	// 10s when zero.
	MaxRestartBackoff time.Duration
	// StopGrace bounds the termination grace of pods when the cluster
	// stops; 5s when zero.
	StopGrace time.Duration
	Log       logr.Logger
}

// Cluster is a running local control plane with its pod runner and Service
// proxies.
type Cluster struct {
	// Config is an admin client config; Kubeconfig is the same as a file.
	Config     *rest.Config
	Kubeconfig string
	RunDir     string

	opts    Options
	tempDir bool
	block   *blockLock
	env     *envtest.Environment
	kcm     *controllerManager
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	runner  *runner
	proxies *proxies
	stopped sync.Once
	stopErr error
}

// Start starts etcd, kube-apiserver, kube-controller-manager, registers the
// Node and starts the pod runner and the Service proxies. On error,
// everything already started is stopped.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	if opts.Assets == "" {
		return nil, errors.New("cluster: no Assets directory (KUBEBUILDER_ASSETS)")
	}
	if opts.NodeName == "" {
		opts.NodeName = "local"
	}
	if opts.MaxRestartBackoff == 0 {
		opts.MaxRestartBackoff = 10 * time.Second
	}
	if opts.StopGrace == 0 {
		opts.StopGrace = 5 * time.Second
	}
	if opts.Log.GetSink() == nil {
		opts.Log = logr.Discard()
	}
	c = &Cluster{opts: opts, RunDir: opts.RunDir}
	defer func() {
		if err != nil {
			_ = c.Stop()
			c = nil
		}
	}()
	if c.RunDir == "" {
		if c.RunDir, err = os.MkdirTemp("", "replikube-cluster-"); err != nil {
			return c, fmt.Errorf("create run dir: %w", err)
		}
		c.tempDir = true
	}
	if c.RunDir, err = filepath.Abs(c.RunDir); err != nil {
		return c, fmt.Errorf("resolve run dir: %w", err)
	}
	logDir := filepath.Join(c.RunDir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return c, fmt.Errorf("create log dir: %w", err)
	}
	if c.block, err = lockBlock(); err != nil {
		return c, err
	}

	if c.env, err = startAPIServer(&opts, logDir); err != nil {
		c.env = nil
		return c, err
	}
	c.Config = c.env.Config
	c.Kubeconfig = filepath.Join(c.RunDir, "kubeconfig")
	if err := os.WriteFile(c.Kubeconfig, c.env.KubeConfig, 0o600); err != nil {
		return c, fmt.Errorf("write kubeconfig: %w", err)
	}
	if c.kcm, err = startControllerManager(&opts, c.Kubeconfig, c.env.ControlPlane.APIServer.CertDir, logDir); err != nil {
		return c, err
	}

	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return c, fmt.Errorf("create clientset: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	if err := registerNode(ctx, cs, opts.NodeName); err != nil {
		return c, err
	}
	c.runner = newRunner(cs, c.RunDir, newIPPool(c.block.x), &opts)
	c.proxies = newProxies(cs, newIPPool(c.block.x+1), filepath.Join(c.RunDir, "services"), opts.Log.WithName("proxy"))
	if err := c.runner.start(runCtx, &c.wg); err != nil {
		return c, err
	}
	if err := c.proxies.start(runCtx, &c.wg); err != nil {
		return c, err
	}
	c.wg.Go(func() {
		select {
		case <-c.kcm.exited():
			opts.Log.Info("kube-controller-manager exited; see its log", "log", filepath.Join(logDir, "kube-controller-manager.log"))
		case <-runCtx.Done():
		}
	})
	return c, nil
}

// ServiceAddr is host:port of the proxy for the first port of the Service
// namespace/name, or "" while there is none.
func (c *Cluster) ServiceAddr(namespace, name string) string {
	return c.proxies.addr(namespace, name)
}

// PodDir is the directory holding the volumes of the current instance of a
// pod, or "" when the runner has no such pod.
func (c *Cluster) PodDir(namespace, name string) string {
	return c.runner.podDir(namespace, name)
}

// KillContainer ends the running container of pod namespace/name with
// SIGKILL to its whole process group, as a crash or the OOM killer would;
// the runner then restarts it as the pod's restartPolicy says, in the same
// pod instance (same IP and volumes). It returns the pid it killed.
func (c *Cluster) KillContainer(namespace, name string) (int, error) {
	pod, err := c.runner.pods.Pods(namespace).Get(name)
	if err != nil {
		return 0, fmt.Errorf("kill container of %s/%s: %w", namespace, name, err)
	}
	if len(pod.Status.ContainerStatuses) == 0 || pod.Status.ContainerStatuses[0].State.Running == nil {
		return 0, fmt.Errorf("kill container of %s/%s: not running", namespace, name)
	}
	id := pod.Status.ContainerStatuses[0].ContainerID
	pid, err := strconv.Atoi(strings.TrimPrefix(id, "local://"))
	if err != nil || pid <= 1 {
		return 0, fmt.Errorf("kill container of %s/%s: container ID %q is not local://<pid>", namespace, name, id)
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		return 0, fmt.Errorf("kill container of %s/%s (pid %d): %w", namespace, name, pid, err)
	}
	return pid, nil
}

// PVCDir is the directory standing for a PersistentVolumeClaim.
func (c *Cluster) PVCDir(namespace, claim string) string {
	return pvcDir(c.RunDir, namespace, claim)
}

// Stop stops pods (SIGTERM, then SIGKILL after at most Options.StopGrace),
// proxies, kube-controller-manager, kube-apiserver and etcd, and removes the
// run directory if Start made it. It is safe to call more than once.
func (c *Cluster) Stop() error {
	c.stopped.Do(func() {
		var errs []error
		if c.cancel != nil {
			c.cancel()
		}
		c.wg.Wait()
		if c.runner != nil {
			errs = append(errs, c.runner.err())
		}
		if c.kcm != nil {
			errs = append(errs, c.kcm.stop())
		}
		if c.env != nil {
			errs = append(errs, c.env.Stop())
		}
		if c.block != nil {
			c.block.release()
		}
		if c.tempDir {
			errs = append(errs, os.RemoveAll(c.RunDir))
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}
