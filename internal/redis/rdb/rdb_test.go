package rdb_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/rdb"
	"github.com/replikube/replikube/internal/redis/resp"
)

// env is an engine with a fixed clock for driving commands.
type env struct {
	t   *testing.T
	e   *command.Engine
	c   *command.Client
	now int64
}

func newEnv(t *testing.T) *env {
	en := &env{t: t, now: 1_700_000_000_000}
	ks := keyspace.New(16, func() int64 { return en.now })
	en.e = command.NewEngine(ks, command.DefaultConfig())
	en.c = en.e.NewClient()
	en.e.AddClient(en.c)
	return en
}

// do runs a command; the caller does not hold the lock.
func (en *env) do(args ...string) {
	en.e.Mu.Lock()
	defer en.e.Mu.Unlock()
	en.doLocked(args...)
}

func (en *env) doLocked(args ...string) {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	en.e.Dispatch(en.c, argv)
	if bytes.HasPrefix(en.c.W.Buf, []byte("-")) {
		en.t.Fatalf("%v: %s", args, en.c.W.Buf)
	}
	en.c.W.Buf = en.c.W.Buf[:0]
}

// canon renders a keyspace's content independently of encodings.
func canon(ks *keyspace.Keyspace) map[string]string {
	out := map[string]string{}
	for i, db := range ks.DBs {
		db.Dict().Each(func(e *keyspace.KeyEntry) bool {
			out[fmt.Sprintf("%d/%s", i, e.Key)] = render(e)
			return true
		})
	}
	return out
}

func render(e *keyspace.KeyEntry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s exp=%d ", e.Val.Val.Kind(), e.Val.Expire)
	switch v := e.Val.Val.(type) {
	case *keyspace.String:
		fmt.Fprintf(&b, "%q", v.B)
	case *keyspace.List:
		fmt.Fprintf(&b, "%q", v.Elements())
	case *keyspace.Set:
		m := v.Elements()
		slices.SortFunc(m, bytes.Compare)
		fmt.Fprintf(&b, "%q", m)
	case *keyspace.Hash:
		var pairs []string
		v.Each(func(f, val []byte) bool { pairs = append(pairs, string(f)+"="+string(val)); return true })
		slices.Sort(pairs)
		fmt.Fprintf(&b, "%q", pairs)
	case *keyspace.ZSet:
		for z := v.First(); z != nil; z = z.Val.Next() {
			fmt.Fprintf(&b, "%q:%v ", z.Key, z.Val.Score)
		}
	}
	return b.String()
}

func encodings(ks *keyspace.Keyspace) map[string]string {
	out := map[string]string{}
	for i, db := range ks.DBs {
		db.Dict().Each(func(e *keyspace.KeyEntry) bool {
			out[fmt.Sprintf("%d/%s", i, e.Key)] = e.Val.Val.Encoding()
			return true
		})
	}
	return out
}

// fill creates every type in both encodings, expiries, several databases.
func fill(en *env) {
	en.do("set", "int", "12345")
	en.do("set", "neg", "-9000000000")
	en.do("set", "emb", "hello")
	en.do("set", "raw", strings.Repeat("abc", 100))
	en.do("set", "bin", "\x00\x01\xff\r\n")
	en.do("set", "exp", "v", "px", "100000")
	en.do("rpush", "list", "a", "1", "-5", strings.Repeat("x", 5000), "b")
	for i := 0; i < 3000; i++ {
		en.do("rpush", "biglist", "element-"+strconv.Itoa(i))
	}
	en.do("hset", "hsmall", "f1", "v1", "f2", "2")
	for i := 0; i < 600; i++ {
		en.do("hset", "hbig", "f"+strconv.Itoa(i), strconv.Itoa(i*7))
	}
	en.do("sadd", "sint", "1", "-3", "70000", "5000000000")
	en.do("sadd", "sstr", "a", "b", "c")
	en.do("zadd", "zsmall", "1", "a", "2.5", "b", "-inf", "c", "1e100", "d")
	for i := 0; i < 200; i++ {
		en.do("zadd", "zbig", strconv.Itoa(i)+".25", "m"+strconv.Itoa(i))
	}
	en.do("select", "3")
	en.do("set", "db3key", "x")
	en.do("hset", "db3hash", "a", strings.Repeat("long", 30))
	en.do("select", "0")
}

