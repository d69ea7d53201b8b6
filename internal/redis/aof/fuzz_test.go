package aof

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzAOFLoad loads random bytes as the only incr file. Load must never
// panic; with aof-load-truncated a successful load leaves a file that loads
// again to the same commands without truncation.
func FuzzAOFLoad(f *testing.F) {
	f.Add(cat(cmd("SELECT", "0"), cmd("SET", "a", "1")))
	f.Add(cat(cmd("MULTI"), cmd("INCR", "x"), cmd("EXEC"), []byte("#TS:1\r\n")))
	f.Add(cat(cmd("MULTI"), cmd("INCR", "x")))
	f.Add(cat(cmd("SET", "a", "1"), []byte("*2\r\n$3\r\nDEL\r\n$1")))
	f.Add(cat(fakeRDB("x"), cmd("SET", "a", "1")))
	f.Add([]byte("*1\r\n$-1\r\n"))
	f.Add([]byte("REDIS"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		writeAOF(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n",
			map[string][]byte{"appendonly.aof.1.incr.aof": data})
		var r recorder
		l := r.truncatingLoader(dir)
		st, err := l.Load()
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || le.Offset < 0 || le.Offset > int64(len(data)) {
				t.Fatalf("error without a valid offset: %v", err)
			}
			return
		}
		fi, err := os.Stat(filepath.Join(dir, "appendonly.aof.1.incr.aof"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size != fi.Size() || (st.Result == Truncated && st.TruncatedTo != fi.Size()) {
			t.Fatalf("status %+v, file size %d", st, fi.Size())
		}
		first := r.log
		r = recorder{}
		st2, err := r.loader(dir).Load()
		if err != nil {
			t.Fatalf("reload after %v: %v", st.Result, err)
		}
		if st2.Result == Truncated || !slices.Equal(first, r.log) {
			t.Fatalf("reload differs: %q vs %q", first, r.log)
		}
	})
}
