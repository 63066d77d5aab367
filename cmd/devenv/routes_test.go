package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
)

// Golden files are rewritten with `go test ./cmd/devenv -run Routes -update`
// (gotest.tools/v3/golden's flag).

func routesRun(t testing.TB, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"routes"}, args...), strings.NewReader(stdin), &stdout, &stderr)
	return exitCode(err, &stderr), stdout.String(), stderr.String()
}

var delishArgs = []string{"--config", "testdata/routes/fluent.conf", "--time", "2024-01-02T03:04:05Z",
	"--hostname", "fluentd01", "--env", "AWS_S3_BUCKET=delish-logs", "--env", "TD_DATABASE=delish_dev"}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/routes/" + name)
	assert.NilError(t, err)
	return string(b)
}

func TestRoutesDockerText(t *testing.T) {
	code, stdout, stderr := routesRun(t, readTestdata(t, "docker-lines.txt"),
		append([]string{"--docker-tag", "docker.delish", "--container-name", "/delish-api-1"}, delishArgs...)...)
	assert.Equal(t, code, 0, stderr)
	golden.Assert(t, stdout, "routes/docker-lines.text.golden")
	assert.Assert(t, is.Contains(stdout, "-> s3     s3://delish-logs/logs/delish-event/click/2024/01/02/03_0_fluentd01.gz\n"))
	assert.Assert(t, is.Contains(stdout, "DROP (connection closed)"))
}

func TestRoutesDockerJSON(t *testing.T) {
	code, stdout, stderr := routesRun(t, readTestdata(t, "docker-lines.txt"),
		append([]string{"--docker-tag", "docker.delish", "--json"}, delishArgs...)...)
	assert.Equal(t, code, 0, stderr)
	golden.Assert(t, stdout, "routes/docker-lines.json.golden")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	assert.Equal(t, len(lines), 13)
	var first struct {
		FinalTags  []string `json:"final_tags"`
		Deliveries []struct {
			Type, Bucket, Key, Database, Table string
			Record                             map[string]any
		} `json:"deliveries"`
	}
	assert.NilError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.DeepEqual(t, first.FinalTags, []string{"delish.event.click"})
	assert.Equal(t, first.Deliveries[0].Key, "logs/delish-event/click/2024/01/02/03_0_fluentd01.gz")
	assert.Equal(t, first.Deliveries[1].Database+"."+first.Deliveries[1].Table, "delish_dev.event_click")
	assert.Equal(t, first.Deliveries[1].Record["time"], float64(1704164645))
}

func TestRoutesDockerTagTemplate(t *testing.T) {
	code, stdout, stderr := routesRun(t, "x\n", append([]string{"--docker-tag", "docker.{{.Name}}", "--container-name", "/delish-api-1", "--json"}, delishArgs...)...)
	assert.Equal(t, code, 0, stderr)
	assert.Assert(t, is.Contains(stdout, `"tag":"docker.delish-api-1"`))
	assert.Assert(t, is.Contains(stdout, `no patterns matched tag=\"docker.delish-api-1\"`))
}

func TestRoutesTaggedRecords(t *testing.T) {
	code, stdout, stderr := routesRun(t, readTestdata(t, "records.jsonl"),
		append([]string{"--tag", "delish.event.signup"}, delishArgs...)...)
	assert.Equal(t, code, 0, stderr)
	golden.Assert(t, stdout, "routes/records.text.golden")
}

func TestRoutesLint(t *testing.T) {
	code, stdout, stderr := routesRun(t, "", "--lint", "--config", "testdata/routes/fluent.conf",
		"--env", "AWS_S3_BUCKET=delish-logs", "--env", "TD_DATABASE=delish_dev", "--taskdef", "testdata/routes/api-server.json")
	assert.Equal(t, code, 2)
	assert.Assert(t, is.Contains(stderr, "devenv: routes --lint: "))
	golden.Assert(t, stdout, "routes/lint.golden")
	for _, code := range []string{"unanchored-pattern", "line-anchors", "invalid-td-name", "buffer-path-collision", "long-flush", "driver-fluentd-async", "empty-env"} {
		assert.Assert(t, is.Contains(stdout, ": "+code+": "))
	}
}

