package resources

import (
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/replikube/replikube/api/v1alpha1"
)

// FieldOwner is the server-side apply field manager of every owned object.
const FieldOwner = "replikube"

// Recommended labels (app.kubernetes.io/*) put on every owned object.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelComponent = "app.kubernetes.io/component"

	// AppName is the app.kubernetes.io/name of every owned object.
	AppName   = "replikube"
	managedBy = "replikube-operator"
	component = "redis"
)

// SelectorLabels select the pods of a group. They are part of the
// StatefulSet's immutable selector: never change them.
func SelectorLabels(rg *v1alpha1.ReplicationGroup) map[string]string {
	return map[string]string{
		LabelName:     AppName,
		LabelInstance: rg.Name,
	}
}

// RoleSelectorLabels select the group's pods that have the given role.
func RoleSelectorLabels(rg *v1alpha1.ReplicationGroup, role v1alpha1.Role) map[string]string {
	l := SelectorLabels(rg)
	l[v1alpha1.LabelRole] = string(role)
	return l
}

// Labels go on every object the group owns.
func Labels(rg *v1alpha1.ReplicationGroup) map[string]string {
	l := SelectorLabels(rg)
	l[LabelManagedBy] = managedBy
	l[LabelComponent] = component
	return l
}

// objectMeta is the metadata of an owned object: name, namespace and labels.
// Owner references are the controller's business (it knows the scheme).
func objectMeta(rg *v1alpha1.ReplicationGroup, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: rg.Namespace, Labels: Labels(rg)}
}

// podLabels are the template labels: the user's, then ours on top.
func podLabels(rg *v1alpha1.ReplicationGroup) map[string]string {
	l := maps.Clone(rg.Spec.Pod.Labels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, Labels(rg))
	return l
}
