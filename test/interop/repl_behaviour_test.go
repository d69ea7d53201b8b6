package interop

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Replication behaviours beyond the stream: WAIT, min-replicas-to-write,
// expiry on replicas, stale data, the output buffer limit of replicas,
// and replication with persistence. Where redis-server can play the same
// part it does, and both must behave alike.

// startReplica starts replikube as a replica of master (host:port).
func startReplica(t *testing.T, master string, extra ...string) (*proc, *redis.Client) {
	t.Helper()
	host, port := hostPort(master)
	args := append([]string{"--save", "", "--replicaof", host + " " + port, "--repl-diskless-sync-delay", "0"}, extra...)
	p := startProc(t, t.TempDir(), args...)
	return p, client(t, p.addr)
}

func startMaster(t *testing.T, extra ...string) (*proc, *redis.Client) {
	t.Helper()
	p := startProc(t, t.TempDir(), append([]string{"--save", "", "--repl-diskless-sync-delay", "0"}, extra...)...)
	return p, client(t, p.addr)
}

func TestReplicationWait(t *testing.T) {
	mp, master := startMaster(t)
	proxy := newLinkProxy(t, mp.addr)
	_, r1 := startReplica(t, mp.addr)
	r2 := client(t, startRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(proxy.port())))
	waitSynced(t, master, r1, r2)
	ctx := context.Background()

	must(t, master, "set", "k", "v")
	if n := must(t, master, "wait", "2", "5000"); n != int64(2) {
		t.Fatalf("WAIT 2 with both replicas up = %v", n)
	}
	proxy.stall()
	must(t, master, "set", "k", "v2")
	start := time.Now()
	if n := must(t, master, "wait", "2", "500"); n != int64(1) {
		t.Fatalf("WAIT 2 with one replica stalled = %v", n)
	}
	if d := time.Since(start); d < 450*time.Millisecond || d > 5*time.Second {
		t.Fatalf("WAIT 2 500 returned after %v", d)
	}
	if n := must(t, master, "wait", "1", "0"); n != int64(1) {
		t.Fatalf("WAIT 1 0 = %v", n)
	}
	proxy.heal()
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"wait", "x", "0"}, "ERR value is not an integer or out of range"},
		{[]any{"wait", "1", "x"}, "ERR timeout is not an integer or out of range"},
		{[]any{"wait", "1", "-1"}, "ERR timeout is negative"},
	} {
		if err := master.Do(ctx, tc.args...).Err(); err == nil || err.Error() != tc.want {
			t.Fatalf("%v: %v, want %s", tc.args, err, tc.want)
		}
	}
	err := r1.Do(ctx, "wait", "1", "0").Err()
	theirErr := r2.Do(ctx, "wait", "1", "0").Err()
	if err == nil || theirErr == nil || err.Error() != theirErr.Error() {
		t.Fatalf("WAIT on a replica: ours %v, redis-server %v", err, theirErr)
	}
}

