// Command benchpersist is `make bench-persistence`: redis-server and
// replikube hold the same dataset (1M keys of mixed types by default) and
// are measured in the same run: SAVE time, RDB file size, load time at
// start, and GET p99 latency while a BGSAVE runs. It prints ours/theirs
// ratios (lower is better for every figure). Not a test: it asserts
// nothing.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	bin := flag.String("bin", "bin/replikube", "replikube binary")
	keys := flag.Int("keys", 1_000_000, "keys in the dataset")
	flag.Parse()
	work, err := os.MkdirTemp("", "benchpersist-")
	check(err)
	defer os.RemoveAll(work)

	redisBin, err := exec.LookPath("redis-server")
	check(err)
	servers := []*server{
		{name: "redis-server", argv: []string{redisBin}},
		{name: "replikube", argv: []string{*bin, "server"}},
	}
	for _, s := range servers {
		s.dir = filepath.Join(work, s.name)
		check(os.MkdirAll(s.dir, 0o755))
		s.start()
		defer s.stop()
		fmt.Fprintf(os.Stderr, "%s: loading %d keys\n", s.name, *keys)
		s.fill(*keys)
	}
	type row struct {
		name       string
		theirs, us float64
		unit       string
	}
	var rows []row
	res := map[string][2]float64{}
	for i, s := range servers {
		ctx := context.Background()
		t0 := time.Now()
		check(s.c.Do(ctx, "save").Err())
		save := time.Since(t0).Seconds()
		st, err := os.Stat(filepath.Join(s.dir, "dump.rdb"))
		check(err)
		p99idle := s.getP99(nil)
		p99 := s.getP99(func() bool {
			info := s.c.Info(ctx, "persistence").Val()
			return strings.Contains(info, "rdb_bgsave_in_progress:1")
		})
		s.stop()
		load := s.restartLoadSeconds()
		for name, v := range map[string]float64{"save_s": save, "size_mb": float64(st.Size()) / (1 << 20), "load_s": load, "get_p99_idle_ms": p99idle, "get_p99_bgsave_ms": p99} {
			r := res[name]
			r[i] = v
			res[name] = r
		}
	}
	for _, name := range []string{"save_s", "size_mb", "load_s", "get_p99_idle_ms", "get_p99_bgsave_ms"} {
		rows = append(rows, row{name: name, theirs: res[name][0], us: res[name][1]})
	}
	fmt.Printf("%d keys of mixed types (60%% strings, 10%% each list/hash/set/zset of 10 elements)\n", *keys)
	fmt.Printf("%-20s %14s %14s %8s\n", "figure", "redis-server", "replikube", "ratio")
	for _, r := range rows {
		fmt.Printf("%-20s %14.3f %14.3f %7.2fx\n", r.name, r.theirs, r.us, r.us/max(r.theirs, 1e-9))
	}
	fmt.Println("(ratio = replikube / redis-server; lower is better; goal <= 1.0)")
}

type server struct {
	name string
	argv []string
	dir  string
	cmd  *exec.Cmd
	addr string
	c    *redis.Client
	keys int
}

func (s *server) start() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s.addr = "127.0.0.1:" + strconv.Itoa(port)
	args := append(s.argv[1:], "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", s.dir, "--save", "",
		"--appendonly", "no", "--daemonize", "no", "--logfile", filepath.Join(s.dir, "server.log"))
	s.cmd = exec.Command(s.argv[0], args...)
	check(s.cmd.Start())
	s.c = redis.NewClient(&redis.Options{Addr: s.addr, ReadTimeout: 10 * time.Minute, WriteTimeout: time.Minute})
	for i := 0; ; i++ {
		if s.c.Ping(context.Background()).Err() == nil {
			break
		}
		if i > 6000 {
			check(fmt.Errorf("%s did not start", s.name))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Wait for the end of loading.
	for strings.Contains(s.c.Info(context.Background(), "persistence").Val(), "loading:1") {
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_, _ = s.cmd.Process.Wait()
		s.cmd = nil
	}
}

var loadedRe = regexp.MustCompile(`DB loaded from disk: ([0-9.]+) seconds`)

// restartLoadSeconds restarts the server on its file and returns the load
// time it logs (both servers log the same line).
func (s *server) restartLoadSeconds() float64 {
	_ = os.Remove(filepath.Join(s.dir, "server.log"))
	s.start()
	defer s.stop()
	f, err := os.Open(filepath.Join(s.dir, "server.log"))
	check(err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := loadedRe.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			return v
		}
	}
	check(fmt.Errorf("%s: no load time in its log", s.name))
	return 0
}

func (s *server) fill(n int) {
	s.keys = n
	ctx := context.Background()
	p := s.c.Pipeline()
	val := strings.Repeat("v", 100)
	for i := 0; i < n; i++ {
		k := "key:" + strconv.Itoa(i)
		switch i % 10 {
		case 0:
			p.RPush(ctx, k, "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10")
		case 1:
			p.HSet(ctx, k, "f1", "v1", "f2", "v2", "f3", "v3", "f4", "v4", "f5", "v5", "f6", "v6", "f7", "v7", "f8", "v8", "f9", "v9", "f10", "v10")
		case 2:
			p.SAdd(ctx, k, "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10")
		case 3:
			zs := make([]redis.Z, 10)
			for j := range zs {
				zs[j] = redis.Z{Score: float64(j) * 1.5, Member: "m" + strconv.Itoa(j)}
			}
			p.ZAdd(ctx, k, zs...)
		default:
			p.Set(ctx, k, val, 0)
		}
		if p.Len() == 1000 {
			_, err := p.Exec(ctx)
			check(err)
		}
	}
	_, err := p.Exec(ctx)
	check(err)
}

// getP99 measures GET latency (ms, 99th percentile) for 2 s, or, with
// during, starts a BGSAVE and measures while during() holds.
func (s *server) getP99(during func() bool) float64 {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: s.addr})
	defer c.Close()
	var lat []time.Duration
	deadline := time.Now().Add(2 * time.Second)
	if during != nil {
		check(s.c.Do(ctx, "bgsave").Err())
	}
	for i := 0; ; i++ {
		if during == nil && time.Now().After(deadline) {
			break
		}
		if during != nil && i%100 == 0 && !during() {
			break
		}
		t0 := time.Now()
		check(c.Get(ctx, "key:"+strconv.Itoa((i*7919)%(s.keys/10)*10+4)).Err())
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return 0
	}
	if os.Getenv("BENCH_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "%s: %d samples p50 %v p90 %v p99 %v max %v\n", s.name, len(lat), lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)*99/100], lat[len(lat)-1])
	}
	return float64(lat[len(lat)*99/100].Microseconds()) / 1000
}

func check(err error) {
	if err != nil && err != redis.Nil {
		fmt.Fprintln(os.Stderr, "benchpersist:", err)
		os.Exit(1)
	}
}
