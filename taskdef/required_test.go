package taskdef_test

import "testing"

func TestDecodeRequiredFields(t *testing.T) {
	runErrorCases(t, []errorCase{
		{
			name: "fluentd as published",
			in:   `{"containerDefinitions": [{"image": "delish-fluentd:13", "memoryReservation": 512}]}`,
			want: []string{
				`x.json: containerDefinitions[0].name: required field is missing; add it`,
				`x.json: family: required field is missing; add it`,
			},
		},
		{
			name: "no containers",
			in:   `{"family": "app", "containerDefinitions": []}`,
			want: []string{`x.json: containerDefinitions: no containers; a task definition needs at least one container definition`},
		},
		{
			name: "containers missing",
			in:   `{"family": "app"}`,
			want: []string{`x.json: containerDefinitions: required field is missing; add it`},
		},
		{
			name: "null required",
			in:   task(`{"name": "web", "image": null}`),
			want: []string{`x.json: containerDefinitions[0](web).image: required field is null; give it a value`},
		},
		{
			name: "empty strings",
			in:   `{"family": "", "containerDefinitions": [{"name": "", "image": ""}]}`,
			want: []string{
				`x.json: family: must not be empty; name the task definition family`,
				`x.json: containerDefinitions[0].name: must not be empty; name the container`,
				`x.json: containerDefinitions[0].image: must not be empty; name the image to run, e.g. "nginx:1.27"`,
			},
		},
		{
			name: "port mapping without a port",
			in:   task(`{"name": "web", "image": "nginx", "portMappings": [{"hostPort": 80}]}`),
			want: []string{`x.json: containerDefinitions[0](web).portMappings[0].containerPort: required field is missing; add it (or a containerPortRange)`},
		},
		{
			name: "nested required fields",
			in: task(`{"name": "web", "image": "nginx",
				"secrets": [{"name": "TOKEN"}],
				"dependsOn": [{"containerName": "web2"}],
				"ulimits": [{"name": "nofile", "softLimit": 1024}],
				"logConfiguration": {"options": {}},
				"healthCheck": {"interval": 10},
				"environmentFiles": [{"value": "arn:aws:s3:::b/k.env"}],
				"linuxParameters": {"tmpfs": [{"containerPath": "/tmp"}], "devices": [{}]}}`,
				`{"name": "web2", "image": "nginx"}`),
			want: []string{
				`x.json: containerDefinitions[0](web).secrets[0].valueFrom: required field is missing; add it`,
				`x.json: containerDefinitions[0](web).dependsOn[0].condition: required field is missing; add it`,
				`x.json: containerDefinitions[0](web).ulimits[0].hardLimit: required field is missing; add it`,
				`x.json: containerDefinitions[0](web).logConfiguration.logDriver: required field is missing; add it`,
				`x.json: containerDefinitions[0](web).healthCheck.command: required field is missing; add it`,
				`x.json: containerDefinitions[0](web).environmentFiles[0].type: required field is missing; add it`,
				`x.json: containerDefinitions[0](web).linuxParameters.tmpfs[0].size: required field is missing; add it`,
				`x.json: containerDefinitions[0](web).linuxParameters.devices[0].hostPath: required field is missing; add it`,
			},
		},
		{
			name: "empty health check command",
			in:   task(`{"name": "web", "image": "nginx", "healthCheck": {"command": []}}`),
			want: []string{`x.json: containerDefinitions[0](web).healthCheck.command: must not be empty; use ["CMD", "executable", "arg"] or ["CMD-SHELL", "shell command"]`},
		},
		{
			name: "volume and mount point",
			in:   `{"family": "app", "volumes": [{"host": {}}], "containerDefinitions": [{"name": "web", "image": "nginx", "mountPoints": [{"containerPath": "/data"}]}]}`,
			want: []string{
				`x.json: volumes[0].name: required field is missing; add it`,
				`x.json: containerDefinitions[0](web).mountPoints[0].sourceVolume: required field is missing; add it`,
			},
		},
	})
}
