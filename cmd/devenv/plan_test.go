package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// TestPlanGolden pins the whole report of the reference stack, fluent.conf
// changes included, in text and JSON. Rewrite with
// `go test ./cmd/devenv -run PlanGolden -update`.
func TestPlanGolden(t *testing.T) {
	dir, err := filepath.Abs("testdata/plan")
	assert.NilError(t, err)
	referenceProject(t)
	code, stdout, stderr := devenvRun(t, "plan")
	assert.Equal(t, code, 0, stderr)
	golden.Assert(t, stdout, filepath.Join(dir, "delish.text.golden"))
	code, stdout, stderr = devenvRun(t, "plan", "--json")
	assert.Equal(t, code, 0, stderr)
	golden.Assert(t, stdout, filepath.Join(dir, "delish.json.golden"))
	assert.Equal(t, stderr, "")
	_, err = os.Stat(".devenv")
	assert.Assert(t, os.IsNotExist(err), "plan must write nothing")
}

// TestPlanFluentConfError: a broken fluent.conf fails plan with
// file:line:col and exit 1.
func TestPlanFluentConfError(t *testing.T) {
	referenceProject(t)
	assert.NilError(t, os.WriteFile("fluentd/fluent.conf", []byte("<source>\n  @type forward\n\n<match **>\n  @type stdout\n</match>\n"), 0o644))
	code, stdout, stderr := devenvRun(t, "plan")
	assert.Equal(t, code, 1)
	assert.Equal(t, stdout, "")
	assert.Assert(t, strings.HasPrefix(stderr, "devenv: fluentd/fluent.conf:"), stderr)
	var line, col int
	_, err := fmt.Sscanf(strings.TrimPrefix(stderr, "devenv: fluentd/fluent.conf:"), "%d:%d:", &line, &col)
	assert.NilError(t, err, stderr)
	assert.Assert(t, line > 0 && col > 0, stderr)
	assert.Equal(t, strings.Count(stderr, "\n"), 1, "one line: %s", stderr)
}

// TestPlanFluentdNeedsFakes: an S3 output with no fake S3 to send to is
// an error saying what to add.
func TestPlanFluentdNeedsFakes(t *testing.T) {
	referenceProject(t)
	data, err := os.ReadFile("devenv.yaml")
	assert.NilError(t, err)
	data = bytes.Replace(data, []byte("  - fake-s3\n"), nil, 1)
	assert.NilError(t, os.WriteFile("devenv.yaml", data, 0o644))
	code, _, stderr := devenvRun(t, "plan")
	assert.Equal(t, code, 1)
	assert.Assert(t, is.Contains(stderr, "devenv: devenv.yaml: fluentd.config: fluentd/fluent.conf: rewrite s3 output: S3 endpoint not set: list fake-s3 and fake-td under fakes in devenv.yaml"), stderr)
}

func TestPlanText(t *testing.T) {
	referenceProject(t)
	code, stdout, stderr := devenvRun(t, "plan")
	assert.Equal(t, code, 0, stderr)
	assert.Assert(t, strings.HasPrefix(stdout, "project delish: 5 services, "))
	assert.Assert(t, is.Contains(stdout, "service api-server (taskdefs/api-server.json)\n"))
	assert.Assert(t, is.Contains(stdout, "fluentd.delishkitchen.tv:24224 → 127.0.0.1:24224"))
	assert.Assert(t, is.Contains(stdout, "(plain-text secret, hidden) → devenv-fake-s3-secret-key"))
}

func TestPlanJSON(t *testing.T) {
	referenceProject(t)
	code, stdout, stderr := devenvRun(t, "plan", "--json")
	assert.Equal(t, code, 0, stderr)
	var out struct {
		Project    string   `json:"project"`
		Services   []string `json:"services"`
		Deviations []struct {
			File, Service, Container, Path, Kind, Production, Local, Why string
			Line                                                         int
		} `json:"deviations"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	assert.NilError(t, dec.Decode(&out))
	assert.Equal(t, out.Project, "delish")
	assert.DeepEqual(t, out.Services, []string{"api-server", "dd-agent", "fake-s3", "fake-td", "fluentd"})
	assert.Assert(t, len(out.Deviations) > 0)
	for _, d := range out.Deviations {
		assert.Assert(t, d.File != "" && d.Path != "" && d.Kind != "" && d.Why != "", "%+v", d)
	}
}

func TestPlanStrict(t *testing.T) {
	referenceProject(t)
	code, stdout, stderr := devenvRun(t, "plan", "--strict")
	assert.Equal(t, code, 0, stderr)
	assert.Assert(t, is.Contains(stdout, "fluentd/fluent.conf:54: "), "fluent.conf changes are listed and do not fail --strict")

	// A log driver pointing at an unmapped production host is unsupported.
	assert.NilError(t, os.WriteFile("taskdefs/extra.json", []byte(`{"family": "extra", "containerDefinitions": [{"name": "extra", "image": "nginx:1.27",
  "logConfiguration": {"logDriver": "fluentd", "options": {"fluentd-address": "logs.example.com:24224"}}}]}`), 0o644))
	code, stdout, stderr = devenvRun(t, "plan", "--strict")
	assert.Equal(t, code, 2)
	assert.Assert(t, is.Contains(stdout, "unsupported containerDefinitions[0](extra).logConfiguration.logDriver"))
	assert.Assert(t, is.Contains(stderr, "devenv: 1 unsupported fields (--strict), in taskdefs/extra.json; first: taskdefs/extra.json: containerDefinitions[0](extra).logConfiguration.logDriver: "))
}

// TestPlanFluentConfMissing: a fluentd.config that does not exist is one
// line naming devenv.yaml's key, exit 1.
func TestPlanFluentConfMissing(t *testing.T) {
	referenceProject(t)
	assert.NilError(t, os.Remove("fluentd/fluent.conf"))
	code, _, stderr := devenvRun(t, "plan")
	assert.Equal(t, code, 1)
	assert.Equal(t, stderr, "devenv: devenv.yaml: fluentd.config: fluentd/fluent.conf does not exist: give the production fluent.conf, relative to the project\n")
}

// TestPlanStrictPlaceholders: a template placeholder is listed as a
// placeholder warning with its path, exit 0 without --strict, 2 with it.
func TestPlanStrictPlaceholders(t *testing.T) {
	referenceProject(t)
	assert.NilError(t, os.WriteFile("taskdefs/extra.json", []byte(`{"family": "extra", "containerDefinitions": [{"name": "extra", "image": "nginx:1.27",
  "command": ["serve", "--region=<REGION>"], "environment": [{"name": "MODE", "value": "{{mode}}"}]}]}`), 0o644))
	code, stdout, stderr := devenvRun(t, "plan")
	assert.Equal(t, code, 0, stderr)
	assert.Assert(t, is.Contains(stdout, "placeholder containerDefinitions[0](extra).command[1]: <REGION> → (kept as written): "))
	assert.Assert(t, is.Contains(stdout, "placeholder containerDefinitions[0](extra).environment[0](MODE).value: {{mode}} → (kept as written): "))
	code, _, stderr = devenvRun(t, "plan", "--strict")
	assert.Equal(t, code, 2)
	assert.Assert(t, is.Contains(stderr, "devenv: 2 placeholder fields (--strict), in taskdefs/extra.json; first: taskdefs/extra.json: containerDefinitions[0](extra).command[1]: "), stderr)
}
