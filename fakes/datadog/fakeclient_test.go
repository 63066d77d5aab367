package datadog_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/fakes/datadog"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// TestFakeclientReadsBackWhatWasStored sends every kind of DogStatsD
// message with datadog-go, and a trace payload as dd-trace-go does, and
// checks that package fakeclient reads back exactly what the stub stored,
// and that its types know every field the stub answers (the stub answers
// in fakeclient's types; its handlers must not add fields of their own).
func TestFakeclientReadsBackWhatWasStored(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	c := newStatsd(t, s.udp, statsd.WithoutTelemetry(), statsd.WithoutClientSideAggregation(), statsd.WithTags([]string{"env:test"}))
	assert.NilError(t, c.Count("rt.requests", 3, []string{"route:/users"}, 1))
	assert.NilError(t, c.Gauge("rt.depth", 4.25, nil, 1))
	for _, v := range []float64{5, 1, 3} {
		assert.NilError(t, c.Histogram("rt.size", v, nil, 1))
		assert.NilError(t, c.Distribution("rt.latency", v*10, nil, 1))
		assert.NilError(t, c.TimeInMilliseconds("rt.db", v/2, nil, 1))
	}
	assert.NilError(t, c.Set("rt.users", "ann", nil, 1))
	assert.NilError(t, c.Event(&statsd.Event{Title: "deploy", Text: "v2\nout", AlertType: statsd.Warning, SourceTypeName: "git"}))
	assert.NilError(t, c.ServiceCheck(&statsd.ServiceCheck{Name: "rt.up", Status: statsd.Warn, Message: "slow"}))
	assert.NilError(t, c.Flush())
	sendRaw(t, s.udp, "rt.broken:x|q")
	resp := postTraces(t, s, "/v0.4/traces", encodeV04(t, sampleTraces()), 2)
	assert.Equal(t, resp.StatusCode, http.StatusOK)

	ctx := t.Context()
	r := waitFor(t, s, fakeclient.MetricQuery{Name: "rt.*"}, func(a fakeclient.Aggregate) bool { return a.Messages == 12 })
	points := map[string][]fakeclient.Metric{}
	for _, p := range r.Points {
		assert.Check(t, is.Equal(p.Transport, "udp"))
		assert.Check(t, is.Equal(p.ContainerID, containerID))
		assert.Check(t, !p.Received.IsZero())
		p.Received, p.Transport, p.ContainerID = time.Time{}, "", ""
		points[p.Name] = append(points[p.Name], p)
	}
	cid := "|c:" + containerID
	assert.Check(t, is.DeepEqual(points["rt.requests"], []fakeclient.Metric{{Name: "rt.requests", Type: fakeclient.MetricCount, Values: []float64{3}, Rate: 1,
		Tags: []string{"env:test", "route:/users"}, Raw: "rt.requests:3|c|#env:test,route:/users" + cid}}))
	assert.Check(t, is.DeepEqual(points["rt.depth"], []fakeclient.Metric{{Name: "rt.depth", Type: fakeclient.MetricGauge, Values: []float64{4.25}, Rate: 1,
		Tags: []string{"env:test"}, Raw: "rt.depth:4.25|g|#env:test" + cid}}))
	assert.Check(t, is.DeepEqual(points["rt.users"], []fakeclient.Metric{{Name: "rt.users", Type: fakeclient.MetricSet, Member: "ann", Rate: 1,
		Tags: []string{"env:test"}, Raw: "rt.users:ann|s|#env:test" + cid}}))
	assert.Check(t, is.Len(points["rt.size"], 3))
	assert.Check(t, is.Equal(len(r.Series), 6))
	size, err := s.client.Metrics(ctx, fakeclient.MetricQuery{Name: "rt.size", Type: fakeclient.MetricHistogram, Tags: []string{"env"}, NoPoints: true})
	assert.NilError(t, err)
	assert.DeepEqual(t, size, fakeclient.MetricsResult{
		Series: []fakeclient.Series{{Name: "rt.size", Type: fakeclient.MetricHistogram, Tags: []string{"env:test"}, Aggregate: fakeclient.Aggregate{
			Messages: 3, Count: 3, Sum: 9, Min: 1, Max: 5, Avg: 3, Last: 3, ScaledSum: 9,
			Percentiles: map[string]float64{"p50": 3, "p75": 5, "p90": 5, "p95": 5, "p99": 5},
		}}},
		Total: fakeclient.Aggregate{Messages: 3, Count: 3, Sum: 9, Min: 1, Max: 5, Avg: 3, Last: 3, ScaledSum: 9,
			Percentiles: map[string]float64{"p50": 3, "p75": 5, "p90": 5, "p95": 5, "p99": 5}},
	})
	users, err := s.client.Metrics(ctx, fakeclient.MetricQuery{Name: "rt.users", NoPoints: true})
	assert.NilError(t, err)
	assert.Check(t, is.DeepEqual(users.Total.Members, []string{"ann"}))
	assert.Check(t, is.Equal(users.Total.Distinct, 1))

	events, err := s.client.Events(ctx, fakeclient.EventQuery{Title: "deploy", AlertType: "warning", SourceType: "git"})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(events, 1))
	assert.Check(t, is.Equal(events[0].Text, "v2\nout"))
	assert.Check(t, is.DeepEqual(events[0].Tags, []string{"env:test"}))
	warn := 1
	checks, err := s.client.ServiceChecks(ctx, fakeclient.ServiceCheckQuery{Name: "rt.up", Status: &warn})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(checks, 1))
	assert.Check(t, is.Equal(checks[0].Message, "slow"))
	var parseErrs []fakeclient.ParseError
	testsupport.Until(t, 10*time.Second, "1 parse error", func() bool {
		parseErrs, err = s.client.ParseErrors(ctx)
		assert.NilError(t, err)
		return len(parseErrs) == 1
	})
	assert.Check(t, is.Equal(parseErrs[0].Line, "rt.broken:x|q"))

	spans, err := s.client.Spans(ctx, fakeclient.SpanQuery{Service: "api"})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(spans, 1), "the web request; its database child is api-db's")
	want := sampleTraces()[0][0]
	assert.Check(t, is.DeepEqual(spans[0], fakeclient.Span{
		TraceID: want.traceID, SpanID: want.spanID, ParentID: want.parentID, Service: want.service, Name: want.name,
		Resource: want.resource, Type: want.typ, Start: want.start, Duration: want.duration, Error: want.err,
		Meta: want.meta, Metrics: want.metrics, Endpoint: "/v0.4/traces", Received: spans[0].Received,
	}))
	traces, err := s.client.Traces(ctx, fakeclient.SpanQuery{})
	assert.NilError(t, err)
	assert.Check(t, is.Len(traces, 2))
	payloads, err := s.client.Payloads(ctx)
	assert.NilError(t, err)
	assert.Assert(t, is.Len(payloads, 1))
	assert.Check(t, is.Equal(payloads[0].Lang, "go"))
	assert.Check(t, is.Equal(payloads[0].NewSpans, 3))
	n, err := s.client.Counts(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(n.Metrics, uint64(12)))
	assert.Check(t, is.Equal(n.Events, uint64(1)))
	assert.Check(t, is.Equal(n.ServiceChecks, uint64(1)))
	assert.Check(t, is.Equal(n.ParseErrors, uint64(1)))
	assert.Check(t, is.Equal(n.Spans, uint64(3)))

	// What the client decoded is all the stub answered, field for field.
	for path, v := range map[string]any{
		"/_devenv/metrics?name=rt.*": &fakeclient.MetricsResult{},
		"/_devenv/events":            &[]fakeclient.Event{},
		"/_devenv/service_checks":    &[]fakeclient.ServiceCheck{},
		"/_devenv/parse_errors":      &[]fakeclient.ParseError{},
		"/_devenv/spans":             &[]fakeclient.Span{},
		"/_devenv/traces":            &[]fakeclient.Trace{},
		"/_devenv/payloads":          &[]fakeclient.Payload{},
		"/_devenv/counts":            &fakeclient.DatadogCounts{},
		"/_devenv/info":              &fakeclient.DatadogInfo{},
	} {
		testsupport.CheckMirror(t, testsupport.Get(t, s.url+path), v)
	}
}

