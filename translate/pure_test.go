package translate_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// TestPure keeps Translate free of I/O: the package may import only these
// packages, and never reads the clock or the environment.
func TestPure(t *testing.T) {
	allowed := []string{
		"cmp", "errors", "fmt", "maps", "net/netip", "net/url", "path", "reflect", "regexp", "slices", "sort", "strconv", "strings", "time",
		"github.com/compose-spec/compose-go/v2/types",
		"github.com/devenv-sh/devenv/config",
		"github.com/devenv-sh/devenv/internal/cycles",
		"github.com/devenv-sh/devenv/internal/fieldpath",
		"github.com/devenv-sh/devenv/internal/suggest",
		"github.com/devenv-sh/devenv/secretpolicy",
		"github.com/devenv-sh/devenv/taskdef",
	}
	files, err := filepath.Glob("*.go")
	assert.NilError(t, err)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		assert.NilError(t, err)
		af, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		assert.NilError(t, err)
		for _, imp := range af.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			assert.Assert(t, slices.Contains(allowed, path), "%s imports %s: translate must stay pure (no file, network, clock or environment access)", f, path)
		}
		for _, banned := range []string{"time.Now", "time.Since", "time.Sleep", "time.After"} {
			assert.Assert(t, !strings.Contains(string(src), banned), "%s calls %s: translate must not read the clock", f, banned)
		}
	}
}
