package translate_test

import (
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// TestLocalHealthCheckWinsOverStandIn: a devenv.yaml health check on a
// container replaced by a stand-in is the one written, reported once.
func TestLocalHealthCheckWinsOverStandIn(t *testing.T) {
	def, err := taskdef.Decode("dd.json", []byte(`{"family": "dd", "containerDefinitions": [{"name": "agent", "image": "datadog/agent:7"}]}`))
	assert.NilError(t, err)
	local, err := config.Parse("devenv.yaml", []byte(`images:
  - match: datadog/agent
    standIn: datadog-stub
services:
  dd/agent:
    healthCheck:
      command: [CMD, /devenv, healthcheck, "http://127.0.0.1:8126/_devenv/metrics"]
      interval: 10
`))
	assert.NilError(t, err)
	p, report, err := translate.Translate([]taskdef.Def{def}, local)
	assert.NilError(t, err)
	hc := p.Services["agent"].HealthCheck
	assert.DeepEqual(t, hc.Test, types.HealthCheckTest{"CMD", "/devenv", "healthcheck", "http://127.0.0.1:8126/_devenv/metrics"})
	var got []string
	for _, d := range report {
		if strings.HasSuffix(d.Path, ".healthCheck") {
			got = append(got, d.Production+" → "+d.Local+": "+d.Why)
		}
	}
	assert.DeepEqual(t, got, []string{` → CMD /devenv healthcheck http://127.0.0.1:8126/_devenv/metrics (interval 10s, timeout 5s, retries 3): added under services."dd/agent".healthCheck in devenv.yaml:6; production has none`})
}

// TestLocalHealthCheckNoneAwaited: turning off the health check of a
// container that another waits for HEALTHY is an error.
func TestLocalHealthCheckNoneAwaited(t *testing.T) {
	def, err := taskdef.Decode("app.json", []byte(`{"family": "app", "containerDefinitions": [
		{"name": "db", "image": "postgres:16", "healthCheck": {"command": ["CMD-SHELL", "pg_isready"]}},
		{"name": "web", "image": "nginx:1.27", "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}]}]}`))
	assert.NilError(t, err)
	local, err := config.Parse("devenv.yaml", []byte("services:\n  app/db:\n    healthCheck:\n      command: [NONE]\n"))
	assert.NilError(t, err)
	_, _, err = translate.Translate([]taskdef.Def{def}, local)
	assert.Error(t, err, `devenv.yaml: services["app/db"].healthCheck.command: NONE (line 3) leaves db without a health check, but web waits for it to be HEALTHY in app.json, so it would never start: give a check instead`)
}
