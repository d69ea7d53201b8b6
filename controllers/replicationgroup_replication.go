package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/internal/resources"
)

// DefaultPodTimeout bounds each call the operator makes to a member.
const DefaultPodTimeout = time.Second

// memberView is one pod as the replication phase sees it.
type memberView struct {
	Pod string
	IP  string
	// Hosts are the names a replicaof line may use for this pod: its IP
	// and its stable DNS name.
	Hosts []string
	// Info is nil when the pod has no IP yet or did not answer.
	Info *replInfo
}

// replicationPlan is what one pass does to the members: pure output of
// planReplication, carried out by reconcileReplication.
type replicationPlan struct {
	// Master is the master after this pass.
	Master string
	// Promotion is set when a replica replaces the named master.
	Promotion *promotion
	// MakeMaster: Master thinks it is a replica; send it REPLICAOF NO ONE.
	MakeMaster bool
	// Repoint are the pods to send REPLICAOF <Master>.
	Repoint []string
	// Roles is the role label each pod must carry.
	Roles map[string]v1alpha1.Role
	// Synced are the pods whose readiness gate is True: the master, and
	// replicas that follow it with their link up and initial sync done.
	Synced map[string]bool
}

// planReplication decides who the master is and which members to repoint.
// named is status.master (ordinal 0 for a new group); volatile says whether a
// restarted member comes back empty (see decideEmptyMaster); port is where
// every member listens.
func planReplication(named string, members []memberView, volatile bool, port int) replicationPlan {
	plan := replicationPlan{
		Master: named,
		Roles:  map[string]v1alpha1.Role{},
		Synced: map[string]bool{},
	}
	idx := slices.IndexFunc(members, func(m memberView) bool { return m.Pod == named })
	if idx >= 0 && volatile {
		others := slices.Delete(slices.Clone(members), idx, idx+1)
		if p := decideEmptyMaster(members[idx], others); p != nil {
			plan.Promotion, plan.Master, plan.MakeMaster = p, p.To, true
			idx = slices.IndexFunc(members, func(m memberView) bool { return m.Pod == p.To })
		}
	}
	var master *memberView
	if idx >= 0 {
		master = &members[idx]
		if master.Info != nil && !master.Info.IsMaster() {
			plan.MakeMaster = true
		}
	}
	for _, m := range members {
		if m.Pod == plan.Master {
			plan.Roles[m.Pod] = v1alpha1.RoleMaster
			plan.Synced[m.Pod] = m.Info != nil
			continue
		}
		plan.Roles[m.Pod] = v1alpha1.RoleReplica
		if m.Info == nil || master == nil || master.Info == nil {
			// Nothing to tell it, or nowhere to send it: a replica
			// keeps retrying its master, which is what we want until
			// the failover decides otherwise.
			continue
		}
		follows := !m.Info.IsMaster() && m.Info.MasterPort == port && slices.Contains(master.Hosts, m.Info.MasterHost)
		if follows && m.Info.MasterHost != master.IP && master.IP != "" && !m.Info.LinkUp &&
			!m.Info.SyncInProgress && m.Info.Offset <= neverSyncedOffset {
			// It names the master by DNS (its include file was written
			// before the master had an IP) and has never reached it,
			// while the operator can: the name does not resolve (yet).
			// The IP does not depend on DNS.
			follows = false
		}
		if !follows || plan.Promotion != nil {
			plan.Repoint = append(plan.Repoint, m.Pod)
			continue
		}
		plan.Synced[m.Pod] = m.Info.LinkUp && !m.Info.SyncInProgress
	}
	return plan
}

// memberViews pairs the pods with what they answered.
func (r *ReplicationGroupReconciler) memberViews(rg *v1alpha1.ReplicationGroup, pods []corev1.Pod, infos map[string]*replInfo) []memberView {
	views := make([]memberView, 0, len(pods))
	for i := range pods {
		pod := &pods[i]
		if !pod.DeletionTimestamp.IsZero() {
			continue
		}
		hosts := []string{rg.PodFQDN(pod.Name, r.clusterDomain())}
		if pod.Status.PodIP != "" {
			hosts = append(hosts, pod.Status.PodIP)
		}
		views = append(views, memberView{Pod: pod.Name, IP: pod.Status.PodIP, Hosts: hosts, Info: infos[pod.Name]})
	}
	slices.SortFunc(views, func(a, b memberView) int { return ordinal(a.Pod) - ordinal(b.Pod) })
	return views
}

