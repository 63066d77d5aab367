package datadog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/fakes/datadog"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// openStub is startStub for an agent made by datadog.Open(dir): DogStatsD on
// UDP, the HTTP API on an httptest server. close stops both as Serve does
// on SIGTERM (HTTP first, then the agent) and returns the agent's Close
// error.
func openStub(t *testing.T, dir string, opts ...datadog.Option) (s *stub, close func() error) {
	t.Helper()
	a, err := datadog.Open(dir, opts...)
	assert.NilError(t, err)
	t.Cleanup(func() { a.Close() })
	udp, err := a.ListenUDP("127.0.0.1:0")
	assert.NilError(t, err)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &stub{agent: a, client: fakeclient.NewDatadog(srv.URL), url: srv.URL, udp: udp.String()}, func() error {
		srv.Close()
		return a.Close()
	}
}

// inspectionPaths are the endpoints whose answers must survive a restart.
var inspectionPaths = []string{
	"/metrics", "/events", "/service_checks", "/spans", "/traces",
	"/payloads", "/parse_errors", "/counts",
}

// answers returns the body of every inspection endpoint.
func answers(t *testing.T, s *stub) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range inspectionPaths {
		status, body := testsupport.Fetch(t, s.url+"/_devenv"+p)
		assert.Check(t, is.Equal(status, http.StatusOK), "%s: %s", p, body)
		out[p] = body
	}
	return out
}

func sendRaw(t *testing.T, addr string, datagrams ...string) {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	assert.NilError(t, err)
	defer conn.Close()
	for _, d := range datagrams {
		_, err := conn.Write([]byte(d))
		assert.NilError(t, err)
	}
}

// TestOpenKeepsEverythingAcrossRestart sends with datadog-go (client-side
// aggregation on), a garbage datagram and a dd-trace-go-shaped trace
// payload, closes the agent as a graceful shutdown does, opens the same dir
// and checks every inspection endpoint answers byte for byte what it did.
func TestOpenKeepsEverythingAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, closeStub := openStub(t, dir)

	c, err := statsd.New(s.udp, statsd.WithContainerID(containerID), statsd.WithoutTelemetry())
	assert.NilError(t, err)
	for range 3 {
		assert.NilError(t, c.Incr("persist.requests", []string{"env:test"}, 1))
	}
	assert.NilError(t, c.Gauge("persist.queue", 7, nil, 1))
	for _, v := range []float64{1, 2, 3, 10} {
		assert.NilError(t, c.Histogram("persist.latency", v, []string{"route:/users"}, 1))
	}
	assert.NilError(t, c.Distribution("persist.size", 512, nil, 1))
	assert.NilError(t, c.Set("persist.users", "ann", nil, 1))
	assert.NilError(t, c.Set("persist.users", "bob", nil, 1))
	assert.NilError(t, c.Event(&statsd.Event{Title: "deploy", Text: "v2 is out", Tags: []string{"env:test"}}))
	assert.NilError(t, c.ServiceCheck(&statsd.ServiceCheck{Name: "db.up", Status: statsd.Critical, Message: "down"}))
	assert.NilError(t, c.Close()) // flushes the aggregated metrics
	sendRaw(t, s.udp, "not a metric")
	resp := postTraces(t, s, "/v0.4/traces", encodeV04(t, sampleTraces()), 2)
	assert.Equal(t, resp.StatusCode, 200)

	waitFor(t, s, fakeclient.MetricQuery{Name: "persist.requests"}, func(a fakeclient.Aggregate) bool { return a.Sum == 3 })
	waitFor(t, s, fakeclient.MetricQuery{Name: "persist.latency"}, func(a fakeclient.Aggregate) bool { return a.Count == 4 })
	waitFor(t, s, fakeclient.MetricQuery{Name: "persist.users"}, func(a fakeclient.Aggregate) bool { return a.Distinct == 2 })
	waitFor(t, s, fakeclient.MetricQuery{Name: "persist.queue"}, func(a fakeclient.Aggregate) bool { return a.Last == 7 })
	waitFor(t, s, fakeclient.MetricQuery{Name: "persist.size"}, func(a fakeclient.Aggregate) bool { return a.Count == 1 })
	waitCounts(t, s, func(n fakeclient.DatadogCounts) bool {
		return n.Events == 1 && n.ServiceChecks == 1 && n.ParseErrors == 1
	})
	before := answers(t, s)
	assert.NilError(t, closeStub())

	s2, closeStub2 := openStub(t, dir)
	after := answers(t, s2)
	for _, p := range inspectionPaths {
		assert.Check(t, is.Equal(after[p], before[p]), "GET /_devenv%s after a restart", p)
	}
	r, err := s2.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "persist.latency"})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(r.Total.Count, 4))
	assert.Check(t, is.Equal(r.Total.Sum, 16.0))
	assert.Check(t, is.Equal(r.Total.Max, 10.0))
	spans, err := s2.client.Spans(t.Context(), fakeclient.SpanQuery{})
	assert.NilError(t, err)
	assert.Check(t, is.Len(spans, 3))

	// The restored store keeps deduplicating spans by (trace_id, span_id),
	// and counting goes on from the restored counts.
	resp = postTraces(t, s2, "/v0.4/traces", encodeV04(t, sampleTraces()), 2)
	assert.Equal(t, resp.StatusCode, 200)
	n, err := s2.client.Counts(t.Context())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(n.TracePayloads, uint64(2)))
	assert.Check(t, is.Equal(n.Spans, uint64(6)))
	assert.Check(t, is.Equal(n.NewSpans, uint64(3)), "the retried spans are not new")
	assert.NilError(t, closeStub2())
}

