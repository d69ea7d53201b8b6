package command

import (
	"testing"
)

// bufSink collects the messages delivered to a client.
type bufSink struct{ out []byte }

func (s *bufSink) Deliver(b []byte) { s.out = append(s.out, b...) }

func (s *bufSink) take() string {
	out := string(s.out)
	s.out = s.out[:0]
	return out
}

func TestShardPubSub(t *testing.T) {
	te := newTestEnv(t)
	pub, sub := te.client(), te.client()
	sink := &bufSink{}
	sub.Sink = sink
	steps := []struct {
		c    *Client
		args []string
		want string
	}{
		{sub, []string{"ssubscribe", "a", "a", "b"}, "*3\r\n$10\r\nssubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$10\r\nssubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$10\r\nssubscribe\r\n$1\r\nb\r\n:2\r\n"},
		// shard subscriptions are counted apart from channels and patterns
		{sub, []string{"subscribe", "c"}, "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"},
		{sub, []string{"get", "x"}, "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"},
		{pub, []string{"pubsub", "shardchannels"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{pub, []string{"pubsub", "shardchannels", "b*"}, "*1\r\n$1\r\nb\r\n"},
		{pub, []string{"pubsub", "shardchannels", "a", "b"}, "-ERR unknown subcommand or wrong number of arguments for 'shardchannels'. Try PUBSUB HELP.\r\n"},
		{pub, []string{"pubsub", "channels", "a", "b"}, "-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.\r\n"},
		{pub, []string{"pubsub", "shardnumsub", "a", "z"}, "*4\r\n$1\r\na\r\n:1\r\n$1\r\nz\r\n:0\r\n"},
		{pub, []string{"pubsub", "numsub", "a"}, "*2\r\n$1\r\na\r\n:0\r\n"},
		{pub, []string{"spublish", "a", "hi"}, ":1\r\n"},
		{pub, []string{"publish", "a", "not shard"}, ":0\r\n"},
		{pub, []string{"spublish", "c", "not channel"}, ":0\r\n"},
		{sub, []string{"sunsubscribe", "b", "z"}, "*3\r\n$12\r\nsunsubscribe\r\n$1\r\nb\r\n:1\r\n*3\r\n$12\r\nsunsubscribe\r\n$1\r\nz\r\n:1\r\n"},
		{sub, []string{"sunsubscribe"}, "*3\r\n$12\r\nsunsubscribe\r\n$1\r\na\r\n:0\r\n"},
		{sub, []string{"sunsubscribe"}, "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"},
		{sub, []string{"unsubscribe"}, "*3\r\n$11\r\nunsubscribe\r\n$1\r\nc\r\n:0\r\n"},
		{sub, []string{"get", "x"}, "$-1\r\n"},
		{pub, []string{"pubsub", "shardchannels"}, "*0\r\n"},
	}
	for _, st := range steps {
		if got := te.do(st.c, st.args...); got != st.want {
			t.Errorf("%v = %q, want %q", st.args, got, st.want)
		}
	}
	if got, want := sink.take(), "*3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"; got != want {
		t.Errorf("delivered %q, want %q", got, want)
	}
	if _, ok := shardStates.Load(te.e); ok {
		t.Error("shard state kept after the last SUNSUBSCRIBE")
	}
	// Disconnection and RESET drop shard subscriptions.
	te.do(sub, "ssubscribe", "x")
	te.e.RemoveClient(sub)
	if got := te.do(pub, "pubsub", "shardnumsub", "x"); got != "*2\r\n$1\r\nx\r\n:0\r\n" {
		t.Errorf("after disconnect: %q", got)
	}
	c := te.client()
	te.do(c, "ssubscribe", "y")
	if got := te.do(c, "reset"); got != "+RESET\r\n" {
		t.Errorf("RESET = %q", got)
	}
	if c.Flags&FlagPubSub != 0 || c.ShardChannelCount() != 0 || te.e.PubSubShardChannels() != 0 {
		t.Error("RESET left shard subscriptions")
	}
}

// SUBSCRIBE and PSUBSCRIBE run inside MULTI/EXEC; SSUBSCRIBE does not.
func TestSubscribeInMulti(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	for _, st := range []struct{ args, want string }{
		{"multi", "+OK\r\n"},
		{"subscribe a", "+QUEUED\r\n"},
		{"psubscribe p*", "+QUEUED\r\n"},
		{"ssubscribe s", "+QUEUED\r\n"},
		{"exec", "*3\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:2\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"},
		{"punsubscribe", "*3\r\n$12\r\npunsubscribe\r\n$2\r\np*\r\n:1\r\n"},
		{"unsubscribe a", "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n"},
		{"get a", "$-1\r\n"},
	} {
		if got := te.do(c, splitScriptLine(t, st.args)...); got != st.want {
			t.Errorf("%s = %q, want %q", st.args, got, st.want)
		}
	}
}

func TestSelectRange(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	for _, st := range []struct{ args, want string }{
		{"select 2147483647", "(error) ERR DB index is out of range"},
		{"select 2147483648", "(error) ERR value is out of range, value must between -2147483648 and 2147483647"},
		{"select -2147483649", "(error) ERR value is out of range, value must between -2147483648 and 2147483647"},
		{"select -2147483648", "(error) ERR DB index is out of range"},
		{"select 9223372036854775808", "(error) ERR value is not an integer or out of range"},
		{"select 15", "OK"},
	} {
		if got := te.run(c, splitScriptLine(t, st.args)...); got != st.want {
			t.Errorf("%s = %s, want %s", st.args, got, st.want)
		}
	}
}
