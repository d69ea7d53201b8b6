package server

import "path/filepath"

// Config holds every redis.conf directive the server understands, with
// redis.conf's defaults. Directive parsing, CONFIG GET/SET/REWRITE and
// the directive table live in config_*.go.
type Config struct {
	// File is the configuration file given on the command line ("" if
	// none); CONFIG REWRITE writes it.
	File string
	// stdinConfig is the configuration read from standard input, handed
	// to a daemonized child.
	stdinConfig []byte

	Bind                []string
	Port                int
	ProtectedMode       bool
	TCPBacklog          int
	UnixSocket          string
	UnixSocketPerm      int
	Timeout             int // seconds, 0: never close idle clients
	TCPKeepalive        int // seconds
	Daemonize           bool
	Supervised          string
	PidFile             string
	LogLevel            string
	LogFile             string
	SyslogEnabled       bool
	Databases           int
	AlwaysShowLogo      bool
	SetProcTitle        bool
	RequirePass         string
	MaxClients          int
	MaxMemory           int64
	MaxMemoryPolicy     string
	MaxMemorySamples    int
	Hz                  int
	DynamicHz           bool
	EnableDebugCommand  string
	EnableConfigCommand string // "yes" (Redis 7.0 default for CONFIG is always on)
	// EnableProtectedConfigs (no, yes, local) gates CONFIG SET of dir and
	// dbfilename.
	EnableProtectedConfigs string
	// NotifyKeyspaceEvents is the canonical class string ("" disables),
	// as CONFIG GET notify-keyspace-events shows it ("AKE", "gxK"...).
	NotifyKeyspaceEvents string
	// ShutdownTimeout is the seconds SHUTDOWN waits for replicas.
	ShutdownTimeout int
	// ShutdownOnSigint and ShutdownOnSigterm hold the shutdown flags
	// ("default", or some of "save nosave now force").
	ShutdownOnSigint  string
	ShutdownOnSigterm string

	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64
	// ClientOutputBufferLimit holds the three classes: normal, replica,
	// pubsub, as hard, soft, soft-seconds.
	ClientOutputBufferLimit [3]OutputLimit

	SlowlogLogSlowerThan    int64
	SlowlogMaxLen           int
	LatencyMonitorThreshold int64
	LatencyTracking         bool
	// LatencyTrackingInfoPercentiles are INFO latencystats' percentiles.
	LatencyTrackingInfoPercentiles []float64

	ListMaxListpackSize    int
	ListCompressDepth      int
	HashMaxListpackEntries int
	HashMaxListpackValue   int
	SetMaxIntsetEntries    int
	ZSetMaxListpackEntries int
	ZSetMaxListpackValue   int
	ActiveRehashing        bool
	LFULogFactor           int
	LFUDecayTime           int

	// Persistence (used by the persistence work; accepted now).
	Save                     [][2]int64 // seconds, changes
	StopWritesOnBgsaveError  bool
	RDBCompression           bool
	RDBChecksum              bool
	DBFilename               string
	Dir                      string
	AppendOnly               bool
	AppendFilename           string
	AppendDirname            string
	AppendFsync              string
	AutoAOFRewritePercentage int
	AutoAOFRewriteMinSize    int64
	AOFLoadTruncated         bool
	AOFUseRDBPreamble        bool

	// Replication (used by the replication work; accepted now).
	ReplicaOf                  string // "host port", "" for none
	MasterAuth                 string
	MasterUser                 string
	ReplicaServeStaleData      bool
	ReplicaReadOnly            bool
	ReplDisklessSync           bool
	ReplDisklessSyncDelay      int
	ReplDisklessSyncMaxReplica int
	ReplDisklessLoad           string
	// RDBKeySaveDelay slows background snapshots by this many
	// microseconds per key (tests of what happens during a save).
	RDBKeySaveDelay       int
	ReplPingReplicaPeriod int
	ReplTimeout           int
	ReplBacklogSize       int64
	ReplBacklogTTL        int
	ReplicaPriority       int
	ReplicaAnnounceIP     string
	ReplicaAnnouncePort   int
	MinReplicasToWrite    int
	MinReplicasMaxLag     int

	ReplicaIgnoreMaxmemory bool
	ReplicaLazyFlush       bool
	ReplicaAnnounced       bool

	// Unknown keeps, by primary name, the CONFIG GET text of directives
	// that are accepted but have no effect (yet); a directive missing
	// from it has its default. Read any directive with Config.Get.
	Unknown map[string]string
}

