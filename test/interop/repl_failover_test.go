package interop

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// FAILOVER: the coordinated hand-over from a master to a replica, among
// our servers and mixed with redis-server 7.0 in either role, its errors
// (compared with redis-server's), its timeout, ABORT and FORCE.

// pairKind starts a master and one replica of it, each replikube or
// redis-server.
func startPair(t *testing.T, oursMaster, oursReplica bool) (master, replica *redis.Client) {
	t.Helper()
	if oursMaster {
		_, master = startMaster(t)
	} else {
		master = client(t, startRedis(t, "--repl-diskless-sync-delay", "0"))
	}
	if oursReplica {
		_, replica = startReplica(t, master.Options().Addr)
	} else {
		host, port := hostPort(master.Options().Addr)
		replica = client(t, startRedis(t, "--replicaof", host, port))
	}
	waitSynced(t, master, replica)
	return master, replica
}

func TestFailoverHandOver(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name                    string
		oursMaster, oursReplica bool
	}{
		{"replikube to replikube", true, true},
		{"replikube to redis-server", true, false},
		{"redis-server to replikube", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			master, replica := startPair(t, tc.oursMaster, tc.oursReplica)
			fillEveryType(t, master)
			waitSynced(t, master, replica)
			host, port := hostPort(replica.Options().Addr)
			must(t, master, "failover", "to", host, port, "timeout", "10000")
			eventually(t, 15*time.Second, "the replica promoted and the master following it", func() bool {
				m, r := replInfo(t, master), replInfo(t, replica)
				return r["role"] == "master" && m["role"] == "slave" && m["master_link_status"] == "up" &&
					m["master_failover_state"] == "no-failover"
			})
			// The old master continued from the promoted replica's backlog.
			if full, partial := statInt(t, replica, "sync_full"), statInt(t, replica, "sync_partial_ok"); full != 0 || partial != 1 {
				t.Fatalf("new master: sync_full %d, sync_partial_ok %d; want 0 and 1", full, partial)
			}
			if in := replInfo(t, replica); in["master_replid2"] != replInfo(t, master)["master_replid2"] {
				t.Fatalf("master_replid2 differs: %s vs %s", in["master_replid2"], replInfo(t, master)["master_replid2"])
			}
			if err := master.Set(ctx, "x", "1", 0).Err(); err == nil || err.Error() != "READONLY You can't write against a read only replica." {
				t.Fatalf("write on the old master: %v", err)
			}
			must(t, replica, "set", "after-failover", "1")
			waitSynced(t, replica, master)
			if digest(t, master) != digest(t, replica) {
				t.Fatal("datasets differ after the failover")
			}
		})
	}
}

// TestFailoverErrors compares every refusal with redis-server's text.
func TestFailoverErrors(t *testing.T) {
	ctx := context.Background()
	type pair struct{ master, replica *redis.Client }
	var pairs [2]pair
	pairs[0].master, pairs[0].replica = startPair(t, true, true)
	pairs[1].master, pairs[1].replica = startPair(t, false, false)
	_, aloneOurs := startMaster(t)
	aloneTheirs := client(t, startRedis(t))

	errOf := func(c *redis.Client, args ...any) string {
		err := c.Do(ctx, args...).Err()
		if err == nil {
			return "OK"
		}
		return err.Error()
	}
	same := func(what string, ours, theirs *redis.Client, args ...any) {
		t.Helper()
		got, want := errOf(ours, args...), errOf(theirs, args...)
		if got != want || got == "OK" {
			t.Fatalf("%s %v: ours %q, redis-server %q", what, args, got, want)
		}
	}
	same("alone", aloneOurs, aloneTheirs, "failover")
	same("alone", aloneOurs, aloneTheirs, "failover", "abort")
	for _, args := range [][]any{
		{"failover", "force"},
		{"failover", "to", "127.0.0.1", "1", "force"},
		{"failover", "timeout", "0"},
		{"failover", "timeout", "x"},
		{"failover", "timeout", "10", "timeout", "20"},
		{"failover", "to", "127.0.0.1", "x"},
		{"failover", "to", "127.0.0.1", "1"},
		{"failover", "bogus"},
		{"failover", "abort", "timeout", "5"},
	} {
		same("with a replica", pairs[0].master, pairs[1].master, args...)
	}
	same("on a replica", pairs[0].replica, pairs[1].replica, "failover")
}

