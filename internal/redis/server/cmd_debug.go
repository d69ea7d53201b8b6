package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/keyspace"
)

const debugNotAllowed = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."

// debugAllowed applies enable-debug-command.
func (s *Server) debugAllowed(c *command.Client) bool {
	return allowProtectedAction(s.cfg.EnableDebugCommand, c)
}

// debugUsage is Redis's reply to an unknown DEBUG subcommand or a known one
// with the wrong number of arguments.
func debugUsage(c *command.Client, args [][]byte) {
	c.Error("ERR unknown subcommand or wrong number of arguments for '" + string(args[1]) + "'. Try DEBUG HELP.")
}

func (s *Server) cmdDebug(c *command.Client, args [][]byte) {
	if !s.debugAllowed(c) {
		c.Error(debugNotAllowed)
		return
	}
	sub := strings.ToLower(string(args[1]))
	if h, ok := s.DebugHooks[sub]; ok {
		h(c, args)
		return
	}
	switch sub {
	case "help":
		if len(args) != 2 {
			debugUsage(c, args)
			return
		}
		command.HelpReply("DEBUG", []string{
			"CHANGE-REPL-ID", "    Change the replication IDs of the instance.",
			"DIGEST", "    Output a hex signature representing the current DB content.",
			"DIGEST-VALUE <key> [<key> ...]", "    Output a hex signature of the values of all the specified keys.",
			"ERROR <string>", "    Return a Redis protocol error with <string> as message.",
			"LOG <message>", "    Write <message> to the server log.",
			"OBJECT <key>", "    Show low level info about the `key` and associated value.",
			"POPULATE <count> [<prefix>] [<size>]", "    Create <count> string keys named key:<num>. If <prefix> is specified then",
			"    it is used instead of the 'key' prefix. These are not propagated to",
			"    replicas. Cluster slots are not respected so keys not belonging to the",
			"    current node can be created in cluster mode.",
			"PROTOCOL <type>", "    Reply with a test value of the specified type.",
			"RELOAD [option value]...", "    Save the RDB on disk and reload it back to memory.",
			"SET-ACTIVE-EXPIRE <0|1>", "    Setting it to 0 disables expiring keys in background when they are not accessed.",
			"SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed.",
		})(c, args)
	case "sleep":
		if len(args) != 3 {
			debugUsage(c, args)
			return
		}
		// Redis reads the value with strtod and ignores garbage (0 s).
		secs, _ := command.ParseFloat(args[2])
		// Redis sleeps holding its only thread: so do we, holding the lock.
		time.Sleep(time.Duration(secs * float64(time.Second)))
		c.OK()
	case "set-active-expire":
		if len(args) != 3 {
			debugUsage(c, args)
			return
		}
		// atoi semantics: anything that is not a number is 0.
		v, _ := command.ParseInt(args[2])
		s.activeExpire.Store(v != 0)
		c.OK()
	case "log":
		if len(args) != 3 {
			debugUsage(c, args)
			return
		}
		s.log.Warningf("DEBUG LOG: %s", args[2])
		c.OK()
	case "error":
		if len(args) != 3 {
			debugUsage(c, args)
			return
		}
		c.Error(string(args[2]))
	case "populate":
		s.debugPopulate(c, args)
	case "object":
		if len(args) != 3 {
			debugUsage(c, args)
			return
		}
		e := c.DB.LookupReadNoTouch(args[2])
		if e == nil {
			c.Error(command.ErrNoSuchKey)
			return
		}
		v := e.Val.Val
		extra := ""
		if v.Kind() == keyspace.KindList {
			extra = " ql_nodes:1 ql_avg_node:1.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:0"
		}
		c.W.Simple(fmt.Sprintf("Value at:%p refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s",
			v, v.Encoding(), v.MemUsage(), e.Val.LRU, s.ks.IdleSeconds(&e.Val), extra))
	case "digest":
		c.W.Simple(s.digest())
	case "digest-value":
		c.W.Array(len(args) - 2)
		for _, k := range args[2:] {
			e := c.DB.LookupReadNoTouch(k)
			if e == nil {
				c.W.Simple(strings.Repeat("0", 40))
				continue
			}
			c.W.Simple(valueDigest(&e.Val))
		}
	case "protocol":
		if len(args) != 3 {
			debugUsage(c, args)
			return
		}
		debugProtocol(c, strings.ToLower(string(args[2])))
	case "listpack", "quicklist":
		if len(args) < 3 {
			debugUsage(c, args)
			return
		}
		if c.DB.LookupReadNoTouch(args[2]) == nil {
			c.Error(command.ErrNoSuchKey)
			return
		}
		c.W.Simple("Listpack structure printed on stdout")
	case "quicklist-packed-threshold":
		if len(args) != 3 {
			debugUsage(c, args)
			return
		}
		if v, ok := memToULL(string(args[2])); !ok || v <= 1 || v >= 4<<30 {
			c.Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
			return
		}
		c.OK()
	case "stringmatch-len", "pause-cron", "replybuffer", "dict-resizing":
		if len(args) < 3 {
			debugUsage(c, args)
			return
		}
		c.OK()
	case "jmap":
		c.OK()
	default:
		debugUsage(c, args)
	}
}