func TestRoutesErrors(t *testing.T) {
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		err   string
	}{
		{"bad escape", "", []string{"--config", "testdata/routes/broken.conf", "--tag", "x"}, 1,
			"devenv: parse fluentd config: testdata/routes/broken.conf:5:17: unexpected back-slash escape character 'w'\n"},
		{"unsupported plugin", "", []string{"--config", "testdata/routes/unsupported.conf", "--tag", "x"}, 1,
			"devenv: load fluentd config: testdata/routes/unsupported.conf:2:9: unsupported output plugin \"elasticsearch\" (supported: rewrite_tag_filter, forest, copy, s3, tdlog, stdout, null, file)\n"},
		{"unsupported store in forest template, lint", "", []string{"--config", "testdata/routes/forest-unsupported.conf", "--lint"}, 1,
			"devenv: load fluentd config: testdata/routes/forest-unsupported.conf:6:13: unsupported output plugin \"elasticsearch\" in <template>/<store> (supported: rewrite_tag_filter, forest, copy, s3, tdlog, stdout, null, file)\n"},
		{"missing config", "", []string{"--config", "testdata/routes/nope.conf", "--tag", "x"}, 1,
			"devenv: parse fluentd config: open testdata/routes/nope.conf: no such file or directory\n"},
		{"no tag", "", []string{"--config", "testdata/routes/fluent.conf"}, 2,
			"devenv: routes: give exactly one of --tag (JSON records) or --docker-tag (container output lines)\n"},
		{"bad record", "[1]\n", []string{"--config", "testdata/routes/fluent.conf", "--tag", "x"}, 1,
			"devenv: read record: stdin:1: a record must be a JSON object\n"},
		{"bad json", "{\"a\":\n", []string{"--config", "testdata/routes/fluent.conf", "--tag", "x"}, 1,
			"devenv: read record: stdin:1: invalid JSON: unexpected end of input at offset 5\n"},
		{"bad env", "", []string{"--config", "testdata/routes/fluent.conf", "--tag", "x", "--env", "NOEQ"}, 2,
			"devenv: --env \"NOEQ\": want KEY=VALUE\n"},
		{"bad time", "", []string{"--config", "testdata/routes/fluent.conf", "--tag", "x", "--time", "yesterday"}, 2,
			"devenv: --time \"yesterday\": want RFC 3339 or Unix seconds\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := routesRun(t, c.stdin, c.args...)
			assert.Equal(t, code, c.code)
			assert.Equal(t, stderr, c.err)
		})
	}
}

// BenchmarkRoutes10k measures `devenv routes` (config parse, 10,000 docker
// lines through the reference config, text output). Target: < 1 s per op.
func BenchmarkRoutes10k(b *testing.B) {
	lines := strings.Split(strings.TrimSpace(readTestdata(b, "docker-lines.txt")), "\n")
	var in strings.Builder
	for i := range 10000 {
		in.WriteString(lines[i%len(lines)])
		in.WriteByte('\n')
	}
	input := in.String()
	opts := routesOptions{config: "testdata/routes/fluent.conf", dockerTag: "docker.delish", containerID: strings.Repeat("0", 64),
		containerName: "/delish-api-1", source: "stdout", time: "2024-01-02T03:04:05Z", hostname: "fluentd01", tz: "UTC",
		env: []string{"AWS_S3_BUCKET=delish-logs", "TD_DATABASE=delish_dev"}}
	b.ReportAllocs()
	b.SetBytes(int64(len(input)))
	cpu0 := routesProcessCPU()
	for b.Loop() {
		if err := runRoutes(b.Context(), opts, strings.NewReader(input), io.Discard, io.Discard, time.Now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/10k-records")
	if cpu := routesProcessCPU() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/10k-records")
	}
}

// TestRoutesSourceLabel: a forward source with @label emits into that
// label (FD012 root_agent.rb), so routes must start there, not at the root.
func TestRoutesSourceLabel(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := dir + "/" + name
		assert.NilError(t, os.WriteFile(p, []byte(src), 0o644))
		return p
	}
	const body = `<match **>
  @type null
</match>
<label @APP>
  <match **>
    @type stdout
  </match>
</label>
<label @OTHER>
  <match **>
    @type file
    path /tmp/other
  </match>
</label>
`
	labelled := write("labelled.conf", "<source>\n  @type forward\n  @label @APP\n</source>\n"+body)
	code, stdout, stderr := routesRun(t, `{"a":1}`+"\n", "--config", labelled, "--tag", "x", "--time", "0", "--json")
	assert.Equal(t, code, 0, stderr)
	assert.Assert(t, is.Contains(stdout, `"type":"stdout"`))

	code, stdout, stderr = routesRun(t, `{"a":1}`+"\n", "--config", labelled, "--tag", "x", "--time", "0", "--json", "--label", "@OTHER")
	assert.Equal(t, code, 0, stderr)
	assert.Assert(t, is.Contains(stdout, `"type":"file"`))

	code, _, stderr = routesRun(t, `{"a":1}`+"\n", "--config", labelled, "--tag", "x", "--label", "@NOPE")
	assert.Equal(t, code, 2)
	assert.Assert(t, is.Contains(stderr, "--label @NOPE: the config has no <label @NOPE> (labels: @APP, @OTHER)"))

	mixed := write("mixed.conf", "<source>\n  @type forward\n  @label @APP\n</source>\n<source>\n  @type forward\n  port 24225\n</source>\n"+body)
	code, _, stderr = routesRun(t, `{"a":1}`+"\n", "--config", mixed, "--tag", "x")
	assert.Equal(t, code, 2)
	assert.Assert(t, is.Contains(stderr, "sources send to different labels: @APP (mixed.conf:1:1); the root (mixed.conf:5:1): choose one with --label @NAME"), stderr)
}

