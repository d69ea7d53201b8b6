package controllers

import (
	"context"
	"fmt"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/internal/resources"
)

var podIPs atomic.Int32

// nextPodIP is an address no other spec uses: the fake members are shared.
func nextPodIP() string {
	n := podIPs.Add(1)
	return fmt.Sprintf("10.77.%d.%d", n/250, n%250+1)
}

// createMemberPods plays the StatefulSet controller and the kubelet, which
// envtest lacks: the group's pods, running and Ready, with the given IPs.
func createMemberPods(ctx context.Context, rg *v1alpha1.ReplicationGroup, ips []string) {
	for i, ip := range ips {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: rg.PodName(i), Namespace: rg.Namespace, Labels: resources.SelectorLabels(rg)},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "redis", Image: "replikube:test"}}},
		}
		startPod(ctx, pod, ip)
	}
}

// startPod creates pod and marks it running and Ready at ip, as the
// kubelet would. The status goes in as a merge patch: the controller may
// label or annotate the pod between the two writes.
func startPod(ctx context.Context, pod *corev1.Pod, ip string) {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, pod)).To(Succeed())
	before := pod.DeepCopy()
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: ip,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
	}
	Expect(k8sClient.Status().Patch(ctx, pod, client.MergeFrom(before))).To(Succeed())
}

func eventReasons(ctx context.Context, g Gomega, ns string) []string {
	list := &eventsv1.EventList{}
	g.Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	var reasons []string
	for _, e := range list.Items {
		reasons = append(reasons, e.Reason)
	}
	return reasons
}

func expectRoles(ctx context.Context, g Gomega, rg *v1alpha1.ReplicationGroup, master string) {
	for _, name := range rg.PodNames() {
		pod := &corev1.Pod{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: name}, pod)).To(Succeed())
		want := v1alpha1.RoleReplica
		if name == master {
			want = v1alpha1.RoleMaster
		}
		g.Expect(pod.Labels).To(HaveKeyWithValue(v1alpha1.LabelRole, string(want)), name)
	}
}

// newTestGroup is a group of 3 named cache in a namespace of its own, not
// created yet, and n pod IPs whose fake members go when the spec ends.
func newTestGroup(ctx context.Context, n int) (*v1alpha1.ReplicationGroup, []string) {
	rg := &v1alpha1.ReplicationGroup{ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: newNamespace(ctx)}}
	rg.Spec.Replicas = 3
	ips := make([]string, n)
	for i := range ips {
		ips[i] = nextPodIP()
	}
	DeferCleanup(func() {
		for _, ip := range ips {
			fakeMembers.set(ip, nil)
		}
	})
	return rg, ips
}

