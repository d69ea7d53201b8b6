package server

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// The directive table: one entry per redis.conf directive of Redis 7.0,
// with its alias, type, default, mutability and the exact texts CONFIG GET
// returns and CONFIG SET and the config file loader reject with.
//
// A directive whose value the server uses is bound to a Config field
// through an accessor; the others keep their CONFIG GET text in
// Config.Unknown (missing means default).

type dirKind uint8

const (
	kindBool dirKind = iota
	kindNumeric
	kindEnum
	kindString
	kindSpecial
)

type dirFlag uint16

const (
	fImmutable dirFlag = 1 << iota // CONFIG SET refuses it
	fProtected                     // CONFIG SET needs enable-protected-configs
	fMultiArg                      // takes several arguments
	fHidden                        // CONFIG GET lists it only when named exactly
	fNullable                      // string: "" means unset (REWRITE drops it)
	fMemory                        // numeric: accepts memory units
	fPercent                       // numeric: accepts "N%" (stored negative)
	fOctal                         // numeric: octal
	fUnsigned                      // numeric: C unsigned type (bounds and GET)
	fFlags                         // enum: several values ORed (shutdown-on-*)
)

// Numeric limits of the C types Redis declares its configs with.
const (
	cIntMin   = math.MinInt32
	cIntMax   = math.MaxInt32
	cUintMax  = math.MaxUint32
	cLongMax  = math.MaxInt64
	cULongMax = -1 // ULLONG_MAX, compared unsigned
)

type directive struct {
	name, alias string
	kind        dirKind
	flags       dirFlag
	def         string // CONFIG GET text of the default

	min, max int64    // numeric bounds (compared unsigned with fUnsigned)
	enum     []string // choices in Redis's order
	canon    map[string]string

	// Accessors into Config; all nil: the value lives in Config.Unknown.
	b   func(*Config) *bool
	i   func(*Config) *int
	i64 func(*Config) *int64
	s   func(*Config) *string

	// check validates a string or numeric value beyond its type.
	check func(v string) error
	// after adjusts a stored numeric value (hz is clamped).
	after func(v int64) int64

	// Special directives.
	get     func(c *Config) string
	set     func(c *Config, args []string, ld *loadState) error
	rewrite func(c *Config, d *directive, st *rewriteState)
}

func (d *directive) is(f dirFlag) bool { return d.flags&f != 0 }

var (
	directives   []*directive
	directiveMap map[string]*directive // lower-case name and alias
)

func lookupDirective(name string) *directive { return directiveMap[strings.ToLower(name)] }

// RestartOnly reports whether a running server cannot take a new value of
// the directive: CONFIG SET refuses it (immutable, or protected without
// enable-protected-configs), or it exists only in a configuration file.
// The operator applies changes of these by restarting members.
func RestartOnly(name string) bool {
	if d := lookupDirective(name); d != nil {
		return d.is(fImmutable | fProtected)
	}
	return keptDirectives[strings.ToLower(name)]
}

func init() {
	directives = directiveTable()
	directiveMap = make(map[string]*directive, 2*len(directives))
	for _, d := range directives {
		directiveMap[d.name] = d
		if d.alias != "" {
			directiveMap[d.alias] = d
		}
	}
}

// Reasons, as Redis's config.c words them.
const (
	errYesNo        = "argument must be 'yes' or 'no'"
	errNotInteger   = "argument couldn't be parsed into an integer"
	errNotMemory    = "argument must be a memory value"
	errNotMemPct    = "argument must be a memory or percent value"
	errNotOctal     = "argument couldn't be parsed as an octal number"
	errWrongArgs    = "wrong number of arguments"
	errSaveParams   = "Invalid save parameters"
	errMasterPort   = "Invalid master port"
	errTooManyBinds = "Too many bind addresses specified."
	errOBLArgs      = "Wrong number of arguments in buffer limit configuration."
	errOBLClass     = "Invalid client class specified in buffer limit configuration."
	errOBLValues    = "Error in hard, soft or soft_seconds setting in buffer limit configuration."
	errOOMValues    = "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
	errKeyspaceEvts = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
	errPercentiles  = "Invalid latency-tracking-info-percentiles parameters"
	errPercRange    = "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
	errDefrag       = "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
	errProcTitle    = "template format is invalid or contains unknown variables"
	errHostnameChar = "Hostnames may only contain alphanumeric characters, hyphens or dots"
	errHostnameLen  = "Hostnames must be less than 256 characters"
	errShutdownBoth = "shutdown options SAVE and NOSAVE can't be used simultaneously"
)

// configBindMax is Redis's CONFIG_BINDADDR_MAX.
const configBindMax = 16

