package controllers

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/internal/resources"
)

func TestParseConfig(t *testing.T) {
	got := parseConfig("# comment\nport 6379\n\nsave \"\"\nsave 3600 1 300 100\nlogfile \"\"\n" +
		"client-output-buffer-limit normal 0 0 0\nMaxMemory 64mb\n")
	want := map[string]string{
		"port": "6379", "save": "3600 1 300 100", "logfile": "",
		"client-output-buffer-limit": "normal 0 0 0", "maxmemory": "64mb",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestDiffConfig(t *testing.T) {
	const base = "port 6379\ndaemonize no\nsave \"\"\nrepl-timeout 60\n"
	tests := []struct {
		name             string
		running, desired string
		want             configChange
	}{{
		name:    "same text",
		running: base, desired: base,
	}, {
		name:    "a live directive added",
		running: base, desired: base + "# spec.config\nmaxmemory 64mb\n",
		want: configChange{Live: []directive{{"maxmemory", "64mb"}}},
	}, {
		name:    "owned directives change live; values keep their spaces, \"\" is empty",
		running: base, desired: "port 6379\ndaemonize no\nsave 900 1 300 10\nrepl-timeout 30\n",
		want: configChange{Live: []directive{{"repl-timeout", "30"}, {"save", "900 1 300 10"}}},
	}, {
		name:    "an immutable directive needs a restart",
		running: base, desired: base + "databases 32\nmaxmemory 1gb\n",
		want: configChange{Live: []directive{{"maxmemory", "1gb"}}, Restart: []string{"databases"}},
	}, {
		name:    "a configuration-file-only directive needs a restart",
		running: base, desired: base + "rename-command FLUSHALL \"\"\n",
		want: configChange{Restart: []string{"rename-command"}},
	}, {
		name:    "a removed directive needs a restart: no command resets it to its default",
		running: base + "maxmemory 64mb\n", desired: base,
		want: configChange{Restart: []string{"maxmemory"}},
	}, {
		name:    "comments do not count",
		running: "# old header\n" + base, desired: "# new header\n" + base,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := diffConfig(tt.running, tt.desired); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNeedsRestart(t *testing.T) {
	for key, want := range map[string]bool{
		"databases": true, "io-threads": true, "daemonize": true, "unixsocket": true, "IO-THREADS": true,
		"rename-command": true, "maxmemory": false, "maxmemory-policy": false, "save": false,
		"appendonly": false, "repl-timeout": false, "hz": false,
	} {
		if got := needsRestart(key); got != want {
			t.Errorf("needsRestart(%q) = %v, want %v", key, got, want)
		}
	}
}

var _ = Describe("Configuration changes", func() {
	var (
		ctx context.Context
		rg  *v1alpha1.ReplicationGroup
		ips []string
	)

	BeforeEach(func() {
		ctx = context.Background()
		rg, ips = newTestGroup(ctx, 3)
		fakeMembers.set(ips[0], &replInfo{Role: "master", ReplID: "A", Offset: 100})
		for _, ip := range ips[1:] {
			fakeMembers.set(ip, &replInfo{Role: "slave", MasterHost: ips[0], MasterPort: 6379, LinkUp: true, ReplID: "A", Offset: 100})
		}
		Expect(k8sClient.Create(ctx, rg)).To(Succeed())
		Eventually(func(g Gomega) { g.Expect(statefulSetReplicasNow(ctx, g, rg)).To(Equal(int32(3))) }).Should(Succeed())
		for i, ip := range ips {
			runPod(ctx, rg, i, ip)
		}
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			g.Expect(rg.Status.Phase).To(Equal(v1alpha1.PhaseReady))
		}, "20s").Should(Succeed())
	})

	// podUIDs are the group's pods by name.
	podUIDs := func(g Gomega) map[string]types.UID {
		list := &corev1.PodList{}
		g.Expect(k8sClient.List(ctx, list, client.InNamespace(rg.Namespace))).To(Succeed())
		uids := map[string]types.UID{}
		for _, p := range list.Items {
			uids[p.Name] = p.UID
		}
		return uids
	}
	// templateHash is the configuration hash of the StatefulSet's template.
	templateHash := func(g Gomega) string {
		sts := &appsv1.StatefulSet{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: rg.StatefulSetName()}, sts)).To(Succeed())
		return sts.Spec.Template.Annotations[resources.AnnotationConfigHash]
	}
	// templateSpecHash is the pod spec hash of the StatefulSet's template.
	templateSpecHash := func(g Gomega) string {
		sts := &appsv1.StatefulSet{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: rg.StatefulSetName()}, sts)).To(Succeed())
		return sts.Spec.Template.Annotations[resources.AnnotationPodSpecHash]
	}
	expectPodsRun := func(g Gomega, hash string) {
		for _, name := range rg.PodNames() {
			pod := &corev1.Pod{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: name}, pod)).To(Succeed())
			g.Expect(pod.Annotations).To(HaveKeyWithValue(resources.AnnotationConfigHash, hash), name)
			g.Expect(pod.Annotations).To(HaveKeyWithValue(resources.AnnotationPodSpecHash, templateSpecHash(g)), name)
		}
	}

	It("applies a directive Redis changes at run time with CONFIG SET on every member, restarting none", func() {
		before := podUIDs(Default)
		oldHash := templateHash(Default)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
		rg.Spec.Config = v1alpha1.Config{"maxmemory": "64mb", "maxmemory-policy": "allkeys-lru"}
		Expect(k8sClient.Update(ctx, rg)).To(Succeed())

		Eventually(func(g Gomega) {
			hash := templateHash(g)
			g.Expect(hash).NotTo(Equal(oldHash))
			for _, ip := range ips {
				g.Expect(fakeMembers.config(ip, "maxmemory")).To(Equal("64mb"), ip)
				g.Expect(fakeMembers.config(ip, "maxmemory-policy")).To(Equal("allkeys-lru"), ip)
			}
			expectPodsRun(g, hash)
			g.Expect(eventReasons(ctx, g, rg.Namespace)).To(ContainElement(v1alpha1.EventConfigApplied))
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			g.Expect(rg.Status.Phase).To(Equal(v1alpha1.PhaseReady))
		}, "20s").Should(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(podUIDs(g)).To(Equal(before))
			g.Expect(eventReasons(ctx, g, rg.Namespace)).NotTo(ContainElement(v1alpha1.EventMemberRestarted))
		}, "2s").Should(Succeed())
	})

	// expectRollingRestart makes change to the group and expects every
	// member to restart, one at a time, replicas first, the master last
	// after a switchover; the Progressing message names why.
	expectRollingRestart := func(change func(*v1alpha1.ReplicationGroup), why string) {
		GinkgoHelper()
		// Play the StatefulSet controller: recreate a deleted pod from the
		// current template, at its old IP; its member comes back as a
		// replica of the current master, synced. Record who was missing.
		var (
			mu      sync.Mutex
			deleted []string
			bad     []string
		)
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		stopRunner := func() {
			stop()
			<-done
		}
		DeferCleanup(stopRunner)
		go func() {
			defer GinkgoRecover()
			defer close(done)
			for runCtx.Err() == nil {
				time.Sleep(50 * time.Millisecond)
				list := &corev1.PodList{}
				if err := k8sClient.List(runCtx, list, client.InNamespace(rg.Namespace)); err != nil {
					continue
				}
				var missing []string
				for _, name := range rg.PodNames() {
					if !slices.ContainsFunc(list.Items, func(p corev1.Pod) bool { return p.Name == name }) {
						missing = append(missing, name)
					}
				}
				if len(missing) == 0 {
					continue
				}
				cur := &v1alpha1.ReplicationGroup{}
				if err := k8sClient.Get(runCtx, client.ObjectKeyFromObject(rg), cur); err != nil {
					continue
				}
				mu.Lock()
				if len(missing) > 1 {
					bad = append(bad, fmt.Sprintf("%v missing at once", missing))
				}
				if missing[0] == cur.Status.Master {
					bad = append(bad, missing[0]+" deleted while it was the master")
				}
				deleted = append(deleted, missing...)
				mu.Unlock()
				masterIP := ips[ordinal(cur.Status.Master)]
				for _, name := range missing {
					i := ordinal(name)
					fakeMembers.set(ips[i], &replInfo{Role: "slave", MasterHost: masterIP, MasterPort: 6379,
						LinkUp: true, ReplID: fakeMembers.get(masterIP).ReplID, Offset: fakeMembers.get(masterIP).Offset})
					runPod(ctx, rg, i, ips[i])
				}
			}
		}()

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
		change(rg)
		Expect(k8sClient.Update(ctx, rg)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			g.Expect(rg.Status.Phase).To(Equal(v1alpha1.PhaseUpdating))
			c := meta.FindStatusCondition(rg.Status.Conditions, v1alpha1.ConditionProgressing)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(v1alpha1.ReasonRollingUpdate))
			g.Expect(c.Message).To(ContainSubstring(why))
		}, "20s").Should(Succeed())

		Eventually(func(g Gomega) {
			expectPodsRun(g, templateHash(g))
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			g.Expect(rg.Status.Phase).To(Equal(v1alpha1.PhaseReady))
		}, "40s").Should(Succeed())
		stopRunner()

		mu.Lock()
		defer mu.Unlock()
		Expect(bad).To(BeEmpty())
		Expect(deleted).To(HaveLen(3))
		Expect(deleted[:2]).To(ConsistOf("cache-1", "cache-2"))
		Expect(deleted[2]).To(Equal("cache-0"))
		Expect(rg.Status.Master).NotTo(Equal("cache-0"))
		Expect(rg.Status.LastFailover).NotTo(BeNil())
		Expect(*rg.Status.LastFailover).To(And(HaveField("From", "cache-0"), HaveField("Reason", v1alpha1.ReasonSwitchover)))
		Eventually(func(g Gomega) {
			g.Expect(eventReasons(ctx, g, rg.Namespace)).To(ContainElements(v1alpha1.EventMemberRestarted, v1alpha1.EventPromoted))
		}).Should(Succeed())
	}

	It("restarts the replicas one at a time, then the master after a switchover, for a directive that needs a restart", func() {
		expectRollingRestart(func(rg *v1alpha1.ReplicationGroup) { rg.Spec.Config = v1alpha1.Config{"databases": "32"} }, "databases")
		Expect(fakeMembers.callLog()).NotTo(ContainElement(ContainSubstring("config set databases")))
	})

	It("restarts the members the same way for a new image, which the OnDelete StatefulSet alone would not roll out", func() {
		expectRollingRestart(func(rg *v1alpha1.ReplicationGroup) { rg.Spec.Image = "redis:7.0.15" }, "pod spec")
		for _, name := range rg.PodNames() {
			pod := &corev1.Pod{}
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: rg.Namespace, Name: name}, pod)).To(Succeed())
			Expect(pod.Spec.Containers[0].Image).To(Equal("redis:7.0.15"), name)
		}
	})
})
