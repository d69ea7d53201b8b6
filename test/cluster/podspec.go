package cluster

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Binaries are the local programs that stand in for container images.
type Binaries struct {
	// Replikube runs images whose name contains "replikube".
	Replikube string
	// RedisServer runs upstream redis images; "redis-server" when empty.
	RedisServer string
}

// errImageNotMapped is the pod's waiting reason when no binary stands in for
// its image.
var errImageNotMapped = errors.New("cluster: image not mapped to a local binary")

// imageRepo is an image's repository without registry path, tag or digest:
// "docker.io/library/redis:7.0@sha256:..." -> "redis".
func imageRepo(image string) string {
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		repo = repo[i+1:]
	}
	repo, _, _ = strings.Cut(repo, ":")
	return repo
}

// argv is the process a container runs, before $(VAR) expansion: the image's
// entrypoint replaced by Command when set, then Args, with the program mapped
// to a local binary.
func (b Binaries) argv(image string, command, args []string) ([]string, error) {
	redisServer := b.RedisServer
	if redisServer == "" {
		redisServer = "redis-server"
	}
	var entrypoint []string
	switch {
	case strings.Contains(image, "replikube"):
		if b.Replikube == "" {
			return nil, fmt.Errorf("run image %s: %w: no replikube binary given", image, errImageNotMapped)
		}
		entrypoint = []string{b.Replikube}
	case imageRepo(image) == "redis":
		// The upstream entrypoint runs redis-server for arguments that
		// are flags or a config file.
		entrypoint = []string{redisServer}
	default:
		return nil, fmt.Errorf("run image %s: %w", image, errImageNotMapped)
	}
	if len(command) == 0 {
		return append(entrypoint, args...), nil
	}
	argv := append(append([]string{}, command...), args...)
	switch base := path.Base(command[0]); {
	case strings.Contains(base, "replikube") && b.Replikube != "":
		argv[0] = b.Replikube
	case base == "redis-server":
		argv[0] = redisServer
	}
	return argv, nil
}

