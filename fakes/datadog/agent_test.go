package datadog_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/fakes/datadog"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// stub is an agent serving in-process: DogStatsD on UDP and on a Unix
// datagram socket, and its HTTP API on an httptest server.
type stub struct {
	agent  *datadog.Agent
	client *fakeclient.Datadog
	url    string // the HTTP API's base URL
	udp    string // host:port
	socket string // path
}

func startStub(t *testing.T, opts ...datadog.Option) *stub {
	t.Helper()
	a := datadog.New(opts...)
	t.Cleanup(func() { a.Close() })
	udp, err := a.ListenUDP("127.0.0.1:0")
	assert.NilError(t, err)
	// Unix socket paths are limited to 108 bytes: keep this one short.
	dir, err := os.MkdirTemp("", "dd")
	assert.NilError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "dsd.socket")
	_, err = a.ListenUnixgram(socket)
	assert.NilError(t, err)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &stub{agent: a, client: fakeclient.NewDatadog(srv.URL), url: srv.URL, udp: udp.String(), socket: socket}
}

// containerID is what every datadog-go client of these tests sends as "|c:":
// datadog-go keeps the first client's container id for the whole process.
const containerID = "devenv-test-cid"

func newStatsd(t *testing.T, addr string, opts ...statsd.Option) *statsd.Client {
	t.Helper()
	c, err := statsd.New(addr, append(opts, statsd.WithContainerID(containerID))...)
	assert.NilError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls the stub until the query's aggregate satisfies done.
func waitFor(t *testing.T, s *stub, q fakeclient.MetricQuery, done func(fakeclient.Aggregate) bool) fakeclient.MetricsResult {
	t.Helper()
	r, err := s.client.WaitMetrics(t.Context(), q, 10*time.Second, func(r fakeclient.MetricsResult) bool { return done(r.Total) })
	assert.NilError(t, err, "last result: %+v", r.Total)
	return r
}

// TestDatadogGoClientSideAggregation sends with datadog-go's defaults
// (client-side aggregation of counts, gauges and sets, flushed every 2 s)
// over UDP and over the Unix socket, and checks the stub's aggregates equal
// what was sent.
func TestDatadogGoClientSideAggregation(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	for _, tc := range []struct {
		transport string
		addr      string
	}{
		{datadog.TransportUDP, s.udp},
		{datadog.TransportUDS, "unix://" + s.socket},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			t.Parallel()
			c := newStatsd(t, tc.addr, statsd.WithNamespace("app."), statsd.WithTags([]string{"env:test", "t:" + tc.transport}),
				statsd.WithoutTelemetry())
			tags := []string{"route:/users"}
			for range 3 {
				assert.NilError(t, c.Incr("requests", tags, 1))
			}
			assert.NilError(t, c.Count("requests", 7, tags, 1))
			assert.NilError(t, c.Gauge("queue.depth", 10, nil, 1))
			assert.NilError(t, c.Gauge("queue.depth", 4.5, nil, 1))
			for _, u := range []string{"ann", "bob", "ann", "cid", "bob"} {
				assert.NilError(t, c.Set("users", u, nil, 1))
			}
			hv := []float64{5, 1, 4, 2, 3}
			for _, v := range hv {
				assert.NilError(t, c.Histogram("payload.size", v, nil, 1))
				assert.NilError(t, c.Distribution("latency", v*10, nil, 1))
				assert.NilError(t, c.TimeInMilliseconds("db.time", v/2, nil, 1))
			}

			mine := "t:" + tc.transport
			cnt := waitFor(t, s, fakeclient.MetricQuery{Name: "app.requests", Tags: []string{mine}}, func(a fakeclient.Aggregate) bool { return a.Sum >= 10 })
			assert.Check(t, is.Equal(cnt.Total.Sum, 10.0), "three Incr and a Count of 7")
			assert.Check(t, is.Len(cnt.Series, 1))
			assert.Check(t, is.DeepEqual(cnt.Series[0].Tags, []string{"env:test", "route:/users", "t:" + tc.transport}))
			for _, p := range cnt.Points {
				assert.Check(t, is.Equal(p.Type, fakeclient.MetricCount))
				assert.Check(t, is.Equal(p.Transport, tc.transport))
				assert.Check(t, is.Equal(p.ContainerID, containerID))
			}

			g := waitFor(t, s, fakeclient.MetricQuery{Name: "app.queue.depth", Tags: []string{mine}}, func(a fakeclient.Aggregate) bool { return a.Messages > 0 })
			assert.Check(t, is.Equal(g.Total.Last, 4.5), "gauges: last value wins")
			assert.Check(t, is.Equal(g.Series[0].Type, fakeclient.MetricGauge))

			set := waitFor(t, s, fakeclient.MetricQuery{Name: "app.users", Tags: []string{mine}}, func(a fakeclient.Aggregate) bool { return a.Distinct >= 3 })
			assert.Check(t, is.DeepEqual(set.Total.Members, []string{"ann", "bob", "cid"}))

			for _, h := range []struct {
				name  string
				typ   fakeclient.MetricType
				scale float64
			}{{"app.payload.size", fakeclient.MetricHistogram, 1}, {"app.latency", fakeclient.MetricDistribution, 10}, {"app.db.time", fakeclient.MetricTiming, 0.5}} {
				r := waitFor(t, s, fakeclient.MetricQuery{Name: h.name, Tags: []string{mine}}, func(a fakeclient.Aggregate) bool { return a.Count >= len(hv) })
				assert.Check(t, is.Equal(r.Total.Count, 5), h.name)
				assert.Check(t, is.Equal(r.Total.Sum, 15*h.scale), h.name)
				assert.Check(t, is.Equal(r.Total.Min, 1*h.scale), h.name)
				assert.Check(t, is.Equal(r.Total.Max, 5*h.scale), h.name)
				assert.Check(t, is.Equal(r.Total.Percentiles["p50"], 3*h.scale), h.name)
				assert.Check(t, is.Equal(r.Total.Percentiles["p99"], 5*h.scale), h.name)
				var all []float64
				for _, p := range r.Points {
					assert.Check(t, is.Equal(p.Type, h.typ))
					all = append(all, p.Values...)
				}
				slices.Sort(all)
				want := []float64{1, 2, 3, 4, 5}
				for i := range want {
					want[i] *= h.scale
				}
				assert.Check(t, is.DeepEqual(all, want), "every value arrives")
			}
		})
	}
}

