//go:build !linux

package spin

import "runtime"

// Yield lets other goroutines run first.
func Yield() { runtime.Gosched() }
