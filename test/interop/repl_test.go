package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Replication end to end: the seed's scenario as a user runs it, and
// replikube mixed with redis-server 7.0 in both roles, through a proxy
// that cuts and stalls the link.

// replInfo returns the fields of INFO replication.
func replInfo(t *testing.T, c *redis.Client) map[string]string {
	t.Helper()
	info, err := c.Info(context.Background(), "replication").Result()
	if err != nil {
		t.Fatalf("info replication: %v", err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

func statInt(t *testing.T, c *redis.Client, field string) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatalf("INFO stats has no %s", field)
	return 0
}

// waitSynced waits until every replica's link is up and its offset is
// the master's.
func waitSynced(t *testing.T, master *redis.Client, replicas ...*redis.Client) {
	t.Helper()
	eventually(t, 30*time.Second, "replicas in sync", func() bool {
		want := replInfo(t, master)["master_repl_offset"]
		for _, r := range replicas {
			in := replInfo(t, r)
			if in["master_link_status"] != "up" || in["slave_repl_offset"] != want {
				return false
			}
		}
		return true
	})
}

func redisLog(t *testing.T, c *redis.Client) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dirOf(t, c), "redis.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func hostPort(addr string) (string, string) {
	i := strings.LastIndex(addr, ":")
	return addr[:i], addr[i+1:]
}

// startDaemon writes a configuration file like the seed's and starts
// `replikube server <file>` with daemonize yes; the detached process is
// killed through its pidfile when the test ends.
func startDaemon(t *testing.T, dir string, port int, extra ...string) *redis.Client {
	t.Helper()
	conf := fmt.Sprintf(`# A configuration file as the seed writes it.
bind 127.0.0.1
port %d
daemonize yes
pidfile %s/redis_%d.pid
logfile "%s/redis_%d.log"
dir %s
dbfilename dump_%d.rdb
rdbcompression yes
enable-debug-command yes
%s
`, port, dir, port, dir, port, dir, port, strings.Join(extra, "\n"))
	path := filepath.Join(dir, fmt.Sprintf("redis_%d.conf", port))
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ourBinary(t), "server", path).CombinedOutput()
	if err != nil {
		t.Fatalf("replikube server %s: %v\n%s", path, err, out)
	}
	pidfile := filepath.Join(dir, fmt.Sprintf("redis_%d.pid", port))
	var pid int
	eventually(t, 10*time.Second, "pidfile "+pidfile, func() bool {
		b, err := os.ReadFile(pidfile)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitReachable(t, addr)
	return client(t, addr)
}

// TestReplicationSeedScenario runs the seed's three servers from
// configuration files with daemonize yes, plus a replica of a replica.
func TestReplicationSeedScenario(t *testing.T) {
	dir := t.TempDir()
	mp, p1, p2, p3 := freePort(t), freePort(t), freePort(t), freePort(t)
	master := startDaemon(t, dir, mp)
	replicaOf := fmt.Sprintf("slaveof 127.0.0.1 %d", mp)
	r1 := startDaemon(t, dir, p1, replicaOf)
	r2 := startDaemon(t, dir, p2, replicaOf)
	chained := startDaemon(t, dir, p3, fmt.Sprintf("slaveof 127.0.0.1 %d", p1), "repl-diskless-sync-delay 0")
	ctx := context.Background()

	for _, c := range []*redis.Client{master, r1, r2} {
		if err := c.Get(ctx, "name").Err(); err != redis.Nil {
			t.Fatalf("get name before any write: %v", err)
		}
	}
	// The replicas attach during the default 5 s diskless delay and share
	// one snapshot.
	waitSynced(t, master, r1, r2)
	waitSynced(t, r1, chained)
	if err := master.Set(ctx, "name", "haicoder", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for i, c := range []*redis.Client{r1, r2, chained} {
		eventually(t, 5*time.Second, "name on replica "+strconv.Itoa(i), func() bool {
			v, _ := c.Get(ctx, "name").Result()
			return v == "haicoder"
		})
	}
	for _, c := range []*redis.Client{r1, r2, chained} {
		err := c.Set(ctx, "name1", "haicoder1", 0).Err()
		if err == nil || err.Error() != "READONLY You can't write against a read only replica." {
			t.Fatalf("write on a replica: %v", err)
		}
	}

	in := replInfo(t, master)
	if in["role"] != "master" || in["connected_slaves"] != "2" {
		t.Fatalf("master INFO replication: %v", in)
	}
	ports := []string{}
	for _, k := range []string{"slave0", "slave1"} {
		f := map[string]string{}
		for _, kv := range strings.Split(in[k], ",") {
			a, b, _ := strings.Cut(kv, "=")
			f[a] = b
		}
		if f["ip"] != "127.0.0.1" || f["state"] != "online" || f["offset"] == "" || f["lag"] == "" {
			t.Fatalf("%s: %q", k, in[k])
		}
		ports = append(ports, f["port"])
	}
	slices.Sort(ports)
	want := []string{strconv.Itoa(p1), strconv.Itoa(p2)}
	slices.Sort(want)
	if !slices.Equal(ports, want) {
		t.Fatalf("replica ports %v, want %v", ports, want)
	}
	waitSynced(t, master, r1, r2)
	waitSynced(t, r1, chained)
	for _, c := range []*redis.Client{r1, r2} {
		in := replInfo(t, c)
		if in["role"] != "slave" || in["master_host"] != "127.0.0.1" || in["master_port"] != strconv.Itoa(mp) || in["master_link_status"] != "up" {
			t.Fatalf("replica INFO replication: %v", in)
		}
	}
	// A chain carries the top master's stream: same ID, same offset.
	top, mid, end := replInfo(t, master), replInfo(t, r1), replInfo(t, chained)
	if mid["master_replid"] != top["master_replid"] || end["master_replid"] != top["master_replid"] || end["master_repl_offset"] != mid["master_repl_offset"] {
		t.Fatalf("chain IDs/offsets: master %s/%s, replica %s/%s, chained %s/%s", top["master_replid"], top["master_repl_offset"],
			mid["master_replid"], mid["master_repl_offset"], end["master_replid"], end["master_repl_offset"])
	}
	if d := digest(t, master); digest(t, r1) != d || digest(t, r2) != d || digest(t, chained) != d {
		t.Fatal("datasets differ")
	}
}

// replFields are the INFO replication field names, without slaveN lines.
func replFields(t *testing.T, c *redis.Client) []string {
	var names []string
	for k := range replInfo(t, c) {
		if strings.HasPrefix(k, "slave") && k != "slave_priority" && k != "slave_read_only" &&
			k != "slave_repl_offset" && k != "slave_read_repl_offset" {
			continue
		}
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// TestReplicationRedisReplicaOfOurs: redis-server 7.0 replicates from
// replikube through a link the test cuts, stalls and overflows.
func TestReplicationRedisReplicaOfOurs(t *testing.T) {
	p := startProc(t, t.TempDir(), "--save", "", "--repl-diskless-sync-delay", "0", "--repl-timeout", "3")
	ours := client(t, p.addr)
	fillEveryType(t, ours)
	proxy := newLinkProxy(t, p.addr)
	theirs := client(t, startRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(proxy.port()), "--repl-timeout", "3"))
	waitSynced(t, ours, theirs)
	if digest(t, theirs) != digest(t, ours) {
		t.Fatal("redis-server's copy differs after the full sync")
	}
	if got := statInt(t, ours, "sync_full"); got != 1 {
		t.Fatalf("sync_full %d", got)
	}
	checkLinkFaults(t, ours, theirs, proxy, func() string { return redisLog(t, theirs) }, "Successful partial resynchronization with master")
	if statInt(t, ours, "sync_partial_ok") < 1 {
		t.Fatal("our sync_partial_ok did not count the partial resync")
	}
}

// TestReplicationOursReplicaOfRedis: replikube replicates from
// redis-server 7.0 through the same faults.
func TestReplicationOursReplicaOfRedis(t *testing.T) {
	theirs := client(t, startRedis(t, "--repl-diskless-sync-delay", "0", "--repl-timeout", "3"))
	fillEveryType(t, theirs)
	host, port := hostPort(theirs.Options().Addr)
	proxy := newLinkProxy(t, host+":"+port)
	p := startProc(t, t.TempDir(), "--save", "", "--replicaof", "127.0.0.1 "+strconv.Itoa(proxy.port()), "--repl-timeout", "3")
	ours := client(t, p.addr)
	waitSynced(t, theirs, ours)
	if digest(t, theirs) != digest(t, ours) {
		t.Fatal("our copy differs after the full sync")
	}
	checkLinkFaults(t, theirs, ours, proxy, func() string { return p.log(t) }, "Successful partial resynchronization with master")
	if !strings.Contains(redisLog(t, theirs), "Partial resynchronization request from") {
		t.Fatal("redis-server did not log a partial resynchronization")
	}
	if statInt(t, theirs, "sync_partial_ok") < 1 {
		t.Fatal("redis-server's sync_partial_ok is 0")
	}
}

// checkLinkFaults cuts the link (writes meanwhile: partial resync),
// stalls it beyond repl-timeout (both sides drop it, then partial
// resync), and overflows the backlog while it is cut (full resync),
// comparing the datasets after each.
func checkLinkFaults(t *testing.T, master, replica *redis.Client, proxy *linkProxy, replicaLog func() string, partialLine string) {
	t.Helper()
	fulls := statInt(t, master, "sync_full")

	proxy.cutLink()
	for i := 0; i < 100; i++ {
		must(t, master, "set", "during-cut:"+strconv.Itoa(i), i)
	}
	must(t, master, "incrbyfloat", "float", "1.5")
	must(t, master, "expire", "during-cut:1", 1000)
	proxy.heal()
	waitSynced(t, master, replica)
	if digest(t, replica) != digest(t, master) {
		t.Fatal("datasets differ after a partial resync")
	}
	if !strings.Contains(replicaLog(), partialLine) {
		t.Fatalf("the replica did not log %q", partialLine)
	}
	if got := statInt(t, master, "sync_full"); got != fulls {
		t.Fatalf("a cut link caused a full resync (sync_full %d -> %d)", fulls, got)
	}

	// Stall beyond repl-timeout (3 s): both sides give up the link.
	proxy.stall()
	must(t, master, "set", "during-stall", "1")
	eventually(t, 20*time.Second, "the replica to notice the stalled link", func() bool {
		return replInfo(t, replica)["master_link_status"] == "down"
	})
	proxy.cutLink() // drop the stalled connections
	proxy.heal()
	waitSynced(t, master, replica)
	if digest(t, replica) != digest(t, master) {
		t.Fatal("datasets differ after a stalled link")
	}

	// Overflow the backlog while the link is cut: a full resync.
	must(t, master, "config", "set", "repl-backlog-size", "16384")
	waitSynced(t, master, replica)
	fulls = statInt(t, master, "sync_full")
	proxy.cutLink()
	big := strings.Repeat("x", 1000)
	for i := 0; i < 100; i++ {
		must(t, master, "set", "overflow:"+strconv.Itoa(i), big)
	}
	proxy.heal()
	eventually(t, 30*time.Second, "a full resync after the backlog overflowed", func() bool {
		return statInt(t, master, "sync_full") == fulls+1
	})
	waitSynced(t, master, replica)
	if digest(t, replica) != digest(t, master) {
		t.Fatal("datasets differ after a full resync")
	}
}

// TestReplicationPromotionMixedChain: promotions keep PSYNC2 continuity
// across both implementations: the old master and a sibling continue
// with a promoted redis-server, then with a promoted replikube.
func TestReplicationPromotionMixedChain(t *testing.T) {
	a := startProc(t, t.TempDir(), "--save", "", "--repl-diskless-sync-delay", "0")
	ours := client(t, a.addr)
	fillEveryType(t, ours)
	aHost, aPort := hostPort(a.addr)
	theirs := client(t, startRedis(t, "--replicaof", aHost, aPort, "--repl-diskless-sync-delay", "0"))
	c := startProc(t, t.TempDir(), "--save", "", "--replicaof", aHost+" "+aPort, "--repl-diskless-sync-delay", "0")
	sibling := client(t, c.addr)
	waitSynced(t, ours, theirs, sibling)

	// INFO replication of a replica has the same fields as redis-server's.
	if got, want := replFields(t, sibling), replFields(t, theirs); !slices.Equal(got, want) {
		t.Fatalf("replica INFO replication fields\n ours %v\n want %v", got, want)
	}

	// Promote redis-server; the old master (ours) and the sibling follow it.
	must(t, theirs, "replicaof", "no", "one")
	tHost, tPort := hostPort(theirs.Options().Addr)
	must(t, ours, "replicaof", tHost, tPort)
	must(t, sibling, "replicaof", tHost, tPort)
	must(t, theirs, "set", "after-first-promotion", "1")
	waitSynced(t, theirs, ours, sibling)
	if statInt(t, theirs, "sync_full") != 0 || statInt(t, theirs, "sync_partial_ok") != 2 {
		t.Fatalf("redis-server: sync_full %d, sync_partial_ok %d; want 0 and 2",
			statInt(t, theirs, "sync_full"), statInt(t, theirs, "sync_partial_ok"))
	}

	// Promote our sibling; redis-server and the first master follow it.
	must(t, sibling, "replicaof", "no", "one")
	cHost, cPort := hostPort(c.addr)
	must(t, theirs, "replicaof", cHost, cPort)
	must(t, ours, "replicaof", cHost, cPort)
	must(t, sibling, "set", "after-second-promotion", "1")
	waitSynced(t, sibling, theirs, ours)
	if statInt(t, sibling, "sync_full") != 0 || statInt(t, sibling, "sync_partial_ok") != 2 {
		t.Fatalf("replikube: sync_full %d, sync_partial_ok %d; want 0 and 2",
			statInt(t, sibling, "sync_full"), statInt(t, sibling, "sync_partial_ok"))
	}
	d := digest(t, sibling)
	if digest(t, theirs) != d || digest(t, ours) != d {
		t.Fatal("datasets differ after the promotions")
	}
	if got := must(t, ours, "role").([]any); got[0] != "slave" || got[3] != "connected" {
		t.Fatalf("ROLE of a replica: %v", got)
	}
}
