package server

import (
	"strings"
	"testing"
	"time"

	"github.com/replikube/replikube/internal/redis/command"
)

func TestPubSubDelivery(t *testing.T) {
	s := startServer(t, nil)
	sub := dial(t, s)
	if got := sub.do("SUBSCRIBE", "news", "sport"); got != `["subscribe" "news" :1]` {
		t.Fatalf("subscribe = %s", got)
	}
	if got := sub.read(); got != `["subscribe" "sport" :2]` {
		t.Fatalf("second subscribe = %s", got)
	}
	psub := dial(t, s)
	psub.do("HELLO", "3")
	if got := psub.do("PSUBSCRIBE", "n*"); got != `>["psubscribe" "n*" :1]` {
		t.Fatalf("psubscribe = %s", got)
	}
	pub := dial(t, s)
	if got := pub.do("PUBLISH", "news", "hello"); got != ":2" {
		t.Fatalf("publish = %s", got)
	}
	if got := sub.read(); got != `["message" "news" "hello"]` {
		t.Fatalf("message = %s", got)
	}
	if got := psub.read(); got != `>["pmessage" "n*" "news" "hello"]` {
		t.Fatalf("pmessage = %s", got)
	}
	// RESP2 subscribers may only run the pub/sub commands, PING and QUIT.
	if got := sub.do("GET", "x"); got != "(error) ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context" {
		t.Fatalf("get in subscribe = %s", got)
	}
	if got := sub.do("PING"); got != `["pong" ""]` {
		t.Fatalf("ping in subscribe = %s", got)
	}
	// RESP3 clients keep running commands, and replies stay in order with
	// messages.
	if got := psub.do("PING"); got != "PONG" {
		t.Fatalf("resp3 ping = %s", got)
	}
	if got := pub.do("PUBSUB", "NUMSUB", "news", "none"); got != `["news" :1 "none" :0]` {
		t.Fatalf("numsub = %s", got)
	}
	if got := pub.do("PUBSUB", "NUMPAT"); got != ":1" {
		t.Fatalf("numpat = %s", got)
	}
	if got := sub.do("UNSUBSCRIBE"); !strings.HasPrefix(got, `["unsubscribe"`) {
		t.Fatalf("unsubscribe = %s", got)
	}
	sub.read()
	if got := sub.do("PING"); got != "PONG" {
		t.Fatalf("ping after unsubscribe = %s", got)
	}
}

func TestMonitor(t *testing.T) {
	s := startServer(t, nil)
	mon := dial(t, s)
	if got := mon.do("MONITOR"); got != "OK" {
		t.Fatalf("monitor = %s", got)
	}
	c := dial(t, s)
	c.do("ECHO", "a b\n")
	got := mon.read()
	if !strings.Contains(got, `[0 127.0.0.1:`) || !strings.HasSuffix(got, `] "ECHO" "a b\n"`) {
		t.Fatalf("monitor line = %s", got)
	}
}

func TestClientListKillAndName(t *testing.T) {
	s := startServer(t, nil)
	a := dial(t, s)
	b := dial(t, s)
	a.do("CLIENT", "SETNAME", "alpha")
	list := a.do("CLIENT", "LIST")
	if !strings.Contains(list, "name=alpha") || strings.Count(list, "id=") != 2 {
		t.Fatalf("client list = %s", list)
	}
	id := strings.TrimPrefix(b.do("CLIENT", "ID"), ":")
	if got := a.do("CLIENT", "KILL", "ID", id); got != ":1" {
		t.Fatalf("kill = %s", got)
	}
	_ = b.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := b.br.ReadByte(); err == nil {
		t.Fatal("killed client still connected")
	}
	if got := a.do("CLIENT", "KILL", "ID", "999999"); got != ":0" {
		t.Fatalf("kill unknown = %s", got)
	}
	if got := a.do("CLIENT", "GETNAME"); got != `"alpha"` {
		t.Fatalf("getname = %s", got)
	}
}

