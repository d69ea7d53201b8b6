package controllers

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/internal/resources"
)

// observation is what a pass saw; computeStatus turns it into a status.
type observation struct {
	pods    []corev1.Pod
	stalled *stall
	err     error
	now     metav1.Time
}

// computeStatus is pure: the group's new status from its old one and what
// the pass observed. Every owned condition is set on every pass, stamped
// with the generation it describes.
func computeStatus(rg *v1alpha1.ReplicationGroup, obs observation) v1alpha1.ReplicationGroupStatus {
	st := *rg.Status.DeepCopy()
	st.ObservedGeneration = rg.Generation
	st.Master = rg.CurrentMaster()
	st.Selector = labels.SelectorFromSet(resources.SelectorLabels(rg)).String()

	st.Members = members(obs.pods)
	st.Replicas = int32(len(st.Members))
	st.ReadyReplicas, st.SyncedReplicas, st.MaxLagBytes = 0, 0, 0
	var master *v1alpha1.MemberStatus
	for i := range st.Members {
		m := &st.Members[i]
		if m.Ready {
			st.ReadyReplicas++
		}
		if m.Pod == st.Master {
			master = m
		} else if m.Role == v1alpha1.RoleReplica && m.Ready {
			// Ready includes the readiness gate, which the operator
			// sets only once the replica's link is up and synced.
			st.SyncedReplicas++
			st.MaxLagBytes = max(st.MaxLagBytes, m.LagBytes)
		}
	}
	st.Ready = fmt.Sprintf("%d/%d", st.ReadyReplicas, rg.Spec.Replicas)

	set := func(typ string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: typ, Status: status, Reason: reason, Message: msg,
			ObservedGeneration: rg.Generation, LastTransitionTime: obs.now,
		})
	}

	masterOK := master != nil && master.Ready
	switch {
	case masterOK:
		set(v1alpha1.ConditionMasterAvailable, true, v1alpha1.ReasonMasterReady, fmt.Sprintf("%s accepts writes", st.Master))
	case master == nil:
		set(v1alpha1.ConditionMasterAvailable, false, v1alpha1.ReasonNoMaster, fmt.Sprintf("master pod %s does not exist yet", st.Master))
	default:
		set(v1alpha1.ConditionMasterAvailable, false, v1alpha1.ReasonMasterUnreachable, fmt.Sprintf("master pod %s is not Ready", st.Master))
	}

	wantReplicas := max(rg.Spec.Replicas-1, 0)
	synced := st.SyncedReplicas >= wantReplicas
	switch {
	case wantReplicas == 0:
		set(v1alpha1.ConditionReplicasSynced, true, v1alpha1.ReasonNoReplicas, "the group has no replicas")
	case synced:
		set(v1alpha1.ConditionReplicasSynced, true, v1alpha1.ReasonReplicasInSync,
			fmt.Sprintf("%d of %d replicas synced", st.SyncedReplicas, wantReplicas))
	default:
		set(v1alpha1.ConditionReplicasSynced, false, v1alpha1.ReasonReplicasSyncing,
			fmt.Sprintf("%d of %d replicas synced; waiting for %s", st.SyncedReplicas, wantReplicas, notSynced(st)))
	}

	ready := masterOK && synced && st.ReadyReplicas == rg.Spec.Replicas && st.Replicas == rg.Spec.Replicas
	if ready {
		set(v1alpha1.ConditionReady, true, v1alpha1.ReasonAllMembersReady,
			fmt.Sprintf("%s: master %s, %d replicas synced", st.Ready, st.Master, st.SyncedReplicas))
	} else {
		set(v1alpha1.ConditionReady, false, v1alpha1.ReasonMembersNotReady,
			fmt.Sprintf("%s members Ready, %d of %d replicas synced", st.Ready, st.SyncedReplicas, wantReplicas))
	}

	progressReason := v1alpha1.ReasonUpToDate
	switch {
	case len(st.Members) == 0:
		progressReason = v1alpha1.ReasonCreating
	case st.Replicas != rg.Spec.Replicas:
		progressReason = v1alpha1.ReasonScaling
	case !ready:
		progressReason = v1alpha1.ReasonReplicasSyncing
	}
	stalled := obs.stalled != nil
	progressing := !ready && !stalled
	set(v1alpha1.ConditionProgressing, progressing, progressReason, "")
	// kstatus: Reconciling while work is under way, Stalled when only the
	// user can unblock the group; Current needs both False and Ready True.
	set(v1alpha1.ConditionReconciling, progressing, progressReason, "")
	if stalled {
		set(v1alpha1.ConditionStalled, true, obs.stalled.reason, obs.stalled.message)
	} else {
		set(v1alpha1.ConditionStalled, false, v1alpha1.ReasonAsExpected, "")
	}

	switch {
	case obs.err != nil:
		set(v1alpha1.ConditionDegraded, true, v1alpha1.ReasonReconcileError, obs.err.Error())
	case len(st.Members) > 0 && !masterOK:
		set(v1alpha1.ConditionDegraded, true, v1alpha1.ReasonMasterUnreachable,
			fmt.Sprintf("no master accepts writes: %s is not Ready", st.Master))
	default:
		set(v1alpha1.ConditionDegraded, false, v1alpha1.ReasonAsExpected, "")
	}

	switch {
	case ready:
		st.Phase = v1alpha1.PhaseReady
	case len(st.Members) == 0:
		st.Phase = v1alpha1.PhasePending
	case st.Replicas != rg.Spec.Replicas:
		st.Phase = v1alpha1.PhaseScaling
	case !masterOK:
		st.Phase = v1alpha1.PhaseDegraded
	default:
		st.Phase = v1alpha1.PhaseSyncing
	}
	return st
}

// members describes the pods by ordinal. Replication details (offsets, link
// status) come from INFO replication in a later phase; here the pod object
// gives name, role label, IP and readiness.
func members(pods []corev1.Pod) []v1alpha1.MemberStatus {
	ms := make([]v1alpha1.MemberStatus, 0, len(pods))
	for i := range pods {
		pod := &pods[i]
		if !pod.DeletionTimestamp.IsZero() {
			continue
		}
		ms = append(ms, v1alpha1.MemberStatus{
			Pod:   pod.Name,
			Role:  v1alpha1.Role(pod.Labels[v1alpha1.LabelRole]),
			IP:    pod.Status.PodIP,
			Ready: podReady(pod),
		})
	}
	slices.SortFunc(ms, func(a, b v1alpha1.MemberStatus) int {
		return cmp.Compare(ordinal(a.Pod), ordinal(b.Pod))
	})
	return ms
}

func notSynced(st v1alpha1.ReplicationGroupStatus) string {
	var names []string
	for _, m := range st.Members {
		if m.Pod != st.Master && !(m.Role == v1alpha1.RoleReplica && m.Ready) {
			names = append(names, m.Pod)
		}
	}
	if len(names) == 0 {
		return "replicas to be created"
	}
	return strings.Join(names, ", ")
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// ordinal is the StatefulSet ordinal at the end of a pod name, -1 if none.
func ordinal(pod string) int {
	i := strings.LastIndexByte(pod, '-')
	n, err := strconv.Atoi(pod[i+1:])
	if i < 0 || err != nil {
		return -1
	}
	return n
}
