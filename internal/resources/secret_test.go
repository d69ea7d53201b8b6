package resources

import (
	"maps"
	"slices"
	"testing"

	"github.com/replikube/replikube/api/v1alpha1"
)

func TestAuthSecret(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		wantKey string
	}{
		{"default key", "", "password"},
		{"custom key", "redis-password", "redis-password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := group(func(rg *v1alpha1.ReplicationGroup) { rg.Spec.Auth.SecretKey = tt.key })
			s := AuthSecret(rg, "s3cret")
			if s.Name != "cache-auth" || s.Namespace != "ns" {
				t.Errorf("name %s/%s, want ns/cache-auth", s.Namespace, s.Name)
			}
			if len(s.Data) != 1 || string(s.Data[tt.wantKey]) != "s3cret" {
				t.Errorf("data keys %v, want only %s", slices.Collect(maps.Keys(s.Data)), tt.wantKey)
			}
		})
	}
}
