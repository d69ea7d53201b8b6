package keyspace

import "testing"

// FixTime holds the clock reading for a command and what it nests: a key
// that expires meanwhile stays for the rest of the command.
func TestFixTime(t *testing.T) {
	now := int64(10_000)
	ks := New(1, func() int64 { return now })
	db := ks.DBs[0]
	e := db.Set([]byte("k"), NewString([]byte("v")), false)
	db.SetExpire(e, 10_500)

	ks.FixTime()
	now = 11_000
	if got := ks.Now(); got != 10_000 {
		t.Fatalf("Now() = %d with the time fixed at 10000", got)
	}
	if db.IsExpired(e) {
		t.Fatal("key expired while the time was fixed before its deadline")
	}
	ks.FixTime() // nested (EXEC): same reading
	now = 12_000
	if got := ks.Now(); got != 10_000 {
		t.Fatalf("nested FixTime: Now() = %d", got)
	}
	ks.ReleaseTime()
	if got := ks.Now(); got != 10_000 {
		t.Fatalf("after the inner ReleaseTime: Now() = %d", got)
	}
	ks.ReleaseTime()
	if got := ks.Now(); got != 12_000 {
		t.Fatalf("released: Now() = %d, want the clock", got)
	}
	if !db.IsExpired(e) {
		t.Fatal("key not expired once the time is released")
	}
	ks.FixTime()
	ks.FixTime()
	ks.ResetTime()
	now = 13_000
	if got := ks.Now(); got != 13_000 {
		t.Fatalf("after ResetTime: Now() = %d", got)
	}
}
