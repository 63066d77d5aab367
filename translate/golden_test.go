package translate_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/composefile"
	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/fluent/localconf"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// updating reports whether golden files are to be rewritten (go test
// ./translate -update). gotest.tools/v3 already registers the -update flag,
// so it is looked up rather than defined again.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestGolden translates every testdata/<case>/ (taskdefs/*.json with
// local.yaml) and compares the rendered compose file and the report with
// want.compose.yaml and want.report.txt; each compose file must load back
// through compose-go with validation on into the same project.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*/local.yaml")
	assert.NilError(t, err)
	assert.Assert(t, len(cases) > 0)
	for _, lf := range cases {
		dir := filepath.Dir(lf)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			local := readLocal(t, lf)
			defs, err := taskdef.Load(os.DirFS(dir), "taskdefs")
			if err != nil {
				golden(t, filepath.Join(dir, "want.error.txt"), []byte(err.Error()+"\n"))
				return
			}
			p, report, err := translate.Translate(defs, local, fluentdOption(t, dir, local)...)
			if err != nil {
				golden(t, filepath.Join(dir, "want.error.txt"), []byte(err.Error()+"\n"))
				return
			}
			out, err := composefile.Render(p, []string{"taskdefs/*.json", "local.yaml"})
			assert.NilError(t, err)
			golden(t, filepath.Join(dir, "want.compose.yaml"), out)
			golden(t, filepath.Join(dir, "want.report.txt"), []byte(report.Text()))
			assert.NilError(t, composefile.RoundTrip(t.Context(), "want.compose.yaml", out, p))
			again, err := composefile.Render(p, []string{"taskdefs/*.json", "local.yaml"})
			assert.NilError(t, err)
			assert.Assert(t, bytes.Equal(out, again), "rendering is not deterministic")
		})
	}
}

// fluentdOption makes the local copy of the case's fluentd configuration,
// as devenv generate does, when local.yaml names one.
func fluentdOption(t *testing.T, dir string, local config.Local) []translate.Option {
	t.Helper()
	f := local.Fluentd
	if f.Config == "" {
		return nil
	}
	files, changes, err := localconf.Rewrite(os.DirFS(dir), f.Config, localconf.Settings{
		S3Endpoint:    local.FakeURL(config.StandInFakeS3),
		TDEndpoint:    local.FakeURL(config.StandInFakeTD),
		FlushInterval: f.FlushInterval,
	})
	assert.NilError(t, err)
	fc := translate.FluentdConfig{Files: localconf.Files(f.Config, files)}
	for _, c := range changes {
		fc.Changes = append(fc.Changes, translate.FluentdChange{File: c.File, Line: c.ProductionLine, Inserted: c.Inserted, Section: c.Path, Key: c.Key, Production: c.Production, Local: c.Local, Why: c.Why})
	}
	return []translate.Option{translate.WithFluentdConfig(fc)}
}

func readLocal(t *testing.T, file string) config.Local {
	t.Helper()
	data, err := os.ReadFile(file)
	assert.NilError(t, err)
	local, err := config.Parse("local.yaml", data)
	assert.NilError(t, err)
	return local
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if updating() {
		assert.NilError(t, os.WriteFile(file, got, 0o644))
		return
	}
	want, err := os.ReadFile(file)
	assert.NilError(t, err, "run go test ./translate -update to create it")
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (run go test ./translate -update after checking):\n%s", file, lineDiff(string(want), string(got)))
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var x, y string
		if i < len(w) {
			x = w[i]
		}
		if i < len(g) {
			y = g[i]
		}
		if x != y {
			b.WriteString("- " + x + "\n+ " + y + "\n")
		}
	}
	return b.String()
}
