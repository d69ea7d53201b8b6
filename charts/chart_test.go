// Package charts holds the tests of the Helm chart in replikube/: they
// render it with the Helm library, decode every object strictly into the
// client-go types, and check it against what the chart must not drift
// from: the manager's flags (internal/manager), its RBAC rules
// (config/rbac, generated from the kubebuilder markers) and the Deployment
// of config/manager, so that `helm install` and `kubectl apply -k
// config/default` install the same operator.
package charts

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/replikube/replikube/controllers"
	"github.com/replikube/replikube/internal/manager"
)

const (
	chartDir  = "replikube"
	release   = "replikube"
	namespace = "replikube-system"
)

// decoder is strict: a field the API does not know fails the test.
var decoder = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// objects is one rendering of the chart.
type objects []client.Object

func render(t *testing.T, releaseName string, vals map[string]any) (objects, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	top, err := util.ToRenderValues(ch, vals,
		common.ReleaseOptions{Name: releaseName, Namespace: namespace, IsInstall: true}, nil)
	if err != nil {
		return nil, err
	}
	files, err := engine.Engine{Strict: true}.RenderWithContext(context.Background(), ch, top)
	if err != nil {
		return nil, err
	}
	var objs objects
	for name, text := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			if !strings.Contains(text, "kubectl") {
				t.Errorf("%s: no instructions:\n%s", name, text)
			}
			continue
		}
		objs = append(objs, decodeAll(t, name, text)...)
	}
	return objs, nil
}

// mustRender renders the chart as release "replikube" with vals over the
// defaults, and checks what every rendering must satisfy.
func mustRender(t *testing.T, vals map[string]any) objects {
	t.Helper()
	objs, err := render(t, release, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	checkInvariants(t, objs)
	return objs
}

// decodeAll decodes every YAML document of a rendered template; documents
// that are only blank lines or comments (a disabled template) are skipped.
func decodeAll(t *testing.T, name, text string) []client.Object {
	t.Helper()
	var objs []client.Object
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(text)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("%s: read YAML: %v", name, err)
		}
		if blank(string(doc)) {
			continue
		}
		obj, gvk, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: decode: %v\n%s", name, err, doc)
		}
		o, ok := obj.(client.Object)
		if !ok || o.GetName() == "" {
			t.Fatalf("%s: %v without a name:\n%s", name, gvk, doc)
		}
		objs = append(objs, o)
	}
}

