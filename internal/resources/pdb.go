package resources

import (
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/replikube/replikube/api/v1alpha1"
)

// PodDisruptionBudget limits voluntary evictions of the group's pods to
// spec.podDisruptionBudget.maxUnavailable (default 1).
func PodDisruptionBudget(rg *v1alpha1.ReplicationGroup) *policyv1.PodDisruptionBudget {
	maxUnavailable := intstr.FromInt32(1)
	if m := rg.Spec.PodDisruptionBudget.MaxUnavailable; m != nil {
		maxUnavailable = *m
	}
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: objectMeta(rg, rg.PodDisruptionBudgetName()),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: &maxUnavailable,
			Selector:       &metav1.LabelSelector{MatchLabels: SelectorLabels(rg)},
		},
	}
}
