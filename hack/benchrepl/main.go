// Command benchrepl is `make bench-replication`: redis-server and
// replikube, each replicating to servers of its own kind, measured in the
// same run:
//
//   - full sync time of the dataset (1M keys of mixed types by default),
//     through a file and diskless: from REPLICAOF until the replica's link
//     is up with every key loaded;
//   - replication lag while redis-benchmark writes to the master at full
//     speed: the master's offset minus a replica's, sampled every 10 ms
//     (p50, p99, in bytes);
//   - master throughput (redis-benchmark SET) with no replica and with two.
//
// It prints ours/theirs ratios. Not a test: it asserts nothing.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"time"

	"github.com/replikube/replikube/hack/benchkit"
)

func check(err error) { benchkit.Check("benchrepl", err) }

var (
	keys     = flag.Int("keys", 1_000_000, "keys in the dataset")
	requests = flag.Int("requests", 2_000_000, "redis-benchmark requests per throughput run")
	lagFor   = flag.Duration("lag-duration", 10*time.Second, "how long to sample the lag")
)

func main() {
	bin := flag.String("bin", "bin/replikube", "replikube binary")
	flag.Parse()
	work, err := os.MkdirTemp("", "benchrepl-")
	check(err)
	defer os.RemoveAll(work)
	masters, err := benchkit.Pair(*bin, work)
	check(err)

	type figures struct{ syncDisk, syncDiskless, lagP50, lagP99, rps0, rps2 float64 }
	var res [2]figures
	for i, m := range masters {
		check(m.Start("--repl-diskless-sync-delay", "0", "--repl-backlog-size", "64mb"))
		fmt.Fprintf(os.Stderr, "%s: loading %d keys\n", m.Name, *keys)
		check(m.FillMixed(*keys))
		f := &res[i]
		f.syncDisk = fullSync(m, "no")
		f.syncDiskless = fullSync(m, "yes")
		f.rps0 = setRPS(m)
		r1, r2 := replicaOf(m, "a"), replicaOf(m, "b")
		f.rps2 = setRPS(m)
		f.lagP50, f.lagP99 = lag(m, r1)
		r1.Stop()
		r2.Stop()
		m.Stop()
	}
	fmt.Printf("%d keys of mixed types; replicas of the same kind as their master\n", *keys)
	fmt.Printf("%-28s %14s %14s %8s  %s\n", "figure", "redis-server", "replikube", "ratio", "goal")
	row := func(name string, theirs, ours float64, goal string) {
		fmt.Printf("%-28s %14.3f %14.3f %8s  %s\n", name, theirs, ours, benchkit.Ratio(theirs, ours), goal)
	}
	t, o := res[0], res[1]
	row("full sync, disk (s)", t.syncDisk, o.syncDisk, "ratio <= 1.0")
	row("full sync, diskless (s)", t.syncDiskless, o.syncDiskless, "ratio <= 1.0")
	row("lag p50 (bytes)", t.lagP50, o.lagP50, "ratio <= 1.0")
	row("lag p99 (bytes)", t.lagP99, o.lagP99, "ratio <= 1.0")
	row("SET rps, no replica", t.rps0, o.rps0, "")
	row("SET rps, 2 replicas", t.rps2, o.rps2, "")
	fmt.Printf("%-28s %13.2fx %13.2fx %8s  %s\n", "2 replicas / none", t.rps2/t.rps0, o.rps2/o.rps0, "", "replikube >= 0.90x")
}

// replicaOf starts a replica of m and waits until it has synced.
func replicaOf(m *benchkit.Server, name string) *benchkit.Server {
	r := m.Like(name)
	check(r.Start("--replicaof", "127.0.0.1", strconv.Itoa(m.Port)))
	waitSynced(m, r, time.Now())
	return r
}

// fullSync times one full sync of a new replica, with the master sending
// through a file (diskless "no") or straight to the socket ("yes").
func fullSync(m *benchkit.Server, diskless string) float64 {
	ctx := context.Background()
	check(m.C.ConfigSet(ctx, "repl-diskless-sync", diskless).Err())
	r := m.Like("sync-" + diskless)
	check(r.Start())
	defer r.Stop()
	t0 := time.Now()
	check(r.C.Do(ctx, "replicaof", "127.0.0.1", strconv.Itoa(m.Port)).Err())
	waitSynced(m, r, t0)
	d := time.Since(t0).Seconds()
	fmt.Fprintf(os.Stderr, "%s: full sync (diskless %s) %.2fs\n", m.Name, diskless, d)
	check(m.C.ConfigSet(ctx, "repl-diskless-sync", "no").Err())
	return d
}

// waitSynced polls (every 5 ms, for at most 10 minutes) until r's link
// is up, its sync over and its key count the master's.
func waitSynced(m, r *benchkit.Server, since time.Time) {
	ctx := context.Background()
	want := m.C.DBSize(ctx).Val()
	for {
		in := r.Info("replication")
		if in["master_link_status"] == "up" && in["master_sync_in_progress"] == "0" && r.C.DBSize(ctx).Val() == want {
			return
		}
		if time.Since(since) > 10*time.Minute {
			check(fmt.Errorf("%s: no sync after 10 minutes (log %s)", r.Name, r.LogPath()))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// benchmark runs redis-benchmark SET against m and returns its rps.
func benchmark(m *benchkit.Server, n int) float64 {
	out, err := exec.Command("redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(m.Port),
		"-c", "50", "-P", "16", "-n", strconv.Itoa(n), "-r", "100000", "-d", "100", "-t", "set", "--csv").Output()
	check(err)
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	check(err)
	for _, rec := range recs {
		if len(rec) > 1 && rec[0] == "SET" {
			v, err := strconv.ParseFloat(rec[1], 64)
			check(err)
			return v
		}
	}
	check(fmt.Errorf("no SET figure in redis-benchmark's output: %s", out))
	return 0
}

func setRPS(m *benchkit.Server) float64 {
	v := benchmark(m, *requests)
	fmt.Fprintf(os.Stderr, "%s: SET %.0f rps with %s replica(s)\n", m.Name, v, m.Info("replication")["connected_slaves"])
	return v
}

// lag samples the master's offset minus r's every 10 ms while
// redis-benchmark writes at full speed; it returns p50 and p99 in bytes.
func lag(m, r *benchkit.Server) (float64, float64) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			benchmark(m, *requests)
		}
	}()
	var lags []int64
	deadline := time.Now().Add(*lagFor)
	for time.Now().Before(deadline) {
		// The replica first: reading the master after it can only
		// overstate the lag, the same way for both servers.
		ro, _ := strconv.ParseInt(r.Info("replication")["slave_repl_offset"], 10, 64)
		mo, _ := strconv.ParseInt(m.Info("replication")["master_repl_offset"], 10, 64)
		lags = append(lags, max(mo-ro, 0))
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	slices.Sort(lags)
	p50, p99 := float64(lags[len(lags)/2]), float64(lags[len(lags)*99/100])
	fmt.Fprintf(os.Stderr, "%s: lag p50 %.0f p99 %.0f bytes (%d samples)\n", m.Name, p50, p99, len(lags))
	return p50, p99
}
