package resources

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/replikube/replikube/api/v1alpha1"
)

// PortName is the name of the Redis port on pods and Services.
const PortName = "redis"

func redisServicePorts() []corev1.ServicePort {
	return []corev1.ServicePort{{
		Name:       PortName,
		Port:       RedisPort,
		TargetPort: intstr.FromString(PortName),
		Protocol:   corev1.ProtocolTCP,
	}}
}

func service(rg *v1alpha1.ReplicationGroup, name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: objectMeta(rg, name),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: selector,
			Ports:    redisServicePorts(),
		},
	}
}

// HeadlessService governs the StatefulSet and gives each pod a stable DNS
// name. It publishes pods before they are Ready: a replica must reach its
// master while neither is Ready yet.
func HeadlessService(rg *v1alpha1.ReplicationGroup) *corev1.Service {
	s := service(rg, rg.HeadlessServiceName(), SelectorLabels(rg))
	s.Spec.ClusterIP = corev1.ClusterIPNone
	s.Spec.PublishNotReadyAddresses = true
	return s
}

// MasterService selects the pod labelled master: clients write through it.
func MasterService(rg *v1alpha1.ReplicationGroup) *corev1.Service {
	return service(rg, rg.MasterServiceName(), RoleSelectorLabels(rg, v1alpha1.RoleMaster))
}

// ReplicasService selects the pods labelled replica; only Ready ones, which
// the readiness gate limits to replicas done with their initial sync, get
// traffic: clients read through it.
func ReplicasService(rg *v1alpha1.ReplicationGroup) *corev1.Service {
	return service(rg, rg.ReplicasServiceName(), RoleSelectorLabels(rg, v1alpha1.RoleReplica))
}
