package keyspace

import (
	"testing"
	"time"
)

// TestLoanWaits lends every key of a database, as a snapshot's serialiser
// borrows a batch, and checks which lookups wait for the loan: reads of a
// string go on beside the borrower unless they update access data it
// reads; reads of other types (their own rehashing) and writes wait.
func TestLoanWaits(t *testing.T) {
	for _, tc := range []struct {
		name        string
		readsAccess bool
		lookup      func(db *DB, key string)
		key         string
		waits       bool
	}{
		{"GET of a string", false, func(db *DB, k string) { db.LookupRead([]byte(k)) }, "s", false},
		{"GET of a string, access saved", true, func(db *DB, k string) { db.LookupRead([]byte(k)) }, "s", true},
		{"TTL of a string, access saved", true, func(db *DB, k string) { db.LookupReadNoTouch([]byte(k)) }, "s", false},
		{"EXISTS of a string", true, func(db *DB, k string) { db.Exists([]byte(k)) }, "s", false},
		{"read of a hash", false, func(db *DB, k string) { db.LookupRead([]byte(k)) }, "h", true},
		{"EXISTS of a hash", false, func(db *DB, k string) { db.Exists([]byte(k)) }, "h", true},
		{"write of a string", false, func(db *DB, k string) { db.LookupWrite([]byte(k)) }, "s", true},
		{"SET over a string", false, func(db *DB, k string) { db.Set([]byte(k), NewString([]byte("new")), false) }, "s", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := New(1, func() int64 { return 1_700_000_000_000 })
			db := ks.DBs[0]
			db.Set([]byte("s"), NewString([]byte("v")), false)
			h := NewHash()
			h.Set([]byte("f"), []byte("v"), 128, 64)
			db.Set([]byte("h"), h, false)
			ks.Account()

			var loan Loan
			span, _ := db.dict.Take(0, 1<<20)
			loan.Add(db.dict, span)
			loan.ReadsAccess = tc.readsAccess
			ks.Lend(&loan)
			if !tc.waits {
				// Were it to wait, the loan comes back after 10 s.
				back := time.AfterFunc(10*time.Second, loan.Return)
				tc.lookup(db, tc.key)
				if !back.Stop() {
					t.Fatal("the lookup waited for the loan")
				}
			} else {
				done := make(chan struct{})
				go func() {
					tc.lookup(db, tc.key)
					close(done)
				}()
				select {
				case <-done:
					t.Fatal("the lookup did not wait for the loan")
				case <-time.After(50 * time.Millisecond):
				}
				loan.Return()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("the lookup still waits once the loan is back")
				}
			}
			if got := ks.Stats.LoanWaits != 0; got != tc.waits {
				t.Fatalf("LoanWaits %d", ks.Stats.LoanWaits)
			}
		})
	}
}
