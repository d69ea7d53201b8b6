package interop

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/replikube/replikube/internal/redis/server"
)

// Persistence interop: files and DUMP payloads written by redis-server 7.0
// load into replikube and the reverse, compared with DEBUG DIGEST, which
// both compute with Redis's algorithm.

func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, ReadTimeout: time.Minute, WriteTimeout: time.Minute})
	t.Cleanup(func() { c.Close() })
	return c
}

func must(t *testing.T, c *redis.Client, args ...any) any {
	t.Helper()
	v, err := c.Do(context.Background(), args...).Result()
	if err != nil && err != redis.Nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

// fillEveryType writes every type in both of its encodings, expiries and
// several databases.
func fillEveryType(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	p := c.Pipeline()
	p.Set(ctx, "int", "12345", 0)
	p.Set(ctx, "bigint", "-9223372036854775808", 0)
	p.Set(ctx, "embstr", "hello", 0)
	p.Set(ctx, "raw", strings.Repeat("compressible ", 100), 0)
	p.Set(ctx, "binary", "\x00\xff\r\n\x01", 0)
	p.Set(ctx, "volatile", "v", time.Hour)
	p.Do(ctx, "pexpireat", "int", time.Now().Add(2*time.Hour).UnixMilli())
	p.RPush(ctx, "list", "a", "1", "-5", "9223372036854775807", strings.Repeat("x", 9000), "b")
	for i := 0; i < 5000; i++ {
		p.RPush(ctx, "biglist", "element-"+strconv.Itoa(i), i)
	}
	p.HSet(ctx, "hsmall", "f1", "v1", "f2", "2", "f3", "")
	for i := 0; i < 700; i++ {
		p.HSet(ctx, "hbig", "field"+strconv.Itoa(i), strconv.Itoa(i*7))
	}
	p.HSet(ctx, "hlongvalue", "f", strings.Repeat("v", 100))
	p.SAdd(ctx, "intset", 1, -3, 70000, 5000000000, -9223372036854775808)
	for i := 0; i < 600; i++ {
		p.SAdd(ctx, "bigintset", i*3)
	}
	p.SAdd(ctx, "strset", "a", "b", "c")
	p.ZAdd(ctx, "zsmall", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 0.1, Member: "b"},
		redis.Z{Score: -1e300, Member: "c"}, redis.Z{Score: 3, Member: "d"})
	p.Do(ctx, "zadd", "zinf", "-inf", "lo", "+inf", "hi", "0", "zero")
	for i := 0; i < 300; i++ {
		p.ZAdd(ctx, "zbig", redis.Z{Score: float64(i) / 3, Member: "member" + strconv.Itoa(i)})
	}
	p.ZAdd(ctx, "zlongmember", redis.Z{Score: 1, Member: strings.Repeat("m", 100)})
	p.Do(ctx, "select", "3")
	p.Set(ctx, "db3", "x", 0)
	p.HSet(ctx, "db3hash", "a", "b")
	p.Do(ctx, "select", "15")
	p.LPush(ctx, "db15list", "z")
	p.Do(ctx, "select", "0")
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func dirOf(t *testing.T, c *redis.Client) string {
	t.Helper()
	v, err := c.ConfigGet(context.Background(), "dir").Result()
	if err != nil {
		t.Fatal(err)
	}
	return v["dir"]
}

// digestDiff names the keys of db 0 whose value digests differ.
func digestDiff(t *testing.T, a, b *redis.Client) string {
	t.Helper()
	keys, _ := a.Keys(context.Background(), "*").Result()
	var out []string
	for _, k := range keys {
		x := fmt.Sprint(must(t, a, "debug", "digest-value", k))
		y := fmt.Sprint(must(t, b, "debug", "digest-value", k))
		if x != y {
			out = append(out, k)
		}
	}
	return "differing keys in db 0: " + strings.Join(out, " ")
}

func digest(t *testing.T, c *redis.Client) string {
	t.Helper()
	return must(t, c, "debug", "digest").(string)
}

// keyEncodings lists OBJECT ENCODING of every key of db 0.
func keyEncodings(t *testing.T, c *redis.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		out[k] = c.ObjectEncoding(ctx, k).Val()
	}
	return out
}

