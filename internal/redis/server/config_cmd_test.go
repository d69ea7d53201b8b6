package server

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/resp"
)

// cfgEnv runs CONFIG in-process against a server that does not listen.
type cfgEnv struct {
	t *testing.T
	s *Server
	c *command.Client
}

func newCfgEnv(t *testing.T, cfg *Config) *cfgEnv {
	t.Helper()
	if cfg == nil {
		cfg = DefaultConfig()
	}
	log, err := NewLogger(filepath.Join(t.TempDir(), "redis.log"), LevelWarning)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	s.eng.Table.Add(s.configCommand())
	// CONFIG SET bind/port binds listeners: close them at the end.
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, ln := range s.listeners {
			ln.close()
		}
	})
	return &cfgEnv{t: t, s: s, c: s.eng.NewClient()}
}

// raw runs a command and returns its RESP reply.
func (e *cfgEnv) raw(args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	e.s.eng.Mu.Lock()
	defer e.s.eng.Mu.Unlock()
	e.c.W.Reset()
	e.s.eng.Dispatch(e.c, argv)
	return string(e.c.W.Buf)
}

// run renders the reply compactly.
func (e *cfgEnv) run(args ...string) string {
	e.t.Helper()
	out := e.raw(args...)
	r, rest, err := resp.ParseReply([]byte(out))
	if err != nil || len(rest) != 0 {
		e.t.Fatalf("bad reply %q: %v", out, err)
	}
	return r.String()
}

// getAll returns CONFIG GET's pairs as a map, failing on a repeated name.
func (e *cfgEnv) getAll(patterns ...string) map[string]string {
	e.t.Helper()
	r, _, err := resp.ParseReply([]byte(e.raw(append([]string{"config", "get"}, patterns...)...)))
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		k := string(r.Elems[i].Str)
		if _, dup := out[k]; dup {
			e.t.Fatalf("%s listed twice", k)
		}
		out[k] = string(r.Elems[i+1].Str)
	}
	return out
}

