package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/fakes/datadog"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

var fakeDatadogServingRE = regexp.MustCompile(`fake datadog: serving (http://\S+) .*\(dogstatsd udp ([^,)\s]+)`)

// startFakeDatadog runs `devenv fake datadog args...` in-process on free
// ports and returns the APM base URL, the DogStatsD UDP address, and a stop
// function that cancels it (as SIGTERM does) and returns its error.
func startFakeDatadog(t *testing.T, args ...string) (apm, statsd string, stop func() error) {
	t.Helper()
	m, stop := startServing(t, fakeDatadogServingRE,
		append([]string{"fake", "datadog", "--statsd-addr", "127.0.0.1:0", "--apm-addr", "127.0.0.1:0"}, args...)...)
	return m[1], m[2], stop
}

func TestFakeDatadogCommandServesAndShutsDown(t *testing.T) {
	dir, err := os.MkdirTemp("", "dd")
	assert.NilError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "dsd.socket")
	apmSocket := filepath.Join(dir, "apm.socket")
	apm, udp, stop := startFakeDatadog(t, "--statsd-socket", socket, "--apm-socket", apmSocket, "--max-datagram-size", "64")
	c := fakeclient.NewDatadog(apm)
	ctx := t.Context()
	assert.NilError(t, c.Health(ctx))

	for _, dst := range []struct{ network, addr string }{{"udp", udp}, {"unixgram", socket}} {
		conn, err := net.Dial(dst.network, dst.addr)
		assert.NilError(t, err)
		_, err = conn.Write([]byte("cmd.test:2|c|#via:" + dst.network))
		assert.NilError(t, err)
		_, err = conn.Write([]byte("cmd.big:1|c|#" + strings.Repeat("x", 100)))
		assert.NilError(t, err)
		conn.Close()
	}
	r, err := c.WaitMetrics(ctx, fakeclient.MetricQuery{Name: "cmd.test"}, 10*time.Second,
		func(r fakeclient.MetricsResult) bool { return r.Total.Sum == 4 })
	assert.NilError(t, err, "%+v", r)
	assert.Check(t, is.Len(r.Series, 2))
	n, err := c.Counts(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(n.Oversize, uint64(2)), "--max-datagram-size 64 applies")

	// The trace intake answers on the Unix socket too, as dd-trace-go uses it.
	overUnix := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", apmSocket)
	}}}
	resp, err := overUnix.Get("http://localhost/info")
	assert.NilError(t, err)
	var info struct {
		Endpoints []string `json:"endpoints"`
	}
	assert.NilError(t, json.NewDecoder(resp.Body).Decode(&info))
	resp.Body.Close()
	assert.Check(t, is.Contains(info.Endpoints, "/v0.4/traces"))
	overUnix.CloseIdleConnections()

	assert.NilError(t, stop(), "a clean shutdown exits 0")
	_, err = os.Stat(apmSocket)
	assert.Check(t, os.IsNotExist(err), "the APM socket file is removed on shutdown: %v", err)
	_, err = os.Stat(socket)
	assert.Check(t, os.IsNotExist(err), "the socket file is removed on shutdown: %v", err)
	_, err = net.DialTimeout("tcp", strings.TrimPrefix(apm, "http://"), time.Second)
	assert.Check(t, err != nil, "the APM port is closed after shutdown")
}

func TestFakeDatadogCommandBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--max-datagram-size", "0"},
		{"--retention", "-1s"},
		{"--read-buffer", "0"},
		{"--apm-addr", ""},
		{"--no-such-flag"},
	} {
		err := run(t.Context(), append([]string{"fake", "datadog"}, args...), strings.NewReader(""), io.Discard, io.Discard)
		var ee *exitError
		assert.Assert(t, errors.As(err, &ee), "%v: %v", args, err)
		assert.Check(t, is.Equal(ee.code, 2), "%v", args)
	}
}

func TestFakeDatadogCommandAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	defer ln.Close()
	err = run(t.Context(), []string{"fake", "datadog", "--statsd-addr", "127.0.0.1:0", "--apm-addr", ln.Addr().String()},
		strings.NewReader(""), io.Discard, io.Discard)
	assert.ErrorContains(t, err, "listen on "+ln.Addr().String())
	var ee *exitError
	assert.Check(t, !errors.As(err, &ee), "exit code 1, not a usage error")
}