// TestDatadogGoUnixStream sends over the length-prefixed stream socket
// datadog-go uses with "unixstream://".
func TestDatadogGoUnixStream(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	stream := filepath.Join(filepath.Dir(s.socket), "dsd.stream")
	_, err := s.agent.ListenUnixStream(stream)
	assert.NilError(t, err)
	c := newStatsd(t, "unixstream://"+stream, statsd.WithoutTelemetry(), statsd.WithoutClientSideAggregation())
	for i := range 100 {
		assert.NilError(t, c.Count("stream.count", int64(i), []string{"via:stream"}, 1))
	}
	assert.NilError(t, c.ServiceCheck(&statsd.ServiceCheck{Name: "stream.check", Status: statsd.Ok}))
	assert.NilError(t, c.Flush())
	r := waitFor(t, s, fakeclient.MetricQuery{Name: "stream.count"}, func(a fakeclient.Aggregate) bool { return a.Count >= 100 })
	assert.Check(t, is.Equal(r.Total.Sum, 4950.0))
	assert.Check(t, is.Equal(r.Points[0].Transport, datadog.TransportUDS))
	checks, err := s.client.ServiceChecks(t.Context(), fakeclient.ServiceCheckQuery{Name: "stream.check"})
	assert.NilError(t, err)
	assert.Check(t, is.Len(checks, 1))

	// A frame over the read buffer is counted, skipped, and the stream goes on.
	conn, err := net.Dial("unix", stream)
	assert.NilError(t, err)
	defer conn.Close()
	frame := func(payload []byte) []byte {
		return append(binary.LittleEndian.AppendUint32(nil, uint32(len(payload))), payload...)
	}
	_, err = conn.Write(append(frame(bytes.Repeat([]byte("x"), 70000)), frame([]byte("after.big:1|c"))...))
	assert.NilError(t, err)
	waitFor(t, s, fakeclient.MetricQuery{Name: "after.big"}, func(a fakeclient.Aggregate) bool { return a.Count == 1 })
	n, err := s.client.Counts(t.Context())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(n.Oversize, uint64(1)))
}