// redisDefaults is CONFIG GET * of a fresh redis-server 7.0.15 started
// without a configuration file (dir aside: it is the working directory).
const redisDefaults = `acl-pubsub-default=resetchannels
aclfile=
acllog-max-len=128
active-defrag-cycle-max=25
active-defrag-cycle-min=1
active-defrag-ignore-bytes=104857600
active-defrag-max-scan-fields=1000
active-defrag-threshold-lower=10
active-defrag-threshold-upper=100
active-expire-effort=1
activedefrag=no
activerehashing=yes
always-show-logo=no
aof-disable-auto-gc=no
aof-load-truncated=yes
aof-rewrite-incremental-fsync=yes
aof-timestamp-enabled=no
aof-use-rdb-preamble=yes
aof_rewrite_cpulist=
appenddirname=appendonlydir
appendfilename=appendonly.aof
appendfsync=everysec
appendonly=no
auto-aof-rewrite-min-size=67108864
auto-aof-rewrite-percentage=100
bgsave_cpulist=
bind-source-addr=
bind=* -::*
bio_cpulist=
busy-reply-threshold=5000
client-output-buffer-limit=normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60
client-query-buffer-limit=1073741824
cluster-allow-pubsubshard-when-down=yes
cluster-allow-reads-when-down=no
cluster-allow-replica-migration=yes
cluster-announce-bus-port=0
cluster-announce-hostname=
cluster-announce-ip=
cluster-announce-port=0
cluster-announce-tls-port=0
cluster-config-file=nodes.conf
cluster-enabled=no
cluster-link-sendbuf-limit=0
cluster-migration-barrier=1
cluster-node-timeout=15000
cluster-port=0
cluster-preferred-endpoint-type=ip
cluster-replica-no-failover=no
cluster-replica-validity-factor=10
cluster-require-full-coverage=yes
cluster-slave-no-failover=no
cluster-slave-validity-factor=10
crash-log-enabled=yes
crash-memcheck-enabled=yes
daemonize=no
databases=16
dbfilename=dump.rdb
disable-thp=yes
dynamic-hz=yes
enable-debug-command=no
enable-module-command=no
enable-protected-configs=no
hash-max-listpack-entries=512
hash-max-listpack-value=64
hash-max-ziplist-entries=512
hash-max-ziplist-value=64
hll-sparse-max-bytes=3000
hz=10
ignore-warnings=
io-threads-do-reads=no
io-threads=1
jemalloc-bg-thread=yes
latency-monitor-threshold=0
latency-tracking-info-percentiles=50 99 99.9
latency-tracking=yes
lazyfree-lazy-eviction=no
lazyfree-lazy-expire=no
lazyfree-lazy-server-del=no
lazyfree-lazy-user-del=no
lazyfree-lazy-user-flush=no
lfu-decay-time=1
lfu-log-factor=10
list-compress-depth=0
list-max-listpack-size=-2
list-max-ziplist-size=-2
logfile=
loglevel=notice
lua-time-limit=5000
masterauth=
masteruser=
maxclients=10000
maxmemory-clients=0
maxmemory-eviction-tenacity=10
maxmemory-policy=noeviction
maxmemory-samples=5
maxmemory=0
min-replicas-max-lag=10
min-replicas-to-write=0
min-slaves-max-lag=10
min-slaves-to-write=0
no-appendfsync-on-rewrite=no
notify-keyspace-events=
oom-score-adj-values=0 200 800
oom-score-adj=no
pidfile=
port=6379
proc-title-template={title} {listen-addr} {server-mode}
propagation-error-behavior=ignore
protected-mode=yes
proto-max-bulk-len=536870912
rdb-del-sync-files=no
rdb-save-incremental-fsync=yes
rdbchecksum=yes
rdbcompression=yes
repl-backlog-size=1048576
repl-backlog-ttl=3600
repl-disable-tcp-nodelay=no
repl-diskless-load=disabled
repl-diskless-sync-delay=5
repl-diskless-sync-max-replicas=0
repl-diskless-sync=yes
repl-ping-replica-period=10
repl-ping-slave-period=10
repl-timeout=60
replica-announce-ip=
replica-announce-port=0
replica-announced=yes
replica-ignore-disk-write-errors=no
replica-ignore-maxmemory=yes
replica-lazy-flush=no
replica-priority=100
replica-read-only=yes
replica-serve-stale-data=yes
replicaof=
requirepass=
sanitize-dump-payload=no
save=3600 1 300 100 60 10000
server_cpulist=
set-max-intset-entries=512
set-proc-title=yes
shutdown-on-sigint=default
shutdown-on-sigterm=default
shutdown-timeout=10
slave-announce-ip=
slave-announce-port=0
slave-ignore-maxmemory=yes
slave-lazy-flush=no
slave-priority=100
slave-read-only=yes
slave-serve-stale-data=yes
slaveof=
slowlog-log-slower-than=10000
slowlog-max-len=128
socket-mark-id=0
stop-writes-on-bgsave-error=yes
stream-node-max-bytes=4096
stream-node-max-entries=100
supervised=no
syslog-enabled=no
syslog-facility=local0
syslog-ident=redis
tcp-backlog=511
tcp-keepalive=300
timeout=0
tls-auth-clients=yes
tls-ca-cert-dir=
tls-ca-cert-file=
tls-cert-file=
tls-ciphers=
tls-ciphersuites=
tls-client-cert-file=
tls-client-key-file-pass=
tls-client-key-file=
tls-cluster=no
tls-dh-params-file=
tls-key-file-pass=
tls-key-file=
tls-port=0
tls-prefer-server-ciphers=no
tls-protocols=
tls-replication=no
tls-session-cache-size=20480
tls-session-cache-timeout=300
tls-session-caching=yes
tracking-table-max-keys=1000000
unixsocket=
unixsocketperm=0
zset-max-listpack-entries=128
zset-max-listpack-value=64
zset-max-ziplist-entries=128
zset-max-ziplist-value=64`

func TestConfigGetAllMatchesRedis(t *testing.T) {
	e := newCfgEnv(t, nil)
	got := e.getAll("*")
	cwd, _ := os.Getwd()
	if got["dir"] != cwd {
		t.Errorf("dir = %q, want %q", got["dir"], cwd)
	}
	delete(got, "dir")
	var lines []string
	for k, v := range got {
		lines = append(lines, k+"="+v)
	}
	sort.Strings(lines)
	want := strings.Split(redisDefaults, "\n")
	sort.Strings(want)
	if g, w := strings.Join(lines, "\n"), strings.Join(want, "\n"); g != w {
		t.Fatalf("CONFIG GET * differs from redis-server 7.0.15:\ngot:\n%s\nwant:\n%s", g, w)
	}
}

