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
// It prints ours/theirs ratios and whether each goal of the issue is met.
// Not a test: it asserts nothing. Every process it starts is killed on
// exit, on an error and on SIGINT/SIGTERM.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/replikube/replikube/hack/benchkit"
)

var (
	keys        = flag.Int("keys", 1_000_000, "keys in the dataset")
	requests    = flag.Int("requests", 2_000_000, "redis-benchmark requests per throughput run")
	dataSize    = flag.Int("data-size", 100, "value size in bytes of redis-benchmark's SETs")
	keyspace    = flag.Int("keyspace", 100_000, "redis-benchmark -r: distinct keys it writes")
	clients     = flag.Int("clients", 50, "redis-benchmark -c")
	pipeline    = flag.Int("pipeline", 16, "redis-benchmark -P")
	lagFor      = flag.Duration("lag-duration", 10*time.Second, "how long to sample the lag")
	lagEvery    = flag.Duration("lag-interval", 10*time.Millisecond, "time between lag samples")
	syncTimeout = flag.Duration("sync-timeout", 10*time.Minute, "how long a full sync may take before the run fails")
	benchTime   = flag.Duration("benchmark-timeout", 5*time.Minute, "how long one redis-benchmark run may take before the run fails")
	redisBin    = flag.String("redis-server", "", "redis-server binary (default: the one on PATH)")
	keep        = flag.Bool("keep", false, "keep the servers' directories (logs, dump files) and print where")
)

// started holds every process of the run, so that they die with it.
var started struct {
	sync.Mutex
	servers []*benchkit.Server
}

func stopAll() {
	started.Lock()
	defer started.Unlock()
	for _, s := range started.servers {
		s.Stop()
	}
	started.servers = nil
}

// start runs s and registers it for stopAll.
func start(s *benchkit.Server, extra ...string) {
	started.Lock()
	started.servers = append(started.servers, s)
	started.Unlock()
	check(s.Start(extra...))
}

var work string

// check ends the run on an error; os.Exit skips defers, so it cleans up
// first.
func check(err error) {
	if err != nil {
		stopAll()
		removeWork()
	}
	benchkit.Check("benchrepl", err)
}

func removeWork() {
	if *keep {
		fmt.Fprintf(os.Stderr, "benchrepl: logs kept in %s\n", work)
	} else if work != "" {
		os.RemoveAll(work)
	}
}

type figures struct{ syncDisk, syncDiskless, lagP50, lagP99, rps0, rps2 float64 }

func main() {
	bin := flag.String("bin", "bin/replikube", "replikube binary")
	flag.Parse()
	var err error
	work, err = os.MkdirTemp("", "benchrepl-")
	check(err)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		check(fmt.Errorf("interrupted by %v", s))
	}()
	defer removeWork()
	defer stopAll()

	masters, err := benchkit.Pair(*bin, work)
	check(err)
	if *redisBin != "" {
		masters[0].Argv = []string{*redisBin}
	}
	var res [2]figures
	for i, m := range masters {
		res[i] = measure(m)
		stopAll()
	}
	report(res)
}

// measure runs every experiment on master m and replicas of its kind.
func measure(m *benchkit.Server) figures {
	var f figures
	start(m, "--repl-diskless-sync-delay", "0", "--repl-backlog-size", "64mb")
	fmt.Fprintf(os.Stderr, "%s: loading %d keys\n", m.Name, *keys)
	t0 := time.Now()
	check(m.FillMixed(*keys))
	fmt.Fprintf(os.Stderr, "%s: loaded in %.1fs\n", m.Name, time.Since(t0).Seconds())
	f.syncDisk = fullSync(m, "no")
	f.syncDiskless = fullSync(m, "yes")
	f.rps0 = setRPS(m)
	r1 := replicaOf(m, "a")
	replicaOf(m, "b")
	f.rps2 = setRPS(m)
	f.lagP50, f.lagP99 = lag(m, r1)
	return f
}

func report(res [2]figures) {
	fmt.Printf("%d keys of mixed types; replicas of the same kind as their master; redis-benchmark -t set -c %d -P %d -d %d -r %d\n",
		*keys, *clients, *pipeline, *dataSize, *keyspace)
	fmt.Printf("%-28s %14s %14s %8s  %-22s %s\n", "figure", "redis-server", "replikube", "ratio", "goal", "met")
	met := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "NO"
	}
	row := func(name string, theirs, ours float64) {
		fmt.Printf("%-28s %14.3f %14.3f %8s  %-22s %s\n", name, theirs, ours, benchkit.Ratio(theirs, ours),
			"ratio <= 1.0", met(theirs > 0 && ours/theirs <= 1.0 || ours == 0))
	}
	t, o := res[0], res[1]
	row("full sync, disk (s)", t.syncDisk, o.syncDisk)
	row("full sync, diskless (s)", t.syncDiskless, o.syncDiskless)
	row("lag p50 (bytes)", t.lagP50, o.lagP50)
	row("lag p99 (bytes)", t.lagP99, o.lagP99)
	fmt.Printf("%-28s %14.0f %14.0f %8s\n", "SET rps, no replica", t.rps0, o.rps0, benchkit.Ratio(t.rps0, o.rps0))
	fmt.Printf("%-28s %14.0f %14.0f %8s\n", "SET rps, 2 replicas", t.rps2, o.rps2, benchkit.Ratio(t.rps2, o.rps2))
	fmt.Printf("%-28s %13.2fx %13.2fx %8s  %-22s %s\n", "2 replicas / none", t.rps2/t.rps0, o.rps2/o.rps0, "",
		"replikube >= 0.90x", met(o.rps2/o.rps0 >= 0.9))
	fmt.Println("(ratio = replikube / redis-server: lower is better for sync time and lag, higher for rps)")
}

