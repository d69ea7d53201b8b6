package command

import (
	"sort"
	"strings"
	"sync"
)

func init() {
	register(func(e *Engine) {
		flags := PubSub | NoScript | Loading | Stale
		e.Table.Add(
			&Command{Name: "subscribe", Arity: -2, Flags: flags, Group: "pubsub", Since: "2.0.0", Handler: cmdSubscribe},
			&Command{Name: "unsubscribe", Arity: -1, Flags: flags, Group: "pubsub", Since: "2.0.0", Handler: cmdUnsubscribe},
			&Command{Name: "psubscribe", Arity: -2, Flags: flags, Group: "pubsub", Since: "2.0.0", Handler: cmdPSubscribe},
			&Command{Name: "punsubscribe", Arity: -1, Flags: flags, Group: "pubsub", Since: "2.0.0", Handler: cmdPUnsubscribe},
			&Command{Name: "ssubscribe", Arity: -2, Flags: flags, Keys: KeySpec{1, -1, 1}, Group: "pubsub", Since: "7.0.0", Handler: cmdSSubscribe},
			&Command{Name: "sunsubscribe", Arity: -1, Flags: flags, Keys: KeySpec{1, -1, 1}, Group: "pubsub", Since: "7.0.0", Handler: cmdSUnsubscribe},
			&Command{Name: "publish", Arity: 3, Flags: PubSub | Loading | Stale | Fast | MayReplicate, Group: "pubsub", Since: "2.0.0", Handler: cmdPublish},
			&Command{Name: "spublish", Arity: 3, Flags: PubSub | Loading | Stale | Fast | MayReplicate, Keys: KeySpec{1, 1, 1}, Group: "pubsub", Since: "7.0.0", Handler: cmdSPublish},
			&Command{Name: "pubsub", Arity: -2, Group: "pubsub", Since: "2.8.0", Sub: map[string]*Command{
				"channels":      {Arity: -2, Flags: PubSub | Loading | Stale, Handler: cmdPubsubChannels},
				"numsub":        {Arity: -2, Flags: PubSub | Loading | Stale, Handler: cmdPubsubNumsub},
				"numpat":        {Arity: 2, Flags: PubSub | Loading | Stale, Handler: cmdPubsubNumpat},
				"shardchannels": {Arity: -2, Flags: PubSub | Loading | Stale, Handler: cmdPubsubShardChannels},
				"shardnumsub":   {Arity: -2, Flags: PubSub | Loading | Stale, Handler: cmdPubsubShardNumsub},
				"help":          {Arity: 2, Flags: Loading | Stale, Handler: helpReply("PUBSUB", pubsubHelp)},
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

// shardPubSub is the sharded pub/sub state (SSUBSCRIBE, SPUBLISH) of one
// engine. Engine and Client have no fields for it, so it lives in a side
// table keyed by engine, created on the first SSUBSCRIBE and dropped when
// the last shard subscription goes. It is guarded by the engine lock.
type shardPubSub struct {
	channels map[string]map[*Client]struct{}
	clients  map[*Client]map[string]struct{}
}

var shardStates sync.Map // *Engine -> *shardPubSub

func (e *Engine) shardState(create bool) *shardPubSub {
	if v, ok := shardStates.Load(e); ok {
		return v.(*shardPubSub)
	}
	if !create {
		return nil
	}
	st := &shardPubSub{channels: make(map[string]map[*Client]struct{}), clients: make(map[*Client]map[string]struct{})}
	shardStates.Store(e, st)
	return st
}

// shardSubs is the set of shard channels c is subscribed to (nil if none).
func (c *Client) shardSubs() map[string]struct{} {
	if st := c.E.shardState(false); st != nil {
		return st.clients[c]
	}
	return nil
}

// ShardChannelCount is the number of shard channels c is subscribed to.
func (c *Client) ShardChannelCount() int { return len(c.shardSubs()) }

// PubSubShardChannels is the number of shard channels with subscribers.
func (e *Engine) PubSubShardChannels() int {
	if st := e.shardState(false); st != nil {
		return len(st.channels)
	}
	return 0
}

func (c *Client) updatePubSubFlag() {
	if c.Subscriptions()+c.ShardChannelCount() > 0 {
		c.Flags |= FlagPubSub
	} else {
		c.Flags &^= FlagPubSub
	}
}

// pubsubReply writes a (un)subscribe confirmation: kind, the channel (null
// bulk when nil) and the count of subscriptions of that family.
func (c *Client) pubsubReply(kind string, name []byte, count int) {
	c.W.Push(3)
	c.W.BulkString(kind)
	if name == nil {
		c.W.Null()
	} else {
		c.W.Bulk(name)
	}
	c.W.Int(int64(count))
}

// addSub subscribes c to name in a server table (channel -> clients) and
// in c's own set.
func addSub(server map[string]map[*Client]struct{}, mine *map[string]struct{}, c *Client, name string) {
	if *mine == nil {
		*mine = make(map[string]struct{})
	}
	if _, ok := (*mine)[name]; ok {
		return
	}
	(*mine)[name] = struct{}{}
	m := server[name]
	if m == nil {
		m = make(map[*Client]struct{})
		server[name] = m
	}
	m[c] = struct{}{}
}

// delSub is the reverse of addSub.
func delSub(server map[string]map[*Client]struct{}, mine map[string]struct{}, c *Client, name string) {
	if _, ok := mine[name]; !ok {
		return
	}
	delete(mine, name)
	if m := server[name]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(server, name)
		}
	}
}

// SUBSCRIBE and PSUBSCRIBE are allowed inside MULTI/EXEC (Redis keeps
// this for backward compatibility); SSUBSCRIBE is not.
func cmdSubscribe(c *Client, args [][]byte) {
	for _, ch := range args[1:] {
		addSub(c.E.channels, &c.subs, c, string(ch))
		c.pubsubReply("subscribe", ch, c.Subscriptions())
	}
	c.updatePubSubFlag()
}

func cmdPSubscribe(c *Client, args [][]byte) {
	for _, p := range args[1:] {
		addSub(c.E.patterns, &c.psubs, c, string(p))
		c.pubsubReply("psubscribe", p, c.Subscriptions())
	}
	c.updatePubSubFlag()
}

func cmdSSubscribe(c *Client, args [][]byte) {
	if c.Flags&FlagExecuting != 0 {
		c.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	st := c.E.shardState(true)
	mine := st.clients[c]
	for _, ch := range args[1:] {
		addSub(st.channels, &mine, c, string(ch))
		st.clients[c] = mine
		c.pubsubReply("ssubscribe", ch, len(mine))
	}
	c.updatePubSubFlag()
}

func (e *Engine) unsubscribe(c *Client, name string, reply bool) {
	delSub(e.channels, c.subs, c, name)
	if reply {
		c.pubsubReply("unsubscribe", []byte(name), c.Subscriptions())
	}
}

func (e *Engine) punsubscribe(c *Client, name string, reply bool) {
	delSub(e.patterns, c.psubs, c, name)
	if reply {
		c.pubsubReply("punsubscribe", []byte(name), c.Subscriptions())
	}
}

func (e *Engine) sunsubscribe(c *Client, name string, reply bool) {
	st := e.shardState(false)
	if st != nil {
		if mine := st.clients[c]; mine != nil {
			delSub(st.channels, mine, c, name)
			if len(mine) == 0 {
				delete(st.clients, c)
			}
		}
		if len(st.clients) == 0 {
			shardStates.Delete(e)
		}
	}
	if reply {
		c.pubsubReply("sunsubscribe", []byte(name), c.ShardChannelCount())
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
// reply is set (RESET and disconnection pass false).
func (e *Engine) unsubscribeAll(c *Client, reply bool) {
	for _, name := range sortedKeys(c.subs) {
		e.unsubscribe(c, name, reply)
	}
	for _, name := range sortedKeys(c.psubs) {
		e.punsubscribe(c, name, reply)
	}
	for _, name := range sortedKeys(c.shardSubs()) {
		e.sunsubscribe(c, name, reply)
	}
	c.updatePubSubFlag()
}

// unsubscribeCmd is the body of UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE:
// without arguments it leaves every subscription of the family (one
// reply with a null channel when there is none).
func unsubscribeCmd(c *Client, args [][]byte, kind string, mine map[string]struct{}, count func() int, drop func(c *Client, name string, reply bool)) {
	if len(args) == 1 {
		if len(mine) == 0 {
			c.pubsubReply(kind, nil, count())
		}
		for _, name := range sortedKeys(mine) {
			drop(c, name, true)
		}
	}
	for _, ch := range args[1:] {
		drop(c, string(ch), true)
	}
	c.updatePubSubFlag()
}

func cmdUnsubscribe(c *Client, args [][]byte) {
	unsubscribeCmd(c, args, "unsubscribe", c.subs, c.Subscriptions, c.E.unsubscribe)
}

func cmdPUnsubscribe(c *Client, args [][]byte) {
	unsubscribeCmd(c, args, "punsubscribe", c.psubs, c.Subscriptions, c.E.punsubscribe)
}

func cmdSUnsubscribe(c *Client, args [][]byte) {
	unsubscribeCmd(c, args, "sunsubscribe", c.shardSubs(), c.ShardChannelCount, c.E.sunsubscribe)
}

// Publish delivers a message and returns the number of receivers.
func (e *Engine) Publish(channel, msg []byte) int {
	n := deliverMessage(e.channels[string(channel)], "message", channel, msg)
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

func deliverMessage(subs map[*Client]struct{}, kind string, channel, msg []byte) int {
	for sub := range subs {
		sub.Deliver(func(w *respWriter) {
			w.Push(3)
			w.BulkString(kind)
			w.Bulk(channel)
			w.Bulk(msg)
		})
	}
	return len(subs)
}

func cmdPublish(c *Client, args [][]byte) {
	c.W.Int(int64(c.E.Publish(args[1], args[2])))
}

func cmdSPublish(c *Client, args [][]byte) {
	n := 0
	if st := c.E.shardState(false); st != nil {
		n = deliverMessage(st.channels[string(args[1])], "smessage", args[1], args[2])
	}
	c.W.Int(int64(n))
}

// pubsubSyntaxError is Redis's addReplySubcommandSyntaxError.
func pubsubSyntaxError(c *Client, args [][]byte) {
	c.Error("ERR unknown subcommand or wrong number of arguments for '" + string(limit(args[1], 128)) + "'. Try " + strings.ToUpper(string(args[0])) + " HELP.")
}

func channelList(c *Client, args [][]byte, channels map[string]map[*Client]struct{}) {
	if len(args) > 3 {
		pubsubSyntaxError(c, args)
		return
	}
	var out []string
	for ch := range channels {
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

func numSub(c *Client, args [][]byte, channels map[string]map[*Client]struct{}) {
	c.W.Array(2 * (len(args) - 2))
	for _, ch := range args[2:] {
		c.W.Bulk(ch)
		c.W.Int(int64(len(channels[string(ch)])))
	}
}

func cmdPubsubShardChannels(c *Client, args [][]byte) {
	var channels map[string]map[*Client]struct{}
	if st := c.E.shardState(false); st != nil {
		channels = st.channels
	}
	channelList(c, args, channels)
}

func cmdPubsubShardNumsub(c *Client, args [][]byte) {
	var channels map[string]map[*Client]struct{}
	if st := c.E.shardState(false); st != nil {
		channels = st.channels
	}
	numSub(c, args, channels)
}

func cmdPubsubChannels(c *Client, args [][]byte) { channelList(c, args, c.E.channels) }

func cmdPubsubNumsub(c *Client, args [][]byte) { numSub(c, args, c.E.channels) }

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
