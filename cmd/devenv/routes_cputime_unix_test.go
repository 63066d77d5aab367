//go:build unix

package main

import (
	"syscall"
	"time"
)

// routesProcessCPU is the user+system CPU time of this process, so the
// routes benchmark can report CPU seconds next to wall time on shared,
// oversubscribed machines.
func routesProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