// TestDatadogGoExtendedAggregation turns on datadog-go's extended
// aggregation: histograms, distributions and timings arrive packed, several
// values per message ("name:1:2:3|h"), and every value must be counted.
func TestDatadogGoExtendedAggregation(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	c := newStatsd(t, s.udp, statsd.WithExtendedClientSideAggregation(), statsd.WithoutTelemetry())
	const n = 50
	for i := range n {
		assert.NilError(t, c.Distribution("x.dist", float64(i+1), []string{"k:v"}, 1))
		assert.NilError(t, c.Histogram("x.hist", float64(i+1), nil, 1))
		assert.NilError(t, c.Timing("x.timing", time.Duration(i+1)*time.Millisecond, nil, 1))
	}
	for _, name := range []string{"x.dist", "x.hist", "x.timing"} {
		r := waitFor(t, s, fakeclient.MetricQuery{Name: name}, func(a fakeclient.Aggregate) bool { return a.Count >= n })
		assert.Check(t, is.Equal(r.Total.Count, n), name)
		assert.Check(t, is.Equal(r.Total.Sum, float64(n*(n+1)/2)), name)
		assert.Check(t, r.Total.Messages < r.Total.Count, "%s: values should arrive packed, got %d messages for %d values", name, r.Total.Messages, r.Total.Count)
		assert.Check(t, is.Equal(r.Total.Percentiles["p50"], 25.0), name)
		assert.Check(t, is.Equal(r.Total.Percentiles["p90"], 45.0), name)
		assert.Check(t, is.Equal(r.Total.Percentiles["p99"], 50.0), name)
	}
}