func snapshot(t *testing.T, en *env, src *rdb.Source, w *bytes.Buffer) {
	t.Helper()
	if _, err := rdb.WriteSnapshot(w, src); err != nil {
		t.Fatal(err)
	}
}

func source(en *env) *rdb.Source {
	return &rdb.Source{Lock: &en.e.Mu, KS: en.e.KS, Compress: true, ListMaxListpackSize: -2, Checksum: true,
		Aux: func() []rdb.AuxField { return rdb.StandardAux("7.0.15", 1, 2, -1, "", 0, false) }}
}

func loadInto(t *testing.T, data []byte, now int64) *keyspace.Keyspace {
	t.Helper()
	ks := keyspace.New(16, func() int64 { return now })
	lim := rdb.Limits{HashMaxListpackEntries: 512, HashMaxListpackValue: 64, SetMaxIntsetEntries: 512, ZSetMaxListpackEntries: 128, ZSetMaxListpackValue: 64}
	if _, err := rdb.Load(rdb.NewReader(bytes.NewReader(data)), ks, rdb.LoadOptions{Name: "test", Limits: lim}); err != nil {
		t.Fatal(err)
	}
	ks.Account()
	return ks
}

func TestRoundTrip(t *testing.T) {
	for _, compress := range []bool{true, false} {
		en := newEnv(t)
		fill(en)
		var buf bytes.Buffer
		src := source(en)
		src.Compress = compress
		snapshot(t, en, src, &buf)
		got := loadInto(t, buf.Bytes(), en.now)
		if want, have := canon(en.e.KS), canon(got); !mapsEqual(want, have) {
			t.Fatalf("compress=%v: content differs:\n%s", compress, diff(want, have))
		}
		if want, have := encodings(en.e.KS), encodings(got); !mapsEqual(want, have) {
			t.Fatalf("compress=%v: encodings differ:\n%s", compress, diff(want, have))
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func diff(want, have map[string]string) string {
	var b strings.Builder
	for k, v := range want {
		if have[k] != v {
			fmt.Fprintf(&b, "%s: want %.200s\n   have %.200s\n", k, v, have[k])
		}
	}
	for k, v := range have {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "%s: unexpected %.200s\n", k, v)
		}
	}
	return b.String()
}

// mutatingWriter runs random writes between the snapshot's steps, while
// the snapshot does not hold the lock.
type mutatingWriter struct {
	bytes.Buffer
	en  *env
	rng *rand.Rand
}

func (w *mutatingWriter) Write(p []byte) (int, error) {
	for i := 0; i < 20; i++ {
		w.mutate()
	}
	return w.Buffer.Write(p)
}

func (w *mutatingWriter) mutate() {
	r := w.rng
	k := strconv.Itoa(r.IntN(400))
	db := strconv.Itoa(r.IntN(3))
	cmds := [][]string{
		{"set", "k" + k, "new" + k},
		{"del", "k" + k},
		{"append", "k" + k, "++"},
		{"rpush", "l" + k, "x", "y"},
		{"lpop", "l" + k},
		{"hset", "h" + k, "f" + k, "v"},
		{"hdel", "h" + k, "f1"},
		{"sadd", "s" + k, "m" + k},
		{"srem", "s" + k, "m1"},
		{"zadd", "z" + k, "7", "m" + k},
		{"zrem", "z" + k, "m1"},
		{"expire", "k" + k, "1000"},
		{"persist", "k" + k},
		{"rename", "k" + k, "k" + strconv.Itoa(r.IntN(400))},
		{"move", "k" + k, db},
		{"copy", "h" + k, "h" + strconv.Itoa(r.IntN(400)), "replace"},
		{"getex", "k" + k, "ex", "500"},
		{"swapdb", "0", db},
		{"flushdb"},
	}
	c := cmds[r.IntN(len(cmds))]
	if c[0] == "flushdb" && r.IntN(20) != 0 {
		return
	}
	w.en.e.Mu.Lock()
	defer w.en.e.Mu.Unlock()
	argv := make([][]byte, len(c))
	for i, a := range c {
		argv[i] = []byte(a)
	}
	w.en.e.Dispatch(w.en.c, argv)
	w.en.c.W.Buf = w.en.c.W.Buf[:0]
	if r.IntN(3) == 0 {
		w.en.doLocked("select", db)
	}
}

// fillSmall creates 400 small keys of every type in databases 0 to 2, the
// keys mutate picks from.
func fillSmall(en *env) {
	for db := 0; db < 3; db++ {
		en.do("select", strconv.Itoa(db))
		for i := 0; i < 400; i++ {
			k := strconv.Itoa(i)
			switch i % 5 {
			case 0:
				en.do("set", "k"+k, "v"+k)
			case 1:
				en.do("rpush", "l"+k, "a", "b", "c")
			case 2:
				en.do("hset", "h"+k, "f1", "v", "f2", "w")
			case 3:
				en.do("sadd", "s"+k, "m1", "m2")
			case 4:
				en.do("zadd", "z"+k, "1", "m1", "2", "m2")
			}
		}
	}
	en.do("select", "0")
}

// TestSnapshotOffLock serialises claimed batches without the lock, as a
// background snapshot does, while another goroutine runs writes and reads
// on the same keys: the file must hold the data of the moment the
// snapshot began, commands changing a key being serialised must wait for
// it (run with -race, the test also checks that nothing else touches a
// lent entry: reads of strings go on beside the serialiser, and must not
// update access data it saves, as under an LRU policy in every other
// seed), and none may wait once the snapshot is over.
func TestSnapshotOffLock(t *testing.T) {
	var waits int64
	for seed := uint64(1); seed <= 8; seed++ {
		en := newEnv(t)
		fillSmall(en)
		want := canon(en.e.KS)
		src := source(en)
		lru := seed%2 == 0
		src.Access = func() (bool, bool) { return lru, false }
		en.e.Mu.Lock()
		snap := rdb.Begin(src, false)
		en.e.Mu.Unlock()

		m := &mutatingWriter{en: en, rng: rand.New(rand.NewPCG(seed, 11))}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			reads := [][]string{{"get", "k"}, {"hget", "h", "f1"}, {"lrange", "l", "0", "-1"}, {"smembers", "s"}, {"zrange", "z", "0", "-1"}, {"exists", "k"}, {"type", "h"}}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if i%2 == 0 {
					m.mutate()
					continue
				}
				r := reads[m.rng.IntN(len(reads))]
				args := append([]string{r[0], r[1] + strconv.Itoa(m.rng.IntN(400))}, r[2:]...)
				en.do(args...)
			}
		}()
		var (
			out   []byte
			batch rdb.Batch
			loan  keyspace.Loan
			err   error
		)
		for batches := 0; ; batches++ {
			if batches > 100_000 {
				t.Fatal("the snapshot does not end")
			}
			en.e.Mu.Lock()
			snap.Claim(&batch, 16, &loan)
			en.e.Mu.Unlock()
			// Leave the other goroutine time to run into the loan.
			time.Sleep(20 * time.Microsecond)
			if out, err = snap.Encode(out, &batch, &loan); err != nil {
				t.Fatal(err)
			}
			if batch.Last {
				break
			}
		}
		close(stop)
		wg.Wait()
		en.e.Mu.Lock()
		snap.Abort()
		waits += en.e.KS.Stats.LoanWaits
		en.e.Mu.Unlock()
		if got := canon(loadInto(t, out, en.now)); !mapsEqual(want, got) {
			t.Fatalf("seed %d: snapshot is not the data at its start:\n%s", seed, diff(want, got))
		}
		before := en.e.KS.Stats.LoanWaits
		for i := 0; i < 200; i++ {
			m.mutate()
		}
		if en.e.KS.Stats.LoanWaits != before {
			t.Fatalf("seed %d: commands waited for a loan after the snapshot ended", seed)
		}
	}
	if waits == 0 {
		t.Fatal("no command ever met a lent key: the test does not exercise the loan")
	}
	t.Logf("%d waits for a lent key", waits)
}

