package command

import "sort"

func init() {
	register(func(e *Engine) {
		flags := PubSub | NoScript | Loading | Stale
		e.Table.Add(
			&Command{Name: "subscribe", Arity: -2, Flags: flags, Group: "pubsub", Since: "2.0.0", Handler: cmdSubscribe},
			&Command{Name: "unsubscribe", Arity: -1, Flags: flags, Group: "pubsub", Since: "2.0.0", Handler: cmdUnsubscribe},
			&Command{Name: "psubscribe", Arity: -2, Flags: flags, Group: "pubsub", Since: "2.0.0", Handler: cmdPSubscribe},
			&Command{Name: "punsubscribe", Arity: -1, Flags: flags, Group: "pubsub", Since: "2.0.0", Handler: cmdPUnsubscribe},
			&Command{Name: "publish", Arity: 3, Flags: PubSub | Loading | Stale | Fast | MayReplicate, Group: "pubsub", Since: "2.0.0", Handler: cmdPublish},
			&Command{Name: "pubsub", Arity: -2, Group: "pubsub", Since: "2.8.0", Sub: map[string]*Command{
				"channels":      {Arity: -2, Flags: PubSub | Loading | Stale, Handler: cmdPubsubChannels},
				"numsub":        {Arity: -2, Flags: PubSub | Loading | Stale, Handler: cmdPubsubNumsub},
				"numpat":        {Arity: 2, Flags: PubSub | Loading | Stale, Handler: cmdPubsubNumpat},
				"shardchannels": {Arity: -2, Flags: PubSub | Loading | Stale, Handler: func(c *Client, args [][]byte) { c.W.Array(0) }},
				"shardnumsub": {Arity: -2, Flags: PubSub | Loading | Stale, Handler: func(c *Client, args [][]byte) {
					c.W.Array(2 * (len(args) - 2))
					for _, ch := range args[2:] {
						c.W.Bulk(ch)
						c.W.Int(0)
					}
				}},
				"help": {Arity: 2, Flags: Loading | Stale, Handler: helpReply("PUBSUB", pubsubHelp)},
			}},
		)
	})
}

var pubsubHelp = []string{
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
}

func (c *Client) updatePubSubFlag() {
	if c.Subscriptions() > 0 {
		c.Flags |= FlagPubSub
	} else {
		c.Flags &^= FlagPubSub
	}
}

func (c *Client) pubsubReply(kind string, name []byte, null bool) {
	c.W.Push(3)
	c.W.BulkString(kind)
	if null {
		c.W.Null()
	} else {
		c.W.Bulk(name)
	}
	c.W.Int(int64(c.Subscriptions()))
}

func cmdSubscribe(c *Client, args [][]byte) {
	if c.Flags&FlagMulti != 0 || c.Flags&FlagExecuting != 0 {
		if c.Flags&FlagExecuting != 0 {
			c.Error("ERR SUBSCRIBE isn't allowed for a DENY BLOCKING client")
			return
		}
	}
	e := c.E
	for _, ch := range args[1:] {
		name := string(ch)
		if c.subs == nil {
			c.subs = make(map[string]struct{})
		}
		if _, ok := c.subs[name]; !ok {
			c.subs[name] = struct{}{}
			m := e.channels[name]
			if m == nil {
				m = make(map[*Client]struct{})
				e.channels[name] = m
			}
			m[c] = struct{}{}
		}
		c.updatePubSubFlag()
		c.pubsubReply("subscribe", ch, false)
	}
}

