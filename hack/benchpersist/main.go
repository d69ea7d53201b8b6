// Command benchpersist is `make bench-persistence`: redis-server and
// replikube hold the same dataset (1M keys of mixed types by default) and
// are measured in the same run: SAVE time, RDB file size, load time at
// start, and GET p99 latency while a BGSAVE runs (the median over
// -bgsave-rounds BGSAVEs per server, taking turns). It prints ours/theirs
// ratios (lower is better for every figure). Not a test: it asserts
// nothing.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/replikube/replikube/hack/benchkit"
)

func check(err error) { benchkit.Check("benchpersist", err) }

func main() {
	bin := flag.String("bin", "bin/replikube", "replikube binary")
	keys := flag.Int("keys", 1_000_000, "keys in the dataset")
	rounds := flag.Int("bgsave-rounds", 9, "BGSAVEs per server for the GET p99 (the median is reported)")
	flag.Parse()
	work, err := os.MkdirTemp("", "benchpersist-")
	check(err)
	defer os.RemoveAll(work)

	servers, err := benchkit.Pair(*bin, work)
	check(err)
	for _, s := range servers {
		check(s.Start())
		defer s.Stop()
		fmt.Fprintf(os.Stderr, "%s: loading %d keys\n", s.Name, *keys)
		check(s.FillMixed(*keys))
	}
	res := map[string][2]float64{}
	set := func(name string, i int, v float64) {
		r := res[name]
		r[i] = v
		res[name] = r
	}
	for i, s := range servers {
		ctx := context.Background()
		t0 := time.Now()
		check(s.C.Do(ctx, "save").Err())
		set("save_s", i, time.Since(t0).Seconds())
		st, err := os.Stat(filepath.Join(s.Dir, "dump.rdb"))
		check(err)
		set("size_mb", i, float64(st.Size())/(1<<20))
		set("get_p99_idle_ms", i, getP99(s, *keys, nil))
	}
	// One p99 per BGSAVE moves a lot from run to run on a small machine:
	// several BGSAVEs per server, taking turns, and their median.
	p99s := make([][]float64, len(servers))
	for r := 0; r < *rounds; r++ {
		for i, s := range servers {
			p99s[i] = append(p99s[i], getP99(s, *keys, func() bool {
				return s.Info("persistence")["rdb_bgsave_in_progress"] == "1"
			}))
		}
	}
	for i, s := range servers {
		slices.Sort(p99s[i])
		fmt.Fprintf(os.Stderr, "%s: GET p99 during each BGSAVE (ms, sorted): %v\n", s.Name, p99s[i])
		set("get_p99_bgsave_ms", i, p99s[i][len(p99s[i])/2])
		s.Stop()
		set("load_s", i, restartLoadSeconds(s))
	}
	fmt.Printf("%d keys of mixed types (60%% strings, 10%% each list/hash/set/zset of 10 elements)\n", *keys)
	fmt.Printf("%-20s %14s %14s %8s\n", "figure", "redis-server", "replikube", "ratio")
	for _, name := range []string{"save_s", "size_mb", "load_s", "get_p99_idle_ms", "get_p99_bgsave_ms"} {
		r := res[name]
		fmt.Printf("%-20s %14.3f %14.3f %8s\n", name, r[0], r[1], benchkit.Ratio(r[0], r[1]))
	}
	fmt.Println("(ratio = replikube / redis-server; lower is better; goal <= 1.0)")
}

var loadedRe = regexp.MustCompile(`DB loaded from disk: ([0-9.]+) seconds`)

// restartLoadSeconds restarts the server on its file and returns the load
// time it logs (both servers log the same line).
func restartLoadSeconds(s *benchkit.Server) float64 {
	_ = os.Remove(s.LogPath())
	check(s.Start())
	defer s.Stop()
	f, err := os.Open(s.LogPath())
	check(err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := loadedRe.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			return v
		}
	}
	check(fmt.Errorf("%s: no load time in its log", s.Name))
	return 0
}

// getP99 measures GET latency (ms, 99th percentile) for 2 s, or, with
// during, starts a BGSAVE and measures while during() holds.
func getP99(s *benchkit.Server, keys int, during func() bool) float64 {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	var lat []time.Duration
	deadline := time.Now().Add(2 * time.Second)
	if during != nil {
		check(s.C.Do(ctx, "bgsave").Err())
	}
	for i := 0; ; i++ {
		if during == nil && time.Now().After(deadline) {
			break
		}
		if during != nil && i%100 == 0 && !during() {
			break
		}
		t0 := time.Now()
		check(c.Get(ctx, "key:"+strconv.Itoa((i*7919)%(keys/10)*10+4)).Err())
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return 0
	}
	if os.Getenv("BENCH_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "%s: %d samples p50 %v p90 %v p99 %v max %v\n", s.Name, len(lat), lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)*99/100], lat[len(lat)-1])
	}
	return float64(lat[len(lat)*99/100].Microseconds()) / 1000
}
