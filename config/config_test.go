package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/config"
)

func TestParseReference(t *testing.T) {
	data, err := os.ReadFile("../devenv.yaml")
	assert.NilError(t, err)
	l, err := config.Parse("devenv.yaml", data)
	assert.NilError(t, err)
	assert.Equal(t, l.Project, "delish")
	assert.Equal(t, l.BindAddress, "127.0.0.1")
	assert.DeepEqual(t, l.Fluentd, config.Fluentd{Config: "fluentd/fluent.conf", Service: "fluentd", MountPath: "/fluentd/etc/fluent.conf", FlushInterval: time.Second})
	assert.Equal(t, l.FakeURL(config.StandInFakeS3), "http://fake-s3:4566")
	assert.Equal(t, l.FakeURL(config.StandInFakeTD), "http://fake-td:8081")
	assert.Equal(t, l.FakeURL(config.StandInDatadogStub), "")
	assert.DeepEqual(t, l.TaskDefs, []string{"taskdefs"})

	r, ok := l.ImageRule("1234567890.dkr.ecr.ap-northeast-1.amazonaws.com/delish-server:899")
	assert.Assert(t, ok)
	assert.Equal(t, r.Action, config.ActionGo)
	assert.Equal(t, r.GoPackage, "./sample/api-server")
	r, ok = l.ImageRule("1234567890.dkr.ecr.ap-northeast-1.amazonaws.com/delish-fluentd:13")
	assert.Assert(t, ok)
	assert.Equal(t, r.Action, config.ActionBuild)
	assert.Equal(t, r.Fallback, config.StandInFluentd)
	r, ok = l.ImageRule("datadog/docker-dd-agent:latest")
	assert.Assert(t, ok)
	assert.Equal(t, r.StandIn, config.StandInDatadogStub)
	_, ok = l.ImageRule("nginx:1.27")
	assert.Assert(t, !ok)

	h, ok := l.HostRule("fluentd.delishkitchen.tv", 24224)
	assert.Assert(t, ok)
	assert.Equal(t, h.Service, "fluentd")
	s, ok := l.Secrets.Lookup("fluentd", "TD_API_KEY")
	assert.Assert(t, ok)
	assert.Equal(t, s.Source, config.SourceConfig)
	assert.DeepEqual(t, l.Fakes, []config.StandIn{config.StandInFakeS3, config.StandInFakeTD})
	v, ok := l.Env("api-server", "DD_AGENT_HOST")
	assert.Assert(t, ok)
	assert.Equal(t, v, "dd-agent", "the API server sends DogStatsD to the stub")
	api := l.Services["delish-server/api-server"]
	assert.DeepEqual(t, api.HealthCheck.Command, []string{"CMD", "/api-server", "-healthcheck"})
	assert.Equal(t, api.Name, "", "the API server keeps its service name")
	assert.DeepEqual(t, l.Verify, config.Verify{
		Events:   []string{"recipe_view", "click", "search", "bookmark", "share", "purchase"},
		Endpoint: config.Endpoint{Service: "api-server", Path: "/events"},
		Metric:   &config.Metric{Name: "delish.api.event", Tags: []string{"event_type:{event}"}},
	})
}

// TestParseVerify: without a verify section there is nothing to send and
// no endpoint (devenv verify picks the service logging to fluentd); an
// endpoint service alone sends over the forward protocol.
func TestParseVerify(t *testing.T) {
	l, err := config.Parse("devenv.yaml", []byte("project: x\n"))
	assert.NilError(t, err)
	assert.DeepEqual(t, l.Verify, config.Verify{})
	l, err = config.Parse("devenv.yaml", []byte("verify:\n  events: [signup]\n  endpoint:\n    service: web\n"))
	assert.NilError(t, err)
	assert.DeepEqual(t, l.Verify, config.Verify{Events: []string{"signup"}, Endpoint: config.Endpoint{Service: "web"}})
}

func TestParseDefaults(t *testing.T) {
	l, err := config.Parse("devenv.yaml", nil)
	assert.NilError(t, err)
	assert.DeepEqual(t, l, config.Default(), cmpopts.IgnoreUnexported(config.Local{}))
	assert.Equal(t, l.Line("project"), 0, "no file, no lines")
}