// TestDatadogGoEventsAndServiceChecks checks every field of an event and a
// service check survives the trip, escapes included.
func TestDatadogGoEventsAndServiceChecks(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	for _, addr := range []string{s.udp, "unixgram://" + s.socket} {
		c := newStatsd(t, addr, statsd.WithTags([]string{"env:test"}), statsd.WithoutTelemetry())
		ts := time.Unix(1700000000, 0)
		assert.NilError(t, c.Event(&statsd.Event{
			Title:          "deploy | done",
			Text:           "line one\nline two | with pipe",
			Timestamp:      ts,
			Hostname:       "host-1",
			AggregationKey: "deploy-42",
			Priority:       statsd.Low,
			SourceTypeName: "devenv",
			AlertType:      statsd.Success,
			Tags:           []string{"service:api"},
		}))
		assert.NilError(t, c.ServiceCheck(&statsd.ServiceCheck{
			Name:      "db.can_connect",
			Status:    statsd.Critical,
			Timestamp: ts,
			Hostname:  "host-1",
			Message:   "timeout\nretrying m: soon",
			Tags:      []string{"db:main"},
		}))
		assert.NilError(t, c.Flush())
	}
	ctx := t.Context()
	var events []fakeclient.Event
	var checks []fakeclient.ServiceCheck
	testsupport.Until(t, 10*time.Second, "two deploy events and two db.can_connect checks", func() bool {
		var err error
		events, err = s.client.Events(ctx, fakeclient.EventQuery{Title: "deploy*", Tags: []string{"service:api"}})
		assert.NilError(t, err)
		checks, err = s.client.ServiceChecks(ctx, fakeclient.ServiceCheckQuery{Name: "db.can_connect"})
		assert.NilError(t, err)
		return len(events) == 2 && len(checks) == 2
	})
	transports := []string{}
	for _, e := range events {
		transports = append(transports, e.Transport)
		assert.Check(t, strings.HasPrefix(e.Raw, "_e{13,30}:deploy | done|line one\\nline two | with pipe|d:1700000000|"), e.Raw)
		e.Received, e.Transport, e.Raw = time.Time{}, "", ""
		assert.Check(t, is.DeepEqual(e, fakeclient.Event{
			Title: "deploy | done", Text: "line one\nline two | with pipe", Timestamp: 1700000000,
			Host: "host-1", AggregationKey: "deploy-42", Priority: "low", SourceType: "devenv",
			AlertType: "success", Tags: []string{"env:test", "service:api"}, ContainerID: containerID,
		}))
	}
	slices.Sort(transports)
	assert.Check(t, is.DeepEqual(transports, []string{"udp", "uds"}))
	for _, c := range checks {
		assert.Check(t, strings.Contains(c.Raw, `|m:timeout\nretrying m\: soon`), c.Raw)
		c.Received, c.Transport, c.Raw = time.Time{}, "", ""
		assert.Check(t, is.DeepEqual(c, fakeclient.ServiceCheck{
			Name: "db.can_connect", Status: 2, Timestamp: 1700000000, Host: "host-1",
			Message: "timeout\nretrying m: soon", Tags: []string{"env:test", "db:main"}, ContainerID: containerID,
		}))
	}
	crit := 2
	got, err := s.client.ServiceChecks(ctx, fakeclient.ServiceCheckQuery{Status: &crit, Tags: []string{"db"}})
	assert.NilError(t, err)
	assert.Check(t, is.Len(got, 2))
	ok := 0
	got, err = s.client.ServiceChecks(ctx, fakeclient.ServiceCheckQuery{Status: &ok})
	assert.NilError(t, err)
	assert.Check(t, is.Len(got, 0))
}

// TestDatadogGoTimestamps sends metrics with timestamps (protocol v1.3),
// which datadog-go does not aggregate.
func TestDatadogGoTimestamps(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	c := newStatsd(t, s.udp, statsd.WithoutTelemetry())
	ts := time.Unix(1700000000, 0)
	assert.NilError(t, c.GaugeWithTimestamp("ts.gauge", 3.25, []string{"k:v"}, 1, ts))
	assert.NilError(t, c.CountWithTimestamp("ts.count", 9, nil, 1, ts.Add(time.Second)))
	assert.NilError(t, c.Flush())
	g := waitFor(t, s, fakeclient.MetricQuery{Name: "ts.gauge"}, func(a fakeclient.Aggregate) bool { return a.Messages == 1 })
	assert.Check(t, is.Equal(g.Points[0].Timestamp, int64(1700000000)))
	assert.Check(t, is.Equal(g.Points[0].Values[0], 3.25))
	n := waitFor(t, s, fakeclient.MetricQuery{Name: "ts.count"}, func(a fakeclient.Aggregate) bool { return a.Messages == 1 })
	assert.Check(t, is.Equal(n.Points[0].Timestamp, int64(1700000001)))
	assert.Check(t, is.Equal(n.Total.Sum, 9.0))
}