// TestFakeDatadogCommandDataDirSurvivesRestart sends with datadog-go over
// UDP, stops the command as SIGTERM does, starts it again on the same
// --data-dir and reads the same aggregates through the Go client; after a
// reset and another restart nothing comes back.
func TestFakeDatadogCommandDataDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	apm, udp, stop := startFakeDatadog(t, "--data-dir", dir)
	c, err := statsd.New(udp, statsd.WithoutTelemetry())
	assert.NilError(t, err)
	for _, v := range []float64{5, 1, 12} {
		assert.NilError(t, c.Histogram("cmd.persist.latency", v, []string{"env:test"}, 1))
	}
	assert.NilError(t, c.Count("cmd.persist.jobs", 4, []string{"queue:a"}, 1))
	assert.NilError(t, c.Count("cmd.persist.jobs", 2, []string{"queue:b"}, 1))
	assert.NilError(t, c.Event(&statsd.Event{Title: "cmd.deploy", Text: "done"}))
	assert.NilError(t, c.ServiceCheck(&statsd.ServiceCheck{Name: "cmd.db.up", Status: statsd.Ok}))
	assert.NilError(t, c.Close())

	dd := fakeclient.NewDatadog(apm)
	q := fakeclient.MetricQuery{Name: "cmd.persist.*", NoPoints: true}
	want, err := dd.WaitMetrics(ctx, q, 10*time.Second, func(r fakeclient.MetricsResult) bool { return r.Total.Count == 5 })
	assert.NilError(t, err, "%+v", want)
	wantEvents := waitFakeDatadog(t, func() ([]fakeclient.Event, error) { return dd.Events(ctx, fakeclient.EventQuery{}) })
	wantChecks := waitFakeDatadog(t, func() ([]fakeclient.ServiceCheck, error) {
		return dd.ServiceChecks(ctx, fakeclient.ServiceCheckQuery{})
	})
	wantCounts, err := dd.Counts(ctx)
	assert.NilError(t, err)
	assert.NilError(t, stop(), "a clean shutdown exits 0")

	apm, _, stop = startFakeDatadog(t, "--data-dir", dir)
	dd = fakeclient.NewDatadog(apm)
	got, err := dd.Metrics(ctx, q)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(got, want))
	assert.Check(t, is.Equal(got.Total.Sum, 24.0), "5+1+12 and 4+2")
	events, err := dd.Events(ctx, fakeclient.EventQuery{})
	assert.NilError(t, err)
	assert.Check(t, is.Len(events, 1))
	assert.Check(t, is.Equal(events[0].Title, wantEvents[0].Title))
	assert.Check(t, events[0].Received.Equal(wantEvents[0].Received))
	checks, err := dd.ServiceChecks(ctx, fakeclient.ServiceCheckQuery{})
	assert.NilError(t, err)
	assert.Check(t, is.Len(checks, 1))
	assert.Check(t, is.Equal(checks[0].Name, wantChecks[0].Name))
	counts, err := dd.Counts(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(counts, wantCounts))

	assert.NilError(t, dd.Reset(ctx))
	assert.NilError(t, stop())
	apm, _, stop = startFakeDatadog(t, "--data-dir", dir)
	dd = fakeclient.NewDatadog(apm)
	got, err = dd.Metrics(ctx, q)
	assert.NilError(t, err)
	assert.Check(t, is.Len(got.Series, 0), "a reset is persisted")
	counts, err = dd.Counts(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(counts, fakeclient.DatadogCounts{}))
	assert.NilError(t, stop())
}

// waitFakeDatadog polls get until it returns one item.
func waitFakeDatadog[T any](t *testing.T, get func() ([]T, error)) []T {
	t.Helper()
	var items []T
	testsupport.Until(t, 10*time.Second, "one item", func() bool {
		var err error
		items, err = get()
		assert.NilError(t, err)
		return len(items) == 1
	})
	return items
}

// TestFakeDatadogCommandCorruptSnapshot checks a corrupt snapshot stops the
// start with exit 1 and one line naming the file, for `fake datadog` and for
// `fake all --datadog-data-dir`, and is left in place.
func TestFakeDatadogCommandCorruptSnapshot(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, datadog.SnapshotName)
	assert.NilError(t, os.WriteFile(path, []byte(`{"format":1,"metrics":[}`), 0o644))
	want := "open fake datadog: load snapshot " + path + ": corrupt at byte 24: invalid character '}' looking for beginning of value"
	for _, args := range [][]string{
		{"fake", "datadog", "--statsd-addr", "127.0.0.1:0", "--apm-addr", "127.0.0.1:0", "--data-dir", dir},
		{"fake", "all", "--s3-addr", "127.0.0.1:0", "--td-addr", "127.0.0.1:0",
			"--datadog-statsd-addr", "127.0.0.1:0", "--datadog-apm-addr", "127.0.0.1:0", "--datadog-data-dir", dir},
	} {
		err := run(t.Context(), args, strings.NewReader(""), io.Discard, io.Discard)
		assert.Error(t, err, want, "%v", args)
		var stderr strings.Builder
		assert.Check(t, is.Equal(exitCode(err, &stderr), 1))
		assert.Check(t, is.Equal(stderr.String(), "devenv: "+want+"\n"))
	}
	got, err := os.ReadFile(path)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(string(got), `{"format":1,"metrics":[}`))
}

// TestFakeDatadogCommandDataDirLocked checks a second stub on the same
// --data-dir exits 1 and leaves the first serving.
func TestFakeDatadogCommandDataDirLocked(t *testing.T) {
	dir := t.TempDir()
	apm, _, stop := startFakeDatadog(t, "--data-dir", dir)
	err := run(t.Context(), []string{"fake", "datadog", "--statsd-addr", "127.0.0.1:0", "--apm-addr", "127.0.0.1:0", "--data-dir", dir},
		strings.NewReader(""), io.Discard, io.Discard)
	assert.Error(t, err, "open fake datadog: lock data dir "+dir+": another datadog agent stub is using it")
	assert.NilError(t, fakeclient.NewDatadog(apm).Health(t.Context()))
	assert.NilError(t, stop())
}
