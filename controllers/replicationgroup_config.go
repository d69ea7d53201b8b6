package controllers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/internal/redis/server"
	"github.com/replikube/replikube/internal/resources"
)

// directive is one redis.conf line: a directive name and its value, as
// CONFIG SET takes them.
type directive struct{ Key, Value string }

// needsRestart reports whether a change of the directive takes a restart:
// the directives Redis 7.0 refuses in CONFIG SET (IMMUTABLE_CONFIG and,
// without enable-protected-configs, PROTECTED_CONFIG in its config.c) and
// those that exist only in a configuration file. The replikube data
// plane's directive table holds that list for both data planes.
// Everything else is applied with CONFIG SET; should a member refuse it
// anyway, the member is restarted instead.
func needsRestart(key string) bool { return server.RestartOnly(key) }

// parseConfig reads rendered redis.conf text into directive -> value: a
// value is the rest of its line, `""` the empty string. Comments and blank
// lines are skipped.
func parseConfig(text string) map[string]string {
	conf := map[string]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, _ := strings.Cut(line, " ")
		value = strings.TrimSpace(value)
		if value == `""` {
			value = ""
		}
		conf[strings.ToLower(key)] = value
	}
	return conf
}

// configChange is how a member moves from one rendered configuration to
// another.
type configChange struct {
	// Live are the directives to CONFIG SET, by name.
	Live []directive
	// Restart are the changed directives that need a restart, by name.
	// A directive that was removed is among them: Redis has no command
	// that puts a directive back to its default, a restart does.
	Restart []string
}

// diffConfig compares the configuration a member runs with the one it
// should run.
func diffConfig(running, desired string) configChange {
	old, want := parseConfig(running), parseConfig(desired)
	var ch configChange
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v, had := old[k]
		switch {
		case had && v == want[k]:
		case needsRestart(k):
			ch.Restart = append(ch.Restart, k)
		default:
			ch.Live = append(ch.Live, directive{k, want[k]})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(old)) {
		if _, ok := want[k]; !ok {
			ch.Restart = append(ch.Restart, k)
		}
	}
	return ch
}

// podSpecChanged names, among the reasons of a rolling restart, a pod
// spec change (spec.image, spec.pod, spec.resources ...).
const podSpecChanged = "the pod spec (image, resources, scheduling)"

// errConfigRefused marks a member's error reply to CONFIG SET, as opposed
// to not reaching it: the change then takes a restart.
var errConfigRefused = errors.New("controllers: CONFIG SET refused")

// configRestartWait is how long the config phase waits between steps of a
// rolling restart when the group is not settled yet.
const configRestartWait = time.Second

