package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

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
	code, _, stderr := devenvRun(t, "plan", "--strict")
	assert.Equal(t, code, 0, stderr)

	// A log driver pointing at an unmapped production host is unsupported.
	assert.NilError(t, os.WriteFile("taskdefs/extra.json", []byte(`{"family": "extra", "containerDefinitions": [{"name": "extra", "image": "nginx:1.27",
  "logConfiguration": {"logDriver": "fluentd", "options": {"fluentd-address": "logs.example.com:24224"}}}]}`), 0o644))
	code, stdout, stderr := devenvRun(t, "plan", "--strict")
	assert.Equal(t, code, 2)
	assert.Assert(t, is.Contains(stdout, "unsupported containerDefinitions[0](extra).logConfiguration.logDriver"))
	assert.Assert(t, is.Contains(stderr, "devenv: 1 unsupported fields (--strict)"))
}
