package translate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/internal/dockertest"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// TestDockerAcceptsTranslatedLogging runs the reference api-server's
// translated log configuration on the real Docker engine: with the
// fluentd-async option devenv adds, the container starts although no
// collector listens yet; with production's options it does not. Its ports
// are bound on 127.0.0.1 as generated.
func TestDockerAcceptsTranslatedLogging(t *testing.T) {
	cli := dockertest.Client(t)
	image := buildExitImage(t, cli)

	defs, err := taskdef.Load(os.DirFS("testdata/delish"), "taskdefs")
	assert.NilError(t, err)
	local := readLocal(t, "testdata/delish/local.yaml")
	p, _, err := translate.Translate(defs, local, fluentdOption(t, "testdata/delish", local)...)
	assert.NilError(t, err)
	api := p.Services["api-server"]
	assert.Equal(t, api.Logging.Options["fluentd-async"], "true")

	// Nothing listens on this port: the collector is not up yet.
	closed := closedPort(t)
	opts := map[string]string{}
	for k, v := range api.Logging.Options {
		opts[k] = v
	}
	opts["fluentd-address"] = closed

	id := createContainer(t, cli, image, api.Logging.Driver, opts, api.Ports)
	_, err = cli.ContainerStart(t.Context(), id, client.ContainerStartOptions{})
	assert.NilError(t, err, "a container with fluentd-async must start before its collector")
	inspect, err := cli.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
	assert.NilError(t, err)
	bindings := inspect.Container.HostConfig.PortBindings
	assert.Assert(t, is.Len(bindings, 1))
	for _, bs := range bindings {
		assert.Equal(t, bs[0].HostIP.String(), "127.0.0.1")
	}

	// Production's options, without fluentd-async, cannot start without a collector.
	delete(opts, "fluentd-async")
	id = createContainer(t, cli, image, "fluentd", opts, nil)
	_, err = cli.ContainerStart(t.Context(), id, client.ContainerStartOptions{})
	assert.ErrorContains(t, err, "connection refused")
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	addr := l.Addr().String()
	assert.NilError(t, l.Close())
	return addr
}

// buildExitImage builds a FROM scratch image whose program exits at once,
// and removes it when the test ends.
func buildExitImage(t *testing.T, cli *client.Client) string {
	t.Helper()
	return buildImage(t, cli, "package main\n\nfunc main() {}\n")
}

// buildImage builds a FROM scratch image running the Go program main (a
// main.go without dependencies), and removes it when the test ends.
func buildImage(t *testing.T, cli *client.Client, main string) string {
	t.Helper()
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module app\n\ngo 1.26\n"), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o644))
	return dockertest.BuildGoImage(t, cli, "devenv-test-translate", dir)
}

// createContainer creates a container with a log configuration and the
// generated port bindings; it is removed when the test ends.
func createContainer(t *testing.T, cli *client.Client, image, driver string, logOpts map[string]string, ports []types.ServicePortConfig) string {
	t.Helper()
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for _, pc := range ports {
		port, err := network.ParsePort(fmt.Sprintf("%d/%s", pc.Target, pc.Protocol))
		assert.NilError(t, err)
		exposed[port] = struct{}{}
		// Port 0 lets Docker pick a free host port: the test must not
		// collide with a stack running on this machine.
		bindings[port] = append(bindings[port], network.PortBinding{HostIP: netip.MustParseAddr(pc.HostIP), HostPort: "0"})
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	created, err := cli.ContainerCreate(t.Context(), client.ContainerCreateOptions{
		Name:       "devenv-test-translate-" + strings.ToLower(hex.EncodeToString(rnd[:])),
		Config:     &container.Config{Image: image, ExposedPorts: exposed, Labels: map[string]string{"devenv-test": "1"}},
		HostConfig: &container.HostConfig{LogConfig: container.LogConfig{Type: driver, Config: logOpts}, PortBindings: bindings},
	})
	if created.ID != "" {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true}) //nolint:errcheck // best-effort cleanup
		})
	}
	assert.NilError(t, err)
	return created.ID
}
