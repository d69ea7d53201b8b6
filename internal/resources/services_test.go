package resources

import (
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/replikube/replikube/api/v1alpha1"
)

func TestServices(t *testing.T) {
	rg := group()
	base := map[string]string{LabelName: "replikube", LabelInstance: "cache"}
	withRole := func(role string) map[string]string {
		m := maps.Clone(base)
		m[v1alpha1.LabelRole] = role
		return m
	}
	tests := []struct {
		name           string
		svc            *corev1.Service
		wantName       string
		wantSelector   map[string]string
		wantHeadless   bool
		wantNotReadyOK bool
	}{
		{"headless", HeadlessService(rg), "cache-headless", base, true, true},
		{"master", MasterService(rg), "cache", withRole("master"), false, false},
		{"replicas", ReplicasService(rg), "cache-replicas", withRole("replica"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.svc
			if s.Name != tt.wantName || s.Namespace != "ns" {
				t.Errorf("name %s/%s, want ns/%s", s.Namespace, s.Name, tt.wantName)
			}
			if !maps.Equal(s.Spec.Selector, tt.wantSelector) {
				t.Errorf("selector %v, want %v", s.Spec.Selector, tt.wantSelector)
			}
			if got := s.Spec.ClusterIP == corev1.ClusterIPNone; got != tt.wantHeadless {
				t.Errorf("headless = %v, want %v", got, tt.wantHeadless)
			}
			if s.Spec.PublishNotReadyAddresses != tt.wantNotReadyOK {
				t.Errorf("publishNotReadyAddresses = %v, want %v", s.Spec.PublishNotReadyAddresses, tt.wantNotReadyOK)
			}
			if len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Port != 6379 || s.Spec.Ports[0].TargetPort.StrVal != PortName {
				t.Errorf("ports %+v, want 6379 -> %s", s.Spec.Ports, PortName)
			}
			if s.Labels[LabelManagedBy] == "" || s.Labels[LabelInstance] != "cache" {
				t.Errorf("labels %v", s.Labels)
			}
		})
	}
}
