package translate_test

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/composefile"
	"github.com/devenv-sh/devenv/internal/testsupport"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// BenchmarkCorpus runs the whole pipeline over every file of the shared
// corpus per iteration: decode, translate, render, and load back through
// compose-go with schema validation.
func BenchmarkCorpus(b *testing.B) {
	type file struct {
		name string
		data []byte
	}
	var files []file
	var size int64
	for _, f := range corpusFiles(b) {
		data, err := os.ReadFile(f)
		assert.NilError(b, err)
		files = append(files, file{filepath.Base(f), data})
		size += int64(len(data))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	start := testsupport.CPUTime(b)
	for b.Loop() {
		for _, f := range files {
			def, err := taskdef.Decode(f.name, f.data)
			if err != nil {
				continue
			}
			p, _, err := translate.Translate([]taskdef.Def{def}, buildEveryImage(def))
			if err != nil {
				continue
			}
			out, err := composefile.Render(p, []string{f.name})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := composefile.Load(b.Context(), f.name, out); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The machine is shared: CPU time (user+sys of the whole process) is the
	// figure the speed target is about; ns/op is wall time.
	b.ReportMetric(float64((testsupport.CPUTime(b)-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
}
