package translate_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/composefile"
	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

const corpusDir = "../../shared/corpus/taskdefs/real"

func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	assert.NilError(tb, err)
	if len(files) == 0 {
		tb.Skipf("no corpus at %s", corpusDir)
	}
	return files
}

// TestCorpus translates every real task definition of the shared corpus: it
// either translates and round-trips through compose-go with validation on,
// or fails with errors that each name the file and the field (and the
// container, for container fields). Nothing panics. Which files translate,
// and the first error of each that does not, is the golden file
// testdata/corpus-outcomes.txt, so a file that starts failing fails the test.
func TestCorpus(t *testing.T) {
	var translated, failed int
	var outcomes []string
	for _, f := range corpusFiles(t) {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			assert.NilError(t, err)
			def, err := taskdef.Decode(name, data)
			if err != nil {
				assertLocated(t, name, err)
				outcomes = append(outcomes, name+": does not decode: "+firstLine(err))
				failed++
				return
			}
			// With no image rules, only placeholders fail (ECR images are kept), located.
			if _, _, err := translate.Translate([]taskdef.Def{def}, config.Default()); err != nil {
				assertLocated(t, name, err)
			}
			// With a build rule for each of them, the rest of the mapping runs.
			p, report, err := translate.Translate([]taskdef.Def{def}, buildEveryImage(def))
			if err != nil {
				assertLocated(t, name, err)
				outcomes = append(outcomes, name+": does not translate: "+firstLine(err))
				failed++
				return
			}
			out, err := composefile.Render(p, []string{name})
			assert.NilError(t, err)
			assert.NilError(t, composefile.RoundTrip(t.Context(), name, out, p))
			for _, d := range report {
				assert.Equal(t, d.File, name)
				assert.Assert(t, d.Path != "", "deviation without a path: %+v", d)
			}
			outcomes = append(outcomes, name+": translated")
			translated++
		})
	}
	t.Logf("%d translated, %d failed with located errors", translated, failed)
	golden(t, "testdata/corpus-outcomes.txt", []byte(fmt.Sprintf("%d translated, %d failed\n%s\n", translated, failed, strings.Join(outcomes, "\n"))))
}

// firstLine is the first line of err's message: one error of a joined set.
func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// buildEveryImage returns settings that build every image of def locally,
// as a team would after writing its devenv.yaml.
func buildEveryImage(def taskdef.Def) config.Local {
	local := config.Default()
	for _, c := range def.Task.ContainerDefinitions {
		local.Images = append(local.Images, config.ImageRule{
			Match: config.Repository(c.Image).Path, Action: config.ActionBuild, Build: &config.Build{Context: "."},
		})
	}
	return local
}

// assertLocated checks that every error joined in err is a FieldError
// naming file, with a field path, and a container when the path is in one.
func assertLocated(t *testing.T, file string, err error) {
	t.Helper()
	var leaves []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		leaves = j.Unwrap()
	} else {
		leaves = []error{err}
	}
	for _, e := range leaves {
		var fe *fieldpath.FieldError
		assert.Assert(t, errors.As(e, &fe), "error is not located: %v", e)
		assert.Equal(t, fe.File, file, "error does not name the file: %v", e)
		assert.Assert(t, strings.HasPrefix(e.Error(), file+": "), "error does not start with the file: %v", e)
		if strings.HasPrefix(fe.Path.String(), "containerDefinitions[") && strings.Contains(fe.Path.String(), ".") {
			assert.Assert(t, fe.Container != "", "error inside a container does not name it: %v", e)
		}
	}
}