// TestSnapshotIsPointInTime writes while a snapshot runs in small steps:
// the file must hold exactly the data of the moment the snapshot began.
func TestSnapshotIsPointInTime(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		en := newEnv(t)
		fillSmall(en)
		want := canon(en.e.KS)
		w := &mutatingWriter{en: en, rng: rand.New(rand.NewPCG(seed, 7))}
		src := source(en)
		src.ChunkBytes = 256
		if _, err := rdb.WriteSnapshot(w, src); err != nil {
			t.Fatal(err)
		}
		if en.e.KS.SnapshotRunning() {
			t.Fatal("snapshot still registered")
		}
		got := canon(loadInto(t, w.Bytes(), en.now))
		if !mapsEqual(want, got) {
			t.Fatalf("seed %d: snapshot is not the data at its start:\n%s", seed, diff(want, got))
		}
		if mapsEqual(want, canon(en.e.KS)) {
			t.Fatalf("seed %d: the writer changed nothing; the test tests nothing", seed)
		}
	}
}

// replay runs an AOF base of commands on a fresh engine.
func replay(t *testing.T, data []byte, now int64) *keyspace.Keyspace {
	t.Helper()
	en := newEnv(t)
	en.now = now
	r := resp.NewReader(bytes.NewReader(nil), resp.Limits{MaxBulkLen: 1 << 30, MaxQueryBuffer: 1 << 40})
	r.Feed(data)
	for {
		args, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		strs := make([]string, len(args))
		for i, a := range args {
			strs[i] = string(a)
		}
		en.do(strs...)
	}
	return en.e.KS
}

