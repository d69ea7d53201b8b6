package resources

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/replikube/replikube/api/v1alpha1"
)

func TestRenderConfig(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*v1alpha1.ReplicationGroup)
		want    []string // lines that must appear
		notWant []string // substrings that must not appear
	}{{
		name: "defaults",
		want: []string{
			"port 6379", "dir /data", "protected-mode no",
			"save 3600 1 300 100 60 10000", "appendonly no", "appendfsync everysec",
			"repl-diskless-sync yes", "repl-diskless-sync-delay 5",
			"repl-backlog-size 1048576", "repl-timeout 60",
			"min-replicas-to-write 0", "min-replicas-max-lag 10", "replica-read-only yes",
		},
		notWant: []string{"replicaof", "requirepass", "masterauth", "# spec.config"},
	}, {
		name: "persistence",
		mutate: func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Persistence = &v1alpha1.PersistenceSpec{
				RDB: &v1alpha1.RDBSpec{SavePoints: []string{"900 1", "300 10"}},
				AOF: &v1alpha1.AOFSpec{Enabled: true, Fsync: "always"},
			}
		},
		want: []string{"save 900 1 300 10", "appendonly yes", "appendfsync always"},
	}, {
		name: "snapshots disabled by an empty list",
		mutate: func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Persistence = &v1alpha1.PersistenceSpec{RDB: &v1alpha1.RDBSpec{SavePoints: []string{}}}
		},
		want: []string{`save ""`},
	}, {
		name: "replication",
		mutate: func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Replication = v1alpha1.ReplicationSpec{
				Diskless:                 ptr.To(false),
				DisklessDelaySeconds:     ptr.To[int32](0),
				BacklogSize:              ptr.To(resource.MustParse("64Mi")),
				TimeoutSeconds:           ptr.To[int32](30),
				MinReplicasToWrite:       ptr.To[int32](1),
				MinReplicasMaxLagSeconds: ptr.To[int32](5),
			}
		},
		want: []string{
			"repl-diskless-sync no", "repl-diskless-sync-delay 0", "repl-backlog-size 67108864",
			"repl-timeout 30", "min-replicas-to-write 1", "min-replicas-max-lag 5",
		},
	}, {
		name: "passthrough config sorted, owned and multi-line values dropped",
		mutate: func(rg *v1alpha1.ReplicationGroup) {
			rg.Spec.Config = v1alpha1.Config{
				"maxmemory-policy":       "allkeys-lru",
				"maxmemory":              "256mb",
				"replicaof":              "evil 6379",
				"notify-keyspace-events": "",
				"hz":                     "10\nreplicaof evil 6379",
			}
		},
		want:    []string{"# spec.config", "maxmemory 256mb", "maxmemory-policy allkeys-lru", `notify-keyspace-events ""`},
		notWant: []string{"evil", "hz"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := group()
			if tt.mutate != nil {
				tt.mutate(rg)
			}
			conf := RenderConfig(rg)
			lines := strings.Split(conf, "\n")
			for _, w := range tt.want {
				if !slices.Contains(lines, w) {
					t.Errorf("missing line %q in:\n%s", w, conf)
				}
			}
			for _, nw := range tt.notWant {
				if strings.Contains(conf, nw) {
					t.Errorf("unexpected %q in:\n%s", nw, conf)
				}
			}
			if conf != RenderConfig(rg) {
				t.Error("rendering is not deterministic")
			}
		})
	}
}

func TestRenderConfigPassthroughOrder(t *testing.T) {
	rg := group(func(rg *v1alpha1.ReplicationGroup) {
		rg.Spec.Config = v1alpha1.Config{"maxmemory-policy": "allkeys-lru", "maxmemory": "256mb"}
	})
	conf := RenderConfig(rg)
	if strings.Index(conf, "maxmemory 256mb") > strings.Index(conf, "maxmemory-policy") {
		t.Errorf("spec.config not sorted by key:\n%s", conf)
	}
}