var _ = Describe("Replication wiring", func() {
	var (
		ctx context.Context
		rg  *v1alpha1.ReplicationGroup
		ips []string
	)

	BeforeEach(func() {
		ctx = context.Background()
		rg, ips = newTestGroup(ctx, 3)
	})

	It("points every member at ordinal 0, labels roles, opens readiness gates and reports sync", func() {
		fakeMembers.set(ips[0], &replInfo{Role: "master", ReplID: "A", Offset: 100,
			Replicas: []connectedReplica{{IP: ips[2], Port: 6379, State: "online", Offset: 100, Lag: 1}}})
		// cache-1 came up as a master of its own; cache-2 follows cache-0
		// by its DNS name, as its include file says before cache-0 has an IP.
		fakeMembers.set(ips[1], &replInfo{Role: "master", ReplID: "B"})
		fakeMembers.set(ips[2], &replInfo{Role: "slave", MasterHost: rg.PodFQDN("cache-0", "cluster.local") + "",
			MasterPort: 6379, LinkUp: true, ReplID: "A", Offset: 100})
		Expect(k8sClient.Create(ctx, rg)).To(Succeed())
		createMemberPods(ctx, rg, ips)

		Eventually(func(g Gomega) {
			g.Expect(fakeMembers.get(ips[1]).MasterHost).To(Equal(ips[0]))
			expectRoles(ctx, g, rg, "cache-0")
			for _, name := range rg.PodNames() {
				pod := &corev1.Pod{}
				g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: name}, pod)).To(Succeed())
				g.Expect(pod.Status.Conditions).To(ContainElement(And(
					HaveField("Type", corev1.PodConditionType(v1alpha1.PodConditionSynced)),
					HaveField("Status", corev1.ConditionTrue))), name)
				// The kubelet's condition is left alone.
				g.Expect(podReady(pod)).To(BeTrue(), name)
			}

			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			st := rg.Status
			g.Expect(st.Phase).To(Equal(v1alpha1.PhaseReady))
			g.Expect(st.SyncedReplicas).To(Equal(int32(2)))
			g.Expect(st.MasterReplOffset).To(Equal(int64(100)))
			g.Expect(st.Members).To(HaveLen(3))
			g.Expect(st.Members[0]).To(And(HaveField("Role", v1alpha1.RoleMaster), HaveField("IP", ips[0])))
			g.Expect(st.Members[2]).To(And(HaveField("Role", v1alpha1.RoleReplica), HaveField("LinkStatus", "up"),
				HaveField("ReplOffset", int64(100)), HaveField("LagSeconds", int64(1))))
			g.Expect(meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
			g.Expect(meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionReplicasSynced)).To(BeTrue())
			g.Expect(meta.IsStatusConditionFalse(st.Conditions, v1alpha1.ConditionReconciling)).To(BeTrue())
			g.Expect(eventReasons(ctx, g, rg.Namespace)).To(ContainElements(
				v1alpha1.EventReplicaRepointed, v1alpha1.EventRoleLabelled))
		}, "20s").Should(Succeed())
		Expect(fakeMembers.callLog()).To(ContainElement(fmt.Sprintf("%s:6379 replicaof %s 6379", ips[1], ips[0])))

		By("a replica whose link drops is reported and its gate closed")
		info := fakeMembers.get(ips[2])
		info.LinkUp = false
		fakeMembers.set(ips[2], &info)
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			c := meta.FindStatusCondition(rg.Status.Conditions, v1alpha1.ConditionReplicasSynced)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(v1alpha1.ReasonReplicaLinkDown))
			g.Expect(c.Message).To(ContainSubstring("cache-2"))
			pod := &corev1.Pod{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: "cache-2"}, pod)).To(Succeed())
			g.Expect(pod.Status.Conditions).To(ContainElement(And(
				HaveField("Type", corev1.PodConditionType(v1alpha1.PodConditionSynced)),
				HaveField("Status", corev1.ConditionFalse))))
		}, "10s").Should(Succeed())
	})

	It("promotes the best replica when the master comes back empty, instead of letting the replicas resync", func() {
		fakeMembers.set(ips[0], &replInfo{Role: "master", ReplID: "A", Offset: 120})
		fakeMembers.set(ips[1], &replInfo{Role: "slave", MasterHost: ips[0], MasterPort: 6379, LinkUp: true, ReplID: "A", Offset: 100})
		fakeMembers.set(ips[2], &replInfo{Role: "slave", MasterHost: ips[0], MasterPort: 6379, LinkUp: true, ReplID: "A", Offset: 120})
		Expect(k8sClient.Create(ctx, rg)).To(Succeed())
		createMemberPods(ctx, rg, ips)
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			g.Expect(rg.Status.Phase).To(Equal(v1alpha1.PhaseReady))
		}, "20s").Should(Succeed())

		By("cache-0 restarts on its emptyDir: new replication ID, offset 0; the replicas lose their link")
		fakeMembers.set(ips[0], &replInfo{Role: "master", ReplID: "NEW", ReplID2: nullReplID})
		for _, ip := range ips[1:] {
			info := fakeMembers.get(ip)
			info.LinkUp = false
			fakeMembers.set(ip, &info)
		}

		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			st := rg.Status
			g.Expect(st.Master).To(Equal("cache-2"))
			g.Expect(st.MasterEpoch).To(Equal(int64(1)))
			g.Expect(st.LastFailover).NotTo(BeNil())
			g.Expect(*st.LastFailover).To(And(HaveField("From", "cache-0"), HaveField("To", "cache-2"),
				HaveField("Reason", v1alpha1.ReasonMasterRestartEmpty)))

			g.Expect(fakeMembers.get(ips[2]).IsMaster()).To(BeTrue())
			g.Expect(fakeMembers.get(ips[0]).MasterHost).To(Equal(ips[2]))
			g.Expect(fakeMembers.get(ips[1]).MasterHost).To(Equal(ips[2]))
			expectRoles(ctx, g, rg, "cache-2")

			cm := &corev1.ConfigMap{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: rg.ConfigMapName()}, cm)).To(Succeed())
			g.Expect(cm.Data["cache-0.conf"]).To(ContainSubstring("replicaof " + ips[2] + " 6379"))
			// An emptyDir master restarts as a replica of a replica, never
			// of itself (see resources.Master.RestartFollows).
			g.Expect(cm.Data["cache-2.conf"]).To(MatchRegexp(`\nreplicaof (` + ips[0] + `|` + ips[1] + `) 6379\n`))
			g.Expect(eventReasons(ctx, g, rg.Namespace)).To(ContainElement(v1alpha1.EventPromoted))
		}, "20s").Should(Succeed())
		// The empty master was never followed: no REPLICAOF pointed at it.
		Expect(fakeMembers.callLog()).NotTo(ContainElement(HaveSuffix("replicaof " + ips[0] + " 6379")))
	})
})
