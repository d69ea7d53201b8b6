// Command localcluster runs the local cluster of package cluster until it
// gets SIGINT or SIGTERM: etcd, kube-apiserver, kube-controller-manager, the
// pod runner and the Service proxies, all on 127.0.0.0/8. hack/demo.sh uses
// it; tests use the package directly.
//
// Once the cluster is up it writes <run-dir>/ready (shell lines:
// KUBECONFIG=..., RUN_DIR=...) and prints the same to stdout. The run
// directory is emptied first when it holds a previous run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/replikube/replikube/test/cluster"
)

// marker tells a run directory of ours from anything else, so that only
// ours is ever emptied.
const marker = ".replikube-localcluster"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
}

func run() error {
	runDir := flag.String("run-dir", filepath.Join(os.TempDir(), "replikube-localcluster"), "directory for kubeconfig, logs and volumes (emptied at start if it holds a previous run)")
	assets := flag.String("assets", os.Getenv("KUBEBUILDER_ASSETS"), "directory of kube-apiserver, etcd, kube-controller-manager (hack/k8s-binaries.sh prints it)")
	crds := flag.String("crds", "config/crd/bases", "directory of CRDs to install")
	replikube := flag.String("replikube", "bin/replikube", "binary that runs images named *replikube*")
	redisServer := flag.String("redis-server", "redis-server", "binary that runs redis images")
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseDevMode(false)))
	log := ctrl.Log.WithName("localcluster")

	bin, err := filepath.Abs(*replikube)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", *replikube, err)
	}
	if err := prepareRunDir(*runDir); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := cluster.Start(ctx, cluster.Options{
		Assets:   *assets,
		CRDDirs:  []string{*crds},
		RunDir:   *runDir,
		Binaries: cluster.Binaries{Replikube: bin, RedisServer: *redisServer},
		Log:      log,
	})
	if err != nil {
		return err
	}
	ready := fmt.Sprintf("KUBECONFIG=%s\nRUN_DIR=%s\n", c.Kubeconfig, c.RunDir)
	readyFile := filepath.Join(c.RunDir, "ready")
	if err := os.WriteFile(readyFile, []byte(ready), 0o644); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", readyFile, err), c.Stop())
	}
	fmt.Print(ready)
	log.Info("Cluster is up; Ctrl-C stops it", "kubeconfig", c.Kubeconfig)
	<-ctx.Done()
	log.Info("Stopping the cluster")
	_ = os.Remove(readyFile)
	return c.Stop()
}

// prepareRunDir empties dir if a previous run left it, and refuses a
// non-empty directory that is not ours.
func prepareRunDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || err == nil && len(entries) == 0 {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create run dir: %w", err)
		}
		return os.WriteFile(filepath.Join(dir, marker), nil, 0o644)
	}
	if err != nil {
		return fmt.Errorf("read run dir: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
		return fmt.Errorf("run dir %s is not empty and was not made by localcluster; choose another -run-dir", dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("empty run dir: %w", err)
	}
	return prepareRunDir(dir)
}
