package controllers

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/replikube/replikube/api/v1alpha1"
)

func TestStatefulSetReplicas(t *testing.T) {
	for _, tt := range []struct {
		replicas int32
		master   string
		want     int32
	}{
		{3, "", 3},        // new group: ordinal 0
		{4, "cache-2", 4}, // scale-up
		{2, "cache-1", 2}, // the master survives the scale-down
		{2, "cache-2", 3}, // the master's ordinal goes: keep it until the switchover
		{1, "cache-3", 4}, // however far
		{3, "cache-0", 3}, // steady
	} {
		rg := &v1alpha1.ReplicationGroup{}
		rg.Name, rg.Spec.Replicas, rg.Status.Master = "cache", tt.replicas, tt.master
		if got := statefulSetReplicas(rg); got != tt.want {
			t.Errorf("replicas %d, master %q: %d, want %d", tt.replicas, tt.master, got, tt.want)
		}
	}
}

func TestDecideSwitchover(t *testing.T) {
	all := map[string]bool{"cache-0": true, "cache-1": true, "cache-2": true}
	tests := []struct {
		name       string
		candidates []memberView
		synced     map[string]bool
		want       string
	}{{
		name: "highest offset wins",
		candidates: []memberView{
			view("cache-0", replicaOf("10.0.0.3", "A", 100, true)),
			view("cache-1", replicaOf("10.0.0.3", "A", 120, true)),
		},
		synced: all, want: "cache-1",
	}, {
		name: "tie: lowest ordinal",
		candidates: []memberView{
			view("cache-1", replicaOf("10.0.0.3", "A", 120, true)),
			view("cache-0", replicaOf("10.0.0.3", "A", 120, true)),
		},
		synced: all, want: "cache-0",
	}, {
		name: "unsynced, silent and master members are no candidates",
		candidates: []memberView{
			view("cache-0", replicaOf("10.0.0.3", "A", 200, false)),
			view("cache-1", nil),
			view("cache-2", master("B", 300)),
		},
		synced: map[string]bool{"cache-1": true, "cache-2": true},
	}, {
		name:       "nobody left",
		candidates: nil, synced: all,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decideSwitchover(tt.candidates, tt.synced)
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("picked %s", got.Pod)
			case tt.want != "" && (got == nil || got.Pod != tt.want):
				t.Errorf("picked %+v, want %s", got, tt.want)
			}
		})
	}
}

// runPod plays the StatefulSet controller and the kubelet for one ordinal:
// a pod from the StatefulSet's current template (so it carries the
// configuration annotations), running and Ready at ip.
func runPod(ctx context.Context, rg *v1alpha1.ReplicationGroup, i int, ip string) {
	GinkgoHelper()
	sts := &appsv1.StatefulSet{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: rg.StatefulSetName()}, sts)).To(Succeed())
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: rg.PodName(i), Namespace: rg.Namespace,
			Labels: sts.Spec.Template.Labels, Annotations: sts.Spec.Template.Annotations},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "redis", Image: sts.Spec.Template.Spec.Containers[0].Image}}},
	}
	startPod(ctx, pod, ip)
}

// statefulSetReplicasNow is the StatefulSet's spec.replicas, 0 if absent.
func statefulSetReplicasNow(ctx context.Context, g Gomega, rg *v1alpha1.ReplicationGroup) int32 {
	sts := &appsv1.StatefulSet{}
	g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: rg.StatefulSetName()}, sts)).To(Succeed())
	return *sts.Spec.Replicas
}

