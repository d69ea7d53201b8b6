package controllers

import (
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/replikube/replikube/api/v1alpha1"
)

func testPod(name string, role v1alpha1.Role, ready bool) corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{v1alpha1.LabelRole: string(role)}},
		Status: corev1.PodStatus{
			PodIP:      "10.0.0.1",
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}},
		},
	}
}

func TestComputeStatus(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name      string
		replicas  int32
		pods      []corev1.Pod
		stalled   *stall
		err       error
		wantPhase v1alpha1.Phase
		wantReady string
		wantTrue  []string
		wantFalse []string
		synced    int32
	}{{
		name:      "no pods yet",
		replicas:  3,
		wantPhase: v1alpha1.PhasePending,
		wantReady: "0/3",
		wantTrue:  []string{v1alpha1.ConditionProgressing, v1alpha1.ConditionReconciling},
		wantFalse: []string{v1alpha1.ConditionReady, v1alpha1.ConditionMasterAvailable, v1alpha1.ConditionReplicasSynced,
			v1alpha1.ConditionStalled, v1alpha1.ConditionDegraded},
	}, {
		name:     "all ready and synced",
		replicas: 3,
		pods: []corev1.Pod{
			testPod("cache-2", v1alpha1.RoleReplica, true),
			testPod("cache-0", v1alpha1.RoleMaster, true),
			testPod("cache-1", v1alpha1.RoleReplica, true),
		},
		wantPhase: v1alpha1.PhaseReady,
		wantReady: "3/3",
		synced:    2,
		wantTrue:  []string{v1alpha1.ConditionReady, v1alpha1.ConditionMasterAvailable, v1alpha1.ConditionReplicasSynced},
		wantFalse: []string{v1alpha1.ConditionProgressing, v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled,
			v1alpha1.ConditionDegraded},
	}, {
		name:     "a replica still syncing",
		replicas: 3,
		pods: []corev1.Pod{
			testPod("cache-0", v1alpha1.RoleMaster, true),
			testPod("cache-1", v1alpha1.RoleReplica, true),
			testPod("cache-2", v1alpha1.RoleReplica, false),
		},
		wantPhase: v1alpha1.PhaseSyncing,
		wantReady: "2/3",
		synced:    1,
		wantTrue:  []string{v1alpha1.ConditionMasterAvailable, v1alpha1.ConditionReconciling},
		wantFalse: []string{v1alpha1.ConditionReady, v1alpha1.ConditionReplicasSynced, v1alpha1.ConditionDegraded},
	}, {
		name:     "master not ready",
		replicas: 2,
		pods: []corev1.Pod{
			testPod("cache-0", v1alpha1.RoleMaster, false),
			testPod("cache-1", v1alpha1.RoleReplica, true),
		},
		wantPhase: v1alpha1.PhaseDegraded,
		wantReady: "1/2",
		synced:    1,
		wantTrue:  []string{v1alpha1.ConditionDegraded, v1alpha1.ConditionReplicasSynced},
		wantFalse: []string{v1alpha1.ConditionReady, v1alpha1.ConditionMasterAvailable},
	}, {
		name:      "single member group has nothing to sync",
		replicas:  1,
		pods:      []corev1.Pod{testPod("cache-0", v1alpha1.RoleMaster, true)},
		wantPhase: v1alpha1.PhaseReady,
		wantReady: "1/1",
		wantTrue:  []string{v1alpha1.ConditionReady, v1alpha1.ConditionReplicasSynced},
	}, {
		name:      "scaling up",
		replicas:  3,
		pods:      []corev1.Pod{testPod("cache-0", v1alpha1.RoleMaster, true)},
		wantPhase: v1alpha1.PhaseScaling,
		wantReady: "1/3",
		wantFalse: []string{v1alpha1.ConditionReady},
	}, {
		name:      "stalled on the user's secret",
		replicas:  3,
		stalled:   &stall{v1alpha1.ReasonAuthSecretMissing, "Secret mine not found"},
		wantPhase: v1alpha1.PhasePending,
		wantReady: "0/3",
		wantTrue:  []string{v1alpha1.ConditionStalled},
		wantFalse: []string{v1alpha1.ConditionReconciling, v1alpha1.ConditionProgressing},
	}, {
		name:      "reconcile error",
		replicas:  3,
		err:       errors.New("phase ConfigMap: boom"),
		wantPhase: v1alpha1.PhasePending,
		wantReady: "0/3",
		wantTrue:  []string{v1alpha1.ConditionDegraded},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := &v1alpha1.ReplicationGroup{ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: "ns", Generation: 7}}
			rg.Spec.Replicas = tt.replicas
			st := computeStatus(rg, observation{pods: tt.pods, stalled: tt.stalled, err: tt.err, now: now})
			if st.Phase != tt.wantPhase || st.Ready != tt.wantReady || st.SyncedReplicas != tt.synced {
				t.Errorf("phase %s ready %s synced %d, want %s %s %d",
					st.Phase, st.Ready, st.SyncedReplicas, tt.wantPhase, tt.wantReady, tt.synced)
			}
			if st.ObservedGeneration != 7 || st.Master != "cache-0" {
				t.Errorf("observedGeneration %d master %s", st.ObservedGeneration, st.Master)
			}
			for _, c := range st.Conditions {
				if c.ObservedGeneration != 7 || c.Reason == "" {
					t.Errorf("condition %s: generation %d reason %q", c.Type, c.ObservedGeneration, c.Reason)
				}
			}
			for _, typ := range tt.wantTrue {
				if !meta.IsStatusConditionTrue(st.Conditions, typ) {
					t.Errorf("%s not True: %+v", typ, meta.FindStatusCondition(st.Conditions, typ))
				}
			}
			for _, typ := range tt.wantFalse {
				if !meta.IsStatusConditionFalse(st.Conditions, typ) {
					t.Errorf("%s not False: %+v", typ, meta.FindStatusCondition(st.Conditions, typ))
				}
			}
			for i := 1; i < len(st.Members); i++ {
				if ordinal(st.Members[i-1].Pod) > ordinal(st.Members[i].Pod) {
					t.Errorf("members not sorted by ordinal: %v", st.Members)
				}
			}
		})
	}
}

func TestComputeStatusKeepsTransitionTimes(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rg := &v1alpha1.ReplicationGroup{ObjectMeta: metav1.ObjectMeta{Name: "cache", Generation: 1}}
	rg.Spec.Replicas = 1
	pods := []corev1.Pod{testPod("cache-0", v1alpha1.RoleMaster, true)}
	rg.Status = computeStatus(rg, observation{pods: pods, now: t0})
	again := computeStatus(rg, observation{pods: pods, now: metav1.NewTime(t0.Add(time.Hour))})
	if c := meta.FindStatusCondition(again.Conditions, v1alpha1.ConditionReady); !c.LastTransitionTime.Equal(&t0) {
		t.Errorf("Ready transition time moved to %v without a transition", c.LastTransitionTime)
	}
}