func TestRoutesAbsoluteInclude(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, os.MkdirAll(dir+"/conf.d", 0o755))
	assert.NilError(t, os.WriteFile(dir+"/fluent.conf", []byte("@include /etc/fluent/conf.d/*.conf\n"), 0o644))
	assert.NilError(t, os.WriteFile(dir+"/conf.d/a.conf", []byte("<match **>\n  @type stdout\n</match>\n"), 0o644))
	code, stdout, stderr := routesRun(t, `{"a":1}`+"\n", "--config", dir+"/fluent.conf", "--config-dir", "/etc/fluent", "--tag", "x", "--time", "0", "--json")
	assert.Equal(t, code, 0, stderr)
	assert.Assert(t, is.Contains(stdout, `"type":"stdout"`))
	code, _, stderr = routesRun(t, `{"a":1}`+"\n", "--config", dir+"/fluent.conf", "--tag", "x")
	assert.Equal(t, code, 1)
	assert.Assert(t, is.Contains(stderr, `cannot @include "/etc/fluent/conf.d/*.conf": an absolute path is read relative to the config's directory, and this one is not under the config's directory /fluentd/etc`), stderr)
}

const clickLine = `{"log_type":"EVENT","event_type":"click","user_id":42}` + "\n"

// routesDelivery is what a --json journey says of each destination.
type routesDelivery struct {
	Type, Bucket, Key, Database, Table string
}

func routesDeliveries(t *testing.T, stdout string) []routesDelivery {
	t.Helper()
	var j struct {
		Deliveries []routesDelivery `json:"deliveries"`
	}
	assert.NilError(t, json.Unmarshal([]byte(strings.TrimSpace(stdout)), &j), stdout)
	assert.Equal(t, len(j.Deliveries), 2, stdout)
	return j.Deliveries
}