func TestConfigMap(t *testing.T) {
	tests := []struct {
		name     string
		replicas int32
		master   Master
		want     map[string]string // key -> substring it must contain ("" = must be absent)
	}{{
		name:     "initial master is ordinal 0",
		replicas: 3,
		master:   Master{Pod: "cache-0", Host: "cache-0.cache-headless.ns.svc.cluster.local"},
		want: map[string]string{
			"cache-0.conf": "is the master",
			"cache-1.conf": "replicaof cache-0.cache-headless.ns.svc.cluster.local 6379\n",
			"cache-2.conf": "replicaof cache-0.cache-headless.ns.svc.cluster.local 6379\n",
			"master":       "cache-0 0\n",
		},
	}, {
		name:     "after a failover",
		replicas: 3,
		master:   Master{Pod: "cache-2", Host: "10.0.0.7", Epoch: 4},
		want: map[string]string{
			"cache-0.conf": "replicaof 10.0.0.7 6379\n",
			"cache-2.conf": "is the master (epoch 4)",
			"master":       "cache-2 4\n",
		},
	}, {
		name:     "master beyond spec.replicas keeps its file",
		replicas: 2,
		master:   Master{Pod: "cache-2", Host: "10.0.0.7", Epoch: 1},
		want: map[string]string{
			"cache-1.conf": "replicaof 10.0.0.7 6379\n",
			"cache-2.conf": "is the master",
		},
	}, {
		name:     "volatile group: the master restarts as a replica of a synced one",
		replicas: 3,
		master:   Master{Pod: "cache-0", Host: "10.0.0.1", RestartFollows: "10.0.0.2"},
		want: map[string]string{
			"cache-0.conf": "replicaof 10.0.0.2 6379\n",
			"cache-1.conf": "replicaof 10.0.0.1 6379\n",
		},
	}, {
		name:     "single member",
		replicas: 1,
		master:   Master{Pod: "cache-0", Host: "x"},
		want: map[string]string{
			"cache-0.conf": "is the master",
			"cache-1.conf": "",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := group(func(rg *v1alpha1.ReplicationGroup) { rg.Spec.Replicas = tt.replicas })
			cm := ConfigMap(rg, tt.master)
			if cm.Name != "cache-config" || cm.Namespace != "ns" {
				t.Errorf("name %s/%s, want ns/cache-config", cm.Namespace, cm.Name)
			}
			if cm.Labels[LabelInstance] != "cache" {
				t.Errorf("labels %v lack the instance", cm.Labels)
			}
			if cm.Data[ConfigKey] != RenderConfig(rg) {
				t.Error("redis.conf is not RenderConfig's output")
			}
			for key, sub := range tt.want {
				got, ok := cm.Data[key]
				switch {
				case sub == "" && ok:
					t.Errorf("key %s should be absent, has %q", key, got)
				case sub != "" && !strings.Contains(got, sub):
					t.Errorf("key %s = %q, want it to contain %q", key, got, sub)
				}
			}
			if tt.master.RestartFollows == "" && strings.Contains(cm.Data[PodConfigKey(tt.master.Pod)], "replicaof") {
				t.Error("the master's include file makes it a replica")
			}
		})
	}
}

func TestConfigHashIgnoresMaster(t *testing.T) {
	rg := group()
	a := ConfigMap(rg, Master{Pod: "cache-0", Host: "a"})
	b := ConfigMap(rg, Master{Pod: "cache-1", Host: "b", Epoch: 1})
	if ConfigHash(a) != ConfigHash(b) {
		t.Error("a change of master changed the config hash: every failover would roll the pods")
	}
	rg.Spec.Config = v1alpha1.Config{"maxmemory": "1gb"}
	if ConfigHash(a) == ConfigHash(ConfigMap(rg, Master{Pod: "cache-0", Host: "a"})) {
		t.Error("a change of redis.conf kept the config hash")
	}
}