func TestClientReplyOffSkip(t *testing.T) {
	s := startServer(t, nil)
	c := dial(t, s)
	c.send("*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$7\r\nskipped\r\n*2\r\n$4\r\nECHO\r\n$5\r\nshown\r\n")
	if got := c.read(); got != `"shown"` {
		t.Fatalf("after skip = %s", got)
	}
	c.send("*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n")
	if got := c.read(); got != "OK" {
		t.Fatalf("reply on = %s", got)
	}
}

func TestPanicClosesOnlyThatConnection(t *testing.T) {
	s := startServer(t, nil)
	s.eng.Mu.Lock()
	s.eng.Table.Add(&command.Command{Name: "testpanic", Arity: 1, Handler: func(c *command.Client, args [][]byte) { panic("boom") }})
	s.eng.Mu.Unlock()
	bad := dial(t, s)
	good := dial(t, s)
	bad.send("*1\r\n$9\r\ntestpanic\r\n")
	_ = bad.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := bad.br.ReadByte(); err == nil {
		t.Fatal("panicking connection not closed")
	}
	if got := good.do("PING"); got != "PONG" {
		t.Fatalf("other connection: %s", got)
	}
	if got := dial(t, s).do("PING"); got != "PONG" {
		t.Fatalf("new connection: %s", got)
	}
}

func TestShutdownCommand(t *testing.T) {
	s := startServer(t, nil)
	c := dial(t, s)
	c.send("*1\r\n$8\r\nSHUTDOWN\r\n")
	select {
	case <-s.ShutdownRequested:
	case <-time.After(2 * time.Second):
		t.Fatal("SHUTDOWN did not request a shutdown")
	}
	// SHUTDOWN saved (or had nothing to save) before asking to exit: the
	// exit path must not save again.
	if s.ShutdownMode() != "nosave" {
		t.Fatalf("mode %q", s.ShutdownMode())
	}
}

func TestQueryBufferLimitClosesClient(t *testing.T) {
	s := startServer(t, func(c *Config) { c.ClientQueryBufferLimit = 1 << 20 })
	c := dial(t, s)
	// A bulk announced within proto-max-bulk-len but above the query
	// buffer limit: the client is closed once the buffer passes it.
	c.send("*2\r\n$4\r\nECHO\r\n$10000000\r\n")
	chunk := strings.Repeat("x", 64*1024)
	closed := false
	for i := 0; i < 100; i++ {
		if _, err := c.nc.Write([]byte(chunk)); err != nil {
			closed = true
			break
		}
	}
	if !closed {
		_ = c.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.br.ReadByte(); err == nil {
			t.Fatal("client over the query buffer limit not closed")
		}
	}
}

func TestRequirePass(t *testing.T) {
	s := startServer(t, func(c *Config) { c.RequirePass = "secret" })
	c := dial(t, s)
	if got := c.do("GET", "x"); got != "(error) NOAUTH Authentication required." {
		t.Fatalf("unauthenticated = %s", got)
	}
	if got := c.do("AUTH", "wrong"); got != "(error) WRONGPASS invalid username-password pair or user is disabled." {
		t.Fatalf("wrong password = %s", got)
	}
	if got := c.do("AUTH", "secret"); got != "OK" {
		t.Fatalf("auth = %s", got)
	}
	if got := c.do("PING"); got != "PONG" {
		t.Fatalf("after auth = %s", got)
	}
	c2 := dial(t, s)
	if got := c2.do("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "x"); !strings.HasPrefix(got, "{") {
		t.Fatalf("hello auth = %s", got)
	}
}

func TestProtectedMode(t *testing.T) {
	s := startServer(t, nil)
	cases := []struct {
		protected bool
		pass      string
		local     bool
		denied    bool
	}{
		{true, "", true, false},
		{true, "", false, true},
		{true, "pw", false, false},
		{false, "", false, false},
	}
	for _, tc := range cases {
		s.eng.Mu.Lock()
		s.cfg.ProtectedMode, s.cfg.RequirePass = tc.protected, tc.pass
		s.eng.Mu.Unlock()
		if got := s.deniedByProtectedMode(tc.local); got != tc.denied {
			t.Errorf("%+v: denied=%v", tc, got)
		}
	}
	if !strings.HasPrefix(protectedModeMessage, "-DENIED Redis is running in protected mode") {
		t.Fatal("message")
	}
}
