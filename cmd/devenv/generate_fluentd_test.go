package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	yaml "go.yaml.in/yaml/v4"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakes/s3"
	"github.com/devenv-sh/devenv/fakes/td"
	fluentconfig "github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/emulator"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// TestGeneratedFluentConfReachesFakes runs the log path of the generated
// stack without Docker: the fluentd emulator reads the generated
// .devenv/fluentd/fluent.conf byte for byte, with the fluentd service's
// environment from docker-compose.gen.yaml; its HTTP client resolves the
// compose service names (fake-s3:4566, fake-td:8081) to in-process fakes
// the way the project network would, and nothing else. A record sent with
// fluent-logger-golang, as the Docker fluentd driver would send it, must
// reach the fake S3 with path-style requests and the fake Treasure Data
// over plain HTTP within seconds (flush interval 1s).
func TestGeneratedFluentConfReachesFakes(t *testing.T) {
	referenceProject(t)
	code, _, stderr := devenvRun(t, "generate")
	assert.Equal(t, code, 0, stderr)
	data, err := os.ReadFile("docker-compose.gen.yaml")
	assert.NilError(t, err)
	var compose struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	assert.NilError(t, yaml.Unmarshal(data, &compose))
	env := compose.Services["fluentd"].Environment

	fakeS3 := httptest.NewServer(s3.New(s3.NewMemStore()).Handler())
	t.Cleanup(fakeS3.Close)
	tdSrv, err := td.Open(td.Config{})
	assert.NilError(t, err)
	fakeTD := httptest.NewServer(tdSrv)
	t.Cleanup(func() { fakeTD.Close(); tdSrv.Close() })

	// The project network's DNS: service:port → the fake's address.
	hosts := map[string]string{"fake-s3:4566": fakeS3.Listener.Addr().String(), "fake-td:8081": fakeTD.Listener.Addr().String()}
	var dialer net.Dialer
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			to, ok := hosts[addr]
			if !ok {
				return nil, fmt.Errorf("dial %s: no such host in the project network (want fake-s3:4566 or fake-td:8081)", addr)
			}
			return dialer.DialContext(ctx, network, to)
		},
	}}

	root, err := fluentconfig.Parse(os.DirFS(".devenv/fluentd"), "fluent.conf", fluentconfig.WithEnv(env))
	assert.NilError(t, err)
	em, err := emulator.New(root, emulator.WithListenAddr("127.0.0.1:0"), emulator.WithBufferRoot(t.TempDir()),
		emulator.WithHTTPClient(client), emulator.WithHostname("fluentd01"), emulator.WithShutdownTimeout(5*time.Second))
	assert.NilError(t, err)
	assert.NilError(t, em.Listen())
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- em.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("emulator: %v", err)
		}
	})

	host, port, err := net.SplitHostPort(em.Addr())
	assert.NilError(t, err)
	var portN int
	_, err = fmt.Sscan(port, &portN)
	assert.NilError(t, err)
	logger, err := fluent.New(fluent.Config{FluentHost: host, FluentPort: portN, RequestAck: true, Timeout: 5 * time.Second})
	assert.NilError(t, err)
	t.Cleanup(func() { logger.Close() })
	line := `{"log_type":"EVENT","event_type":"recipe_view","recipe_id":42,"time":"2026-11-26T10:00:00Z"}`
	assert.NilError(t, logger.Post("docker.delish", map[string]string{"log": line, "container_name": "/api-server", "source": "stdout"}))

	// S3: an object under the bucket from the environment, holding the event.
	var objects []struct {
		Key string `json:"key"`
	}
	testsupport.Until(t, 15*time.Second, "an object in the fake S3", func() bool {
		getJSON(t, fakeS3.URL+"/_devenv/objects?bucket="+url.QueryEscape(env["AWS_S3_BUCKET"]), &objects)
		return len(objects) > 0
	})
	resp, err := http.Get(fakeS3.URL + "/_devenv/object?bucket=" + url.QueryEscape(env["AWS_S3_BUCKET"]) + "&key=" + url.QueryEscape(objects[0].Key))
	assert.NilError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.NilError(t, err)
	first, _, _ := strings.Cut(string(body), "\n")
	assert.Assert(t, json.Valid([]byte(first)), "object content: %s", body)
	assert.Assert(t, strings.Contains(first, `"recipe_id":42`), "object content: %s", body)
	var requests []struct {
		Host       string `json:"host"`
		Addressing string `json:"addressing"`
		Status     int    `json:"status"`
	}
	getJSON(t, fakeS3.URL+"/_devenv/requests?op=PutObject", &requests)
	assert.Assert(t, len(requests) > 0)
	for _, r := range requests {
		// force_path_style true: the bucket is in the path, the Host is the service.
		assert.Equal(t, r.Addressing, "path")
		assert.Equal(t, r.Host, "fake-s3:4566")
		assert.Equal(t, r.Status, http.StatusOK)
	}

	// TD: the record in delish_local.event_recipe_view.
	var page struct {
		Records []map[string]any `json:"records"`
	}
	testsupport.Until(t, 15*time.Second, "a record in the fake Treasure Data", func() bool {
		getJSON(t, fakeTD.URL+"/_devenv/records?db="+url.QueryEscape(env["TD_DATABASE"])+"&table=event_recipe_view", &page)
		return len(page.Records) > 0
	})
	assert.Equal(t, fmt.Sprint(page.Records[0]["recipe_id"]), "42")
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	assert.NilError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return // nothing there yet
	}
	assert.Equal(t, resp.StatusCode, http.StatusOK, u)
	assert.NilError(t, json.NewDecoder(resp.Body).Decode(v), u)
}