func TestRDBInterop(t *testing.T) {
	// redis-server writes, we load.
	theirsAddr := startRedis(t)
	theirs := client(t, theirsAddr)
	fillEveryType(t, theirs)
	must(t, theirs, "save")
	want := digest(t, theirs)
	theirDir := dirOf(t, theirs)

	oursAddr, _ := startOurs(t, func(c *server.Config) { c.Dir = theirDir })
	ours := client(t, oursAddr)
	if got := digest(t, ours); got != want {
		t.Fatalf("dataset loaded from redis-server's RDB differs: digest %s, want %s\n%s", got, want, digestDiff(t, theirs, ours))
	}
	// After a reload in redis-server too, encodings must match.
	must(t, theirs, "debug", "reload")
	wantEnc, gotEnc := keyEncodings(t, theirs), keyEncodings(t, ours)
	for k, v := range wantEnc {
		if gotEnc[k] != v {
			t.Errorf("OBJECT ENCODING %s: ours %q, redis-server %q", k, gotEnc[k], v)
		}
	}

	// We write, redis-check-rdb accepts, redis-server loads.
	must(t, ours, "set", "written-by", "replikube")
	must(t, ours, "save")
	want = digest(t, ours)
	ourDir := dirOf(t, ours)
	out, err := exec.Command("redis-check-rdb", filepath.Join(ourDir, "dump.rdb")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RDB looks OK") {
		t.Fatalf("redis-check-rdb refused our file: %v\n%s", err, out)
	}
	again := client(t, startRedis(t, "--dir", ourDir))
	if got := digest(t, again); got != want {
		t.Fatalf("redis-server loaded our RDB as digest %s, want %s", got, want)
	}
}

func TestDumpRestoreInterop(t *testing.T) {
	theirs := client(t, startRedis(t))
	oursAddr, _ := startOurs(t, nil)
	ours := client(t, oursAddr)
	fillEveryType(t, theirs)
	fillEveryType(t, ours)
	keys, err := theirs.Keys(context.Background(), "*").Result()
	if err != nil || len(keys) < 10 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	for _, k := range keys {
		for _, dir := range []struct {
			name     string
			from, to *redis.Client
		}{{"redis-server to replikube", theirs, ours}, {"replikube to redis-server", ours, theirs}} {
			payload := must(t, dir.from, "dump", k).(string)
			must(t, dir.to, "restore", "restored:"+k, 0, payload, "replace")
			want := fmt.Sprint(must(t, dir.from, "debug", "digest-value", k))
			got := fmt.Sprint(must(t, dir.to, "debug", "digest-value", "restored:"+k))
			// The source key may have an expiry, the restored one has none.
			if ttl, _ := must(t, dir.from, "pttl", k).(int64); ttl > 0 {
				continue
			}
			if got != want {
				t.Errorf("%s: %s restored with digest %v, want %v", dir.name, k, got, want)
			}
			encFrom := dir.from.ObjectEncoding(context.Background(), k).Val()
			encTo := dir.to.ObjectEncoding(context.Background(), "restored:"+k).Val()
			if encFrom != encTo && !(encFrom == "raw" && encTo == "embstr") {
				t.Errorf("%s: %s encoding %s became %s", dir.name, k, encFrom, encTo)
			}
		}
	}
}

// TestRDBInteropLarge moves a 100 MB string and a list of a million
// elements through RDB files both ways.
func TestRDBInteropLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large values: skipped in -short mode")
	}
	theirs := client(t, startRedis(t, "--proto-max-bulk-len", "1gb"))
	ctx := context.Background()
	chunk := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz", 1<<15) // ~1.1 MB
	for n := int64(0); n < 100<<20; {
		n = must(t, theirs, "append", "huge", chunk).(int64)
	}
	p := theirs.Pipeline()
	batch := make([]any, 0, 1000)
	for i := 0; i < 1_000_000; i++ {
		batch = append(batch, i)
		if len(batch) == cap(batch) {
			p.RPush(ctx, "millionlist", batch...)
			batch = batch[:0]
		}
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if n := theirs.LLen(ctx, "millionlist").Val(); n != 1_000_000 {
		t.Fatalf("LLEN %d", n)
	}
	must(t, theirs, "save")
	want := digest(t, theirs)
	dir := dirOf(t, theirs)
	oursAddr, _ := startOurs(t, func(c *server.Config) { c.Dir = dir; c.ProtoMaxBulkLen = 1 << 30 })
	ours := client(t, oursAddr)
	if got := digest(t, ours); got != want {
		t.Fatalf("large dataset from redis-server: digest %s, want %s", got, want)
	}
	if err := os.Remove(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatal(err)
	}
	must(t, ours, "save")
	again := client(t, startRedis(t, "--dir", dir, "--proto-max-bulk-len", "1gb"))
	if got := digest(t, again); got != want {
		t.Fatalf("large dataset from replikube: digest %s, want %s", got, want)
	}
}
