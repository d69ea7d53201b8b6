package rdb_test

import (
	"bytes"
	"testing"

	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/rdb"
)

var fuzzLimits = rdb.Limits{HashMaxListpackEntries: 8, HashMaxListpackValue: 16, SetMaxIntsetEntries: 8, ZSetMaxListpackEntries: 8, ZSetMaxListpackValue: 16}

// seedFile is a small RDB holding every type, for the fuzzers' corpus.
func seedFile(t testing.TB) []byte {
	en := newEnv(t.(*testing.T))
	fill(en)
	var buf bytes.Buffer
	if _, err := rdb.WriteSnapshot(&buf, source(en)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzLoad feeds arbitrary bytes to the RDB loader: it must return an
// error or a dataset, never panic or allocate what the input lacks.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("REDIS0010\xff\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("REDIS0009\xfe\x00\x00\x01k\x01v\xff"))
	f.Add([]byte("REDIS0006\x0a\x01k\x0d\x0b\x00\x00\x00\x0a\x00\x00\x00\x00\x00\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ks := keyspace.New(16, func() int64 { return 1_700_000_000_000 })
		_, _ = rdb.Load(rdb.NewReader(bytes.NewReader(data)), ks, rdb.LoadOptions{Name: "fuzz", Limits: fuzzLimits, MaxBulk: 1 << 20})
	})
}

// FuzzRestore feeds arbitrary DUMP payloads (with a valid footer, so the
// decoder is reached) to Undump.
func FuzzRestore(f *testing.F) {
	f.Add([]byte("\x00\x05hello"))
	f.Add([]byte("\x10\x0c\x0c\x00\x00\x00\x02\x00\x81a\x02\x81b\x02\xff"))
	f.Add([]byte("\x0b\x0c\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x02\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		p := rdb.AppendFooter(append([]byte(nil), body...))
		if !rdb.VerifyDump(p) {
			t.Fatal("footer not accepted")
		}
		v, err := rdb.Undump(p, fuzzLimits, 1<<20)
		if err == nil && v == nil {
			t.Fatal("nil value without error")
		}
	})
}

func TestLoadRejectsCorruptFiles(t *testing.T) {
	good := seedFile(t)
	cases := map[string][]byte{
		"truncated":     good[:len(good)/2],
		"no checksum":   good[:len(good)-8],
		"bad checksum":  append(append([]byte(nil), good[:len(good)-1]...), good[len(good)-1]^1),
		"bad signature": append([]byte("RADIS"), good[5:]...),
		"version 11":    append([]byte("REDIS0011"), good[9:]...),
		"empty":         nil,
	}
	for name, data := range cases {
		ks := keyspace.New(16, func() int64 { return 0 })
		_, err := rdb.Load(rdb.NewReader(bytes.NewReader(data)), ks, rdb.LoadOptions{Name: "dump.rdb", Limits: fuzzLimits})
		if err == nil {
			t.Errorf("%s: loaded without error", name)
			continue
		}
		if !bytes.Contains([]byte(err.Error()), []byte("dump.rdb")) || !bytes.Contains([]byte(err.Error()), []byte("offset")) {
			t.Errorf("%s: error %q does not name the file and offset", name, err)
		}
	}
}
