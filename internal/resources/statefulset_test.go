package resources

import (
	"maps"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/replikube/replikube/api/v1alpha1"
)

func TestDataPlaneOf(t *testing.T) {
	tests := []struct {
		image string
		want  DataPlane
	}{
		{"redis", DataPlaneRedis},
		{"redis:7.0.15", DataPlaneRedis},
		{"docker.io/library/redis:7.0", DataPlaneRedis},
		{"registry:5000/redis@sha256:abc", DataPlaneRedis},
		{"ghcr.io/replikube/replikube:v0.1.0", DataPlaneReplikube},
		{"localhost:5000/redis-stack:7", DataPlaneReplikube},
		{"", DataPlaneReplikube},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			if got := DataPlaneOf(tt.image); got != tt.want {
				t.Errorf("DataPlaneOf(%q) = %s, want %s", tt.image, got, tt.want)
			}
		})
	}
}

func TestImage(t *testing.T) {
	rg := group()
	if got := Image(rg, "op:1"); got != "op:1" {
		t.Errorf("empty spec.image: got %s, want the operator's image", got)
	}
	rg.Spec.Image = "redis:7.0"
	if got := Image(rg, "op:1"); got != "redis:7.0" {
		t.Errorf("got %s, want spec.image", got)
	}
}

func TestStatefulSet(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*v1alpha1.ReplicationGroup)
		image  string
		check  func(t *testing.T, sts *appsv1.StatefulSet)
	}{{
		name:  "defaults: emptyDir, our data plane",
		image: "replikube:dev",
		check: func(t *testing.T, sts *appsv1.StatefulSet) {
			if len(sts.Spec.VolumeClaimTemplates) != 0 {
				t.Error("volume claim templates without spec.storage")
			}
			if v := volume(sts, volumeData); v == nil || v.EmptyDir == nil {
				t.Errorf("data volume %+v, want an emptyDir", v)
			}
			c := sts.Spec.Template.Spec.Containers[0]
			if c.Command != nil || len(c.Args) == 0 || c.Args[0] != "server" {
				t.Errorf("command %v args %v, want the entrypoint with `server`", c.Command, c.Args)
			}
		},
	}, {
		name:  "upstream redis runs redis-server with the same config",
		image: "redis:7.0",
		check: func(t *testing.T, sts *appsv1.StatefulSet) {
			c := sts.Spec.Template.Spec.Containers[0]
			if !slices.Equal(c.Command, []string{"redis-server"}) || c.Args[0] != "/etc/replikube/redis.conf" {
				t.Errorf("command %v args %v", c.Command, c.Args)
			}
		},
	}, {
		name: "storage makes a claim template and no data volume",
		mutate: func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Storage = &v1alpha1.StorageSpec{Size: resource.MustParse("2Gi"), StorageClassName: ptr.To("fast")}
		},
		check: func(t *testing.T, sts *appsv1.StatefulSet) {
			if volume(sts, volumeData) != nil {
				t.Error("data volume alongside the claim template")
			}
			if len(sts.Spec.VolumeClaimTemplates) != 1 {
				t.Fatalf("claim templates %d, want 1", len(sts.Spec.VolumeClaimTemplates))
			}
			pvc := sts.Spec.VolumeClaimTemplates[0]
			if pvc.Name != volumeData || *pvc.Spec.StorageClassName != "fast" ||
				!pvc.Spec.Resources.Requests.Storage().Equal(resource.MustParse("2Gi")) {
				t.Errorf("claim template %+v", pvc)
			}
		},
	}, {
		name: "scheduling, resources, user labels and annotations",
		mutate: func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")}}
			rg.Spec.Pod = v1alpha1.PodTemplate{
				Labels:            map[string]string{"team": "a"},
				Annotations:       map[string]string{"note": "x"},
				NodeSelector:      map[string]string{"disk": "ssd"},
				Tolerations:       []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}},
				PriorityClassName: "high",
				Affinity:          &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{}},
				TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
					MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.ScheduleAnyway,
				}},
			}
		},
		check: func(t *testing.T, sts *appsv1.StatefulSet) {
			tpl := sts.Spec.Template
			p := tpl.Spec
			if p.NodeSelector["disk"] != "ssd" || len(p.Tolerations) != 1 || p.PriorityClassName != "high" ||
				p.Affinity == nil || len(p.TopologySpreadConstraints) != 1 {
				t.Errorf("scheduling fields not carried: %+v", p)
			}
			if !p.Containers[0].Resources.Limits.Memory().Equal(resource.MustParse("512Mi")) {
				t.Errorf("resources %+v", p.Containers[0].Resources)
			}
			if tpl.Labels["team"] != "a" || tpl.Labels[LabelInstance] != "cache" {
				t.Errorf("template labels %v", tpl.Labels)
			}
			if tpl.Annotations["note"] != "x" || tpl.Annotations[AnnotationConfigHash] != "abc" ||
				tpl.Annotations[AnnotationConfig] != "maxmemory 1mb\n" {
				t.Errorf("template annotations %v", tpl.Annotations)
			}
		},
	}, {
		name: "user secret and key feed the password env var",
		mutate: func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Auth = v1alpha1.AuthSpec{SecretName: "mine", SecretKey: "pw"}
		},
		check: func(t *testing.T, sts *appsv1.StatefulSet) {
			ref := env(sts, EnvPassword).ValueFrom.SecretKeyRef
			if ref.Name != "mine" || ref.Key != "pw" {
				t.Errorf("password from %s/%s, want mine/pw", ref.Name, ref.Key)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := group()
			if tt.mutate != nil {
				tt.mutate(rg)
			}
			image := tt.image
			if image == "" {
				image = "replikube:dev"
			}
			sts := StatefulSet(rg, PodSettings{Image: image, ConfigHash: "abc", Config: "maxmemory 1mb\n"})
			checkStatefulSetInvariants(t, rg, sts, image)
			tt.check(t, sts)
		})
	}
}

