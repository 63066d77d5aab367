package fakeclient

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Datadog reads the Datadog agent stub's inspection API, served on its APM
// port. Create it with [NewDatadog]; it is safe for concurrent use.
type Datadog struct {
	base
}

// NewDatadog returns a client for the stub whose APM port is at baseURL,
// such as "http://127.0.0.1:8126" (a trailing slash is ignored).
func NewDatadog(baseURL string, opts ...Option) *Datadog {
	return &Datadog{base: newBase(baseURL, opts)}
}

// Metrics returns the metric messages matching q, oldest first (unless
// q.NoPoints), and their aggregates.
func (c *Datadog) Metrics(ctx context.Context, q MetricQuery) (MetricsResult, error) {
	var r MetricsResult
	err := c.get(ctx, "/metrics", q.Values(), &r)
	return r, err
}

// WaitMetrics polls Metrics every 50 ms until done accepts the result, and
// returns that result; or it returns the last result and an error when ctx
// ends or timeout passes. Use it to absorb client-side aggregation
// (datadog-go flushes every 2 s) and network latency:
//
//	r, err := c.WaitMetrics(ctx, q, 5*time.Second, func(r MetricsResult) bool { return r.Total.Sum >= 3 })
func (c *Datadog) WaitMetrics(ctx context.Context, q MetricQuery, timeout time.Duration, done func(MetricsResult) bool) (MetricsResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := c.Metrics(ctx, q)
		if err == nil && done(r) {
			return r, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("wait for metrics %v: condition not met: %w", q.Values(), ctx.Err())
			}
			return r, err
		case <-tick.C:
		}
	}
}

// Events returns the events matching q, oldest first.
func (c *Datadog) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	var r []Event
	err := c.get(ctx, "/events", q.Values(), &r)
	return r, err
}

// ServiceChecks returns the service checks matching q, oldest first.
func (c *Datadog) ServiceChecks(ctx context.Context, q ServiceCheckQuery) ([]ServiceCheck, error) {
	var r []ServiceCheck
	err := c.get(ctx, "/service_checks", q.Values(), &r)
	return r, err
}

// Spans returns the spans matching q, oldest first.
func (c *Datadog) Spans(ctx context.Context, q SpanQuery) ([]Span, error) {
	var r []Span
	err := c.get(ctx, "/spans", q.Values(), &r)
	return r, err
}

// Traces returns the spans matching q grouped by trace id, in order of
// first arrival.
func (c *Datadog) Traces(ctx context.Context, q SpanQuery) ([]Trace, error) {
	var r []Trace
	err := c.get(ctx, "/traces", q.Values(), &r)
	return r, err
}

// Payloads returns what the trace intake received, request by request,
// oldest first.
func (c *Datadog) Payloads(ctx context.Context) ([]Payload, error) {
	var r []Payload
	err := c.get(ctx, "/payloads", nil, &r)
	return r, err
}

// ParseErrors returns the DogStatsD messages the stub could not parse,
// oldest first.
func (c *Datadog) ParseErrors(ctx context.Context) ([]ParseError, error) {
	var r []ParseError
	err := c.get(ctx, "/parse_errors", nil, &r)
	return r, err
}

// Counts returns the stub's running totals.
func (c *Datadog) Counts(ctx context.Context) (DatadogCounts, error) {
	var r DatadogCounts
	err := c.get(ctx, "/counts", nil, &r)
	return r, err
}

// SetInfo replaces what the stub's GET /info advertises, to test how a
// tracer reacts; Reset does not restore it.
func (c *Datadog) SetInfo(ctx context.Context, info DatadogInfo) error {
	return c.do(ctx, http.MethodPost, "/info", nil, info, nil)
}
