package aof

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/replikube/replikube/internal/redis/resp"
)

// cmd encodes a command the way the AOF stores it.
func cmd(args ...string) []byte {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	return resp.AppendCommand(nil, bs...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// fakeRDB is a stand-in RDB of a known length: "REDIS0011", a length byte,
// that many payload bytes, the EOF opcode and an 8-byte checksum.
func fakeRDB(payload string) []byte {
	b := []byte("REDIS0011")
	b = append(b, byte(len(payload)))
	b = append(b, payload...)
	b = append(b, 0xff)
	return append(b, "checksum"...)
}

// recorder is the Loader's callbacks, writing what they get to a log.
type recorder struct {
	log      []string
	applyErr error
}

func (r *recorder) loadRDB(rd io.Reader, name string) error {
	var hdr [10]byte
	if _, err := io.ReadFull(rd, hdr[:]); err != nil {
		return err
	}
	if string(hdr[:5]) != "REDIS" {
		return errors.New("no magic")
	}
	payload := make([]byte, hdr[9])
	if _, err := io.ReadFull(rd, payload); err != nil {
		return err
	}
	var tail [9]byte
	if _, err := io.ReadFull(rd, tail[:]); err != nil {
		return err
	}
	if tail[0] != 0xff {
		return errors.New("no EOF opcode")
	}
	r.log = append(r.log, "rdb "+name+" "+string(payload))
	return nil
}

func (r *recorder) apply(argv [][]byte) error {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = string(a)
	}
	r.log = append(r.log, strings.Join(parts, " "))
	return r.applyErr
}

func (r *recorder) loader(dir string) *Loader {
	return &Loader{Dir: dir, FileName: "appendonly.aof", LoadRDB: r.loadRDB, Apply: r.apply}
}

func (r *recorder) truncatingLoader(dir string) *Loader {
	l := r.loader(dir)
	l.LoadTruncated = true
	return l
}

// writeAOF lays out an AOF directory: the manifest text and the files.
func writeAOF(t *testing.T, dir, manifest string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if manifest != "" {
		if err := os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

const stdManifest = "file appendonly.aof.1.base.rdb seq 1 type b\n" +
	"file appendonly.aof.1.incr.aof seq 1 type i\n" +
	"file appendonly.aof.2.incr.aof seq 2 type i\n"

func TestLoadBaseRDBAndIncrs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	incr1 := cat(cmd("SELECT", "0"), cmd("SET", "a", "1"), []byte("#TS:1700000000\r\n"), cmd("SET", "b", "2"))
	incr2 := cat(cmd("SELECT", "3"), cmd("MULTI"), cmd("INCR", "c"), cmd("EXEC"))
	writeAOF(t, dir, stdManifest, map[string][]byte{
		"appendonly.aof.1.base.rdb": fakeRDB("dataset"),
		"appendonly.aof.1.incr.aof": incr1,
		"appendonly.aof.2.incr.aof": incr2,
	})
	var r recorder
	st, err := r.loader(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rdb appendonly.aof.1.base.rdb dataset", "SELECT 0", "SET a 1", "SET b 2", "SELECT 3", "MULTI", "INCR c", "EXEC"}
	if !reflect.DeepEqual(r.log, want) {
		t.Fatalf("applied %q, want %q", r.log, want)
	}
	size := int64(len(fakeRDB("dataset")) + len(incr1) + len(incr2))
	if st.Result != Loaded || st.Commands != 7 || st.RDBs != 1 || st.Size != size || st.BaseSize != int64(len(fakeRDB("dataset"))) {
		t.Fatalf("status %+v", st)
	}
	if st.Manifest == nil || st.Manifest.Base.Name != "appendonly.aof.1.base.rdb" || len(st.Manifest.Incrs) != 2 {
		t.Fatalf("manifest %+v", st.Manifest)
	}
}

func TestLoadPreambleBase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	base := cat(fakeRDB("snap"), cmd("SET", "after", "rdb"))
	writeAOF(t, dir, "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
		map[string][]byte{"appendonly.aof.1.base.aof": base, "appendonly.aof.1.incr.aof": cmd("DEL", "x")})
	var r recorder
	st, err := r.loader(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rdb appendonly.aof.1.base.aof snap", "SET after rdb", "DEL x"}
	if !reflect.DeepEqual(r.log, want) || st.Commands != 2 {
		t.Fatalf("applied %q (%+v), want %q", r.log, st, want)
	}

	// Garbage right after the RDB is reported at the RDB's end.
	writeAOF(t, dir, "", map[string][]byte{"appendonly.aof.1.base.aof": cat(fakeRDB("snap"), []byte("junk\r\n"))})
	r = recorder{}
	_, err = r.loader(dir).Load()
	var le *LoadError
	if !errors.As(err, &le) || le.Kind != ErrBadFormat || le.Offset != int64(len(fakeRDB("snap"))) {
		t.Fatalf("err = %v", err)
	}

	// A failing or missing RDB loader stops the load.
	r = recorder{}
	l := r.loader(dir)
	l.LoadRDB = nil
	if _, err := l.Load(); !errors.Is(err, ErrRDB) {
		t.Fatalf("no LoadRDB: err = %v", err)
	}
	l.LoadRDB = func(io.Reader, string) error { return errors.New("corrupt") }
	if _, err := l.Load(); !errors.Is(err, ErrRDB) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("failing LoadRDB: err = %v", err)
	}
}

func TestLoadTruncatedLastFile(t *testing.T) {
	good := cat(cmd("SET", "a", "1"), cmd("SET", "b", "2"))
	for _, tail := range [][]byte{
		[]byte("*"), []byte("*3"), []byte("*3\r"), []byte("*3\r\n"), []byte("*3\r\n$3"),
		[]byte("*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n"), []byte("*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nab"),
		[]byte("*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r"),
		[]byte("*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$999999999999\r\n"),
	} {
		t.Run(string(tail), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "appendonlydir")
			path := filepath.Join(dir, "appendonly.aof.2.incr.aof")
			writeAOF(t, dir, stdManifest, map[string][]byte{
				"appendonly.aof.1.base.rdb": fakeRDB(""),
				"appendonly.aof.1.incr.aof": cmd("SET", "z", "0"),
				"appendonly.aof.2.incr.aof": cat(good, tail),
			})
			var r recorder
			_, err := r.loader(dir).Load()
			var le *LoadError
			if !errors.As(err, &le) || le.Kind != ErrUnexpectedEOF || le.File != "appendonly.aof.2.incr.aof" || le.Offset != int64(len(good)) {
				t.Fatalf("without aof-load-truncated: err = %v", err)
			}
			if fileSize(t, path) != int64(len(good)+len(tail)) {
				t.Fatal("file changed without aof-load-truncated")
			}

			r = recorder{}
			l := r.truncatingLoader(dir)
			st, err := l.Load()
			if err != nil {
				t.Fatal(err)
			}
			if st.Result != Truncated || st.TruncatedFile != "appendonly.aof.2.incr.aof" ||
				st.TruncatedTo != int64(len(good)) || st.TruncatedFrom != int64(len(good)+len(tail)) || st.RevertedMulti {
				t.Fatalf("status %+v", st)
			}
			if fileSize(t, path) != int64(len(good)) {
				t.Fatalf("file not cut to %d", len(good))
			}
			if want := []string{"rdb appendonly.aof.1.base.rdb ", "SET z 0", "SET a 1", "SET b 2"}; !reflect.DeepEqual(r.log, want) {
				t.Fatalf("applied %q", r.log)
			}
			// The cut file loads cleanly.
			r = recorder{}
			if st, err := r.loader(dir).Load(); err != nil || st.Result != Loaded {
				t.Fatalf("reload: %+v %v", st, err)
			}
		})
	}
}

