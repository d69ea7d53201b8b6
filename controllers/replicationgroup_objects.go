package controllers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/internal/resources"
)

// secretRetry is how often a group whose user Secret is missing looks again.
const secretRetry = 10 * time.Second

// apply server-side-applies a desired object built by internal/resources, as
// owned by the group. Only the fields the builder set are ours; the API
// server's defaults stay out of the comparison.
func (r *ReplicationGroupReconciler) apply(ctx context.Context, rg *v1alpha1.ReplicationGroup, obj client.Object) error {
	if err := controllerutil.SetControllerReference(rg, obj, r.Scheme); err != nil {
		return fmt.Errorf("set owner of %T %s: %w", obj, obj.GetName(), err)
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return fmt.Errorf("convert %T %s: %w", obj, obj.GetName(), err)
	}
	// Zero values that the typed structs cannot omit: applying them would
	// claim fields we do not mean to own.
	delete(u, "status")
	unstructured.RemoveNestedField(u, "metadata", "creationTimestamp")
	ac := client.ApplyConfigurationFromUnstructured(&unstructured.Unstructured{Object: u})
	if err := r.Apply(ctx, ac, client.FieldOwner(resources.FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply %T %s: %w", obj, obj.GetName(), err)
	}
	return nil
}

// reconcileAuthSecret makes sure the password exists: the user's Secret must
// hold the key; otherwise the generated <name>-auth is created once and its
// password kept on every later pass.
func (r *ReplicationGroupReconciler) reconcileAuthSecret(ctx context.Context, p *pass) (ctrl.Result, error) {
	rg := p.rg
	key := client.ObjectKey{Namespace: rg.Namespace, Name: rg.AuthSecretName()}
	existing := &corev1.Secret{}
	err := r.Get(ctx, key, existing)
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("get secret %s: %w", key.Name, err)
	}
	found := err == nil && len(existing.Data[rg.AuthSecretKey()]) > 0

	if rg.Spec.Auth.SecretName != "" {
		if !found {
			p.stalled = &stall{v1alpha1.ReasonAuthSecretMissing, fmt.Sprintf(
				"Secret %q with key %q not found: create it, or clear spec.auth.secretName to let the operator generate one",
				key.Name, rg.AuthSecretKey())}
			logf.FromContext(ctx).Info("Waiting for the auth secret", "secret", key.Name)
			return ctrl.Result{RequeueAfter: secretRetry}, nil
		}
		p.password = string(existing.Data[rg.AuthSecretKey()])
		return ctrl.Result{}, nil
	}

	password := string(existing.Data[rg.AuthSecretKey()])
	if !found {
		if password, err = newPassword(); err != nil {
			return ctrl.Result{}, err
		}
	}
	p.password = password
	return ctrl.Result{}, r.apply(ctx, rg, resources.AuthSecret(rg, password))
}

// newPassword is 32 random bytes, URL-safe base64: no character that needs
// quoting in redis.conf or a shell.
func newPassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// reconcileConfigMap renders redis.conf and the per-pod include files that
// name the master. Replicas find the master by its pod IP once it has one,
// else by its stable DNS name.
func (r *ReplicationGroupReconciler) reconcileConfigMap(ctx context.Context, p *pass) (ctrl.Result, error) {
	rg := p.rg
	p.master = resources.Master{
		Pod:   rg.CurrentMaster(),
		Host:  rg.PodFQDN(rg.CurrentMaster(), r.clusterDomain()),
		Epoch: rg.Status.MasterEpoch,
	}
	pod := &corev1.Pod{}
	err := r.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: p.master.Pod}, pod)
	switch {
	case err == nil && pod.Status.PodIP != "":
		p.master.Host = pod.Status.PodIP
	case err != nil && !apierrors.IsNotFound(err):
		return ctrl.Result{}, fmt.Errorf("get master pod %s: %w", p.master.Pod, err)
	}
	if volatileData(rg) {
		p.master.RestartFollows = syncedReplicaIP(rg)
	}
	return ctrl.Result{}, r.apply(ctx, rg, resources.ConfigMap(rg, p.master))
}

