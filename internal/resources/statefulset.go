package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/replikube/replikube/api/v1alpha1"
)

// DataPlane is the server a pod runs.
type DataPlane string

const (
	// DataPlaneReplikube is our own image: `replikube server`.
	DataPlaneReplikube DataPlane = "replikube"
	// DataPlaneRedis is an upstream Redis image: `redis-server`.
	DataPlaneRedis DataPlane = "redis"
)

// Names inside the pod template.
const (
	ContainerName = "redis"
	// AnnotationConfigHash on the pod template is the ConfigHash it was
	// built with.
	AnnotationConfigHash = "redis.replikube.io/config-hash"
	// AnnotationConfig on the pod template is the redis.conf it was built
	// with. A pod keeps the pair (hash, text) of the configuration it
	// runs: the controller rewrites both after applying a change with
	// CONFIG SET, and diffs the text against a newer one to tell a change
	// it can apply live from one that needs a restart.
	AnnotationConfig = "redis.replikube.io/config"
	// AnnotationPodSpecHash on the pod template is PodSpecHash of its
	// spec. A pod whose value differs from the template's runs an older
	// spec (another image, resources, scheduling ...): under OnDelete the
	// controller restarts it, replicas first, like a configuration change
	// that needs a restart.
	AnnotationPodSpecHash = "redis.replikube.io/pod-spec-hash"

	EnvPodName  = "POD_NAME"
	EnvPodIP    = "POD_IP"
	EnvPassword = "REDIS_PASSWORD"

	volumeData   = "data"
	volumeConfig = "config"
	volumeTmp    = "tmp"

	// runAsID is the redis user of the upstream image; our image runs as
	// any user, so one ID serves both.
	runAsID = 999
)

// PodSettings are the StatefulSet builder's inputs beyond the group itself.
type PodSettings struct {
	// Image is the resolved image (see Image).
	Image string
	// ConfigHash is ConfigHash of the group's ConfigMap.
	ConfigHash string
	// Config is the redis.conf of the group's ConfigMap (ConfigKey).
	Config string
	// Replicas is how many pods to run; spec.replicas when zero. The
	// controller asks for more while the master sits at an ordinal that a
	// scale-down removes, until a replica has taken over.
	Replicas int32
}

// Image is spec.image, or the operator's own image when that is empty.
func Image(rg *v1alpha1.ReplicationGroup, operatorImage string) string {
	if rg.Spec.Image != "" {
		return rg.Spec.Image
	}
	return operatorImage
}

// DataPlaneOf tells which server an image runs: an image whose repository's
// last path element is "redis" (redis:7.0, docker.io/library/redis@sha256:...)
// runs redis-server, anything else is taken to be a replikube image.
func DataPlaneOf(image string) DataPlane {
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		repo = repo[i+1:]
	}
	repo, _, _ = strings.Cut(repo, ":")
	if repo == "redis" {
		return DataPlaneRedis
	}
	return DataPlaneReplikube
}

// ServerCommand is the container's command and arguments. Kubernetes expands
// $(VAR) from the container's environment, which is how each pod learns its
// own include file, its IP and the password without a shell: images need not
// have one.
func ServerCommand(dp DataPlane) (command, args []string) {
	args = []string{
		ConfigDir + "/" + ConfigKey,
		"--include", ConfigDir + "/$(" + EnvPodName + ").conf",
		"--bind", "$(" + EnvPodIP + ")",
		"--replica-announce-ip", "$(" + EnvPodIP + ")",
		"--requirepass", "$(" + EnvPassword + ")",
		"--masterauth", "$(" + EnvPassword + ")",
	}
	if dp == DataPlaneRedis {
		return []string{"redis-server"}, args
	}
	// Our image's entrypoint is the replikube binary.
	return nil, append([]string{"server"}, args...)
}

// StatefulSet runs the group's pods. Updates are OnDelete: the controller
// restarts pods itself, replicas first and the master last by switchover.
// Pods start in parallel, each following the master named in its include
// file.
func StatefulSet(rg *v1alpha1.ReplicationGroup, ps PodSettings) *appsv1.StatefulSet {
	replicas := rg.Spec.Replicas
	if ps.Replicas > 0 {
		replicas = ps.Replicas
	}
	sts := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: objectMeta(rg, rg.StatefulSetName()),
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr.To(replicas),
			ServiceName:         rg.HeadlessServiceName(),
			Selector:            &metav1.LabelSelector{MatchLabels: SelectorLabels(rg)},
			PodManagementPolicy: appsv1.ParallelPodManagement,
			UpdateStrategy:      appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
			Template:            podTemplate(rg, ps),
		},
	}
	if s := rg.Spec.Storage; s != nil {
		sts.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
			ObjectMeta: metav1.ObjectMeta{
				Name:   volumeData,
				Labels: SelectorLabels(rg),
			},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				StorageClassName: s.StorageClassName,
				Resources: corev1.VolumeResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceStorage: s.Size},
				},
			},
		}}
	}
	return sts
}

