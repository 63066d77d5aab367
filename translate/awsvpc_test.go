package translate_test

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// TestAWSVPCHolderOwnsTheNamespace: in an awsvpc task with a one-shot
// init container (first, depending on nothing, essential false), no task
// container owns the network namespace: a devenv pause service does, and
// publishes every port of the task.
func TestAWSVPCHolderOwnsTheNamespace(t *testing.T) {
	def, err := taskdef.Decode("taskdefs/app.json", []byte(`{"family": "app", "networkMode": "awsvpc", "pidMode": "task", "containerDefinitions": [
  {"name": "migrate", "image": "migrate/migrate:v4", "essential": false},
  {"name": "app", "image": "nginx:1.27", "portMappings": [{"containerPort": 8080}],
   "dependsOn": [{"containerName": "migrate", "condition": "SUCCESS"}]}]}`))
	assert.NilError(t, err)
	p, report, err := translate.Translate([]taskdef.Def{def}, config.Default())
	assert.NilError(t, err)
	holder, ok := p.Services["app"+translate.HolderSuffix]
	assert.Assert(t, ok, "no holder service")
	assert.Equal(t, holder.Image, "devenv/pause:local")
	assert.DeepEqual(t, []string(holder.Command), []string{"pause"})
	assert.Equal(t, len(holder.DependsOn), 0)
	assert.Equal(t, len(holder.Ports), 1)
	assert.Equal(t, holder.Ports[0].Target, uint32(8080))
	for _, name := range []string{"migrate", "app"} {
		s := p.Services[name]
		assert.Equal(t, s.NetworkMode, "service:app-pause", name)
		assert.Equal(t, s.Pid, "service:app-pause", name)
		assert.Equal(t, len(s.Ports), 0, name)
	}
	found := false
	for _, d := range report {
		found = found || (d.Path == "networkMode" && d.Local == "service app-pause holds the network namespace")
	}
	assert.Assert(t, found, report.Text())
}