// TestRoutesLocalStack: in a devenv project, routes without --env answers
// for the local stack: the fluentd service's environment from the task
// definition and devenv.yaml (the local bucket and database, secret
// stand-ins), said once on stderr; --env overrides a variable.
func TestRoutesLocalStack(t *testing.T) {
	referenceProject(t)
	const note = "environment of service fluentd (devenv.yaml, taskdefs/fluentd.json); --env overrides\n"
	args := []string{"--docker-tag", "docker.delish", "--time", "2024-01-02T03:04:05Z", "--json"}

	code, stdout, stderr := routesRun(t, clickLine, args...)
	assert.Equal(t, code, 0, stderr)
	assert.Equal(t, stderr, note)
	d := routesDeliveries(t, stdout)
	assert.Equal(t, d[0].Bucket, "delish-local")
	assert.Equal(t, d[0].Key, "logs/delish-event/click/2024/01/02/03_0_fluentd.gz", "the default --hostname: the service sets none")
	assert.Equal(t, d[1].Database+"."+d[1].Table, "delish_local.event_click")

	code, stdout, stderr = routesRun(t, clickLine, append(args, "--env", "AWS_S3_BUCKET=delish-logs")...)
	assert.Equal(t, code, 0, stderr)
	assert.Equal(t, stderr, note)
	d = routesDeliveries(t, stdout)
	assert.Equal(t, d[0].Bucket, "delish-logs")
	assert.Equal(t, d[1].Database, "delish_local")

	// The secret stand-ins are set: no empty-env hazard for the credentials.
	code, stdout, stderr = routesRun(t, "", "--lint")
	assert.Equal(t, code, 2)
	assert.Assert(t, strings.HasPrefix(stderr, note), stderr)
	assert.Assert(t, !strings.Contains(stdout, "empty-env"), stdout)

	// The local copy devenv generate writes is the same service's config.
	code, _, stderr = devenvRun(t, "generate")
	assert.Equal(t, code, 0, stderr)
	code, stdout, stderr = routesRun(t, clickLine, append(args, "--config", ".devenv/fluentd/fluent.conf")...)
	assert.Equal(t, code, 0, stderr)
	assert.Equal(t, stderr, note)
	assert.Equal(t, routesDeliveries(t, stdout)[0].Bucket, "delish-local")

	// Another fluent.conf is not the service's: only --env, as without a project.
	assert.NilError(t, os.MkdirAll("other", 0o755))
	copyFile(t, "fluentd/fluent.conf", "other/fluent.conf")
	code, stdout, stderr = routesRun(t, clickLine, append(args, "--config", "other/fluent.conf", "--env", "TD_DATABASE=delish_dev")...)
	assert.Equal(t, code, 0, stderr)
	assert.Equal(t, stderr, "")
	d = routesDeliveries(t, stdout)
	assert.Equal(t, d[0].Bucket, "")
	assert.Equal(t, d[1].Database, "delish_dev")
}

// TestRoutesLocalStackHostname: a hostname the fluentd service sets is the
// default of --hostname (%{hostname} in S3 keys); --hostname overrides it.
func TestRoutesLocalStackHostname(t *testing.T) {
	referenceProject(t)
	data, err := os.ReadFile("taskdefs/fluentd.json")
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile("taskdefs/fluentd.json", bytes.Replace(data, []byte(`"name": "fluentd",`), []byte(`"name": "fluentd", "hostname": "fluentd07",`), 1), 0o644))
	args := []string{"--docker-tag", "docker.delish", "--time", "2024-01-02T03:04:05Z", "--json"}
	code, stdout, stderr := routesRun(t, clickLine, args...)
	assert.Equal(t, code, 0, stderr)
	assert.Equal(t, stderr, "environment and hostname of service fluentd (devenv.yaml, taskdefs/fluentd.json); --env and --hostname override\n")
	assert.Equal(t, routesDeliveries(t, stdout)[0].Key, "logs/delish-event/click/2024/01/02/03_0_fluentd07.gz")

	code, stdout, stderr = routesRun(t, clickLine, append(args, "--hostname", "fluentd01")...)
	assert.Equal(t, code, 0, stderr)
	assert.Equal(t, routesDeliveries(t, stdout)[0].Key, "logs/delish-event/click/2024/01/02/03_0_fluentd01.gz")
}

// TestRoutesLintDescribeOutput: --taskdef reads describe-task-definition
// output as devenv's translation does, finding the log options of the
// container that logs to fluentd; a wrong field is named by file and JSON
// path.
func TestRoutesLintDescribeOutput(t *testing.T) {
	code, stdout, stderr := routesRun(t, "", "--lint", "--config", "testdata/routes/fluent.conf",
		"--env", "AWS_S3_BUCKET=delish-logs", "--env", "TD_DATABASE=delish_dev", "--taskdef", "testdata/routes/describe-api-server.json")
	assert.Equal(t, code, 2, stderr)
	assert.Assert(t, is.Contains(stdout, "testdata/routes/describe-api-server.json: container api-server: driver-fluentd-async: not set"))
	assert.Assert(t, is.Contains(stdout, "testdata/routes/describe-api-server.json: container api-server: driver-fluentd-max-retries: after 3 failed reconnects"))

	bad := t.TempDir() + "/bad.json"
	data := strings.Replace(readTestdata(t, "describe-api-server.json"), `"options": {`, `"option": {`, 1)
	assert.NilError(t, os.WriteFile(bad, []byte(data), 0o644))
	code, _, stderr = routesRun(t, "", "--lint", "--config", "testdata/routes/fluent.conf", "--taskdef", bad)
	assert.Equal(t, code, 1)
	assert.Assert(t, is.Contains(stderr, bad+`: taskDefinition.containerDefinitions[0](api-server).logConfiguration.option: unknown field; did you mean "options"?`), stderr)
}
