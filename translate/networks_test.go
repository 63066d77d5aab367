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
		decode("web.json", `{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "links": ["cache"]}, {"name": "cache", "image": "redis:7"}]}`),
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
