package datadog

import (
	"context"
	"fmt"
	"time"

	"github.com/devenv-sh/devenv/fakes/control"
)

// Client reads what a running stub received, through its inspection API.
// The embedded [control.Client] adds Health, Reset and fault injection.
type Client struct {
	*control.Client
}

// NewClient returns a client for the stub whose APM port is at baseURL,
// such as "http://127.0.0.1:8126".
func NewClient(baseURL string) *Client {
	return &Client{Client: control.NewClient(baseURL)}
}

// Metrics returns the metric messages matching q and their aggregates.
func (c *Client) Metrics(ctx context.Context, q MetricQuery) (MetricsResult, error) {
	var r MetricsResult
	err := c.Get(ctx, "/metrics", q.Values(), &r)
	return r, err
}

// Events returns the events matching q, oldest first.
func (c *Client) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	var r []Event
	err := c.Get(ctx, "/events", q.Values(), &r)
	return r, err
}

// ServiceChecks returns the service checks matching q, oldest first.
func (c *Client) ServiceChecks(ctx context.Context, q ServiceCheckQuery) ([]ServiceCheck, error) {
	var r []ServiceCheck
	err := c.Get(ctx, "/service_checks", q.Values(), &r)
	return r, err
}

// Spans returns the spans matching q, oldest first.
func (c *Client) Spans(ctx context.Context, q SpanQuery) ([]Span, error) {
	var r []Span
	err := c.Get(ctx, "/spans", q.Values(), &r)
	return r, err
}

// Traces returns the spans matching q grouped by trace id.
func (c *Client) Traces(ctx context.Context, q SpanQuery) ([]Trace, error) {
	var r []Trace
	err := c.Get(ctx, "/traces", q.Values(), &r)
	return r, err
}

// Payloads returns what the trace intake received, request by request.
func (c *Client) Payloads(ctx context.Context) ([]Payload, error) {
	var r []Payload
	err := c.Get(ctx, "/payloads", nil, &r)
	return r, err
}

// ParseErrors returns the DogStatsD messages the stub could not parse.
func (c *Client) ParseErrors(ctx context.Context) ([]ParseError, error) {
	var r []ParseError
	err := c.Get(ctx, "/parse_errors", nil, &r)
	return r, err
}

// Counts returns the stub's running totals.
func (c *Client) Counts(ctx context.Context) (Counts, error) {
	var r Counts
	err := c.Get(ctx, "/counts", nil, &r)
	return r, err
}

// SetInfo replaces what GET /info advertises, to test how a tracer reacts.
func (c *Client) SetInfo(ctx context.Context, info Info) error {
	return c.Post(ctx, "/info", info, nil)
}

// WaitMetrics polls Metrics every 50 ms until done accepts the result, and
// returns that result; or it returns the last result and an error when ctx
// ends or timeout passes. Use it to absorb client-side aggregation (datadog-go
// flushes every 2 s) and network latency:
//
//	r, err := c.WaitMetrics(ctx, q, 5*time.Second, func(r MetricsResult) bool { return r.Total.Sum >= 3 })
func (c *Client) WaitMetrics(ctx context.Context, q MetricQuery, timeout time.Duration, done func(MetricsResult) bool) (MetricsResult, error) {
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