// pollMembers reads INFO replication from every pod that has an IP, in
// parallel, each call with its own timeout. A pod that does not answer is
// left out of the map: that is an observation, not an error.
func (r *ReplicationGroupReconciler) pollMembers(ctx context.Context, pods []corev1.Pod, password string) map[string]*replInfo {
	log := logf.FromContext(ctx)
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		infos = map[string]*replInfo{}
	)
	for i := range pods {
		pod := &pods[i]
		if pod.Status.PodIP == "" || !pod.DeletionTimestamp.IsZero() {
			continue
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, r.podTimeout())
			defer cancel()
			info, err := r.admin().InfoReplication(ctx, r.endpoint(pod.Status.PodIP, password))
			if err != nil {
				log.V(1).Info("Member did not answer", "pod", klog.KObj(pod), "error", err.Error())
				return
			}
			mu.Lock()
			infos[pod.Name] = &info
			mu.Unlock()
		})
	}
	wg.Wait()
	return infos
}

// reconcileReplication reads every member's replication state, makes the
// named master (or, after a restart without data, the best replica) the
// only master, repoints members that follow anyone else, and keeps the role
// labels and readiness gates true. Members that do not answer are reported,
// not errors.
func (r *ReplicationGroupReconciler) reconcileReplication(ctx context.Context, p *pass) (ctrl.Result, error) {
	rg := p.rg
	p.infos = r.pollMembers(ctx, p.pods, p.password)
	views := r.memberViews(rg, p.pods, p.infos)
	plan := planReplication(rg.CurrentMaster(), views, volatileData(rg), resources.RedisPort)
	p.views, p.synced = views, plan.Synced
	return ctrl.Result{}, r.carryOut(ctx, p, plan)
}

