package translate_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/dockertest"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// lookupProgram serves (accepts connections on port 7, forever) when its
// first argument is "serve"; otherwise it
// resolves each "name=yes|no" argument and exits 1, printing the
// mismatches, when a name does (not) resolve as expected.
const lookupProgram = `package main

import (
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		l, err := net.Listen("tcp", ":7")
		if err != nil {
			panic(err)
		}
		for {
			c, err := l.Accept()
			if err == nil {
				c.Close()
			}
		}
	}
	bad := 0
	for _, a := range os.Args[1:] {
		name, want, _ := strings.Cut(a, "=")
		_, err := net.LookupHost(name)
		if (err == nil) != (want == "yes") {
			fmt.Printf("%s: resolves %v, want %s (%v)\n", name, err == nil, want, err)
			bad++
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}
`

// TestDockerTaskNetworks runs the translated networks on the real Docker
// engine: from a bridge task's network, the hosts rule target of another
// task, the fakes and the datadog-stub stand-in of another task resolve by
// service name; another task's other containers do not, as on ECS.
func TestDockerTaskNetworks(t *testing.T) {
	cli := dockertest.Client(t)
	decode := func(file, src string) taskdef.Def {
		d, err := taskdef.Decode(file, []byte(src))
		assert.NilError(t, err)
		return d
	}
	defs := []taskdef.Def{
		decode("web.json", `{"family": "web", "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "environment": [{"name": "LOG_HOST", "value": "logs.prod"}]}]}`),
		decode("logs.json", `{"family": "logs", "containerDefinitions": [{"name": "collector", "image": "fluent/fluentd:v1.17-1"}, {"name": "shipper", "image": "busybox:1.36"}]}`),
		decode("dd.json", `{"family": "dd", "containerDefinitions": [{"name": "dd-agent", "image": "datadog/agent:7"}]}`),
	}
	local := config.Default()
	local.Hosts = []config.HostRule{{Host: "logs.prod", Service: "collector"}}
	local.Fakes = []config.StandIn{config.StandInFakeS3}
	local.Images = []config.ImageRule{{Match: "datadog/agent", Action: config.ActionStandIn, StandIn: config.StandInDatadogStub}}
	p, _, err := translate.Translate(defs, local)
	assert.NilError(t, err)

	image := buildImage(t, cli, lookupProgram)
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	prefix := "devenv-test-net-" + hex.EncodeToString(rnd[:]) + "-"
	for name := range p.Networks {
		_, err := cli.NetworkCreate(t.Context(), prefix+name, client.NetworkCreateOptions{Driver: "bridge", Labels: map[string]string{"devenv-test": "1"}})
		assert.NilError(t, err)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cli.NetworkRemove(ctx, prefix+name, client.NetworkRemoveOptions{}) //nolint:errcheck // best-effort cleanup
		})
	}
	// run starts a container on the networks of service, reachable there
	// by the service name, as Compose does.
	run := func(service string, args ...string) string {
		t.Helper()
		var networks []string
		for n := range p.Services[service].Networks {
			networks = append(networks, n)
		}
		slices.Sort(networks)
		assert.Assert(t, len(networks) > 0, service)
		created, err := cli.ContainerCreate(t.Context(), client.ContainerCreateOptions{
			Name:             prefix + service,
			Config:           &container.Config{Image: image, Cmd: args, Labels: map[string]string{"devenv-test": "1"}},
			HostConfig:       &container.HostConfig{NetworkMode: container.NetworkMode(prefix + networks[0])},
			NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{prefix + networks[0]: {Aliases: []string{service}}}},
		})
		if created.ID != "" {
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true}) //nolint:errcheck // best-effort cleanup
			})
		}
		assert.NilError(t, err)
		for _, n := range networks[1:] {
			_, err := cli.NetworkConnect(t.Context(), prefix+n, client.NetworkConnectOptions{Container: created.ID, EndpointConfig: &network.EndpointSettings{Aliases: []string{service}}})
			assert.NilError(t, err)
		}
		_, err = cli.ContainerStart(t.Context(), created.ID, client.ContainerStartOptions{})
		assert.NilError(t, err)
		return created.ID
	}
	// check runs the lookups as service and wants them all as expected.
	check := func(service string, lookups ...string) {
		t.Helper()
		id := run(service, lookups...)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		wait := cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
		select {
		case res := <-wait.Result:
			if res.StatusCode != 0 {
				logs, err := cli.ContainerLogs(t.Context(), id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
				assert.NilError(t, err)
				var out bytes.Buffer
				_, _ = io.Copy(&out, logs)
				logs.Close()
				t.Fatalf("lookups from %s failed:\n%s", service, out.String())
			}
		case err := <-wait.Error:
			t.Fatal(err)
		}
	}
	for _, s := range []string{"collector", "shipper", "fake-s3", "dd-agent"} {
		run(s, "serve")
	}
	check("web", "collector=yes", "fake-s3=yes", "dd-agent=yes", "shipper=no")
}