func blank(doc string) bool {
	for line := range strings.SplitSeq(doc, "\n") {
		if l := strings.TrimSpace(line); l != "" && l != "---" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// all returns the objects of type T.
func all[T client.Object](objs objects) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// one returns the only object of type T.
func one[T client.Object](t *testing.T, objs objects) T {
	t.Helper()
	found := all[T](objs)
	if len(found) != 1 {
		var zero T
		t.Fatalf("%d objects of type %T, want 1", len(found), zero)
	}
	return found[0]
}

// readObject decodes the document of kind in a file of config/.
func readObject[T client.Object](t *testing.T, path string) T {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return one[T](t, decodeAll(t, path, string(data)))
}

// container returns the Deployment's only container, the manager.
func container(t *testing.T, objs objects) *corev1.Container {
	t.Helper()
	d := one[*appsv1.Deployment](t, objs)
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%d containers, want 1", n)
	}
	return &d.Spec.Template.Spec.Containers[0]
}

// flags returns the container's --name=value arguments after `manager`
// (a bare --name maps to "true").
func flags(t *testing.T, c *corev1.Container) map[string]string {
	t.Helper()
	if len(c.Args) == 0 || c.Args[0] != "manager" {
		t.Fatalf("args %q do not start with the manager subcommand", c.Args)
	}
	out := map[string]string{}
	for _, a := range c.Args[1:] {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok {
			value = "true"
		}
		out[name] = value
	}
	return out
}

// managerAccepts reports whether `replikube manager` parses args: -h after
// them makes it stop once every argument before it has parsed, exit code 0;
// an unknown flag or a bad value gives 2. A renamed flag fails here.
func managerAccepts(t *testing.T, args []string) bool {
	t.Helper()
	stderr := os.Stderr
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	os.Stderr = devnull // the usage text
	defer func() { os.Stderr = stderr }()
	return manager.Run(context.Background(), append(append([]string(nil), args...), "-h")) == 0
}

func portNamed(t *testing.T, c *corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("container has no port %q: %+v", name, c.Ports)
	return 0
}

// bindPort is the port of a bind address such as ":8081".
func bindPort(t *testing.T, addr string) int32 {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	p, err := strconv.ParseInt(addr[i+1:], 10, 32)
	if err != nil {
		t.Fatalf("bind address %q: %v", addr, err)
	}
	return int32(p)
}

// checkInvariants holds for every set of values.
func checkInvariants(t *testing.T, objs objects) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range objs {
		kind := reflect.TypeOf(o).Elem().Name()
		key := kind + " " + o.GetNamespace() + "/" + o.GetName()
		if seen[key] {
			t.Errorf("%s rendered twice", key)
		}
		seen[key] = true
		l := o.GetLabels()
		if l["app.kubernetes.io/managed-by"] != "Helm" || l["app.kubernetes.io/instance"] == "" || l["app.kubernetes.io/name"] == "" {
			t.Errorf("%s: labels %v", key, l)
		}
		switch o.(type) {
		case *rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding:
		default:
			if o.GetNamespace() == "" {
				t.Errorf("%s has no namespace", key)
			}
		}
	}

	d := one[*appsv1.Deployment](t, objs)
	pod := d.Spec.Template
	for k, v := range d.Spec.Selector.MatchLabels {
		if pod.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod labels %v", k, v, pod.Labels)
		}
	}
	c := container(t, objs)
	if !managerAccepts(t, c.Args[1:]) {
		t.Errorf("replikube manager rejects the args %q", c.Args)
	}
	f := flags(t, c)
	// The probes call the health address, the metrics port is the metrics
	// address.
	probes := bindPort(t, f["health-probe-bind-address"])
	if got := portNamed(t, c, "probes"); got != probes {
		t.Errorf("probes port %d, --health-probe-bind-address %s", got, f["health-probe-bind-address"])
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.StrVal != "probes" {
			t.Fatalf("probe %+v does not call the probes port", p)
		}
	}
	if c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("probe paths %s, %s", c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path)
	}
	if f["metrics-bind-address"] != "0" {
		if got, want := portNamed(t, c, "metrics"), bindPort(t, f["metrics-bind-address"]); got != want {
			t.Errorf("metrics port %d, --metrics-bind-address %s", got, f["metrics-bind-address"])
		}
	}
	for _, s := range all[*corev1.Service](objs) {
		for k, v := range s.Spec.Selector {
			if pod.Labels[k] != v {
				t.Errorf("Service %s selects %s=%s, pod labels %v", s.Name, k, v, pod.Labels)
			}
		}
		for _, p := range s.Spec.Ports {
			portNamed(t, c, p.TargetPort.StrVal)
		}
	}

	// Non-root, read-only root file system, nothing to escalate to.
	psc, sc := pod.Spec.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot ||
		sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("security contexts: pod %+v, container %+v", psc, sc)
	}

	// The bindings name the rendered roles and the Deployment's
	// ServiceAccount.
	sa := pod.Spec.ServiceAccountName
	roles := map[string]bool{}
	for _, r := range all[*rbacv1.Role](objs) {
		roles["Role "+r.Namespace+"/"+r.Name] = true
	}
	for _, r := range all[*rbacv1.ClusterRole](objs) {
		roles["ClusterRole /"+r.Name] = true
	}
	checkBinding := func(name, ns string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) {
		if !roles[ref.Kind+" "+ns+"/"+ref.Name] {
			t.Errorf("binding %s refers to %s %s, not rendered", name, ref.Kind, ref.Name)
		}
		want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: namespace}}
		if !reflect.DeepEqual(subjects, want) {
			t.Errorf("binding %s subjects %+v, want %+v", name, subjects, want)
		}
	}
	for _, b := range all[*rbacv1.RoleBinding](objs) {
		checkBinding(b.Name, b.Namespace, b.RoleRef, b.Subjects)
	}
	for _, b := range all[*rbacv1.ClusterRoleBinding](objs) {
		checkBinding(b.Name, "", b.RoleRef, b.Subjects)
	}
	if sas := all[*corev1.ServiceAccount](objs); len(sas) > 0 && (len(sas) != 1 || sas[0].Name != sa) {
		t.Errorf("ServiceAccounts %v, the Deployment runs as %s", sas, sa)
	}
}

// managerRules are the rules controller-gen wrote from the markers.
func managerRules(t *testing.T) []rbacv1.PolicyRule {
	return readObject[*rbacv1.ClusterRole](t, "../config/rbac/role.yaml").Rules
}

