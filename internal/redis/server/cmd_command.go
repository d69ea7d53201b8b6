package server

import (
	"strings"

	"github.com/replikube/replikube/internal/redis/command"
)

var commandHelp = []string{
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
}

func (s *Server) commandCommand() *command.Command {
	f := command.Loading | command.Stale
	return &command.Command{Name: "command", Arity: -1, Flags: f, Group: "server", Since: "2.8.13", Handler: s.cmdCommandAll,
		Sub: map[string]*command.Command{
			"count":           {Arity: 2, Flags: f, Handler: func(c *command.Client, args [][]byte) { c.W.Int(int64(s.eng.Table.Len())) }},
			"info":            {Arity: -2, Flags: f, Handler: s.cmdCommandInfo},
			"docs":            {Arity: -2, Flags: f, Handler: s.cmdCommandDocs},
			"list":            {Arity: -2, Flags: f, Handler: s.cmdCommandList},
			"getkeys":         {Arity: -4, Flags: f, Handler: s.cmdCommandGetkeys},
			"getkeysandflags": {Arity: -4, Flags: f, Handler: s.cmdCommandGetkeys},
			"help":            {Arity: 2, Flags: f, Handler: command.HelpReply("COMMAND", commandHelp)},
		}}
}

// cmdCommandAll is COMMAND without subcommand. The engine treats COMMAND
// as a container, so a bare COMMAND reaches the container's handler via
// the dispatcher's arity path; see Engine.Lookup.
func (s *Server) cmdCommandAll(c *command.Client, args [][]byte) {
	all := s.eng.Table.All()
	c.W.Array(len(all))
	for _, cmd := range all {
		writeCommandInfo(c, cmd)
	}
}

// aclOrder is Redis's ACL category table order, in which COMMAND INFO
// lists a command's categories.
var aclOrder = []string{"@keyspace", "@read", "@write", "@set", "@sortedset", "@list", "@hash", "@string", "@bitmap",
	"@hyperloglog", "@geo", "@stream", "@pubsub", "@admin", "@fast", "@slow", "@blocking", "@dangerous",
	"@connection", "@transaction", "@scripting"}

func aclCategories(cmd *command.Command) []string {
	has := map[string]bool{}
	f := cmd.Flags
	if f&command.Write != 0 {
		has["@write"] = true
	}
	if f&command.ReadOnly != 0 {
		has["@read"] = true
	}
	if f&command.Admin != 0 {
		has["@admin"], has["@dangerous"] = true, true
	}
	if f&command.PubSub != 0 {
		has["@pubsub"] = true
	}
	if f&command.Fast != 0 {
		has["@fast"] = true
	} else {
		has["@slow"] = true
	}
	if f&command.Blocking != 0 {
		has["@blocking"] = true
	}
	group := cmd.Group
	if cmd.Parent != nil && group == "" {
		group = cmd.Parent.Group
	}
	byGroup := map[string]string{"string": "@string", "list": "@list", "hash": "@hash", "set": "@set",
		"sorted_set": "@sortedset", "sorted-set": "@sortedset", "zset": "@sortedset", "bitmap": "@bitmap",
		"generic": "@keyspace", "connection": "@connection", "transactions": "@transaction",
		"hyperloglog": "@hyperloglog", "geo": "@geo", "stream": "@stream"}
	if cat, ok := byGroup[group]; ok {
		has[cat] = true
	}
	for _, a := range cmd.ACL {
		has["@"+strings.TrimPrefix(a, "@")] = true
	}
	var out []string
	for _, cat := range aclOrder {
		if has[cat] {
			out = append(out, cat)
		}
	}
	return out
}

func writeCommandInfo(c *command.Client, cmd *command.Command) {
	c.W.Array(10)
	c.W.BulkString(cmd.FullName())
	c.W.Int(int64(cmd.Arity))
	flags := cmd.Flags.Names()
	c.W.Set(len(flags))
	for _, f := range flags {
		c.W.Simple(f)
	}
	c.W.Int(int64(cmd.Keys.First))
	c.W.Int(int64(cmd.Keys.Last))
	c.W.Int(int64(cmd.Keys.Step))
	acl := aclCategories(cmd)
	c.W.Set(len(acl))
	for _, a := range acl {
		c.W.Simple(a)
	}
	c.W.Set(0) // tips
	if cmd.Keys.First > 0 {
		c.W.Set(1)
		c.W.Map(3)
		c.W.BulkString("flags")
		if cmd.Flags&command.Write != 0 {
			c.W.Set(2)
			c.W.Simple("RW")
			c.W.Simple("update")
		} else {
			c.W.Set(2)
			c.W.Simple("RO")
			c.W.Simple("access")
		}
		c.W.BulkString("begin_search")
		c.W.Map(2)
		c.W.BulkString("type")
		c.W.BulkString("index")
		c.W.BulkString("spec")
		c.W.Map(1)
		c.W.BulkString("index")
		c.W.Int(int64(cmd.Keys.First))
		c.W.BulkString("find_keys")
		c.W.Map(2)
		c.W.BulkString("type")
		c.W.BulkString("range")
		c.W.BulkString("spec")
		c.W.Map(3)
		c.W.BulkString("lastkey")
		last := cmd.Keys.Last
		if last > 0 {
			last -= cmd.Keys.First
		}
		c.W.Int(int64(last))
		c.W.BulkString("keystep")
		c.W.Int(int64(max(cmd.Keys.Step, 1)))
		c.W.BulkString("limit")
		c.W.Int(0)
	} else {
		c.W.Set(0)
	}
	subs := cmd.SubCommands()
	c.W.Set(len(subs))
	for _, sc := range subs {
		writeCommandInfo(c, sc)
	}
}

