package taskdef_test

import "testing"

func TestDecodeUnknownFields(t *testing.T) {
	runErrorCases(t, []errorCase{
		{
			name: "case mismatch",
			in:   task(`{"name": "web", "image": "nginx", "PortMappings": []}`),
			want: []string{`x.json: containerDefinitions[0](web).PortMappings: unknown field; did you mean "portMappings"? (field names are case-sensitive)`},
		},
		{
			name: "misspelling",
			in:   task(`{"name": "web", "image": "nginx", "enviroment": []}`),
			want: []string{`x.json: containerDefinitions[0](web).enviroment: unknown field; did you mean "environment"? (field names are case-sensitive)`},
		},
		{
			name: "short key needs a close match",
			in:   task(`{"name": "web", "image": "nginx", "cpus": 1, "tty": true}`),
			want: []string{
				`x.json: containerDefinitions[0](web).cpus: unknown field; did you mean "cpu"? (field names are case-sensitive)`,
				`x.json: containerDefinitions[0](web).tty: unknown field; ECS ContainerDefinition has no such field: remove it`,
			},
		},
		{
			name: "no near miss",
			in:   `{"family": "app", "containerDefinitions": [{"name": "web", "image": "nginx"}], "deployment": {}}`,
			want: []string{`x.json: deployment: unknown field; ECS TaskDefinition has no such field: remove it`},
		},
		{
			name: "nested",
			in:   task(`{"name": "web", "image": "nginx", "portMappings": [{"containerPort": 80, "hostport": 80}], "logConfiguration": {"logDriver": "fluentd", "option": {}}}`),
			want: []string{
				`x.json: containerDefinitions[0](web).portMappings[0].hostport: unknown field; did you mean "hostPort"? (field names are case-sensitive)`,
				`x.json: containerDefinitions[0](web).logConfiguration.option: unknown field; did you mean "options"? (field names are case-sensitive)`,
			},
		},
		{
			name: "volume field of another shape",
			in:   `{"family": "app", "containerDefinitions": [{"name": "web", "image": "nginx"}], "volumes": [{"name": "data", "readOnly": true}]}`,
			want: []string{`x.json: volumes[0].readOnly: unknown field; ECS Volume has no such field: remove it`},
		},
		{
			name: "odd key quoted in the path",
			in:   `{"family": "app", "containerDefinitions": [{"name": "web", "image": "nginx"}], "x.y z": 1}`,
			want: []string{`x.json: ["x.y z"]: unknown field; ECS TaskDefinition has no such field: remove it`},
		},
		{
			name: "describe output sibling",
			in:   `{"taskDefinition": {"family": "app", "containerDefinitions": [{"name": "web", "image": "nginx"}]}, "ResponseMetadata": {}}`,
			want: []string{`x.json: ResponseMetadata: unknown field; describe-task-definition output holds only "taskDefinition" and "tags": remove it`},
		},
		{
			name: "duplicate field",
			in:   task(`{"name": "web", "image": "nginx", "image": "httpd"}`),
			want: []string{`x.json: containerDefinitions[0](web).image: duplicate field; keep only one`},
		},
		{
			name: "duplicate map key",
			in:   task(`{"name": "web", "image": "nginx", "dockerLabels": {"team": "a", "team": "b"}}`),
			want: []string{`x.json: containerDefinitions[0](web).dockerLabels.team: duplicate key; keep only one`},
		},
		{
			name: "map keys are free",
			in:   task(`{"name": "web", "image": "nginx", "dockerLabels": {"com.example.team": "a"}, "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}}}`),
		},
	})
}
