package taskdef_test

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/taskdef"
)

const describeOutput = `{
  "taskDefinition": {
    "taskDefinitionArn": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/delish-server:42",
    "family": "delish-server",
    "revision": 42,
    "status": "ACTIVE",
    "networkMode": "bridge",
    "containerDefinitions": [{
      "name": "api-server", "image": "delish-server:1", "cpu": 0, "memory": null,
      "memoryReservation": 512, "essential": true,
      "portMappings": [{"containerPort": 1323, "hostPort": 1323, "protocol": "tcp"}],
      "mountPoints": [], "volumesFrom": [], "environment": []
    }],
    "volumes": [],
    "placementConstraints": [],
    "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.fluentd"}],
    "compatibilities": ["EXTERNAL", "EC2"],
    "registeredAt": "2023-07-13T14:01:36.949000+09:00",
    "registeredBy": "arn:aws:iam::123456789012:user/deploy"
  },
  "tags": [{"key": "team", "value": "api"}]
}`

func TestDecodeDescribeOutput(t *testing.T) {
	def, err := taskdef.Decode("describe.json", []byte(describeOutput))
	assert.NilError(t, err)
	tk := def.Task
	assert.Equal(t, tk.Family, "delish-server")
	assert.Equal(t, *tk.Revision, 42)
	assert.Equal(t, tk.Status, "ACTIVE")
	assert.DeepEqual(t, tk.Compatibilities, []string{"EXTERNAL", "EC2"})
	assert.Equal(t, *tk.RegisteredAt, taskdef.Timestamp("2023-07-13T14:01:36.949000+09:00"))
	assert.Equal(t, tk.RequiresAttributes[0].Name, "com.amazonaws.ecs.capability.logging-driver.fluentd")
	assert.Equal(t, len(tk.Tags), 1, "the sibling tags become the task's tags")
	assert.Equal(t, tk.Tags[0].Key, "team")
	assert.Equal(t, tk.ContainerDefinitions[0].Name, "api-server")
	assert.Equal(t, def.Wrapper, "taskDefinition")
	assert.Equal(t, def.Root().String(), "taskDefinition")
}

func TestDecodeDescribeOutputErrors(t *testing.T) {
	runErrorCases(t, []errorCase{
		{
			name: "paths start at taskDefinition",
			in:   `{"taskDefinition": {"family": "app", "containerDefinitions": [{"name": "web", "image": "nginx", "portMapping": []}]}, "tags": [{"value": "x"}]}`,
			want: []string{
				`x.json: taskDefinition.containerDefinitions[0](web).portMapping: unknown field; did you mean "portMappings"? (field names are case-sensitive)`,
				`x.json: tags[0].key: required field is missing; add it`,
			},
		},
		{
			name: "validation paths too",
			in:   `{"taskDefinition": {"family": "app", "containerDefinitions": [{"name": "web", "image": "nginx", "links": ["db"]}]}}`,
			want: []string{`x.json: taskDefinition.containerDefinitions[0](web).links[0]: no container named "db" in this task definition; use one of "web"`},
		},
		{
			name: "null tags are absent",
			in:   `{"taskDefinition": {"family": "app", "containerDefinitions": [{"name": "web", "image": "nginx"}]}, "tags": null}`,
		},
		{
			name: "null task definition",
			in:   `{"taskDefinition": null}`,
			want: []string{`x.json: taskDefinition: expected a task definition object, got null; put the task definition there`},
		},
	})
}
