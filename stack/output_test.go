package stack

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/compose/v5/pkg/api"
	"gotest.tools/v3/assert"
)

func TestTail(t *testing.T) {
	var tl tail
	for i := range 30 {
		fmt.Fprintf(&tl, "line %d\r\n", i)
	}
	tl.Write([]byte("\n\n  \npartial"))
	got := strings.Split(tl.String(), "\n")
	assert.Equal(t, len(got), tailLines+1)
	assert.Equal(t, got[0], "line 10")
	assert.Equal(t, got[tailLines-1], "line 29")
	assert.Equal(t, got[tailLines], "partial")
	tl.Reset()
	assert.Equal(t, tl.String(), "")
}

func TestPrefixer(t *testing.T) {
	p := &types.Project{Name: "delish-e2e", Services: types.Services{"api-server": {}, "fake-s3": {}}}
	var out bytes.Buffer
	l := newPrefixer(&out, p)
	l.Log("delish-e2e-fake-s3-1", "listening")
	l.Err("api-server-1", "to stderr")
	l.Log("someone-else", "kept")
	l.Status("api-server-1", "exited") // not a log line
	assert.Equal(t, out.String(), "fake-s3    | listening\napi-server | to stderr\nsomeone-else | kept\n")
}

func TestProgress(t *testing.T) {
	now := time.Unix(0, 0)
	var out bytes.Buffer
	p := &progress{out: &out, now: func() time.Time { return now }}
	p.On(api.Resource{ID: "Container x-web-1", Status: api.Working, Text: "Creating"})
	now = now.Add(1500 * time.Millisecond)
	p.On(api.Resource{ID: "Container x-web-1", Status: api.Done, Text: "Created"})
	p.On(api.Resource{ID: "Container x-web-1", Status: api.Done, Text: "Created"}) // Compose repeats some
	now = now.Add(500 * time.Millisecond)
	p.done("Container x-web-1", "Healthy")
	p.On(api.Resource{ID: "Network x_default", Status: api.Warning, Text: "Exists", Details: "kept"})
	assert.Equal(t, out.String(), " Container x-web-1  Created  1.5s\n Container x-web-1  Healthy  2.0s\n Network x_default  Exists  kept  0.0s\n")
}

func TestPullHint(t *testing.T) {
	assert.Equal(t, pullHint("1234567890.dkr.ecr.ap-northeast-1.amazonaws.com/delish-server:899"),
		"This is an ECR image: log in first (aws ecr get-login-password --region ap-northeast-1 | docker login --username AWS --password-stdin 1234567890.dkr.ecr.ap-northeast-1.amazonaws.com), or give it a build, go or standIn rule under images in devenv.yaml.")
	assert.Equal(t, pullHint("redis:7"), "Check the name and your network (docker pull redis:7), or give it a build, go or standIn rule under images in devenv.yaml.")
}

func TestMovePortHint(t *testing.T) {
	task := types.ServiceConfig{Name: "api-server", Extensions: types.Extensions{extensionKey: map[string]any{"task": "delish-server"}}}
	assert.Equal(t, movePortHint(task, types.ServicePortConfig{Target: 1323, Protocol: "tcp"}),
		`publish it on another host port with services: {delish-server/api-server: {ports: {"1323/tcp": <free port>}}} in devenv.yaml (or set bindAddress to another loopback address)`)
	fake := types.ServiceConfig{Name: "fake-s3", Extensions: types.Extensions{extensionKey: map[string]any{"standIn": "fake-s3"}}}
	assert.Equal(t, movePortHint(fake, types.ServicePortConfig{Target: 4566, Protocol: "tcp"}),
		"set bindAddress in devenv.yaml to another loopback address (127.0.0.2) to publish the stack there")
}

func TestServiceExtension(t *testing.T) {
	s := types.ServiceConfig{Extensions: types.Extensions{extensionKey: map[string]any{
		"task": "delish-fluentd", "essential": true, "fallback": "fluentd", "fluentdConfig": "/fluentd/etc/fluent.conf",
	}}}
	assert.DeepEqual(t, serviceExtension(s), extension{Task: "delish-fluentd", Essential: true, Fallback: "fluentd", FluentdConfig: "/fluentd/etc/fluent.conf"})
	assert.DeepEqual(t, serviceExtension(types.ServiceConfig{}), extension{})
}

func TestUseStandIn(t *testing.T) {
	svc := types.ServiceConfig{Name: "fluentd", ContainerSpec: types.ContainerSpec{Image: "devenv.local/fluentd:dev", PullPolicy: types.PullPolicyBuild, Entrypoint: types.ShellCommand{"tini"}}}
	svc.Build = &types.BuildConfig{Context: "fluentd"}
	p := &types.Project{Services: types.Services{"fluentd": svc}}
	useStandIn(p, "fluentd", extension{Fallback: "fluentd", FluentdConfig: "/fluentd/etc/fluent.conf"})
	s := p.Services["fluentd"]
	assert.Assert(t, s.Build == nil)
	assert.Equal(t, s.Image, "devenv/fluentd:local")
	assert.Equal(t, s.PullPolicy, types.PullPolicyNever)
	assert.Assert(t, s.Entrypoint == nil)
	assert.DeepEqual(t, s.Command, types.ShellCommand{"fluentd", "--config", "/fluentd/etc/fluent.conf"})
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct{ err, want string }{
		{"Error response from daemon: No such image: devenv/missing:local",
			"Error response from daemon: No such image: devenv/missing:local: the image is not on this engine and its pull_policy forbids pulling it; run devenv up (which makes every image devenv builds) rather than docker compose up, or give it a pull: true rule under images in devenv.yaml"},
		{"volume with type=image require Docker Engine v28 or later",
			"volume with type=image require Docker Engine v28 or later: this engine is Docker 20.10.24 (API 1.41), too old for a setting of the file; upgrade Docker Engine, or change what sets it (devenv plan shows where each setting comes from)"},
		{"container x exited (1)", "container x exited (1)"},
	} {
		assert.Equal(t, explain(errors.New(tc.err), "20.10.24", "1.41").Error(), tc.want)
	}
}