// TestLine: Parse records the line of every key and list item, so checks
// made after parsing (translate's) can name it.
func TestLine(t *testing.T) {
	l, err := config.Parse("devenv.yaml", []byte("project: x\nsecrets:\n  api:\n    DB_PASSWORD: pw\nimages:\n  - match: web\n    pull: true\n"))
	assert.NilError(t, err)
	assert.Equal(t, l.Line("secrets", "api", "DB_PASSWORD"), 4)
	assert.Equal(t, l.Line("images", "[0]", "match"), 6)
	assert.Equal(t, l.Line("images", "[0]"), 6)
	assert.Equal(t, l.Line("secrets", "web"), 0)
}

// TestParseErrors pins the exact messages: file:line, key path, what to do.
func TestParseErrors(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown top key":  {"project: x\nimagez: []\n", "devenv.yaml:2: imagez: unknown key (known: bindAddress, environment, fakes, fluentd, hosts, images, notSecret, output, project, secrets, services, taskdefs, verify, volumes)"},
		"bad notSecret":    {"notSecret:\n  \"*\": [S3_KEY_PREFIX, 1X]\n", "devenv.yaml:2: notSecret.*[1]: \"1X\" is not a valid environment variable name"},
		"bad service key":  {"services:\n  web:\n    name: web2\n", "devenv.yaml:2: services.web: want <task family>/<container name>, like api-server/web"},
		"bad port key":     {"services:\n  app/web:\n    ports:\n      http: 8080\n", "devenv.yaml:4: services.\"app/web\".ports.http: want a container port (1-65535), optionally with /tcp or /udp, like 8080 or 8125/udp"},
		"bad host port no": {"services:\n  app/web:\n    ports:\n      \"8080\": 70000\n", "devenv.yaml:4: services.\"app/web\".ports.8080: host port 70000 must be a number from 1 to 65535"},
		"same name twice":  {"services:\n  a/web:\n    name: web2\n  b/web:\n    name: web2\n", "devenv.yaml:5: services.\"b/web\".name: \"web2\" is also the name of a/web: give each service its own"},
		"empty service":    {"services:\n  a/web: {}\n", "devenv.yaml:2: services.\"a/web\": give a name, ports, a healthCheck, or several of them"},
		"no check command": {"services:\n  a/web:\n    healthCheck:\n      interval: 5\n", "devenv.yaml:3: services.\"a/web\".healthCheck.command: missing: give the check as in an ECS task definition, e.g. [\"CMD\", \"/app\", \"-healthcheck\"] or [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]"},
		"bad check kind":   {"services:\n  a/web:\n    healthCheck:\n      command: [/app, -healthcheck]\n", "devenv.yaml:4: services.\"a/web\".healthCheck.command[0]: \"/app\": start the command with CMD (run it directly), CMD-SHELL (run it in the container's shell) or NONE (no health check), as in ECS"},
		"check runs none":  {"services:\n  a/web:\n    healthCheck:\n      command: [CMD-SHELL]\n", "devenv.yaml:4: services.\"a/web\".healthCheck.command: CMD-SHELL runs nothing: give the command after it, e.g. [\"CMD-SHELL\", \"/app\", \"-healthcheck\"]"},
		"check too often":  {"services:\n  a/web:\n    healthCheck:\n      command: [CMD, /app]\n      interval: 1\n", "devenv.yaml:5: services.\"a/web\".healthCheck.interval: 1 is out of range: ECS accepts 5 to 300 seconds"},
		"check timeout":    {"services:\n  a/web:\n    healthCheck:\n      command: [CMD, /app]\n      timeout: 61\n", "devenv.yaml:5: services.\"a/web\".healthCheck.timeout: 61 is out of range: ECS accepts 2 to 60 seconds"},
		"check retries":    {"services:\n  a/web:\n    healthCheck:\n      command: [CMD, /app]\n      retries: 0\n", "devenv.yaml:5: services.\"a/web\".healthCheck.retries: 0 is out of range: ECS accepts 1 to 10"},
		"check start":      {"services:\n  a/web:\n    healthCheck:\n      command: [CMD, /app]\n      startPeriod: 301\n", "devenv.yaml:5: services.\"a/web\".healthCheck.startPeriod: 301 is out of range: ECS accepts 0 to 300 seconds"},
		"check unknown":    {"services:\n  a/web:\n    healthCheck:\n      test: [CMD, /app]\n", "devenv.yaml:4: services.a/web.healthCheck.test: unknown key (known: command, interval, retries, startPeriod, timeout)"},
		"check time type":  {"services:\n  a/web:\n    healthCheck:\n      command: [CMD, /app]\n      interval: 5s\n", "devenv.yaml:5: wrong type: cannot use !!str `5s` into int"},
		"unclosed glob":    {"images:\n  - match: a\n    pull: true\n  - match: \"shop-[ab\"\n    pull: true\n", "devenv.yaml:4: images[1].match: \"shop-[ab\" is not a valid glob: the [ at character 6 has no closing ] (* is any characters, / included; ? one character; [a-z] one of a set, [!a-z] one not in it)"},
		"stray ] in glob":  {"images:\n  - match: \"*/shop]\"\n    pull: true\n", "devenv.yaml:2: images[0].match: \"*/shop]\" is not a valid glob: the ] at character 7 closes no [ (* is any characters, / included; ? one character; [a-z] one of a set, [!a-z] one not in it)"},
		"backwards range":  {"images:\n  - match: \"shop-[z-a]*\"\n    pull: true\n", "devenv.yaml:2: images[0].match: \"shop-[z-a]*\" is not a valid glob: the range z-a at character 6 runs backwards: write a-z (* is any characters, / included; ? one character; [a-z] one of a set, [!a-z] one not in it)"},
		"empty glob set":   {"images:\n  - match: \"shop-[!]\"\n    pull: true\n", "devenv.yaml:2: images[0].match: \"shop-[!]\" is not a valid glob: the set at character 6 is empty: name its characters, e.g. [a-z] (* is any characters, / included; ? one character; [a-z] one of a set, [!a-z] one not in it)"},
		"unknown nested":   {"images:\n  - match: a\n    build:\n      contxt: .\n", "devenv.yaml:4: images[0].build.contxt: unknown key (known: args, context, dockerfile, target)"},
		"two actions":      {"images:\n  - match: a\n    pull: true\n    standIn: fake-s3\n", "devenv.yaml:2: images[0]: give only one of build, go, standIn, pull (got standIn, pull)"},
		"no action":        {"images:\n  - match: a\n", "devenv.yaml:2: images[0]: say what to run instead: one of build, go, standIn or pull: true"},
		"bad stand-in":     {"images:\n  - match: a\n    standIn: fake-sqs\n", "devenv.yaml:3: images[0].standIn: unknown stand-in \"fake-sqs\" (known: datadog-stub, fake-s3, fake-td, fluentd)"},
		"bad bind":         {"bindAddress: localhost\n", "devenv.yaml:1: bindAddress: \"localhost\" is not an IP address (use 127.0.0.1, or 0.0.0.0 to expose the stack to your network)"},
		"bad flush":        {"fluentd:\n  flushInterval: soon\n", "devenv.yaml:2: fluentd.flushInterval: \"soon\" is not a positive duration such as 1s or 500ms"},
		"bad host port":    {"hosts:\n  logs.example.com:http: fluentd\n", "devenv.yaml:2: hosts.\"logs.example.com:http\": want a production host name with an optional port, like fluentd.example.com:24224: port \"http\" must be a number from 1 to 65535"},
		"bad project":      {"project: My App\n", "devenv.yaml:1: project: \"My App\" is not a valid Compose project name: use lowercase letters, digits, '-' and '_', starting with a letter or digit"},
		"duplicate key":    {"project: a\nproject: b\n", "devenv.yaml:2: project: key given twice"},
		"wrong type":       {"taskdefs: 3\n", "devenv.yaml:1: wrong type: cannot use !!int `3` into []string"},
		"bad yaml":         {"project: [\n", "devenv.yaml: parse yaml:"},
		"go outside":       {"images:\n  - match: a\n    go: ../elsewhere\n", "devenv.yaml:3: images[0].go: \"../elsewhere\": give a Go main package as a relative path starting with ./"},
		"fallback on pull": {"images:\n  - match: a\n    pull: true\n    fallback: fluentd\n", "devenv.yaml:4: images[0].fallback: a fallback only applies to build or go rules"},
		"config outside":   {"fluentd:\n  config: ../fluent.conf\n", "devenv.yaml:2: fluentd.config: \"../fluent.conf\": give the production fluent.conf as a path inside the project, e.g. fluentd/fluent.conf"},
		"relative mount":   {"fluentd:\n  config: fluent.conf\n  mountPath: etc/fluent.conf\n", "devenv.yaml:3: fluentd.mountPath: \"etc/fluent.conf\": give the absolute path of the config file inside the container, e.g. /fluentd/etc/fluent.conf"},
		"bad service":      {"fluentd:\n  config: fluent.conf\n  service: -x\n", "devenv.yaml:3: fluentd.service: \"-x\" is not a service name"},
		"service alone":    {"fluentd:\n  service: collector\n", "devenv.yaml:2: fluentd.service: has no effect without fluentd.config: name the production fluent.conf too"},
		"unknown fluentd":  {"fluentd:\n  conf: fluent.conf\n", "devenv.yaml:2: fluentd.conf: unknown key (known: config, flushInterval, mountPath, service)"},
		"unknown fake":     {"fakes: [fake-sqs]\n", "devenv.yaml:1: fakes[0]: unknown fake \"fake-sqs\" (known: fake-s3, fake-td, datadog-stub)"},
		"verify event":     {"verify:\n  events: [click, \"\"]\n", "devenv.yaml:2: verify.events[1]: \"\": give an event type, such as click"},
		"verify twice":     {"verify:\n  events:\n    - click\n    - click\n", "devenv.yaml:4: verify.events[1]: \"click\" listed twice"},
		"verify path":      {"verify:\n  endpoint:\n    path: events\n", "devenv.yaml:3: verify.endpoint.path: \"events\": give the HTTP path that takes an event as a JSON body, e.g. /events"},
		"verify service":   {"verify:\n  endpoint:\n    service: -api\n", "devenv.yaml:3: verify.endpoint.service: \"-api\" is not a service name: give the service that logs the events, e.g. api-server"},
		"verify metric":    {"verify:\n  metric:\n    name: 1x\n", "devenv.yaml:3: verify.metric.name: \"1x\": give the DogStatsD metric the application counts each event with, e.g. app.event"},
		"verify tag":       {"verify:\n  metric:\n    name: app.event\n    tags: [\"a b\"]\n", "devenv.yaml:4: verify.metric.tags[0]: \"a b\": give a tag as key:value, {event} for the event type, e.g. event_type:{event}"},
		"verify unknown":   {"verify:\n  event: [click]\n", "devenv.yaml:2: verify.event: unknown key (known: endpoint, events, metric)"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := config.Parse("devenv.yaml", []byte(tc.yaml))
			assert.Assert(t, err != nil)
			assert.Assert(t, is.Contains(err.Error(), tc.want))
		})
	}
}