func waitCounts(t *testing.T, s *stub, done func(fakeclient.DatadogCounts) bool) {
	t.Helper()
	testsupport.Eventually(t, 10*time.Second, "counts to satisfy the condition", func(ctx context.Context) error {
		n, err := s.client.Counts(ctx)
		assert.NilError(t, err)
		if !done(n) {
			return fmt.Errorf("counts %+v", n)
		}
		return nil
	})
}

// manualClock is a clock tests move by hand.
type manualClock struct{ ns atomic.Int64 }

func newManualClock(t time.Time) *manualClock {
	c := &manualClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *manualClock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *manualClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// TestOpenAppliesRetentionToTheSnapshot checks that what the snapshot holds
// is still forgotten once older than the retention window.
func TestOpenAppliesRetentionToTheSnapshot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := newManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	opts := func() []datadog.Option {
		return []datadog.Option{
			datadog.WithClock(clock.now),
			datadog.WithStore(datadog.NewMemoryStore(datadog.Limits{Retention: time.Minute}, clock.now)),
		}
	}
	s, closeStub := openStub(t, dir, opts()...)
	sendRaw(t, s.udp, "ret.old:1|c")
	waitFor(t, s, fakeclient.MetricQuery{Name: "ret.old"}, func(a fakeclient.Aggregate) bool { return a.Sum == 1 })
	clock.advance(45 * time.Second)
	sendRaw(t, s.udp, "ret.new:1|c")
	waitFor(t, s, fakeclient.MetricQuery{Name: "ret.new"}, func(a fakeclient.Aggregate) bool { return a.Sum == 1 })
	assert.NilError(t, closeStub())

	clock.advance(45 * time.Second) // ret.old is 90 s old, ret.new 45 s
	s2, closeStub2 := openStub(t, dir, opts()...)
	r, err := s2.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "ret.*"})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(r.Series, 1), "%+v", r.Series)
	assert.Check(t, is.Equal(r.Series[0].Name, "ret.new"))
	assert.NilError(t, closeStub2())
}

// TestOpenSavesPeriodically reads the snapshot while the agent runs, as a
// crash would leave it, and loads it elsewhere.
func TestOpenSavesPeriodically(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, _ := openStub(t, dir, datadog.WithSnapshotInterval(10*time.Millisecond))
	sendRaw(t, s.udp, "periodic.saved:5|c")
	path := filepath.Join(dir, datadog.SnapshotName)
	var data []byte
	testsupport.Eventually(t, 10*time.Second, "the snapshot to hold the metric", func(context.Context) error {
		var snap struct {
			Metrics []datadog.Metric `json:"metrics"`
		}
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return err
		}
		assert.NilError(t, json.Unmarshal(data, &snap), "a snapshot is never seen half-written")
		if len(snap.Metrics) != 1 {
			return fmt.Errorf("%d metrics in the snapshot", len(snap.Metrics))
		}
		return nil
	})

	crashed := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(crashed, datadog.SnapshotName), data, 0o644))
	s2, closeStub2 := openStub(t, crashed)
	r, err := s2.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "periodic.saved"})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(r.Total.Sum, 5.0))
	assert.NilError(t, closeStub2())
}