func debugProtocol(c *command.Client, name string) {
	switch name {
	case "string":
		c.W.BulkString("Hello World")
	case "integer":
		c.W.Int(12345)
	case "double":
		c.W.Double(3.141)
	case "bignum":
		if c.W.Proto >= 3 {
			c.W.Raw([]byte("(1234567999999999999999999999999999999\r\n"))
		} else {
			c.W.BulkString("1234567999999999999999999999999999999")
		}
	case "null":
		c.W.Null()
	case "array":
		c.W.Array(3)
		for i := int64(0); i < 3; i++ {
			c.W.Int(i)
		}
	case "set":
		c.W.Set(3)
		for i := int64(0); i < 3; i++ {
			c.W.Int(i)
		}
	case "map":
		c.W.Map(3)
		for i := int64(0); i < 3; i++ {
			c.W.Int(i)
			c.W.Bool(i == 1)
		}
	case "attrib":
		if c.W.Proto >= 3 {
			c.W.Raw([]byte("|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"))
		}
		c.W.BulkString("Some real reply following the attribute")
	case "push":
		if c.W.Proto < 3 {
			c.Error("ERR RESP2 is not supported by this command")
			return
		}
		c.W.Push(2)
		c.W.BulkString("server-cpu-usage")
		c.W.Int(42)
		c.W.BulkString("Some real reply following the push reply")
	case "true":
		c.W.Bool(true)
	case "false":
		c.W.Bool(false)
	case "verbatim":
		c.W.Verbatim("txt", "This is a verbatim\nstring")
	default:
		c.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// debugPopulate is DEBUG POPULATE count [prefix] [size]: string keys
// prefix:N holding value:N (zero-padded or cut to size), skipping keys
// that exist; like Redis, not propagated to replicas.
func (s *Server) debugPopulate(c *command.Client, args [][]byte) {
	if len(args) < 3 || len(args) > 5 {
		debugUsage(c, args)
		return
	}
	positive := func(b []byte) (int64, bool) {
		// Redis says the same of a non-number.
		v, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil || v < 0 {
			c.Error("ERR value is out of range, must be positive")
			return 0, false
		}
		return v, true
	}
	keys, ok := positive(args[2])
	if !ok {
		return
	}
	var size int64
	if len(args) == 5 {
		if size, ok = positive(args[4]); !ok {
			return
		}
	}
	prefix := []byte("key")
	if len(args) >= 4 {
		prefix = args[3]
	}
	var key, val []byte
	for j := int64(0); j < keys; j++ {
		key = strconv.AppendInt(append(append(key[:0], prefix...), ':'), j, 10)
		if c.DB.LookupWrite(key) != nil {
			continue
		}
		val = strconv.AppendInt(append(val[:0], "value:"...), j, 10)
		v := append([]byte(nil), val...)
		if size > 0 {
			v = make([]byte, size)
			copy(v, val)
		}
		c.DB.Add(append([]byte(nil), key...), keyspace.NewString(v))
	}
	c.OK()
}
