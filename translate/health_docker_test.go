package translate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/dockertest"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// TestDockerRunsNoHealthCheckOfUnknownKind checks on the real Docker engine
// what unrunHealthCheck relies on: a health check test whose first element
// is neither CMD nor CMD-SHELL, handed over as ECS's agent hands it, is
// never run (no health state, or "starting" without a probe result), while
// a CMD test beside it is; and the NONE devenv writes in its place leaves
// the container without a health state.
func TestDockerRunsNoHealthCheckOfUnknownKind(t *testing.T) {
	cli := dockertest.Client(t)
	image := buildImage(t, cli, "package main\n\nimport \"time\"\n\nfunc main() { time.Sleep(time.Hour) }\n")
	defs, err := taskdef.Load(os.DirFS("testdata/healthkinds"), "taskdefs")
	assert.NilError(t, err)
	p, _, err := translate.Translate(defs, readLocal(t, "testdata/healthkinds/local.yaml"))
	assert.NilError(t, err)
	assert.DeepEqual(t, []string(p.Services["api"].HealthCheck.Test), []string{"NONE"})

	prod := defs[0].Task.ContainerDefinitions[0].HealthCheck.Command // ["/healthcheck"]
	unknown := startWithHealthCheck(t, cli, image, prod)
	known := startWithHealthCheck(t, cli, image, []string{"CMD", "/healthcheck"})
	local := startWithHealthCheck(t, cli, image, p.Services["api"].HealthCheck.Test)

	health := func(id string) *container.Health {
		res, err := cli.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
		assert.NilError(t, err)
		return res.Container.State.Health
	}
	deadline := time.Now().Add(30 * time.Second)
	for h := health(known); h == nil || len(h.Log) == 0; h = health(known) {
		if time.Now().After(deadline) {
			t.Fatal("the CMD health check never ran")
		}
		time.Sleep(100 * time.Millisecond) // polling the engine; nothing to wait on
	}
	// Docker Engine 20.10 gives such a container no health state at all;
	// engines that set one leave it "starting". Either way no probe runs.
	if h := health(unknown); h != nil {
		assert.Equal(t, h.Status, container.Starting)
		assert.Equal(t, len(h.Log), 0, "Docker ran a probe for %q", prod)
	}
	assert.Assert(t, health(local) == nil, "NONE leaves no health state")
}

// startWithHealthCheck starts image with the health check test, probing
// every 100 ms; the container is removed when the test ends.
func startWithHealthCheck(t *testing.T, cli *client.Client, image string, test []string) string {
	t.Helper()
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	created, err := cli.ContainerCreate(t.Context(), client.ContainerCreateOptions{
		Name: "devenv-test-translate-" + strings.ToLower(hex.EncodeToString(rnd[:])),
		Config: &container.Config{Image: image, Labels: map[string]string{"devenv-test": "1"},
			Healthcheck: &container.HealthConfig{Test: test, Interval: 100 * time.Millisecond, Timeout: time.Second, Retries: 3}},
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