func TestLoadTruncatedNotLast(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	writeAOF(t, dir, stdManifest, map[string][]byte{
		"appendonly.aof.1.base.rdb": fakeRDB(""),
		"appendonly.aof.1.incr.aof": cat(cmd("SET", "a", "1"), []byte("*2\r\n$3\r\nDEL")),
		"appendonly.aof.2.incr.aof": cmd("SET", "b", "2"),
	})
	var r recorder
	l := r.truncatingLoader(dir)
	_, err := l.Load()
	var le *LoadError
	if !errors.As(err, &le) || le.Kind != ErrTruncatedNotLast || le.File != "appendonly.aof.1.incr.aof" {
		t.Fatalf("err = %v", err)
	}
	// An empty last file does not make the truncated one last.
	writeAOF(t, dir, "", map[string][]byte{"appendonly.aof.2.incr.aof": nil})
	if _, err := l.Load(); !errors.Is(err, ErrTruncatedNotLast) {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadUnfinishedMulti(t *testing.T) {
	before := cat(cmd("SET", "a", "1"))
	for name, tail := range map[string][]byte{
		"complete commands":  cat(cmd("MULTI"), cmd("INCR", "x"), cmd("INCR", "y")),
		"truncated inside":   cat(cmd("MULTI"), cmd("INCR", "x"), []byte("*2\r\n$4\r\nIN")),
		"only MULTI":         cmd("multi"),
		"truncated after EX": cat(cmd("MULTI"), cmd("INCR", "x"), []byte("*1\r\n$4\r\nEX")),
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "appendonlydir")
			writeAOF(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n",
				map[string][]byte{"appendonly.aof.1.incr.aof": cat(before, tail)})
			var r recorder
			_, err := r.loader(dir).Load()
			if !errors.Is(err, ErrUnexpectedEOF) {
				t.Fatalf("without aof-load-truncated: err = %v", err)
			}
			if len(r.log) != 1 {
				t.Fatalf("part of the transaction was applied: %q", r.log)
			}
			r = recorder{}
			l := r.truncatingLoader(dir)
			st, err := l.Load()
			if err != nil {
				t.Fatal(err)
			}
			if st.Result != Truncated || !st.RevertedMulti || st.TruncatedTo != int64(len(before)) || st.Commands != 1 {
				t.Fatalf("status %+v", st)
			}
			if !reflect.DeepEqual(r.log, []string{"SET a 1"}) {
				t.Fatalf("applied %q", r.log)
			}
		})
	}
}

