package charts

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// TestServerDryRun creates the rendered objects in envtest's kube-apiserver
// with dryRun=All, after installing the chart's CRDs: the API server's own
// validation and defaulting accept every object. Skipped with -short or
// without the test binaries (make k8s-binaries).
func TestServerDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no API server")
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		out, err := exec.Command(filepath.Join("..", "hack", "k8s-binaries.sh"), "--check").Output()
		if err != nil {
			t.Skipf("envtest binaries missing (make k8s-binaries): %v", err)
		}
		assets = strings.TrimSpace(string(out))
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(chartDir, "crds")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop envtest: %v", err)
		}
	})
	c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ns := range []string{namespace, "apps", "ops"} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, vals := range []map[string]any{
		nil,
		{"manager": map[string]any{"watchNamespace": "apps", "leaderElection": map[string]any{"namespace": "ops"}}},
	} {
		for _, o := range mustRender(t, vals) {
			if err := c.Create(ctx, o, client.DryRunAll); err != nil {
				t.Errorf("create %T %s/%s (dry run): %v", o, o.GetNamespace(), o.GetName(), err)
			}
		}
	}
}