// ---- constructors ---------------------------------------------------------

func boolDir(name, alias string, flags dirFlag, def bool, acc func(*Config) *bool) *directive {
	return &directive{name: name, alias: alias, kind: kindBool, flags: flags, def: yesNo(def), b: acc}
}

func intDir(name, alias string, flags dirFlag, lo, hi, def int64, acc func(*Config) *int) *directive {
	return &directive{name: name, alias: alias, kind: kindNumeric, flags: flags, min: lo, max: hi, def: formatNumeric(flags, def), i: acc}
}

func i64Dir(name, alias string, flags dirFlag, lo, hi, def int64, acc func(*Config) *int64) *directive {
	return &directive{name: name, alias: alias, kind: kindNumeric, flags: flags, min: lo, max: hi, def: formatNumeric(flags, def), i64: acc}
}

func enumDir(name, alias string, flags dirFlag, choices []string, def string, acc func(*Config) *string) *directive {
	return &directive{name: name, alias: alias, kind: kindEnum, flags: flags, enum: choices, def: def, s: acc}
}

func strDir(name, alias string, flags dirFlag, def string, acc func(*Config) *string) *directive {
	return &directive{name: name, alias: alias, kind: kindString, flags: flags, def: def, s: acc}
}

func specialDir(name, alias string, flags dirFlag, get func(*Config) string, set func(*Config, []string, *loadState) error, rw func(*Config, *directive, *rewriteState)) *directive {
	d := &directive{name: name, alias: alias, kind: kindSpecial, flags: flags, get: get, set: set, rewrite: rw}
	d.def = get(DefaultConfig())
	return d
}

func withCheck(d *directive, check func(string) error) *directive { d.check = check; return d }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

var (
	protectedChoices = []string{"no", "yes", "local"}
	shutdownChoices  = []string{"default", "save", "nosave", "now", "force"}
)

