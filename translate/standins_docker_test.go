package translate_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
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
// entry point) with the translated command, health check and data volume
// on the real Docker engine: Docker accepts the check and each stand-in
// becomes healthy. A stand-in that does not serve where its check
// looks is not, and Docker's health log shows the check's one-line reason.
func TestDockerStandInHealthChecks(t *testing.T) {
	cli := dockertest.Client(t)
	p := standInStack(t)
	image := dockertest.BuildGoImageAt(t, cli, "devenv-test-standin", "../cmd/devenv", config.StandInBinary)
	vols := testVolumes(t, cli)

	ids := map[string]string{}
	for _, name := range []string{"fake-s3", "fake-td", "dd-agent"} {
		svc := p.Services[name]
		assert.Assert(t, svc.HealthCheck != nil, name)
		ids[name] = runStandIn(t, cli, image, svc, vols)
	}
	for _, name := range slices.Sorted(maps.Keys(ids)) {
		waitHealth(t, cli, ids[name], name, container.Healthy)
	}

	// fake-s3 serving elsewhere than its check looks.
	svc := p.Services["fake-s3"]
	svc.Command = slices.Clone(svc.Command)
	i := slices.Index(svc.Command, "--addr")
	assert.Assert(t, i >= 0, "fake-s3 command %q has no --addr", svc.Command)
	svc.Command[i+1] = "0.0.0.0:4567"
	svc.Volumes = nil
	id := runStandIn(t, cli, image, svc, vols)
	out := waitHealthLog(t, cli, id)
	assert.Equal(t, out, "devenv: healthcheck http://127.0.0.1:4566/_devenv/health: no answer: dial tcp 127.0.0.1:4566: connect: connection refused\n")
}

// TestDockerStandInDataSurvives: what fake-s3 received is on its data
// volume, so a new container of the service (devenv down, then up) still
// serves it.
func TestDockerStandInDataSurvives(t *testing.T) {
	cli := dockertest.Client(t)
	p := standInStack(t)
	image := dockertest.BuildGoImageAt(t, cli, "devenv-test-standin", "../cmd/devenv", config.StandInBinary)
	vols := testVolumes(t, cli)
	svc := p.Services["fake-s3"]
	assert.Equal(t, len(svc.Volumes), 1)
	assert.Equal(t, svc.Volumes[0].Source, "fake-s3"+translate.StandInVolumeSuffix)

	id := runStandIn(t, cli, image, svc, vols)
	waitHealth(t, cli, id, "fake-s3", container.Healthy)
	base := "http://" + hostPort(t, cli, id, config.FakeS3Port)
	send := func(method, path, body string) string {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
		assert.NilError(t, err)
		res, err := http.DefaultClient.Do(req)
		assert.NilError(t, err)
		defer res.Body.Close()
		got, err := io.ReadAll(res.Body)
		assert.NilError(t, err)
		assert.Equal(t, res.StatusCode, http.StatusOK, "%s %s: %s", method, path, got)
		return string(got)
	}
	send(http.MethodPut, "/logs", "")
	send(http.MethodPut, "/logs/2026/01/events.gz", "kept across devenv down")

	timeout := 10
	_, err := cli.ContainerStop(t.Context(), id, client.ContainerStopOptions{Timeout: &timeout})
	assert.NilError(t, err)
	_, err = cli.ContainerRemove(t.Context(), id, client.ContainerRemoveOptions{})
	assert.NilError(t, err)

	id = runStandIn(t, cli, image, svc, vols)
	waitHealth(t, cli, id, "fake-s3", container.Healthy)
	base = "http://" + hostPort(t, cli, id, config.FakeS3Port)
	assert.Equal(t, send(http.MethodGet, "/logs/2026/01/events.gz", ""), "kept across devenv down")
}

// testVolumes returns the Docker volume standing in for each project
// volume a container mounts (created on first use, removed when the test
// ends), as Compose names them per project.
func testVolumes(t *testing.T, cli *client.Client) func(string) string {
	t.Helper()
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	prefix := "devenv-test-standin-" + hex.EncodeToString(rnd[:]) + "_"
	made := map[string]bool{}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for name := range made {
			cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: true}) //nolint:errcheck // best-effort cleanup
		}
	})
	return func(source string) string {
		name := prefix + source
		if !made[name] {
			_, err := cli.VolumeCreate(t.Context(), client.VolumeCreateOptions{Name: name, Labels: map[string]string{"devenv-test": "1"}})
			assert.NilError(t, err)
			made[name] = true
		}
		return name
	}
}

// hostPort returns the 127.0.0.1 address on which the container's TCP port
// is published.
func hostPort(t *testing.T, cli *client.Client, id string, port int) string {
	t.Helper()
	res, err := cli.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
	assert.NilError(t, err)
	for p, bindings := range res.Container.NetworkSettings.Ports {
		if int(p.Num()) == port && len(bindings) > 0 {
			return net.JoinHostPort(bindings[0].HostIP.String(), bindings[0].HostPort)
		}
	}
	t.Fatalf("port %d is not published: %v", port, res.Container.NetworkSettings.Ports)
	return ""
}

// runStandIn creates and starts a container of image with the service's
// command, health check, named volumes (vols gives the Docker volume of
// each) and TCP ports (published on 127.0.0.1, on ports Docker picks); it
// is removed when the test ends.
func runStandIn(t *testing.T, cli *client.Client, image string, svc types.ServiceConfig, vols func(string) string) string {
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
	var mounts []mount.Mount
	for _, v := range svc.Volumes {
		if v.Type != types.VolumeTypeVolume {
			continue // the test runs no production binds
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Source: vols(v.Source), Target: v.Target})
	}
	exposed, bindings := network.PortSet{}, network.PortMap{}
	for _, pc := range svc.Ports {
		if pc.Protocol != "tcp" {
			continue
		}
		port, err := network.ParsePort(fmt.Sprintf("%d/tcp", pc.Target))
		assert.NilError(t, err)
		exposed[port] = struct{}{}
		bindings[port] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "0"}}
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	created, err := cli.ContainerCreate(t.Context(), client.ContainerCreateOptions{
		Name:       "devenv-test-standin-" + svc.Name + "-" + hex.EncodeToString(rnd[:]),
		Config:     &container.Config{Image: image, Cmd: slices.Clone(svc.Command), Healthcheck: health, ExposedPorts: exposed, Labels: map[string]string{"devenv-test": "1"}},
		HostConfig: &container.HostConfig{Mounts: mounts, PortBindings: bindings},
	})
	if created.ID != "" {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true}) //nolint:errcheck // best-effort cleanup
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

// waitHealthLog waits up to 30 s for the container's first health check
// that failed with output of its own, and returns that output. A check
// Docker killed for exceeding its timeout (a loaded machine) says nothing
// about the check, so the wait goes on past it.
func waitHealthLog(t *testing.T, cli *client.Client, id string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := inspectHealth(t, cli, id, "the container")
		assert.Assert(t, h.Status != container.Healthy, "healthy, though nothing serves where the check looks")
		for _, r := range h.Log {
			if r.ExitCode != 0 && !strings.HasPrefix(r.Output, "Health check exceeded timeout") {
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
