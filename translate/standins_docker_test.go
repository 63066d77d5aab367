package translate_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/dockertest"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// standInStack translates a task whose Datadog agent is replaced by the
// datadog-stub stand-in, with fake-s3 and fake-td under fakes.
func standInStack(t *testing.T) *types.Project {
	t.Helper()
	def, err := taskdef.Decode("dd-agent.json", []byte(`{"family": "dd-agent-task", "containerDefinitions": [
		{"name": "dd-agent", "image": "datadog/docker-dd-agent:latest", "portMappings": [{"containerPort": 8125, "hostPort": 8125, "protocol": "udp"}]}]}`))
	assert.NilError(t, err)
	local := config.Default()
	local.Images = []config.ImageRule{{Match: "datadog/docker-dd-agent", Action: config.ActionStandIn, StandIn: config.StandInDatadogStub}}
	local.Fakes = []config.StandIn{config.StandInFakeS3, config.StandInFakeTD}
	p, _, err := translate.Translate([]taskdef.Def{def}, local)
	assert.NilError(t, err)
	return p
}

// TestDockerStandInHealthChecks runs each fake stand-in as devenv's images
// hold it (FROM scratch, the devenv binary at config.StandInBinary as
// entry point) with the translated command and health check on the real
// Docker engine: Docker accepts the check and each stand-in is healthy
// within seconds. A stand-in that does not serve where its check looks is
// not, and Docker's health log shows the check's one-line reason.
func TestDockerStandInHealthChecks(t *testing.T) {
	cli := dockertest.Client(t)
	p := standInStack(t)
	image := dockertest.BuildGoImageAt(t, cli, "devenv-test-standin", "../cmd/devenv", config.StandInBinary)

	started := time.Now()
	ids := map[string]string{}
	for _, name := range []string{"fake-s3", "fake-td", "dd-agent"} {
		svc := p.Services[name]
		assert.Assert(t, svc.HealthCheck != nil, name)
		ids[name] = runStandIn(t, cli, image, svc)
	}
	for _, name := range slices.Sorted(maps.Keys(ids)) {
		waitHealth(t, cli, ids[name], name, container.Healthy)
	}
	assert.Assert(t, time.Since(started) < 20*time.Second, "the stand-ins took %s to become healthy", time.Since(started))

	// fake-s3 serving elsewhere than its check looks.
	svc := p.Services["fake-s3"]
	svc.Command = slices.Clone(svc.Command)
	i := slices.Index(svc.Command, "--addr")
	assert.Assert(t, i >= 0, "fake-s3 command %q has no --addr", svc.Command)
	svc.Command[i+1] = "0.0.0.0:4567"
	id := runStandIn(t, cli, image, svc)
	out := waitHealthLog(t, cli, id)
	assert.Equal(t, out, "devenv: healthcheck http://127.0.0.1:4566/_devenv/health: no answer: dial tcp 127.0.0.1:4566: connect: connection refused\n")
}

// runStandIn creates and starts a container of image with the service's
// command and health check; it is removed when the test ends.
func runStandIn(t *testing.T, cli *client.Client, image string, svc types.ServiceConfig) string {
	t.Helper()
	hc := svc.HealthCheck
	health := &container.HealthConfig{Test: slices.Clone(hc.Test)}
	if hc.Interval != nil {
		health.Interval = time.Duration(*hc.Interval)
	}
	if hc.Timeout != nil {
		health.Timeout = time.Duration(*hc.Timeout)
	}
	if hc.StartPeriod != nil {
		health.StartPeriod = time.Duration(*hc.StartPeriod)
	}
	if hc.Retries != nil {
		health.Retries = int(*hc.Retries)
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	created, err := cli.ContainerCreate(t.Context(), client.ContainerCreateOptions{
		Name:   "devenv-test-standin-" + svc.Name + "-" + hex.EncodeToString(rnd[:]),
		Config: &container.Config{Image: image, Cmd: slices.Clone(svc.Command), Healthcheck: health, Labels: map[string]string{"devenv-test": "1"}},
	})
	if created.ID != "" {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}) //nolint:errcheck // best-effort cleanup
		})
	}
	assert.NilError(t, err)
	_, err = cli.ContainerStart(t.Context(), created.ID, client.ContainerStartOptions{})
	assert.NilError(t, err)
	return created.ID
}

// inspectHealth returns the container's state, failing the test when it
// has stopped or has no health state.
func inspectHealth(t *testing.T, cli *client.Client, id, name string) *container.Health {
	t.Helper()
	res, err := cli.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
	assert.NilError(t, err)
	st := res.Container.State
	if st == nil || !st.Running {
		t.Fatalf("%s stopped:\n%s", name, containerLogs(t, cli, id))
	}
	if st.Health == nil {
		t.Fatalf("%s has no health state: Docker ignored its health check", name)
	}
	return st.Health
}

// waitHealth waits up to 30 s for the container's health status.
func waitHealth(t *testing.T, cli *client.Client, id, name string, want container.HealthStatus) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := inspectHealth(t, cli, id, name)
		if h.Status == want {
			return
		}
		if time.Now().After(deadline) {
			var log []string
			for _, r := range h.Log {
				log = append(log, r.Output)
			}
			t.Fatalf("%s is %s, not %s, after 30s; health log:\n%s\ncontainer log:\n%s", name, h.Status, want, strings.Join(log, ""), containerLogs(t, cli, id))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitHealthLog waits up to 30 s for the container's first failed health
// check, and returns its output.
func waitHealthLog(t *testing.T, cli *client.Client, id string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := inspectHealth(t, cli, id, "the container")
		assert.Assert(t, h.Status != container.Healthy, "healthy, though nothing serves where the check looks")
		for _, r := range h.Log {
			if r.ExitCode != 0 {
				return r.Output
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed health check within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func containerLogs(t *testing.T, cli *client.Client, id string) string {
	t.Helper()
	logs, err := cli.ContainerLogs(t.Context(), id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return err.Error()
	}
	defer logs.Close()
	var out bytes.Buffer
	_, _ = io.Copy(&out, logs)
	return out.String()
}
