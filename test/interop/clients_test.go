package interop

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisCLI runs redis-cli against addr with a timeout and returns its
// combined output.
func redisCLI(t *testing.T, addr string, args ...string) string {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	full := append([]string{"-h", host, "-p", port}, args...)
	cmd := exec.Command("redis-cli", full...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("redis-cli %v timed out", args)
	}
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("redis-cli: %v", err)
		}
	}
	return string(out)
}

// TestRedisCLI runs the same redis-cli invocations against redis-server and
// replikube: the printed output must be identical.
func TestRedisCLI(t *testing.T) {
	theirs := startRedis(t)
	ours, _ := startOurs(t, nil)
	sessions := [][]string{
		{"flushall"},
		{"get", "name"},
		{"set", "name", "haicoder"},
		{"get", "name"},
		{"incr", "counter"},
		{"rpush", "list", "a", "b", "c"},
		{"lrange", "list", "0", "-1"},
		{"hset", "h", "f1", "v1", "f2", "v2"},
		{"hgetall", "h"},
		{"zadd", "z", "1", "a", "2.5", "b"},
		{"zrange", "z", "0", "-1", "withscores"},
		{"--resp3", "zrange", "z", "0", "-1", "withscores"},
		{"--resp3", "hgetall", "h"},
		{"nosuchcommand"},
		{"lpush", "name", "x"},
		{"--no-raw", "get", "name"},
		{"--raw", "lrange", "list", "0", "-1"},
		{"--csv", "lrange", "list", "0", "-1"},
		{"type", "h"},
		{"ttl", "name"},
		{"expire", "name", "100"},
		{"object", "encoding", "list"},
		{"dbsize"},
		{"ping"},
	}
	for _, args := range sessions {
		want := redisCLI(t, theirs, args...)
		got := redisCLI(t, ours, args...)
		if got != want {
			t.Errorf("redis-cli %v:\n  redis-server: %q\n  replikube:    %q", args, want, got)
		}
	}
	// Piped input, as the seed's sessions and scripts use it.
	var piped []string
	for _, addr := range []string{theirs, ours} {
		host, port, _ := strings.Cut(addr, ":")
		cmd := exec.Command("redis-cli", "-h", host, "-p", port)
		cmd.Stdin = strings.NewReader("set piped 1\nincr piped\nget piped\nlpush piped x\n")
		out, _ := cmd.CombinedOutput()
		piped = append(piped, string(out))
	}
	if piped[0] != piped[1] || !strings.HasPrefix(piped[0], "OK\n2\n2\n") {
		t.Errorf("piped redis-cli:\n  redis-server: %q\n  replikube:    %q", piped[0], piped[1])
	}
}

// TestRedisBenchmarkRuns checks that redis-benchmark completes every test
// against replikube (figures come from make bench, not from here).
func TestRedisBenchmarkRuns(t *testing.T) {
	ours, _ := startOurs(t, nil)
	host, port, _ := strings.Cut(ours, ":")
	cmd := exec.Command("redis-benchmark", "-h", host, "-p", port, "-n", "2000", "-c", "10", "-P", "4", "-q",
		"-t", "ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange,mset")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("redis-benchmark timed out")
	}
	if err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	text := string(out)
	for _, name := range []string{"PING_INLINE", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LRANGE_100", "MSET"} {
		if !strings.Contains(text, name+":") && !strings.Contains(text, name+" (") {
			t.Errorf("redis-benchmark output lacks %s:\n%s", name, text)
		}
	}
	if strings.Contains(text, "ERR") || strings.Contains(text, "error") {
		t.Errorf("redis-benchmark reported errors:\n%s", text)
	}
	_ = strconv.Itoa
}