// TestParseTypeErrors: each value of the wrong type is an error of its
// own, with its line, whatever way the YAML library joins them.
func TestParseTypeErrors(t *testing.T) {
	_, err := config.Parse("devenv.yaml", []byte("taskdefs: 3\nproject: [1]\n"))
	assert.Equal(t, err.Error(), "devenv.yaml:1: wrong type: cannot use !!int `3` into []string\ndevenv.yaml:2: wrong type: cannot use !!seq into string")
	var errs interface{ Unwrap() []error }
	assert.Assert(t, errors.As(err, &errs))
	for _, e := range errs.Unwrap() {
		var ce *config.Error
		assert.Assert(t, errors.As(e, &ce), "%T", e)
		assert.Assert(t, ce.Line > 0, ce.Error())
	}
}

// TestParseServiceHealthCheck: every value ECS accepts is kept as given,
// with the line of the healthCheck key for the report.
func TestParseServiceHealthCheck(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want config.HealthCheck
	}{
		{"      command: [CMD, /api-server, -healthcheck]\n      interval: 5\n      timeout: 2\n      retries: 1\n      startPeriod: 0\n",
			config.HealthCheck{Command: []string{"CMD", "/api-server", "-healthcheck"}, Interval: ptr(5), Timeout: ptr(2), Retries: ptr(1), StartPeriod: ptr(0), Line: 3}},
		{"      command: [CMD-SHELL, \"curl -f http://localhost/ || exit 1\"]\n      interval: 300\n      timeout: 60\n      retries: 10\n      startPeriod: 300\n",
			config.HealthCheck{Command: []string{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}, Interval: ptr(300), Timeout: ptr(60), Retries: ptr(10), StartPeriod: ptr(300), Line: 3}},
		{"      command: [NONE]\n", config.HealthCheck{Command: []string{"NONE"}, Line: 3}},
	} {
		l, err := config.Parse("devenv.yaml", []byte("services:\n  api/web:\n    healthCheck:\n"+tc.yaml))
		assert.NilError(t, err, tc.yaml)
		r := l.Services["api/web"]
		assert.DeepEqual(t, r.HealthCheck, &tc.want)
		assert.Equal(t, l.ServiceName("api", "web"), "web")
	}
}

