package v1alpha1

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNames(t *testing.T) {
	rg := &ReplicationGroup{ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: "ns"}}
	rg.Spec.Replicas = 3
	tests := []struct{ got, want string }{
		{rg.StatefulSetName(), "cache"},
		{rg.MasterServiceName(), "cache"},
		{rg.ReplicasServiceName(), "cache-replicas"},
		{rg.HeadlessServiceName(), "cache-headless"},
		{rg.ConfigMapName(), "cache-config"},
		{rg.PodDisruptionBudgetName(), "cache"},
		{rg.AuthSecretName(), "cache-auth"},
		{rg.AuthSecretKey(), "password"},
		{rg.PodName(2), "cache-2"},
		{rg.CurrentMaster(), "cache-0"},
		{rg.PodFQDN("cache-1", "cluster.local"), "cache-1.cache-headless.ns.svc.cluster.local"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if got := rg.PodNames(); !slices.Equal(got, []string{"cache-0", "cache-1", "cache-2"}) {
		t.Errorf("PodNames() = %v", got)
	}

	rg.Spec.Auth = AuthSpec{SecretName: "mine", SecretKey: "pw"}
	rg.Status.Master = "cache-2"
	if rg.AuthSecretName() != "mine" || rg.AuthSecretKey() != "pw" || rg.CurrentMaster() != "cache-2" {
		t.Errorf("user secret %s/%s, master %s", rg.AuthSecretName(), rg.AuthSecretKey(), rg.CurrentMaster())
	}
}

// TestOwnedConfigKeysMatchCRD keeps the Go list and the CEL rule that refuses
// those keys in step: the rule is a marker string that cannot reference Go.
func TestOwnedConfigKeysMatchCRD(t *testing.T) {
	crd, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "redis.replikube.io_replicationgroups.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("replicationgroup_types.go")
	if err != nil {
		t.Fatal(err)
	}
	// The rule as written in the marker: self.all(k, !(k in [...]))
	m := regexp.MustCompile(`rule="self\.all\(k, !\(k in \[([^\]]*)\]\)\)"`).FindSubmatch(src)
	if m == nil {
		t.Fatal("owned-keys rule not found in replicationgroup_types.go")
	}
	var inRule []string
	for _, k := range strings.Split(string(m[1]), ",") {
		inRule = append(inRule, strings.Trim(strings.TrimSpace(k), "'"))
	}
	if !slices.Equal(inRule, OwnedConfigKeys) {
		t.Errorf("CEL rule keys %v\ndiffer from OwnedConfigKeys %v", inRule, OwnedConfigKeys)
	}
	for _, k := range OwnedConfigKeys {
		if !strings.Contains(string(crd), "'"+k+"'") {
			t.Errorf("generated CRD lacks %q: run make manifests", k)
		}
	}
}
