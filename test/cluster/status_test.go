package cluster

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodStatus(t *testing.T) {
	const gate = "redis.replikube.io/synced"
	now := metav1.NewTime(time.Unix(1000, 0))
	running := statusInput{podIP: "127.0.10.1", hostIP: nodeIP, running: true,
		ctr: containerState{started: true, ready: true, restarts: 2}}
	for _, tc := range []struct {
		name      string
		gates     []corev1.PodReadinessGate
		others    []corev1.PodCondition
		in        statusInput
		phase     corev1.PodPhase
		ctrsReady corev1.ConditionStatus
		ready     corev1.ConditionStatus
	}{
		{name: "running and ready", in: running, phase: corev1.PodRunning,
			ctrsReady: corev1.ConditionTrue, ready: corev1.ConditionTrue},
		{name: "gate unset", gates: []corev1.PodReadinessGate{{ConditionType: gate}}, in: running,
			phase: corev1.PodRunning, ctrsReady: corev1.ConditionTrue, ready: corev1.ConditionFalse},
		{name: "gate false", gates: []corev1.PodReadinessGate{{ConditionType: gate}},
			others: []corev1.PodCondition{{Type: gate, Status: corev1.ConditionFalse}}, in: running,
			phase: corev1.PodRunning, ctrsReady: corev1.ConditionTrue, ready: corev1.ConditionFalse},
		{name: "gate true", gates: []corev1.PodReadinessGate{{ConditionType: gate}},
			others: []corev1.PodCondition{{Type: gate, Status: corev1.ConditionTrue}}, in: running,
			phase: corev1.PodRunning, ctrsReady: corev1.ConditionTrue, ready: corev1.ConditionTrue},
		{name: "backing off", in: statusInput{podIP: "127.0.10.1", ctr: containerState{started: true, restarts: 1,
			waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}},
			phase: corev1.PodRunning, ctrsReady: corev1.ConditionFalse, ready: corev1.ConditionFalse},
		{name: "not started", in: statusInput{podIP: "127.0.10.1"},
			phase: corev1.PodPending, ctrsReady: corev1.ConditionFalse, ready: corev1.ConditionFalse},
		{name: "failed", in: statusInput{podIP: "127.0.10.1", ctr: containerState{started: true,
			finalTerm: &corev1.ContainerStateTerminated{ExitCode: 1}}},
			phase: corev1.PodFailed, ctrsReady: corev1.ConditionFalse, ready: corev1.ConditionFalse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{
				Spec:   corev1.PodSpec{ReadinessGates: tc.gates, Containers: []corev1.Container{{Name: "redis", Image: "redis:7.0"}}},
				Status: corev1.PodStatus{Conditions: tc.others},
			}
			st, changed := podStatus(pod, tc.in, now)
			if !changed {
				t.Error("changed = false for a fresh pod")
			}
			if st.Phase != tc.phase || st.PodIP != tc.in.podIP {
				t.Errorf("phase, podIP = %s, %s; want %s, %s", st.Phase, st.PodIP, tc.phase, tc.in.podIP)
			}
			if c := findCondition(&st, corev1.ContainersReady); c == nil || c.Status != tc.ctrsReady {
				t.Errorf("ContainersReady = %+v, want %s", c, tc.ctrsReady)
			}
			if c := findCondition(&st, corev1.PodReady); c == nil || c.Status != tc.ready {
				t.Errorf("Ready = %+v, want %s", c, tc.ready)
			}
			for _, o := range tc.others {
				if c := findCondition(&st, o.Type); c == nil || c.Status != o.Status {
					t.Errorf("condition %s owned by another writer changed: %+v", o.Type, c)
				}
			}
			if got := st.ContainerStatuses[0].RestartCount; got != tc.in.ctr.restarts {
				t.Errorf("restartCount = %d, want %d", got, tc.in.ctr.restarts)
			}
			// Same input again, later: nothing to write.
			pod.Status = st
			if _, changed := podStatus(pod, tc.in, metav1.NewTime(now.Add(time.Minute))); changed {
				t.Error("changed = true for an unchanged pod")
			}
		})
	}
}
