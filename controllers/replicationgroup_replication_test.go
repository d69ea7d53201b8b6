package controllers

import (
	"reflect"
	"testing"

	"github.com/replikube/replikube/api/v1alpha1"
)

// view is a member at 10.0.0.<ordinal+1>, answering info (nil: silent).
func view(pod string, info *replInfo) memberView {
	ip := "10.0.0." + string(rune('1'+ordinal(pod)))
	return memberView{Pod: pod, IP: ip, Hosts: []string{pod + ".cache-headless.ns.svc.cluster.local", ip}, Info: info}
}

func master(replid string, offset int64) *replInfo {
	return &replInfo{Role: "master", ReplID: replid, ReplID2: nullReplID, Offset: offset}
}

func replicaOf(host string, replid string, offset int64, linkUp bool) *replInfo {
	return &replInfo{Role: "slave", MasterHost: host, MasterPort: 6379, ReplID: replid, ReplID2: nullReplID, Offset: offset, LinkUp: linkUp}
}

func TestPlanReplication(t *testing.T) {
	tests := []struct {
		name      string
		named     string
		members   []memberView
		volatile  bool
		want      replicationPlan
		promotion string // pod promoted, if any
	}{{
		name:  "healthy group: nothing to do",
		named: "cache-0",
		members: []memberView{
			view("cache-0", master("A", 100)),
			view("cache-1", replicaOf("10.0.0.1", "A", 100, true)),
			view("cache-2", replicaOf("cache-0.cache-headless.ns.svc.cluster.local", "A", 90, true)),
		},
		want: replicationPlan{Master: "cache-0",
			Synced: map[string]bool{"cache-0": true, "cache-1": true, "cache-2": true}},
	}, {
		name:  "first creation: replicas started as masters are pointed at ordinal 0",
		named: "cache-0",
		members: []memberView{
			view("cache-0", master("A", 0)),
			view("cache-1", master("B", 0)),
			view("cache-2", nil),
		},
		want: replicationPlan{Master: "cache-0", Repoint: []string{"cache-1"},
			Synced: map[string]bool{"cache-0": true}},
	}, {
		name:  "a replica following the wrong master is repointed; a syncing one is not synced",
		named: "cache-0",
		members: []memberView{
			view("cache-0", master("A", 100)),
			view("cache-1", replicaOf("10.0.0.3", "C", 50, true)),
			view("cache-2", &replInfo{Role: "slave", MasterHost: "10.0.0.1", MasterPort: 6379, SyncInProgress: true}),
		},
		want: replicationPlan{Master: "cache-0", Repoint: []string{"cache-1"},
			Synced: map[string]bool{"cache-0": true}},
	}, {
		name:  "a replica naming the master by DNS without a link gets the IP",
		named: "cache-0",
		members: []memberView{
			view("cache-0", master("A", 0)),
			view("cache-1", replicaOf("cache-0.cache-headless.ns.svc.cluster.local", "B", 1, false)),
			view("cache-2", &replInfo{Role: "slave", MasterHost: "cache-0.cache-headless.ns.svc.cluster.local",
				MasterPort: 6379, SyncInProgress: true}),
		},
		want: replicationPlan{Master: "cache-0", Repoint: []string{"cache-1"},
			Synced: map[string]bool{"cache-0": true}},
	}, {
		name:  "the named master thinks it is a replica: REPLICAOF NO ONE",
		named: "cache-1",
		members: []memberView{
			view("cache-0", master("A", 100)),
			view("cache-1", replicaOf("10.0.0.1", "A", 100, true)),
		},
		want: replicationPlan{Master: "cache-1", MakeMaster: true, Repoint: []string{"cache-0"},
			Synced: map[string]bool{"cache-1": true}},
	}, {
		name:  "unreachable master: replicas are left alone",
		named: "cache-0",
		members: []memberView{
			view("cache-0", nil),
			view("cache-1", replicaOf("10.0.0.1", "A", 100, false)),
		},
		want: replicationPlan{Master: "cache-0", Synced: map[string]bool{}},
	}, {
		name:     "master restarted empty: the best replica is promoted, everyone repointed",
		named:    "cache-0",
		volatile: true,
		members: []memberView{
			view("cache-0", master("NEW", 0)),
			view("cache-1", replicaOf("10.0.0.1", "A", 100, false)),
			view("cache-2", replicaOf("10.0.0.1", "A", 120, false)),
		},
		promotion: "cache-2",
		want: replicationPlan{Master: "cache-2", MakeMaster: true, Repoint: []string{"cache-0", "cache-1"},
			Synced: map[string]bool{"cache-2": true}},
	}, {
		name:  "the same with durable data: the master stays",
		named: "cache-0",
		members: []memberView{
			view("cache-0", master("NEW", 0)),
			view("cache-1", replicaOf("10.0.0.1", "A", 100, false)),
		},
		want: replicationPlan{Master: "cache-0", Synced: map[string]bool{"cache-0": true}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planReplication(tt.named, tt.members, tt.volatile, 6379)
			if (got.Promotion != nil) != (tt.promotion != "") || got.Promotion != nil && got.Promotion.To != tt.promotion {
				t.Errorf("promotion = %+v, want %q", got.Promotion, tt.promotion)
			}
			for _, m := range tt.members {
				want := v1alpha1.RoleReplica
				if m.Pod == tt.want.Master {
					want = v1alpha1.RoleMaster
				}
				if got.Roles[m.Pod] != want {
					t.Errorf("role of %s = %s, want %s", m.Pod, got.Roles[m.Pod], want)
				}
			}
			for k, v := range got.Synced {
				if !v {
					delete(got.Synced, k)
				}
			}
			got.Promotion, got.Roles = nil, nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
