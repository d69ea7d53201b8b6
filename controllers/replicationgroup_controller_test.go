package controllers

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/replikube/replikube/api/v1alpha1"
	"github.com/replikube/replikube/internal/resources"
)

var _ = Describe("ReplicationGroup reconciler", func() {
	var (
		ctx context.Context
		ns  string
		rg  *v1alpha1.ReplicationGroup
	)

	BeforeEach(func() {
		ctx = context.Background()
		ns = newNamespace(ctx)
		rg = &v1alpha1.ReplicationGroup{ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: ns}}
		rg.Spec.Replicas = 3
	})

	It("creates the owned objects and reports a pending status", func() {
		Expect(k8sClient.Create(ctx, rg)).To(Succeed())

		owned := map[string]client.Object{
			rg.GeneratedAuthSecretName():          &corev1.Secret{},
			rg.ConfigMapName():                    &corev1.ConfigMap{},
			rg.HeadlessServiceName():              &corev1.Service{},
			rg.MasterServiceName():                &corev1.Service{},
			rg.ReplicasServiceName():              &corev1.Service{},
			"sts/" + rg.StatefulSetName():         &appsv1.StatefulSet{},
			"pdb/" + rg.PodDisruptionBudgetName(): &policyv1.PodDisruptionBudget{},
		}
		for key, obj := range owned {
			Eventually(func(g Gomega) {
				g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: objectName(key)}, obj)).To(Succeed())
				refs := obj.GetOwnerReferences()
				g.Expect(refs).To(HaveLen(1))
				g.Expect(refs[0].Kind).To(Equal("ReplicationGroup"))
				g.Expect(*refs[0].Controller).To(BeTrue())
			}).Should(Succeed(), key)
		}

		sts := owned["sts/cache"].(*appsv1.StatefulSet)
		Expect(*sts.Spec.Replicas).To(Equal(int32(3)))
		Expect(sts.Spec.UpdateStrategy.Type).To(Equal(appsv1.OnDeleteStatefulSetStrategyType))
		Expect(sts.Spec.Template.Spec.Containers[0].Image).To(Equal("replikube:test"))

		cm := owned[rg.ConfigMapName()].(*corev1.ConfigMap)
		Expect(cm.Data).To(HaveKeyWithValue("cache-1.conf",
			ContainSubstring("replicaof cache-0.cache-headless."+ns+".svc.cluster.local 6379")))

		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			g.Expect(rg.Status.ObservedGeneration).To(Equal(rg.Generation))
			g.Expect(rg.Status.Phase).To(Equal(v1alpha1.PhasePending))
			g.Expect(rg.Status.Master).To(Equal("cache-0"))
			g.Expect(rg.Status.Ready).To(Equal("0/3"))
			for _, typ := range []string{
				v1alpha1.ConditionReady, v1alpha1.ConditionMasterAvailable, v1alpha1.ConditionReplicasSynced,
				v1alpha1.ConditionProgressing, v1alpha1.ConditionDegraded,
				v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled,
			} {
				c := meta.FindStatusCondition(rg.Status.Conditions, typ)
				g.Expect(c).NotTo(BeNil(), typ)
				g.Expect(c.ObservedGeneration).To(Equal(rg.Generation), typ)
			}
			g.Expect(meta.IsStatusConditionFalse(rg.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
			g.Expect(meta.IsStatusConditionTrue(rg.Status.Conditions, v1alpha1.ConditionReconciling)).To(BeTrue())
		}).Should(Succeed())
	})

	It("keeps the generated password across passes", func() {
		Expect(k8sClient.Create(ctx, rg)).To(Succeed())
		secret := &corev1.Secret{}
		key := client.ObjectKey{Namespace: ns, Name: rg.GeneratedAuthSecretName()}
		Eventually(func() error { return k8sClient.Get(ctx, key, secret) }).Should(Succeed())
		password := string(secret.Data["password"])
		Expect(password).To(HaveLen(43))

		// A spec change makes new passes, which must not re-roll it.
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
		rg.Spec.Config = v1alpha1.Config{"maxmemory": "64mb"}
		Expect(k8sClient.Update(ctx, rg)).To(Succeed())
		Eventually(func(g Gomega) {
			cm := &corev1.ConfigMap{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: rg.ConfigMapName()}, cm)).To(Succeed())
			g.Expect(cm.Data[resources.ConfigKey]).To(ContainSubstring("maxmemory 64mb"))
		}).Should(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key, secret)).To(Succeed())
			g.Expect(string(secret.Data["password"])).To(Equal(password))
		}, "3s").Should(Succeed())
	})

	It("reports Stalled while the user's Secret is missing, and recovers", func() {
		rg.Spec.Auth.SecretName = "mine"
		Expect(k8sClient.Create(ctx, rg)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			c := meta.FindStatusCondition(rg.Status.Conditions, v1alpha1.ConditionStalled)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(c.Reason).To(Equal(v1alpha1.ReasonAuthSecretMissing))
		}).Should(Succeed())

		Expect(k8sClient.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "mine", Namespace: ns},
			Data:       map[string][]byte{"password": []byte("pw")},
		})).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(rg), rg)).To(Succeed())
			g.Expect(meta.IsStatusConditionFalse(rg.Status.Conditions, v1alpha1.ConditionStalled)).To(BeTrue())
			sts := &appsv1.StatefulSet{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cache"}, sts)).To(Succeed())
		}, "20s").Should(Succeed())
	})
})

// objectName strips the "kind/" prefix used to keep map keys unique.
func objectName(key string) string {
	_, name, found := strings.Cut(key, "/")
	if !found {
		return key
	}
	return name
}
