package taskdef_test

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

func TestDecodeWrongTypes(t *testing.T) {
	runErrorCases(t, []errorCase{
		{
			name: "quoted integer",
			in:   task(`{"name": "web", "image": "nginx", "portMappings": [{"containerPort": 80, "hostPort": "8080"}]}`),
			want: []string{`x.json: containerDefinitions[0](web).portMappings[0].hostPort: expected an integer, got string "8080"; write 8080 without quotes`},
		},
		{
			name: "task cpu as a number",
			in:   `{"family": "app", "cpu": 256, "memory": 512, "containerDefinitions": [{"name": "web", "image": "nginx"}]}`,
			want: []string{
				`x.json: cpu: expected a string, got number 256; put it in quotes: "256"`,
				`x.json: memory: expected a string, got number 512; put it in quotes: "512"`,
			},
		},
		{
			name: "fraction",
			in:   task(`{"name": "web", "image": "nginx", "memory": 1.5}`),
			want: []string{`x.json: containerDefinitions[0](web).memory: expected an integer, got number 1.5; write a whole number`},
		},
		{
			name: "out of range",
			in:   task(`{"name": "web", "image": "nginx", "cpu": 3000000000}`),
			want: []string{`x.json: containerDefinitions[0](web).cpu: 3000000000 is out of range; ECS integers lie between -2147483648 and 2147483647`},
		},
		{
			name: "quoted boolean",
			in:   task(`{"name": "web", "image": "nginx", "essential": "true"}`),
			want: []string{`x.json: containerDefinitions[0](web).essential: expected true or false, got string "true"; write true without quotes`},
		},
		{
			name: "string for an array",
			in:   task(`{"name": "web", "image": "nginx", "command": "serve --port 80"}`),
			want: []string{`x.json: containerDefinitions[0](web).command: expected an array of strings, got string "serve --port 80"; wrap the value in [ ]`},
		},
		{
			name: "array for an object",
			in:   task(`{"name": "web", "image": "nginx", "logConfiguration": [], "dockerLabels": {"a": 1}}`),
			want: []string{
				`x.json: containerDefinitions[0](web).logConfiguration: expected an object, got an array; replace it with an object`,
				`x.json: containerDefinitions[0](web).dockerLabels.a: expected a string, got number 1; put it in quotes: "1"`,
			},
		},
		{
			name: "null in an array",
			in:   task(`{"name": "web", "image": "nginx", "links": [null], "environment": [null]}`),
			want: []string{
				`x.json: containerDefinitions[0](web).links[0]: null is not allowed in an array; remove it`,
				`x.json: containerDefinitions[0](web).environment[0]: null is not allowed in an array; remove it`,
			},
		},
		{
			name: "long string shortened",
			in:   task(`{"name": "web", "image": "nginx", "cpu": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`),
			want: []string{`x.json: containerDefinitions[0](web).cpu: expected an integer, got string "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…"; replace it with an integer`},
		},
		{
			name: "container without a usable name",
			in:   task(`{"name": 7, "image": "nginx"}`),
			want: []string{`x.json: containerDefinitions[0].name: expected a string, got number 7; put it in quotes: "7"`},
		},
		{
			name: "timestamp of the wrong type",
			in:   `{"family": "app", "registeredAt": true, "containerDefinitions": [{"name": "web", "image": "nginx"}]}`,
			want: []string{`x.json: registeredAt: expected a timestamp (a string or epoch seconds), got true; write it like "2024-06-21T19:04:43Z"`},
		},
	})
}

func TestDecodeErrorNamesContainer(t *testing.T) {
	_, err := taskdef.Decode("x.json", []byte(task(`{"name": "web", "image": "nginx", "cpu": "1"}`)))
	var fe *fieldpath.FieldError
	assert.Assert(t, errors.As(err, &fe))
	assert.Equal(t, fe.File, "x.json")
	assert.Equal(t, fe.Container, "web")
	assert.Equal(t, fe.Path.String(), "containerDefinitions[0](web).cpu")
}

func TestDecodeNullIsAbsent(t *testing.T) {
	def, err := taskdef.Decode("x.json", []byte(`{
		"family": "app", "taskRoleArn": null, "volumes": null,
		"containerDefinitions": [{"name": "web", "image": "nginx", "memory": null, "essential": null,
			"mountPoints": [], "dockerLabels": {}, "logConfiguration": null}]}`))
	assert.NilError(t, err)
	c := def.Task.ContainerDefinitions[0]
	assert.Assert(t, def.Task.TaskRoleArn == nil)
	assert.Assert(t, def.Task.Volumes == nil)
	assert.Assert(t, c.Memory == nil && c.Essential == nil && c.LogConfiguration == nil)
	assert.Assert(t, c.MountPoints == nil, "an empty array decodes as absent")
	assert.Assert(t, c.DockerLabels == nil, "an empty object decodes as absent")
}

func TestDecodeValues(t *testing.T) {
	def, err := taskdef.Decode("taskdefs/web.json", []byte(`{
		"family": "app", "networkMode": "awsvpc", "cpu": "0.25 vCPU", "memory": "1 GB",
		"registeredAt": 1689256896.949, "deregisteredAt": "2024-06-21T19:04:43.968Z",
		"containerDefinitions": [{
			"name": "web", "image": "nginx", "cpu": 0, "essential": false,
			"portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "udp"}, {"containerPortRange": "8000-8010"}],
			"environment": [{"name": "A", "value": "$HOME"}],
			"dockerLabels": {"com.example": "x"}
		}, {"name": "side", "image": "busybox"}]}`))
	assert.NilError(t, err)
	assert.Equal(t, def.File, "taskdefs/web.json")
	tk := def.Task
	assert.Equal(t, *tk.Cpu, "0.25 vCPU")
	assert.Equal(t, *tk.RegisteredAt, taskdef.Timestamp("1689256896.949"))
	assert.Equal(t, *tk.DeregisteredAt, taskdef.Timestamp("2024-06-21T19:04:43.968Z"))
	c := tk.ContainerDefinitions[0]
	assert.Equal(t, *c.Cpu, 0)
	assert.Equal(t, *c.Essential, false)
	assert.Equal(t, *c.PortMappings[0].HostPort, 80)
	assert.Equal(t, c.PortMappings[0].Protocol, "udp")
	assert.Equal(t, *c.PortMappings[1].ContainerPortRange, "8000-8010")
	assert.Equal(t, *c.Environment[0].Value, "$HOME")
	assert.DeepEqual(t, c.DockerLabels, map[string]string{"com.example": "x"})
}
