package fakeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// prefix is the path prefix of every fake's inspection and control API.
const prefix = "/_devenv"

// Option configures a client. [WithHTTPClient] applies to every client;
// [WithRetries] and [WithSleep] only to the Treasure Data API client
// ([NewTDAPI]), and the other clients ignore them.
type Option func(*options)

type options struct {
	http *http.Client // WithHTTPClient

	// TDAPI only.
	retries    int                                        // WithRetries
	backoff    time.Duration                              // WithRetries
	retriesSet bool                                       // WithRetries
	sleep      func(context.Context, time.Duration) error // WithSleep
}

// WithHTTPClient sets the HTTP client that sends the requests; default
// http.DefaultClient. A nil client keeps the default.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) { o.http = hc }
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.http == nil {
		o.http = http.DefaultClient
	}
	return o
}

// Fault is one fault-injection rule, as the fakes' /_devenv/faults takes
// and lists it. It applies to the next Times requests (at least 1) that
// match Method and PathPrefix (empty matches any) outside /_devenv/. With
// Status set (100-599), the request is answered with that status, and with
// Code and Message in the fake's wire format (S3 XML, Treasure Data JSON),
// after LatencyMS; with Status zero, the request is only delayed by
// LatencyMS and then served normally. A rule needs a Status, a LatencyMS or
// both.
type Fault struct {
	Times      int    `json:"times"`
	Status     int    `json:"status,omitempty"`
	Code       string `json:"code,omitempty"`
	Message    string `json:"message,omitempty"`
	LatencyMS  int    `json:"latency_ms,omitempty"`
	Method     string `json:"method,omitempty"`
	PathPrefix string `json:"path_prefix,omitempty"`
}

// Validate reports what is wrong with a rule, naming each field: a fake
// answers 400 "invalid fault: " and this message to a rule it faults.
func (f Fault) Validate() error {
	var errs []error
	if f.Times < 1 {
		errs = append(errs, fmt.Errorf("times: must be at least 1, got %d", f.Times))
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		errs = append(errs, fmt.Errorf("status: must be an HTTP status (100-599) or 0, got %d", f.Status))
	}
	if f.LatencyMS < 0 {
		errs = append(errs, fmt.Errorf("latency_ms: must not be negative, got %d", f.LatencyMS))
	}
	if f.Status == 0 && f.LatencyMS == 0 {
		errs = append(errs, errors.New("a fault needs a status, a latency_ms, or both"))
	}
	return errors.Join(errs...)
}

// base holds what every client shares: the fake's address, the HTTP client,
// and the control methods.
type base struct {
	url  string
	http *http.Client
}

func newBase(baseURL string, opts []Option) base {
	return base{url: strings.TrimRight(baseURL, "/"), http: newOptions(opts).http}
}

// Health returns nil when the fake answers its health check with status
// "ok", and an error otherwise.
func (b *base) Health(ctx context.Context) error {
	var h struct {
		Status string `json:"status"`
	}
	if err := b.get(ctx, "/health", nil, &h); err != nil {
		return err
	}
	if h.Status != "ok" {
		return fmt.Errorf("health of %s: status %q", b.url, h.Status)
	}
	return nil
}

// Reset makes the fake forget everything it received and drops its pending
// faults.
func (b *base) Reset(ctx context.Context) error {
	return b.do(ctx, http.MethodPost, "/reset", nil, nil, nil)
}

// InjectFault queues a fault-injection rule after the pending ones; the
// fake rejects an invalid rule with 400 and a message naming the field.
func (b *base) InjectFault(ctx context.Context, f Fault) error {
	return b.do(ctx, http.MethodPost, "/faults", nil, f, nil)
}

// Faults returns the pending fault-injection rules in the order they are
// consulted, each with the requests it has left in Times.
func (b *base) Faults(ctx context.Context) ([]Fault, error) {
	var fs []Fault
	err := b.get(ctx, "/faults", nil, &fs)
	return fs, err
}

// ClearFaults drops every pending fault-injection rule.
func (b *base) ClearFaults(ctx context.Context) error {
	return b.do(ctx, http.MethodDelete, "/faults", nil, nil, nil)
}

// get sends GET prefix+path?query and decodes the JSON answer into out.
func (b *base) get(ctx context.Context, path string, query url.Values, out any) error {
	return b.do(ctx, http.MethodGet, path, query, nil, out)
}

// getBytes sends GET prefix+path?query and returns the answer's body.
func (b *base) getBytes(ctx context.Context, path string, query url.Values) ([]byte, error) {
	resp, err := b.send(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read GET %s: %w", resp.Request.URL, err)
	}
	return data, nil
}

// do sends in as JSON (when not nil) and decodes the JSON answer into out
// (when not nil; the body is drained otherwise).
func (b *base) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	resp, err := b.send(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

// send performs the request and turns a status of 300 or more into an
// error carrying the first 4 KiB of the body. On success the caller must
// close the body.
func (b *base) send(ctx context.Context, method, path string, query url.Values, in any) (*http.Response, error) {
	u := b.url + prefix + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, u, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, bytes.TrimSpace(msg))
	}
	return resp, nil
}