// directiveTable lists Redis 7.0.15's configs in config.c's order.
func directiveTable() []*directive {
	const (
		imm  = fImmutable
		mem  = fMemory
		uns  = fUnsigned
		null = fNullable
	)
	return []*directive{
		// Bool configs.
		boolDir("rdbchecksum", "", imm, true, func(c *Config) *bool { return &c.RDBChecksum }),
		boolDir("daemonize", "", imm, false, func(c *Config) *bool { return &c.Daemonize }),
		boolDir("io-threads-do-reads", "", imm, false, nil),
		boolDir("always-show-logo", "", imm, false, func(c *Config) *bool { return &c.AlwaysShowLogo }),
		boolDir("protected-mode", "", 0, true, func(c *Config) *bool { return &c.ProtectedMode }),
		boolDir("rdbcompression", "", 0, true, func(c *Config) *bool { return &c.RDBCompression }),
		boolDir("rdb-del-sync-files", "", 0, false, nil),
		boolDir("activerehashing", "", 0, true, func(c *Config) *bool { return &c.ActiveRehashing }),
		boolDir("stop-writes-on-bgsave-error", "", 0, true, func(c *Config) *bool { return &c.StopWritesOnBgsaveError }),
		boolDir("set-proc-title", "", imm, true, func(c *Config) *bool { return &c.SetProcTitle }),
		boolDir("dynamic-hz", "", 0, true, func(c *Config) *bool { return &c.DynamicHz }),
		boolDir("lazyfree-lazy-eviction", "", 0, false, nil),
		boolDir("lazyfree-lazy-expire", "", 0, false, nil),
		boolDir("lazyfree-lazy-server-del", "", 0, false, nil),
		boolDir("lazyfree-lazy-user-del", "", 0, false, nil),
		boolDir("lazyfree-lazy-user-flush", "", 0, false, nil),
		boolDir("repl-disable-tcp-nodelay", "", 0, false, nil),
		boolDir("repl-diskless-sync", "", 0, true, func(c *Config) *bool { return &c.ReplDisklessSync }),
		boolDir("aof-rewrite-incremental-fsync", "", 0, true, nil),
		boolDir("no-appendfsync-on-rewrite", "", 0, false, nil),
		boolDir("cluster-require-full-coverage", "", 0, true, nil),
		boolDir("rdb-save-incremental-fsync", "", 0, true, nil),
		boolDir("aof-load-truncated", "", 0, true, func(c *Config) *bool { return &c.AOFLoadTruncated }),
		boolDir("aof-use-rdb-preamble", "", 0, true, func(c *Config) *bool { return &c.AOFUseRDBPreamble }),
		boolDir("aof-timestamp-enabled", "", 0, false, nil),
		boolDir("cluster-replica-no-failover", "cluster-slave-no-failover", 0, false, nil),
		boolDir("replica-lazy-flush", "slave-lazy-flush", 0, false, func(c *Config) *bool { return &c.ReplicaLazyFlush }),
		boolDir("replica-serve-stale-data", "slave-serve-stale-data", 0, true, func(c *Config) *bool { return &c.ReplicaServeStaleData }),
		boolDir("replica-read-only", "slave-read-only", 0, true, func(c *Config) *bool { return &c.ReplicaReadOnly }),
		boolDir("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, true, func(c *Config) *bool { return &c.ReplicaIgnoreMaxmemory }),
		boolDir("jemalloc-bg-thread", "", 0, true, nil),
		withCheck(boolDir("activedefrag", "", 0, false, nil), func(v string) error {
			if v == "yes" {
				return errors.New(errDefrag)
			}
			return nil
		}),
		boolDir("syslog-enabled", "", imm, false, func(c *Config) *bool { return &c.SyslogEnabled }),
		boolDir("cluster-enabled", "", imm, false, nil),
		boolDir("appendonly", "", 0, false, func(c *Config) *bool { return &c.AppendOnly }),
		boolDir("cluster-allow-reads-when-down", "", 0, false, nil),
		boolDir("cluster-allow-pubsubshard-when-down", "", 0, true, nil),
		boolDir("crash-log-enabled", "", 0, true, nil),
		boolDir("crash-memcheck-enabled", "", 0, true, nil),
		boolDir("use-exit-on-panic", "", fHidden, false, nil),
		boolDir("disable-thp", "", imm, true, nil),
		boolDir("cluster-allow-replica-migration", "", 0, true, nil),
		boolDir("replica-announced", "", 0, true, func(c *Config) *bool { return &c.ReplicaAnnounced }),
		boolDir("latency-tracking", "", 0, true, func(c *Config) *bool { return &c.LatencyTracking }),
		boolDir("aof-disable-auto-gc", "", 0, false, nil),
		boolDir("replica-ignore-disk-write-errors", "", 0, false, nil),

		// String configs.
		strDir("aclfile", "", imm, "", nil),
		strDir("unixsocket", "", imm|null, "", func(c *Config) *string { return &c.UnixSocket }),
		strDir("pidfile", "", imm|null, "", func(c *Config) *string { return &c.PidFile }),
		strDir("replica-announce-ip", "slave-announce-ip", null, "", func(c *Config) *string { return &c.ReplicaAnnounceIP }),
		strDir("masteruser", "", null, "", func(c *Config) *string { return &c.MasterUser }),
		strDir("cluster-announce-ip", "", null, "", nil),
		strDir("cluster-config-file", "", imm, "nodes.conf", nil),
		withCheck(strDir("cluster-announce-hostname", "", null, "", nil), checkHostname),
		strDir("syslog-ident", "", imm, "redis", nil),
		withCheck(strDir("dbfilename", "", fProtected, "dump.rdb", func(c *Config) *string { return &c.DBFilename }), func(v string) error {
			if !isBaseName(v) {
				return errors.New("dbfilename can't be a path, just a filename")
			}
			return nil
		}),
		withCheck(strDir("appendfilename", "", imm, "appendonly.aof", func(c *Config) *string { return &c.AppendFilename }), func(v string) error {
			if v == "" {
				return errors.New("appendfilename can't be empty")
			}
			if !isBaseName(v) {
				return errors.New("appendfilename can't be a path, just a filename")
			}
			return nil
		}),
		withCheck(strDir("appenddirname", "", imm, "appendonlydir", func(c *Config) *string { return &c.AppendDirname }), func(v string) error {
			if v == "" {
				return errors.New("appenddirname can't be empty")
			}
			if !isBaseName(v) {
				return errors.New("appenddirname can't be a path, just a dirname")
			}
			return nil
		}),
		strDir("server_cpulist", "", imm|null, "", nil),
		strDir("bio_cpulist", "", imm|null, "", nil),
		strDir("aof_rewrite_cpulist", "", imm|null, "", nil),
		strDir("bgsave_cpulist", "", imm|null, "", nil),
		strDir("ignore-warnings", "", 0, "", nil),
		withCheck(strDir("proc-title-template", "", 0, "{title} {listen-addr} {server-mode}", nil), checkProcTitle),
		strDir("bind-source-addr", "", null, "", nil),
		strDir("logfile", "", imm, "", func(c *Config) *string { return &c.LogFile }),
		strDir("masterauth", "", null, "", func(c *Config) *string { return &c.MasterAuth }),
		strDir("requirepass", "", null, "", func(c *Config) *string { return &c.RequirePass }),

		// Enum configs.
		enumDir("supervised", "", imm, []string{"upstart", "systemd", "auto", "no"}, "no", func(c *Config) *string { return &c.Supervised }),
		enumDir("syslog-facility", "", imm, []string{"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}, "local0", nil),
		enumDir("repl-diskless-load", "", 0, []string{"disabled", "on-empty-db", "swapdb"}, "disabled", func(c *Config) *string { return &c.ReplDisklessLoad }),
		enumDir("loglevel", "", 0, []string{"debug", "verbose", "notice", "warning"}, "notice", func(c *Config) *string { return &c.LogLevel }),
		enumDir("maxmemory-policy", "", 0, []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}, "noeviction", func(c *Config) *string { return &c.MaxMemoryPolicy }),
		enumDir("appendfsync", "", 0, []string{"everysec", "always", "no"}, "everysec", func(c *Config) *string { return &c.AppendFsync }),
		func() *directive {
			d := enumDir("oom-score-adj", "", 0, []string{"no", "yes", "relative", "absolute"}, "no", nil)
			d.canon = map[string]string{"relative": "yes"}
			return d
		}(),
		enumDir("acl-pubsub-default", "", 0, []string{"allchannels", "resetchannels"}, "resetchannels", nil),
		enumDir("sanitize-dump-payload", "", 0, []string{"no", "yes", "clients"}, "no", nil),
		enumDir("enable-protected-configs", "", imm, protectedChoices, "no", func(c *Config) *string { return &c.EnableProtectedConfigs }),
		enumDir("enable-debug-command", "", imm, protectedChoices, "no", func(c *Config) *string { return &c.EnableDebugCommand }),
		enumDir("enable-module-command", "", imm, protectedChoices, "no", nil),
		enumDir("cluster-preferred-endpoint-type", "", 0, []string{"ip", "hostname", "unknown-endpoint"}, "ip", nil),
		enumDir("propagation-error-behavior", "", 0, []string{"ignore", "panic", "panic-on-replicas"}, "ignore", nil),
		enumDir("shutdown-on-sigint", "", fMultiArg|fFlags, shutdownChoices, "default", func(c *Config) *string { return &c.ShutdownOnSigint }),
		enumDir("shutdown-on-sigterm", "", fMultiArg|fFlags, shutdownChoices, "default", func(c *Config) *string { return &c.ShutdownOnSigterm }),

		// Integer configs.
		intDir("databases", "", imm, 1, cIntMax, 16, func(c *Config) *int { return &c.Databases }),
		intDir("port", "", 0, 0, 65535, 6379, func(c *Config) *int { return &c.Port }),
		intDir("io-threads", "", imm, 1, 128, 1, nil),
		intDir("auto-aof-rewrite-percentage", "", 0, 0, cIntMax, 100, func(c *Config) *int { return &c.AutoAOFRewritePercentage }),
		intDir("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, 0, cIntMax, 10, nil),
		intDir("list-max-listpack-size", "list-max-ziplist-size", 0, cIntMin, cIntMax, -2, func(c *Config) *int { return &c.ListMaxListpackSize }),
		intDir("tcp-keepalive", "", 0, 0, cIntMax, 300, func(c *Config) *int { return &c.TCPKeepalive }),
		intDir("cluster-migration-barrier", "", 0, 0, cIntMax, 1, nil),
		intDir("active-defrag-cycle-min", "", 0, 1, 99, 1, nil),
		intDir("active-defrag-cycle-max", "", 0, 1, 99, 25, nil),
		intDir("active-defrag-threshold-lower", "", 0, 0, 1000, 10, nil),
		intDir("active-defrag-threshold-upper", "", 0, 0, 1000, 100, nil),
		intDir("lfu-log-factor", "", 0, 0, cIntMax, 10, func(c *Config) *int { return &c.LFULogFactor }),
		intDir("lfu-decay-time", "", 0, 0, cIntMax, 1, func(c *Config) *int { return &c.LFUDecayTime }),
		intDir("replica-priority", "slave-priority", 0, 0, cIntMax, 100, func(c *Config) *int { return &c.ReplicaPriority }),
		intDir("repl-diskless-sync-delay", "", 0, 0, cIntMax, 5, func(c *Config) *int { return &c.ReplDisklessSyncDelay }),
		intDir("maxmemory-samples", "", 0, 1, cIntMax, 5, func(c *Config) *int { return &c.MaxMemorySamples }),
		intDir("maxmemory-eviction-tenacity", "", 0, 0, 100, 10, nil),
		intDir("timeout", "", 0, 0, cIntMax, 0, func(c *Config) *int { return &c.Timeout }),
		intDir("replica-announce-port", "slave-announce-port", 0, 0, 65535, 0, func(c *Config) *int { return &c.ReplicaAnnouncePort }),
		intDir("tcp-backlog", "", imm, 0, cIntMax, 511, func(c *Config) *int { return &c.TCPBacklog }),
		intDir("cluster-port", "", imm, 0, 65535, 0, nil),
		intDir("cluster-announce-bus-port", "", 0, 0, 65535, 0, nil),
		intDir("cluster-announce-port", "", 0, 0, 65535, 0, nil),
		intDir("cluster-announce-tls-port", "", 0, 0, 65535, 0, nil),
		intDir("repl-timeout", "", 0, 1, cIntMax, 60, func(c *Config) *int { return &c.ReplTimeout }),
		intDir("repl-ping-replica-period", "repl-ping-slave-period", 0, 1, cIntMax, 10, func(c *Config) *int { return &c.ReplPingReplicaPeriod }),
		intDir("list-compress-depth", "", 0, 0, cIntMax, 0, func(c *Config) *int { return &c.ListCompressDepth }),
		intDir("rdb-key-save-delay", "", fHidden, cIntMin, cIntMax, 0, func(c *Config) *int { return &c.RDBKeySaveDelay }),
		intDir("key-load-delay", "", fHidden, cIntMin, cIntMax, 0, nil),
		intDir("active-expire-effort", "", 0, 1, 10, 1, nil),
		func() *directive {
			d := intDir("hz", "", 0, 0, cIntMax, 10, func(c *Config) *int { return &c.Hz })
			d.after = func(v int64) int64 { return min(max(v, 1), 500) } // CONFIG_MIN_HZ, CONFIG_MAX_HZ
			return d
		}(),
		intDir("min-replicas-to-write", "min-slaves-to-write", 0, 0, cIntMax, 0, func(c *Config) *int { return &c.MinReplicasToWrite }),
		intDir("min-replicas-max-lag", "min-slaves-max-lag", 0, 0, cIntMax, 10, func(c *Config) *int { return &c.MinReplicasMaxLag }),
		intDir("watchdog-period", "", fHidden, 0, cIntMax, 0, nil),
		intDir("shutdown-timeout", "", 0, 0, cIntMax, 10, func(c *Config) *int { return &c.ShutdownTimeout }),
		intDir("repl-diskless-sync-max-replicas", "", 0, 0, cIntMax, 0, func(c *Config) *int { return &c.ReplDisklessSyncMaxReplica }),
		intDir("socket-mark-id", "", imm|uns, 0, cUintMax, 0, nil),

		// Unsigned int configs.
		intDir("maxclients", "", uns, 1, cUintMax, 10000, func(c *Config) *int { return &c.MaxClients }),
		intDir("unixsocketperm", "", imm|uns|fOctal, 0, 0o777, 0, func(c *Config) *int { return &c.UnixSocketPerm }),

		// Unsigned long configs.
		intDir("active-defrag-max-scan-fields", "", uns, 1, cLongMax, 1000, nil),
		intDir("slowlog-max-len", "", uns, 0, cLongMax, 128, func(c *Config) *int { return &c.SlowlogMaxLen }),
		intDir("acllog-max-len", "", uns, 0, cLongMax, 128, nil),

		// Long long configs.
		i64Dir("busy-reply-threshold", "lua-time-limit", 0, 0, cLongMax, 5000, nil),
		i64Dir("cluster-node-timeout", "", 0, 0, cLongMax, 15000, nil),
		i64Dir("slowlog-log-slower-than", "", 0, -1, cLongMax, 10000, func(c *Config) *int64 { return &c.SlowlogLogSlowerThan }),
		i64Dir("latency-monitor-threshold", "", 0, 0, cLongMax, 0, func(c *Config) *int64 { return &c.LatencyMonitorThreshold }),
		i64Dir("proto-max-bulk-len", "", mem, 1<<20, cLongMax, 512<<20, func(c *Config) *int64 { return &c.ProtoMaxBulkLen }),
		i64Dir("stream-node-max-entries", "", 0, 0, cLongMax, 100, nil),
		i64Dir("repl-backlog-size", "", mem, 1, cLongMax, 1<<20, func(c *Config) *int64 { return &c.ReplBacklogSize }),

		// Unsigned long long configs.
		i64Dir("maxmemory", "", mem|uns, 0, cULongMax, 0, func(c *Config) *int64 { return &c.MaxMemory }),
		i64Dir("cluster-link-sendbuf-limit", "", mem|uns, 0, cULongMax, 0, nil),

		// size_t configs.
		intDir("hash-max-listpack-entries", "hash-max-ziplist-entries", uns, 0, cLongMax, 512, func(c *Config) *int { return &c.HashMaxListpackEntries }),
		intDir("set-max-intset-entries", "", uns, 0, cLongMax, 512, func(c *Config) *int { return &c.SetMaxIntsetEntries }),
		intDir("zset-max-listpack-entries", "zset-max-ziplist-entries", uns, 0, cLongMax, 128, func(c *Config) *int { return &c.ZSetMaxListpackEntries }),
		i64Dir("active-defrag-ignore-bytes", "", mem|uns, 1, cLongMax, 100<<20, nil),
		intDir("hash-max-listpack-value", "hash-max-ziplist-value", mem|uns, 0, cLongMax, 64, func(c *Config) *int { return &c.HashMaxListpackValue }),
		i64Dir("stream-node-max-bytes", "", mem|uns, 0, cLongMax, 4096, nil),
		intDir("zset-max-listpack-value", "zset-max-ziplist-value", mem|uns, 0, cLongMax, 64, func(c *Config) *int { return &c.ZSetMaxListpackValue }),
		i64Dir("hll-sparse-max-bytes", "", mem|uns, 0, cLongMax, 3000, nil),
		i64Dir("tracking-table-max-keys", "", uns, 0, cLongMax, 1000000, nil),
		i64Dir("client-query-buffer-limit", "", mem|uns, 1<<20, cLongMax, 1<<30, func(c *Config) *int64 { return &c.ClientQueryBufferLimit }),
		i64Dir("maxmemory-clients", "", mem|fPercent, -100, cLongMax, 0, nil),

		// Other numeric configs.
		intDir("repl-backlog-ttl", "", 0, 0, cLongMax, 3600, func(c *Config) *int { return &c.ReplBacklogTTL }),
		i64Dir("auto-aof-rewrite-min-size", "", mem, 0, cLongMax, 64<<20, func(c *Config) *int64 { return &c.AutoAOFRewriteMinSize }),
		i64Dir("loading-process-events-interval-bytes", "", fHidden, 1024, cIntMax, 2<<20, nil),

		// TLS configs (accepted, TLS is not served).
		intDir("tls-port", "", 0, 0, 65535, 0, nil),
		intDir("tls-session-cache-size", "", 0, 0, cIntMax, 20*1024, nil),
		intDir("tls-session-cache-timeout", "", 0, 0, cIntMax, 300, nil),
		boolDir("tls-cluster", "", 0, false, nil),
		boolDir("tls-replication", "", 0, false, nil),
		enumDir("tls-auth-clients", "", 0, []string{"no", "yes", "optional"}, "yes", nil),
		boolDir("tls-prefer-server-ciphers", "", 0, false, nil),
		boolDir("tls-session-caching", "", 0, true, nil),
		strDir("tls-cert-file", "", null, "", nil),
		strDir("tls-key-file", "", null, "", nil),
		strDir("tls-key-file-pass", "", null, "", nil),
		strDir("tls-client-cert-file", "", null, "", nil),
		strDir("tls-client-key-file", "", null, "", nil),
		strDir("tls-client-key-file-pass", "", null, "", nil),
		strDir("tls-dh-params-file", "", null, "", nil),
		strDir("tls-ca-cert-file", "", null, "", nil),
		strDir("tls-ca-cert-dir", "", null, "", nil),
		strDir("tls-protocols", "", null, "", nil),
		strDir("tls-ciphers", "", null, "", nil),
		strDir("tls-ciphersuites", "", null, "", nil),

		// Special configs.
		specialDir("dir", "", fProtected, getDir, setDir, rewriteDir),
		specialDir("save", "", fMultiArg, getSave, setSave, rewriteSave),
		specialDir("client-output-buffer-limit", "", fMultiArg, getOutputLimits, setOutputLimits, rewriteOutputLimits),
		specialDir("oom-score-adj-values", "", fMultiArg, getOOMValues, setOOMValues, rewriteOOMValues),
		specialDir("notify-keyspace-events", "", 0, func(c *Config) string { return c.NotifyKeyspaceEvents }, setKeyspaceEvents, rewriteKeyspaceEvents),
		specialDir("bind", "", fMultiArg, func(c *Config) string { return strings.Join(c.Bind, " ") }, setBind, rewriteBind),
		specialDir("replicaof", "slaveof", imm|fMultiArg, func(c *Config) string { return c.ReplicaOf }, setReplicaOf, rewriteReplicaOf),
		specialDir("latency-tracking-info-percentiles", "", fMultiArg, getPercentiles, setPercentiles, rewritePercentiles),
	}
}

// ---- generic get / set ----------------------------------------------------

// getText is the CONFIG GET text of d.
func (d *directive) getText(c *Config) string {
	switch {
	case d.get != nil:
		return d.get(c)
	case d.b != nil:
		return yesNo(*d.b(c))
	case d.i != nil:
		return formatNumeric(d.flags, int64(*d.i(c)))
	case d.i64 != nil:
		return formatNumeric(d.flags, *d.i64(c))
	case d.s != nil:
		return *d.s(c)
	}
	if v, ok := c.Unknown[d.name]; ok {
		return v
	}
	return d.def
}

// setArgs validates args and stores them in c, or returns the reason
// Redis gives. ld is non-nil while a configuration file is loaded.
func (d *directive) setArgs(c *Config, args []string, ld *loadState) error {
	if d.set != nil {
		return d.set(c, args, ld)
	}
	if d.kind == kindEnum && d.is(fFlags) {
		v, err := d.parseFlags(args)
		if err != nil {
			return err
		}
		*d.s(c) = v
		return nil
	}
	if len(args) != 1 {
		return errors.New(errWrongArgs)
	}
	return d.setValue(c, args[0])
}

func (d *directive) setValue(c *Config, arg string) error {
	var text string
	switch d.kind {
	case kindBool:
		v, ok := parseYesNo(arg)
		if !ok {
			return errors.New(errYesNo)
		}
		text = yesNo(v)
		if d.check != nil {
			if err := d.check(text); err != nil {
				return err
			}
		}
		if d.b != nil {
			*d.b(c) = v
			return nil
		}
	case kindNumeric:
		v, err := d.parseNumeric(arg)
		if err != nil {
			return err
		}
		if d.after != nil {
			v = d.after(v)
		}
		switch {
		case d.i != nil:
			*d.i(c) = int(v)
			return nil
		case d.i64 != nil:
			*d.i64(c) = v
			return nil
		}
		text = formatNumeric(d.flags, v)
	case kindEnum:
		v, ok := d.parseEnum(arg)
		if !ok {
			return errors.New(d.enumError())
		}
		text = v
		if d.s != nil {
			*d.s(c) = v
			return nil
		}
	case kindString:
		if d.check != nil {
			if err := d.check(arg); err != nil {
				return err
			}
		}
		text = arg
		if d.s != nil {
			*d.s(c) = arg
			return nil
		}
	}
	if c.Unknown == nil {
		c.Unknown = map[string]string{}
	}
	if text == d.def {
		delete(c.Unknown, d.name)
	} else {
		c.Unknown[d.name] = text
	}
	return nil
}

func parseYesNo(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "yes"):
		return true, true
	case strings.EqualFold(s, "no"):
		return false, true
	}
	return false, false
}

func (d *directive) parseEnum(s string) (string, bool) {
	for _, e := range d.enum {
		if strings.EqualFold(e, s) {
			if c, ok := d.canon[e]; ok {
				return c, true
			}
			return e, true
		}
	}
	return "", false
}

func (d *directive) enumError() string {
	return "argument(s) must be one of the following: " + strings.Join(d.enum, ", ")
}

// parseFlags handles the shutdown-on-* flag sets: every argument a flag,
// "default" the empty set, shown in the table's order.
func (d *directive) parseFlags(args []string) (string, error) {
	if len(args) == 0 {
		return "", errors.New(d.enumError())
	}
	set := map[string]bool{}
	for _, a := range args {
		v, ok := d.parseEnum(a)
		if !ok {
			return "", errors.New(d.enumError())
		}
		set[v] = true
	}
	if set["save"] && set["nosave"] {
		return "", errors.New(errShutdownBoth)
	}
	var out []string
	for _, e := range d.enum[1:] {
		if set[e] {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return d.enum[0], nil
	}
	return strings.Join(out, " "), nil
}

// parseNumeric is Redis's numericParseString plus numericBoundaryCheck.
func (d *directive) parseNumeric(s string) (int64, error) {
	v, ok := int64(0), false
	if d.is(fMemory) {
		var u uint64
		if u, ok = memToULL(s); ok {
			v = int64(u)
		}
	}
	if !ok && d.is(fPercent) && len(s) > 1 && s[len(s)-1] == '%' {
		if p, pok := parseStrictInt(s[:len(s)-1]); pok && p >= 0 {
			v, ok = -p, true
		}
	}
	if !ok && d.is(fOctal) {
		if o, err := strconv.ParseInt(s, 8, 64); err == nil {
			v, ok = o, true
		}
	}
	if !ok && d.flags&(fMemory|fPercent|fOctal) == 0 {
		v, ok = parseStrictInt(s)
	}
	if !ok {
		switch {
		case d.is(fMemory) && d.is(fPercent):
			return 0, errors.New(errNotMemPct)
		case d.is(fMemory):
			return 0, errors.New(errNotMemory)
		case d.is(fOctal):
			return 0, errors.New(errNotOctal)
		}
		return 0, errors.New(errNotInteger)
	}
	if d.is(fUnsigned) {
		if uint64(v) > uint64(d.max) || uint64(v) < uint64(d.min) {
			if d.is(fOctal) {
				return 0, errors.New("argument must be between " + strconv.FormatUint(uint64(d.min), 8) + " and " + strconv.FormatUint(uint64(d.max), 8) + " inclusive")
			}
			return 0, errors.New("argument must be between " + strconv.FormatUint(uint64(d.min), 10) + " and " + strconv.FormatUint(uint64(d.max), 10) + " inclusive")
		}
		return v, nil
	}
	if d.is(fPercent) && v < 0 {
		if v < d.min {
			return 0, errors.New("percentage argument must be less or equal to " + strconv.FormatInt(-d.min, 10))
		}
		return v, nil
	}
	if v > d.max || v < d.min {
		return 0, errors.New("argument must be between " + strconv.FormatInt(d.min, 10) + " and " + strconv.FormatInt(d.max, 10) + " inclusive")
	}
	return v, nil
}

func formatNumeric(flags dirFlag, v int64) string {
	switch {
	case flags&fPercent != 0 && v < 0:
		return strconv.FormatInt(-v, 10) + "%"
	case flags&fOctal != 0:
		return strconv.FormatUint(uint64(v), 8)
	case flags&(fMemory|fUnsigned) != 0 && v < 0:
		return strconv.FormatUint(uint64(v), 10)
	}
	return strconv.FormatInt(v, 10)
}

// parseStrictInt is Redis's string2ll: no spaces, no '+', no leading
// zeros.
func parseStrictInt(s string) (int64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	t := s
	if t[0] == '-' {
		t = t[1:]
	}
	if t == "" || t[0] < '1' || t[0] > '9' {
		return 0, false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// memToULL is Redis's memtoull: digits and an optional unit b, k (1000),
// kb (1024), m, mb, g, gb, case-insensitive; strtoull saturates and the
// multiplication wraps as in C.
func memToULL(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i >= 128 {
		return 0, false
	}
	var v uint64
	for _, ch := range s[:i] {
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			v = math.MaxUint64
			break
		}
		v = v*10 + d
	}
	return v * mul, true
}

// formatMemory is rewriteConfigFormatMemory: the largest exact unit.
func formatMemory(v int64) string {
	const kb, mb, gb = 1024, 1024 * 1024, 1024 * 1024 * 1024
	switch {
	case v != 0 && v%gb == 0:
		return strconv.FormatInt(v/gb, 10) + "gb"
	case v != 0 && v%mb == 0:
		return strconv.FormatInt(v/mb, 10) + "mb"
	case v != 0 && v%kb == 0:
		return strconv.FormatInt(v/kb, 10) + "kb"
	}
	return strconv.FormatInt(v, 10)
}

func isBaseName(p string) bool { return !strings.ContainsAny(p, "/\\") }

func checkHostname(v string) error {
	if len(v) >= 256 {
		return errors.New(errHostnameLen)
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.') {
			return errors.New(errHostnameChar)
		}
	}
	return nil
}

// checkProcTitle validates a proc-title-template as Redis's
// validateProcTitleTemplate: {{ and }} are literal braces, {name} must be
// a known variable, and the expansion (title empty) must not be blank.
func checkProcTitle(v string) error {
	known := map[string]string{"title": "", "listen-addr": "x", "server-mode": "", "port": "x", "tls-port": "x", "unixsocket": "x", "config-file": "x"}
	var out strings.Builder
	for i := 0; i < len(v); i++ {
		switch ch := v[i]; {
		case ch == '{' && i+1 < len(v) && v[i+1] == '{', ch == '}' && i+1 < len(v) && v[i+1] == '}':
			out.WriteByte(ch)
			i++
		case ch == '{':
			end := strings.IndexByte(v[i:], '}')
			if end < 0 {
				return errors.New(errProcTitle)
			}
			val, ok := known[v[i+1:i+end]]
			if !ok {
				return errors.New(errProcTitle)
			}
			out.WriteString(val)
			i += end
		case ch == '}':
			return errors.New(errProcTitle)
		default:
			out.WriteByte(ch)
		}
	}
	if strings.TrimSpace(out.String()) == "" {
		return errors.New(errProcTitle)
	}
	return nil
}
