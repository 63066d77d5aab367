package taskdef_test

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/taskdef"
)

func TestDecodeReferences(t *testing.T) {
	runErrorCases(t, []errorCase{
		{
			name: "every kind of reference",
			in: `{"family": "app", "volumes": [{"name": "data"}, {"name": "logs", "host": {"sourcePath": "/var/log"}}],
				"containerDefinitions": [
					{"name": "web", "image": "nginx",
						"links": ["db", "cache:redis", "web"],
						"dependsOn": [{"containerName": "db", "condition": "HEALTHY"}, {"containerName": "migrate", "condition": "SUCCESS"}],
						"volumesFrom": [{"sourceContainer": "sidecar"}],
						"mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}, {"sourceVolume": "cache", "containerPath": "/cache"}]},
					{"name": "db", "image": "postgres", "dependsOn": [{"containerName": "db", "condition": "START"}]}
				]}`,
			want: []string{
				`x.json: containerDefinitions[0](web).links[1]: no container named "cache" in this task definition; use one of "web", "db"`,
				`x.json: containerDefinitions[0](web).links[2]: a container cannot refer to itself; name another container`,
				`x.json: containerDefinitions[0](web).dependsOn[0].condition: HEALTHY needs a health check on "db", which has none (or NONE), so it never becomes healthy; add one there or wait for START`,
				`x.json: containerDefinitions[0](web).dependsOn[1].containerName: no container named "migrate" in this task definition; use one of "web", "db"`,
				`x.json: containerDefinitions[0](web).volumesFrom[0].sourceContainer: no container named "sidecar" in this task definition; use one of "web", "db"`,
				`x.json: containerDefinitions[0](web).mountPoints[1].sourceVolume: no volume named "cache" in this task definition; use one of "data", "logs", or add the volume to the task's "volumes"`,
				`x.json: containerDefinitions[1](db).dependsOn[0].containerName: a container cannot refer to itself; name another container`,
			},
		},
		{
			name: "mount point without volumes",
			in:   task(`{"name": "web", "image": "nginx", "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}]}`),
			want: []string{`x.json: containerDefinitions[0](web).mountPoints[0].sourceVolume: no volume named "data" in this task definition; the task has no volumes; add one to the task's "volumes" or remove this mount point`},
		},
		{
			name: "duplicate container names",
			in:   task(`{"name": "web", "image": "nginx"}`, `{"name": "worker", "image": "app"}`, `{"name": "web", "image": "httpd"}`),
			want: []string{`x.json: containerDefinitions[2](web).name: duplicate container name "web" (also containerDefinitions[0](web)); give each container a unique name`},
		},
		{
			name: "duplicate volume names",
			in:   `{"family": "app", "volumes": [{"name": "data"}, {"name": "data"}], "containerDefinitions": [{"name": "web", "image": "nginx"}]}`,
			want: []string{`x.json: volumes[1].name: duplicate volume name "data" (also volumes[0]); give each volume a unique name`},
		},
		{
			name: "proxy container",
			in:   `{"family": "app", "proxyConfiguration": {"type": "APPMESH", "containerName": "envoy"}, "containerDefinitions": [{"name": "web", "image": "nginx"}]}`,
			want: []string{`x.json: proxyConfiguration.containerName: no container named "envoy" in this task definition; use one of "web"`},
		},
		{
			name: "links in awsvpc",
			in:   `{"family": "app", "networkMode": "awsvpc", "containerDefinitions": [{"name": "web", "image": "nginx", "links": ["db"]}, {"name": "db", "image": "postgres"}]}`,
			want: []string{`x.json: containerDefinitions[0](web).links: links are not supported in awsvpc network mode, where containers reach each other on localhost; remove them`},
		},
		{
			name: "bad link alias",
			in:   task(`{"name": "web", "image": "nginx", "links": ["db:my alias"]}`, `{"name": "db", "image": "postgres"}`),
			want: []string{`x.json: containerDefinitions[0](web).links[0]: invalid link "db:my alias"; write "container" or "container:alias"`},
		},
		{
			name: "valid references",
			in: `{"family": "app", "networkMode": "bridge", "volumes": [{"name": "data"}],
				"containerDefinitions": [
					{"name": "web", "image": "nginx", "links": ["db:database"], "volumesFrom": [{"sourceContainer": "db", "readOnly": true}],
						"dependsOn": [{"containerName": "db", "condition": "COMPLETE"}], "mountPoints": [{"sourceVolume": "data", "containerPath": "/d"}]},
					{"name": "db", "image": "postgres", "essential": false}
				]}`,
		},
	})
}