func cmdPSubscribe(c *Client, args [][]byte) {
	if c.Flags&FlagExecuting != 0 {
		c.Error("ERR PSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	e := c.E
	for _, p := range args[1:] {
		name := string(p)
		if c.psubs == nil {
			c.psubs = make(map[string]struct{})
		}
		if _, ok := c.psubs[name]; !ok {
			c.psubs[name] = struct{}{}
			m := e.patterns[name]
			if m == nil {
				m = make(map[*Client]struct{})
				e.patterns[name] = m
			}
			m[c] = struct{}{}
		}
		c.updatePubSubFlag()
		c.pubsubReply("psubscribe", p, false)
	}
}

func (e *Engine) unsubscribe(c *Client, name string, reply bool) {
	if _, ok := c.subs[name]; ok {
		delete(c.subs, name)
		if m := e.channels[name]; m != nil {
			delete(m, c)
			if len(m) == 0 {
				delete(e.channels, name)
			}
		}
	}
	c.updatePubSubFlag()
	if reply {
		c.pubsubReply("unsubscribe", []byte(name), false)
	}
}

func (e *Engine) punsubscribe(c *Client, name string, reply bool) {
	if _, ok := c.psubs[name]; ok {
		delete(c.psubs, name)
		if m := e.patterns[name]; m != nil {
			delete(m, c)
			if len(m) == 0 {
				delete(e.patterns, name)
			}
		}
	}
	c.updatePubSubFlag()
	if reply {
		c.pubsubReply("punsubscribe", []byte(name), false)
	}
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unsubscribeAll drops every subscription of c, replying for each when
// reply is set (UNSUBSCRIBE and PUNSUBSCRIBE without arguments, RESET).
func (e *Engine) unsubscribeAll(c *Client, reply bool) {
	for _, name := range sortedKeys(c.subs) {
		e.unsubscribe(c, name, reply)
	}
	for _, name := range sortedKeys(c.psubs) {
		e.punsubscribe(c, name, reply)
	}
}

func cmdUnsubscribe(c *Client, args [][]byte) {
	e := c.E
	if len(args) == 1 {
		if len(c.subs) == 0 {
			c.pubsubReply("unsubscribe", nil, true)
			return
		}
		for _, name := range sortedKeys(c.subs) {
			e.unsubscribe(c, name, true)
		}
		return
	}
	for _, ch := range args[1:] {
		e.unsubscribe(c, string(ch), true)
	}
}

func cmdPUnsubscribe(c *Client, args [][]byte) {
	e := c.E
	if len(args) == 1 {
		if len(c.psubs) == 0 {
			c.pubsubReply("punsubscribe", nil, true)
			return
		}
		for _, name := range sortedKeys(c.psubs) {
			e.punsubscribe(c, name, true)
		}
		return
	}
	for _, p := range args[1:] {
		e.punsubscribe(c, string(p), true)
	}
}

// Publish delivers a message and returns the number of receivers.
func (e *Engine) Publish(channel, msg []byte) int {
	n := 0
	for sub := range e.channels[string(channel)] {
		sub.Deliver(func(w *respWriter) {
			w.Push(3)
			w.BulkString("message")
			w.Bulk(channel)
			w.Bulk(msg)
		})
		n++
	}
	for pat, subs := range e.patterns {
		if !GlobMatch([]byte(pat), channel, false) {
			continue
		}
		for sub := range subs {
			sub.Deliver(func(w *respWriter) {
				w.Push(4)
				w.BulkString("pmessage")
				w.BulkString(pat)
				w.Bulk(channel)
				w.Bulk(msg)
			})
			n++
		}
	}
	return n
}

func cmdPublish(c *Client, args [][]byte) {
	c.W.Int(int64(c.E.Publish(args[1], args[2])))
}

func cmdPubsubChannels(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.ArityError()
		return
	}
	var out []string
	for ch := range c.E.channels {
		if len(args) == 3 && !GlobMatch(args[2], []byte(ch), false) {
			continue
		}
		out = append(out, ch)
	}
	sort.Strings(out)
	c.W.Array(len(out))
	for _, ch := range out {
		c.W.BulkString(ch)
	}
}

func cmdPubsubNumsub(c *Client, args [][]byte) {
	c.W.Array(2 * (len(args) - 2))
	for _, ch := range args[2:] {
		c.W.Bulk(ch)
		c.W.Int(int64(len(c.E.channels[string(ch)])))
	}
}

func cmdPubsubNumpat(c *Client, args [][]byte) {
	c.W.Int(int64(len(c.E.patterns)))
}

// helpReply returns a HELP handler printing Redis's help layout.
func helpReply(cmd string, lines []string) Handler {
	return func(c *Client, args [][]byte) {
		all := append([]string{cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"}, lines...)
		all = append(all, "HELP", "    Prints this help.")
		c.W.Array(len(all))
		for _, l := range all {
			c.W.Simple(l)
		}
	}
}

// HelpReply is helpReply for the server's container commands.
func HelpReply(cmd string, lines []string) Handler { return helpReply(cmd, lines) }

// PubSubChannels is the number of channels with subscribers.
func (e *Engine) PubSubChannels() int { return len(e.channels) }

// PubSubPatterns is the number of subscribed patterns.
func (e *Engine) PubSubPatterns() int { return len(e.patterns) }
