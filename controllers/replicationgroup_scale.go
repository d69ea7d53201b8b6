package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/internal/resources"
)

// statefulSetReplicas is how many pods the StatefulSet runs: spec.replicas,
// except while the master sits at an ordinal that a scale-down removes. The
// StatefulSet removes the highest ordinals, so it shrinks only once a
// surviving replica has taken over (see reconcileScale).
func statefulSetReplicas(rg *v1alpha1.ReplicationGroup) int32 {
	return max(rg.Spec.Replicas, int32(ordinal(rg.CurrentMaster())+1))
}

// switchoverPause is how long the master holds writes while the chosen
// replica catches up; the promotion follows within a pass or two.
const switchoverPause = 2 * time.Second

// reconcileScale moves the master off an ordinal that spec.replicas no
// longer covers, by switchover to the most up-to-date surviving replica. The
// StatefulSet shrinks on a later pass, once status.master names the new
// master. Scaling up needs nothing here: new pods start as replicas of the
// master their include files name, and the replication phase takes them in.
func (r *ReplicationGroupReconciler) reconcileScale(ctx context.Context, p *pass) (ctrl.Result, error) {
	rg := p.rg
	master := rg.CurrentMaster()
	if p.promotion != nil || int32(ordinal(master)) < rg.Spec.Replicas {
		return ctrl.Result{}, nil
	}
	return r.switchover(ctx, p, func(pod string) bool { return int32(ordinal(pod)) < rg.Spec.Replicas },
		fmt.Sprintf("scale-down to %d removes the master's ordinal: switchover from %s", rg.Spec.Replicas, master))
}

// decideSwitchover picks the replica to hand the master role to: among the
// candidates that follow the master and are synced, the one with the
// highest offset (ties: the lowest ordinal). nil when there is none.
func decideSwitchover(candidates []memberView, synced map[string]bool) *memberView {
	var best *memberView
	for i := range candidates {
		m := &candidates[i]
		if m.Info == nil || m.Info.IsMaster() || !synced[m.Pod] {
			continue
		}
		if best == nil || m.Info.Offset > best.Info.Offset ||
			m.Info.Offset == best.Info.Offset && ordinal(m.Pod) < ordinal(best.Pod) {
			best = m
		}
	}
	return best
}

// switchover hands the master role to the best replica that eligible
// accepts, losing no acknowledged write: the master holds writes until the
// replica's offset has reached its own, then the replica is promoted and
// every other member, the old master included, repointed to it. It returns
// a requeue while it waits; the caller's phase must stop the pass.
func (r *ReplicationGroupReconciler) switchover(ctx context.Context, p *pass, eligible func(pod string) bool, why string) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	from := p.rg.CurrentMaster()
	var master *memberView
	var candidates []memberView
	for i, v := range p.views {
		switch {
		case v.Pod == from:
			master = &p.views[i]
		case eligible(v.Pod):
			candidates = append(candidates, v)
		}
	}
	if master == nil || master.Info == nil || !master.Info.IsMaster() {
		log.Info("Waiting for the master to answer before a switchover", "master", from, "why", why)
		return ctrl.Result{RequeueAfter: r.pollInterval()}, nil
	}
	target := decideSwitchover(candidates, p.synced)
	if target == nil {
		log.Info("Waiting for a synced replica to take over", "master", from, "why", why)
		return ctrl.Result{RequeueAfter: r.pollInterval()}, nil
	}
	if target.Info.Offset < master.Info.Offset {
		pctx, cancel := context.WithTimeout(ctx, r.podTimeout())
		defer cancel()
		if err := r.admin().PauseWrites(pctx, r.endpoint(master.IP, p.password), switchoverPause); err != nil {
			return ctrl.Result{}, fmt.Errorf("pause writes on %s: %w", from, err)
		}
		log.Info("Holding writes until the replica catches up", "master", from, "replica", target.Pod,
			"lagBytes", master.Info.Offset-target.Info.Offset)
		return ctrl.Result{RequeueAfter: 100 * time.Millisecond}, nil
	}
	plan := planReplication(target.Pod, p.views, false, resources.RedisPort)
	plan.Promotion = &promotion{From: from, To: target.Pod, Reason: v1alpha1.ReasonSwitchover,
		Message: fmt.Sprintf("%s: promoted %s at offset %d", why, target.Pod, target.Info.Offset)}
	p.synced = plan.Synced
	if err := r.carryOut(ctx, p, plan); err != nil {
		return ctrl.Result{}, err
	}
	// The next pass runs on the recorded promotion (awaitMasterEpoch).
	return ctrl.Result{RequeueAfter: conflictRetry}, nil
}

// recordScale tells users that the StatefulSet was resized.
func (r *ReplicationGroupReconciler) recordScale(ctx context.Context, rg *v1alpha1.ReplicationGroup, from, to int32) {
	reason := v1alpha1.EventScaledUp
	if to < from {
		reason = v1alpha1.EventScaledDown
	}
	logf.FromContext(ctx).Info("Resized the StatefulSet", "from", from, "to", to)
	r.Recorder.Eventf(rg, nil, corev1.EventTypeNormal, reason, "ResizeStatefulSet",
		"StatefulSet %s resized from %d to %d pods (master %s)", rg.StatefulSetName(), from, to, rg.CurrentMaster())
}
