package spin

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	var calls int
	if !Retry(time.Second, func() bool { calls++; return calls == 100 }) || calls != 100 {
		t.Fatalf("Retry stopped after %d calls, want success at the 100th", calls)
	}
	start := time.Now()
	if Retry(2*time.Millisecond, func() bool { return false }) {
		t.Fatal("Retry reported success for a try that never succeeds")
	}
	if d := time.Since(start); d < 2*time.Millisecond || d > 5*time.Second {
		t.Fatalf("Retry gave up after %v, want about 2ms", d)
	}
	// Another goroutine ends the wait.
	var done atomic.Bool
	go func() {
		time.Sleep(time.Millisecond)
		done.Store(true)
	}()
	if !Retry(10*time.Second, done.Load) {
		t.Fatal("Retry gave up before the other goroutine ended the wait")
	}
}