// TestCommandsBase: the AOF base without preamble recreates the dataset,
// point in time like the RDB.
func TestCommandsBase(t *testing.T) {
	en := newEnv(t)
	fill(en)
	want := canon(en.e.KS)
	w := &mutatingWriter{en: en, rng: rand.New(rand.NewPCG(3, 4))}
	src := source(en)
	src.ChunkBytes = 512
	en.e.Mu.Lock()
	s := rdb.Begin(src, true)
	en.e.Mu.Unlock()
	if _, err := s.WriteTo(w); err != nil {
		t.Fatal(err)
	}
	if got := canon(replay(t, w.Bytes(), en.now)); !mapsEqual(want, got) {
		t.Fatalf("commands base differs:\n%s", diff(want, got))
	}
}

// handRDB is an RDB of string keys written by hand: a header, SELECTDB 0,
// keys (each "k" + its name, value "v"), EOF and a zero checksum (not
// checked), then trailing bytes that belong to whatever follows.
func handRDB(keys []string, trailing string) []byte {
	b := []byte("REDIS0010")
	b = append(b, rdb.OpSelectDB, 0)
	for _, k := range keys {
		b = append(b, rdb.TypeString, byte(len(k)))
		b = append(b, k...)
		b = append(b, 1, 'v')
	}
	b = append(b, rdb.OpEOF, 0, 0, 0, 0, 0, 0, 0, 0)
	return append(b, trailing...)
}

