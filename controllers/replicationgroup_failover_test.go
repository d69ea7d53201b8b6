package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/replikube/replikube/api/v1alpha1"
)

func TestDecideEmptyMaster(t *testing.T) {
	promoted := &replInfo{Role: "master", ReplID: "P", ReplID2: "A", Offset: 130}
	tests := []struct {
		name   string
		master memberView
		others []memberView
		want   string // promoted pod, "" for none
	}{{
		name:   "restarted empty master, replicas hold data: highest offset wins",
		master: view("cache-0", master("NEW", 0)),
		others: []memberView{
			view("cache-1", replicaOf("10.0.0.1", "A", 100, false)),
			view("cache-2", replicaOf("10.0.0.1", "A", 120, false)),
		},
		want: "cache-2",
	}, {
		name:   "tie on offset: lowest ordinal",
		master: view("cache-0", master("NEW", 0)),
		others: []memberView{
			view("cache-2", replicaOf("10.0.0.1", "A", 100, false)),
			view("cache-1", replicaOf("10.0.0.1", "A", 100, false)),
		},
		want: "cache-1",
	}, {
		name:   "restarted master came back as a replica (include file), link down",
		master: view("cache-0", replicaOf("10.0.0.2", "NEW", 0, false)),
		others: []memberView{view("cache-1", replicaOf("10.0.0.1", "A", 100, false))},
		want:   "cache-1",
	}, {
		name:   "restarted master came back as a replica with an old snapshot of the same history",
		master: view("cache-0", replicaOf("10.0.0.2", "A", 60, false)),
		others: []memberView{view("cache-1", replicaOf("10.0.0.1", "A", 100, false))},
		want:   "cache-1",
	}, {
		name:   "healthy master: same history",
		master: view("cache-0", master("A", 120)),
		others: []memberView{view("cache-1", replicaOf("10.0.0.1", "A", 100, true))},
	}, {
		name:   "replicas already resynced from the empty master: nothing left to save",
		master: view("cache-0", master("NEW", 10)),
		others: []memberView{view("cache-1", replicaOf("10.0.0.1", "NEW", 10, true))},
	}, {
		name:   "new replicas without data: the master stays",
		master: view("cache-0", master("A", 0)),
		others: []memberView{view("cache-1", replicaOf("10.0.0.1", "X", 0, false))},
	}, {
		// redis-server says slave_repl_offset:1 until its first sync.
		name:   "new replicas that never reached the master (offset 1): the master stays",
		master: view("cache-0", master("A", 0)),
		others: []memberView{
			view("cache-1", replicaOf("cache-0.cache-headless", "X", 1, false)),
			view("cache-2", replicaOf("cache-0.cache-headless", "Y", 1, false)),
		},
	}, {
		name:   "a promoted replica's old history (replid2) counts as shared",
		master: view("cache-1", promoted),
		others: []memberView{view("cache-2", replicaOf("10.0.0.1", "A", 140, false))},
	}, {
		name:   "unreachable master: left to the failover",
		master: view("cache-0", nil),
		others: []memberView{view("cache-1", replicaOf("10.0.0.1", "A", 100, false))},
	}, {
		name:   "unreachable replicas are no candidates",
		master: view("cache-0", master("NEW", 0)),
		others: []memberView{view("cache-1", nil)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decideEmptyMaster(tt.master, tt.others)
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("promoted %s: %s", got.To, got.Message)
			case tt.want != "" && got == nil:
				t.Errorf("no promotion, want %s", tt.want)
			case got != nil && (got.To != tt.want || got.From != tt.master.Pod || got.Reason != v1alpha1.ReasonMasterRestartEmpty):
				t.Errorf("got %+v, want %s", got, tt.want)
			}
		})
	}
}

func TestVolatileData(t *testing.T) {
	storage := &v1alpha1.StorageSpec{Size: resource.MustParse("1Gi")}
	noSaves := &v1alpha1.PersistenceSpec{RDB: &v1alpha1.RDBSpec{SavePoints: []string{}}}
	aof := &v1alpha1.PersistenceSpec{RDB: &v1alpha1.RDBSpec{}, AOF: &v1alpha1.AOFSpec{Enabled: true}}
	for _, tt := range []struct {
		name        string
		storage     *v1alpha1.StorageSpec
		persistence *v1alpha1.PersistenceSpec
		want        bool
	}{
		{"emptyDir", nil, nil, true},
		{"volume with default snapshots", storage, nil, false},
		{"volume, snapshots off", storage, noSaves, true},
		{"volume, snapshots off, AOF on", storage, aof, false},
	} {
		rg := &v1alpha1.ReplicationGroup{}
		rg.Spec.Storage, rg.Spec.Persistence = tt.storage, tt.persistence
		if got := volatileData(rg); got != tt.want {
			t.Errorf("%s: volatileData = %v", tt.name, got)
		}
	}
}
