package keyspace

import "testing"

func TestAsideAdopt(t *testing.T) {
	clock := func() int64 { return 1000 }
	ks := New(4, clock)
	ks.DBs[0].Set([]byte("old"), NewString([]byte("x")), false)
	ks.DBs[2].Set([]byte("old2"), NewString([]byte("y")), false)
	ks.Account()

	aside := ks.Aside()
	aside.DBs[0].Set([]byte("a"), NewString([]byte("1")), false)
	e := aside.DBs[3].Set([]byte("b"), NewString([]byte("2")), false)
	aside.DBs[3].SetExpire(e, 5000)
	if ks.Size() != 2 {
		t.Fatalf("loading aside changed the live keyspace: %d keys", ks.Size())
	}

	ks.Adopt(aside)
	ks.Account()
	if ks.Size() != 2 || aside.Size() != 0 {
		t.Fatalf("after Adopt: live %d keys, aside %d", ks.Size(), aside.Size())
	}
	for _, tc := range []struct {
		db   int
		key  string
		want bool
	}{{0, "a", true}, {3, "b", true}, {0, "old", false}, {2, "old2", false}} {
		if got := ks.DBs[tc.db].LookupReadNoTouch([]byte(tc.key)) != nil; got != tc.want {
			t.Errorf("db %d key %s present %v, want %v", tc.db, tc.key, got, tc.want)
		}
	}
	if ks.DBs[3].Expires() != 1 {
		t.Errorf("the expiry did not move with its key")
	}
	if ks.UsedMemory() <= 0 || aside.UsedMemory() != 0 {
		t.Errorf("memory: live %d, aside %d", ks.UsedMemory(), aside.UsedMemory())
	}
	// The adopted keys behave as the keyspace's own: deleting them
	// accounts memory back to zero.
	ks.FlushAll()
	if ks.UsedMemory() != 0 {
		t.Errorf("memory after FLUSHALL: %d", ks.UsedMemory())
	}
}
