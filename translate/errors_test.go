package translate_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

func ptr[T any](v T) *T { return &v }

// TestErrors pins the exact error text for input Translate rejects. The
// definitions are built in Go, bypassing the loader; what taskdef already
// guarantees (references, enumerations, at least one container: see
// Translate's contract and taskdef's tests) is not repeated here.
func TestErrors(t *testing.T) {
	web := func(mod func(*taskdef.ContainerDefinition)) taskdef.ContainerDefinition {
		c := taskdef.ContainerDefinition{Name: "web", Image: "nginx:1.27"}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	for name, tc := range map[string]struct {
		defs  []taskdef.Def
		want  string
		hosts []config.HostRule
	}{
		"no task definitions": {nil, "no task definitions to translate: give --taskdefs or list them under taskdefs in devenv.yaml", nil},
		"same host port twice in one service": {
			[]taskdef.Def{{File: "a.json", Task: taskdef.TaskDefinition{Family: "a", ContainerDefinitions: []taskdef.ContainerDefinition{web(func(c *taskdef.ContainerDefinition) {
				c.PortMappings = []taskdef.PortMapping{{ContainerPort: ptr(80), HostPort: ptr(8080)}, {ContainerPort: ptr(81), HostPort: ptr(8080)}}
			})}}}},
			"a.json: containerDefinitions[0](web).portMappings: host port 127.0.0.1:8080/tcp is also published by another of its port mappings: publish it on another host port under services in devenv.yaml, e.g. services: {a/web: {ports: {\"81\": <free port>}}}",
			nil,
		},
		"fluentd collector without a fixed port": {
			[]taskdef.Def{{File: "a.json", Task: taskdef.TaskDefinition{Family: "a", ContainerDefinitions: []taskdef.ContainerDefinition{
				web(func(c *taskdef.ContainerDefinition) {
					c.LogConfiguration = &taskdef.LogConfiguration{LogDriver: "fluentd", Options: map[string]string{"fluentd-address": "logs.example.com"}}
				}),
				{Name: "fluentd", Image: "fluent/fluentd:v1.17-1", PortMappings: []taskdef.PortMapping{{ContainerPort: ptr(24224)}}},
			}}}},
			"a.json: containerDefinitions[0](web).logConfiguration.options.fluentd-address: service fluentd does not publish a fixed host port for container port 24224, which the fluentd log driver needs: give that portMapping a hostPort",
			[]config.HostRule{{Host: "logs.example.com", Service: "fluentd"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			local := config.Default()
			local.Hosts = tc.hosts
			p, report, err := translate.Translate(tc.defs, local)
			assert.Assert(t, p == nil && report == nil)
			assert.Error(t, err, tc.want)
			assert.Assert(t, errors.Is(err, fieldpath.ErrInvalid))
		})
	}
}

// TestCycleInTheProject: two tasks whose containers log to each other's
// collector make a cycle only in the finished project (the log collector
// dependencies devenv adds); Translate reports it with its location.
func TestCycleInTheProject(t *testing.T) {
	collector := func(family, host string) taskdef.Def {
		return taskdef.Def{File: family + ".json", Task: taskdef.TaskDefinition{Family: family, ContainerDefinitions: []taskdef.ContainerDefinition{{
			Name: family, Image: "fluent/fluentd:v1.17-1",
			PortMappings:     []taskdef.PortMapping{{ContainerPort: ptr(24224), HostPort: ptr(map[string]int{"a": 24224, "b": 24225}[family])}},
			LogConfiguration: &taskdef.LogConfiguration{LogDriver: "fluentd", Options: map[string]string{"fluentd-address": host + ":24224"}},
		}}}}
	}
	local := config.Default()
	local.Hosts = []config.HostRule{{Host: "logs-a.example.com", Service: "b"}, {Host: "logs-b.example.com", Service: "a"}}
	p, _, err := translate.Translate([]taskdef.Def{collector("a", "logs-a.example.com"), collector("b", "logs-b.example.com")}, local)
	assert.Assert(t, p == nil)
	assert.Error(t, err, "a.json: containerDefinitions[0](a): service a: dependency cycle a → b → a in the Compose project (depends_on, network_mode, volumes_from and links, including the log collector dependencies devenv adds): docker compose cannot start it; remove one of these references or map the log driver's host to another collector in devenv.yaml")
}

// TestDescribeOutputPaths: errors and deviations about a
// describe-task-definition file carry the taskDefinition. prefix, as its
// decode errors do.
func TestDescribeOutputPaths(t *testing.T) {
	def, err := taskdef.Decode("d.json", []byte(`{"taskDefinition": {"family": "app", "taskRoleArn": "arn:aws:iam::1:role/r",
  "containerDefinitions": [{"name": "web", "image": "<IMAGE1_NAME>"}]}}`))
	assert.NilError(t, err)
	_, _, err = translate.Translate([]taskdef.Def{def}, config.Default())
	assert.ErrorContains(t, err, "d.json: taskDefinition.containerDefinitions[0](web).image: ")
	def.Task.ContainerDefinitions[0].Image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1"
	_, report, err := translate.Translate([]taskdef.Def{def}, config.Default())
	assert.NilError(t, err)
	assert.Assert(t, slices.ContainsFunc(report, func(d translate.Deviation) bool {
		return d.Path == "taskDefinition.containerDefinitions[0](web).image"
	}), "the ECR image without a rule is reported: %+v", report)
	for _, d := range report {
		assert.Assert(t, strings.HasPrefix(d.Path, "taskDefinition."), "%+v", d)
	}
}

// TestPullRuleOnAPlaceholder: a pull rule cannot make a placeholder such
// as <IMAGE1_NAME> (CodeDeploy taskdef.json) an image.
func TestPullRuleOnAPlaceholder(t *testing.T) {
	def, err := taskdef.Decode("a.json", []byte(`{"family": "a", "containerDefinitions": [{"name": "web", "image": "<IMAGE1_NAME>"}]}`))
	assert.NilError(t, err)
	local := config.Default()
	local.Images = []config.ImageRule{{Match: "<IMAGE1_NAME>", Action: config.ActionPull}}
	_, _, err = translate.Translate([]taskdef.Def{def}, local)
	assert.Error(t, err, `a.json: containerDefinitions[0](web).image: "<IMAGE1_NAME>" is not an image reference Docker can pull, yet devenv.yaml keeps it (pull: true, match <IMAGE1_NAME>): give that rule build: {context: <folder>}, go: ./path/to/main or standIn: <datadog-stub | fake-s3 | fake-td | fluentd> instead of pull: true, or fix the task definition`)
}

// TestPlaceholderWithoutARule: a placeholder no rule matches is an error
// naming every way out; pull: true is named as no way out.
func TestPlaceholderWithoutARule(t *testing.T) {
	def, err := taskdef.Decode("a.json", []byte(`{"family": "a", "containerDefinitions": [{"name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:<TAG>"}]}`))
	assert.NilError(t, err)
	_, _, err = translate.Translate([]taskdef.Def{def}, config.Default())
	assert.Error(t, err, `a.json: containerDefinitions[0](web).image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:<TAG>" is not an image reference Docker can pull: fix the task definition, or add a rule matching it to the images list of devenv.yaml, e.g. {match: "web", build: {context: <folder>}}, or go: ./path/to/main, or standIn: <datadog-stub | fake-s3 | fake-td | fluentd>; pull: true cannot keep it, since Docker cannot pull it`)
}

// TestVolumesStayApart: task volumes of different task definitions never
// share a local volume or folder by accident, whatever their names.
func TestVolumesStayApart(t *testing.T) {
	def := func(family, volume string) taskdef.Def {
		return taskdef.Def{File: family + ".json", Task: taskdef.TaskDefinition{Family: family,
			Volumes:              []taskdef.Volume{{Name: volume}, {Name: "logs", Host: &taskdef.HostVolumeProperties{SourcePath: ptr("/var/log")}}},
			ContainerDefinitions: []taskdef.ContainerDefinition{{Name: family + "-web", Image: "nginx:1.27", MountPoints: []taskdef.MountPoint{{SourceVolume: volume, ContainerPath: "/v"}, {SourceVolume: "logs", ContainerPath: "/logs"}}}}}}
	}
	p, _, err := translate.Translate([]taskdef.Def{def("a_b", "c"), def("a", "b_c")}, config.Default())
	assert.NilError(t, err)
	assert.Equal(t, len(p.Volumes), 2)
	ab, a := p.Services["a_b-web"].Volumes, p.Services["a-web"].Volumes
	assert.Assert(t, ab[0].Source != a[0].Source, "%s", ab[0].Source)
	assert.Assert(t, ab[1].Source != a[1].Source, "%s", ab[1].Source)
	assert.Equal(t, a[1].Source, "./.devenv/volumes/a/logs")
}

// TestMemoryMinimum: 4 and 5 MiB (ECS accepts them) are raised to Docker
// 20.10's 6 MiB minimum, reported.
func TestMemoryMinimum(t *testing.T) {
	def, err := taskdef.Decode("a.json", []byte(`{"family": "a", "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "memory": 5, "memoryReservation": 4}]}`))
	assert.NilError(t, err)
	p, report, err := translate.Translate([]taskdef.Def{def}, config.Default())
	assert.NilError(t, err)
	assert.Equal(t, int64(p.Services["web"].MemLimit), int64(6<<20))
	assert.Equal(t, int64(p.Services["web"].MemReservation), int64(6<<20))
	assert.Assert(t, strings.Contains(report.Text(), "memory: 5 MiB → 6 MiB: Docker 20.10 and later refuse less than 6 MiB"), report.Text())
}

// TestFireLensIsUnsupported: FireLens routing is not emulated, so
// awsfirelens is an unsupported deviation that plan --strict catches.
func TestFireLensIsUnsupported(t *testing.T) {
	def, err := taskdef.Decode("a.json", []byte(`{"family": "a", "containerDefinitions": [
  {"name": "app", "image": "nginx:1.27", "logConfiguration": {"logDriver": "awsfirelens", "options": {"Name": "cloudwatch"}}},
  {"name": "router", "image": "amazon/aws-for-fluent-bit:2.32", "firelensConfiguration": {"type": "fluentbit"}}]}`))
	assert.NilError(t, err)
	_, report, err := translate.Translate([]taskdef.Def{def}, config.Default())
	assert.NilError(t, err)
	found := false
	for _, d := range report.Unsupported() {
		found = found || d.Path == "containerDefinitions[0](app).logConfiguration.logDriver"
	}
	assert.Assert(t, found, report.Text())
}

// TestServicePortsInHostMode: a host-mode container's ports cannot move.
func TestServicePortsInHostMode(t *testing.T) {
	def, err := taskdef.Decode("a.json", []byte(`{"family": "a", "networkMode": "host", "containerDefinitions": [{"name": "agent", "image": "busybox:1.36", "portMappings": [{"containerPort": 8125, "protocol": "udp"}]}]}`))
	assert.NilError(t, err)
	local := config.Default()
	local.Services = map[string]config.ServiceRule{"a/agent": {Family: "a", Container: "agent", Ports: map[string]int{"8125/udp": 18125}}}
	_, _, err = translate.Translate([]taskdef.Def{def}, local)
	assert.Error(t, err, `devenv.yaml: services["a/agent"].ports: container a/agent runs in host network mode, where it listens on the host's ports itself: another host port cannot be chosen; remove the entry`)
}

// TestEveryErrorInOneRun: an error in one task does not hide the checks
// that run on the whole project (cycles, the fluentd service) or on the
// other tasks.
func TestEveryErrorInOneRun(t *testing.T) {
	collector := func(family, host string) taskdef.Def {
		return taskdef.Def{File: family + ".json", Task: taskdef.TaskDefinition{Family: family, ContainerDefinitions: []taskdef.ContainerDefinition{{
			Name: family, Image: "fluent/fluentd:v1.17-1",
			PortMappings:     []taskdef.PortMapping{{ContainerPort: ptr(24224), HostPort: ptr(map[string]int{"a": 24224, "b": 24225}[family])}},
			LogConfiguration: &taskdef.LogConfiguration{LogDriver: "fluentd", Options: map[string]string{"fluentd-address": host + ":24224"}},
		}}}}
	}
	bad := taskdef.Def{File: "c.json", Task: taskdef.TaskDefinition{Family: "c", ContainerDefinitions: []taskdef.ContainerDefinition{{Name: "c", Image: "<IMAGE1_NAME>"}}}}
	local := config.Default()
	local.Hosts = []config.HostRule{{Host: "logs-a.example.com", Service: "b"}, {Host: "logs-b.example.com", Service: "a"}}
	_, _, err := translate.Translate([]taskdef.Def{collector("a", "logs-a.example.com"), collector("b", "logs-b.example.com"), bad}, local)
	assert.ErrorContains(t, err, `c.json: containerDefinitions[0](c).image: "<IMAGE1_NAME>" is not an image reference Docker can pull`)
	assert.ErrorContains(t, err, "a.json: containerDefinitions[0](a): service a: dependency cycle a → b → a")
}
