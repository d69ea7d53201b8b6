package server

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/keyspace"
	"github.com/replikube/replikube/internal/redis/sysmem"
)

// Version is the Replikube build version, set by main.
var Version = "dev"

var defaultSections = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"}

// InfoSection renders one INFO section; the persistence and replication
// packages plug their sections in here.
type InfoSection func(b *strings.Builder)

// SetInfoSection replaces the renderer of a section ("persistence",
// "replication").
func (s *Server) SetInfoSection(name string, fn InfoSection) {
	if s.extraInfo == nil {
		s.extraInfo = map[string]InfoSection{}
	}
	s.extraInfo[name] = fn
}

func (s *Server) cmdInfo(c *command.Client, args [][]byte) {
	c.W.Verbatim("txt", s.Info(args[1:]...))
}

// Info renders INFO for the given section names (none: the default set).
// The caller holds the engine lock.
func (s *Server) Info(sections ...[]byte) string {
	want := map[string]bool{}
	all, everything := false, false
	if len(sections) == 0 {
		for _, n := range defaultSections {
			want[n] = true
		}
	}
	for _, sec := range sections {
		name := strings.ToLower(string(sec))
		switch name {
		case "default":
			for _, n := range defaultSections {
				want[n] = true
			}
		case "all":
			all = true
		case "everything":
			everything = true
		default:
			want[name] = true
		}
	}
	order := []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"}
	var b strings.Builder
	for _, name := range order {
		included := want[name] || everything || all
		if !included {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		s.infoSection(&b, name)
	}
	return b.String()
}

func kv(b *strings.Builder, k string, v any) {
	b.WriteString(k)
	b.WriteByte(':')
	fmt.Fprint(b, v)
	b.WriteString("\r\n")
}

// bytesHuman formats a byte count as Redis's bytesToHuman.
func bytesHuman(n int64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1024*1024:
		return fmt.Sprintf("%.2fK", f/1024)
	case n < 1024*1024*1024:
		return fmt.Sprintf("%.2fM", f/(1024*1024))
	case n < 1024*1024*1024*1024:
		return fmt.Sprintf("%.2fG", f/(1024*1024*1024))
	case n < 1024*1024*1024*1024*1024:
		return fmt.Sprintf("%.2fT", f/(1024*1024*1024*1024))
	}
	return fmt.Sprintf("%.2fP", f/(1024*1024*1024*1024*1024))
}

func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// UsedMemory is the accounted memory: INFO used_memory and the figure
// maxmemory is compared with.
func (s *Server) UsedMemory() int64 { return s.ks.UsedMemory() }