// TestDatadogGoTelemetry checks datadog-go's own telemetry (sent every
// 10 s) is flagged, hidden by default and shown on request. datadog-go has
// no option to shorten that interval, so the client runs in a synctest
// bubble where its 10 s ticker fires as soon as every client goroutine
// waits; the datagrams still go over real UDP to the stub outside the bubble.
func TestDatadogGoTelemetry(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	synctest.Test(t, func(t *testing.T) {
		c, err := statsd.New(s.udp, statsd.WithContainerID(containerID))
		assert.NilError(t, err)
		assert.NilError(t, c.Incr("mine", nil, 1))
		time.Sleep(10*time.Second + time.Millisecond) // the telemetry interval, on the bubble's clock
		synctest.Wait()
		assert.NilError(t, c.Close())
	})
	r, err := s.client.WaitMetrics(t.Context(), fakeclient.MetricQuery{Name: datadog.TelemetryPrefix + "*"}, 5*time.Second,
		func(r fakeclient.MetricsResult) bool { return r.Total.Messages > 0 })
	assert.NilError(t, err)
	for _, p := range r.Points {
		assert.Check(t, p.Telemetry, p.Name)
		assert.Check(t, slices.Contains(p.Tags, "client:go"), "%s %v", p.Name, p.Tags)
		assert.Check(t, slices.Contains(p.Tags, "client_transport:udp"), "%s %v", p.Name, p.Tags)
	}
	_, err = s.client.WaitMetrics(t.Context(), fakeclient.MetricQuery{Name: "mine"}, 5*time.Second,
		func(r fakeclient.MetricsResult) bool { return r.Total.Sum == 1 })
	assert.NilError(t, err)
	def, err := s.client.Metrics(t.Context(), fakeclient.MetricQuery{})
	assert.NilError(t, err)
	assert.Check(t, len(def.Points) > 0)
	for _, p := range def.Points {
		assert.Check(t, !p.Telemetry, "telemetry %s listed without telemetry=true", p.Name)
	}
	all, err := s.client.Metrics(t.Context(), fakeclient.MetricQuery{Telemetry: true})
	assert.NilError(t, err)
	assert.Check(t, len(all.Points) > len(def.Points))
}

// TestRawDatagrams covers what datadog-go does not send on its own: sample
// rates, timestamps, and garbage and oversize datagrams, which are counted
// as parse errors without disturbing the rest.
func TestRawDatagrams(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	conn, err := net.Dial("udp", s.udp)
	assert.NilError(t, err)
	defer conn.Close()
	send := func(d string) {
		_, err := conn.Write([]byte(d))
		assert.NilError(t, err)
	}
	send("sampled:1|c|@0.5\nsampled:3|c|@0.25|#a:b")
	send("stamped:7|g|T1700000000")
	send("\x00\xffgarbage\nok:1|c")
	send("big:1|c|#" + string(make([]byte, 9000)))
	send("")
	testsupport.Until(t, 10*time.Second, "5 packets counted", func() bool {
		n, err := s.client.Counts(t.Context())
		assert.NilError(t, err)
		return n.Packets == 5
	})
	n, err := s.client.Counts(t.Context())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(n.Metrics, uint64(4)))
	assert.Check(t, is.Equal(n.ParseErrors, uint64(2)))
	assert.Check(t, is.Equal(n.Oversize, uint64(1)))
	assert.Check(t, is.Equal(n.Dropped, uint64(0)))

	r, err := s.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "sampled"})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(r.Total.Sum, 4.0))
	assert.Check(t, is.Equal(r.Total.ScaledSum, 14.0), "1/0.5 + 3/0.25")
	assert.Check(t, is.Len(r.Series, 2))
	r, err = s.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "sampled", Tags: []string{"a:b"}})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(r.Total.ScaledSum, 12.0))
	r, err = s.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "stamped"})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(r.Points, 1))
	assert.Check(t, is.Equal(r.Points[0].Timestamp, int64(1700000000)))

	errs, err := s.client.ParseErrors(t.Context())
	assert.NilError(t, err)
	assert.Assert(t, is.Len(errs, 2))
	assert.Check(t, is.Equal(errs[0].Reason, "metric: no ':' between name and value"))
	assert.Check(t, is.Contains(errs[1].Reason, "datagram of 9009 bytes exceeds the agent's 8192-byte buffer"))

	assert.NilError(t, s.client.Reset(t.Context()))
	n, err = s.client.Counts(t.Context())
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(n, fakeclient.DatadogCounts{}))
	r, err = s.client.Metrics(t.Context(), fakeclient.MetricQuery{})
	assert.NilError(t, err)
	assert.Check(t, is.Len(r.Points, 0))
}