func TestLoadGarbage(t *testing.T) {
	good := cmd("SET", "a", "1")
	for name, c := range map[string]struct {
		data []byte
		off  int64
	}{
		"text":               {cat(good, []byte("hello\r\n"), good), int64(len(good))},
		"zero count":         {cat(good, []byte("*0\r\n"), good), int64(len(good))},
		"negative count":     {cat(good, []byte("*-1\r\n"), good), int64(len(good))},
		"count with junk":    {cat(good, []byte("*2x\r\n"), good), int64(len(good))},
		"no CR":              {cat(good, []byte("*1\n$1\r\na\r\n"), good), int64(len(good))},
		"bulk not $":         {cat(good, []byte("*1\r\n:1\r\n"), good), int64(len(good)) + 4},
		"negative bulk":      {cat(good, []byte("*1\r\n$-1\r\n"), good), int64(len(good)) + 4},
		"bad bulk end":       {cat(good, []byte("*1\r\n$1\r\nab\r\n"), good), int64(len(good)) + 9},
		"long line":          {cat(good, []byte("*"+strings.Repeat("1", 70000)+"\r\n")), int64(len(good))},
		"bad partial at EOF": {cat(good, []byte("*x")), int64(len(good))},
		"count overflow":     {cat(good, []byte("*99999999999\r\n"), good), int64(len(good))},
		"empty line":         {cat(good, []byte("\r\n"), good), int64(len(good))},
		"count too big":      {cat(good, []byte("*1\r\n$1\r\na\r\n*2\r\n"), good), int64(len(good)) + 15},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "appendonlydir")
			writeAOF(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n",
				map[string][]byte{"appendonly.aof.1.incr.aof": c.data})
			var r recorder
			l := r.truncatingLoader(dir)
			_, err := l.Load()
			var le *LoadError
			if !errors.As(err, &le) || le.Kind != ErrBadFormat || le.Offset != c.off || le.File != "appendonly.aof.1.incr.aof" {
				t.Fatalf("err = %v, want bad format at %d", err, c.off)
			}
			if !strings.Contains(err.Error(), "Bad file format reading the append only file appendonly.aof.1.incr.aof") {
				t.Fatalf("message %q", err)
			}
		})
	}
}

func TestLoadApplyError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	first := cmd("SET", "a", "1")
	writeAOF(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n",
		map[string][]byte{"appendonly.aof.1.incr.aof": cat(first, cmd("NOSUCH"))})
	r := recorder{}
	l := r.loader(dir)
	l.Apply = func(argv [][]byte) error {
		if string(argv[0]) == "NOSUCH" {
			return errors.New("unknown command")
		}
		return nil
	}
	_, err := l.Load()
	var le *LoadError
	if !errors.As(err, &le) || le.Kind != ErrApply || le.Offset != int64(len(first)) {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadNotExistEmptyMissing(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "appendonlydir")
	var r recorder
	if st, err := r.loader(dir).Load(); err != nil || st.Result != NotExist || st.Manifest == nil {
		t.Fatalf("no dir: %+v %v", st, err)
	}
	writeAOF(t, dir, "", nil)
	if st, err := r.loader(dir).Load(); err != nil || st.Result != NotExist {
		t.Fatalf("no manifest: %+v %v", st, err)
	}
	writeAOF(t, dir, "# only a comment\n", nil)
	if st, err := r.loader(dir).Load(); err != nil || st.Result != NotExist {
		t.Fatalf("manifest naming nothing: %+v %v", st, err)
	}
	writeAOF(t, dir, stdManifest, map[string][]byte{
		"appendonly.aof.1.base.rdb": nil, "appendonly.aof.1.incr.aof": nil, "appendonly.aof.2.incr.aof": nil,
	})
	if st, err := r.loader(dir).Load(); err != nil || st.Result != Empty {
		t.Fatalf("empty files: %+v %v", st, err)
	}
	if err := os.Remove(filepath.Join(dir, "appendonly.aof.1.incr.aof")); err != nil {
		t.Fatal(err)
	}
	_, err := r.loader(dir).Load()
	var le *LoadError
	if !errors.As(err, &le) || le.Kind != ErrMissingFile || le.File != "appendonly.aof.1.incr.aof" {
		t.Fatalf("missing file: %v", err)
	}
	writeAOF(t, dir, "file a seq 1 type b\nfile b seq 1 type b\n", nil)
	if _, err := r.loader(dir).Load(); !errors.Is(err, ErrManifest) {
		t.Fatalf("bad manifest: %v", err)
	}
	if len(r.log) != 0 {
		t.Fatalf("applied %q", r.log)
	}
}

