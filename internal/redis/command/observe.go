package command

import (
	"sort"
	"strconv"
	"time"

	"github.com/replikube/replikube/internal/redis/resp"
)

type respWriter = resp.Writer

// SlowlogEntry is one SLOWLOG GET record.
type SlowlogEntry struct {
	ID       int64
	Time     int64 // unix seconds
	Duration int64 // microseconds
	Args     [][]byte
	Addr     string
	Name     string
}

// Slowlog keeps the slowest recent commands, newest first.
type Slowlog struct {
	Entries []SlowlogEntry
	NextID  int64
}

func (e *Engine) slowlogPush(c *Client, args [][]byte, dur time.Duration) {
	th := e.Cfg.SlowlogSlowerThan
	if th < 0 || dur.Microseconds() < th {
		return
	}
	// Redis keeps at most 32 arguments and 128 bytes per argument.
	n := min(len(args), 32)
	kept := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		if i == 31 && len(args) > 32 {
			kept = append(kept, []byte("... ("+strconv.Itoa(len(args)-31)+" more arguments)"))
			break
		}
		a := args[i]
		if len(a) > 128 {
			a = append(append([]byte(nil), a[:128]...), []byte("... ("+strconv.Itoa(len(a)-128)+" more bytes)")...)
		} else {
			a = append([]byte(nil), a...)
		}
		kept = append(kept, a)
	}
	ent := SlowlogEntry{ID: e.Slowlog.NextID, Time: e.Now().Unix(), Duration: dur.Microseconds(), Args: kept, Addr: c.Addr, Name: c.Name}
	e.Slowlog.NextID++
	e.Slowlog.Entries = append([]SlowlogEntry{ent}, e.Slowlog.Entries...)
	if len(e.Slowlog.Entries) > e.Cfg.SlowlogMaxLen {
		e.Slowlog.Entries = e.Slowlog.Entries[:max(e.Cfg.SlowlogMaxLen, 0)]
	}
}

// LatencyEvent is one LATENCY LATEST row plus its history.
type LatencyEvent struct {
	Time    int64 // unix seconds of the latest sample
	Latest  int64 // ms
	Max     int64 // ms
	History []LatencySample
}

// LatencySample is a LATENCY HISTORY point.
type LatencySample struct{ Time, Latency int64 }

func (e *Engine) latencyAdd(event string, dur time.Duration) {
	th := e.Cfg.LatencyMonitorThreshold
	ms := dur.Milliseconds()
	if th <= 0 || ms < th {
		return
	}
	e.LatencyRecord(event, ms)
}

// LatencyRecord adds a latency sample in milliseconds.
func (e *Engine) LatencyRecord(event string, ms int64) {
	ev := e.Latency[event]
	if ev == nil {
		ev = &LatencyEvent{}
		e.Latency[event] = ev
	}
	now := e.Now().Unix()
	ev.Time, ev.Latest = now, ms
	if ms > ev.Max {
		ev.Max = ms
	}
	if n := len(ev.History); n > 0 && ev.History[n-1].Time == now {
		if ms > ev.History[n-1].Latency {
			ev.History[n-1].Latency = ms
		}
		return
	}
	ev.History = append(ev.History, LatencySample{now, ms})
	if len(ev.History) > 160 {
		ev.History = ev.History[1:]
	}
}

// AddMonitor puts c in MONITOR mode.
func (e *Engine) AddMonitor(c *Client) {
	if c.Flags&FlagMonitor != 0 {
		return
	}
	c.Flags |= FlagMonitor
	e.monitors = append(e.monitors, c)
}

// removeMonitor takes c out of MONITOR mode.
func (e *Engine) removeMonitor(c *Client) {
	if c.Flags&FlagMonitor == 0 {
		return
	}
	c.Flags &^= FlagMonitor
	for i, m := range e.monitors {
		if m == c {
			e.monitors = append(e.monitors[:i], e.monitors[i+1:]...)
			break
		}
	}
}

// Monitors is the number of MONITOR clients.
func (e *Engine) Monitors() int { return len(e.monitors) }

func (e *Engine) feedMonitors(c *Client, args [][]byte) {
	now := e.Now()
	line := make([]byte, 0, 64)
	line = append(line, '+')
	line = strconv.AppendInt(line, now.Unix(), 10)
	line = append(line, '.')
	us := strconv.Itoa(now.Nanosecond() / 1000)
	for i := len(us); i < 6; i++ {
		line = append(line, '0')
	}
	line = append(line, us...)
	line = append(line, " ["...)
	line = strconv.AppendInt(line, int64(c.DB.ID), 10)
	line = append(line, ' ')
	switch {
	case c.Flags&FlagMaster != 0, c.Flags&FlagFake != 0 && c.Addr == "":
		line = append(line, "lua"...)
	default:
		line = append(line, c.Addr...)
	}
	line = append(line, ']')
	for _, a := range args {
		line = append(line, ' ')
		line = AppendRepr(line, a)
	}
	line = append(line, '\r', '\n')
	for _, m := range e.monitors {
		if m.Sink != nil {
			m.Sink.Deliver(line)
		}
	}
}

// AppendRepr quotes b as Redis's sdscatrepr: "..." with \n \r \t \a \b,
// \" \\ and \xHH for other non-printable bytes.
func AppendRepr(dst, b []byte) []byte {
	dst = append(dst, '"')
	for _, ch := range b {
		switch ch {
		case '\\', '"':
			dst = append(dst, '\\', ch)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\a':
			dst = append(dst, '\\', 'a')
		case '\b':
			dst = append(dst, '\\', 'b')
		default:
			if ch >= 32 && ch < 127 {
				dst = append(dst, ch)
			} else {
				const hex = "0123456789abcdef"
				dst = append(dst, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(dst, '"')
}

func sortClients(cs []*Client) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
}