// checkStatefulSetInvariants holds for every group.
func checkStatefulSetInvariants(t *testing.T, rg *v1alpha1.ReplicationGroup, sts *appsv1.StatefulSet, image string) {
	t.Helper()
	s := sts.Spec
	if sts.Name != "cache" || s.ServiceName != "cache-headless" || *s.Replicas != rg.Spec.Replicas {
		t.Errorf("name %s service %s replicas %d", sts.Name, s.ServiceName, *s.Replicas)
	}
	if s.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType {
		t.Errorf("update strategy %s, want OnDelete", s.UpdateStrategy.Type)
	}
	if !maps.Equal(s.Selector.MatchLabels, SelectorLabels(rg)) {
		t.Errorf("selector %v", s.Selector.MatchLabels)
	}
	for k, v := range s.Selector.MatchLabels {
		if s.Template.Labels[k] != v {
			t.Errorf("template labels %v do not match the selector", s.Template.Labels)
		}
	}
	if _, ok := s.Template.Labels[v1alpha1.LabelRole]; ok {
		t.Error("role label in the template: the operator sets it per pod")
	}
	p := s.Template.Spec
	if len(p.ReadinessGates) != 1 || p.ReadinessGates[0].ConditionType != v1alpha1.PodConditionSynced {
		t.Errorf("readiness gates %v", p.ReadinessGates)
	}
	if sc := p.SecurityContext; sc == nil || !*sc.RunAsNonRoot || *sc.RunAsUser == 0 {
		t.Errorf("pod security context %+v", sc)
	}
	if len(p.Containers) != 1 {
		t.Fatalf("%d containers", len(p.Containers))
	}
	c := p.Containers[0]
	if c.Image != image {
		t.Errorf("image %s, want %s", c.Image, image)
	}
	if sc := c.SecurityContext; sc == nil || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation {
		t.Errorf("container security context %+v", sc)
	}
	if c.ReadinessProbe == nil || c.LivenessProbe == nil {
		t.Error("missing probes")
	}
	if ip := env(sts, EnvPodIP); ip == nil || ip.ValueFrom.FieldRef.FieldPath != "status.podIP" {
		t.Errorf("POD_IP env %+v", ip)
	}
	if !hasArgPair(c.Args, "--replica-announce-ip", "$(POD_IP)") || !hasArgPair(c.Args, "--include", "/etc/replikube/$(POD_NAME).conf") ||
		!hasArgPair(c.Args, "--masterauth", "$(REDIS_PASSWORD)") {
		t.Errorf("args %v", c.Args)
	}
	for _, m := range c.VolumeMounts {
		if volume(sts, m.Name) == nil && !slices.ContainsFunc(s.VolumeClaimTemplates, func(pvc corev1.PersistentVolumeClaim) bool {
			return pvc.Name == m.Name
		}) {
			t.Errorf("mount %s has no volume", m.Name)
		}
	}
}