func TestConfigGet(t *testing.T) {
	e := newCfgEnv(t, nil)
	tests := []struct{ args, want string }{
		{"config get maxmemory", `["maxmemory" "0"]`},
		{"config get MaxMemory", `["MaxMemory" "0"]`},
		{"config get maxmemory MAXMEMORY", `["maxmemory" "0"]`},
		{"config get nonexistent", `[]`},
		{"config get use-exit*", `[]`},
		{"config get USE-EXIT-ON-PANIC", `["USE-EXIT-ON-PANIC" "no"]`},
		{"config get hash-max-*-entries", `["hash-max-listpack-entries" "512" "hash-max-ziplist-entries" "512"]`},
		{"config get MAXMEMORY maxmemory-p*", `["MAXMEMORY" "0" "maxmemory-policy" "noeviction"]`},
		{"config get port port", `["port" "6379"]`},
		{"config get save client-output-buffer-limit", `["save" "3600 1 300 100 60 10000" "client-output-buffer-limit" "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"]`},
		{"config get", "(error) ERR wrong number of arguments for 'config|get' command"},
		{"config", "(error) ERR wrong number of arguments for 'config' command"},
		{"config foo", "(error) ERR unknown subcommand 'foo'. Try CONFIG HELP."},
	}
	for _, tc := range tests {
		if got := e.run(strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.args, got, tc.want)
		}
	}
	// The glob with several patterns names each directive once.
	all := e.getAll("*", "port", "*max*", "slave*")
	if len(all) != len(strings.Split(redisDefaults, "\n"))+1 {
		t.Fatalf("got %d names", len(all))
	}
	e.c.W.Proto = 3
	if got := e.raw("config", "get", "port"); got != "%1\r\n$4\r\nport\r\n$4\r\n6379\r\n" {
		t.Fatalf("RESP3 = %q", got)
	}
}

