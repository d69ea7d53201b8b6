package cluster

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// statusInput is what the runner knows of a pod instance.
type statusInput struct {
	podIP   string
	hostIP  string
	ctr     containerState
	running bool
}

// podStatus is pod's status with the runner's fields filled in from in:
// phase, IPs, start time, the container's status and the Initialized,
// ContainersReady and Ready conditions (Ready honours readiness gates).
// Everything else, including conditions written by others, is kept.
// changed is false when the result equals pod.Status. now stamps new
// transitions only.
func podStatus(pod *corev1.Pod, in statusInput, now metav1.Time) (status corev1.PodStatus, changed bool) {
	old := &pod.Status
	status = *old.DeepCopy()
	status.PodIP = in.podIP
	status.PodIPs = []corev1.PodIP{{IP: in.podIP}}
	status.HostIP = in.hostIP
	status.HostIPs = []corev1.HostIP{{IP: in.hostIP}}
	if status.StartTime == nil {
		status.StartTime = &now
	}

	cs := containerStatus(pod, in)
	status.ContainerStatuses = []corev1.ContainerStatus{cs}
	status.Phase = phase(pod, in)

	terminal := status.Phase == corev1.PodSucceeded || status.Phase == corev1.PodFailed
	ctrReady := cs.Ready && !terminal
	setCondition(&status, corev1.PodScheduled, true, "", "", now)
	setCondition(&status, corev1.PodInitialized, true, "", "", now)
	reason, msg := "", ""
	if !ctrReady {
		reason = "ContainersNotReady"
		msg = fmt.Sprintf("containers with unready status: [%s]", cs.Name)
	}
	setCondition(&status, corev1.ContainersReady, ctrReady, reason, msg, now)

	var unmet []string
	for _, g := range pod.Spec.ReadinessGates {
		if c := findCondition(old, g.ConditionType); c == nil || c.Status != corev1.ConditionTrue {
			unmet = append(unmet, string(g.ConditionType))
		}
	}
	switch {
	case !ctrReady:
	case len(unmet) > 0:
		reason = "ReadinessGatesNotReady"
		msg = fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist or is not True", strings.Join(unmet, `", "`))
	}
	setCondition(&status, corev1.PodReady, ctrReady && len(unmet) == 0, reason, msg, now)
	return status, !apiequality.Semantic.DeepEqual(&status, old)
}

func containerStatus(pod *corev1.Pod, in statusInput) corev1.ContainerStatus {
	c := in.ctr
	cs := corev1.ContainerStatus{
		Name:                 containerName(pod),
		RestartCount:         c.restarts,
		ImageID:              c.imageID,
		ContainerID:          c.containerID,
		Ready:                in.running && c.ready,
		Started:              ptr.To(in.running),
		LastTerminationState: corev1.ContainerState{Terminated: c.lastTerm},
	}
	if len(pod.Spec.Containers) > 0 {
		cs.Image = pod.Spec.Containers[0].Image
	}
	switch {
	case in.running:
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: c.runningSince}
	case c.finalTerm != nil:
		cs.State.Terminated = c.finalTerm
	case c.waiting != nil:
		cs.State.Waiting = c.waiting
	default:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
	}
	return cs
}

func phase(pod *corev1.Pod, in statusInput) corev1.PodPhase {
	switch {
	case in.ctr.finalTerm != nil && in.ctr.finalTerm.ExitCode == 0:
		return corev1.PodSucceeded
	case in.ctr.finalTerm != nil:
		return corev1.PodFailed
	case in.running || in.ctr.started:
		return corev1.PodRunning
	}
	return corev1.PodPending
}

func findCondition(s *corev1.PodStatus, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// setCondition sets a condition, moving LastTransitionTime only when the
// status flips.
func setCondition(s *corev1.PodStatus, t corev1.PodConditionType, ok bool, reason, msg string, now metav1.Time) {
	v := corev1.ConditionFalse
	if ok {
		v = corev1.ConditionTrue
	}
	c := findCondition(s, t)
	if c == nil {
		s.Conditions = append(s.Conditions, corev1.PodCondition{Type: t})
		c = &s.Conditions[len(s.Conditions)-1]
	}
	if c.Status != v {
		c.LastTransitionTime = now
	}
	c.Status, c.Reason, c.Message = v, reason, msg
}
