package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
)

// registerCommands adds the server-level commands to the engine's table.
func (s *Server) registerCommands() {
	f := command.Loading | command.Stale
	s.eng.Table.Add(
		&command.Command{Name: "info", Arity: -1, Flags: f | command.SkipSlowlog, Group: "server", Since: "1.0.0", Handler: s.cmdInfo},
		s.clientCommand(),
		&command.Command{Name: "time", Arity: 1, Flags: f | command.Fast, Group: "server", Since: "2.6.0", Handler: cmdTime},
		&command.Command{Name: "lastsave", Arity: 1, Flags: f | command.Fast, Group: "server", Since: "1.0.0", Handler: s.cmdLastsave},
		&command.Command{Name: "shutdown", Arity: -1, Flags: command.Admin | command.NoScript | f | command.NoMulti | command.AllowBusy, Group: "server", Since: "1.0.0", Handler: s.cmdShutdown},
		&command.Command{Name: "monitor", Arity: 1, Flags: command.Admin | command.NoScript | f, Group: "server", Since: "1.0.0", Handler: s.cmdMonitor},
		&command.Command{Name: "debug", Arity: -2, Flags: command.Admin | command.NoScript | f, Group: "server", Since: "1.0.0", Handler: s.cmdDebug},
		&command.Command{Name: "slowlog", Arity: -2, Group: "server", Since: "2.2.12", Sub: map[string]*command.Command{
			"get":   {Arity: -2, Flags: command.Admin | f, Handler: s.cmdSlowlogGet},
			"len":   {Arity: 2, Flags: command.Admin | f, Handler: func(c *command.Client, args [][]byte) { c.W.Int(int64(len(s.eng.Slowlog.Entries))) }},
			"reset": {Arity: 2, Flags: command.Admin | f, Handler: func(c *command.Client, args [][]byte) { s.eng.Slowlog.Entries = nil; c.OK() }},
			"help":  {Arity: 2, Flags: f, Handler: command.HelpReply("SLOWLOG", slowlogHelp)},
		}},
		&command.Command{Name: "latency", Arity: -2, Group: "server", Since: "2.8.13", Sub: map[string]*command.Command{
			"latest":  {Arity: 2, Flags: command.Admin | command.NoScript | f, Handler: s.cmdLatencyLatest},
			"history": {Arity: 3, Flags: command.Admin | command.NoScript | f, Handler: s.cmdLatencyHistory},
			"reset":   {Arity: -2, Flags: command.Admin | command.NoScript | f, Handler: s.cmdLatencyReset},
			"doctor":  {Arity: 2, Flags: command.Admin | command.NoScript | f, Handler: s.cmdLatencyDoctor},
			"graph":   {Arity: 3, Flags: command.Admin | command.NoScript | f, Handler: s.cmdLatencyGraph},
			"histogram": {Arity: -2, Flags: command.Admin | command.NoScript | f, Handler: func(c *command.Client, args [][]byte) {
				c.W.Map(0)
			}},
			"help": {Arity: 2, Flags: f, Handler: command.HelpReply("LATENCY", latencyHelp)},
		}},
		s.commandCommand(),
		s.configCommand(),
	)
}

var slowlogHelp = []string{
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
}

var latencyHelp = []string{
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
}