// OutputLimit is one client-output-buffer-limit class.
type OutputLimit struct {
	Hard, Soft  int64
	SoftSeconds int
}

// DefaultConfig returns redis.conf's defaults (those of redis-server run
// without a configuration file).
func DefaultConfig() *Config {
	return &Config{
		Bind:                           []string{"*", "-::*"},
		Port:                           6379,
		ProtectedMode:                  true,
		TCPBacklog:                     511,
		TCPKeepalive:                   300,
		Supervised:                     "no",
		LogLevel:                       "notice",
		Databases:                      16,
		SetProcTitle:                   true,
		MaxClients:                     10000,
		MaxMemoryPolicy:                "noeviction",
		MaxMemorySamples:               5,
		Hz:                             10,
		DynamicHz:                      true,
		EnableDebugCommand:             "no",
		EnableConfigCommand:            "yes",
		ProtoMaxBulkLen:                512 << 20,
		ClientQueryBufferLimit:         1 << 30,
		ClientOutputBufferLimit:        [3]OutputLimit{{}, {Hard: 256 << 20, Soft: 64 << 20, SoftSeconds: 60}, {Hard: 32 << 20, Soft: 8 << 20, SoftSeconds: 60}},
		SlowlogLogSlowerThan:           10000,
		SlowlogMaxLen:                  128,
		LatencyTracking:                true,
		LatencyTrackingInfoPercentiles: []float64{50, 99, 99.9},
		EnableProtectedConfigs:         "no",
		ShutdownTimeout:                10,
		ShutdownOnSigint:               "default",
		ShutdownOnSigterm:              "default",
		ReplicaIgnoreMaxmemory:         true,
		ReplicaAnnounced:               true,
		ListMaxListpackSize:            -2,
		HashMaxListpackEntries:         512,
		HashMaxListpackValue:           64,
		SetMaxIntsetEntries:            512,
		ZSetMaxListpackEntries:         128,
		ZSetMaxListpackValue:           64,
		ActiveRehashing:                true,
		LFULogFactor:                   10,
		LFUDecayTime:                   1,
		Save:                           [][2]int64{{3600, 1}, {300, 100}, {60, 10000}},
		StopWritesOnBgsaveError:        true,
		RDBCompression:                 true,
		RDBChecksum:                    true,
		DBFilename:                     "dump.rdb",
		Dir:                            ".",
		AppendFilename:                 "appendonly.aof",
		AppendDirname:                  "appendonlydir",
		AppendFsync:                    "everysec",
		AutoAOFRewritePercentage:       100,
		AutoAOFRewriteMinSize:          64 << 20,
		AOFLoadTruncated:               true,
		AOFUseRDBPreamble:              true,
		ReplicaServeStaleData:          true,
		ReplicaReadOnly:                true,
		ReplDisklessSync:               true,
		ReplDisklessSyncDelay:          5,
		ReplDisklessLoad:               "disabled",
		ReplPingReplicaPeriod:          10,
		ReplTimeout:                    60,
		ReplBacklogSize:                1 << 20,
		ReplBacklogTTL:                 3600,
		ReplicaPriority:                100,
		MinReplicasMaxLag:              10,
		Unknown:                        map[string]string{},
	}
}

// Clone returns a deep copy (CONFIG SET works on a copy first).
func (c *Config) Clone() *Config {
	n := *c
	n.Bind = append([]string(nil), c.Bind...)
	n.Save = append([][2]int64(nil), c.Save...)
	n.LatencyTrackingInfoPercentiles = append([]float64(nil), c.LatencyTrackingInfoPercentiles...)
	n.Unknown = make(map[string]string, len(c.Unknown))
	for k, v := range c.Unknown {
		n.Unknown[k] = v
	}
	return &n
}

// Get returns the CONFIG GET text of a directive (any name or alias,
// case-insensitive) and whether the directive exists.
func (c *Config) Get(name string) (string, bool) {
	d := lookupDirective(name)
	if d == nil {
		return "", false
	}
	return d.getText(c), true
}

// Path resolves a file name of the configuration (logfile, pidfile,
// dbfilename) the way Redis does after its chdir to dir: relative names
// are relative to Dir.
func (c *Config) Path(name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(c.Dir, name)
}