// TestMetricQueries checks the filters and the window of the metrics query.
func TestMetricQueries(t *testing.T) {
	t.Parallel()
	clock := newClock()
	s := startStub(t, datadog.WithClock(clock.Now))
	conn, err := net.Dial("udp", s.udp)
	assert.NilError(t, err)
	defer conn.Close()
	sendAndWait := func(d string, packets uint64) {
		_, err := conn.Write([]byte(d))
		assert.NilError(t, err)
		testsupport.Until(t, 10*time.Second, fmt.Sprintf("%d packets counted", packets), func() bool { return s.agent.Counts().Packets == packets })
	}
	sendAndWait("http.req:1|c|#env:prod,code:200|c:c1\nhttp.req:1|c|#env:dev,code:500\nhttp.lat:5|h|#env:prod", 1)
	clock.Add(time.Minute)
	now := clock.Now()
	sendAndWait("http.req:10|c|#env:prod,code:200\ndb.q:2|g", 2)

	q := func(mq fakeclient.MetricQuery) fakeclient.Aggregate {
		r, err := s.client.Metrics(t.Context(), mq)
		assert.NilError(t, err)
		return r.Total
	}
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{Name: "http.req"}).Sum, 12.0))
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{Name: "http.*"}).Messages, 4))
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{Name: "http.req", Tags: []string{"env:prod"}}).Sum, 11.0))
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{Name: "http.req", Tags: []string{"env:prod", "code:500"}}).Messages, 0))
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{Tags: []string{"code"}}).Messages, 3), "a bare key matches any value")
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{Tags: []string{"code:*"}}).Messages, 3))
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{Type: fakeclient.MetricHistogram}).Messages, 1))
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{ContainerID: "c1"}).Messages, 1))
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{Window: fakeclient.Window{Last: 30 * time.Second}}).Messages, 2))
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{Window: fakeclient.Window{Until: now.Add(-time.Second)}}).Messages, 3))
	assert.Check(t, is.Equal(q(fakeclient.MetricQuery{Window: fakeclient.Window{Since: now}}).Sum, 12.0))

	r, err := s.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "http.req", NoPoints: true})
	assert.NilError(t, err)
	assert.Check(t, is.Len(r.Points, 0))
	assert.Assert(t, is.Len(r.Series, 2))
	assert.Check(t, is.DeepEqual(r.Series[0].Tags, []string{"code:200", "env:prod"}))
	assert.Check(t, is.Equal(r.Series[0].Sum, 11.0))
	assert.Check(t, is.DeepEqual(r.Series[1].Tags, []string{"code:500", "env:dev"}))

	status, body := testsupport.Fetch(t, s.url+"/_devenv/metrics?type=x")
	assert.Check(t, is.Equal(status, http.StatusBadRequest))
	assert.Check(t, is.Contains(body, `invalid query: type: \"x\" is not one of c, g, ms, h, s, d`))
	status, body = testsupport.Fetch(t, s.url+"/_devenv/metrics?last=soon")
	assert.Check(t, is.Equal(status, http.StatusBadRequest), body)
}