// TestFailoverTimeoutAbortForce: writes wait while the target catches up;
// a timeout or ABORT ends the failover and lets them run on the master;
// FORCE hands over anyway once the timeout passes.
func TestFailoverTimeoutAbortForce(t *testing.T) {
	ctx := context.Background()
	mp, master := startMaster(t)
	proxy := newLinkProxy(t, mp.addr)
	_, replica := startReplica(t, "127.0.0.1:"+strconv.Itoa(proxy.port()))
	waitSynced(t, master, replica)
	host, port := hostPort(replica.Options().Addr)

	proxy.stall()
	must(t, master, "set", "k", "during-stall")
	writer := client(t, mp.addr)
	start := time.Now()
	must(t, master, "failover", "to", host, port, "timeout", "700")
	if st := replInfo(t, master)["master_failover_state"]; st != "waiting-for-sync" {
		t.Fatalf("master_failover_state %q", st)
	}
	done := make(chan error, 1)
	go func() { done <- writer.Set(ctx, "paused", "1", 0).Err() }()
	select {
	case err := <-done:
		t.Fatalf("a write ran during the failover: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if got := must(t, master, "get", "k"); got != "during-stall" {
		t.Fatalf("a read during the failover: %v", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the paused write after the timeout: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the paused write never ran")
	}
	if d := time.Since(start); d < 600*time.Millisecond {
		t.Fatalf("the failover ended after %v, before its timeout", d)
	}
	if in := replInfo(t, master); in["role"] != "master" || in["master_failover_state"] != "no-failover" {
		t.Fatalf("after the timeout: role %s, state %s", in["role"], in["master_failover_state"])
	}

	must(t, master, "failover")
	for _, args := range [][]any{{"failover"}, {"replicaof", "no", "one"}} {
		if err := master.Do(ctx, args...).Err(); err == nil {
			t.Fatalf("%v accepted during a failover", args)
		}
	}
	if err := master.Do(ctx, "failover").Err(); err == nil || err.Error() != "ERR FAILOVER already in progress." {
		t.Fatalf("second FAILOVER: %v", err)
	}
	must(t, master, "failover", "abort")
	if st := replInfo(t, master)["master_failover_state"]; st != "no-failover" {
		t.Fatalf("after ABORT: %s", st)
	}
	must(t, master, "set", "after-abort", "1")

	// FORCE: the target never catches up through the stalled link, yet
	// gets the master role once the timeout passes.
	must(t, master, "failover", "to", host, port, "force", "timeout", "300")
	eventually(t, 15*time.Second, "forced failover", func() bool {
		m, r := replInfo(t, master), replInfo(t, replica)
		return r["role"] == "master" && m["role"] == "slave" && m["master_link_status"] == "up"
	})
	proxy.heal()
	must(t, replica, "set", "after-force", "1")
	waitSynced(t, replica, master)
	if digest(t, master) != digest(t, replica) {
		t.Fatal("datasets differ after the forced failover")
	}
}

// TestDebugChangeReplID: a new ID and no secondary one, so that a replica
// that reconnects must resync in full, as with redis-server.
func TestDebugChangeReplID(t *testing.T) {
	mp, master := startMaster(t, "--enable-debug-command", "yes")
	proxy := newLinkProxy(t, mp.addr)
	_, replica := startReplica(t, "127.0.0.1:"+strconv.Itoa(proxy.port()))
	waitSynced(t, master, replica)
	before := replInfo(t, master)
	must(t, master, "debug", "change-repl-id")
	after := replInfo(t, master)
	if after["master_replid"] == before["master_replid"] || after["master_replid2"] != "0000000000000000000000000000000000000000" ||
		after["second_repl_offset"] != "-1" {
		t.Fatalf("IDs after DEBUG CHANGE-REPL-ID: %v -> %v", before, after)
	}
	proxy.cutLink()
	must(t, master, "set", "k", "v")
	proxy.heal()
	waitSynced(t, master, replica)
	if full := statInt(t, master, "sync_full"); full != 2 {
		t.Fatalf("sync_full %d after the ID changed, want 2", full)
	}
}
