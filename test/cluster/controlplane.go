package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// kcmControllers are the kube-controller-manager controllers a cluster runs:
// workloads, ownership and disruption budgets. Not the EndpointSlice
// controller: the API refuses the pods' loopback addresses in EndpointSlices
// (and the controller then fails and emits a Warning for every Service), so
// the Service proxies select pods themselves.
var kcmControllers = []string{
	"statefulset-controller",
	"replicaset-controller",
	"deployment-controller",
	"garbage-collector-controller",
	"disruption-controller",
}

// startAPIServer starts etcd and kube-apiserver with envtest, on 127.0.0.1,
// and installs the CRDs.
func startAPIServer(opts *Options, logDir string) (*envtest.Environment, error) {
	etcdPort, err := freePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	etcdLog, err := os.Create(filepath.Join(logDir, "etcd.log"))
	if err != nil {
		return nil, fmt.Errorf("create etcd log: %w", err)
	}
	apiLog, err := os.Create(filepath.Join(logDir, "kube-apiserver.log"))
	if err != nil {
		return nil, fmt.Errorf("create kube-apiserver log: %w", err)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    opts.Assets,
		CRDDirectoryPaths:        opts.CRDDirs,
		ErrorIfCRDPathMissing:    len(opts.CRDDirs) > 0,
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	env.ControlPlane.Etcd = &envtest.Etcd{
		URL: &url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(etcdPort)},
		Out: etcdLog, Err: etcdLog,
	}
	api := &envtest.APIServer{Out: apiLog, Err: apiLog}
	api.SecureServing.ListenAddr = envtest.ListenAddr{Address: "127.0.0.1", Port: strconv.Itoa(apiPort)}
	// The advertised address (the kubernetes Service's endpoint) may not
	// be loopback; the server still listens on 127.0.0.1 only.
	api.Configure().
		// Service ClusterIPs are never routed here: the proxies listen on
		// loopback instead. A /20 leaves room for many Services.
		Set("service-cluster-ip-range", "10.0.0.0/20")
	env.ControlPlane.APIServer = api
	if _, err := env.Start(); err != nil {
		// A half-started control plane still has processes to stop.
		_ = env.Stop()
		return nil, fmt.Errorf("start etcd and kube-apiserver: %w; last lines of %s:\n%s",
			err, apiLog.Name(), tail(apiLog.Name(), 15))
	}
	return env, nil
}

// controllerManager is a running kube-controller-manager.
type controllerManager struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startControllerManager(opts *Options, kubeconfig, certDir, logDir string) (*controllerManager, error) {
	logf, err := os.Create(filepath.Join(logDir, "kube-controller-manager.log"))
	if err != nil {
		return nil, fmt.Errorf("create kube-controller-manager log: %w", err)
	}
	cmd := exec.Command(filepath.Join(opts.Assets, "kube-controller-manager"),
		"--kubeconfig="+kubeconfig,
		"--controllers="+strings.Join(kcmControllers, ","),
		"--use-service-account-credentials=false",
		"--service-account-private-key-file="+filepath.Join(certDir, "sa-signer.key"),
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port=0",
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		"--concurrent-statefulset-syncs=10",
		// The controllers resync rarely by default; tests want quick
		// reactions but never rely on resyncs.
		"--min-resync-period=1m",
		"--v=2",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start kube-controller-manager: %w", err)
	}
	m := &controllerManager{cmd: cmd, done: make(chan struct{})}
	go func() {
		m.err = cmd.Wait()
		logf.Close()
		close(m.done)
	}()
	return m, nil
}

// exited is closed when the process has exited.
func (m *controllerManager) exited() <-chan struct{} { return m.done }

func (m *controllerManager) stop() error {
	return stopGroup(context.Background(), m.cmd.Process.Pid, m.done, 5*time.Second)
}

// stopGroup sends SIGTERM to the process group pgid, then SIGKILL after
// grace (or when ctx ends), and waits until done is closed.
func stopGroup(ctx context.Context, pgid int, done <-chan struct{}, grace time.Duration) error {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		// The leader is gone; children it left in the group go too.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process group %d: %w", pgid, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("process group %d: still running after SIGKILL", pgid)
	}
}

// tail is the last n lines of a log file, for error messages.
func tail(name string, n int) string {
	data, err := os.ReadFile(name)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