// TestOpenResetEmptiesTheSnapshot checks that a reset reaches the disk at
// once: neither a crash nor a restart brings back what was reset.
func TestOpenResetEmptiesTheSnapshot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, closeStub := openStub(t, dir)
	sendRaw(t, s.udp, "reset.before:1|c", "_e{2,2}:ev|tx", "garbage")
	waitCounts(t, s, func(n fakeclient.DatadogCounts) bool { return n.Metrics == 1 && n.Events == 1 && n.ParseErrors == 1 })
	assert.NilError(t, s.client.Reset(t.Context()))

	data, err := os.ReadFile(filepath.Join(dir, datadog.SnapshotName))
	assert.NilError(t, err)
	var snap struct {
		Counts  datadog.Counts   `json:"counts"`
		Metrics []datadog.Metric `json:"metrics"`
		Events  []datadog.Event  `json:"events"`
	}
	assert.NilError(t, json.Unmarshal(data, &snap))
	assert.Check(t, is.DeepEqual(snap.Counts, datadog.Counts{}))
	assert.Check(t, is.Len(snap.Metrics, 0))
	assert.Check(t, is.Len(snap.Events, 0))

	sendRaw(t, s.udp, "reset.after:2|c")
	waitFor(t, s, fakeclient.MetricQuery{Name: "reset.after"}, func(a fakeclient.Aggregate) bool { return a.Sum == 2 })
	assert.NilError(t, closeStub())

	s2, closeStub2 := openStub(t, dir)
	r, err := s2.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "reset.*"})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(r.Series, 1))
	assert.Check(t, is.Equal(r.Series[0].Name, "reset.after"))
	n, err := s2.client.Counts(t.Context())
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(n, fakeclient.DatadogCounts{Packets: 1, PacketsUDP: 1, Bytes: uint64(len("reset.after:2|c")), Metrics: 1}))
	assert.NilError(t, closeStub2())
}

// TestOpenRefusesABadSnapshot checks each way a snapshot can be unusable
// gives one error naming the file, and that the file is left untouched.
func TestOpenRefusesABadSnapshot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"garbage", "xyz", "corrupt at byte 1: invalid character 'x' looking for beginning of value"},
		{"empty", "", "empty file"},
		{"truncated", `{"format":1,"metrics":[{"name":"a"`, "truncated after 34 bytes"},
		{"other format", `{"format":2}`, "format 2 is not supported (want 1)"},
		{"no format", `{"metrics":[]}`, "format 0 is not supported (want 1)"},
		{"unknown field", `{"format":1,"bogus":1}`, `corrupt: json: unknown field "bogus"`},
		{"wrong type", `{"format":1,"metrics":{}}`, "corrupt: json: cannot unmarshal object into Go struct field snapshot.metrics of type []fakeclient.Metric"},
		{"trailing data", `{"format":1}{}`, "corrupt: data after the document at byte 12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, datadog.SnapshotName)
			assert.NilError(t, os.WriteFile(path, []byte(tc.content), 0o644))
			_, err := datadog.Open(dir)
			assert.Error(t, err, "load snapshot "+path+": "+tc.want)
			got, rerr := os.ReadFile(path)
			assert.NilError(t, rerr)
			assert.Check(t, is.Equal(string(got), tc.content), "a bad snapshot is left as it is")

			// The failed open released the lock: once fixed, the dir opens.
			assert.NilError(t, os.Remove(path))
			a, err := datadog.Open(dir)
			assert.NilError(t, err)
			assert.NilError(t, a.Close())
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, datadog.SnapshotName)
		assert.NilError(t, os.Mkdir(path, 0o755))
		_, err := datadog.Open(dir)
		assert.Error(t, err, "read snapshot: read "+path+": is a directory")
	})
}

func TestOpenLocksTheDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, err := datadog.Open(dir)
	assert.NilError(t, err)
	_, err = datadog.Open(dir)
	assert.Error(t, err, "lock data dir "+dir+": another datadog agent stub is using it")
	assert.NilError(t, a.Close())
	assert.NilError(t, a.Close(), "closing again is harmless")

	b, err := datadog.Open(dir)
	assert.NilError(t, err, "Close released the lock")
	assert.NilError(t, b.Close())
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Check(t, is.DeepEqual(names, []string{datadog.SnapshotName, datadog.LockName}), "no temporary file is left behind")
}

// TestOpenRemovesInterruptedSaves checks a temporary file a crash left
// mid-save is cleaned up and does not stand in for the snapshot.
func TestOpenRemovesInterruptedSaves(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	temp := filepath.Join(dir, "."+datadog.SnapshotName+".tmp-123")
	assert.NilError(t, os.WriteFile(temp, []byte(`{"format":1,"metr`), 0o600))
	a, err := datadog.Open(dir)
	assert.NilError(t, err)
	_, err = os.Stat(temp)
	assert.Check(t, os.IsNotExist(err), "%v", err)
	assert.NilError(t, a.Close())
}

// TestOpenCloseReportsAFailedSave checks a last save that cannot be written
// is Close's error, naming the file, rather than lost silently.
func TestOpenCloseReportsAFailedSave(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	a, err := datadog.Open(dir)
	assert.NilError(t, err, "Open creates a missing data dir")
	assert.NilError(t, os.RemoveAll(dir))
	err = a.Close()
	assert.ErrorContains(t, err, "save snapshot: write "+filepath.Join(dir, datadog.SnapshotName)+": ")
}
