package interop

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestGoRedisWorkload runs a realistic go-redis v9 workload (the
// operator's client) against replikube in RESP3 (go-redis's default) and
// RESP2: concurrent counters, pipelines, optimistic transactions, pub/sub,
// blocking pops, expiry, scans.
func TestGoRedisWorkload(t *testing.T) {
	addr, _ := startOurs(t, nil)
	for _, proto := range []int{3, 2} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, PoolSize: 20})
			defer rdb.Close()
			if err := rdb.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			goRedisCounters(ctx, t, rdb)
			goRedisPipelineAndTypes(ctx, t, rdb)
			goRedisTransactions(ctx, t, rdb)
			goRedisPubSub(ctx, t, rdb)
			goRedisBlocking(ctx, t, rdb)
			goRedisExpiryAndScan(ctx, t, rdb)
		})
	}
}

func goRedisCounters(ctx context.Context, t *testing.T, rdb *redis.Client) {
	const workers, each = 20, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := rdb.Incr(ctx, "counter").Err(); err != nil {
					errs <- err
					return
				}
				if err := rdb.HIncrBy(ctx, "perworker", fmt.Sprint(w), 1).Err(); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, err := rdb.Get(ctx, "counter").Int(); err != nil || n != workers*each {
		t.Fatalf("counter = %d, %v", n, err)
	}
	m, err := rdb.HGetAll(ctx, "perworker").Result()
	if err != nil || len(m) != workers {
		t.Fatalf("perworker = %v, %v", m, err)
	}
	for k, v := range m {
		if v != fmt.Sprint(each) {
			t.Fatalf("worker %s counted %s", k, v)
		}
	}
}

func goRedisPipelineAndTypes(ctx context.Context, t *testing.T, rdb *redis.Client) {
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < 500; i++ {
			p.Set(ctx, fmt.Sprintf("user:%d", i), i, 0)
		}
		p.RPush(ctx, "queue", "a", "b", "c")
		p.SAdd(ctx, "tags", "x", "y", "z")
		p.ZAdd(ctx, "board", redis.Z{Score: 10, Member: "alice"}, redis.Z{Score: 20, Member: "bob"})
		p.HSet(ctx, "profile", map[string]any{"name": "ann", "age": 30})
		return nil
	})
	if err != nil || len(cmds) != 504 {
		t.Fatalf("pipeline: %d cmds, %v", len(cmds), err)
	}
	vals, err := rdb.MGet(ctx, "user:1", "user:499", "nosuch").Result()
	if err != nil || vals[0] != "1" || vals[1] != "499" || vals[2] != nil {
		t.Fatalf("mget = %v, %v", vals, err)
	}
	if l, _ := rdb.LRange(ctx, "queue", 0, -1).Result(); fmt.Sprint(l) != "[a b c]" {
		t.Fatalf("lrange = %v", l)
	}
	members, _ := rdb.SMembers(ctx, "tags").Result()
	sort.Strings(members)
	if fmt.Sprint(members) != "[x y z]" {
		t.Fatalf("smembers = %v", members)
	}
	zs, err := rdb.ZRevRangeWithScores(ctx, "board", 0, -1).Result()
	if err != nil || len(zs) != 2 || zs[0].Member != "bob" || zs[0].Score != 20 {
		t.Fatalf("zrevrange = %v, %v", zs, err)
	}
	if age, _ := rdb.HGet(ctx, "profile", "age").Int(); age != 30 {
		t.Fatalf("hget age = %d", age)
	}
	if err := rdb.Get(ctx, "nosuch").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("missing key: %v", err)
	}
	if err := rdb.LPush(ctx, "user:1", "x").Err(); err == nil || err.Error() != "WRONGTYPE Operation against a key holding the wrong kind of value" {
		t.Fatalf("wrongtype: %v", err)
	}
}

