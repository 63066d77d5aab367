package taskdef_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

// updating reports whether -update was given: rewrite golden files. The flag
// itself is defined by gotest.tools (a flag.Bool named "update"), which this
// package shares rather than redefines.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// corpusDir is the shared corpus of real task definitions, beside the repository.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "..", "shared", "corpus", "taskdefs", "real")
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		t.Skipf("corpus folder %s is absent; it lives in the shared project folder beside the repository", dir)
	}
	return dir
}

// corpusFiles returns the corpus files, name → content, in name order.
func corpusFiles(t testing.TB) (names []string, data map[string][]byte) {
	t.Helper()
	dir := corpusDir(t)
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	assert.NilError(t, err)
	assert.Assert(t, len(paths) > 0, "no *.json files in %s", dir)
	data = map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		assert.NilError(t, err)
		names = append(names, filepath.Base(p))
		data[filepath.Base(p)] = b
	}
	return names, data
}

// TestDecodeCorpus decodes every real task definition of the shared corpus:
// each either decodes (and round-trips through JSON) or fails with errors that
// name the file and a path. testdata/corpus.golden records which is which.
func TestDecodeCorpus(t *testing.T) {
	names, data := corpusFiles(t)
	var report strings.Builder
	for _, name := range names {
		def, err := taskdef.Decode(name, data[name])
		if err != nil {
			for _, line := range errorLinesFor(t, name, err) {
				fmt.Fprintf(&report, "%s\n", line)
			}
			continue
		}
		assertRoundTrip(t, def)
		fmt.Fprintf(&report, "%s: ok: family %s, %d container(s)\n", name, def.Task.Family, len(def.Task.ContainerDefinitions))
	}
	assertGolden(t, "corpus.golden", report.String())
}

// errorLinesFor checks that every part of err is a FieldError naming file and
// returns the error's lines.
func errorLinesFor(t testing.TB, file string, err error) []string {
	t.Helper()
	parts := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	}
	for _, p := range parts {
		var fe *fieldpath.FieldError
		if !errors.As(p, &fe) {
			t.Fatalf("%s: error %q is not a *fieldpath.FieldError", file, p)
		}
		if fe.File != file {
			t.Fatalf("%s: error %q names file %q", file, p, fe.File)
		}
		if !errors.Is(p, fieldpath.ErrInvalid) {
			t.Fatalf("%s: error %q does not match fieldpath.ErrInvalid", file, p)
		}
	}
	return strings.Split(err.Error(), "\n")
}

// assertRoundTrip checks that def re-encodes to JSON that decodes to an equal value.
func assertRoundTrip(t testing.TB, def taskdef.Def) {
	t.Helper()
	out, err := json.Marshal(def.Task)
	assert.NilError(t, err)
	again, err := taskdef.Decode(def.File, out)
	assert.NilError(t, err, "re-encoded %s:\n%s", def.File, out)
	assert.DeepEqual(t, again.Task, def.Task)
	assert.Equal(t, again.File, def.File)
}

// assertGolden compares got with testdata/name, rewriting the file with -update.
func assertGolden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		assert.NilError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	assert.NilError(t, err, "run go test ./taskdef -update to create it")
	assert.Equal(t, got, string(want), "decoding changed; if that is intended, run go test ./taskdef -update and review the diff of %s", path)
}