// reconcileConfig brings every member to the rendered redis.conf and the
// StatefulSet's pod spec. A pod's
// annotations say which configuration it runs (the template's at creation,
// see resources.AnnotationConfig). Directives that Redis changes at run
// time are sent with CONFIG SET to each member and its annotations
// updated; any other change, and any change of the pod spec (whose hash
// the pod carries, resources.AnnotationPodSpecHash), restarts the members
// one at a time under the
// StatefulSet's OnDelete strategy: replicas first, each only once the
// whole group is Ready and synced again, then the master, after a
// switchover has made it a replica. No member restarts as the master.
func (r *ReplicationGroupReconciler) reconcileConfig(ctx context.Context, p *pass) (ctrl.Result, error) {
	rg := p.rg
	log := logf.FromContext(ctx)
	if p.promotion != nil {
		return ctrl.Result{}, nil // the group's master just moved: look again first
	}
	cm := resources.ConfigMap(rg, p.master)
	text, hash := cm.Data[resources.ConfigKey], resources.ConfigHash(cm)

	var (
		restart []*corev1.Pod
		keys    []string
		errs    []error
	)
	for i := range p.pods {
		pod := &p.pods[i]
		if !pod.DeletionTimestamp.IsZero() {
			continue
		}
		// A pod from an older template (image, resources, scheduling ...)
		// restarts whatever its configuration. Pods made before the
		// operator recorded the hash are left alone.
		if spec := pod.Annotations[resources.AnnotationPodSpecHash]; spec != "" && p.podSpecHash != "" && spec != p.podSpecHash {
			restart = append(restart, pod)
			if !slices.Contains(keys, podSpecChanged) {
				keys = append(keys, podSpecChanged)
			}
			continue
		}
		running, ok := pod.Annotations[resources.AnnotationConfigHash]
		switch {
		case running == hash:
			continue
		case !ok:
			// A pod from before the operator recorded configurations
			// (or made by hand): take it to run the rendered one.
			errs = append(errs, r.markConfig(ctx, pod, hash, text))
			continue
		}
		old, known := pod.Annotations[resources.AnnotationConfig]
		ch := diffConfig(old, text)
		if !known {
			ch.Restart = append(ch.Restart, "(configuration not recorded)")
		}
		if len(ch.Restart) == 0 && len(ch.Live) > 0 && p.infos[pod.Name] == nil {
			continue // not answering: next pass
		}
		if len(ch.Restart) == 0 {
			err := r.configSet(ctx, pod, p.password, ch.Live)
			switch {
			case errors.Is(err, errConfigRefused):
				log.Info("Member refused CONFIG SET, restarting it instead", "pod", klog.KObj(pod), "error", err.Error())
				ch.Restart = []string{"(refused by CONFIG SET)"}
			case err != nil:
				errs = append(errs, err)
				continue
			default:
				log.Info("Applied configuration live", "pod", klog.KObj(pod), "directives", liveKeys(ch.Live))
				r.Recorder.Eventf(rg, pod, corev1.EventTypeNormal, v1alpha1.EventConfigApplied, "ConfigSet",
					"%s: CONFIG SET %s", pod.Name, strings.Join(liveKeys(ch.Live), " "))
				errs = append(errs, r.markConfig(ctx, pod, hash, text))
				continue
			}
		}
		restart = append(restart, pod)
		for _, k := range ch.Restart {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	if err := errors.Join(errs...); err != nil || len(restart) == 0 {
		return ctrl.Result{}, err
	}
	return r.rollConfig(ctx, p, restart, keys)
}

// rollConfig restarts one member of restart, or moves the master away from
// it, when the group is settled.
func (r *ReplicationGroupReconciler) rollConfig(ctx context.Context, p *pass, restart []*corev1.Pod, keys []string) (ctrl.Result, error) {
	rg := p.rg
	log := logf.FromContext(ctx)
	master := rg.CurrentMaster()
	names := make([]string, 0, len(restart))
	for _, pod := range restart {
		names = append(names, pod.Name)
	}
	p.rollout = fmt.Sprintf("restarting %s one at a time for %s", strings.Join(names, ", "), strings.Join(keys, ", "))
	if why := unsettled(p); why != "" {
		log.Info("Waiting before the next restart", "why", why, "pending", names)
		return ctrl.Result{RequeueAfter: configRestartWait}, nil
	}
	victim := restart[0]
	for _, pod := range restart {
		if pod.Name != master {
			victim = pod
			break
		}
	}
	if victim.Name == master && len(p.pods) > 1 {
		stale := func(pod string) bool { return slices.Contains(names, pod) }
		return r.switchover(ctx, p, func(pod string) bool { return !stale(pod) },
			fmt.Sprintf("switchover from %s before restarting it for %s", master, strings.Join(keys, ", ")))
	}
	// Deleting the pod is the restart: the StatefulSet (OnDelete)
	// recreates it from the current template, which mounts the new file.
	if err := r.Delete(ctx, victim, client.Preconditions{UID: &victim.UID}); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("restart %s: %w", victim.Name, err)
	}
	typ := corev1.EventTypeNormal
	if victim.Name == master {
		// A group of one has nobody to hand the role to.
		typ = corev1.EventTypeWarning
	}
	log.Info("Restarted member for a change", "pod", klog.KObj(victim), "of", keys)
	r.Recorder.Eventf(rg, victim, typ, v1alpha1.EventMemberRestarted, "RollingRestart",
		"deleted %s so that it restarts with the new version of %s", victim.Name, strings.Join(keys, ", "))
	return ctrl.Result{RequeueAfter: configRestartWait}, nil
}

// unsettled says why the group may not lose a member now, "" if it may:
// every pod the StatefulSet should run exists, none is terminating, every
// one is Ready and synced.
func unsettled(p *pass) string {
	want := statefulSetReplicas(p.rg)
	if n := int32(len(p.pods)); n != want {
		return fmt.Sprintf("%d of %d pods exist", n, want)
	}
	for i := range p.pods {
		pod := &p.pods[i]
		switch {
		case !pod.DeletionTimestamp.IsZero():
			return pod.Name + " is terminating"
		case !podReady(pod):
			return pod.Name + " is not Ready"
		case !p.synced[pod.Name]:
			return pod.Name + " is not synced"
		}
	}
	return ""
}

func (r *ReplicationGroupReconciler) configSet(ctx context.Context, pod *corev1.Pod, password string, ds []directive) error {
	ctx, cancel := context.WithTimeout(ctx, r.podTimeout())
	defer cancel()
	if err := r.admin().ConfigSet(ctx, r.endpoint(pod.Status.PodIP, password), ds); err != nil {
		return fmt.Errorf("apply configuration to %s: %w", pod.Name, err)
	}
	return nil
}

// markConfig records on the pod the configuration it now runs.
func (r *ReplicationGroupReconciler) markConfig(ctx context.Context, pod *corev1.Pod, hash, text string) error {
	before := pod.DeepCopy()
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[resources.AnnotationConfigHash] = hash
	pod.Annotations[resources.AnnotationConfig] = text
	if err := r.Patch(ctx, pod, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("record configuration of %s: %w", pod.Name, err)
	}
	return nil
}

func liveKeys(ds []directive) []string {
	keys := make([]string, 0, len(ds))
	for _, d := range ds {
		keys = append(keys, d.Key)
	}
	return keys
}