func TestReplicationMinReplicasToWrite(t *testing.T) {
	ctx := context.Background()
	_, ours := startMaster(t, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10")
	theirs := client(t, startRedis(t, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"))
	for _, c := range []*redis.Client{ours, theirs} {
		err := c.Set(ctx, "k", "v", 0).Err()
		if err == nil || err.Error() != "NOREPLICAS Not enough good replicas to write." {
			t.Fatalf("write without replicas: %v", err)
		}
		if err := c.Get(ctx, "k").Err(); err != redis.Nil {
			t.Fatalf("read without replicas: %v", err)
		}
	}
	if got, want := replInfo(t, ours)["min_slaves_good_slaves"], replInfo(t, theirs)["min_slaves_good_slaves"]; got != want {
		t.Fatalf("min_slaves_good_slaves %q, want %q", got, want)
	}
	_, r := startReplica(t, ours.Options().Addr)
	waitSynced(t, ours, r)
	eventually(t, 5*time.Second, "writes accepted with a good replica", func() bool {
		return ours.Set(ctx, "k", "v", 0).Err() == nil
	})
}

// TestReplicationExpiry: a replica never expires keys itself; reads of a
// logically expired key return nothing without deleting it; the master's
// DEL removes it.
func TestReplicationExpiry(t *testing.T) {
	ctx := context.Background()
	mp, master := startMaster(t)
	_, ours := startReplica(t, mp.addr)
	host, port := hostPort(mp.addr)
	theirs := client(t, startRedis(t, "--replicaof", host, port))
	waitSynced(t, master, ours, theirs)
	must(t, master, "debug", "set-active-expire", "0")
	must(t, master, "set", "k", "v", "px", "300")
	waitSynced(t, master, ours, theirs)
	time.Sleep(400 * time.Millisecond)
	for name, r := range map[string]*redis.Client{"ours": ours, "redis-server": theirs} {
		if err := r.Get(ctx, "k").Err(); err != redis.Nil {
			t.Fatalf("%s: GET of a logically expired key: %v", name, err)
		}
		if n := r.DBSize(ctx).Val(); n != 1 {
			t.Fatalf("%s: the replica deleted the key itself (dbsize %d)", name, n)
		}
	}
	if err := master.Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatalf("master GET: %v", err)
	}
	for name, r := range map[string]*redis.Client{"ours": ours, "redis-server": theirs} {
		eventually(t, 5*time.Second, name+" to apply the master's DEL", func() bool { return r.DBSize(ctx).Val() == 0 })
	}
}

// TestReplicationStaleData: replica-serve-stale-data no refuses commands
// while the link is down, with Redis's error.
func TestReplicationStaleData(t *testing.T) {
	ctx := context.Background()
	port := strconv.Itoa(freePort(t)) // no master there
	_, ours := startReplica(t, "127.0.0.1:"+port, "--replica-serve-stale-data", "no")
	theirs := client(t, startRedis(t, "--replicaof", "127.0.0.1", port, "--replica-serve-stale-data", "no"))
	for _, args := range [][]any{{"get", "k"}, {"ping"}, {"set", "k", "v"}} {
		var errs []string
		for _, c := range []*redis.Client{ours, theirs} {
			err := c.Do(ctx, args...).Err()
			if err == nil {
				t.Fatalf("%v on a replica without its master succeeded", args)
			}
			errs = append(errs, err.Error())
		}
		if errs[0] != errs[1] {
			t.Fatalf("stale %v: ours %q, redis-server %q", args, errs[0], errs[1])
		}
	}
	for _, c := range []*redis.Client{ours, theirs} {
		if err := c.Info(ctx, "replication").Err(); err != nil {
			t.Fatalf("INFO is allowed on a stale replica: %v", err)
		}
	}
}

// TestReplicationOutputBufferLimit: a replica that cannot keep up is
// disconnected at client-output-buffer-limit replica, then resyncs.
func TestReplicationOutputBufferLimit(t *testing.T) {
	mp, master := startMaster(t, "--client-output-buffer-limit", "replica 256kb 128kb 1")
	proxy := newLinkProxy(t, mp.addr)
	r := client(t, startRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(proxy.port())))
	waitSynced(t, master, r)
	proxy.stall()
	big := strings.Repeat("x", 64<<10)
	for i := 0; i < 200; i++ { // 12.8 MB: more than the socket buffers and the limit
		must(t, master, "set", "big:"+strconv.Itoa(i%20), big)
	}
	mp.waitLog(t, "for overcoming of output buffer limits")
	eventually(t, 10*time.Second, "the replica to be dropped", func() bool {
		return replInfo(t, master)["connected_slaves"] == "0"
	})
	proxy.cutLink()
	proxy.heal()
	waitSynced(t, master, r)
	if digest(t, r) != digest(t, master) {
		t.Fatal("datasets differ after the resync")
	}
}

// TestReplicationMasterRestartWithoutPersistence is Redis's documented
// danger, kept as Redis has it: a master without persistence restarts
// empty and its replicas, once they resync, are empty too (the operator
// guards against it). With persistence the data survives.
func TestReplicationMasterRestartWithoutPersistence(t *testing.T) {
	for _, persist := range []bool{false, true} {
		t.Run("persistence="+strconv.FormatBool(persist), func(t *testing.T) {
			dir := t.TempDir()
			save := ""
			if persist {
				save = "3600 1"
			}
			mp := startProc(t, dir, "--save", save, "--repl-diskless-sync-delay", "0")
			master := client(t, mp.addr)
			_, r := startReplica(t, mp.addr)
			fillEveryType(t, master)
			waitSynced(t, master, r)
			want := digest(t, master)
			if persist {
				_ = mp.cmd.Process.Signal(syscall.SIGTERM) // saves on the way out
			} else {
				_ = mp.cmd.Process.Kill()
			}
			mp.wait(t)
			_, port := hostPort(mp.addr)
			again := startProcOnPort(t, dir, port, "--save", save, "--repl-diskless-sync-delay", "0")
			master = client(t, again.addr)
			eventually(t, 20*time.Second, "the replica to resync", func() bool {
				in := replInfo(t, r)
				return in["master_link_status"] == "up" && in["master_replid"] == replInfo(t, master)["master_replid"]
			})
			waitSynced(t, master, r)
			got := digest(t, r)
			if persist && got != want {
				t.Fatal("the replica lost data although the master persisted it")
			}
			if !persist && r.DBSize(context.Background()).Val() != 0 {
				t.Fatal("a replica of a master restarted empty should be empty (Redis's documented behaviour)")
			}
		})
	}
}

// TestReplicationReplicaAOF: a replica with AOF rewrites it after a full
// sync, so that it restarts with the synced data.
func TestReplicationReplicaAOF(t *testing.T) {
	mp, master := startMaster(t)
	fillEveryType(t, master)
	dir := t.TempDir()
	host, port := hostPort(mp.addr)
	rp := startProc(t, dir, "--save", "", "--appendonly", "yes", "--replicaof", host+" "+port)
	r := client(t, rp.addr)
	waitSynced(t, master, r)
	eventually(t, 20*time.Second, "the replica's AOF rewrite", func() bool {
		return infoInt(t, r, "aof_rewrites") >= 1 && infoInt(t, r, "aof_rewrite_in_progress") == 0
	})
	must(t, master, "set", "after-sync", "1")
	waitSynced(t, master, r)
	want := digest(t, master)
	_ = rp.cmd.Process.Kill()
	rp.wait(t)
	alone := client(t, startProc(t, dir, "--save", "", "--appendonly", "yes").addr)
	if digest(t, alone) != want {
		t.Fatal("the replica's AOF does not hold the synced dataset")
	}
}

// TestReplicationDisklessLoad: repl-diskless-load swapdb and on-empty-db
// load the snapshot straight from the socket, with either framing, from
// replikube and from redis-server.
func TestReplicationDisklessLoad(t *testing.T) {
	for _, oursMaster := range []bool{true, false} {
		for _, disklessSync := range []string{"yes", "no"} {
			var master *redis.Client
			if oursMaster {
				_, master = startMaster(t, "--repl-diskless-sync", disklessSync)
			} else {
				master = client(t, startRedis(t, "--repl-diskless-sync", disklessSync, "--repl-diskless-sync-delay", "0"))
			}
			fillEveryType(t, master)
			for _, mode := range []string{"swapdb", "on-empty-db"} {
				p, replica := startReplica(t, master.Options().Addr, "--repl-diskless-load", mode)
				waitSynced(t, master, replica)
				if digest(t, master) != digest(t, replica) {
					t.Fatalf("ours master %v, diskless sync %s, load %s: %s", oursMaster, disklessSync, mode, digestDiff(t, master, replica))
				}
				if log := p.log(t); !strings.Contains(log, "Swapping active DB with loaded DB") {
					t.Fatalf("load %s did not load from the socket:\n%s", mode, log)
				}
			}
		}
	}
}

// TestReplicationSharedSnapshot: replicas that ask for a full resync
// together share one snapshot: on disk, a replica arriving while the file
// is written joins it; diskless, the delay gathers them. Writes made
// meanwhile reach both. redis-server plays the same scenario.
func TestReplicationSharedSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ours     bool
		diskless string
		joinLine string
	}{
		{"replikube disk", true, "no", "Waiting for end of BGSAVE for SYNC"},
		{"redis-server disk", false, "no", "Waiting for end of BGSAVE for SYNC"},
		{"replikube diskless", true, "yes", ""},
		{"redis-server diskless", false, "yes", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			// 5000 keys at 200µs each: the snapshot takes a second.
			args := []string{"--repl-diskless-sync", tc.diskless, "--repl-diskless-sync-delay", "2",
				"--rdb-key-save-delay", "200", "--enable-debug-command", "yes"}
			var master *redis.Client
			var masterLog func() string
			if tc.ours {
				p, c := startMaster(t, args...)
				master, masterLog = c, func() string { return p.log(t) }
			} else {
				master = client(t, startRedis(t, args...))
				masterLog = func() string { return redisLog(t, master) }
			}
			must(t, master, "debug", "populate", "5000")
			_, r1 := startReplica(t, master.Options().Addr)
			eventually(t, 10*time.Second, "the first sync under way", func() bool {
				return strings.Contains(masterLog(), "Starting BGSAVE for SYNC") || tc.diskless == "yes"
			})
			_, r2 := startReplica(t, master.Options().Addr)
			for i := range 50 {
				must(t, master, "set", "during:"+strconv.Itoa(i), i)
			}
			waitSynced(t, master, r1, r2)
			log := masterLog()
			if n := strings.Count(log, "Starting BGSAVE for SYNC"); n != 1 {
				t.Fatalf("%d snapshots for two replicas:\n%s", n, log)
			}
			if tc.joinLine != "" && !strings.Contains(log, tc.joinLine) {
				t.Fatalf("the second replica did not join the running snapshot:\n%s", log)
			}
			if n := statInt(t, master, "sync_full"); n != 2 {
				t.Fatalf("sync_full %d", n)
			}
			d := digest(t, master)
			if digest(t, r1) != d || digest(t, r2) != d {
				t.Fatal("datasets differ")
			}
			if r2.DBSize(ctx).Val() != 5050 {
				t.Fatalf("the second replica has %d keys", r2.DBSize(ctx).Val())
			}
		})
	}
}