// Load decodes and inserts in two goroutines: many batches arrive whole and
// in order, a duplicate key far into the file is reported at its offset,
// and the reader is left exactly after the RDB either way.
func TestLoadPipeline(t *testing.T) {
	var keys []string
	for i := range 5000 {
		keys = append(keys, fmt.Sprintf("key%05d", i))
	}
	data := handRDB(keys, "*1\r\n$4\r\nPING\r\n")
	r := bufio.NewReader(bytes.NewReader(data))
	ks := keyspace.New(16, func() int64 { return 1 })
	meta, err := rdb.Load(r, ks, rdb.LoadOptions{Name: "hand"})
	if err != nil {
		t.Fatal(err)
	}
	if meta.Keys != 5000 || ks.DBs[0].Len() != 5000 {
		t.Fatalf("loaded %d keys, db holds %d", meta.Keys, ks.DBs[0].Len())
	}
	if rest, _ := io.ReadAll(r); string(rest) != "*1\r\n$4\r\nPING\r\n" {
		t.Fatalf("left after the RDB: %q", rest)
	}

	dup := append(append([]string(nil), keys[:3000]...), "key00042")
	dup = append(dup, keys[3000:]...)
	data = handRDB(dup, "")
	at := int64(9+2) + 3000*int64(2+8+2)
	_, err = rdb.Load(bufio.NewReader(bytes.NewReader(data)), keyspace.New(16, func() int64 { return 1 }), rdb.LoadOptions{Name: "hand"})
	var re *rdb.Error
	if !errors.As(err, &re) || re.Offset != at || !strings.Contains(re.Msg, "duplicate key 'key00042'") {
		t.Fatalf("duplicate key: %v, want offset %d", err, at)
	}

	// A small hash is built by the second stage: its bad blob, followed
	// by a truncated file the first stage fails on later, is the error.
	data = handRDB(keys[:10], "")
	data = data[:len(data)-9] // no EOF and checksum: the file is cut
	data = append(data, rdb.TypeHashListpack, 3, 'b', 'a', 'd')
	at = int64(len(data))
	data = append(data, 7, 'g', 'a', 'r', 'b', 'a', 'g', 'e', rdb.TypeString, 1)
	_, err = rdb.Load(bufio.NewReader(bytes.NewReader(data)), keyspace.New(16, func() int64 { return 1 }), rdb.LoadOptions{Name: "hand"})
	if !errors.As(err, &re) || re.Offset != at || !strings.Contains(re.Msg, "invalid hash encoding") {
		t.Fatalf("bad hash then truncation: %v, want the hash's error at offset %d", err, at)
	}
}

// failingWriter accepts limit bytes, then fails every write.
type failingWriter struct{ limit, got int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.got+len(p) > w.limit {
		return 0, errors.New("no space left on device")
	}
	w.got += len(p)
	return len(p), nil
}

// A write error while the walk goes on stops the snapshot with that
// error, wherever it happens, and ends it (a new one can begin).
func TestSnapshotWriteError(t *testing.T) {
	en := fillMixed(20_000)
	for _, limit := range []int{0, 1 << 10, 200 << 10, 600 << 10} {
		w := &failingWriter{limit: limit}
		n, err := rdb.WriteSnapshot(w, source(en))
		if err == nil || !strings.Contains(err.Error(), "no space left") {
			t.Fatalf("limit %d: err %v", limit, err)
		}
		if n != int64(w.got) {
			t.Fatalf("limit %d: reported %d bytes, wrote %d", limit, n, w.got)
		}
	}
	var buf bytes.Buffer
	if _, err := rdb.WriteSnapshot(&buf, source(en)); err != nil {
		t.Fatal(err)
	}
	if ks := loadInto(t, buf.Bytes(), 1); ks.DBs[0].Len() != 20_000 {
		t.Fatalf("after the failures a snapshot holds %d keys", ks.DBs[0].Len())
	}
}

// A load raises the GC target while it runs and puts back the one the
// process had, also when loads overlap; a higher target is left alone.
func TestLoadGCTarget(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	data := handRDB([]string{"a", "b"}, "")
	load := func() {
		if _, err := rdb.Load(bufio.NewReader(bytes.NewReader(data)), keyspace.New(16, func() int64 { return 1 }), rdb.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, before := range []int{100, 50, 1000, -1} {
		debug.SetGCPercent(before)
		load()
		if got := debug.SetGCPercent(before); got != before {
			t.Fatalf("GOGC %d before a load, %d after", before, got)
		}
	}
	debug.SetGCPercent(100)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); load() }()
	}
	wg.Wait()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("after overlapping loads GOGC is %d", got)
	}
}