func goRedisTransactions(ctx context.Context, t *testing.T, rdb *redis.Client) {
	rdb.Set(ctx, "balance", 100, 0)
	transfer := func() error {
		return rdb.Watch(ctx, func(tx *redis.Tx) error {
			n, err := tx.Get(ctx, "balance").Int()
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "balance", n-1, 0)
				p.Incr(ctx, "spent")
				return nil
			})
			return err
		}, "balance")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < 10; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				for attempt := 0; attempt < 100; attempt++ {
					err := transfer()
					if err == nil {
						mu.Lock()
						done++
						mu.Unlock()
						break
					}
					if !errors.Is(err, redis.TxFailedErr) {
						t.Errorf("transfer: %v", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	b, _ := rdb.Get(ctx, "balance").Int()
	s, _ := rdb.Get(ctx, "spent").Int()
	if b+s != 100 || s != done {
		t.Fatalf("balance %d + spent %d != 100 (done %d)", b, s, done)
	}
}

func goRedisPubSub(ctx context.Context, t *testing.T, rdb *redis.Client) {
	ps := rdb.Subscribe(ctx, "events")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	pps := rdb.PSubscribe(ctx, "ev*")
	defer pps.Close()
	if _, err := pps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if n, err := rdb.Publish(ctx, "events", fmt.Sprint(i)).Result(); err != nil || n != 2 {
			t.Fatalf("publish = %d, %v", n, err)
		}
	}
	for i := 0; i < 50; i++ {
		m, err := ps.ReceiveMessage(ctx)
		if err != nil || m.Payload != fmt.Sprint(i) {
			t.Fatalf("message %d = %v, %v", i, m, err)
		}
		pm, err := pps.ReceiveMessage(ctx)
		if err != nil || pm.Payload != fmt.Sprint(i) || pm.Pattern != "ev*" {
			t.Fatalf("pmessage %d = %v, %v", i, pm, err)
		}
	}
}

func goRedisBlocking(ctx context.Context, t *testing.T, rdb *redis.Client) {
	got := make(chan []string, 1)
	go func() {
		v, err := rdb.BLPop(ctx, 5*time.Second, "jobs").Result()
		if err != nil {
			t.Errorf("blpop: %v", err)
		}
		got <- v
	}()
	time.Sleep(100 * time.Millisecond)
	rdb.RPush(ctx, "jobs", "job1")
	select {
	case v := <-got:
		if fmt.Sprint(v) != "[jobs job1]" {
			t.Fatalf("blpop = %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blpop not woken")
	}
	start := time.Now()
	// go-redis rounds blocking timeouts up to one second.
	if err := rdb.BLPop(ctx, time.Second, "empty").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("blpop timeout: %v", err)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 4*time.Second {
		t.Fatalf("blpop timeout took %v", d)
	}
}

func goRedisExpiryAndScan(ctx context.Context, t *testing.T, rdb *redis.Client) {
	rdb.Set(ctx, "short", "v", 100*time.Millisecond)
	if ttl, _ := rdb.PTTL(ctx, "short").Result(); ttl <= 0 || ttl > 100*time.Millisecond {
		t.Fatalf("pttl = %v", ttl)
	}
	time.Sleep(200 * time.Millisecond)
	if err := rdb.Get(ctx, "short").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("expired key: %v", err)
	}
	seen := map[string]bool{}
	iter := rdb.Scan(ctx, 0, "user:*", 50).Iterator()
	for iter.Next(ctx) {
		seen[iter.Val()] = true
	}
	if err := iter.Err(); err != nil || len(seen) != 500 {
		t.Fatalf("scan saw %d keys, %v", len(seen), err)
	}
	// Active expiry removes keys nobody reads.
	for i := 0; i < 100; i++ {
		rdb.Set(ctx, fmt.Sprintf("tmp:%d", i), "v", 50*time.Millisecond)
	}
	// Nobody reads them again: only the active cycle can remove them.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		info, _ := rdb.Info(ctx, "stats").Result()
		if containsExpired(info, 101) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("active expiry did not remove the keys")
}

// containsExpired reports whether INFO stats shows at least n expired keys.
func containsExpired(info string, n int) bool {
	var v int
	for _, line := range splitLines(info) {
		if _, err := fmt.Sscanf(line, "expired_keys:%d", &v); err == nil {
			return v >= n
		}
	}
	return false
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			line := s[start:i]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			out = append(out, line)
			start = i + 1
		}
	}
	return append(out, s[start:])
}