func podTemplate(rg *v1alpha1.ReplicationGroup, ps PodSettings) corev1.PodTemplateSpec {
	annotations := maps.Clone(rg.Spec.Pod.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationConfigHash] = ps.ConfigHash
	annotations[AnnotationConfig] = ps.Config

	p := &rg.Spec.Pod
	spec := corev1.PodSpec{
		Containers:                    []corev1.Container{container(rg, ps)},
		Volumes:                       volumes(rg),
		ReadinessGates:                []corev1.PodReadinessGate{{ConditionType: v1alpha1.PodConditionSynced}},
		TerminationGracePeriodSeconds: ptr.To[int64](30),
		// The server talks to no API: no token, no service env vars.
		AutomountServiceAccountToken: ptr.To(false),
		EnableServiceLinks:           ptr.To(false),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To[int64](runAsID),
			RunAsGroup:     ptr.To[int64](runAsID),
			FSGroup:        ptr.To[int64](runAsID),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Affinity:                  p.Affinity,
		Tolerations:               p.Tolerations,
		NodeSelector:              p.NodeSelector,
		TopologySpreadConstraints: p.TopologySpreadConstraints,
		PriorityClassName:         p.PriorityClassName,
	}
	annotations[AnnotationPodSpecHash] = PodSpecHash(&spec)
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: podLabels(rg), Annotations: annotations},
		Spec:       spec,
	}
}

// PodSpecHash identifies a pod spec as the operator builds it (before the
// API server's defaults): equal specs, equal hashes.
func PodSpecHash(spec *corev1.PodSpec) string {
	b, _ := json.Marshal(spec) // plain API types: it cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func container(rg *v1alpha1.ReplicationGroup, ps PodSettings) corev1.Container {
	command, args := ServerCommand(DataPlaneOf(ps.Image))
	redisPort := intstr.FromString(PortName)
	return corev1.Container{
		Name:    ContainerName,
		Image:   ps.Image,
		Command: command,
		Args:    args,
		Ports: []corev1.ContainerPort{{
			Name: PortName, ContainerPort: RedisPort, Protocol: corev1.ProtocolTCP,
		}},
		Env: []corev1.EnvVar{
			{Name: EnvPodName, ValueFrom: &corev1.EnvVarSource{
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
			{Name: EnvPodIP, ValueFrom: &corev1.EnvVarSource{
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "status.podIP"}}},
			{Name: EnvPassword, ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: rg.AuthSecretName()},
					Key:                  rg.AuthSecretKey(),
				}}},
		},
		Resources: rg.Spec.Resources,
		VolumeMounts: []corev1.VolumeMount{
			{Name: volumeData, MountPath: DataDir},
			{Name: volumeConfig, MountPath: ConfigDir, ReadOnly: true},
			{Name: volumeTmp, MountPath: "/tmp"},
		},
		// TCP probes: they need no password and no redis-cli in the image.
		// Whether a member may take traffic is the readiness gate's call,
		// which the operator sets from INFO replication.
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: redisPort}},
			PeriodSeconds:    2,
			TimeoutSeconds:   1,
			FailureThreshold: 3,
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:        corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: redisPort}},
			InitialDelaySeconds: 10,
			PeriodSeconds:       10,
			TimeoutSeconds:      5,
			FailureThreshold:    6,
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr.To(true),
			ReadOnlyRootFilesystem:   ptr.To(true),
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
}

func volumes(rg *v1alpha1.ReplicationGroup) []corev1.Volume {
	vs := []corev1.Volume{
		{Name: volumeConfig, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: rg.ConfigMapName()},
		}}},
		{Name: volumeTmp, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
			SizeLimit: ptr.To(resource.MustParse("64Mi")),
		}}},
	}
	if rg.Spec.Storage == nil {
		vs = append(vs, corev1.Volume{Name: volumeData, VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{},
		}})
	}
	return vs
}
