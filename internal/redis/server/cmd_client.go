package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
)

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"    * ID <client-id>",
	"      Kill connections by client id.",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
}

func (s *Server) clientCommand() *command.Command {
	f := command.NoScript | command.Loading | command.Stale
	return &command.Command{Name: "client", Arity: -2, Group: "connection", Since: "2.4.0", Sub: map[string]*command.Command{
		"id":           {Arity: 2, Flags: f, Handler: func(c *command.Client, args [][]byte) { c.W.Int(c.ID) }},
		"getname":      {Arity: 2, Flags: f, Handler: cmdClientGetname},
		"setname":      {Arity: 3, Flags: f, Handler: cmdClientSetname},
		"list":         {Arity: -2, Flags: f | command.Admin, Handler: s.cmdClientList},
		"info":         {Arity: 2, Flags: f, Handler: s.cmdClientInfo},
		"kill":         {Arity: -3, Flags: f | command.Admin, Handler: s.cmdClientKill},
		"pause":        {Arity: -3, Flags: f | command.Admin, Handler: s.cmdClientPause},
		"unpause":      {Arity: 2, Flags: f | command.Admin, Handler: s.cmdClientUnpause},
		"reply":        {Arity: 3, Flags: f, Handler: cmdClientReply},
		"no-evict":     {Arity: 3, Flags: f | command.Admin, Handler: cmdClientNoEvict},
		"unblock":      {Arity: -3, Flags: f | command.Admin, Handler: s.cmdClientUnblock},
		"getredir":     {Arity: 2, Flags: f, Handler: func(c *command.Client, args [][]byte) { c.W.Int(-1) }},
		"trackinginfo": {Arity: 2, Flags: f, Handler: cmdClientTrackingInfo},
		"help":         {Arity: 2, Flags: command.Loading | command.Stale, Handler: command.HelpReply("CLIENT", clientHelp)},
	}}
}

func cmdClientGetname(c *command.Client, args [][]byte) {
	if c.Name == "" {
		c.W.Null()
		return
	}
	c.W.BulkString(c.Name)
}

