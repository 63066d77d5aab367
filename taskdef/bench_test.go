package taskdef_test

import (
	"testing"

	"github.com/devenv-sh/devenv/internal/testsupport"
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
	start := testsupport.CPUTime(b)
	for b.Loop() {
		for _, n := range names {
			_, _ = taskdef.Decode(n, data[n])
		}
	}
	b.ReportMetric(float64((testsupport.CPUTime(b)-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(names)*b.N)/b.Elapsed().Seconds(), "files/s")
}