// TestFakeclientQueriesAreTheStubs checks that every field of fakeclient's
// queries is encoded as the stub decodes it.
func TestFakeclientQueriesAreTheStubs(t *testing.T) {
	since := time.Date(2026, 11, 26, 12, 0, 0, 5, time.UTC)
	window := fakeclient.Window{Since: since, Until: since.Add(time.Hour), Last: time.Minute}
	mq, err := datadog.ParseMetricQuery(fakeclient.MetricQuery{
		Name: "app.*", Tags: []string{"env:test", "route"}, Type: fakeclient.MetricDistribution, ContainerID: "cid",
		Window: window, Telemetry: true, NoPoints: true,
	}.Values())
	assert.NilError(t, err)
	serverWindow := datadog.Window{Since: since, Until: since.Add(time.Hour), Last: time.Minute}
	assert.DeepEqual(t, mq, datadog.MetricQuery{
		Name: "app.*", Tags: []string{"env:test", "route"}, Type: datadog.Distribution, ContainerID: "cid",
		Window: serverWindow, Telemetry: true, NoPoints: true,
	})
	eq, err := datadog.ParseEventQuery(fakeclient.EventQuery{Title: "deploy*", Tags: []string{"a"}, AlertType: "error", SourceType: "git", Window: window}.Values())
	assert.NilError(t, err)
	assert.DeepEqual(t, eq, datadog.EventQuery{Title: "deploy*", Tags: []string{"a"}, AlertType: "error", SourceType: "git", Window: serverWindow})
	status := 3
	sq, err := datadog.ParseServiceCheckQuery(fakeclient.ServiceCheckQuery{Name: "db.*", Tags: []string{"x:*"}, Status: &status, Window: window}.Values())
	assert.NilError(t, err)
	assert.DeepEqual(t, sq, datadog.ServiceCheckQuery{Name: "db.*", Tags: []string{"x:*"}, Status: &status, Window: serverWindow})
	no := false
	pq, err := datadog.ParseSpanQuery(fakeclient.SpanQuery{Service: "api", Name: "http.*", Resource: "GET /", TraceID: 1<<64 - 1, Error: &no, Window: window}.Values())
	assert.NilError(t, err)
	assert.DeepEqual(t, pq, datadog.SpanQuery{Service: "api", Name: "http.*", Resource: "GET /", TraceID: 1<<64 - 1, Error: &no, Window: serverWindow})
	for _, typ := range []fakeclient.MetricType{fakeclient.MetricCount, fakeclient.MetricGauge, fakeclient.MetricTiming,
		fakeclient.MetricHistogram, fakeclient.MetricSet, fakeclient.MetricDistribution} {
		_, err := datadog.ParseMetricQuery(fakeclient.MetricQuery{Type: typ}.Values())
		assert.Check(t, err == nil, "type %s: %v", typ, err)
	}
}
