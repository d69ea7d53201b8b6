package server

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// loadText loads conf (written to a temp file unless empty) plus args.
func loadText(t *testing.T, conf string, args ...string) (*Config, error) {
	t.Helper()
	file := ""
	if conf != "" {
		file = filepath.Join(t.TempDir(), "redis.conf")
		if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return LoadConfig(file, args)
}

func mustLoad(t *testing.T, conf string, args ...string) *Config {
	t.Helper()
	cfg, err := loadText(t, conf, args...)
	if err != nil {
		t.Fatalf("load %q %q: %v", conf, args, err)
	}
	return cfg
}

func get(t *testing.T, c *Config, name string) string {
	t.Helper()
	v, ok := c.Get(name)
	if !ok {
		t.Fatalf("no directive %q", name)
	}
	return v
}

func fatal(line int, text, reason string) string {
	return (&ConfigError{Line: line, Text: text, Reason: reason}).Error()
}

func TestConfigErrorFormat(t *testing.T) {
	want := "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'foo bar'\nBad directive or wrong number of arguments"
	if got := fatal(3, "foo bar", "Bad directive or wrong number of arguments"); got != want {
		t.Fatalf("got %q", got)
	}
	if got := (&ConfigError{Reason: "Can't open the log file: Permission denied"}).Error(); got != "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: Permission denied" {
		t.Fatalf("got %q", got)
	}
}

func TestLoadConfigValues(t *testing.T) {
	tests := []struct {
		name string
		conf string
		args []string
		want map[string]string // directive -> CONFIG GET text
	}{
		{"comments and blanks", "# comment\n\n   \n\t# indented\nport 7000\r\n", nil, map[string]string{"port": "7000"}},
		{"case-insensitive names", "PORT 7001\nMaxMemory-Policy ALLKEYS-LRU\nAppendOnly YES", nil,
			map[string]string{"port": "7001", "maxmemory-policy": "allkeys-lru", "appendonly": "yes"}},
		{"double quotes and escapes", `requirepass "a b\x41\n"`, nil, map[string]string{"requirepass": "a bA\n"}},
		{"single quotes", `masterauth 'it\'s'`, nil, map[string]string{"masterauth": "it's"}},
		{"memory units", "maxmemory 1k\nrepl-backlog-size 1kb\nproto-max-bulk-len 2MB\nauto-aof-rewrite-min-size 1m\nclient-query-buffer-limit 1G\nactive-defrag-ignore-bytes 1gb\nhash-max-listpack-value 10b", nil,
			map[string]string{"maxmemory": "1000", "repl-backlog-size": "1024", "proto-max-bulk-len": "2097152", "auto-aof-rewrite-min-size": "1000000",
				"client-query-buffer-limit": "1000000000", "active-defrag-ignore-bytes": "1073741824", "hash-max-listpack-value": "10"}},
		{"percent and octal", "maxmemory-clients 10%\nunixsocketperm 700", nil, map[string]string{"maxmemory-clients": "10%", "unixsocketperm": "700"}},
		{"aliases", "slaveof 10.0.0.1 6380\nhash-max-ziplist-entries 7\nhash-max-ziplist-value 8\nlist-max-ziplist-size 9\nzset-max-ziplist-entries 10\nzset-max-ziplist-value 11\nslave-read-only no\nslave-serve-stale-data no\nslave-priority 5\nmin-slaves-to-write 2\nmin-slaves-max-lag 3\nslave-announce-ip 1.2.3.4\nslave-announce-port 99\nrepl-ping-slave-period 4\nslave-lazy-flush yes\nslave-ignore-maxmemory no\nlua-time-limit 77\ncluster-slave-validity-factor 3\ncluster-slave-no-failover yes", nil,
			map[string]string{"replicaof": "10.0.0.1 6380", "hash-max-listpack-entries": "7", "hash-max-listpack-value": "8", "list-max-listpack-size": "9",
				"zset-max-listpack-entries": "10", "zset-max-listpack-value": "11", "replica-read-only": "no", "replica-serve-stale-data": "no",
				"replica-priority": "5", "min-replicas-to-write": "2", "min-replicas-max-lag": "3", "replica-announce-ip": "1.2.3.4",
				"replica-announce-port": "99", "repl-ping-replica-period": "4", "replica-lazy-flush": "yes", "replica-ignore-maxmemory": "no",
				"busy-reply-threshold": "77", "cluster-replica-validity-factor": "3", "cluster-replica-no-failover": "yes", "slaveof": "10.0.0.1 6380"}},
		{"replicaof no one", "replicaof 1.2.3.4 1\nreplicaof NO ONE", nil, map[string]string{"replicaof": ""}},
		{"save on one line", "save 900 1 300 10", nil, map[string]string{"save": "900 1 300 10"}},
		{"save lines add up", "save 900 1\nsave 300 10", nil, map[string]string{"save": "900 1 300 10"}},
		{"save quoted", `save "900  1 300 10"`, nil, map[string]string{"save": "900 1 300 10"}},
		{"save empty", `save ""`, nil, map[string]string{"save": ""}},
		{"save empty then points", "save \"\"\nsave 10 1", nil, map[string]string{"save": "10 1"}},
		{"save points then empty", "save 10 1\nsave \"\"", nil, map[string]string{"save": ""}},
		{"save alone", "save", nil, map[string]string{"save": ""}},
		{"save file then option", "save 10 1", []string{"--save", "20", "2"}, map[string]string{"save": "10 1 20 2"}},
		{"bind several", "bind 127.0.0.1 -::1 10.1.2.3", nil, map[string]string{"bind": "127.0.0.1 -::1 10.1.2.3"}},
		{"bind quoted", `bind "127.0.0.1 ::1"`, nil, map[string]string{"bind": "127.0.0.1 ::1"}},
		{"bind empty", `bind ""`, nil, map[string]string{"bind": ""}},
		{"output buffer limits", "client-output-buffer-limit normal 1mb 2mb 3\nclient-output-buffer-limit replica 256mb 64mb 60 pubsub 1kb 2k 0\nclient-output-buffer-limit \"SLAVE 1 2 3\"", nil,
			map[string]string{"client-output-buffer-limit": "normal 1048576 2097152 3 slave 1 2 3 pubsub 1024 2000 0"}},
		{"hz clamped", "hz 1000", nil, map[string]string{"hz": "500"}},
		{"hz zero", "hz 0", nil, map[string]string{"hz": "1"}},
		{"keyspace events", "notify-keyspace-events KEA", nil, map[string]string{"notify-keyspace-events": "AKE"}},
		{"keyspace events order", "notify-keyspace-events mnt$", nil, map[string]string{"notify-keyspace-events": "$tnm"}},
		{"oom score", "oom-score-adj relative\noom-score-adj-values \"1 2 3\"", nil, map[string]string{"oom-score-adj": "yes", "oom-score-adj-values": "1 2 3"}},
		{"shutdown flags", "shutdown-on-sigint now save\nshutdown-on-sigterm \"default\"", nil, map[string]string{"shutdown-on-sigint": "save now", "shutdown-on-sigterm": "default"}},
		{"percentiles", "latency-tracking-info-percentiles 1.5 50 100.0", nil, map[string]string{"latency-tracking-info-percentiles": "1.5 50 100"}},
		{"deprecated ignored", "list-max-ziplist-entries 5\nlist-max-ziplist-value 5\nlua-replicate-commands yes", nil, map[string]string{"port": "6379"}},
		{"hidden", "use-exit-on-panic yes\nkey-load-delay -5", nil, map[string]string{"use-exit-on-panic": "yes", "key-load-delay": "-5"}},
		{"unknown-backed", "lazyfree-lazy-eviction yes\nio-threads 4\nsyslog-facility LOCAL3", nil,
			map[string]string{"lazyfree-lazy-eviction": "yes", "io-threads": "4", "syslog-facility": "local3"}},
		{"default user", "user default on nopass ~* &* +@all", nil, map[string]string{"port": "6379"}},
		{"module config and sentinel", "sentinel\nmymodule.opt 5", nil, map[string]string{"port": "6379"}},
		// Command-line options as redis-server's main().
		{"option overrides file", "port 7000\nloglevel warning", []string{"--port", "7002"}, map[string]string{"port": "7002", "loglevel": "warning"}},
		{"option with several values", "", []string{"--replicaof", "h", "6390", "--maxmemory", "1mb"}, map[string]string{"replicaof": "h 6390", "maxmemory": "1048576"}},
		{"option with a quoted pair", "", []string{"--replicaof", "h 6391"}, map[string]string{"replicaof": "h 6391"}},
		{"option and value in one arg", "", []string{"--port 6392", "--hz", "20"}, map[string]string{"port": "6392", "hz": "20"}},
		{"empty --save before an option", "", []string{"--save", "--hz", "20"}, map[string]string{"save": "", "hz": "20"}},
		{"empty --save last", "", []string{"--hz", "20", "--save"}, map[string]string{"save": "", "hz": "20"}},
		{"--save with points", "", []string{"--save", "10", "1", "20", "2"}, map[string]string{"save": "10 1 20 2"}},
		{"value starting with --", "", []string{"--requirepass", "--secret"}, map[string]string{"requirepass": "--secret"}},
		{"value with quotes and newline", "", []string{"--masterauth", "a\"b\nc"}, map[string]string{"masterauth": "a\"b\nc"}},
		// The seed's configuration files.
		{"seed config", "bind 127.0.0.1\nport 7379\nlogfile \"\"\ndbfilename dump-7379.rdb\ndaemonize yes\nrdbcompression no\nslaveof 127.0.0.1 7378\ndir /tmp\npidfile /tmp/redis-7379.pid\n", nil,
			map[string]string{"bind": "127.0.0.1", "port": "7379", "logfile": "", "dbfilename": "dump-7379.rdb", "daemonize": "yes", "rdbcompression": "no",
				"replicaof": "127.0.0.1 7378", "pidfile": "/tmp/redis-7379.pid"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustLoad(t, tc.conf, tc.args...)
			for name, want := range tc.want {
				if got := get(t, cfg, name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestLoadConfigTypedFields(t *testing.T) {
	cfg := mustLoad(t, "bind 127.0.0.1 -::1\nport 7000\nslaveof h 1\nmaxmemory 2gb\nsave 60 5\nclient-output-buffer-limit pubsub 1mb 1kb 7\ndir /tmp\nhash-max-ziplist-entries 3\nrequirepass pw\nloglevel debug\n")
	if !reflect.DeepEqual(cfg.Bind, []string{"127.0.0.1", "-::1"}) || cfg.Port != 7000 || cfg.ReplicaOf != "h 1" || cfg.MaxMemory != 2<<30 ||
		!reflect.DeepEqual(cfg.Save, [][2]int64{{60, 5}}) || cfg.ClientOutputBufferLimit[2] != (OutputLimit{Hard: 1 << 20, Soft: 1 << 10, SoftSeconds: 7}) ||
		cfg.HashMaxListpackEntries != 3 || cfg.RequirePass != "pw" || cfg.LogLevel != "debug" {
		t.Fatalf("unexpected config %+v", cfg)
	}
	if real, _ := filepath.EvalSymlinks("/tmp"); cfg.Dir != real {
		t.Fatalf("dir %q", cfg.Dir)
	}
	if !filepath.IsAbs(cfg.File) {
		t.Fatalf("file %q is not absolute", cfg.File)
	}
	if cfg.Path("x.rdb") != filepath.Join(cfg.Dir, "x.rdb") || cfg.Path("/a/b") != "/a/b" {
		t.Fatal("Path")
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		conf string
		args []string
		want string
	}{
		{"unknown directive", "# c\nport 1\nfoo bar", nil, fatal(3, "foo bar", "Bad directive or wrong number of arguments")},
		{"too many args", "port 1 2", nil, fatal(1, "port 1 2", "wrong number of arguments")},
		{"missing arg", "port", nil, fatal(1, "port", "wrong number of arguments")},
		{"not an integer", "  port abc  ", nil, fatal(1, "port abc", "argument couldn't be parsed into an integer")},
		{"plus sign", "port +5", nil, fatal(1, "port +5", "argument couldn't be parsed into an integer")},
		{"out of range", "port 70000", nil, fatal(1, "port 70000", "argument must be between 0 and 65535 inclusive")},
		{"unsigned range", "hash-max-listpack-entries -1", nil, fatal(1, "hash-max-listpack-entries -1", "argument must be between 0 and 9223372036854775807 inclusive")},
		{"maxclients range", "maxclients 0", nil, fatal(1, "maxclients 0", "argument must be between 1 and 4294967295 inclusive")},
		{"databases", "databases 0", nil, fatal(1, "databases 0", "argument must be between 1 and 2147483647 inclusive")},
		{"yes no", "daemonize maybe", nil, fatal(1, "daemonize maybe", "argument must be 'yes' or 'no'")},
		{"enum", "maxmemory-policy foo", nil, fatal(1, "maxmemory-policy foo", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")},
		{"memory", "maxmemory 1x", nil, fatal(1, "maxmemory 1x", "argument must be a memory value")},
		{"negative memory", "maxmemory -1", nil, fatal(1, "maxmemory -1", "argument must be a memory value")},
		{"memory or percent", "maxmemory-clients 101%", nil, fatal(1, "maxmemory-clients 101%", "percentage argument must be less or equal to 100")},
		{"octal", "unixsocketperm 9", nil, fatal(1, "unixsocketperm 9", "argument couldn't be parsed as an octal number")},
		{"octal range", "unixsocketperm 1000", nil, fatal(1, "unixsocketperm 1000", "argument must be between 0 and 777 inclusive")},
		{"unbalanced quotes", "requirepass \"abc", nil, fatal(1, "requirepass \"abc", "Unbalanced quotes in configuration line")},
		{"bad save", "save 10", nil, fatal(1, "save 10", "Invalid save parameters")},
		{"save zero seconds", "save 0 1", nil, fatal(1, "save 0 1", "Invalid save parameters")},
		{"save not split when several args", `save "10 1" 20 2`, nil, fatal(1, `save "10 1" 20 2`, "Invalid save parameters")},
		{"master port", "slaveof localhost x", nil, fatal(1, "slaveof localhost x", "Invalid master port")},
		{"replicaof args", "slaveof localhost", nil, fatal(1, "slaveof localhost", "wrong number of arguments")},
		{"obl class", "client-output-buffer-limit master 1 2 3", nil, fatal(1, "client-output-buffer-limit master 1 2 3", "Invalid client class specified in buffer limit configuration.")},
		{"obl count", "client-output-buffer-limit normal 1 2", nil, fatal(1, "client-output-buffer-limit normal 1 2", "Wrong number of arguments in buffer limit configuration.")},
		{"obl values", "client-output-buffer-limit normal 1 2 -3", nil, fatal(1, "client-output-buffer-limit normal 1 2 -3", "Error in hard, soft or soft_seconds setting in buffer limit configuration.")},
		{"too many binds", "bind a b c d e f g h i j k l m n o p q", nil, fatal(1, "bind a b c d e f g h i j k l m n o p q", "Too many bind addresses specified.")},
		{"oom values", "oom-score-adj-values 1 2 x", nil, fatal(1, "oom-score-adj-values 1 2 x", "Invalid oom-score-adj-values, elements must be between -2000 and 2000.")},
		{"keyspace events", "notify-keyspace-events KEq", nil, fatal(1, "notify-keyspace-events KEq", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")},
		{"shutdown flags", "shutdown-on-sigint save nosave", nil, fatal(1, "shutdown-on-sigint save nosave", "shutdown options SAVE and NOSAVE can't be used simultaneously")},
		{"dbfilename path", "dbfilename a/b.rdb", nil, fatal(1, "dbfilename a/b.rdb", "dbfilename can't be a path, just a filename")},
		{"appendfilename empty", `appendfilename ""`, nil, fatal(1, `appendfilename ""`, "appendfilename can't be empty")},
		{"dir missing", "dir /nonexistent-replikube", nil, fatal(1, "dir /nonexistent-replikube", "No such file or directory")},
		{"dir not a directory", "dir /etc/passwd", nil, fatal(1, "dir /etc/passwd", "Not a directory")},
		{"activedefrag", "activedefrag yes", nil, fatal(1, "activedefrag yes", errDefrag)},
		{"proc title", "proc-title-template {foo}", nil, fatal(1, "proc-title-template {foo}", "template format is invalid or contains unknown variables")},
		{"deprecated with wrong count", "lua-replicate-commands", nil, fatal(1, "lua-replicate-commands", "Bad directive or wrong number of arguments")},
		{"include without path", "include", nil, fatal(1, "include", "Bad directive or wrong number of arguments")},
		{"sentinel args", "sentinel monitor a b", nil, fatal(1, "sentinel monitor a b", "sentinel directive while not in sentinel mode")},
		{"rename-command refused", `rename-command CONFIG ""`, nil, fatal(1, `rename-command CONFIG ""`, "rename-command is not supported by Replikube")},
		{"user refused", "user bob on >pw", nil, fatal(1, "user bob on >pw", "user directive (ACL users) is not supported by Replikube; use requirepass")},
		{"loadmodule refused", "loadmodule /x.so", nil, fatal(1, "loadmodule /x.so", "loadmodule is not supported by Replikube")},
		{"module config without value", "mod.opt", nil, fatal(1, "mod.opt", "Module config specified without value")},
		// Options are lines after the file and a newline.
		{"option error line", "port 1\n", []string{"--port", "abc"}, fatal(3, `port "abc"`, "argument couldn't be parsed into an integer")},
		{"option without file", "", []string{"--hz", "20", "--port", "abc"}, fatal(3, `port "abc"`, "argument couldn't be parsed into an integer")},
		{"option missing value", "", []string{"--port"}, fatal(2, "port", "wrong number of arguments")},
		{"option eats the next option", "", []string{"--foo", "--port", "1"}, fatal(2, `foo "--port" "1"`, "Bad directive or wrong number of arguments")},
		{"option name and value in one", "", []string{"--port 5 7"}, fatal(2, "port 5 7", "wrong number of arguments")},
		{"missing file", "", []string{}, ""},
		{"logfile", "logfile /nonexistent-replikube/x.log", nil, (&ConfigError{Reason: "Can't open the log file: No such file or directory"}).Error()},
		{"cluster and replicaof", "cluster-enabled yes\nreplicaof h 1", nil, (&ConfigError{Reason: "replicaof directive not allowed in cluster mode"}).Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadText(t, tc.conf, tc.args...)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig("/nonexistent-replikube.conf", nil)
	if err == nil || err.Error() != "Fatal error, can't open config file '/nonexistent-replikube.conf': No such file or directory" {
		t.Fatalf("got %v", err)
	}
}

func TestLoadConfigInclude(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("conf.d/a.conf", "maxmemory 1mb\n")
	write("conf.d/b.conf", "hz 20\ninclude "+filepath.Join(dir, "nested.conf")+"\n")
	write("nested.conf", "timeout 30\n")
	write("rel.conf", "tcp-keepalive 7\n")
	main := write("main.conf", "port 7100\ninclude "+filepath.Join(dir, "conf.d/*.conf")+"\ninclude "+filepath.Join(dir, "none.d/*.conf")+"\ndir "+dir+"\ninclude rel.conf\nport 7101\n")
	cfg, err := LoadConfig(main, []string{"--hz", "30"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"port": "7101", "maxmemory": "1048576", "hz": "30", "timeout": "30", "tcp-keepalive": "7"} {
		if got := get(t, cfg, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}

	// An error in an included file names the included file's line.
	bad := write("bad.conf", "# one\nport nope\n")
	main2 := write("main2.conf", "port 1\ninclude "+bad+"\n")
	_, err = LoadConfig(main2, nil)
	if want := fatal(2, "port nope", "argument couldn't be parsed into an integer"); err == nil || err.Error() != want {
		t.Fatalf("got %v", err)
	}
	missing := write("main3.conf", "include "+filepath.Join(dir, "nope.conf")+"\n")
	_, err = LoadConfig(missing, nil)
	if err == nil || !strings.Contains(err.Error(), "can't open config file '"+filepath.Join(dir, "nope.conf")+"': No such file or directory") {
		t.Fatalf("got %v", err)
	}
	loop := write("loop.conf", "include "+filepath.Join(dir, "loop.conf")+"\n")
	if _, err = LoadConfig(loop, nil); err == nil || !strings.Contains(err.Error(), "include nesting is too deep") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadConfigStdin(t *testing.T) {
	defer func(r interface{ Read([]byte) (int, error) }) { configStdin = r }(configStdin)
	configStdin = strings.NewReader("port 7200\nhz 15\n")
	cfg, err := LoadConfig("-", []string{"--hz", "25"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 7200 || cfg.Hz != 25 || cfg.File != "" || string(cfg.stdinConfig) != "port 7200\nhz 15\n" {
		t.Fatalf("got port %d hz %d file %q", cfg.Port, cfg.Hz, cfg.File)
	}
	// "-" as the last option reads stdin after the file.
	configStdin = strings.NewReader("port 7201\n")
	cfg = mustLoad(t, "port 7000\nhz 11\n", "--loglevel", "warning", "-")
	if cfg.Port != 7201 || cfg.Hz != 11 || cfg.LogLevel != "warning" {
		t.Fatalf("got port %d hz %d", cfg.Port, cfg.Hz)
	}
}

func TestConfigArgs(t *testing.T) {
	f, o := ConfigArgs([]string{"/etc/redis.conf", "--port", "1"})
	if f != "/etc/redis.conf" || !reflect.DeepEqual(o, []string{"--port", "1"}) {
		t.Fatal(f, o)
	}
	f, o = ConfigArgs([]string{"--port", "1"})
	if f != "" || len(o) != 2 {
		t.Fatal(f, o)
	}
}

// Every directive CONFIG GET lists loads back from its own text.
func TestEveryDirectiveLoads(t *testing.T) {
	cfg := DefaultConfig()
	var b strings.Builder
	for _, name := range configNames {
		d := lookupDirective(name)
		if d.name == "replicaof" {
			continue // "" is not a valid replicaof line, as in Redis
		}
		b.WriteString(name + " " + quoteRepr(d.getText(cfg)) + "\n")
	}
	got := mustLoad(t, b.String())
	for _, name := range configNames {
		if name == "dir" {
			continue
		}
		if g, w := get(t, got, name), get(t, cfg, name); g != w {
			t.Errorf("%s = %q, want %q", name, g, w)
		}
	}
}

func TestMemToULL(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"", 0, true}, {"1b", 1, true}, {"1B", 1, true}, {"1k", 1000, true}, {"1K", 1000, true}, {"1kb", 1024, true}, {"1KB", 1024, true},
		{"3m", 3000000, true}, {"3mb", 3 << 20, true}, {"2g", 2000000000, true}, {"2Gb", 2 << 30, true},
		{"-1", 0, false}, {"1 mb", 0, false}, {"+1", 0, false}, {"1x", 0, false}, {"1.5mb", 0, false},
		{"99999999999999999999", 1<<64 - 1, true},
	}
	for _, tc := range tests {
		got, ok := memToULL(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("memToULL(%q) = %d %v, want %d %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestQuoteRepr(t *testing.T) {
	if got := quoteRepr("a b\"c\\\x01\n\té"); got != `"a b\"c\\\x01\n\t\xc3\xa9"` {
		t.Fatalf("got %s", got)
	}
}
