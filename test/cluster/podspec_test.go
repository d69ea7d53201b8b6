package cluster

import (
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"POD_IP": "127.0.10.1", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	for _, tc := range []struct{ in, want string }{
		{"--bind $(POD_IP)", "--bind 127.0.10.1"},
		{"$(POD_IP):$(POD_IP)", "127.0.10.1:127.0.10.1"},
		{"$(MISSING)", "$(MISSING)"},
		{"$$(POD_IP)", "$(POD_IP)"},
		{"a$$b", "a$b"},
		{"$(EMPTY)x", "x"},
		{"$(POD_IP", "$(POD_IP"},
		{"cost $5", "cost $5"},
		{"trailing $", "trailing $"},
		{"", ""},
	} {
		if got := expand(tc.in, lookup); got != tc.want {
			t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRewritePaths(t *testing.T) {
	ms := []mount{{"/data", "/run/p/data"}, {"/tmp", "/run/p/tmp"}, {"/etc/replikube", "/run/p/config"}, {"/data/sub", "/run/pvc/sub"}}
	sortMounts(ms)
	for _, tc := range []struct{ in, want string }{
		{"dir /data\n", "dir /run/p/data\n"},
		{"/data", "/run/p/data"},
		{"/data/dump.rdb", "/run/p/data/dump.rdb"},
		{"/data/sub/x", "/run/pvc/sub/x"},
		{"/database", "/database"},
		{"/srv/data", "/srv/data"},
		{`unixsocket "/tmp/redis.sock"`, `unixsocket "/run/p/tmp/redis.sock"`},
		{"--include /etc/replikube/$(POD_NAME).conf", "--include /run/p/config/$(POD_NAME).conf"},
		{"--dir=/data", "--dir=/run/p/data"},
		{"no paths", "no paths"},
	} {
		if got := rewritePaths(tc.in, ms); got != tc.want {
			t.Errorf("rewritePaths(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// A replacement is not rewritten again even when it holds a mount path.
	ms = []mount{{"/tmp", "/tmp/run/tmp"}}
	if got := rewritePaths("/tmp/x", ms); got != "/tmp/run/tmp/x" {
		t.Errorf("rewritePaths twice-prone = %q", got)
	}
}

func TestArgv(t *testing.T) {
	b := Binaries{Replikube: "/repo/bin/replikube", RedisServer: "/usr/bin/redis-server"}
	for _, tc := range []struct {
		image         string
		command, args []string
		want          []string
		err           error
	}{
		{"replikube:dev", nil, []string{"server", "x.conf"}, []string{"/repo/bin/replikube", "server", "x.conf"}, nil},
		{"ghcr.io/replikube/replikube@sha256:ab", nil, []string{"server"}, []string{"/repo/bin/replikube", "server"}, nil},
		{"redis:7.0", []string{"redis-server"}, []string{"/c.conf"}, []string{"/usr/bin/redis-server", "/c.conf"}, nil},
		{"docker.io/library/redis:7.0.15", nil, []string{"--port", "1"}, []string{"/usr/bin/redis-server", "--port", "1"}, nil},
		{"redis:7.0", []string{"sh", "-c", "true"}, nil, []string{"sh", "-c", "true"}, nil},
		{"nginx:1", nil, nil, nil, errImageNotMapped},
		{"redis-exporter:1", nil, nil, nil, errImageNotMapped},
	} {
		got, err := b.argv(tc.image, tc.command, tc.args)
		if !errors.Is(err, tc.err) || !slices.Equal(got, tc.want) {
			t.Errorf("argv(%s, %q, %q) = %q, %v; want %q, %v", tc.image, tc.command, tc.args, got, err, tc.want, tc.err)
		}
	}
}

type fakeObjects struct {
	cms     map[string]*corev1.ConfigMap
	secrets map[string]*corev1.Secret
}

func (f fakeObjects) ConfigMap(_, name string) (*corev1.ConfigMap, error) {
	if cm, ok := f.cms[name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func (f fakeObjects) Secret(_, name string) (*corev1.Secret, error) {
	if s, ok := f.secrets[name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func TestContainerEnv(t *testing.T) {
	src := fakeObjects{
		cms:     map[string]*corev1.ConfigMap{"cm": {Data: map[string]string{"mode": "fast", "A": "1"}}},
		secrets: map[string]*corev1.Secret{"auth": {Data: map[string][]byte{"password": []byte("pw")}}},
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "rg-0", Namespace: "ns", Labels: map[string]string{"role": "master"}}}
	c := &corev1.Container{
		EnvFrom: []corev1.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}},
		Env: []corev1.EnvVar{
			{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: "NS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
			{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "ROLE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['role']"}}},
			{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "auth"}, Key: "password"}}},
			{Name: "MODE", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}, Key: "mode"}}},
			{Name: "OPT", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k", Optional: new(true)}}},
			{Name: "ADDR", Value: "$(POD_IP):6379"},
		},
	}
	env, err := containerEnv(pod, c, "127.0.10.7", src)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range env {
		got[e.Name] = e.Value
	}
	want := map[string]string{
		"CM_A": "1", "CM_mode": "fast", "POD_NAME": "rg-0", "NS": "ns", "POD_IP": "127.0.10.7",
		"ROLE": "master", "PASSWORD": "pw", "MODE": "fast", "ADDR": "127.0.10.7:6379",
	}
	if len(got) != len(want) {
		t.Errorf("env = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("env %s = %q, want %q", k, got[k], v)
		}
	}

	c.Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: "auth"}, Key: "nokey"}}}}
	if _, err := containerEnv(pod, c, "", src); err == nil {
		t.Error("a missing required secret key: no error")
	}
}

func TestVolumeFiles(t *testing.T) {
	data := map[string][]byte{"redis.conf": []byte("x"), "a.conf": []byte("y")}
	files, err := volumeFiles(data, []corev1.KeyToPath{{Key: "redis.conf", Path: "conf/redis.conf"}})
	if err != nil || len(files) != 1 || string(files["conf/redis.conf"]) != "x" {
		t.Errorf("items: %v, %v", files, err)
	}
	if _, err := volumeFiles(data, []corev1.KeyToPath{{Key: "a.conf", Path: "../escape"}}); err == nil {
		t.Error("a path leaving the volume: no error")
	}
	if _, err := volumeFiles(data, []corev1.KeyToPath{{Key: "nope", Path: "x"}}); err == nil {
		t.Error("a missing key: no error")
	}
}