func TestLoadUpgradesOldAOF(t *testing.T) {
	old := cat(cmd("SELECT", "0"), cmd("SET", "k", "v"))
	for name, setup := range map[string]func(t *testing.T, root, dir string){
		"no dir":           func(t *testing.T, root, dir string) {},
		"dir, no manifest": func(t *testing.T, root, dir string) { writeAOF(t, dir, "", nil) },
		"interrupted upgrade": func(t *testing.T, root, dir string) {
			writeAOF(t, dir, "file appendonly.aof seq 1 type b\n", nil)
		},
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "appendonlydir")
			if err := os.WriteFile(filepath.Join(root, "appendonly.aof"), old, 0o644); err != nil {
				t.Fatal(err)
			}
			setup(t, root, dir)
			var r recorder
			st, err := r.loader(dir).Load()
			if err != nil {
				t.Fatal(err)
			}
			if !st.Upgraded || st.Result != Loaded || !reflect.DeepEqual(r.log, []string{"SELECT 0", "SET k v"}) {
				t.Fatalf("status %+v, applied %q", st, r.log)
			}
			if _, err := os.Stat(filepath.Join(root, "appendonly.aof")); !os.IsNotExist(err) {
				t.Fatal("old AOF still in dir")
			}
			data, err := os.ReadFile(filepath.Join(dir, "appendonly.aof.manifest"))
			if err != nil || string(data) != "file appendonly.aof seq 1 type b\n" {
				t.Fatalf("manifest %q %v", data, err)
			}
			// The next start loads the same without upgrading again.
			r = recorder{}
			if st, err := r.loader(dir).Load(); err != nil || st.Upgraded || len(r.log) != 2 {
				t.Fatalf("second load: %+v %v", st, err)
			}
		})
	}

	// A manifest that names other files wins over an old AOF.
	root := t.TempDir()
	dir := filepath.Join(root, "appendonlydir")
	writeAOF(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n", map[string][]byte{"appendonly.aof.1.incr.aof": cmd("PING")})
	if err := os.WriteFile(filepath.Join(root, "appendonly.aof"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	var r recorder
	if st, err := r.loader(dir).Load(); err != nil || st.Upgraded || !reflect.DeepEqual(r.log, []string{"PING"}) {
		t.Fatalf("%+v %v %q", st, err, r.log)
	}
}

func TestLoadTruncatedBaseOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	good := cmd("SET", "a", "1")
	writeAOF(t, dir, "file appendonly.aof.1.base.aof seq 1 type b\n",
		map[string][]byte{"appendonly.aof.1.base.aof": cat(good, []byte("*1\r\n"))})
	var r recorder
	l := r.truncatingLoader(dir)
	st, err := l.Load()
	if err != nil || st.Result != Truncated || st.BaseSize != int64(len(good)) || st.Size != int64(len(good)) {
		t.Fatalf("%+v %v", st, err)
	}
}

// parseAll runs the command parser over data in memory.
func parseAll(data []byte, truncOK bool) ([]string, *truncation, error) {
	var r recorder
	l := &Loader{LoadRDB: r.loadRDB, Apply: r.apply, LoadTruncated: truncOK}
	var st Status
	tr, err := l.loadStream(bytes.NewReader(data), "mem", int64(len(data)), &st)
	return r.log, tr, err
}

func TestParseCommands(t *testing.T) {
	data := cat([]byte("#TS:1\r\n"), cmd("SET", "k", "a\r\nb"), cmd("SET", "e", ""), []byte("#unterminated"))
	got, tr, err := parseAll(data, false)
	if err != nil || tr != nil {
		t.Fatalf("%v %v", tr, err)
	}
	if want := []string{"SET k a\r\nb", "SET e "}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	// Retained argv must not change under later commands.
	var kept [][]byte
	l := &Loader{Apply: func(argv [][]byte) error { kept = append(kept, argv[1]); return nil }}
	in := cat(cmd("SET", "first", "x"), cmd("SET", "second", "y"))
	if _, err := l.loadStream(bytes.NewReader(in), "mem", int64(len(in)), &Status{}); err != nil {
		t.Fatal(err)
	}
	if string(kept[0]) != "first" || string(kept[1]) != "second" {
		t.Fatalf("argv aliased: %q", kept)
	}
}