func cmdClientSetname(c *command.Client, args [][]byte) {
	if !command.ValidClientName(args[2]) {
		c.Error("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	c.Name = string(args[2])
	c.OK()
}

func cmdClientReply(c *command.Client, args [][]byte) {
	switch {
	case command.EqualFold(args[2], "on"):
		c.Flags &^= command.FlagReplyOff | command.FlagReplySkipNext
		c.OK()
	case command.EqualFold(args[2], "off"):
		c.Flags |= command.FlagReplyOff
	case command.EqualFold(args[2], "skip"):
		if c.Flags&command.FlagReplyOff == 0 {
			c.Flags |= command.FlagReplySkipNext
		}
	default:
		c.Error(command.ErrSyntax)
	}
}

func cmdClientNoEvict(c *command.Client, args [][]byte) {
	switch {
	case command.EqualFold(args[2], "on"):
		c.Flags |= command.FlagNoEvict
	case command.EqualFold(args[2], "off"):
		c.Flags &^= command.FlagNoEvict
	default:
		c.Error(command.ErrSyntax)
		return
	}
	c.OK()
}

func cmdClientTrackingInfo(c *command.Client, args [][]byte) {
	c.W.Map(3)
	c.W.BulkString("flags")
	c.W.Set(1)
	c.W.BulkString("off")
	c.W.BulkString("redirect")
	c.W.Int(-1)
	c.W.BulkString("prefixes")
	c.W.Array(0)
}

// parseClientType parses a CLIENT LIST/KILL TYPE argument ("slave" is an
// alias of "replica"), replying the error itself when it is unknown.
func parseClientType(c *command.Client, arg []byte) (string, bool) {
	t := strings.ToLower(string(arg))
	if t == "slave" {
		t = "replica"
	}
	switch t {
	case "normal", "master", "replica", "pubsub":
		return t, true
	}
	c.Error("ERR Unknown client type '" + string(arg) + "'")
	return "", false
}

// clientType is the CLIENT LIST TYPE class of a client.
func clientType(c *command.Client) string {
	switch {
	case c.Flags&command.FlagMaster != 0:
		return "master"
	case c.Flags&command.FlagReplica != 0 && c.Flags&command.FlagMonitor == 0:
		return "replica"
	case c.Flags&command.FlagPubSub != 0:
		return "pubsub"
	}
	return "normal"
}

func clientFlags(c *command.Client) string {
	var b strings.Builder
	f := c.Flags
	switch {
	case f&command.FlagMonitor != 0:
		b.WriteByte('O')
	case f&command.FlagReplica != 0:
		b.WriteByte('S')
	}
	if f&command.FlagMaster != 0 {
		b.WriteByte('M')
	}
	if f&command.FlagPubSub != 0 {
		b.WriteByte('P')
	}
	if f&command.FlagMulti != 0 {
		b.WriteByte('x')
	}
	if c.Blocked() {
		b.WriteByte('b')
	}
	if f&command.FlagDirtyCAS != 0 {
		b.WriteByte('d')
	}
	if f&command.FlagCloseAfterReply != 0 {
		b.WriteByte('c')
	}
	if f&command.FlagCloseASAP != 0 {
		b.WriteByte('A')
	}
	if f&command.FlagNoEvict != 0 {
		b.WriteByte('e')
	}
	if b.Len() == 0 {
		b.WriteByte('N')
	}
	return b.String()
}

// clientInfoLine renders one CLIENT LIST line in Redis 7.0's field order.
func (s *Server) clientInfoLine(c *command.Client) string {
	now := time.Now()
	cmd := "NULL"
	if c.LastCmd != nil {
		cmd = c.LastCmd.FullName()
	}
	var qbuf, qbufFree, obl, oll, omem int
	fd := int64(-1)
	if cn, ok := c.Extra.(*conn); ok {
		qbuf = cn.rd.Buffered()
		omem = cn.omem()
		fd = int64(cn.fd)
	}
	events := "r"
	if omem > 0 {
		events = "rw"
	}
	var b strings.Builder
	b.Grow(256)
	field := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
	field("id", itoa(c.ID))
	field("addr", c.Addr)
	field("laddr", c.LAddr)
	field("fd", itoa(fd))
	field("name", c.Name)
	field("age", itoa(int64(now.Sub(c.Created)/time.Second)))
	field("idle", itoa(int64(now.Sub(c.LastInteraction)/time.Second)))
	field("flags", clientFlags(c))
	field("db", itoa(int64(c.DB.ID)))
	field("sub", itoa(int64(c.ChannelCount())))
	field("psub", itoa(int64(c.PatternCount())))
	field("ssub", itoa(int64(c.ShardChannelCount())))
	field("multi", itoa(int64(c.MultiCount())))
	field("qbuf", itoa(int64(qbuf)))
	field("qbuf-free", itoa(int64(qbufFree)))
	field("argv-mem", "0")
	field("multi-mem", "0")
	field("rbs", "16384")
	field("rbp", "16384")
	field("obl", itoa(int64(obl)))
	field("oll", itoa(int64(oll)))
	field("omem", itoa(int64(omem)))
	field("tot-mem", itoa(int64(16384+qbuf+omem+1024)))
	field("events", events)
	field("cmd", cmd)
	field("user", c.User)
	field("redir", "-1")
	field("resp", itoa(int64(c.W.Proto)))
	return b.String()
}

func (s *Server) cmdClientList(c *command.Client, args [][]byte) {
	var typ string
	var ids map[int64]bool
	for i := 2; i < len(args); i++ {
		switch {
		case command.EqualFold(args[i], "type") && i+1 < len(args):
			t, ok := parseClientType(c, args[i+1])
			if !ok {
				return
			}
			typ = t
			i++
		case command.EqualFold(args[i], "id") && i+1 < len(args):
			ids = map[int64]bool{}
			for i++; i < len(args); i++ {
				id, ok := command.ParseInt(args[i])
				if !ok || id <= 0 {
					c.Error("ERR Invalid client ID")
					return
				}
				ids[id] = true
			}
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	var b strings.Builder
	for _, x := range s.eng.Clients() {
		if typ != "" && clientType(x) != typ {
			continue
		}
		if ids != nil && !ids[x.ID] {
			continue
		}
		b.WriteString(s.clientInfoLine(x))
		b.WriteByte('\n')
	}
	c.W.Verbatim("txt", b.String())
}

func (s *Server) cmdClientInfo(c *command.Client, args [][]byte) {
	c.W.Verbatim("txt", s.clientInfoLine(c)+"\n")
}

func (s *Server) cmdClientKill(c *command.Client, args [][]byte) {
	if len(args) == 3 {
		// Old form: CLIENT KILL addr.
		for _, x := range s.eng.Clients() {
			if x.Addr == string(args[2]) {
				s.killClient(c, x)
				c.OK()
				return
			}
		}
		c.Error("ERR No such client")
		return
	}
	if len(args)%2 != 0 {
		c.Error(command.ErrSyntax)
		return
	}
	var addr, laddr, typ, user string
	var id int64
	skipMe := true
	for i := 2; i < len(args); i += 2 {
		v := args[i+1]
		switch {
		case command.EqualFold(args[i], "id"):
			n, ok := command.ParseInt(v)
			if !ok || n <= 0 {
				c.Error("ERR client-id should be greater than 0")
				return
			}
			id = n
		case command.EqualFold(args[i], "type"):
			t, ok := parseClientType(c, v)
			if !ok {
				return
			}
			typ = t
		case command.EqualFold(args[i], "addr"):
			addr = string(v)
		case command.EqualFold(args[i], "laddr"):
			laddr = string(v)
		case command.EqualFold(args[i], "user"):
			user = string(v)
			if user != "default" {
				c.Error("ERR No such user '" + user + "'")
				return
			}
		case command.EqualFold(args[i], "skipme"):
			switch {
			case command.EqualFold(v, "yes"):
				skipMe = true
			case command.EqualFold(v, "no"):
				skipMe = false
			default:
				c.Error(command.ErrSyntax)
				return
			}
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	killed := 0
	for _, x := range s.eng.Clients() {
		if addr != "" && x.Addr != addr || laddr != "" && x.LAddr != laddr || typ != "" && clientType(x) != typ ||
			user != "" && x.User != user || id != 0 && x.ID != id || skipMe && x == c {
			continue
		}
		s.killClient(c, x)
		killed++
	}
	c.W.Int(int64(killed))
}

// killClient closes x; the current client is closed after its reply.
func (s *Server) killClient(self, x *command.Client) {
	if x == self {
		x.Flags |= command.FlagCloseAfterReply
		return
	}
	x.Flags |= command.FlagCloseASAP
	if x.Kill != nil {
		x.Kill()
	}
}

func (s *Server) cmdClientPause(c *command.Client, args [][]byte) {
	ms, ok := command.ParseInt(args[2])
	if !ok {
		c.Error("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.Error("ERR timeout is negative")
		return
	}
	write := false
	if len(args) == 4 {
		switch {
		case command.EqualFold(args[3], "write"):
			write = true
		case command.EqualFold(args[3], "all"):
		default:
			c.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	} else if len(args) > 4 {
		c.Error(command.ErrSyntax)
		return
	}
	s.pause(time.Duration(ms)*time.Millisecond, write)
	c.OK()
}

func (s *Server) cmdClientUnpause(c *command.Client, args [][]byte) {
	s.unpause()
	c.OK()
}

func (s *Server) cmdClientUnblock(c *command.Client, args [][]byte) {
	id, ok := command.ParseInt(args[2])
	if !ok {
		c.Error(command.ErrNotInteger)
		return
	}
	withErr := false
	if len(args) == 4 {
		switch {
		case command.EqualFold(args[3], "timeout"):
		case command.EqualFold(args[3], "error"):
			withErr = true
		default:
			c.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	} else if len(args) > 4 {
		c.Error(command.ErrSyntax)
		return
	}
	x := s.eng.ClientByID(id)
	if x == nil || !x.Blocked() {
		c.W.Int(0)
		return
	}
	s.eng.Unblock(x, withErr)
	c.W.Int(1)
}