func cmdTime(c *command.Client, args [][]byte) {
	now := time.Now()
	c.W.Array(2)
	c.W.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.W.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

func (s *Server) cmdLastsave(c *command.Client, args [][]byte) {
	if s.LastSave != nil {
		c.W.Int(s.LastSave())
		return
	}
	c.W.Int(s.startTime.Unix())
}

func (s *Server) cmdShutdown(c *command.Client, args [][]byte) {
	mode := ""
	abort, force := false, false
	for _, a := range args[1:] {
		switch {
		case command.EqualFold(a, "nosave"):
			if mode == "save" {
				c.Error(command.ErrSyntax)
				return
			}
			mode = "nosave"
		case command.EqualFold(a, "save"):
			if mode == "nosave" {
				c.Error(command.ErrSyntax)
				return
			}
			mode = "save"
		case command.EqualFold(a, "now"):
		case command.EqualFold(a, "force"):
			force = true
		case command.EqualFold(a, "abort"):
			abort = true
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	if abort {
		if len(args) != 2 {
			c.Error(command.ErrSyntax)
			return
		}
		c.Error("ERR No shutdown in progress.")
		return
	}
	s.log.Warningf("User requested shutdown...")
	s.shutdownLogged.Store(true)
	if err := s.persist.shutdownSave(mode); err != nil && !force {
		s.shutdownLogged.Store(false)
		c.Error("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	// Saved (or not wanted): the exit path must not save again.
	s.RequestShutdown("nosave")
	// Redis sends no reply: the connection closes with the server.
	c.Flags |= command.FlagCloseASAP
}

func (s *Server) cmdMonitor(c *command.Client, args [][]byte) {
	if c.InMulti() {
		c.Error("ERR MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	if c.Flags&command.FlagMonitor != 0 {
		return
	}
	s.eng.AddMonitor(c)
	c.OK()
}

func (s *Server) cmdSlowlogGet(c *command.Client, args [][]byte) {
	count := int64(10)
	if len(args) == 3 {
		n, ok := command.ParseInt(args[2])
		if !ok || n < -1 {
			c.Error("ERR count should be greater than or equal to -1")
			return
		}
		count = n
		if n == -1 {
			count = int64(len(s.eng.Slowlog.Entries))
		}
	} else if len(args) > 3 {
		c.ArityError()
		return
	}
	ents := s.eng.Slowlog.Entries
	if int64(len(ents)) > count {
		ents = ents[:count]
	}
	c.W.Array(len(ents))
	for _, e := range ents {
		c.W.Array(6)
		c.W.Int(e.ID)
		c.W.Int(e.Time)
		c.W.Int(e.Duration)
		c.W.Array(len(e.Args))
		for _, a := range e.Args {
			c.W.Bulk(a)
		}
		c.W.BulkString(e.Addr)
		c.W.BulkString(e.Name)
	}
}

func (s *Server) latencyEvents() []string {
	names := make([]string, 0, len(s.eng.Latency))
	for n := range s.eng.Latency {
		names = append(names, n)
	}
	sortStrings(names)
	return names
}

func (s *Server) cmdLatencyLatest(c *command.Client, args [][]byte) {
	names := s.latencyEvents()
	c.W.Array(len(names))
	for _, n := range names {
		ev := s.eng.Latency[n]
		c.W.Array(4)
		c.W.BulkString(n)
		c.W.Int(ev.Time)
		c.W.Int(ev.Latest)
		c.W.Int(ev.Max)
	}
}

func (s *Server) cmdLatencyHistory(c *command.Client, args [][]byte) {
	ev := s.eng.Latency[string(args[2])]
	if ev == nil {
		c.W.Array(0)
		return
	}
	c.W.Array(len(ev.History))
	for _, h := range ev.History {
		c.W.Array(2)
		c.W.Int(h.Time)
		c.W.Int(h.Latency)
	}
}

func (s *Server) cmdLatencyReset(c *command.Client, args [][]byte) {
	if len(args) == 2 {
		n := len(s.eng.Latency)
		clear(s.eng.Latency)
		c.W.Int(int64(n))
		return
	}
	n := 0
	for _, a := range args[2:] {
		if _, ok := s.eng.Latency[string(a)]; ok {
			delete(s.eng.Latency, string(a))
			n++
		}
	}
	c.W.Int(int64(n))
}

func (s *Server) cmdLatencyDoctor(c *command.Client, args [][]byte) {
	var b strings.Builder
	if len(s.eng.Latency) == 0 {
		if s.cfg.LatencyMonitorThreshold == 0 {
			b.WriteString("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
		} else {
			b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep tonight.\n")
		}
	} else {
		b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		for i, n := range s.latencyEvents() {
			ev := s.eng.Latency[n]
			fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation 0ms, period 0 sec). Worst all time event %dms.\n", i+1, n, len(ev.History), ev.Latest, ev.Max)
		}
	}
	c.W.Verbatim("txt", b.String())
}

func (s *Server) cmdLatencyGraph(c *command.Client, args [][]byte) {
	ev := s.eng.Latency[string(args[2])]
	if ev == nil {
		c.Error("ERR No samples available for event '" + string(args[2]) + "'")
		return
	}
	c.W.Verbatim("txt", fmt.Sprintf("%s - high %d ms, low %d ms (all time high %d ms)\n", args[2], ev.Max, ev.Latest, ev.Max))
}

func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