func ptr[T any](v T) *T { return &v }

func TestParseServices(t *testing.T) {
	l, err := config.Parse("devenv.yaml", []byte("services:\n  api/web:\n    name: api-web\n    ports:\n      \"8080\": 18080\n      8125/udp: 18125\n"))
	assert.NilError(t, err)
	assert.DeepEqual(t, l.Services["api/web"], config.ServiceRule{Family: "api", Container: "web", Name: "api-web", Ports: map[string]int{"8080/tcp": 18080, "8125/udp": 18125}})
	assert.Equal(t, l.ServiceName("api", "web"), "api-web")
	assert.Equal(t, l.ServiceName("other", "web"), "web")
	l, err = config.Parse("devenv.yaml", []byte("notSecret:\n  \"*\": [S3_KEY_PREFIX]\n  app: [TOKEN_TTL]\n"))
	assert.NilError(t, err)
	assert.Assert(t, l.IsNotSecret("web", "S3_KEY_PREFIX"))
	assert.Assert(t, l.IsNotSecret("app", "TOKEN_TTL"))
	assert.Assert(t, !l.IsNotSecret("web", "TOKEN_TTL"))
}

func TestFluentdPaths(t *testing.T) {
	f := config.Fluentd{Config: "fluentd/fluent.conf", MountPath: "/fluentd/etc/fluent.conf"}
	for file, want := range map[string][2]string{
		"fluentd/fluent.conf":       {".devenv/fluentd/fluent.conf", "/fluentd/etc/fluent.conf"},
		"fluentd/conf.d/s3.conf":    {".devenv/fluentd/conf.d/s3.conf", "/fluentd/etc/conf.d/s3.conf"},
		"shared/outputs.conf":       {"", ""},
		"fluentd-other/fluent.conf": {"", ""},
	} {
		local, container, ok := f.Paths(file)
		assert.Equal(t, ok, want[0] != "", file)
		assert.DeepEqual(t, [2]string{local, container}, want)
	}
	top := config.Fluentd{Config: "fluent.conf", MountPath: "/etc/fluent/fluent.conf"}
	local, container, ok := top.Paths("inc/a.conf")
	assert.Assert(t, ok)
	assert.Equal(t, local, ".devenv/fluentd/inc/a.conf")
	assert.Equal(t, container, "/etc/fluent/inc/a.conf")
	// The config is mounted where the container reads it, whatever its name.
	named := config.Fluentd{Config: "fluentd/fluent-prod.conf", MountPath: "/fluentd/etc/fluent.conf"}
	local, container, ok = named.Paths("fluentd/fluent-prod.conf")
	assert.Assert(t, ok)
	assert.Equal(t, local, ".devenv/fluentd/fluent-prod.conf")
	assert.Equal(t, container, "/fluentd/etc/fluent.conf")
	_, _, ok = config.Fluentd{}.Paths("fluent.conf")
	assert.Assert(t, !ok, "no config, no local copy")
}

