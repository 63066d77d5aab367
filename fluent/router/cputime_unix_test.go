//go:build unix

package router_test

import (
	"syscall"
	"time"
)

// processCPU is the user+system CPU time this process has used. The
// benchmarks report records per CPU-second next to records per wall-second
// because the shared machines they run on are often oversubscribed.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
