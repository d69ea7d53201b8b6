package interop

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func infoField(t *testing.T, ctx context.Context, rdb *redis.Client, section, field string) int64 {
	t.Helper()
	info, err := rdb.Info(ctx, section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range splitLines(info) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", field, err)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return 0
}

// TestMaxmemory checks noeviction's OOM error and that every eviction
// policy keeps used_memory (the accounting maxmemory compares with) under
// the limit, evicting what the policy allows.
func TestMaxmemory(t *testing.T) {
	addr, _ := startOurs(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	value := strings.Repeat("v", 1000)

	rdb.ConfigSet(ctx, "maxmemory", "1mb")
	rdb.ConfigSet(ctx, "maxmemory-policy", "noeviction")
	var oom error
	for i := 0; i < 5000 && oom == nil; i++ {
		oom = rdb.Set(ctx, fmt.Sprint("k", i), value, 0).Err()
	}
	if oom == nil || oom.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
		t.Fatalf("noeviction: %v", oom)
	}
	// Reads and deletes still work when out of memory.
	if err := rdb.Get(ctx, "k0").Err(); err != nil {
		t.Fatalf("get when OOM: %v", err)
	}
	if err := rdb.Del(ctx, "k0").Err(); err != nil {
		t.Fatalf("del when OOM: %v", err)
	}

	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		rdb.FlushAll(ctx)
		rdb.ConfigSet(ctx, "maxmemory", "0")
		rdb.ConfigResetStat(ctx)
		rdb.ConfigSet(ctx, "maxmemory-policy", policy)
		rdb.ConfigSet(ctx, "maxmemory", "1mb")
		volatile := strings.HasPrefix(policy, "volatile")
		for i := 0; i < 3000; i++ {
			ttl := time.Duration(0)
			if volatile {
				ttl = time.Hour + time.Duration(i)*time.Second
			}
			if err := rdb.Set(ctx, fmt.Sprint("k", i), value, ttl).Err(); err != nil {
				t.Fatalf("%s: set %d: %v", policy, i, err)
			}
		}
		used := infoField(t, ctx, rdb, "memory", "used_memory")
		evicted := infoField(t, ctx, rdb, "stats", "evicted_keys")
		if used > 1<<20 || evicted == 0 {
			t.Fatalf("%s: used_memory %d, evicted %d", policy, used, evicted)
		}
		if policy == "volatile-ttl" {
			// The keys with the shortest TTL go first.
			if n, _ := rdb.Exists(ctx, "k0").Result(); n != 0 {
				t.Errorf("volatile-ttl kept the key with the shortest TTL")
			}
		}
		if policy == "allkeys-lru" || policy == "volatile-lru" {
			// The most recently written keys survive.
			if n, _ := rdb.Exists(ctx, "k2999").Result(); n != 1 {
				t.Errorf("%s evicted the newest key", policy)
			}
		}
	}
	// volatile-* with no volatile keys cannot free anything: OOM.
	rdb.FlushAll(ctx)
	rdb.ConfigSet(ctx, "maxmemory", "0")
	rdb.ConfigSet(ctx, "maxmemory-policy", "volatile-lru")
	rdb.ConfigSet(ctx, "maxmemory", "1mb")
	oom = nil
	for i := 0; i < 5000 && oom == nil; i++ {
		oom = rdb.Set(ctx, fmt.Sprint("p", i), value, 0).Err()
	}
	if oom == nil || !strings.HasPrefix(oom.Error(), "OOM ") {
		t.Fatalf("volatile-lru without volatile keys: %v", oom)
	}
}