func TestRepository(t *testing.T) {
	for in, want := range map[string]config.Ref{
		"nginx":                          {Path: "nginx", Name: "nginx"},
		"nginx:1.27":                     {Path: "nginx", Name: "nginx", Tag: "1.27"},
		"datadog/docker-dd-agent:latest": {Path: "datadog/docker-dd-agent", Name: "docker-dd-agent", Tag: "latest"},
		"1234.dkr.ecr.ap-northeast-1.amazonaws.com/team/api:7": {Registry: "1234.dkr.ecr.ap-northeast-1.amazonaws.com", Path: "team/api", Name: "api", Tag: "7"},
		"localhost:5000/x@sha256:ab":                           {Registry: "localhost:5000", Path: "x", Name: "x", Tag: "sha256:ab"},
	} {
		assert.DeepEqual(t, config.Repository(in), want)
	}
	assert.Assert(t, config.IsECR("1234.dkr.ecr.ap-northeast-1.amazonaws.com/api:1"))
	login, ok := config.ECRLogin("1234.dkr.ecr.ap-northeast-1.amazonaws.com/team/api:7")
	assert.Assert(t, ok)
	assert.Equal(t, login, "aws ecr get-login-password --region ap-northeast-1 | docker login --username AWS --password-stdin 1234.dkr.ecr.ap-northeast-1.amazonaws.com")
	_, ok = config.ECRLogin("public.ecr.aws/nginx/nginx:1")
	assert.Assert(t, !ok)
	assert.Assert(t, !config.IsECR("public.ecr.aws/nginx/nginx:1"))
}

