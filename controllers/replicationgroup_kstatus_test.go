package controllers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/replikube/replikube/api/v1alpha1"
)

// TestKstatus reads computed statuses the way GitOps tools do (Flux, Argo
// CD's kstatus-based health, kpt): Current only once the group is Ready and
// its replicas synced; InProgress while it gets there; Failed when stalled.
func TestKstatus(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	three := []corev1.Pod{
		testPod("cache-0", v1alpha1.RoleMaster, true),
		testPod("cache-1", v1alpha1.RoleReplica, true),
		testPod("cache-2", v1alpha1.RoleReplica, true),
	}
	syncing := []corev1.Pod{three[0], three[1], testPod("cache-2", v1alpha1.RoleReplica, false)}
	tests := []struct {
		name       string
		pods       []corev1.Pod
		stalled    *stall
		staleGen   bool
		promotion  *promotion
		wantStatus status.Status
	}{
		{name: "no pods yet", wantStatus: status.InProgressStatus},
		{name: "a replica still syncing", pods: syncing, wantStatus: status.InProgressStatus},
		{name: "ready and synced", pods: three, wantStatus: status.CurrentStatus},
		{name: "ready, but the spec changed since", pods: three, staleGen: true, wantStatus: status.InProgressStatus},
		{name: "promoting a replica", pods: three, wantStatus: status.InProgressStatus,
			promotion: &promotion{From: "cache-0", To: "cache-1", Reason: v1alpha1.ReasonMasterRestartEmpty}},
		{name: "user secret missing", stalled: &stall{v1alpha1.ReasonAuthSecretMissing, "create it"}, wantStatus: status.FailedStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := &v1alpha1.ReplicationGroup{
				TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "ReplicationGroup"},
				ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: "ns", Generation: 2},
			}
			rg.Spec.Replicas = 3
			infos, synced := answers(tt.pods)
			rg.Status = computeStatus(rg, observation{pods: tt.pods, infos: infos, synced: synced,
				stalled: tt.stalled, promotion: tt.promotion, now: now})
			if tt.staleGen {
				rg.Generation = 3
			}
			u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(rg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := status.Compute(&unstructured.Unstructured{Object: u})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.wantStatus {
				t.Errorf("kstatus %s (%s), want %s; phase %s", res.Status, res.Message, tt.wantStatus, rg.Status.Phase)
			}
			if res.Status == status.CurrentStatus && (rg.Status.Phase != v1alpha1.PhaseReady || rg.Status.SyncedReplicas != 2) {
				t.Errorf("Current while phase %s with %d synced", rg.Status.Phase, rg.Status.SyncedReplicas)
			}
		})
	}
}