// carryOut makes a replication plan true: promotes, repoints, labels roles
// and sets the readiness gates.
func (r *ReplicationGroupReconciler) carryOut(ctx context.Context, p *pass, plan replicationPlan) error {
	rg := p.rg
	log := logf.FromContext(ctx)
	byPod := map[string]memberView{}
	for _, v := range p.views {
		byPod[v.Pod] = v
	}
	master := byPod[plan.Master]

	if plan.MakeMaster {
		start := time.Now()
		if err := r.replicaOf(ctx, master, p.password, ""); err != nil {
			return fmt.Errorf("promote %s: %w", plan.Master, err)
		}
		if pr := plan.Promotion; pr != nil {
			if err := r.recordPromotion(ctx, p, pr, time.Since(start)); err != nil {
				return err
			}
		} else {
			log.Info("Made the named master a master again", "pod", plan.Master)
			r.Recorder.Eventf(rg, nil, corev1.EventTypeNormal, v1alpha1.EventPromoted, "ReplicaOfNoOne",
				"%s reported itself a replica; sent REPLICAOF NO ONE", plan.Master)
		}
		if info := p.infos[plan.Master]; info != nil {
			info.Role = "master"
		}
		if plan.Promotion != nil {
			// The include files name the master: rewrite them now, so
			// that a pod restarting before the next pass follows the
			// new master.
			if _, err := r.reconcileConfigMap(ctx, p); err != nil {
				return err
			}
		}
	}

	var errs []error
	for _, pod := range plan.Repoint {
		m := byPod[pod]
		if err := r.replicaOf(ctx, m, p.password, master.IP); err != nil {
			errs = append(errs, fmt.Errorf("repoint %s: %w", pod, err))
			continue
		}
		log.Info("Repointed replica", "pod", pod, "master", plan.Master, "was", describeFollow(m.Info))
		r.Recorder.Eventf(rg, nil, corev1.EventTypeNormal, v1alpha1.EventReplicaRepointed, "ReplicaOf",
			"%s now follows %s (it %s)", pod, plan.Master, describeFollow(m.Info))
	}

	for i := range p.pods {
		pod := &p.pods[i]
		role, ok := plan.Roles[pod.Name]
		if !ok {
			continue
		}
		if err := r.labelRole(ctx, rg, pod, role); err != nil {
			errs = append(errs, err)
		}
		if err := r.setSyncedGate(ctx, pod, plan.Synced[pod.Name]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// recordPromotion makes a promotion the group's truth: status.master and
// the epoch move, lastFailover says why, and the pods' include files name
// the new master at once, so that a pod restarting now follows it.
//
// The record is written at once, not in the deferred patch: a lost
// optimistic-lock race there would leave status.master naming the old
// master, and the next pass would hand it the role back. And until the
// cache shows the new epoch, passes wait (see awaitMasterEpoch).
func (r *ReplicationGroupReconciler) recordPromotion(ctx context.Context, p *pass, pr *promotion, took time.Duration) error {
	rg := p.rg
	epoch := rg.Status.MasterEpoch + 1
	record := &v1alpha1.FailoverRecord{
		Time: metav1.Now(), From: pr.From, To: pr.To, Reason: pr.Reason,
		DurationMilliseconds: took.Milliseconds(),
	}
	patch, err := json.Marshal(map[string]any{"status": map[string]any{
		"master": pr.To, "masterEpoch": epoch, "lastFailover": record,
	}})
	if err != nil {
		return fmt.Errorf("encode promotion of %s: %w", pr.To, err)
	}
	if err := r.Status().Patch(ctx, rg, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("record promotion of %s: %w", pr.To, err)
	}
	r.epochs.Store(client.ObjectKeyFromObject(rg), epoch)
	p.promotion = pr
	logf.FromContext(ctx).Info("Promoted replica", "pod", pr.To, "from", pr.From,
		"reason", pr.Reason, "epoch", epoch)
	typ := corev1.EventTypeWarning
	if pr.Reason == v1alpha1.ReasonSwitchover {
		typ = corev1.EventTypeNormal // planned: nothing failed
	}
	r.Recorder.Eventf(rg, nil, typ, v1alpha1.EventPromoted, pr.Reason, "%s", pr.Message)
	return nil
}

// awaitMasterEpoch holds a pass whose cached group is older than the last
// promotion this operator recorded: acting on it would name the old master
// again.
func (r *ReplicationGroupReconciler) awaitMasterEpoch(ctx context.Context, p *pass) (ctrl.Result, error) {
	known, ok := r.epochs.Load(client.ObjectKeyFromObject(p.rg))
	if !ok || p.rg.Status.MasterEpoch >= known.(int64) {
		return ctrl.Result{}, nil
	}
	logf.FromContext(ctx).Info("Waiting for the cache to show the last promotion",
		"cachedEpoch", p.rg.Status.MasterEpoch, "epoch", known)
	return ctrl.Result{RequeueAfter: conflictRetry}, nil
}

func (r *ReplicationGroupReconciler) replicaOf(ctx context.Context, m memberView, password, host string) error {
	ctx, cancel := context.WithTimeout(ctx, r.podTimeout())
	defer cancel()
	return r.admin().ReplicaOf(ctx, r.endpoint(m.IP, password), host, resources.RedisPort)
}

// labelRole keeps redis.replikube.io/role true: the master and replicas
// Services select on it.
func (r *ReplicationGroupReconciler) labelRole(ctx context.Context, rg *v1alpha1.ReplicationGroup, pod *corev1.Pod, role v1alpha1.Role) error {
	old := pod.Labels[v1alpha1.LabelRole]
	if old == string(role) {
		return nil
	}
	before := pod.DeepCopy()
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[v1alpha1.LabelRole] = string(role)
	if err := r.Patch(ctx, pod, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("label %s as %s: %w", pod.Name, role, err)
	}
	logf.FromContext(ctx).Info("Labelled pod role", "pod", klog.KObj(pod), "role", role, "was", old)
	r.Recorder.Eventf(rg, pod, corev1.EventTypeNormal, v1alpha1.EventRoleLabelled, "Label",
		"%s labelled %s=%s", pod.Name, v1alpha1.LabelRole, role)
	return nil
}

// setSyncedGate sets the pod's readiness gate: until it is True the pod is
// not Ready and no Service sends it traffic.
func (r *ReplicationGroupReconciler) setSyncedGate(ctx context.Context, pod *corev1.Pod, synced bool) error {
	status := corev1.ConditionFalse
	if synced {
		status = corev1.ConditionTrue
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == v1alpha1.PodConditionSynced && c.Status == status {
			return nil
		}
	}
	before := pod.DeepCopy()
	cond := corev1.PodCondition{Type: v1alpha1.PodConditionSynced, Status: status, LastTransitionTime: metav1.Now()}
	i := slices.IndexFunc(pod.Status.Conditions, func(c corev1.PodCondition) bool { return c.Type == cond.Type })
	if i < 0 {
		pod.Status.Conditions = append(pod.Status.Conditions, cond)
	} else {
		pod.Status.Conditions[i] = cond
	}
	// A strategic merge patch touches only our condition: the kubelet
	// owns the others.
	if err := r.Status().Patch(ctx, pod, client.StrategicMergeFrom(before)); err != nil {
		return fmt.Errorf("set condition %s on %s: %w", v1alpha1.PodConditionSynced, pod.Name, err)
	}
	return nil
}

// describeFollow says whom a member followed, for events and logs.
func describeFollow(info *replInfo) string {
	switch {
	case info == nil:
		return "did not answer"
	case info.IsMaster():
		return "was a master"
	default:
		return fmt.Sprintf("followed %s", memberAddr(info.MasterHost, info.MasterPort))
	}
}

func (r *ReplicationGroupReconciler) endpoint(ip, password string) redisEndpoint {
	return redisEndpoint{Addr: memberAddr(ip, resources.RedisPort), Password: password}
}

func (r *ReplicationGroupReconciler) admin() redisAdmin {
	if r.redis != nil {
		return r.redis
	}
	return goRedisAdmin{Timeout: r.podTimeout()}
}

func (r *ReplicationGroupReconciler) podTimeout() time.Duration {
	if r.PodTimeout > 0 {
		return r.PodTimeout
	}
	return DefaultPodTimeout
}