// TestMatchImage: a rule's match is a repository's name, path, registry and
// path, a whole registry, or a glob over the first three; tags never count.
func TestMatchImage(t *testing.T) {
	const ecr = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com"
	for _, tc := range []struct {
		match, image string
		want         bool
	}{
		{"shop-api", ecr + "/shop-api:41", true},
		{"shop-api", ecr + "/team/shop-api:41", true},
		{"team/shop-api", ecr + "/team/shop-api@sha256:00", true},
		{ecr + "/team/shop-api", ecr + "/team/shop-api:1", true},
		{ecr, ecr + "/team/shop-api:1", true},
		{ecr, "210987654321.dkr.ecr.ap-northeast-1.amazonaws.com/shop-api:1", false},
		{ecr, "shop-api:1", false},
		{"shop", ecr + "/shop-api:1", false},
		{"*.dkr.ecr.*.amazonaws.com/*", ecr + "/shop-api:1", true},
		{"*.dkr.ecr.*.amazonaws.com/*", ecr + "/team/shop-web:2", true},
		{"*.dkr.ecr.*.amazonaws.com/*", "public.ecr.aws/nginx/nginx:1", false},
		{"*.dkr.ecr.*.amazonaws.com/*", "shop-api:1", false},
		{"shop-*", ecr + "/team/shop-web:2", true},
		{"shop-*", "nginx:1.27", false},
		{"team/*", ecr + "/team/shop-web:2", true},
		{"shop-?pi", ecr + "/shop-api:1", true},
		{"shop-[a-c]pi", ecr + "/shop-api:1", true},
		{"shop-[!a-c]pi", ecr + "/shop-api:1", false},
		{"*", "nginx:1.27", true},
		{"shop-[ab", "shop-a:1", false}, // a bad glob matches nothing
	} {
		assert.Equal(t, config.MatchImage(tc.match, tc.image), tc.want, "%s against %s", tc.match, tc.image)
	}
}