// lookupByName finds "get" or "config|get".
func (s *Server) lookupByName(name []byte) *command.Command {
	n := strings.ToLower(string(name))
	if i := strings.IndexByte(n, '|'); i >= 0 {
		p := s.eng.Table.Lookup([]byte(n[:i]))
		if p == nil || p.Sub == nil {
			return nil
		}
		return p.Sub[n[i+1:]]
	}
	return s.eng.Table.Lookup([]byte(n))
}

func (s *Server) cmdCommandInfo(c *command.Client, args [][]byte) {
	if len(args) == 2 {
		s.cmdCommandAll(c, args)
		return
	}
	c.W.Array(len(args) - 2)
	for _, name := range args[2:] {
		cmd := s.lookupByName(name)
		if cmd == nil {
			c.W.Null()
			continue
		}
		writeCommandInfo(c, cmd)
	}
}

func writeCommandDoc(c *command.Client, cmd *command.Command) {
	subs := cmd.SubCommands()
	n := 3
	if len(subs) > 0 {
		n++
	}
	c.W.Map(n)
	c.W.BulkString("summary")
	summary := cmd.Summary
	if summary == "" {
		summary = strings.ToUpper(cmd.FullName()) + " command"
	}
	c.W.BulkString(summary)
	c.W.BulkString("since")
	since := cmd.Since
	if since == "" && cmd.Parent != nil {
		since = cmd.Parent.Since
	}
	if since == "" {
		since = "1.0.0"
	}
	c.W.BulkString(since)
	c.W.BulkString("group")
	group := cmd.Group
	if group == "" {
		group = "server"
	}
	c.W.BulkString(group)
	if len(subs) > 0 {
		c.W.BulkString("subcommands")
		c.W.Map(len(subs))
		for _, sc := range subs {
			c.W.BulkString(sc.FullName())
			writeCommandDoc(c, sc)
		}
	}
}

func (s *Server) cmdCommandDocs(c *command.Client, args [][]byte) {
	var cmds []*command.Command
	if len(args) == 2 {
		cmds = s.eng.Table.All()
	} else {
		for _, name := range args[2:] {
			if cmd := s.lookupByName(name); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.W.Map(len(cmds))
	for _, cmd := range cmds {
		c.W.BulkString(cmd.FullName())
		writeCommandDoc(c, cmd)
	}
}

func (s *Server) cmdCommandList(c *command.Client, args [][]byte) {
	var filter func(cmd *command.Command) bool
	if len(args) > 2 {
		if len(args) != 5 || !command.EqualFold(args[2], "filterby") {
			c.Error(command.ErrSyntax)
			return
		}
		val := args[4]
		switch {
		case command.EqualFold(args[3], "pattern"):
			filter = func(cmd *command.Command) bool { return command.GlobMatch(val, []byte(cmd.FullName()), true) }
		case command.EqualFold(args[3], "aclcat"):
			cat := "@" + strings.ToLower(string(val))
			filter = func(cmd *command.Command) bool {
				for _, a := range aclCategories(cmd) {
					if a == cat {
						return true
					}
				}
				return false
			}
		case command.EqualFold(args[3], "module"):
			filter = func(*command.Command) bool { return false }
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	var names []string
	for _, cmd := range s.eng.Table.All() {
		for _, x := range append([]*command.Command{cmd}, cmd.SubCommands()...) {
			if filter == nil || filter(x) {
				names = append(names, x.FullName())
			}
		}
	}
	c.W.Array(len(names))
	for _, n := range names {
		c.W.BulkString(n)
	}
}

func (s *Server) cmdCommandGetkeys(c *command.Client, args [][]byte) {
	sub := args[2:]
	cmd, errText := s.eng.Lookup(sub)
	if cmd == nil {
		c.Error("ERR Invalid command specified")
		return
	}
	if errText != "" {
		c.Error("ERR Invalid number of arguments specified for command")
		return
	}
	idx := cmd.KeyIndexes(sub)
	if len(idx) == 0 {
		if cmd.Keys.First == 0 && cmd.KeysFunc == nil {
			c.Error("ERR The command has no key arguments")
		} else {
			c.Error("ERR Invalid arguments specified for command")
		}
		return
	}
	withFlags := command.EqualFold(args[1], "getkeysandflags")
	c.W.Array(len(idx))
	for _, i := range idx {
		if withFlags {
			c.W.Array(2)
			c.W.Bulk(sub[i])
			var fl []string
			if cmd.Flags&command.Write != 0 {
				fl = []string{"RW", "update"}
			} else {
				fl = []string{"RO", "access"}
			}
			c.W.Set(len(fl))
			for _, f := range fl {
				c.W.Simple(f)
			}
			continue
		}
		c.W.Bulk(sub[i])
	}
}
