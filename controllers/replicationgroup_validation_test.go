package controllers

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/replikube/replikube/api/v1alpha1"
)

// These specs exercise the CRD itself (OpenAPI schema, CEL rules, defaults)
// as the API server enforces it: no webhook is involved.
var _ = Describe("ReplicationGroup CRD validation", func() {
	var (
		ctx context.Context
		ns  string
	)
	BeforeEach(func() {
		ctx = context.Background()
		ns = newNamespace(ctx)
	})

	valid := func() *v1alpha1.ReplicationGroup {
		rg := &v1alpha1.ReplicationGroup{ObjectMeta: metav1.ObjectMeta{Name: "cache", Namespace: ns}}
		rg.Spec.Replicas = 3
		return rg
	}

	It("fills the schema defaults", func() {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": v1alpha1.GroupVersion.String(),
			"kind":       "ReplicationGroup",
			"metadata":   map[string]any{"name": "defaults", "namespace": ns},
			"spec":       map[string]any{},
		}}
		Expect(k8sClient.Create(ctx, u)).To(Succeed())
		rg := &v1alpha1.ReplicationGroup{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), rg)).To(Succeed())
		s := rg.Spec
		Expect(s.Replicas).To(Equal(int32(3)))
		Expect(*s.Replication.Diskless).To(BeTrue())
		Expect(*s.Replication.DisklessDelaySeconds).To(Equal(int32(5)))
		Expect(s.Replication.BacklogSize.String()).To(Equal("1Mi"))
		Expect(*s.Replication.TimeoutSeconds).To(Equal(int32(60)))
		Expect(*s.Replication.MinReplicasToWrite).To(Equal(int32(0)))
		Expect(*s.Replication.MinReplicasMaxLagSeconds).To(Equal(int32(10)))
		Expect(s.Auth.SecretKey).To(Equal("password"))
		Expect(*s.Failover.Enabled).To(BeTrue())
		Expect(*s.Failover.MasterDownAfterSeconds).To(Equal(int32(5)))
		Expect(s.PodDisruptionBudget.MaxUnavailable.IntValue()).To(Equal(1))
	})

	DescribeTable("refuses invalid specs at creation with a clear message",
		func(mutate func(*v1alpha1.ReplicationGroup), message string) {
			rg := valid()
			mutate(rg)
			err := k8sClient.Create(ctx, rg)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("no members", func(rg *v1alpha1.ReplicationGroup) { rg.Spec.Replicas = 0 },
			"spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1"),
		Entry("an owned config key", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Config = v1alpha1.Config{"maxmemory": "1gb", "replicaof": "evil 6379"}
		}, `config key "replicaof" is managed by the operator`),
		Entry("another owned config key", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Config = v1alpha1.Config{"dir": "/tmp"}
		}, `config key "dir" is managed by the operator`),
		Entry("a config key in upper case", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Config = v1alpha1.Config{"MAXMEMORY": "1gb"}
		}, "config keys are redis.conf directive names"),
		Entry("a config value spanning lines", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Config = v1alpha1.Config{"maxmemory": "1gb\nreplicaof evil 6379"}
		}, "spec.config.maxmemory: Invalid value"),
		Entry("minReplicasToWrite as large as the group", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Replication.MinReplicasToWrite = ptr.To[int32](3)
		}, "replication.minReplicasToWrite must be less than replicas"),
		Entry("a tiny backlog", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Replication.BacklogSize = ptr.To(resource.MustParse("1Ki"))
		}, "replication.backlogSize must be at least 16Ki"),
		Entry("a zero storage size", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Storage = &v1alpha1.StorageSpec{Size: resource.MustParse("0")}
		}, "storage.size must be greater than zero"),
		Entry("a name too long for its Services", func(rg *v1alpha1.ReplicationGroup) {
			rg.Name = strings.Repeat("a", 53)
		}, "metadata.name must be a DNS-1035 label of at most 52 characters"),
		Entry("a pod label in the operator's domain", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Pod.Labels = map[string]string{"redis.replikube.io/role": "master"}
		}, "pod.labels cannot use the app.kubernetes.io/ or redis.replikube.io/ prefixes"),
		Entry("an unknown AOF fsync policy", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Persistence = &v1alpha1.PersistenceSpec{AOF: &v1alpha1.AOFSpec{Enabled: true, Fsync: "sometimes"}}
		}, `Unsupported value: "sometimes"`),
		Entry("a malformed save point", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Persistence = &v1alpha1.PersistenceSpec{RDB: &v1alpha1.RDBSpec{SavePoints: []string{"often"}}}
		}, "spec.persistence.rdb.savePoints[0]"),
	)

	DescribeTable("guards immutable fields on update",
		func(initial, change func(*v1alpha1.ReplicationGroup), message string) {
			rg := valid()
			initial(rg)
			Expect(k8sClient.Create(ctx, rg)).To(Succeed())
			change(rg)
			err := k8sClient.Update(ctx, rg)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("storage added", func(*v1alpha1.ReplicationGroup) {}, func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Storage = &v1alpha1.StorageSpec{Size: resource.MustParse("1Gi")}
		}, "storage cannot be added or removed after creation"),
		Entry("storage removed", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Storage = &v1alpha1.StorageSpec{Size: resource.MustParse("1Gi")}
		}, func(rg *v1alpha1.ReplicationGroup) { rg.Spec.Storage = nil },
			"storage cannot be added or removed after creation"),
		Entry("storage resized", func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Storage = &v1alpha1.StorageSpec{Size: resource.MustParse("1Gi")}
		}, func(rg *v1alpha1.ReplicationGroup) { rg.Spec.Storage.Size = resource.MustParse("2Gi") },
			"storage is immutable"),
	)

	It("accepts a full, valid spec and later changes of mutable fields", func() {
		rg := valid()
		rg.Spec.Storage = &v1alpha1.StorageSpec{Size: resource.MustParse("1Gi"), StorageClassName: ptr.To("standard")}
		rg.Spec.Persistence = &v1alpha1.PersistenceSpec{
			RDB: &v1alpha1.RDBSpec{SavePoints: []string{"900 1", "300 10"}},
			AOF: &v1alpha1.AOFSpec{Enabled: true},
		}
		rg.Spec.Config = v1alpha1.Config{"maxmemory": "256mb", "maxmemory-policy": "allkeys-lru"}
		rg.Spec.Pod.Labels = map[string]string{"team": "cache"}
		Expect(k8sClient.Create(ctx, rg)).To(Succeed())

		rg.Spec.Replicas = 5
		rg.Spec.Config["maxmemory"] = "512mb"
		Expect(k8sClient.Update(ctx, rg)).To(Succeed())
	})
})
