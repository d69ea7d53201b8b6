package sysmem

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Total agrees with /proc/meminfo's MemTotal, and Limit never exceeds it.
func TestTotalAndLimit(t *testing.T) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var memTotal int64
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if kb, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			memTotal, _ = strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(kb, "kB")), 10, 64)
			memTotal <<= 10
			break
		}
	}
	if got := Total(); got != memTotal {
		t.Fatalf("Total() = %d, MemTotal %d", got, memTotal)
	}
	if l := Limit(); l <= 0 || l > memTotal {
		t.Fatalf("Limit() = %d with MemTotal %d", l, memTotal)
	}
}
