package resources

import (
	"maps"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/replikube/replikube/api/v1alpha1"
)

func TestPodDisruptionBudget(t *testing.T) {
	tests := []struct {
		name string
		max  *intstr.IntOrString
		want intstr.IntOrString
	}{
		{"default", nil, intstr.FromInt32(1)},
		{"number", ptr.To(intstr.FromInt32(2)), intstr.FromInt32(2)},
		{"percentage", ptr.To(intstr.FromString("50%")), intstr.FromString("50%")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := group(func(rg *v1alpha1.ReplicationGroup) { rg.Spec.PodDisruptionBudget.MaxUnavailable = tt.max })
			pdb := PodDisruptionBudget(rg)
			if pdb.Name != "cache" || pdb.Namespace != "ns" {
				t.Errorf("name %s/%s", pdb.Namespace, pdb.Name)
			}
			if *pdb.Spec.MaxUnavailable != tt.want {
				t.Errorf("maxUnavailable %v, want %v", pdb.Spec.MaxUnavailable, tt.want)
			}
			if pdb.Spec.MinAvailable != nil {
				t.Error("minAvailable set alongside maxUnavailable")
			}
			if !maps.Equal(pdb.Spec.Selector.MatchLabels, SelectorLabels(rg)) {
				t.Errorf("selector %v", pdb.Spec.Selector.MatchLabels)
			}
		})
	}
}
