package taskdef_test

import (
	"testing"

	"github.com/devenv-sh/devenv/taskdef"
)

// BenchmarkDecodeCorpus decodes every file of the shared corpus once per
// iteration (valid and invalid alike), reporting throughput and files/s.
func BenchmarkDecodeCorpus(b *testing.B) {
	names, data := corpusFiles(b)
	var size int64
	for _, n := range names {
		size += int64(len(data[n]))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range names {
			_, _ = taskdef.Decode(n, data[n])
		}
	}
	b.ReportMetric(float64(len(names)*b.N)/b.Elapsed().Seconds(), "files/s")
}