// expand is Kubernetes' $(VAR) expansion: $(VAR) becomes VAR's value when VAR
// is defined and stays as written otherwise, $$ is a literal $, and any
// other $ is kept.
func expand(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// mount maps a container path to the directory that stands for it.
type mount struct {
	path string // absolute, cleaned container path
	dir  string // host directory
}

// sortMounts puts longer paths first, so that /data/x wins over /data.
func sortMounts(ms []mount) {
	sort.SliceStable(ms, func(i, j int) bool { return len(ms[i].path) > len(ms[j].path) })
}

// isPathByte reports whether c can be part of a path element; a mount path
// matches only where it is not preceded or followed by one.
func isPathByte(c byte) bool {
	return c == '.' || c == '-' || c == '_' || c == '/' || c == '~' ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// rewritePaths replaces each mount path that appears in s as a whole path
// (preceded by the start or a byte that cannot be in a path, followed by the
// end, a slash, or such a byte) with its directory. ms must be sorted by
// sortMounts. Each byte of s is looked at once, so a replacement is never
// rewritten again.
func rewritePaths(s string, ms []mount) string {
	if len(ms) == 0 || !strings.Contains(s, "/") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '/' && (i == 0 || !isPathByte(s[i-1])) {
			if m, ok := mountAt(s[i:], ms); ok {
				b.WriteString(m.dir)
				i += len(m.path)
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func mountAt(s string, ms []mount) (mount, bool) {
	for _, m := range ms {
		if m.path == "/" || !strings.HasPrefix(s, m.path) {
			continue
		}
		if rest := s[len(m.path):]; rest == "" || rest[0] == '/' || !isPathByte(rest[0]) {
			return m, true
		}
	}
	return mount{}, false
}

// objectSource is where env and volumes read ConfigMaps and Secrets.
type objectSource interface {
	ConfigMap(namespace, name string) (*corev1.ConfigMap, error)
	Secret(namespace, name string) (*corev1.Secret, error)
}

// containerEnv resolves a container's environment in Kubernetes' order:
// envFrom, then env, each value expanded from the variables before it. podIP
// is the address the runner gave the pod (status may not carry it yet).
func containerEnv(pod *corev1.Pod, c *corev1.Container, podIP string, src objectSource) ([]corev1.EnvVar, error) {
	var env []corev1.EnvVar
	index := map[string]int{}
	set := func(name, value string) {
		if i, ok := index[name]; ok {
			env[i].Value = value
			return
		}
		index[name] = len(env)
		env = append(env, corev1.EnvVar{Name: name, Value: value})
	}
	lookup := func(name string) (string, bool) {
		if i, ok := index[name]; ok {
			return env[i].Value, true
		}
		return "", false
	}
	for _, from := range c.EnvFrom {
		data, err := envFromData(pod.Namespace, from, src)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(from.Prefix+k, data[k])
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, lookup))
			continue
		}
		v, ok, err := envValueFrom(pod, e.ValueFrom, podIP, src)
		if err != nil {
			return nil, fmt.Errorf("resolve env %s: %w", e.Name, err)
		}
		if ok {
			set(e.Name, v)
		}
	}
	return env, nil
}

func envFromData(ns string, from corev1.EnvFromSource, src objectSource) (map[string]string, error) {
	switch {
	case from.ConfigMapRef != nil:
		cm, err := src.ConfigMap(ns, from.ConfigMapRef.Name)
		if err != nil {
			if isOptional(from.ConfigMapRef.Optional) {
				return nil, nil
			}
			return nil, fmt.Errorf("read configmap %s for envFrom: %w", from.ConfigMapRef.Name, err)
		}
		return cm.Data, nil
	case from.SecretRef != nil:
		s, err := src.Secret(ns, from.SecretRef.Name)
		if err != nil {
			if isOptional(from.SecretRef.Optional) {
				return nil, nil
			}
			return nil, fmt.Errorf("read secret %s for envFrom: %w", from.SecretRef.Name, err)
		}
		data := make(map[string]string, len(s.Data))
		for k, v := range s.Data {
			data[k] = string(v)
		}
		return data, nil
	}
	return nil, nil
}

func isOptional(p *bool) bool { return p != nil && *p }

// envValueFrom resolves one valueFrom; ok is false for a missing optional
// key, which leaves the variable unset.
func envValueFrom(pod *corev1.Pod, from *corev1.EnvVarSource, podIP string, src objectSource) (v string, ok bool, err error) {
	switch {
	case from.FieldRef != nil:
		v, err := fieldValue(pod, from.FieldRef.FieldPath, podIP)
		return v, err == nil, err
	case from.ConfigMapKeyRef != nil:
		ref := from.ConfigMapKeyRef
		cm, err := src.ConfigMap(pod.Namespace, ref.Name)
		if err != nil {
			if isOptional(ref.Optional) {
				return "", false, nil
			}
			return "", false, fmt.Errorf("read configmap %s: %w", ref.Name, err)
		}
		if v, ok := cm.Data[ref.Key]; ok {
			return v, true, nil
		}
		if isOptional(ref.Optional) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("configmap %s has no key %s", ref.Name, ref.Key)
	case from.SecretKeyRef != nil:
		ref := from.SecretKeyRef
		s, err := src.Secret(pod.Namespace, ref.Name)
		if err != nil {
			if isOptional(ref.Optional) {
				return "", false, nil
			}
			return "", false, fmt.Errorf("read secret %s: %w", ref.Name, err)
		}
		if v, ok := s.Data[ref.Key]; ok {
			return string(v), true, nil
		}
		if isOptional(ref.Optional) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("secret %s has no key %s", ref.Name, ref.Key)
	}
	// resourceFieldRef: there are no limits to report.
	return "", false, nil
}

// fieldValue is the downward API for env.
func fieldValue(pod *corev1.Pod, fieldPath, podIP string) (string, error) {
	switch fieldPath {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return podIP, nil
	case "status.hostIP", "status.hostIPs":
		return nodeIP, nil
	}
	for prefix, m := range map[string]map[string]string{
		"metadata.labels": pod.Labels, "metadata.annotations": pod.Annotations,
	} {
		if key, ok := strings.CutPrefix(fieldPath, prefix+"['"); ok {
			if key, ok = strings.CutSuffix(key, "']"); ok {
				return m[key], nil
			}
		}
	}
	return "", fmt.Errorf("unsupported fieldRef %s", fieldPath)
}

// volumeFiles are the files of a ConfigMap or Secret volume: the keys, or
// only the listed items at their paths.
func volumeFiles(data map[string][]byte, items []corev1.KeyToPath) (map[string][]byte, error) {
	if len(items) == 0 {
		return data, nil
	}
	files := make(map[string][]byte, len(items))
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return nil, fmt.Errorf("no key %s", it.Key)
		}
		p := filepath.Clean(it.Path)
		if filepath.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("item path %s leaves the volume", it.Path)
		}
		files[p] = v
	}
	return files, nil
}