// replicaOf starts a replica of m and waits until it has synced.
func replicaOf(m *benchkit.Server, name string) *benchkit.Server {
	r := m.Like(name)
	start(r, "--replicaof", "127.0.0.1", strconv.Itoa(m.Port))
	waitSynced(m, r, time.Now())
	return r
}

// fullSync times one full sync of a new replica, with the master sending
// through a file (diskless "no") or straight to the socket ("yes").
func fullSync(m *benchkit.Server, diskless string) float64 {
	ctx := context.Background()
	check(m.C.ConfigSet(ctx, "repl-diskless-sync", diskless).Err())
	r := m.Like("sync-" + diskless)
	start(r)
	defer r.Stop()
	t0 := time.Now()
	check(r.C.Do(ctx, "replicaof", "127.0.0.1", strconv.Itoa(m.Port)).Err())
	waitSynced(m, r, t0)
	d := time.Since(t0).Seconds()
	fmt.Fprintf(os.Stderr, "%s: full sync (diskless %s) %.2fs\n", m.Name, diskless, d)
	check(m.C.ConfigSet(ctx, "repl-diskless-sync", "no").Err())
	return d
}

// waitSynced polls (every 5 ms, for at most -sync-timeout) until r's link
// is up, its sync over and its key count the master's.
func waitSynced(m, r *benchkit.Server, since time.Time) {
	ctx := context.Background()
	want := m.C.DBSize(ctx).Val()
	for {
		in := r.Info("replication")
		n := r.C.DBSize(ctx).Val()
		if in["master_link_status"] == "up" && in["master_sync_in_progress"] == "0" && n == want {
			return
		}
		if time.Since(since) > *syncTimeout {
			check(fmt.Errorf("%s: no full sync after %v: master_link_status:%s master_sync_in_progress:%s dbsize %d of %d (logs %s, %s)",
				r.Name, *syncTimeout, in["master_link_status"], in["master_sync_in_progress"], n, want, r.LogPath(), m.LogPath()))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// benchmark runs redis-benchmark SET against m and returns its rps. A
// run cut short by ctx returns 0 and no error.
func benchmark(ctx context.Context, m *benchkit.Server, n int) float64 {
	ctx, cancel := context.WithTimeout(ctx, *benchTime)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(m.Port),
		"-c", strconv.Itoa(*clients), "-P", strconv.Itoa(*pipeline), "-n", strconv.Itoa(n),
		"-r", strconv.Itoa(*keyspace), "-d", strconv.Itoa(*dataSize), "-t", "set", "--csv").Output()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		check(fmt.Errorf("%s: redis-benchmark took more than %v", m.Name, *benchTime))
	}
	if ctx.Err() != nil {
		return 0
	}
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
	v := benchmark(context.Background(), m, *requests)
	fmt.Fprintf(os.Stderr, "%s: SET %.0f rps with %s replica(s)\n", m.Name, v, m.Info("replication")["connected_slaves"])
	return v
}

// lag samples the master's offset minus r's every -lag-interval while
// redis-benchmark writes at full speed; it returns p50 and p99 in bytes.
func lag(m, r *benchkit.Server) (float64, float64) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			benchmark(ctx, m, *requests)
		}
	}()
	// Let redis-benchmark connect and reach full speed first.
	time.Sleep(500 * time.Millisecond)
	var lags []int64
	deadline := time.Now().Add(*lagFor)
	for time.Now().Before(deadline) {
		// The replica first: reading the master after it can only
		// overstate the lag, the same way for both servers.
		ro, err := strconv.ParseInt(r.Info("replication")["slave_repl_offset"], 10, 64)
		check(err)
		mo, err := strconv.ParseInt(m.Info("replication")["master_repl_offset"], 10, 64)
		check(err)
		lags = append(lags, max(mo-ro, 0))
		time.Sleep(*lagEvery)
	}
	cancel()
	<-done
	slices.Sort(lags)
	p50, p99 := float64(lags[len(lags)/2]), float64(lags[len(lags)*99/100])
	fmt.Fprintf(os.Stderr, "%s: lag p50 %.0f p99 %.0f max %d bytes (%d samples)\n", m.Name, p50, p99, lags[len(lags)-1], len(lags))
	return p50, p99
}
