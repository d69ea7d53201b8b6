package controllers

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	infoMaster = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" +
		"slave0:ip=10.0.0.2,port=6379,state=online,offset=1000,lag=0\r\n" +
		"slave1:ip=10.0.0.3,port=6379,state=wait_bgsave,offset=0,lag=3\r\n" +
		"master_failover_state:no-failover\r\n" +
		"master_replid:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n" +
		"master_replid2:0000000000000000000000000000000000000000\r\n" +
		"master_repl_offset:1042\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:1\r\n"
	infoReplica = "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\n" +
		"master_link_status:up\r\nmaster_last_io_seconds_ago:2\r\nmaster_sync_in_progress:0\r\n" +
		"slave_read_repl_offset:1042\r\nslave_repl_offset:1000\r\nslave_priority:100\r\n" +
		"connected_slaves:0\r\nmaster_replid:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n" +
		"master_replid2:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\nmaster_repl_offset:1042\r\n"
	infoSyncing = "role:slave\nmaster_host:cache-0.cache-headless.ns.svc.cluster.local\nmaster_port:6379\n" +
		"master_link_status:down\nmaster_last_io_seconds_ago:-1\nmaster_sync_in_progress:1\n" +
		"slave_repl_offset:0\nmaster_replid:cccccccccccccccccccccccccccccccccccccccc\nmaster_repl_offset:0\n"
)

func TestParseInfoReplication(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    replInfo
		wantErr string
	}{{
		name: "master with two replicas",
		text: infoMaster,
		want: replInfo{
			Role: "master", ReplID: strings.Repeat("a", 40), ReplID2: nullReplID, Offset: 1042,
			Replicas: []connectedReplica{
				{IP: "10.0.0.2", Port: 6379, State: "online", Offset: 1000, Lag: 0},
				{IP: "10.0.0.3", Port: 6379, State: "wait_bgsave", Offset: 0, Lag: 3},
			},
		},
	}, {
		name: "synced replica: slave_repl_offset wins over master_repl_offset",
		text: infoReplica,
		want: replInfo{
			Role: "slave", ReplID: strings.Repeat("a", 40), ReplID2: strings.Repeat("b", 40), Offset: 1000,
			MasterHost: "10.0.0.1", MasterPort: 6379, LinkUp: true, LastIOSecondsAgo: 2, hasReplicaOffset: true,
		},
	}, {
		name: "replica in its initial sync, LF line ends",
		text: infoSyncing,
		want: replInfo{
			Role: "slave", ReplID: strings.Repeat("c", 40), MasterHost: "cache-0.cache-headless.ns.svc.cluster.local",
			MasterPort: 6379, SyncInProgress: true, LastIOSecondsAgo: -1, hasReplicaOffset: true,
		},
	}, {
		name:    "no role",
		text:    "# Replication\r\nconnected_slaves:0\r\n",
		wantErr: `role "" is neither master nor slave`,
	}, {
		name:    "bad offset",
		text:    "role:master\r\nmaster_repl_offset:x\r\n",
		wantErr: "field master_repl_offset",
	}, {
		name:    "bad replica line",
		text:    "role:master\r\nslave0:ip=1.2.3.4,port=p\r\n",
		wantErr: "field slave0",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInfoReplication(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestGoRedisAdminAgainstRedisServer runs the real admin against two
// Debian redis-server processes: INFO replication parses, REPLICAOF makes
// one follow the other, and REPLICAOF NO ONE promotes it with the old
// history kept as replid2, which is what sharesHistory relies on.
func TestGoRedisAdminAgainstRedisServer(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not on PATH")
	}
	const password = "s3cret"
	a, b := startRedis(t, password), startRedis(t, password)
	admin := goRedisAdmin{Timeout: 2 * time.Second}
	ctx := context.Background()
	epA, epB := redisEndpoint{Addr: a, Password: password}, redisEndpoint{Addr: b, Password: password}

	if _, err := admin.InfoReplication(ctx, redisEndpoint{Addr: a, Password: "wrong"}); err == nil {
		t.Fatal("INFO with a wrong password succeeded")
	}
	c := redis.NewClient(&redis.Options{Addr: a, Password: password, Protocol: 2})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// masterauth lets B authenticate to A.
	cb := redis.NewClient(&redis.Options{Addr: b, Password: password, Protocol: 2})
	defer cb.Close()
	if err := cb.ConfigSet(ctx, "masterauth", password).Err(); err != nil {
		t.Fatal(err)
	}

	hostA, portA := splitAddr(t, a)
	if err := admin.ReplicaOf(ctx, epB, hostA, portA); err != nil {
		t.Fatal(err)
	}
	var infoB replInfo
	waitFor(t, "B to sync from A", func() bool {
		var err error
		infoB, err = admin.InfoReplication(ctx, epB)
		return err == nil && infoB.LinkUp && !infoB.SyncInProgress
	})
	if infoB.Role != "slave" || infoB.MasterHost != hostA || infoB.MasterPort != portA {
		t.Errorf("B: %+v", infoB)
	}
	// Offsets count the stream after the initial sync: write once more
	// so that B's offset shows it holds data.
	if err := c.Set(ctx, "k2", "v2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	var infoA replInfo
	waitFor(t, "B to catch up with A", func() bool {
		var errA, errB error
		infoA, errA = admin.InfoReplication(ctx, epA)
		infoB, errB = admin.InfoReplication(ctx, epB)
		return errA == nil && errB == nil && infoB.Offset > 0 && infoB.Offset == infoA.Offset
	})
	if !infoA.IsMaster() || len(infoA.Replicas) != 1 || infoA.Replicas[0].Port != mustPort(t, b) {
		t.Errorf("A: %+v", infoA)
	}
	if !sharesHistory(infoA, infoB) || infoB.Offset <= 0 {
		t.Errorf("after a sync A and B share no history: A %s, B %s offset %d", infoA.ReplID, infoB.ReplID, infoB.Offset)
	}
	if v, err := cb.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("B GET k = %q, %v", v, err)
	}

	if err := admin.ReplicaOf(ctx, epB, "", 0); err != nil {
		t.Fatal(err)
	}
	promoted, err := admin.InfoReplication(ctx, epB)
	if err != nil {
		t.Fatal(err)
	}
	if !promoted.IsMaster() || promoted.ReplID2 != infoA.ReplID || !sharesHistory(promoted, infoA) {
		t.Errorf("after REPLICAOF NO ONE, B: %+v (A's replid %s)", promoted, infoA.ReplID)
	}
}

// startRedis runs redis-server on a free 127.0.0.1 port with no
// persistence and stops it when the test ends.
func startRedis(t *testing.T, password string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "no", "--requirepass", password,
		"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--logfile", filepath.Join(dir, "log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(dir, "log")); err == nil {
				t.Logf("redis-server :%d log:\n%s", port, tail(string(log), 20))
			}
		}
	})
	addr := memberAddr("127.0.0.1", port)
	waitFor(t, "redis-server to listen on "+addr, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return host, p
}

func mustPort(t *testing.T, addr string) int {
	_, p := splitAddr(t, addr)
	return p
}

func tail(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
