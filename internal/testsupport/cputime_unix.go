//go:build unix

package testsupport

import (
	"syscall"
	"testing"
	"time"
)

// CPUTime is the user plus system CPU time, of every thread, the process
// has used so far; it fails tb when getrusage does. Benchmarks report work
// per CPU second besides ns/op, which on a shared machine includes waiting
// for a core.
func CPUTime(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage(RUSAGE_SELF): %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
