package rdb_test

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/rdb"
)

// BenchmarkSnapshot serialises 100k mixed keys (as bench-persistence).
func BenchmarkSnapshot(b *testing.B) {
	en := fillMixed(100_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rdb.WriteSnapshot(io.Discard, source(en)); err != nil {
			b.Fatal(err)
		}
	}
}

// fillMixed holds n keys as make bench-persistence writes them: 60%
// strings of 100 bytes, 10% each of lists, hashes, sets and sorted sets of
// 10 elements.
func fillMixed(n int) *env {
	en := newEnv(&testing.T{})
	val := strings.Repeat("v", 100)
	for i := 0; i < n; i++ {
		k := "key:" + strconv.Itoa(i)
		switch i % 10 {
		case 0:
			en.do("rpush", k, "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10")
		case 1:
			en.do("hset", k, "f1", "v1", "f2", "v2", "f3", "v3", "f4", "v4", "f5", "v5", "f6", "v6", "f7", "v7", "f8", "v8", "f9", "v9", "f10", "v10")
		case 2:
			en.do("sadd", k, "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10")
		case 3:
			en.do("zadd", k, "0", "m0", "1.5", "m1", "3", "m2", "4.5", "m3", "6", "m4", "7.5", "m5", "9", "m6", "10.5", "m7", "12", "m8", "13.5", "m9")
		default:
			en.do("set", k, val)
		}
	}
	return en
}

// defaultLimits are redis.conf's default encoding thresholds.
var defaultLimits = rdb.Limits{HashMaxListpackEntries: 128, HashMaxListpackValue: 64, SetMaxIntsetEntries: 512, ZSetMaxListpackEntries: 128, ZSetMaxListpackValue: 64}

// BenchmarkLoad loads the RDB of the same 100k mixed keys.
func BenchmarkLoad(b *testing.B) {
	en := fillMixed(100_000)
	var buf bytes.Buffer
	if _, err := rdb.WriteSnapshot(&buf, source(en)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ks := keyspace.New(16, func() int64 { return 1_700_000_000_000 })
		if _, err := rdb.Load(bufio.NewReader(bytes.NewReader(buf.Bytes())), ks, rdb.LoadOptions{Limits: defaultLimits}); err != nil {
			b.Fatal(err)
		}
	}
}