// TestRetentionAndCapacity checks the store forgets old items and keeps the
// newest when full.
func TestRetentionAndCapacity(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := datadog.NewMemoryStore(datadog.Limits{Metrics: 3, Retention: time.Minute}, func() time.Time { return clock() })
	ms := func(names ...string) []datadog.Metric {
		var out []datadog.Metric
		for _, n := range names {
			out = append(out, datadog.Metric{Name: n, Received: now})
		}
		return out
	}
	names := func() []string {
		var out []string
		for _, m := range store.Metrics(nil) {
			out = append(out, m.Name)
		}
		return out
	}
	store.AddMetrics(ms("a", "b"))
	now = now.Add(40 * time.Second)
	store.AddMetrics(ms("c", "d"))
	assert.Check(t, is.DeepEqual(names(), []string{"b", "c", "d"}), "capacity 3 keeps the newest")
	now = now.Add(30 * time.Second)
	assert.Check(t, is.DeepEqual(names(), []string{"c", "d"}), "b is older than a minute")
	now = now.Add(time.Minute)
	assert.Check(t, is.Len(names(), 0))
	store.AddMetrics(ms("e", "f", "g", "h"))
	assert.Check(t, is.DeepEqual(names(), []string{"f", "g", "h"}))
}

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestListenersAfterCloseAndInTheWay(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "dd")
	assert.NilError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	file := filepath.Join(dir, "not-a-socket")
	assert.NilError(t, os.WriteFile(file, []byte("keep me"), 0o600))

	a := datadog.New()
	_, err = a.ListenUnixgram(file)
	assert.ErrorContains(t, err, "a file that is not a socket is in the way")
	b, err := os.ReadFile(file)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(string(b), "keep me"))

	socket := filepath.Join(dir, "dsd.socket")
	_, err = a.ListenUnixgram(socket)
	assert.NilError(t, err)
	assert.NilError(t, a.Close())
	_, err = os.Stat(socket)
	assert.Check(t, os.IsNotExist(err), "Close removes the socket")
	_, err = a.ListenUnixgram(socket)
	assert.ErrorContains(t, err, "agent is closed")
	_, err = a.ListenUDP("127.0.0.1:0")
	assert.ErrorContains(t, err, "agent is closed")
	assert.NilError(t, a.Close(), "Close twice is fine")
}

func TestUnixgramDatagramOverReadBuffer(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	conn, err := net.Dial("unixgram", s.socket)
	assert.NilError(t, err)
	defer conn.Close()
	if _, err := conn.Write(bytes.Repeat([]byte("x"), 70000)); err != nil {
		t.Skipf("the system refuses a 70000-byte unix datagram: %v", err)
	}
	_, err = conn.Write([]byte("next:1|c"))
	assert.NilError(t, err)
	testsupport.Until(t, 10*time.Second, "1 metric counted", func() bool { return s.agent.Counts().Metrics == 1 })
	n := s.agent.Counts()
	assert.Check(t, is.Equal(n.Oversize, uint64(1)))
	assert.Check(t, is.Equal(n.ParseErrors, uint64(1)))
	errs, err := s.client.ParseErrors(t.Context())
	assert.NilError(t, err)
	assert.Assert(t, is.Len(errs, 1))
	assert.Check(t, is.Equal(errs[0].Reason, "datagram truncated: larger than the 65536-byte read buffer"))
}

func TestUDPOverIPv6(t *testing.T) {
	t.Parallel()
	a := datadog.New()
	t.Cleanup(func() { a.Close() })
	udp, err := a.ListenUDP("[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	conn, err := net.Dial("udp", udp.String())
	assert.NilError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("v6:1|c"))
	assert.NilError(t, err)
	testsupport.Until(t, 10*time.Second, "1 metric counted", func() bool { return a.Counts().Metrics == 1 })
	assert.Check(t, is.Equal(a.Metrics(datadog.MetricQuery{Name: "v6"}).Total.Sum, 1.0))
}

func TestSpanDedupeForgetsEvictedSpans(t *testing.T) {
	t.Parallel()
	store := datadog.NewMemoryStore(datadog.Limits{Spans: 2}, nil)
	span := func(trace, id uint64) datadog.Span {
		return datadog.Span{TraceID: trace, SpanID: id, Received: time.Now()}
	}
	assert.Check(t, is.Equal(store.AddSpans([]datadog.Span{span(1, 1), span(1, 2), span(1, 1)}), 2), "a repeated span is stored once")
	assert.Check(t, is.Equal(store.AddSpans([]datadog.Span{span(2, 1)}), 1), "same span id in another trace is new")
	assert.Check(t, is.Equal(store.AddSpans([]datadog.Span{span(1, 1)}), 1), "(1,1) was pushed out, so it is new again")
	assert.Check(t, is.Len(store.Spans(nil), 2))
	store.Reset()
	assert.Check(t, is.Equal(store.AddSpans([]datadog.Span{span(2, 1)}), 1), "reset forgets the keys")
}