func volume(sts *appsv1.StatefulSet, name string) *corev1.Volume {
	for i, v := range sts.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return &sts.Spec.Template.Spec.Volumes[i]
		}
	}
	return nil
}

func env(sts *appsv1.StatefulSet, name string) *corev1.EnvVar {
	for i, e := range sts.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name {
			return &sts.Spec.Template.Spec.Containers[0].Env[i]
		}
	}
	return nil
}

func hasArgPair(args []string, flag, value string) bool {
	i := slices.Index(args, flag)
	return i >= 0 && i+1 < len(args) && args[i+1] == value
}

// A master at an ordinal that a scale-down removes keeps its pod until a
// replica has taken over: the controller asks for more pods than the spec.
func TestStatefulSetReplicasOverride(t *testing.T) {
	rg := group(func(rg *v1alpha1.ReplicationGroup) { rg.Spec.Replicas = 2 })
	for _, tt := range []struct {
		override, want int32
	}{{0, 2}, {4, 4}} {
		sts := StatefulSet(rg, PodSettings{Image: "replikube:dev", Replicas: tt.override})
		if *sts.Spec.Replicas != tt.want {
			t.Errorf("override %d: replicas %d, want %d", tt.override, *sts.Spec.Replicas, tt.want)
		}
	}
}

// The pod spec hash moves with what a running pod cannot take without a
// restart (image, resources, scheduling), and not with the configuration,
// which the controller applies live when it can, or with the replica count.
func TestPodSpecHash(t *testing.T) {
	base := StatefulSet(group(), PodSettings{Image: "replikube:dev", ConfigHash: "a", Config: "hz 10\n"})
	hashOf := func(sts *appsv1.StatefulSet) string {
		t.Helper()
		h := sts.Spec.Template.Annotations[AnnotationPodSpecHash]
		if h != PodSpecHash(&sts.Spec.Template.Spec) {
			t.Fatalf("template annotation %q is not the hash of its spec", h)
		}
		return h
	}
	want := hashOf(base)
	for _, tt := range []struct {
		name    string
		rg      func(*v1alpha1.ReplicationGroup)
		ps      PodSettings
		changes bool
	}{
		{"same input", nil, PodSettings{Image: "replikube:dev", ConfigHash: "a", Config: "hz 10\n"}, false},
		{"configuration", nil, PodSettings{Image: "replikube:dev", ConfigHash: "b", Config: "hz 20\n"}, false},
		{"replicas", func(rg *v1alpha1.ReplicationGroup) { rg.Spec.Replicas = 5 }, PodSettings{Image: "replikube:dev", ConfigHash: "a", Config: "hz 10\n"}, false},
		{"image", nil, PodSettings{Image: "redis:7.0.15", ConfigHash: "a", Config: "hz 10\n"}, true},
		{"node selector", func(rg *v1alpha1.ReplicationGroup) { rg.Spec.Pod.NodeSelector = map[string]string{"disk": "ssd"} },
			PodSettings{Image: "replikube:dev", ConfigHash: "a", Config: "hz 10\n"}, true},
	} {
		rg := group()
		if tt.rg != nil {
			tt.rg(rg)
		}
		got := hashOf(StatefulSet(rg, tt.ps))
		if (got != want) != tt.changes {
			t.Errorf("%s: hash %s, base %s, want a change: %v", tt.name, got, want, tt.changes)
		}
	}
}
