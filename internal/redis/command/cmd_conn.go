package command

func init() {
	register(func(e *Engine) {
		e.Table.Add(
			&Command{Name: "ping", Arity: -1, Flags: Fast, Group: "connection", Since: "1.0.0", Handler: cmdPing},
			&Command{Name: "echo", Arity: 2, Flags: Fast | Stale | Loading, Group: "connection", Since: "1.0.0", Handler: cmdEcho},
			&Command{Name: "select", Arity: 2, Flags: Loading | Stale | Fast, Group: "connection", Since: "1.0.0", Handler: cmdSelect},
			&Command{Name: "auth", Arity: -2, Flags: NoScript | Loading | Stale | Fast | NoAuth | SkipMonitor | SkipSlowlog | AllowBusy, Group: "connection", Since: "1.0.0", Handler: cmdAuth},
			&Command{Name: "hello", Arity: -1, Flags: NoScript | Loading | Stale | Fast | NoAuth | SkipMonitor | SkipSlowlog | AllowBusy, Group: "connection", Since: "6.0.0", Handler: cmdHello},
			&Command{Name: "reset", Arity: 1, Flags: NoScript | Loading | Stale | Fast | NoAuth | AllowBusy, Group: "connection", Since: "6.2.0", Handler: cmdReset},
			&Command{Name: "quit", Arity: -1, Flags: NoScript | Loading | Stale | Fast | NoAuth | AllowBusy, Group: "connection", Since: "1.0.0", Handler: cmdQuit},
		)
	})
}

func cmdPing(c *Client, args [][]byte) {
	if len(args) > 2 {
		c.ArityError()
		return
	}
	if c.Flags&FlagPubSub != 0 && c.W.Proto == 2 {
		c.W.Array(2)
		c.W.BulkString("pong")
		if len(args) == 2 {
			c.W.Bulk(args[1])
		} else {
			c.W.BulkString("")
		}
		return
	}
	if len(args) == 2 {
		c.W.Bulk(args[1])
		return
	}
	c.W.Simple("PONG")
}

func cmdEcho(c *Client, args [][]byte) { c.W.Bulk(args[1]) }

// errIntRange is Redis's getIntFromObjectOrReply error for an integer
// outside the C int range.
const errIntRange = "ERR value is out of range, value must between -2147483648 and 2147483647"

func cmdSelect(c *Client, args [][]byte) {
	id, ok := ParseInt(args[1])
	if !ok {
		c.Error(ErrNotInteger)
		return
	}
	if id < -1<<31 || id > 1<<31-1 {
		c.Error(errIntRange)
		return
	}
	if !c.SelectDB(int(id)) {
		c.Error(ErrDBIndex)
		return
	}
	c.OK()
}

// checkPassword validates AUTH credentials against requirepass (the
// default user is the only user).
func (c *Client) checkPassword(user, pass []byte) bool {
	rp := c.E.Cfg.RequirePass
	if user != nil && string(user) != "default" {
		return false
	}
	if rp == "" {
		return true
	}
	return string(pass) == rp
}

func cmdAuth(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	var user, pass []byte
	if len(args) == 2 {
		pass = args[1]
		if c.E.Cfg.RequirePass == "" {
			c.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
	} else {
		user, pass = args[1], args[2]
	}
	if !c.checkPassword(user, pass) {
		c.Error(ErrWrongPass)
		return
	}
	c.Authed = true
	c.OK()
}

// ServerVersion is the Redis version Replikube answers as.
const ServerVersion = "7.0.15"

func cmdHello(c *Client, args [][]byte) {
	ver := int64(c.W.Proto)
	i := 1
	if len(args) >= 2 {
		v, ok := ParseInt(args[1])
		if !ok {
			c.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.Error("NOPROTO unsupported protocol version")
			return
		}
		ver = v
		i = 2
	}
	var name []byte
	authed := false
	for ; i < len(args); i++ {
		more := len(args) - i - 1
		switch {
		case EqualFold(args[i], "auth") && more >= 2:
			if !c.checkPassword(args[i+1], args[i+2]) {
				c.Error(ErrWrongPass)
				return
			}
			authed = true
			i += 2
		case EqualFold(args[i], "setname") && more >= 1:
			name = args[i+1]
			if !validClientName(name) {
				c.Error("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			i++
		default:
			c.Error("ERR Syntax error in HELLO option '" + string(args[i]) + "'")
			return
		}
	}
	if authed {
		c.Authed = true
	}
	if !c.Authed {
		c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if name != nil {
		c.Name = string(name)
	}
	c.W.Proto = int(ver)
	role := "master"
	if c.E.Role != nil {
		role = c.E.Role()
	}
	c.W.Map(7)
	c.W.BulkString("server")
	c.W.BulkString("redis")
	c.W.BulkString("version")
	c.W.BulkString(ServerVersion)
	c.W.BulkString("proto")
	c.W.Int(ver)
	c.W.BulkString("id")
	c.W.Int(c.ID)
	c.W.BulkString("mode")
	c.W.BulkString("standalone")
	c.W.BulkString("role")
	c.W.BulkString(role)
	c.W.BulkString("modules")
	c.W.Array(0)
}

// validClientName accepts printable ASCII without spaces (CLIENT SETNAME).
func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

// ValidClientName is validClientName for the server's CLIENT SETNAME.
func ValidClientName(b []byte) bool { return validClientName(b) }

func cmdReset(c *Client, args [][]byte) {
	e := c.E
	if c.InMulti() {
		c.discardTransaction()
	}
	e.unwatchAll(c)
	e.unsubscribeAll(c, false)
	e.removeMonitor(c)
	c.Flags &^= FlagMonitor | FlagReplyOff | FlagReplySkip | FlagReplySkipNext | FlagNoEvict | FlagNoTouch | FlagDirtyCAS | FlagDirtyExec | FlagPubSub
	c.SelectDB(0)
	c.W.Proto = 2
	c.Name = ""
	c.Authed = e.Cfg.RequirePass == ""
	c.W.Simple("RESET")
}

func cmdQuit(c *Client, args [][]byte) {
	c.Flags |= FlagCloseAfterReply
	c.OK()
}
