// Package controllers holds the ReplicationGroup reconciler: it fetches a
// group, runs named phases in order (owned objects first, then replication),
// and writes the group's status once per pass in a deferred patch. Desired
// objects come from internal/resources; this package owns the talking to the
// API server and, with go-redis behind the small redisAdmin interface, to the
// pods. It must not import internal/redis.
package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/internal/resources"
)

const (
	// DefaultPollInterval: failure detection is the operator's job, so a
	// running group is looked at again this often even when nothing
	// changes.
	DefaultPollInterval = 2 * time.Second
	// conflictRetry: a status patch that lost an optimistic-lock race is
	// retried after this long with fresh data.
	conflictRetry = 200 * time.Millisecond
	// DefaultClusterDomain is the DNS domain of Services and pods.
	DefaultClusterDomain = "cluster.local"
)

// ReplicationGroupReconciler reconciles ReplicationGroups.
type ReplicationGroupReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder recorder.EventRecorder
	// OperatorImage runs in pods whose group leaves spec.image empty.
	OperatorImage string
	// ClusterDomain builds pod DNS names; DefaultClusterDomain if empty.
	ClusterDomain string
	// PollInterval is how often a group is polled; DefaultPollInterval
	// if zero.
	PollInterval time.Duration
	// PodTimeout bounds each call to a member; DefaultPodTimeout if zero.
	PodTimeout time.Duration

	// redis talks to the members; go-redis when nil (specs set a fake).
	redis redisAdmin
	// epochs is the last masterEpoch this process recorded per group
	// (types.NamespacedName -> int64).
	epochs sync.Map
}

// +kubebuilder:rbac:groups=redis.replikube.io,resources=replicationgroups,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=redis.replikube.io,resources=replicationgroups/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=redis.replikube.io,resources=replicationgroups/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets;configmaps;services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=apps,resources=statefulsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

// pass is what one reconcile pass learns; the deferred status computation
// reads its observation.
type pass struct {
	rg       *v1alpha1.ReplicationGroup
	password string
	master   resources.Master
	// views are the members as the replication phase saw them.
	views []memberView
	// podSpecHash is the pod spec hash of the StatefulSet's template as
	// this pass applied it; "" when it could not.
	podSpecHash string
	observation
}

type stall struct{ reason, message string }

// phase is one named step of a pass, run in order. A phase that must wait
// returns a RequeueAfter and logs why; the pass stops there.
type phase struct {
	name string
	run  func(ctx context.Context, p *pass) (ctrl.Result, error)
}

func (r *ReplicationGroupReconciler) phases() []phase {
	return []phase{
		{"MasterEpoch", r.awaitMasterEpoch},
		{"AuthSecret", r.reconcileAuthSecret},
		{"ConfigMap", r.reconcileConfigMap},
		{"Services", r.reconcileServices},
		{"StatefulSet", r.reconcileStatefulSet},
		{"PodDisruptionBudget", r.reconcilePodDisruptionBudget},
		{"Pods", r.observePods},
		{"Replication", r.reconcileReplication},
		{"Scale", r.reconcileScale},
		{"Config", r.reconcileConfig},
	}
}

// Reconcile runs one pass over a group.
func (r *ReplicationGroupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	log := logf.FromContext(ctx)
	rg := &v1alpha1.ReplicationGroup{}
	if err := r.Get(ctx, req.NamespacedName, rg); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !rg.DeletionTimestamp.IsZero() {
		// Owner references let the garbage collector delete what we own.
		return ctrl.Result{}, nil
	}

	before := rg.DeepCopy()
	p := &pass{rg: rg}
	defer func() {
		p.err, p.now = retErr, metav1.Now()
		rg.Status = computeStatus(rg, p.observation)
		if equality.Semantic.DeepEqual(before.Status, rg.Status) {
			return
		}
		err := r.Status().Patch(ctx, rg, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		switch {
		case apierrors.IsConflict(err):
			log.V(1).Info("Status patch conflicted, retrying")
			result = ctrl.Result{RequeueAfter: conflictRetry}
		case apierrors.IsNotFound(err):
		case err != nil && retErr == nil:
			retErr = fmt.Errorf("patch status: %w", err)
		}
	}()

	for _, ph := range r.phases() {
		res, err := ph.run(ctx, p)
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("phase %s: %w", ph.name, err)
		}
		if !res.IsZero() {
			return res, nil
		}
	}
	log.V(1).Info("Polling replication again", "after", r.pollInterval().String(),
		"why", "failure detection: the operator notices a lost or restarted member only by looking")
	return ctrl.Result{RequeueAfter: r.pollInterval()}, nil
}

// SetupWithManager registers the reconciler: it owns the group's objects and
// watches the group's pods, which the StatefulSet (not the group) owns.
func (r *ReplicationGroupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.ReplicationGroup{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&corev1.Secret{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&corev1.Service{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(groupOfPod)).
		Named("replicationgroup").
		Complete(r)
}

// groupOfPod maps a pod to its group through the instance label.
func groupOfPod(_ context.Context, o client.Object) []reconcile.Request {
	l := o.GetLabels()
	if l[resources.LabelName] != resources.AppName || l[resources.LabelInstance] == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{
		Namespace: o.GetNamespace(), Name: l[resources.LabelInstance],
	}}}
}

func (r *ReplicationGroupReconciler) pollInterval() time.Duration {
	if r.PollInterval > 0 {
		return r.PollInterval
	}
	return DefaultPollInterval
}

func (r *ReplicationGroupReconciler) clusterDomain() string {
	if r.ClusterDomain != "" {
		return r.ClusterDomain
	}
	return DefaultClusterDomain
}
