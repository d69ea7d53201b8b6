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
	pods []corev1.Pod
	// infos are the members' INFO replication answers; nil when the pass
	// did not reach the replication phase, in which case the previous
	// status's replication fields stand.
	infos map[string]*replInfo
	// synced are the replicas that follow the master, link up, initial
	// sync done.
	synced map[string]bool
	// promotion is set when the pass promoted a replica.
	promotion *promotion
	// rollout, when set, says which members a configuration change is
	// restarting.
	rollout string
	// stalled, when set, is why the pass cannot progress without the
	// user (kstatus Stalled).
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

	st.Members = members(obs, rg.Status.Members, st.Master)
	st.Replicas = int32(len(st.Members))
	st.ReadyReplicas, st.SyncedReplicas, st.MaxLagBytes, st.MasterReplOffset = 0, 0, 0, 0
	var master *v1alpha1.MemberStatus
	linkDown := false
	for i := range st.Members {
		m := &st.Members[i]
		if m.Ready {
			st.ReadyReplicas++
		}
		switch {
		case m.Pod == st.Master:
			master = m
			st.MasterReplOffset = m.ReplOffset
		case memberSynced(*m, obs):
			st.SyncedReplicas++
			st.MaxLagBytes = max(st.MaxLagBytes, m.LagBytes)
		case m.LinkStatus == "down":
			linkDown = true
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

	masterOK := master != nil && master.Ready && master.Role == v1alpha1.RoleMaster
	switch {
	case masterOK:
		set(v1alpha1.ConditionMasterAvailable, true, v1alpha1.ReasonMasterReady, fmt.Sprintf("%s accepts writes", st.Master))
	case master == nil:
		set(v1alpha1.ConditionMasterAvailable, false, v1alpha1.ReasonNoMaster, fmt.Sprintf("master pod %s does not exist yet", st.Master))
	case master.Role == "" && !master.Ready:
		set(v1alpha1.ConditionMasterAvailable, false, v1alpha1.ReasonMasterUnreachable,
			fmt.Sprintf("master pod %s is not Ready and does not answer INFO replication", st.Master))
	case master.Role == "":
		set(v1alpha1.ConditionMasterAvailable, false, v1alpha1.ReasonMasterUnreachable,
			fmt.Sprintf("master pod %s is Ready but does not answer INFO replication: check its logs and the auth Secret", st.Master))
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
	case linkDown:
		set(v1alpha1.ConditionReplicasSynced, false, v1alpha1.ReasonReplicaLinkDown,
			fmt.Sprintf("%d of %d replicas synced; link to master %s down on %s", st.SyncedReplicas, wantReplicas, st.Master, notSynced(st, obs)))
	default:
		set(v1alpha1.ConditionReplicasSynced, false, v1alpha1.ReasonReplicasSyncing,
			fmt.Sprintf("%d of %d replicas synced; waiting for %s", st.SyncedReplicas, wantReplicas, notSynced(st, obs)))
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
	case obs.promotion != nil:
		progressReason = v1alpha1.ReasonFailingOver
	case len(st.Members) == 0:
		progressReason = v1alpha1.ReasonCreating
	case st.Replicas != rg.Spec.Replicas:
		progressReason = v1alpha1.ReasonScaling
	case obs.rollout != "":
		progressReason = v1alpha1.ReasonRollingUpdate
	case !ready:
		progressReason = v1alpha1.ReasonReplicasSyncing
	}
	stalled := obs.stalled != nil
	progressing := (!ready || obs.promotion != nil || obs.rollout != "") && !stalled
	progressMsg := ""
	switch {
	case obs.promotion != nil:
		progressMsg = obs.promotion.Message
	case len(st.Members) > 0 && st.Replicas != rg.Spec.Replicas:
		progressMsg = fmt.Sprintf("%d members, spec.replicas %d", st.Replicas, rg.Spec.Replicas)
	case obs.rollout != "":
		progressMsg = obs.rollout
	}
	set(v1alpha1.ConditionProgressing, progressing, progressReason, progressMsg)
	// kstatus: Reconciling while work is under way, Stalled when only the
	// user can unblock the group; Current needs both False and Ready True.
	set(v1alpha1.ConditionReconciling, progressing, progressReason, progressMsg)
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
	case obs.promotion != nil:
		st.Phase = v1alpha1.PhaseFailingOver
	case ready && obs.rollout == "":
		st.Phase = v1alpha1.PhaseReady
	case len(st.Members) == 0:
		st.Phase = v1alpha1.PhasePending
	case st.Replicas != rg.Spec.Replicas:
		st.Phase = v1alpha1.PhaseScaling
	case obs.rollout != "":
		st.Phase = v1alpha1.PhaseUpdating
	case !masterOK:
		st.Phase = v1alpha1.PhaseDegraded
	default:
		st.Phase = v1alpha1.PhaseSyncing
	}
	return st
}

// members describes the pods by ordinal: name, IP and readiness from the
// pod, role, link and offsets from its INFO replication. When the pass did
// not poll the members, their previous replication fields stand.
func members(obs observation, prev []v1alpha1.MemberStatus, master string) []v1alpha1.MemberStatus {
	ms := make([]v1alpha1.MemberStatus, 0, len(obs.pods))
	for i := range obs.pods {
		pod := &obs.pods[i]
		if !pod.DeletionTimestamp.IsZero() {
			continue
		}
		m := v1alpha1.MemberStatus{Pod: pod.Name, IP: pod.Status.PodIP, Ready: podReady(pod)}
		if obs.infos == nil {
			if j := slices.IndexFunc(prev, func(p v1alpha1.MemberStatus) bool { return p.Pod == pod.Name }); j >= 0 {
				p := prev[j]
				m.Role, m.LinkStatus, m.ReplOffset, m.LagBytes, m.LagSeconds = p.Role, p.LinkStatus, p.ReplOffset, p.LagBytes, p.LagSeconds
			}
		} else if info := obs.infos[pod.Name]; info != nil {
			m.Role = v1alpha1.RoleReplica
			if info.IsMaster() {
				m.Role = v1alpha1.RoleMaster
			}
			m.LinkStatus = info.LinkStatus()
			m.ReplOffset = info.Offset
			m.LagBytes, m.LagSeconds = lag(info, obs.infos[master], pod.Status.PodIP)
		}
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b v1alpha1.MemberStatus) int {
		return cmp.Compare(ordinal(a.Pod), ordinal(b.Pod))
	})
	return ms
}

// lag is how far a replica is behind the master: bytes by offsets, seconds
// since the master last heard from it (the replica's own view of its link
// when the master does not list it).
func lag(replica, master *replInfo, ip string) (bytes, seconds int64) {
	if replica.IsMaster() || !replica.LinkUp {
		return 0, 0
	}
	seconds = max(replica.LastIOSecondsAgo, 0)
	if master == nil || !master.IsMaster() {
		return 0, seconds
	}
	for _, c := range master.Replicas {
		if c.IP == ip {
			seconds = c.Lag
		}
	}
	return max(master.Offset-replica.Offset, 0), seconds
}

// memberSynced: a replica that follows the master with its link up and its
// initial sync done. Without a fresh poll, the previous status says so.
func memberSynced(m v1alpha1.MemberStatus, obs observation) bool {
	if m.Role != v1alpha1.RoleReplica || m.LinkStatus != "up" {
		return false
	}
	return obs.infos == nil || obs.synced[m.Pod]
}

func notSynced(st v1alpha1.ReplicationGroupStatus, obs observation) string {
	var names []string
	for _, m := range st.Members {
		if m.Pod != st.Master && !memberSynced(m, obs) {
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
