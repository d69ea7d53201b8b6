package command

import (
	"sort"
	"strings"
)

// Flag is a command flag, as COMMAND INFO reports them.
type Flag uint32

// Command flags (Redis 7.0 names in flagNames).
const (
	Write Flag = 1 << iota
	ReadOnly
	DenyOOM
	Admin
	PubSub
	NoScript
	Blocking
	Loading
	Stale
	SkipMonitor
	SkipSlowlog
	Fast
	NoAuth
	MayReplicate
	NoMulti
	AllowBusy
	NoMandatoryKeys
	Module
	AsKing
	NoAsyncLoading
	Sentinel
)

var flagNames = []string{"write", "readonly", "denyoom", "admin", "pubsub", "noscript", "blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "fast", "no_auth", "may_replicate", "no_multi", "allow_busy", "no_mandatory_keys", "module", "asking", "no_async_loading", "sentinel"}

// Names lists the flag names in Redis's order.
func (f Flag) Names() []string {
	var out []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// KeySpec gives the key positions of the legacy COMMAND INFO triple:
// first key, last key (negative counts from the end), step. Zero First
// means no keys.
type KeySpec struct{ First, Last, Step int }

// Handler executes a command. It writes exactly one reply to c (or blocks
// the client, for blocking commands).
type Handler func(c *Client, args [][]byte)

// Command is one entry of the command table.
type Command struct {
	Name    string
	Arity   int
	Flags   Flag
	Keys    KeySpec
	Handler Handler
	// KeysFunc computes key positions for commands whose keys the triple
	// cannot describe (numkeys arguments). It returns argument indexes.
	KeysFunc func(args [][]byte) []int
	// Group is the documentation group (string, list, server ...).
	Group string
	// ACL lists ACL categories without the leading @ beyond those
	// derived from the flags and group.
	ACL []string
	// Since is the Redis version that introduced the command.
	Since string
	// Summary is COMMAND DOCS' summary.
	Summary string
	// Sub are the subcommands of a container command (CLIENT, CONFIG).
	Sub    map[string]*Command
	Parent *Command

	Stats CommandStats
}

// CommandStats are the per-command counters of INFO commandstats.
type CommandStats struct {
	Calls         int64
	Usec          int64
	RejectedCalls int64
	FailedCalls   int64
}

// FullName is "client|list" for subcommands, the name otherwise.
func (c *Command) FullName() string {
	if c.Parent != nil {
		return c.Parent.Name + "|" + c.Name
	}
	return c.Name
}

// KeyIndexes returns the positions of the keys in args.
func (c *Command) KeyIndexes(args [][]byte) []int {
	if c.KeysFunc != nil {
		return c.KeysFunc(args)
	}
	if c.Keys.First == 0 {
		return nil
	}
	last := c.Keys.Last
	if last < 0 {
		last = len(args) + last
	}
	var out []int
	step := max(c.Keys.Step, 1)
	for i := c.Keys.First; i <= last && i < len(args); i += step {
		out = append(out, i)
	}
	return out
}

// Table maps lower-case names to commands.
type Table struct {
	m map[string]*Command
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{m: make(map[string]*Command)} }

// Add registers commands; subcommands get their Parent set.
func (t *Table) Add(cmds ...*Command) {
	for _, c := range cmds {
		c.Name = strings.ToLower(c.Name)
		for name, s := range c.Sub {
			s.Parent = c
			if s.Name == "" {
				s.Name = name
			}
			if s.Group == "" {
				s.Group = c.Group
			}
		}
		t.m[c.Name] = c
	}
}

// Lookup finds a command by name, case-insensitively, without allocating.
func (t *Table) Lookup(name []byte) *Command { return lookupLower(t.m, name) }

// lookupLower looks a name up in a map of lower-case names without
// allocating: names longer than any command name miss.
func lookupLower(m map[string]*Command, name []byte) *Command {
	if len(name) > 32 {
		return nil
	}
	var buf [32]byte
	for i, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return m[string(buf[:len(name)])]
}

// All returns every top-level command sorted by name.
func (t *Table) All() []*Command {
	out := make([]*Command, 0, len(t.m))
	for _, c := range t.m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Len is the number of top-level commands.
func (t *Table) Len() int { return len(t.m) }

// SubCommands returns a container's subcommands sorted by name.
func (c *Command) SubCommands() []*Command {
	out := make([]*Command, 0, len(c.Sub))
	for _, s := range c.Sub {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