// TestDefaults: the default values install what config/default installs.
func TestDefaults(t *testing.T) {
	objs := mustRender(t, nil)
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, reflect.TypeOf(o).Elem().Name()+" "+o.GetName())
	}
	want := []string{
		"ClusterRole replikube-manager", "ClusterRoleBinding replikube-manager",
		"Deployment replikube-manager", "Role replikube-leader-election",
		"RoleBinding replikube-leader-election", "Service replikube-metrics",
		"ServiceAccount replikube-manager",
	}
	if !sameSet(kinds, want) {
		t.Errorf("objects %q, want %q", kinds, want)
	}

	if got := one[*rbacv1.ClusterRole](t, objs).Rules; !reflect.DeepEqual(got, managerRules(t)) {
		t.Errorf("ClusterRole rules differ from config/rbac/role.yaml (make manifests):\n%+v", got)
	}
	le := readObject[*rbacv1.Role](t, "../config/rbac/leader_election_role.yaml")
	if got := one[*rbacv1.Role](t, objs); !reflect.DeepEqual(got.Rules, le.Rules) || got.Namespace != namespace {
		t.Errorf("leader election Role %s/%s %+v, want config/rbac's rules %+v", got.Namespace, got.Name, got.Rules, le.Rules)
	}

	// The Deployment is config/manager's, plus flags that spell out the
	// manager's defaults.
	d := one[*appsv1.Deployment](t, objs)
	kd := readObject[*appsv1.Deployment](t, "../config/manager/manager.yaml")
	c, kc := container(t, objs), &kd.Spec.Template.Spec.Containers[0]
	if d.Name != kd.Name || d.Namespace != kd.Namespace || *d.Spec.Replicas != *kd.Spec.Replicas {
		t.Errorf("Deployment %s/%s replicas %d, config/manager %s/%s %d",
			d.Namespace, d.Name, *d.Spec.Replicas, kd.Namespace, kd.Name, *kd.Spec.Replicas)
	}
	if c.Image != kc.Image || c.Name != kc.Name {
		t.Errorf("container %s image %s, config/manager %s %s", c.Name, c.Image, kc.Name, kc.Image)
	}
	ps, kps := d.Spec.Template.Spec, kd.Spec.Template.Spec
	for _, field := range []struct {
		name      string
		got, want any
	}{
		{"pod securityContext", ps.SecurityContext, kps.SecurityContext},
		{"serviceAccountName", ps.ServiceAccountName, kps.ServiceAccountName},
		{"terminationGracePeriodSeconds", ps.TerminationGracePeriodSeconds, kps.TerminationGracePeriodSeconds},
		{"securityContext", c.SecurityContext, kc.SecurityContext},
		{"livenessProbe", c.LivenessProbe, kc.LivenessProbe},
		{"readinessProbe", c.ReadinessProbe, kc.ReadinessProbe},
		{"resources", c.Resources, kc.Resources},
		{"ports", withoutProtocol(c.Ports), kc.Ports},
	} {
		if !apiequality.Semantic.DeepEqual(field.got, field.want) {
			t.Errorf("%s differs from config/manager:\n got %+v\nwant %+v", field.name, field.got, field.want)
		}
	}
	f, kf := flags(t, c), flags(t, kc)
	for name, v := range kf {
		if f[name] != v {
			t.Errorf("--%s=%q, config/manager %q", name, f[name], v)
		}
	}
	for name, want := range map[string]string{
		"redis-image":    manager.DefaultImage,
		"poll-interval":  controllers.DefaultPollInterval.String(),
		"pod-timeout":    controllers.DefaultPodTimeout.String(),
		"cluster-domain": controllers.DefaultClusterDomain,
	} {
		if f[name] != want {
			t.Errorf("--%s=%q, the manager's default is %q", name, f[name], want)
		}
	}
}

