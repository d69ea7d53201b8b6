package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// volumeDir is where a pod volume lives: its claim's directory for a PVC,
// else a directory of this pod instance.
func (w *podWorker) volumeDir(v *corev1.Volume) (string, error) {
	switch {
	case v.PersistentVolumeClaim != nil:
		return pvcDir(w.r.runDir, w.namespace, v.PersistentVolumeClaim.ClaimName), nil
	case v.EmptyDir != nil, v.ConfigMap != nil, v.Secret != nil:
		return filepath.Join(w.dir, "volumes", v.Name), nil
	}
	return "", fmt.Errorf("volume %s: only configMap, secret, emptyDir and persistentVolumeClaim are supported", v.Name)
}

// containerMounts maps each of c's volumeMounts to its directory.
func (w *podWorker) containerMounts(pod *corev1.Pod, c *corev1.Container) ([]mount, error) {
	var ms []mount
	for _, vm := range c.VolumeMounts {
		v := findVolume(pod, vm.Name)
		if v == nil {
			return nil, fmt.Errorf("volumeMount %s: no such volume", vm.Name)
		}
		dir, err := w.volumeDir(v)
		if err != nil {
			return nil, err
		}
		if vm.SubPath != "" {
			dir = filepath.Join(dir, filepath.Clean("/"+vm.SubPath))
		}
		ms = append(ms, mount{path: path.Clean(vm.MountPath), dir: dir})
	}
	sortMounts(ms)
	return ms, nil
}

func findVolume(pod *corev1.Pod, name string) *corev1.Volume {
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == name {
			return &pod.Spec.Volumes[i]
		}
	}
	return nil
}

// writeVolumes creates every volume's directory and writes ConfigMap and
// Secret files, ConfigMap contents with mount paths rewritten. Files whose
// content is unchanged are left alone, so refreshing is cheap.
func (w *podWorker) writeVolumes(ctx context.Context, pod *corev1.Pod, ms []mount) error {
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		dir, err := w.volumeDir(v)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create volume %s: %w", v.Name, err)
		}
		var files map[string][]byte
		switch {
		case v.ConfigMap != nil:
			files, err = w.configMapFiles(pod.Namespace, v.ConfigMap, ms)
		case v.Secret != nil:
			files, err = w.secretFiles(pod.Namespace, v.Secret)
		case v.PersistentVolumeClaim != nil:
			w.markClaimBound(ctx, pod.Namespace, v.PersistentVolumeClaim.ClaimName)
		}
		if err != nil {
			return fmt.Errorf("volume %s: %w", v.Name, err)
		}
		for name, data := range files {
			if err := writeFileIfChanged(filepath.Join(dir, name), data); err != nil {
				return fmt.Errorf("volume %s: %w", v.Name, err)
			}
		}
	}
	for _, m := range ms {
		if err := os.MkdirAll(m.dir, 0o755); err != nil {
			return fmt.Errorf("create mount %s: %w", m.path, err)
		}
	}
	return nil
}

func (w *podWorker) configMapFiles(ns string, src *corev1.ConfigMapVolumeSource, ms []mount) (map[string][]byte, error) {
	cm, err := w.r.ConfigMap(ns, src.Name)
	if err != nil {
		if isOptional(src.Optional) && apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read configmap %s: %w", src.Name, err)
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		data[k] = []byte(rewritePaths(v, ms))
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return volumeFiles(data, src.Items)
}

func (w *podWorker) secretFiles(ns string, src *corev1.SecretVolumeSource) (map[string][]byte, error) {
	s, err := w.r.Secret(ns, src.SecretName)
	if err != nil {
		if isOptional(src.Optional) && apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read secret %s: %w", src.SecretName, err)
	}
	return volumeFiles(s.Data, src.Items)
}

// writeFileIfChanged replaces name atomically when its content differs.
func writeFileIfChanged(name string, data []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(name), err)
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}

// markClaimBound sets a Pending claim's phase to Bound with the capacity it
// asked for, so that `kubectl get pvc` reads as on a real cluster. There is
// no PersistentVolume object behind it.
func (w *podWorker) markClaimBound(ctx context.Context, ns, claim string) {
	if w.boundClaims[claim] {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pvcs := w.r.cs.CoreV1().PersistentVolumeClaims(ns)
	pvc, err := pvcs.Get(ctx, claim, metav1.GetOptions{})
	if err != nil {
		return
	}
	if pvc.Status.Phase != corev1.ClaimBound {
		pvc.Status.Phase = corev1.ClaimBound
		pvc.Status.AccessModes = pvc.Spec.AccessModes
		pvc.Status.Capacity = pvc.Spec.Resources.Requests
		if _, err := pvcs.UpdateStatus(ctx, pvc, metav1.UpdateOptions{}); err != nil {
			w.r.log.V(1).Info("Could not mark claim bound", "pvc", klog.KRef(ns, claim), "error", err.Error())
			return
		}
	}
	w.boundClaims[claim] = true
}

// safeName turns a pod name into one path element.
func safeName(s string) string {
	return strings.ReplaceAll(s, string(filepath.Separator), "_")
}
