package command

import (
	"strconv"
	"testing"
)

func TestExpireErrors(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	ktStr(te, 0, "a", "1")
	ktRun(t, te, c, []ktCase{
		{"EXPIRE a 10 NX XX", "(error) ERR NX and XX, GT or LT options at the same time are not compatible"},
		{"EXPIRE a 10 nx gt", "(error) ERR NX and XX, GT or LT options at the same time are not compatible"},
		{"PEXPIRE a 10 NX LT", "(error) ERR NX and XX, GT or LT options at the same time are not compatible"},
		{"EXPIRE a 10 GT LT", "(error) ERR GT and LT options at the same time are not compatible"},
		{"EXPIRE a 10 foo", "(error) ERR Unsupported option foo"},
		{"EXPIRE nokey 10 foo", "(error) ERR Unsupported option foo"},
		{"EXPIRE a x foo", "(error) ERR Unsupported option foo"},
		{"EXPIRE a x", "(error) ERR value is not an integer or out of range"},
		{"EXPIRE a 1.5", "(error) ERR value is not an integer or out of range"},
		{"EXPIRE a 9223372036854775807", "(error) ERR invalid expire time in 'expire' command"},
		{"EXPIRE a 9223372036854775", "(error) ERR invalid expire time in 'expire' command"},
		{"EXPIRE a -9223372036854775808", "(error) ERR invalid expire time in 'expire' command"},
		{"PEXPIRE a 9223372036854775807", "(error) ERR invalid expire time in 'pexpire' command"},
		{"EXPIREAT a 9223372036854775807", "(error) ERR invalid expire time in 'expireat' command"},
		{"EXPIRE a", "(error) ERR wrong number of arguments for 'expire' command"},
		{"TTL", "(error) ERR wrong number of arguments for 'ttl' command"},
		{"PERSIST a b", "(error) ERR wrong number of arguments for 'persist' command"},
		{"TTL a", ":-1"},
	})
	ktWantProp(t, te)
}

func TestExpireAndTTL(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	now := te.now
	ktStr(te, 0, "a", "1")
	ktRun(t, te, c, []ktCase{
		{"TTL nokey", ":-2"},
		{"PTTL nokey", ":-2"},
		{"EXPIRETIME nokey", ":-2"},
		{"PEXPIRETIME nokey", ":-2"},
		{"TTL a", ":-1"},
		{"PTTL a", ":-1"},
		{"EXPIRETIME a", ":-1"},
		{"PEXPIRETIME a", ":-1"},
		{"EXPIRE nokey 10", ":0"},
		{"EXPIRE a 100", ":1"},
		{"TTL a", ":100"},
		{"PTTL a", ":100000"},
		{"EXPIRETIME a", ":" + strconv.FormatInt((now+100000)/1000, 10)},
		{"PEXPIRETIME a", ":" + strconv.FormatInt(now+100000, 10)},
		{"PEXPIRE a 1500", ":1"},
		{"TTL a", ":2"}, // rounded to the nearest second
		{"PEXPIRE a 1499", ":1"},
		{"TTL a", ":1"},
		{"PEXPIREAT a " + strconv.FormatInt(now+60400, 10), ":1"},
		{"EXPIRETIME a", ":" + strconv.FormatInt((now+60400+500)/1000, 10)},
		{"EXPIREAT a " + strconv.FormatInt(now/1000+50, 10), ":1"},
		{"PEXPIRETIME a", ":" + strconv.FormatInt((now/1000+50)*1000, 10)},
		{"PEXPIREAT a 9223372036854775807", ":1"},
		{"EXPIRETIME a", ":9223372036854776"},
		{"PERSIST a", ":1"},
		{"PERSIST a", ":0"},
		{"PERSIST nokey", ":0"},
		{"TTL a", ":-1"},
	})
	ktWantProp(t, te,
		"PEXPIREAT a "+strconv.FormatInt(now+100000, 10),
		"PEXPIREAT a "+strconv.FormatInt(now+1500, 10),
		"PEXPIREAT a "+strconv.FormatInt(now+1499, 10),
		"PEXPIREAT a "+strconv.FormatInt(now+60400, 10),
		"PEXPIREAT a "+strconv.FormatInt((now/1000+50)*1000, 10),
		"PEXPIREAT a 9223372036854775807",
		"PERSIST a",
	)
}

