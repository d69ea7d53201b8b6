package resources

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/replikube/replikube/api/v1alpha1"
)

// group is a ReplicationGroup as a user writes it, before schema defaults:
// builders must cope with absent optional fields.
func group(mutate ...func(*v1alpha1.ReplicationGroup)) *v1alpha1.ReplicationGroup {
	rg := &v1alpha1.ReplicationGroup{
		ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: "ns"},
		Spec:       v1alpha1.ReplicationGroupSpec{Replicas: 3},
	}
	for _, m := range mutate {
		m(rg)
	}
	return rg
}
