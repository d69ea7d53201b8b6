// Package sysmem reads how much memory the process may use: the
// machine's (INFO total_system_memory) and, where lower, its cgroup's
// limit.
package sysmem

import (
	"os"
	"strconv"
	"strings"
)

// cgroupLimits are the memory limit files of cgroup v2 and v1.
var cgroupLimits = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// Limit is the machine's memory, or the cgroup's limit when lower; 0 when
// neither can be read.
func Limit() int64 {
	limit := Total()
	for _, p := range cgroupLimits {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (limit == 0 || n < limit) {
			limit = n
		}
	}
	return limit
}
