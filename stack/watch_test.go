package stack

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// TestGoSources: a go: rule's sources are the files of its packages
// outside the standard library and the module cache, as the build sees
// them (build tags applied, no tests), with their module's go.mod and
// go.sum: what devenv watch watches.
func TestGoSources(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":                          "module example.com/shop\n\ngo 1.26\n",
		"cmd/api/main.go":                 "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/shop/internal/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
		"cmd/api/main_test.go":            "package main\n",
		"internal/greet/greet.go":         "package greet\n\nfunc Hello() string { return hello }\n",
		"internal/greet/linux.go":         "//go:build linux\n\npackage greet\n\nconst hello = \"hello\"\n",
		"internal/greet/other.go":         "//go:build !linux\n\npackage greet\n\nconst hello = \"hi\"\n",
		"internal/greet/greet_windows.go": "package greet\n",
		"internal/unused/unused.go":       "package unused\n",
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		assert.NilError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		assert.NilError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	digest, sources, err := goTarget{dir: dir, pkg: "./cmd/api", arch: runtime.GOARCH}.list(t.Context())
	assert.NilError(t, err)
	assert.Assert(t, strings.HasPrefix(digest, "sha256:"))
	var rel []string
	for _, s := range sources {
		r, err := filepath.Rel(dir, s)
		assert.NilError(t, err)
		rel = append(rel, filepath.ToSlash(r))
	}
	assert.DeepEqual(t, rel, []string{"cmd/api/main.go", "go.mod", "go.sum", "internal/greet/greet.go", "internal/greet/linux.go"})
}

// TestGoSourcesSkipCache: the sample API server's sources are its own
// files and the module's go.mod and go.sum; its dependencies from the
// module cache (echo) and the standard library are not watched: they
// cannot change under a version.
func TestGoSourcesSkipCache(t *testing.T) {
	root, err := filepath.Abs("..")
	assert.NilError(t, err)
	out, err := exec.Command("go", "env", "GOMODCACHE", "GOROOT").Output()
	assert.NilError(t, err)
	dirs := strings.Fields(string(out))
	_, sources, err := goTarget{dir: root, pkg: "./sample/api-server", arch: runtime.GOARCH}.list(t.Context())
	assert.NilError(t, err)
	for _, want := range []string{"sample/api-server/main.go", "sample/api-server/server.go", "go.mod", "go.sum"} {
		assert.Assert(t, slices.Contains(sources, filepath.Join(root, want)), "%s not among %q", want, sources)
	}
	for _, s := range sources {
		for _, d := range dirs {
			assert.Assert(t, !strings.HasPrefix(s, d+string(filepath.Separator)), "%s is under %s", s, d)
		}
		assert.Assert(t, !strings.HasSuffix(s, "_test.go"), s)
	}
}