func TestConfigSet(t *testing.T) {
	// A free port, since the test binds it (6379 may be taken).
	cfg := DefaultConfig()
	cfg.Port = freePort(t)
	e := newCfgEnv(t, cfg)
	const failed = "(error) ERR CONFIG SET failed (possibly related to argument '"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"config", "set", "maxmemory", "100mb", "hz", "20"}, "OK"},
		{[]string{"config", "get", "maxmemory"}, `["maxmemory" "104857600"]`},
		{[]string{"config", "set", "maxmemory", "1k"}, "OK"},
		{[]string{"config", "get", "maxmemory"}, `["maxmemory" "1000"]`},
		{[]string{"config", "set", "maxmemory", "0"}, "OK"},
		{[]string{"config", "set", "foo", "1"}, "(error) ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[]string{"config", "set", "maxmemory", "10", "foo", "1"}, "(error) ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
		{[]string{"config", "set", "maxmemory", "10", "MAXMEMORY", "20"}, failed + "MAXMEMORY') - duplicate parameter"},
		{[]string{"config", "set", "hash-max-ziplist-entries", "10", "hash-max-listpack-entries", "20"}, "OK"},
		{[]string{"config", "get", "hash-max-ziplist-entries"}, `["hash-max-ziplist-entries" "20"]`},
		{[]string{"config", "set", "daemonize", "yes"}, failed + "daemonize') - can't set immutable config"},
		{[]string{"config", "set", "slaveof", "a 1"}, failed + "slaveof') - can't set immutable config"},
		{[]string{"config", "set", "databases", "3"}, failed + "databases') - can't set immutable config"},
		{[]string{"config", "set", "dir", "/tmp"}, failed + "dir') - can't set protected config"},
		{[]string{"config", "set", "dbfilename", "x.rdb"}, failed + "dbfilename') - can't set protected config"},
		{[]string{"config", "set", "maxmemory", "abc"}, failed + "maxmemory') - argument must be a memory value"},
		{[]string{"config", "set", "port", "70000"}, failed + "port') - argument must be between 0 and 65535 inclusive"},
		{[]string{"config", "set", "port", "007"}, failed + "port') - argument couldn't be parsed into an integer"},
		{[]string{"config", "set", "appendonly", "maybe"}, failed + "appendonly') - argument must be 'yes' or 'no'"},
		{[]string{"config", "set", "maxmemory-policy", "foo"}, failed + "maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
		{[]string{"config", "set", "SLAVE-PRIORITY", "x"}, failed + "slave-priority') - argument couldn't be parsed into an integer"},
		{[]string{"config", "set", "save", "1 2 3"}, failed + "save') - Invalid save parameters"},
		{[]string{"config", "set", "save", "10  1"}, failed + "save') - Invalid save parameters"},
		{[]string{"config", "set", "save", " "}, failed + "save') - Invalid save parameters"},
		{[]string{"config", "set", "save", "10 1 20 2"}, "OK"},
		{[]string{"config", "get", "save"}, `["save" "10 1 20 2"]`},
		{[]string{"config", "set", "save", ""}, "OK"},
		{[]string{"config", "get", "save"}, `["save" ""]`},
		{[]string{"config", "set", "client-output-buffer-limit", "normal 1mb 2mb 3 replica 1 2 3"}, "OK"},
		{[]string{"config", "get", "client-output-buffer-limit"}, `["client-output-buffer-limit" "normal 1048576 2097152 3 slave 1 2 3 pubsub 33554432 8388608 60"]`},
		{[]string{"config", "set", "client-output-buffer-limit", "normal 0 0 0 "}, failed + "client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration."},
		{[]string{"config", "set", "oom-score-adj-values", "1  2 3"}, failed + "oom-score-adj-values') - wrong number of arguments"},
		{[]string{"config", "set", "shutdown-on-sigint", ""}, failed + "shutdown-on-sigint') - argument(s) must be one of the following: default, save, nosave, now, force"},
		{[]string{"config", "set", "shutdown-on-sigint", "now save"}, "OK"},
		{[]string{"config", "get", "shutdown-on-sigint"}, `["shutdown-on-sigint" "save now"]`},
		{[]string{"config", "set", "bind", "127.0.0.1 -::1"}, "OK"},
		{[]string{"config", "get", "bind"}, `["bind" "127.0.0.1 -::1"]`},
		{[]string{"config", "set", "notify-keyspace-events", "KEA"}, "OK"},
		{[]string{"config", "get", "notify-keyspace-events"}, `["notify-keyspace-events" "AKE"]`},
		{[]string{"config", "set", "hz", "1000"}, "OK"},
		{[]string{"config", "get", "hz"}, `["hz" "500"]`},
		{[]string{"config", "set", "maxmemory-clients", "10%"}, "OK"},
		{[]string{"config", "get", "maxmemory-clients"}, `["maxmemory-clients" "10%"]`},
		{[]string{"config", "set", "maxmemory", "18446744073709551615"}, "OK"},
		{[]string{"config", "get", "maxmemory"}, `["maxmemory" "18446744073709551615"]`},
		{[]string{"config", "set", "maxmemory", "0"}, "OK"},
		{[]string{"config", "set", "latency-tracking-info-percentiles", "50  99"}, failed + "latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters"},
		{[]string{"config", "set", "latency-tracking-info-percentiles", "101"}, failed + "latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
		{[]string{"config", "set", "proc-title-template", "{title}"}, failed + "proc-title-template') - template format is invalid or contains unknown variables"},
		{[]string{"config", "set", "proc-title-template", "x {{ }}"}, "OK"},
		{[]string{"config", "set", "cluster-announce-hostname", "a_b"}, failed + "cluster-announce-hostname') - Hostnames may only contain alphanumeric characters, hyphens or dots"},
		{[]string{"config", "set", "maxclients", "0"}, failed + "maxclients') - argument must be between 1 and 4294967295 inclusive"},
		{[]string{"config", "set", "a", "b", "c"}, "(error) ERR syntax error"},
		{[]string{"config", "set", "port"}, "(error) ERR wrong number of arguments for 'config|set' command"},
	}
	for _, tc := range tests {
		if got := e.run(tc.args...); got != tc.want {
			t.Errorf("%q = %s\nwant %s", tc.args, got, tc.want)
		}
	}
}

func TestConfigSetAtomicAndApplied(t *testing.T) {
	e := newCfgEnv(t, nil)
	before := e.getAll("*")
	got := e.run("config", "set", "requirepass", "x", "maxmemory", "10", "hz", "abc")
	if got != "(error) ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer" {
		t.Fatal(got)
	}
	after := e.getAll("*")
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed from %q to %q by a failed CONFIG SET", k, v, after[k])
		}
	}
	// A successful SET reaches the engine through applyConfig.
	if got := e.run("config", "set", "maxmemory-policy", "allkeys-lru", "hash-max-listpack-entries", "7", "loglevel", "WARNING"); got != "OK" {
		t.Fatal(got)
	}
	ec := e.s.eng.Cfg
	if ec.Policy != keyspace.AllKeysLRU || ec.HashMaxListpackEntries != 7 || e.s.cfg.LogLevel != "warning" {
		t.Fatalf("engine config not applied: %+v", ec)
	}
	if e.s.eng.Cfg.HashMaxListpackEntries != e.s.cfg.HashMaxListpackEntries {
		t.Fatal("mismatch")
	}
}

