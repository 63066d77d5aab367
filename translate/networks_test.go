package translate_test

import (
	"slices"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// TestTaskNetworks: each bridge or awsvpc task has a network of its own;
// hosts rule targets and fakes are on every task network, host-mode and
// namespace-joining containers on none.
func TestTaskNetworks(t *testing.T) {
	decode := func(file, src string) taskdef.Def {
		d, err := taskdef.Decode(file, []byte(src))
		assert.NilError(t, err)
		return d
	}
	defs := []taskdef.Def{
		decode("web.json", `{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "links": ["cache"], "environment": [{"name": "LOG_HOST", "value": "logs.prod"}]}, {"name": "cache", "image": "redis:7"}]}`),
		decode("logs.json", `{"family": "logs", "containerDefinitions": [{"name": "collector", "image": "fluent/fluentd:v1.17-1", "portMappings": [{"containerPort": 24224, "hostPort": 24224}]}]}`),
		decode("vpc.json", `{"family": "vpc", "networkMode": "awsvpc", "containerDefinitions": [{"name": "api", "image": "nginx:1.27"}]}`),
		decode("host.json", `{"family": "hostnet", "networkMode": "host", "containerDefinitions": [{"name": "agent", "image": "busybox:1.36"}]}`),
	}
	local := config.Default()
	local.Hosts = []config.HostRule{{Host: "logs.prod", Service: "collector"}}
	local.Fakes = []config.StandIn{config.StandInFakeS3}
	p, _, err := translate.Translate(defs, local)
	assert.NilError(t, err)
	networks := func(name string) []string {
		var l []string
		for n := range p.Services[name].Networks {
			l = append(l, n)
		}
		slices.Sort(l)
		return l
	}
	all := []string{"logs", "vpc", "web"}
	assert.DeepEqual(t, networks("web"), []string{"web"})
	assert.DeepEqual(t, networks("cache"), []string{"web"})
	assert.DeepEqual(t, networks("vpc-pause"), []string{"vpc"})
	assert.DeepEqual(t, networks("collector"), all)
	assert.DeepEqual(t, networks("fake-s3"), all)
	assert.Assert(t, networks("api") == nil)
	assert.Assert(t, networks("agent") == nil)
	assert.Equal(t, len(p.Networks), 3)
}

// TestDatadogStubOnEveryTaskNetwork: a task container replaced by the
// datadog-stub stand-in is on every task network, as production's
// per-instance agent is reachable from every task; in an awsvpc task, its
// namespace holder is. Either is reported on the agent's service.
func TestDatadogStubOnEveryTaskNetwork(t *testing.T) {
	web := `{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:1.27"}]}`
	const why = "in production the Datadog agent runs once per EC2 instance and every container reaches it through the instance's host port; locally every task reaches the datadog-stub stand-in by name, "
	for name, tc := range map[string]struct {
		agent, shared, alone string
		want                 string
	}{
		"bridge": {
			`{"family": "dd", "containerDefinitions": [{"name": "dd-agent", "image": "datadog/agent:7"}, {"name": "helper", "image": "busybox:1.36"}]}`,
			"dd-agent", "helper",
			"dd-agent: containerDefinitions[0](dd-agent): every task's network: " + why + "dd-agent (point DD_AGENT_HOST at it under environment in devenv.yaml)",
		},
		"awsvpc": {
			`{"family": "dd", "networkMode": "awsvpc", "containerDefinitions": [{"name": "helper", "image": "busybox:1.36"}, {"name": "sidecar", "image": "datadog/agent:7"}]}`,
			"dd-pause", "",
			"sidecar: containerDefinitions[1](sidecar): every task's network (as dd-pause, which holds its network namespace): " + why + "dd-pause (point DD_AGENT_HOST at it under environment in devenv.yaml)",
		},
	} {
		t.Run(name, func(t *testing.T) {
			var defs []taskdef.Def
			for file, src := range map[string]string{"web.json": web, "dd.json": tc.agent} {
				d, err := taskdef.Decode(file, []byte(src))
				assert.NilError(t, err)
				defs = append(defs, d)
			}
			local := config.Default()
			local.Images = []config.ImageRule{{Match: "datadog/agent", Action: config.ActionStandIn, StandIn: config.StandInDatadogStub}}
			p, report, err := translate.Translate(defs, local)
			assert.NilError(t, err)
			networks := func(name string) []string {
				var l []string
				for n := range p.Services[name].Networks {
					l = append(l, n)
				}
				slices.Sort(l)
				return l
			}
			assert.DeepEqual(t, networks(tc.shared), []string{"dd", "web"})
			assert.DeepEqual(t, networks("web"), []string{"web"})
			if tc.alone != "" {
				assert.DeepEqual(t, networks(tc.alone), []string{"dd"})
			}
			var got []string
			for _, d := range report {
				if d.Production == "network of its task" {
					got = append(got, d.Service+": "+d.Path+": "+d.Local+": "+d.Why)
				}
			}
			assert.DeepEqual(t, got, []string{tc.want})
		})
	}
}
