package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/dockertest"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// buildJSONLinesImage builds testdata/jsonlines into a FROM scratch image
// and removes the image when the test ends.
func buildJSONLinesImage(t *testing.T, cli *client.Client) string {
	t.Helper()
	return dockertest.BuildGoImage(t, cli, "devenv-test-jsonlines", "testdata/jsonlines")
}

// runLogged runs image with Docker's fluentd log driver pointed at addr
// and waits for it to exit; the container is removed when the test ends.
func runLogged(t *testing.T, cli *client.Client, image, addr, tag string, args ...string) string {
	t.Helper()
	return runLoggedOpts(t, cli, image, addr, tag, nil, args...)
}

// runLoggedOpts is runLogged with extra fluentd log-opts.
func runLoggedOpts(t *testing.T, cli *client.Client, image, addr, tag string, opts map[string]string, args ...string) string {
	t.Helper()
	logOpts := map[string]string{"fluentd-address": "tcp://" + addr, "tag": tag}
	for k, v := range opts {
		logOpts[k] = v
	}
	created, err := cli.ContainerCreate(t.Context(), client.ContainerCreateOptions{
		Name: "devenv-test-fluentd-" + strings.ReplaceAll(tag, ".", "-") + "-" + fmt.Sprint(time.Now().UnixNano()),
		Config: &container.Config{
			Image:  image,
			Cmd:    args,
			Labels: map[string]string{"devenv-test": "1"},
		},
		HostConfig: &container.HostConfig{
			LogConfig: container.LogConfig{Type: "fluentd", Config: logOpts},
		},
	})
	if created.ID != "" {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true}) //nolint:errcheck // best-effort cleanup
		})
	}
	assert.NilError(t, err)
	wait := cli.ContainerWait(t.Context(), created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	_, err = cli.ContainerStart(t.Context(), created.ID, client.ContainerStartOptions{})
	assert.NilError(t, err)
	select {
	case res := <-wait.Result:
		assert.Equal(t, res.StatusCode, int64(0))
	case err := <-wait.Error:
		t.Fatalf("wait for container: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("container did not exit")
	}
	return created.ID
}

// TestDockerFluentdDriver runs a container with Docker's fluentd logging
// driver against the emulator: the raw records carry Docker's tag and
// fields, and the production pipeline delivers the events to S3 and TD.
func TestDockerFluentdDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Docker image")
	}
	cli := dockertest.Client(t)
	image := buildJSONLinesImage(t, cli)
	sk := newSinks(t)
	env := sk.env(t.TempDir(), "1s")
	root, err := parseConfigFile(t, "docker.conf", env)
	assert.NilError(t, err)
	stdout := &testsupport.Buffer{}
	e := startEmulator(t, root, WithStdout(stdout), WithLogger(testLogger(t)))

	rawID := runLogged(t, cli, image, e.Addr(), "docker.raw", "2", "raw")
	testsupport.Until(t, 20*time.Second, "raw records on stdout", func() bool { return strings.Count(stdout.String(), "\n") >= 2 })
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	var lines int
	for sc.Scan() {
		// out_stdout: "<time> <tag>: <json>"
		_, rest, ok := strings.Cut(sc.Text(), " docker.raw: ")
		assert.Assert(t, ok, "line %q", sc.Text())
		var rec map[string]string
		assert.NilError(t, json.Unmarshal([]byte(rest), &rec))
		assert.Equal(t, rec["container_id"], rawID)
		assert.Assert(t, strings.HasPrefix(rec["container_name"], "/devenv-test-fluentd-docker-raw-"), rec["container_name"])
		assert.Equal(t, rec["source"], "stdout")
		assert.Equal(t, rec["log"], fmt.Sprintf(`{"log_type":"EVENT","event_type":"raw","seq":%d}`, lines))
		lines++
	}
	assert.Equal(t, lines, 2)

	runLogged(t, cli, image, e.Addr(), "docker.delish", "5", "click")
	e.ForceFlush()
	testsupport.Until(t, 30*time.Second, "S3 and TD records", func() bool {
		n := 0
		for _, ls := range sk.s3Lines(t, "logs/delish-event/click/") {
			n += len(ls)
		}
		return n == 5 && len(sk.tdRecords(t, "event_click")) == 5
	})
	for key, ls := range sk.s3Lines(t, "logs/delish-event/click/") {
		assert.Assert(t, strings.HasSuffix(key, "_0_fluentd01.gz"), key)
		for _, l := range ls {
			assert.Equal(t, l["event_type"], "click")
			_, hasDockerField := l["container_id"]
			assert.Assert(t, !hasDockerField, "filter_parser drops the Docker fields: %v", l)
		}
	}
	assert.Equal(t, e.Stats().Forward.DecodeErrors, int64(0))
	assert.Equal(t, e.Stats().Forward.Acks, int64(0))

	// fluentd-sub-second-precision sends EventTime: by default, as in
	// fluentd v0.12, every record is lost while the container exits 0.
	runLoggedOpts(t, cli, image, e.Addr(), "docker.delish", map[string]string{"fluentd-sub-second-precision": "true"}, "2", "subsec")
	testsupport.Until(t, 30*time.Second, "the EventTime to close the connection", func() bool { return e.Stats().Forward.DecodeErrors >= 1 })
	assert.Equal(t, e.Stats().Forward.Events, int64(7))

	// With WithAcceptEventTime, as fluentd v1: fluentd-request-ack makes
	// the driver wait for each record's ack (sent once it is fsynced).
	v1 := startEmulator(t, root, WithLogger(testLogger(t)), WithAcceptEventTime(true), WithBufferRoot(t.TempDir()))
	runLoggedOpts(t, cli, image, v1.Addr(), "docker.delish",
		map[string]string{"fluentd-request-ack": "true", "fluentd-sub-second-precision": "true"}, "3", "acked")
	st := v1.Stats().Forward
	assert.Equal(t, st.Acks, int64(3))
	assert.Equal(t, st.EventTimes, int64(3))
	v1.ForceFlush()
	testsupport.Until(t, 30*time.Second, "acknowledged records in TD", func() bool { return len(sk.tdRecords(t, "event_acked")) == 3 })
	assert.Equal(t, len(sk.tdRecords(t, "event_subsec")), 0)
}