func TestConfigSetProtected(t *testing.T) {
	cfg := DefaultConfig()
	cfg.EnableProtectedConfigs = "yes"
	e := newCfgEnv(t, cfg)
	dir := t.TempDir()
	if got := e.run("config", "set", "dir", dir, "dbfilename", "x.rdb"); got != "OK" {
		t.Fatal(got)
	}
	real, _ := filepath.EvalSymlinks(dir)
	if got := e.run("config", "get", "dir"); got != `["dir" "`+real+`"]` {
		t.Fatal(got)
	}
	if got := e.run("config", "set", "dir", "/nonexistent-replikube"); got != "(error) ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory" {
		t.Fatal(got)
	}
	if got := e.run("config", "set", "dbfilename", "a/b"); got != "(error) ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename" {
		t.Fatal(got)
	}
}

// Over the network, enable-protected-configs local admits loopback clients.
func TestConfigOverTheNetwork(t *testing.T) {
	s := startServer(t, func(c *Config) { c.EnableProtectedConfigs = "local" })
	s.eng.Mu.Lock()
	s.eng.Table.Add(s.configCommand())
	s.eng.Mu.Unlock()
	c := dial(t, s)
	if got := c.do("CONFIG", "SET", "dbfilename", "net.rdb", "timeout", "0"); got != "OK" {
		t.Fatal(got)
	}
	if got := c.do("CONFIG", "GET", "dbfilename"); got != `["dbfilename" "net.rdb"]` {
		t.Fatal(got)
	}
}

func TestConfigHelpAndResetStat(t *testing.T) {
	e := newCfgEnv(t, nil)
	want := `[CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are: GET <pattern>     Return parameters matching the glob-like <pattern> and their values. SET <directive> <value>     Set the configuration <directive> to <value>. RESETSTAT     Reset statistics reported by the INFO command. REWRITE     Rewrite the configuration file. HELP     Prints this help.]`
	if got := e.run("config", "help"); got != want {
		t.Fatalf("got %s", got)
	}
	e.run("config", "get", "port")
	e.run("config", "set", "nope", "1")
	e.s.ks.Stats.KeyspaceHits = 5
	e.s.statConnections.Store(3)
	if e.s.eng.Stats.ErrorReplies == 0 {
		t.Fatal("no error counted")
	}
	if got := e.run("config", "resetstat"); got != "OK" {
		t.Fatal(got)
	}
	get := e.s.eng.Table.Lookup([]byte("config")).Sub["get"]
	if e.s.eng.Stats.ErrorReplies != 0 || len(e.s.eng.Stats.Errors) != 0 || get.Stats.Calls != 0 || e.s.ks.Stats.KeyspaceHits != 0 || e.s.statConnections.Load() != 0 {
		t.Fatalf("stats not reset: %+v %+v", e.s.eng.Stats, get.Stats)
	}
	if got := e.run("config", "resetstat", "x"); got != "(error) ERR wrong number of arguments for 'config|resetstat' command" {
		t.Fatal(got)
	}
}