// syncedReplicaIP is the IP of the first replica that the last status saw
// synced, else of any replica: the file must stay armed while the master is
// down, which is when no replica is synced. "" for a group without
// replicas in its status yet. See resources.Master.RestartFollows.
func syncedReplicaIP(rg *v1alpha1.ReplicationGroup) string {
	any := ""
	for _, m := range rg.Status.Members {
		if m.Pod == rg.CurrentMaster() || m.Role != v1alpha1.RoleReplica || m.IP == "" {
			continue
		}
		if m.Ready && m.LinkStatus == "up" {
			return m.IP
		}
		if any == "" {
			any = m.IP
		}
	}
	return any
}

func (r *ReplicationGroupReconciler) reconcileServices(ctx context.Context, p *pass) (ctrl.Result, error) {
	for _, svc := range []*corev1.Service{
		resources.HeadlessService(p.rg),
		resources.MasterService(p.rg),
		resources.ReplicasService(p.rg),
	} {
		if err := r.apply(ctx, p.rg, svc); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{}, nil
}

// reconcileStatefulSet applies the StatefulSet. Its updates are OnDelete, so
// a new template reaches pods only when the rollout phase restarts them.
func (r *ReplicationGroupReconciler) reconcileStatefulSet(ctx context.Context, p *pass) (ctrl.Result, error) {
	rg := p.rg
	cm := resources.ConfigMap(rg, p.master)
	sts := resources.StatefulSet(rg, resources.PodSettings{
		Image:      resources.Image(rg, r.OperatorImage),
		ConfigHash: resources.ConfigHash(cm),
		Config:     cm.Data[resources.ConfigKey],
		Replicas:   statefulSetReplicas(rg),
	})
	existing := &appsv1.StatefulSet{}
	if err := r.Get(ctx, client.ObjectKeyFromObject(sts), existing); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("get statefulset %s: %w", sts.Name, err)
	}
	err := r.apply(ctx, rg, sts)
	if err == nil {
		p.podSpecHash = sts.Spec.Template.Annotations[resources.AnnotationPodSpecHash]
	}
	if err == nil && existing.Spec.Replicas != nil && *existing.Spec.Replicas != *sts.Spec.Replicas {
		r.recordScale(ctx, rg, *existing.Spec.Replicas, *sts.Spec.Replicas)
	}
	if apierrors.IsInvalid(err) {
		// The CRD guards the fields that feed immutable StatefulSet fields;
		// if one still differs, say so instead of failing every pass.
		r.Recorder.Eventf(rg, nil, corev1.EventTypeWarning, v1alpha1.EventImmutableChanged, "ApplyStatefulSet",
			"StatefulSet %s cannot take the new spec: %v", sts.Name, err)
		p.stalled = &stall{v1alpha1.EventImmutableChanged, err.Error()}
		return ctrl.Result{RequeueAfter: secretRetry}, nil
	}
	return ctrl.Result{}, err
}

func (r *ReplicationGroupReconciler) reconcilePodDisruptionBudget(ctx context.Context, p *pass) (ctrl.Result, error) {
	return ctrl.Result{}, r.apply(ctx, p.rg, resources.PodDisruptionBudget(p.rg))
}

// observePods lists the group's pods for the status computation.
func (r *ReplicationGroupReconciler) observePods(ctx context.Context, p *pass) (ctrl.Result, error) {
	list := &corev1.PodList{}
	if err := r.List(ctx, list, client.InNamespace(p.rg.Namespace),
		client.MatchingLabels(resources.SelectorLabels(p.rg))); err != nil {
		return ctrl.Result{}, fmt.Errorf("list pods: %w", err)
	}
	p.pods = list.Items
	return ctrl.Result{}, nil
}