// TestDatagramCountedOnceStored checks /_devenv/counts never runs ahead of
// the store: while the parser is held inside a datagram (its clock blocks),
// the datagram is not counted yet, so a test that waits for a count finds
// what the datagram held.
func TestDatagramCountedOnceStored(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	var armed atomic.Bool
	clock := func() time.Time {
		if armed.CompareAndSwap(true, false) {
			close(entered)
			<-release
		}
		return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	}
	s := startStub(t, datadog.WithClock(clock))
	armed.Store(true)
	conn, err := net.Dial("udp", s.udp)
	assert.NilError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("counted.after.store:1|c"))
	assert.NilError(t, err)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the parser never reached the datagram")
	}
	held := s.agent.Counts()
	close(release)
	assert.Check(t, is.Equal(held.Packets, uint64(0)), "datagram counted before it was stored")
	assert.Check(t, is.Equal(held.Bytes, uint64(0)))
	testsupport.Until(t, 10*time.Second, "1 packet counted", func() bool { return s.agent.Counts().Packets == 1 })
	r, err := s.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "counted.after.store"})
	assert.NilError(t, err)
	assert.Check(t, is.Equal(r.Total.Messages, 1))
}

// TestQueryRejectsUnknownParameters checks a misspelt filter is an error,
// not silently ignored (which would widen the result).
func TestQueryRejectsUnknownParameters(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	for _, tc := range []struct{ path, want string }{
		{"/metrics?name=x&tags=env:prod", `unknown parameter tags (known: name, tag, type, container_id, telemetry, points, since, until, last)`},
		{"/metrics?no_points=true", `unknown parameter no_points`},
		{"/events?title=x&alert=error", `unknown parameter alert`},
		{"/service_checks?name=x&state=2", `unknown parameter state`},
		{"/spans?svc=api", `unknown parameter svc`},
		{"/traces?traceid=1", `unknown parameter traceid`},
	} {
		status, body := testsupport.Fetch(t, s.url+"/_devenv"+tc.path)
		assert.Check(t, is.Equal(status, http.StatusBadRequest), tc.path)
		assert.Check(t, is.Contains(body, tc.want), tc.path)
	}
	status, body := testsupport.Fetch(t, s.url+"/_devenv/metrics?name=x&tag=a&type=c&container_id=c&telemetry=true&points=false&last=1m")
	assert.Check(t, is.Equal(status, http.StatusOK), body)
}

// TestSumOverflowIsReportedNotAnError: finite values whose sum leaves the
// float64 range must not break the JSON answer (JSON has no infinity).
func TestSumOverflowIsReportedNotAnError(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	conn, err := net.Dial("udp", s.udp)
	assert.NilError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("big:1e308|c\nbig:1e308|c\nsmall:-1e308|c|@0.1"))
	assert.NilError(t, err)
	testsupport.Until(t, 10*time.Second, "3 metrics counted", func() bool { return s.agent.Counts().Metrics == 3 })

	r, err := s.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "big"})
	assert.NilError(t, err)
	assert.Check(t, r.Total.Overflow)
	assert.Check(t, is.Equal(r.Total.Sum, math.MaxFloat64))
	assert.Check(t, is.Equal(r.Total.Max, 1e308))

	r, err = s.client.Metrics(t.Context(), fakeclient.MetricQuery{Name: "small"})
	assert.NilError(t, err)
	assert.Check(t, r.Total.Overflow, "-1e308 / 0.1 leaves the range")
	assert.Check(t, is.Equal(r.Total.Sum, -1e308))
	assert.Check(t, is.Equal(r.Total.ScaledSum, -math.MaxFloat64))
}