func TestExpireConditions(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	now := te.now
	at := func(ms int64) string { return strconv.FormatInt(now+ms, 10) }
	ktStr(te, 0, "k", "v")
	ktRun(t, te, c, []ktCase{
		{"EXPIRE k 100 XX", ":0"}, // no TTL yet
		{"EXPIRE k 100 GT", ":0"}, // no TTL is infinite
		{"EXPIRE k 100 LT", ":1"},
		{"EXPIRE k 200 NX", ":0"},
		{"EXPIRE k 200 LT", ":0"},
		{"EXPIRE k 100 GT", ":0"}, // equal is not greater
		{"EXPIRE k 200 gt", ":1"},
		{"EXPIRE k 50 xx lt", ":1"},
		{"EXPIRE k 50 nx nx", ":0"},
		{"PTTL k", ":50000"},
	})
	ktWantProp(t, te, "PEXPIREAT k "+at(100000)+" LT", "PEXPIREAT k "+at(200000)+" gt", "PEXPIREAT k "+at(50000)+" xx lt")
	// LT with no TTL and a past time deletes the key.
	ktStr(te, 0, "p", "v")
	ktRun(t, te, c, []ktCase{{"EXPIRE p -5 GT", ":0"}, {"EXPIRE p -5 LT", ":1"}, {"EXISTS p", ":0"}})
	ktWantProp(t, te, "DEL p")
}

func TestExpireInThePastDeletes(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	for _, cmd := range []string{"EXPIRE k -1", "PEXPIRE k 0", "EXPIREAT k 1", "PEXPIREAT k " + strconv.FormatInt(te.now, 10)} {
		ktStr(te, 0, "k", "v")
		w := te.client()
		ktRun(t, te, w, []ktCase{{"WATCH k", "OK"}, {"MULTI", "OK"}, {"PING", "QUEUED"}})
		ktRun(t, te, c, []ktCase{{cmd, ":1"}, {"EXISTS k", ":0"}})
		ktRun(t, te, w, []ktCase{{"EXEC", "nil"}})
		ktWantProp(t, te, "DEL k")
	}
	// A replica keeps the key with its past expiry and waits for the DEL.
	te.e.KS.Replica = true
	ktStr(te, 0, "k", "v")
	ktRun(t, te, c, []ktCase{{"PEXPIREAT k 5", ":1"}, {"EXISTS k", ":0"}})
	if e := te.e.KS.DBs[0].Peek([]byte("k")); e == nil || e.Val.Expire != 5 {
		t.Errorf("replica entry %+v", e)
	}
	ktWantProp(t, te, "PEXPIREAT k 5")
}

// TestLazyExpiry: a key past its expiry is invisible to every reader and
// deleted (and DEL propagated) on access.
func TestLazyExpiry(t *testing.T) {
	te := newTestEnv(t)
	c := te.client()
	c3 := ktClient3(te)
	ktStr(te, 0, "k", "v")
	ktRun(t, te, c, []ktCase{{"PEXPIRE k 100", ":1"}, {"EXISTS k", ":1"}})
	ktProp(te)
	te.now += 99
	ktRun(t, te, c, []ktCase{{"PTTL k", ":1"}, {"TTL k", ":0"}})
	te.now++
	ktRun(t, te, c, []ktCase{
		{"KEYS *", "[]"},
		{"DBSIZE", ":1"}, // still in the table, as in Redis
		{"RANDOMKEY", "nil"},
	})
	ktRun(t, te, c3, []ktCase{{"OBJECT ENCODING k", "nil"}})
	ktWantProp(t, te, "DEL k")
	for _, tc := range []ktCase{
		{"EXISTS k", ":0"}, {"TTL k", ":-2"}, {"PTTL k", ":-2"}, {"EXPIRETIME k", ":-2"}, {"TYPE k", "none"},
		{"EXPIRE k 10", ":0"}, {"PERSIST k", ":0"}, {"DEL k", ":0"}, {"RENAME k x", "(error) ERR no such key"},
		{"MOVE k 1", ":0"}, {"COPY k x", ":0"}, {"TOUCH k", ":0"}, {"SORT k", "[]"},
	} {
		ktStr(te, 0, "k", "v")
		ktExpireAt(te, 0, "k", te.now)
		ktRun(t, te, c, []ktCase{tc})
		ktWantProp(t, te, "DEL k")
	}
}