func TestDecodeCycles(t *testing.T) {
	runErrorCases(t, []errorCase{
		{
			name: "mutual links",
			in:   task(`{"name": "a", "image": "nginx", "links": ["b"]}`, `{"name": "b", "image": "nginx", "links": ["a:alias"]}`),
			want: []string{`x.json: containerDefinitions[0](a).links[0]: dependency cycle a → b → a (through dependsOn, links and volumesFrom): containers cannot wait for each other; remove one of these references`},
		},
		{
			name: "three containers through every kind of reference",
			in: task(`{"name": "web", "image": "nginx", "dependsOn": [{"containerName": "db", "condition": "START"}]}`,
				`{"name": "db", "image": "postgres", "volumesFrom": [{"sourceContainer": "data"}]}`,
				`{"name": "data", "image": "busybox", "links": ["web"]}`),
			want: []string{`x.json: containerDefinitions[0](web).dependsOn[0].containerName: dependency cycle web → db → data → web (through dependsOn, links and volumesFrom): containers cannot wait for each other; remove one of these references`},
		},
		{
			name: "a diamond is no cycle",
			in: task(`{"name": "web", "image": "nginx", "dependsOn": [{"containerName": "db", "condition": "START"}, {"containerName": "cache", "condition": "START"}]}`,
				`{"name": "db", "image": "postgres", "links": ["cache"]}`, `{"name": "cache", "image": "redis"}`),
		},
	})
}

func TestDecodeHealthyNeedsAHealthCheck(t *testing.T) {
	runErrorCases(t, []errorCase{{
		name: "no health check and NONE",
		in: task(`{"name": "web", "image": "nginx", "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}, {"containerName": "cache", "condition": "HEALTHY"}, {"containerName": "api", "condition": "HEALTHY"}]}`,
			`{"name": "db", "image": "postgres"}`,
			`{"name": "cache", "image": "redis", "healthCheck": {"command": ["NONE"]}}`,
			`{"name": "api", "image": "api", "healthCheck": {"command": ["CMD", "/health"]}}`),
		want: []string{
			`x.json: containerDefinitions[0](web).dependsOn[0].condition: HEALTHY needs a health check on "db", which has none (or NONE), so it never becomes healthy; add one there or wait for START`,
			`x.json: containerDefinitions[0](web).dependsOn[1].condition: HEALTHY needs a health check on "cache", which has none (or NONE), so it never becomes healthy; add one there or wait for START`,
		},
	}, {
		// ECS registers a check of another kind, but Docker never runs it.
		name: "a check Docker does not run",
		in: task(`{"name": "web", "image": "nginx", "dependsOn": [{"containerName": "probe", "condition": "HEALTHY"}, {"containerName": "probe", "condition": "START"}]}`,
			`{"name": "probe", "image": "probe", "healthCheck": {"command": ["/healthcheck"]}}`),
		want: []string{
			`x.json: containerDefinitions[0](web).dependsOn[0].condition: HEALTHY waits for "probe", whose health check starts with "/healthcheck", which Docker never runs (only CMD and CMD-SHELL), so it never becomes healthy on ECS either; start that command with "CMD" (or "CMD-SHELL") or wait for START`,
		},
	}})
}

// TestDecodeAcceptsAnyHealthCheckKind: register-task-definition accepts a
// health check command whose first element is not CMD, CMD-SHELL or NONE
// (AWS's own examples use ["/healthcheck"]), so decoding does too.
func TestDecodeAcceptsAnyHealthCheckKind(t *testing.T) {
	for _, cmd := range []string{`["/healthcheck"]`, `["curl -f http://localhost/"]`, `["cmd", "/bin/true"]`} {
		_, err := taskdef.Decode("x.json", []byte(task(`{"name": "web", "image": "nginx", "healthCheck": {"command": `+cmd+`}}`)))
		assert.NilError(t, err, cmd)
	}
}