func withoutProtocol(ports []corev1.ContainerPort) []corev1.ContainerPort {
	out := append([]corev1.ContainerPort(nil), ports...)
	for i := range out {
		out[i].Protocol = ""
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestOverrides(t *testing.T) {
	tests := []struct {
		name  string
		vals  map[string]any
		check func(t *testing.T, objs objects)
	}{
		{"image and pull secrets", map[string]any{
			"image":            map[string]any{"repository": "ghcr.io/acme/replikube", "tag": "v0.2.0", "pullPolicy": "Always"},
			"imagePullSecrets": []any{map[string]any{"name": "regcred"}},
		}, func(t *testing.T, objs objects) {
			c := container(t, objs)
			if c.Image != "ghcr.io/acme/replikube:v0.2.0" || c.ImagePullPolicy != corev1.PullAlways {
				t.Errorf("image %s %s", c.Image, c.ImagePullPolicy)
			}
			// The pods of groups run the operator's image.
			if f := flags(t, c); f["redis-image"] != c.Image {
				t.Errorf("--redis-image=%s, want the operator's %s", f["redis-image"], c.Image)
			}
			if s := one[*appsv1.Deployment](t, objs).Spec.Template.Spec.ImagePullSecrets; len(s) != 1 || s[0].Name != "regcred" {
				t.Errorf("imagePullSecrets %v", s)
			}
		}},
		{"manager flags", map[string]any{"manager": map[string]any{
			"redisImage": "redis:7.0.15", "pollInterval": "500ms", "podTimeout": "3s",
			"clusterDomain": "k8s.example", "logLevel": "debug", "extraArgs": []any{"--zap-devel"},
		}}, func(t *testing.T, objs objects) {
			f := flags(t, container(t, objs))
			for name, want := range map[string]string{"redis-image": "redis:7.0.15", "poll-interval": "500ms",
				"pod-timeout": "3s", "cluster-domain": "k8s.example", "zap-log-level": "debug", "zap-devel": "true"} {
				if f[name] != want {
					t.Errorf("--%s=%q, want %q", name, f[name], want)
				}
			}
		}},
		{"watch namespace: a Role there", map[string]any{"manager": map[string]any{"watchNamespace": "apps"}},
			func(t *testing.T, objs objects) {
				if n := len(all[*rbacv1.ClusterRole](objs)) + len(all[*rbacv1.ClusterRoleBinding](objs)); n != 0 {
					t.Errorf("%d cluster-scoped RBAC objects", n)
				}
				var found bool
				for _, r := range all[*rbacv1.Role](objs) {
					if r.Namespace == "apps" {
						found = true
						if !reflect.DeepEqual(r.Rules, managerRules(t)) {
							t.Errorf("Role apps/%s rules differ from config/rbac/role.yaml", r.Name)
						}
					}
				}
				if !found {
					t.Error("no Role in namespace apps")
				}
				if f := flags(t, container(t, objs)); f["watch-namespace"] != "apps" {
					t.Errorf("--watch-namespace=%q", f["watch-namespace"])
				}
			}},
		{"leader election off", map[string]any{"manager": map[string]any{"leaderElection": map[string]any{"enabled": false}}},
			func(t *testing.T, objs objects) {
				if _, ok := flags(t, container(t, objs))["leader-elect"]; ok {
					t.Error("--leader-elect set")
				}
				if n := len(all[*rbacv1.Role](objs)); n != 0 {
					t.Errorf("%d Roles", n)
				}
			}},
		{"leader election namespace", map[string]any{"manager": map[string]any{"leaderElection": map[string]any{"namespace": "ops"}}},
			func(t *testing.T, objs objects) {
				if r := one[*rbacv1.Role](t, objs); r.Namespace != "ops" {
					t.Errorf("leader election Role in %s", r.Namespace)
				}
				if f := flags(t, container(t, objs)); f["leader-election-namespace"] != "ops" {
					t.Errorf("--leader-election-namespace=%q", f["leader-election-namespace"])
				}
			}},
		{"metrics off", map[string]any{"manager": map[string]any{"metricsBindAddress": "0"}},
			func(t *testing.T, objs objects) {
				if n := len(all[*corev1.Service](objs)); n != 0 {
					t.Errorf("%d Services", n)
				}
				if p := container(t, objs).Ports; len(p) != 1 || p[0].Name != "probes" {
					t.Errorf("ports %+v", p)
				}
			}},
		{"other ports", map[string]any{
			"manager": map[string]any{"metricsBindAddress": ":9090", "healthProbeBindAddress": "0.0.0.0:9440"},
			"metrics": map[string]any{"service": map[string]any{"port": 443, "annotations": map[string]any{"prometheus.io/scrape": "true"}}},
		}, func(t *testing.T, objs objects) {
			s := one[*corev1.Service](t, objs)
			if s.Spec.Ports[0].Port != 443 || s.Annotations["prometheus.io/scrape"] != "true" {
				t.Errorf("Service %+v", s)
			}
		}},
		{"existing ServiceAccount, no RBAC", map[string]any{
			"serviceAccount": map[string]any{"create": false, "name": "ops-sa"},
			"rbac":           map[string]any{"create": false},
		}, func(t *testing.T, objs objects) {
			for _, o := range objs {
				switch o.(type) {
				case *appsv1.Deployment, *corev1.Service:
				default:
					t.Errorf("%T %s rendered", o, o.GetName())
				}
			}
			if sa := one[*appsv1.Deployment](t, objs).Spec.Template.Spec.ServiceAccountName; sa != "ops-sa" {
				t.Errorf("serviceAccountName %s", sa)
			}
		}},
		{"pod placement and annotations", map[string]any{
			"replicaCount":   2,
			"nodeSelector":   map[string]any{"kubernetes.io/os": "linux"},
			"tolerations":    []any{map[string]any{"key": "ops", "operator": "Exists", "effect": "NoSchedule"}},
			"affinity":       map[string]any{"nodeAffinity": map[string]any{}},
			"podAnnotations": map[string]any{"a": "b"},
			"podLabels":      map[string]any{"team": "cache"},
			"resources":      map[string]any{"limits": map[string]any{"cpu": "1"}},
			"serviceAccount": map[string]any{"annotations": map[string]any{"iam": "role"}},
		}, func(t *testing.T, objs objects) {
			d := one[*appsv1.Deployment](t, objs)
			ps := d.Spec.Template.Spec
			if *d.Spec.Replicas != 2 || ps.NodeSelector["kubernetes.io/os"] != "linux" || len(ps.Tolerations) != 1 ||
				ps.Affinity == nil || ps.Affinity.NodeAffinity == nil || d.Spec.Template.Annotations["a"] != "b" ||
				d.Spec.Template.Labels["team"] != "cache" || container(t, objs).Resources.Limits.Cpu().String() != "1" {
				t.Errorf("Deployment %+v", d.Spec)
			}
			if sa := one[*corev1.ServiceAccount](t, objs); sa.Annotations["iam"] != "role" {
				t.Errorf("ServiceAccount annotations %v", sa.Annotations)
			}
		}},
		{"fullnameOverride", map[string]any{"fullnameOverride": "cache-op"},
			func(t *testing.T, objs objects) {
				if d := one[*appsv1.Deployment](t, objs); d.Name != "cache-op-manager" {
					t.Errorf("Deployment %s", d.Name)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustRender(t, tt.vals))
		})
	}
}

// TestReleaseName: another release name prefixes the names; two releases
// in one cluster do not share cluster-scoped names.
func TestReleaseName(t *testing.T) {
	objs, err := render(t, "ops", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, objs)
	if cr := one[*rbacv1.ClusterRole](t, objs); cr.Name != "ops-replikube-manager" {
		t.Errorf("ClusterRole %s", cr.Name)
	}
}

// TestInvalidValues: values the operator cannot run with fail the render
// (a template's required or fail, or values.schema.json) with a message,
// instead of installing a broken Deployment.
func TestInvalidValues(t *testing.T) {
	for _, tt := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"no health address", map[string]any{"manager": map[string]any{"healthProbeBindAddress": ""}}, "healthProbeBindAddress is required"},
		{"health address without port", map[string]any{"manager": map[string]any{"healthProbeBindAddress": "localhost"}}, "has no port"},
		{"no ServiceAccount name", map[string]any{"serviceAccount": map[string]any{"create": false}}, "serviceAccount.name is required"},
		// values.schema.json
		{"no image", map[string]any{"image": map[string]any{"repository": ""}}, "/image/repository"},
		{"misspelt flag value", map[string]any{"manager": map[string]any{"pollIntervall": "1s"}}, "pollIntervall"},
		{"not a duration", map[string]any{"manager": map[string]any{"podTimeout": "5"}}, "/manager/podTimeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, release, tt.vals)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestLint is `helm lint`: Chart.yaml, values, templates, CRDs.
func TestLint(t *testing.T) {
	for _, vals := range []map[string]any{nil, {"manager": map[string]any{"watchNamespace": "apps"}}} {
		res := lint.RunAll(chartDir, vals, namespace)
		for _, m := range res.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("lint: %s", m)
			} else {
				t.Logf("lint: %s", m)
			}
		}
	}
}

// TestCRDs: the chart installs the CRDs config/crd installs.
func TestCRDs(t *testing.T) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	crds := ch.CRDObjects()
	if len(crds) != 1 {
		t.Fatalf("%d CRDs in the chart", len(crds))
	}
	want, err := os.ReadFile("../config/crd/bases/" + path.Base(crds[0].Name))
	if err != nil {
		t.Fatal(err)
	}
	if string(crds[0].File.Data) != string(want) {
		t.Errorf("%s differs from config/crd/bases (make manifests)", crds[0].Filename)
	}
}

// TestValuesDocumented: every key of values.yaml is in the values table of
// the chart's README (a map documented as a whole, such as resources,
// covers its keys).
func TestValuesDocumented(t *testing.T) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(path.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := prefix + k
			if strings.Contains(string(readme), "| `"+key+"` |") {
				continue
			}
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
				walk(key+".", sub)
				continue
			}
			t.Errorf("value %s is not in the table of %s/README.md", key, chartDir)
		}
	}
	walk("", ch.Values)
}