func TestConfigRewrite(t *testing.T) {
	e := newCfgEnv(t, nil)
	if got := e.run("config", "rewrite"); got != "(error) ERR The server is running without a config file" {
		t.Fatal(got)
	}

	dir := t.TempDir()
	real, _ := filepath.EvalSymlinks(dir)
	path := filepath.Join(dir, "redis.conf")
	orig := `# top comment
port 0
unixsocket /tmp/x.sock
bind 127.0.0.1
daemonize no
slaveof 127.0.0.1 1
hash-max-ziplist-entries 100
save 900 1
save 300 10

# middle


loglevel warning
logfile ""
dbfilename dump.rdb
timeout 0
list-max-ziplist-entries 5
include ` + filepath.Join(dir, "empty.conf") + `
sentinel
protected-mode yes
pidfile ""
`
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.conf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, orig, "--dir", dir)
	cfg.File = path
	e = newCfgEnv(t, cfg)
	e.s.cfg.ReplicaOf = "" // REPLICAOF NO ONE
	if got := e.run("config", "set", "maxmemory", "100mb", "hz", "20", "loglevel", "notice", "notify-keyspace-events", "Ex", "masterauth", "a b\"c\x01"); got != "OK" {
		t.Fatal(got)
	}
	if got := e.run("config", "set", "client-output-buffer-limit", "pubsub 1 2 3"); got != "OK" {
		t.Fatal(got)
	}
	if got := e.run("config", "rewrite"); got != "OK" {
		t.Fatal(got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `# top comment
port 0
unixsocket "/tmp/x.sock"
bind 127.0.0.1
daemonize no

hash-max-listpack-entries 100
save 900 1
save 300 10

# middle

loglevel notice
logfile ""
dbfilename "dump.rdb"
timeout 0
# ??? list-max-ziplist-entries 5
include ` + filepath.Join(dir, "empty.conf") + `
sentinel
protected-mode yes

# Generated by CONFIG REWRITE
masterauth "a b\"c\x01"
hz 20
maxmemory 100mb
dir "` + real + `"
client-output-buffer-limit pubsub 1 2 3
notify-keyspace-events "xE"
latency-tracking-info-percentiles 50 99 99.9
`
	if string(data) != want {
		t.Fatalf("rewritten file:\n%s\nwant:\n%s", data, want)
	}
	// The rewritten file loads back to the running configuration, and a
	// second rewrite changes nothing.
	again, err := LoadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range configNames {
		if g, w := get(t, again, name), get(t, e.s.cfg, name); g != w {
			t.Errorf("%s reloaded as %q, running %q", name, g, w)
		}
	}
	// A second rewrite keeps the meaning (not the bytes: like Redis, it
	// reuses the one client-output-buffer-limit line for the first class).
	if err := RewriteConfig(path, again); err != nil {
		t.Fatal(err)
	}
	third, err := LoadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range configNames {
		if g, w := get(t, third, name), get(t, again, name); g != w {
			t.Errorf("%s after a second rewrite %q, want %q", name, g, w)
		}
	}
	// No temp file is left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("dir has %d entries", len(entries))
	}
}

func TestConfigRewriteNewFile(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Dir = dir
	cfg.Save = nil
	cfg.Bind = nil
	cfg.ReplicaOf = "10.0.0.1 6379"
	cfg.LatencyTrackingInfoPercentiles = nil
	path := filepath.Join(dir, "new.conf")
	if err := RewriteConfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	want := "# Generated by CONFIG REWRITE\ndir \"" + dir + "\"\nsave \"\"\nbind \"\"\nreplicaof 10.0.0.1 6379\nlatency-tracking-info-percentiles \"\"\n"
	if string(data) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", data, want)
	}
	back, err := LoadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if back.ReplicaOf != cfg.ReplicaOf || len(back.Save) != 0 || len(back.Bind) != 0 || len(back.LatencyTrackingInfoPercentiles) != 0 {
		t.Fatalf("reloaded %+v", back)
	}
}

// Lines REWRITE does not own stay as written.
func TestConfigRewriteKeepsForeignLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.conf")
	orig := "rename-command DEBUG \"\"\nuser bob on >x\nloadmodule /x.so\nbad \"quote\n# Generated by CONFIG REWRITE\nport 6379\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Dir = dir
	if err := RewriteConfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	want := "rename-command DEBUG \"\"\nuser bob on >x\nloadmodule /x.so\n# ??? bad \"quote\n# Generated by CONFIG REWRITE\nport 6379\n\ndir \"" + dir + "\"\nsave 3600 1\nsave 300 100\nsave 60 10000\nlatency-tracking-info-percentiles 50 99 99.9\n"
	if string(data) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", data, want)
	}
}