// TestImageRuleFirstMatchWins: rules are tried in order, globs included.
func TestImageRuleFirstMatchWins(t *testing.T) {
	l, err := config.Parse("devenv.yaml", []byte("images:\n  - match: shop-api\n    go: ./cmd/shop-api\n  - match: \"*.dkr.ecr.*.amazonaws.com/*\"\n    pull: true\n  - match: shop-web\n    build: {context: web}\n"))
	assert.NilError(t, err)
	r, ok := l.ImageRule("123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api:1")
	assert.Assert(t, ok)
	assert.Equal(t, r.Action, config.ActionGo)
	r, ok = l.ImageRule("123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-web:1")
	assert.Assert(t, ok)
	assert.Equal(t, r.Action, config.ActionPull, "the glob comes first")
	r, ok = l.ImageRule("shop-web:1")
	assert.Assert(t, ok)
	assert.Equal(t, r.Action, config.ActionBuild)
}

func TestSecretsEnv(t *testing.T) {
	env, err := config.ParseSecretsEnv(".devenv/secrets.env", []byte(`# local secrets
export TD_API_KEY=td-dev-key
fluentd.AWS_SECRET_ACCESS_KEY="s3 \"quoted\"\nkey"
API_KEY='literal $x' 
PLAIN=value # comment
EMPTY=
`))
	assert.NilError(t, err)
	get := func(c, n string) string {
		s, ok := env.Lookup(c, n)
		assert.Assert(t, ok, "%s.%s", c, n)
		assert.Equal(t, s.Source, config.SourceSecretsEnv)
		return s.Value
	}
	assert.Equal(t, get("any", "TD_API_KEY"), "td-dev-key")
	assert.Equal(t, get("fluentd", "AWS_SECRET_ACCESS_KEY"), "s3 \"quoted\"\nkey")
	assert.Equal(t, get("x", "API_KEY"), "literal $x")
	assert.Equal(t, get("x", "PLAIN"), "value")
	assert.Equal(t, get("x", "EMPTY"), "")
	_, ok := env.Lookup("api-server", "AWS_SECRET_ACCESS_KEY")
	assert.Assert(t, !ok)

	// secrets.env overrides devenv.yaml; the original value is unchanged.
	l, err := config.Parse("devenv.yaml", []byte("secrets:\n  fluentd:\n    TD_API_KEY: from-yaml\n"))
	assert.NilError(t, err)
	merged := l.WithSecretsEnv(env)
	s, _ := merged.Secrets.Lookup("fluentd", "TD_API_KEY")
	assert.Equal(t, s.Value, "from-yaml") // a container-specific value wins over "*"
	s, _ = l.Secrets.Lookup("fluentd", "TD_API_KEY")
	assert.Equal(t, s.Value, "from-yaml")
	s, _ = merged.Secrets.Lookup("fluentd", "AWS_SECRET_ACCESS_KEY")
	assert.Equal(t, s.Source, config.SourceSecretsEnv)
}

func TestSecretsEnvErrorsHideValues(t *testing.T) {
	_, err := config.ParseSecretsEnv("s.env", []byte("GOOD=1\nno equals sign\n1BAD=x\nQ=\"unterminated-secret-value\n"))
	assert.Error(t, err, "s.env:2: want NAME=value or container.NAME=value\ns.env:3: \"1BAD\" is not a valid variable name\ns.env:4: Q: unterminated double-quoted value")
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile("../devenv.yaml")
	assert.NilError(f, err)
	f.Add(data)
	f.Add([]byte("images:\n  - match: a\n    build: {context: .}\n"))
	f.Add([]byte("fluentd:\n  config: ./conf/../fluent.conf\n  mountPath: /etc/fluent/fluent.conf\n  flushInterval: 500ms\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := config.Parse("f.yaml", b)
		if err != nil {
			return
		}
		if l.BindAddress == "" {
			t.Fatal("parsed settings without a bind address")
		}
		if f := l.Fluentd; f.Config != "" {
			local, container, ok := f.Paths(f.Config)
			if !ok || !strings.HasPrefix(local, config.FluentdLocalDir+"/") || container != f.MountPath {
				t.Fatalf("fluentd config %q: local copy at %q, mounted at %q (ok %v), want under %s at %q", f.Config, local, container, ok, config.FluentdLocalDir, f.MountPath)
			}
		}
	})
}

func FuzzParseSecretsEnv(f *testing.F) {
	f.Add([]byte("A=1\nc.B=\"x\\ny\"\nexport C='z'\n# c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = config.ParseSecretsEnv("f.env", b)
	})
}