func (s *Server) infoSection(b *strings.Builder, name string) {
	if fn, ok := s.extraInfo[name]; ok {
		fn(b)
		return
	}
	now := time.Now()
	switch name {
	case "server":
		b.WriteString("# Server\r\n")
		kv(b, "redis_version", command.ServerVersion)
		kv(b, "redis_git_sha1", "00000000")
		kv(b, "redis_git_dirty", 0)
		kv(b, "redis_build_id", "0")
		kv(b, "redis_mode", "standalone")
		kv(b, "os", runtime.GOOS+" "+runtime.GOARCH)
		kv(b, "arch_bits", strconv.Itoa(strconv.IntSize))
		kv(b, "monotonic_clock", "POSIX clock_gettime")
		kv(b, "multiplexing_api", "epoll")
		kv(b, "atomicvar_api", "c11-builtin")
		kv(b, "gcc_version", "0.0.0")
		kv(b, "process_id", os.Getpid())
		kv(b, "process_supervised", "no")
		kv(b, "run_id", s.runID)
		kv(b, "tcp_port", s.cfg.Port)
		kv(b, "server_time_usec", now.UnixMicro())
		up := int64(now.Sub(s.startTime) / time.Second)
		kv(b, "uptime_in_seconds", up)
		kv(b, "uptime_in_days", up/86400)
		kv(b, "hz", s.cfg.Hz)
		kv(b, "configured_hz", s.cfg.Hz)
		kv(b, "lru_clock", (now.Unix())&(1<<24-1))
		exe, _ := os.Executable()
		kv(b, "executable", exe)
		kv(b, "config_file", s.cfg.File)
		kv(b, "io_threads_active", 0)
		kv(b, "replikube_version", Version)
	case "clients":
		b.WriteString("# Clients\r\n")
		kv(b, "connected_clients", len(s.eng.Clients()))
		kv(b, "cluster_connections", 0)
		kv(b, "maxclients", s.cfg.MaxClients)
		kv(b, "client_recent_max_input_buffer", 0)
		kv(b, "client_recent_max_output_buffer", 0)
		kv(b, "blocked_clients", s.eng.BlockedClients())
		kv(b, "tracking_clients", 0)
		kv(b, "clients_in_timeout_table", s.eng.BlockedClients())
	case "memory":
		used := s.UsedMemory()
		if used > s.peakMemory {
			s.peakMemory = used
		}
		rss := rssBytes()
		var ms runtime.MemStats
		if s.memStatsAt.IsZero() || now.Sub(s.memStatsAt) > time.Second {
			runtime.ReadMemStats(&ms)
			s.memStats, s.memStatsAt = ms, now
		}
		ms = s.memStats
		total := sysmem.Total()
		b.WriteString("# Memory\r\n")
		kv(b, "used_memory", used)
		kv(b, "used_memory_human", bytesHuman(used))
		kv(b, "used_memory_rss", rss)
		kv(b, "used_memory_rss_human", bytesHuman(rss))
		kv(b, "used_memory_peak", s.peakMemory)
		kv(b, "used_memory_peak_human", bytesHuman(s.peakMemory))
		peakPerc := 100.0
		if s.peakMemory > 0 {
			peakPerc = float64(used) * 100 / float64(s.peakMemory)
		}
		kv(b, "used_memory_peak_perc", fmt.Sprintf("%.2f%%", peakPerc))
		kv(b, "used_memory_overhead", 0)
		kv(b, "used_memory_startup", 0)
		kv(b, "used_memory_dataset", used)
		kv(b, "used_memory_dataset_perc", "100.00%")
		kv(b, "allocator_allocated", ms.HeapAlloc)
		kv(b, "allocator_active", ms.HeapInuse)
		kv(b, "allocator_resident", ms.HeapSys-ms.HeapReleased)
		kv(b, "total_system_memory", total)
		kv(b, "total_system_memory_human", bytesHuman(total))
		kv(b, "used_memory_lua", 31744)
		kv(b, "used_memory_vm_eval", 31744)
		kv(b, "used_memory_lua_human", "31.00K")
		kv(b, "used_memory_scripts_eval", 0)
		kv(b, "number_of_cached_scripts", 0)
		kv(b, "number_of_functions", 0)
		kv(b, "number_of_libraries", 0)
		kv(b, "used_memory_vm_functions", 32768)
		kv(b, "used_memory_vm_total", 64512)
		kv(b, "used_memory_vm_total_human", "63.00K")
		kv(b, "used_memory_functions", 0)
		kv(b, "used_memory_scripts", 0)
		kv(b, "used_memory_scripts_human", "0B")
		kv(b, "maxmemory", s.cfg.MaxMemory)
		kv(b, "maxmemory_human", bytesHuman(s.cfg.MaxMemory))
		kv(b, "maxmemory_policy", s.cfg.MaxMemoryPolicy)
		frag := 0.0
		if used > 0 {
			frag = float64(rss) / float64(used)
		}
		kv(b, "allocator_frag_ratio", "1.00")
		kv(b, "allocator_frag_bytes", 0)
		kv(b, "allocator_rss_ratio", "1.00")
		kv(b, "allocator_rss_bytes", 0)
		kv(b, "rss_overhead_ratio", "1.00")
		kv(b, "rss_overhead_bytes", 0)
		kv(b, "mem_fragmentation_ratio", fmt.Sprintf("%.2f", frag))
		kv(b, "mem_fragmentation_bytes", rss-used)
		kv(b, "mem_not_counted_for_evict", 0)
		kv(b, "mem_replication_backlog", 0)
		kv(b, "mem_total_replication_buffers", 0)
		kv(b, "mem_clients_slaves", 0)
		kv(b, "mem_clients_normal", 0)
		kv(b, "mem_cluster_links", 0)
		kv(b, "mem_aof_buffer", 0)
		kv(b, "mem_allocator", "go")
		kv(b, "active_defrag_running", 0)
		kv(b, "lazyfree_pending_objects", 0)
		kv(b, "lazyfreed_objects", 0)
	case "persistence":
		b.WriteString("# Persistence\r\n")
		s.persist.info(b)
	case "stats":
		st := s.ks.Stats
		b.WriteString("# Stats\r\n")
		kv(b, "total_connections_received", s.statConnections.Load())
		kv(b, "total_commands_processed", s.eng.Stats.Commands)
		kv(b, "instantaneous_ops_per_sec", s.instOps())
		kv(b, "total_net_input_bytes", s.statNetIn.Load())
		kv(b, "total_net_output_bytes", s.statNetOut.Load())
		kv(b, "total_net_repl_input_bytes", 0)
		kv(b, "total_net_repl_output_bytes", 0)
		kv(b, "instantaneous_input_kbps", "0.00")
		kv(b, "instantaneous_output_kbps", "0.00")
		kv(b, "instantaneous_input_repl_kbps", "0.00")
		kv(b, "instantaneous_output_repl_kbps", "0.00")
		kv(b, "rejected_connections", s.statRejectedConns.Load())
		kv(b, "sync_full", s.repl.fullSyncs)
		kv(b, "sync_partial_ok", s.repl.partialOK)
		kv(b, "sync_partial_err", s.repl.partialError)
		kv(b, "expired_keys", st.ExpiredKeys)
		kv(b, "expired_stale_perc", fmt.Sprintf("%.2f", st.ExpiredStalePerc))
		kv(b, "expired_time_cap_reached_count", st.ExpiredTimeCapped)
		kv(b, "expire_cycle_cpu_milliseconds", s.statExpireCycleMs.Load())
		kv(b, "evicted_keys", st.EvictedKeys)
		kv(b, "evicted_clients", 0)
		kv(b, "total_eviction_exceeded_time", 0)
		kv(b, "current_eviction_exceeded_time", 0)
		kv(b, "keyspace_hits", st.KeyspaceHits)
		kv(b, "keyspace_misses", st.KeyspaceMisses)
		kv(b, "pubsub_channels", s.eng.PubSubChannels())
		kv(b, "pubsub_patterns", s.eng.PubSubPatterns())
		kv(b, "pubsubshard_channels", s.eng.PubSubShardChannels())
		kv(b, "latest_fork_usec", 0)
		kv(b, "total_forks", 0)
		kv(b, "migrate_cached_sockets", 0)
		kv(b, "slave_expires_tracked_keys", 0)
		kv(b, "active_defrag_hits", 0)
		kv(b, "active_defrag_misses", 0)
		kv(b, "active_defrag_key_hits", 0)
		kv(b, "active_defrag_key_misses", 0)
		kv(b, "total_active_defrag_time", 0)
		kv(b, "current_active_defrag_time", 0)
		kv(b, "tracking_total_keys", 0)
		kv(b, "tracking_total_items", 0)
		kv(b, "tracking_total_prefixes", 0)
		kv(b, "unexpected_error_replies", 0)
		kv(b, "total_error_replies", s.eng.Stats.ErrorReplies)
		kv(b, "dump_payload_sanitizations", 0)
		kv(b, "total_reads_processed", s.statReads.Load())
		kv(b, "total_writes_processed", s.statWrites.Load())
		kv(b, "io_threaded_reads_processed", 0)
		kv(b, "io_threaded_writes_processed", 0)
		kv(b, "reply_buffer_shrinks", 0)
		kv(b, "reply_buffer_expands", 0)
	case "cpu":
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		sys := float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
		user := float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
		b.WriteString("# CPU\r\n")
		kv(b, "used_cpu_sys", fmt.Sprintf("%.6f", sys))
		kv(b, "used_cpu_user", fmt.Sprintf("%.6f", user))
		kv(b, "used_cpu_sys_children", "0.000000")
		kv(b, "used_cpu_user_children", "0.000000")
		kv(b, "used_cpu_sys_main_thread", fmt.Sprintf("%.6f", sys))
		kv(b, "used_cpu_user_main_thread", fmt.Sprintf("%.6f", user))
	case "modules":
		b.WriteString("# Modules\r\n")
	case "commandstats":
		b.WriteString("# Commandstats\r\n")
		var rows []*command.Command
		for _, cmd := range s.eng.Table.All() {
			rows = append(rows, cmd)
			rows = append(rows, cmd.SubCommands()...)
		}
		for _, cmd := range rows {
			st := cmd.Stats
			if st.Calls == 0 && st.FailedCalls == 0 && st.RejectedCalls == 0 {
				continue
			}
			per := 0.0
			if st.Calls > 0 {
				per = float64(st.Usec) / float64(st.Calls)
			}
			fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
				cmd.FullName(), st.Calls, st.Usec, per, st.RejectedCalls, st.FailedCalls)
		}
	case "errorstats":
		b.WriteString("# Errorstats\r\n")
		codes := make([]string, 0, len(s.eng.Stats.Errors))
		for code := range s.eng.Stats.Errors {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", code, s.eng.Stats.Errors[code])
		}
	case "latencystats":
		b.WriteString("# Latencystats\r\n")
	case "cluster":
		b.WriteString("# Cluster\r\n")
		kv(b, "cluster_enabled", 0)
	case "keyspace":
		b.WriteString("# Keyspace\r\n")
		for _, db := range s.ks.DBs {
			if db.Len() == 0 {
				continue
			}
			fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", db.ID, db.Len(), db.Expires(), db.AvgTTL())
		}
	}
}

var _ = keyspace.KindString
