package controllers

import (
	"errors"
	"strings"
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

// answers makes up the members' INFO replication from their test pods: the
// labelled master answers as master; a labelled replica answers synced when
// its pod is Ready and with its link down otherwise.
func answers(pods []corev1.Pod) (map[string]*replInfo, map[string]bool) {
	infos, synced := map[string]*replInfo{}, map[string]bool{}
	for _, pod := range pods {
		ready := podReady(&pod)
		if v1alpha1.Role(pod.Labels[v1alpha1.LabelRole]) == v1alpha1.RoleMaster {
			infos[pod.Name] = &replInfo{Role: "master", Offset: 1000}
			synced[pod.Name] = true
			continue
		}
		infos[pod.Name] = &replInfo{Role: "slave", LinkUp: ready, Offset: 900, MasterHost: "10.0.0.1", MasterPort: 6379}
		synced[pod.Name] = ready
	}
	return infos, synced
}

func TestComputeStatus(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name      string
		replicas  int32
		pods      []corev1.Pod
		stalled   *stall
		err       error
		rollout   string
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
		name:     "a configuration change restarting members, all ready for now",
		replicas: 2,
		pods: []corev1.Pod{
			testPod("cache-0", v1alpha1.RoleMaster, true),
			testPod("cache-1", v1alpha1.RoleReplica, true),
		},
		rollout:   "restarting cache-0, cache-1 one at a time for databases",
		wantPhase: v1alpha1.PhaseUpdating,
		wantReady: "2/2",
		synced:    1,
		wantTrue:  []string{v1alpha1.ConditionReady, v1alpha1.ConditionProgressing, v1alpha1.ConditionReconciling},
		wantFalse: []string{v1alpha1.ConditionDegraded, v1alpha1.ConditionStalled},
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
			infos, synced := answers(tt.pods)
			st := computeStatus(rg, observation{pods: tt.pods, infos: infos, synced: synced, stalled: tt.stalled, err: tt.err,
				rollout: tt.rollout, now: now})
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
	infos, synced := answers(pods)
	rg.Status = computeStatus(rg, observation{pods: pods, infos: infos, synced: synced, now: t0})
	again := computeStatus(rg, observation{pods: pods, infos: infos, synced: synced, now: metav1.NewTime(t0.Add(time.Hour))})
	if c := meta.FindStatusCondition(again.Conditions, v1alpha1.ConditionReady); !c.LastTransitionTime.Equal(&t0) {
		t.Errorf("Ready transition time moved to %v without a transition", c.LastTransitionTime)
	}
}

func TestComputeStatusMembers(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rg := &v1alpha1.ReplicationGroup{ObjectMeta: metav1.ObjectMeta{Name: "cache", Generation: 1}}
	rg.Spec.Replicas = 3
	pods := []corev1.Pod{
		testPod("cache-0", v1alpha1.RoleMaster, true),
		testPod("cache-1", v1alpha1.RoleReplica, true),
		testPod("cache-2", v1alpha1.RoleReplica, false),
	}
	pods[1].Status.PodIP, pods[2].Status.PodIP = "10.0.0.2", "10.0.0.3"
	infos := map[string]*replInfo{
		"cache-0": {Role: "master", Offset: 1000, Replicas: []connectedReplica{{IP: "10.0.0.2", Offset: 990, Lag: 1}}},
		"cache-1": {Role: "slave", LinkUp: true, Offset: 990, LastIOSecondsAgo: 0},
		"cache-2": {Role: "slave", LinkUp: false, Offset: 500},
	}
	synced := map[string]bool{"cache-0": true, "cache-1": true}
	st := computeStatus(rg, observation{pods: pods, infos: infos, synced: synced, now: now})

	want := []v1alpha1.MemberStatus{
		{Pod: "cache-0", Role: v1alpha1.RoleMaster, IP: "10.0.0.1", ReplOffset: 1000, Ready: true},
		{Pod: "cache-1", Role: v1alpha1.RoleReplica, IP: "10.0.0.2", LinkStatus: "up", ReplOffset: 990, LagBytes: 10, LagSeconds: 1, Ready: true},
		{Pod: "cache-2", Role: v1alpha1.RoleReplica, IP: "10.0.0.3", LinkStatus: "down", ReplOffset: 500},
	}
	for i := range want {
		if st.Members[i] != want[i] {
			t.Errorf("member %d = %+v, want %+v", i, st.Members[i], want[i])
		}
	}
	if st.MasterReplOffset != 1000 || st.SyncedReplicas != 1 || st.MaxLagBytes != 10 {
		t.Errorf("masterReplOffset %d synced %d maxLag %d", st.MasterReplOffset, st.SyncedReplicas, st.MaxLagBytes)
	}
	c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReplicasSynced)
	if c.Reason != v1alpha1.ReasonReplicaLinkDown || !strings.Contains(c.Message, "cache-2") {
		t.Errorf("ReplicasSynced = %s %q", c.Reason, c.Message)
	}

	// A pass that stopped before polling keeps what the last poll saw.
	rg.Status = st
	again := computeStatus(rg, observation{pods: pods, now: now})
	if again.Members[1] != want[1] || again.SyncedReplicas != 1 {
		t.Errorf("without a poll: member %+v synced %d", again.Members[1], again.SyncedReplicas)
	}

	// An unanswered master is not available, whatever its pod says.
	delete(infos, "cache-0")
	st = computeStatus(rg, observation{pods: pods, infos: infos, synced: synced, now: now})
	if !meta.IsStatusConditionFalse(st.Conditions, v1alpha1.ConditionMasterAvailable) || st.Members[0].Role != "" {
		t.Errorf("unanswered master: %+v role %q", meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionMasterAvailable), st.Members[0].Role)
	}

	// A promotion shows as FailingOver for the pass that made it.
	infos["cache-0"] = &replInfo{Role: "master"}
	st = computeStatus(rg, observation{pods: pods, infos: infos, synced: synced, now: now,
		promotion: &promotion{From: "cache-0", To: "cache-1", Reason: v1alpha1.ReasonMasterRestartEmpty, Message: "m"}})
	if st.Phase != v1alpha1.PhaseFailingOver || !meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionReconciling) {
		t.Errorf("promotion: phase %s", st.Phase)
	}
}
