package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// AssetsDir is the Options.Assets directory for tests: KUBEBUILDER_ASSETS
// when set, else the cache directory that repoRoot's hack/k8s-binaries.sh
// reports when every binary is there. The error carries the script's hint
// on how to build them.
func AssetsDir(repoRoot string) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	cmd := exec.Command(filepath.Join(repoRoot, "hack", "k8s-binaries.sh"), "--check")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kubernetes binaries missing (%w): %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
