package taskdef_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/taskdef"
)

// BenchmarkDecodeCorpus decodes every file of the shared corpus once per
// iteration (valid and invalid alike), reporting throughput, files/s and the
// process CPU time per iteration (cpu-ns/op, which unlike ns/op does not grow
// when other processes compete for the CPU).
func BenchmarkDecodeCorpus(b *testing.B) {
	names, data := corpusFiles(b)
	var size int64
	for _, n := range names {
		size += int64(len(data[n]))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		for _, n := range names {
			_, _ = taskdef.Decode(n, data[n])
		}
	}
	b.ReportMetric(float64((cpuTime(b)-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(names)*b.N)/b.Elapsed().Seconds(), "files/s")
}

// cpuTime is the user and system CPU time the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
