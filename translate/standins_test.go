package translate_test

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// TestStandInsFakes: each fake listed under fakes runs with its data on
// <service>-data and the exec-form health check devenv up waits for.
func TestStandInsFakes(t *testing.T) {
	def, err := taskdef.Decode("web.json", []byte(`{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:1.27"}]}`))
	assert.NilError(t, err)
	local := config.Default()
	local.Fakes = []config.StandIn{config.StandInFakeS3, config.StandInFakeTD, config.StandInDatadogStub}
	p, _, err := translate.Translate([]taskdef.Def{def}, local)
	assert.NilError(t, err)
	for name, port := range map[string]string{"fake-s3": "4566", "fake-td": "8081", "datadog-stub": "8126"} {
		svc := p.Services[name]
		assert.DeepEqual(t, svc.HealthCheck.Test, types.HealthCheckTest{"CMD", "/devenv", "healthcheck", "http://127.0.0.1:" + port + "/_devenv/health"})
		assert.Equal(t, svc.HealthCheck.StartPeriod, (*types.Duration)(nil), name)
		assert.DeepEqual(t, svc.Command[len(svc.Command)-2:], types.ShellCommand{"--data-dir", "/data"})
		assert.DeepEqual(t, svc.Volumes, []types.ServiceVolumeConfig{{Type: types.VolumeTypeVolume, Source: name + "-data", Target: "/data"}})
		_, declared := p.Volumes[name+"-data"]
		assert.Assert(t, declared, name)
	}
}

// TestStandInsWithoutHealthCheck: the pause and fluentd stand-ins keep
// nothing and get no health check; fluentd keeps production's.
func TestStandInsWithoutHealthCheck(t *testing.T) {
	def, err := taskdef.Decode("logs.json", []byte(`{"family": "logs", "networkMode": "awsvpc", "containerDefinitions": [
		{"name": "fluentd", "image": "fluent/fluentd:v1.17-1", "healthCheck": {"command": ["CMD-SHELL", "true"]}},
		{"name": "shipper", "image": "fluent/fluentd:v1.17-1"}]}`))
	assert.NilError(t, err)
	local := config.Default()
	local.Images = []config.ImageRule{{Match: "fluent/fluentd", Action: config.ActionStandIn, StandIn: config.StandInFluentd}}
	p, report, err := translate.Translate([]taskdef.Def{def}, local)
	assert.NilError(t, err)
	assert.Assert(t, p.Services["logs-pause"].HealthCheck == nil)
	assert.Assert(t, p.Services["shipper"].HealthCheck == nil)
	assert.DeepEqual(t, p.Services["fluentd"].HealthCheck.Test, types.HealthCheckTest{"CMD-SHELL", "true"})
	for _, name := range []string{"logs-pause", "fluentd", "shipper"} {
		assert.Equal(t, len(p.Services[name].Volumes), 0, name)
	}
	assert.Equal(t, len(p.Volumes), 0)
	for _, d := range report {
		assert.Assert(t, d.Path != "containerDefinitions[0](fluentd).healthCheck", "%+v", d)
	}
}

// TestStandInDataVolumeTaken: a shared task volume with the name of a
// stand-in's data volume is an error saying how to resolve it.
func TestStandInDataVolumeTaken(t *testing.T) {
	def, err := taskdef.Decode("a.json", []byte(`{"family": "a", "containerDefinitions": [
		{"name": "agent", "image": "datadog/agent:7"},
		{"name": "web", "image": "nginx:1.27", "mountPoints": [{"sourceVolume": "agent-data", "containerPath": "/srv"}]}],
		"volumes": [{"name": "agent-data", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": true}}]}`))
	assert.NilError(t, err)
	local := config.Default()
	local.Images = []config.ImageRule{{Match: "datadog/agent", Action: config.ActionStandIn, StandIn: config.StandInDatadogStub}}
	_, _, err = translate.Translate([]taskdef.Def{def}, local)
	assert.Error(t, err, `a.json: containerDefinitions[0](agent): service agent runs the datadog-stub stand-in, which keeps its data on volume "agent-data", the name of a task definition's shared volume too: give the service another name under services in devenv.yaml, e.g. services: {a/agent: {name: agent-stub}}`)
}