var _ = Describe("Scaling", func() {
	var (
		ctx context.Context
		rg  *v1alpha1.ReplicationGroup
		ips []string
	)

	BeforeEach(func() {
		ctx = context.Background()
		rg, ips = newTestGroup(ctx, 4)
	})

	waitReady := func(members int, master string) {
		GinkgoHelper()
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			g.Expect(rg.Status.ObservedGeneration).To(Equal(rg.Generation))
			g.Expect(rg.Status.Phase).To(Equal(v1alpha1.PhaseReady))
			g.Expect(rg.Status.Master).To(Equal(master))
			g.Expect(rg.Status.Members).To(HaveLen(members))
			g.Expect(rg.Status.SyncedReplicas).To(Equal(int32(members - 1)))
		}, "20s").Should(Succeed())
	}

	It("adds members that start as replicas of the master", func() {
		fakeMembers.set(ips[0], &replInfo{Role: "master", ReplID: "A", Offset: 100})
		for _, ip := range ips[1:3] {
			fakeMembers.set(ip, &replInfo{Role: "slave", MasterHost: ips[0], MasterPort: 6379, LinkUp: true, ReplID: "A", Offset: 100})
		}
		Expect(k8sClient.Create(ctx, rg)).To(Succeed())
		createMemberPods(ctx, rg, ips[:3])
		waitReady(3, "cache-0")

		rg.Spec.Replicas = 4
		Expect(k8sClient.Update(ctx, rg)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(statefulSetReplicasNow(ctx, g, rg)).To(Equal(int32(4)))
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			g.Expect(rg.Status.Phase).To(Equal(v1alpha1.PhaseScaling))
			c := meta.FindStatusCondition(rg.Status.Conditions, v1alpha1.ConditionProgressing)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(c.Reason).To(Equal(v1alpha1.ReasonScaling))
			g.Expect(eventReasons(ctx, g, rg.Namespace)).To(ContainElement(v1alpha1.EventScaledUp))
		}, "20s").Should(Succeed())
		cm := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: rg.ConfigMapName()}, cm)).To(Succeed())
		Expect(cm.Data).To(HaveKeyWithValue("cache-3.conf", ContainSubstring("replicaof "+ips[0]+" 6379")))

		By("the new pod starts as its include file says, still syncing, and joins")
		fakeMembers.set(ips[3], &replInfo{Role: "slave", MasterHost: ips[0], MasterPort: 6379, SyncInProgress: true, Offset: 1})
		runPod(ctx, rg, 3, ips[3])
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			g.Expect(rg.Status.Members).To(HaveLen(4))
			g.Expect(rg.Status.SyncedReplicas).To(Equal(int32(2)))
		}, "20s").Should(Succeed())
		fakeMembers.set(ips[3], &replInfo{Role: "slave", MasterHost: ips[0], MasterPort: 6379, LinkUp: true, ReplID: "A", Offset: 100})
		waitReady(4, "cache-0")
		Eventually(func(g Gomega) { expectRoles(ctx, g, rg, "cache-0") }).Should(Succeed())
		Expect(rg.Status.Members[3]).To(And(HaveField("Role", v1alpha1.RoleReplica), HaveField("LinkStatus", "up")))
	})

	It("promotes a surviving replica before removing the master's ordinal", func() {
		// cache-2 is the master (as after an earlier failover); both
		// survivors are behind it. Once the master holds writes they
		// catch up, and the tie goes to the lowest ordinal.
		fakeMembers.set(ips[2], &replInfo{Role: "master", ReplID: "A", Offset: 130})
		fakeMembers.set(ips[0], &replInfo{Role: "slave", MasterHost: ips[2], MasterPort: 6379, LinkUp: true, ReplID: "A", Offset: 100})
		fakeMembers.set(ips[1], &replInfo{Role: "slave", MasterHost: ips[2], MasterPort: 6379, LinkUp: true, ReplID: "A", Offset: 120})
		Expect(k8sClient.Create(ctx, rg)).To(Succeed())
		patch := []byte(`{"status":{"master":"cache-2","masterEpoch":1}}`)
		Expect(k8sClient.Status().Patch(ctx, rg, client.RawPatch(types.MergePatchType, patch))).To(Succeed())
		createMemberPods(ctx, rg, ips[:3])
		waitReady(3, "cache-2")
		// Set the offsets now: a repoint while the pods came up would
		// have synced them.
		fakeMembers.set(ips[2], &replInfo{Role: "master", ReplID: "A", Offset: 130})
		fakeMembers.set(ips[0], &replInfo{Role: "slave", MasterHost: ips[2], MasterPort: 6379, LinkUp: true, ReplID: "A", Offset: 100})
		fakeMembers.set(ips[1], &replInfo{Role: "slave", MasterHost: ips[2], MasterPort: 6379, LinkUp: true, ReplID: "A", Offset: 120})

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
		rg.Spec.Replicas = 2
		Expect(k8sClient.Update(ctx, rg)).To(Succeed())

		By("the StatefulSet keeps the master's ordinal until status names another master")
		deadline := time.Now().Add(20 * time.Second)
		for {
			Expect(time.Now().Before(deadline)).To(BeTrue(), "StatefulSet not shrunk")
			n := statefulSetReplicasNow(ctx, Default, rg)
			got := &v1alpha1.ReplicationGroup{}
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), got)).To(Succeed())
			if n == 2 {
				Expect(got.Status.Master).To(Equal("cache-0"), "shrunk while the master sat at ordinal 2")
				break
			}
			Expect(n).To(Equal(int32(3)))
			time.Sleep(20 * time.Millisecond)
		}

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
		Expect(rg.Status.MasterEpoch).To(Equal(int64(2)))
		Expect(rg.Status.LastFailover).NotTo(BeNil())
		Expect(*rg.Status.LastFailover).To(And(HaveField("From", "cache-2"), HaveField("To", "cache-0"),
			HaveField("Reason", v1alpha1.ReasonSwitchover)))
		// Writes were held until the replicas caught up, then cache-0
		// was promoted and the others, the old master included,
		// repointed to it.
		calls := fakeMembers.callLog()
		pause := slices.Index(calls, fmt.Sprintf("%s:6379 client pause 2000 write", ips[2]))
		promote := slices.Index(calls, fmt.Sprintf("%s:6379 replicaof  6379", ips[0]))
		Expect(pause).To(BeNumerically(">=", 0), "%v", calls)
		Expect(promote).To(BeNumerically(">", pause), "%v", calls)
		Expect(fakeMembers.get(ips[0]).IsMaster()).To(BeTrue())
		Expect(fakeMembers.get(ips[2]).MasterHost).To(Equal(ips[0]))
		Expect(fakeMembers.get(ips[1]).MasterHost).To(Equal(ips[0]))

		By("the StatefulSet controller removes cache-2")
		Expect(k8sClient.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: rg.Namespace, Name: "cache-2"}})).To(Succeed())
		waitReady(2, "cache-0")
		Eventually(func(g Gomega) {
			expectRoles(ctx, g, rg, "cache-0")
			g.Expect(eventReasons(ctx, g, rg.Namespace)).To(ContainElements(v1alpha1.EventScaledDown, v1alpha1.EventPromoted))
		}).Should(Succeed())
	})
})
