package fakeclient_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
)

// call is one request a test handler received.
type call struct {
	Method, Path, Query, ContentType, Body string
}

// recorder answers every request with the answer registered for its path
// (200 "{}" otherwise) and records it.
type recorder struct {
	mu      sync.Mutex
	calls   []call
	answers map[string]func(w http.ResponseWriter)
}

func serve(t *testing.T, answers map[string]func(w http.ResponseWriter)) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{answers: answers}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.calls = append(rec.calls, call{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), string(body)})
		rec.mu.Unlock()
		if a, ok := answers[r.URL.Path]; ok {
			a(w)
			return
		}
		w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func (r *recorder) all() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

func answer(status int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

// controller is what every client has.
type controller interface {
	Health(context.Context) error
	Reset(context.Context) error
	InjectFault(context.Context, fakeclient.Fault) error
	Faults(context.Context) ([]fakeclient.Fault, error)
	ClearFaults(context.Context) error
}

func TestControlMethodsOfEveryClient(t *testing.T) {
	for name, newClient := range map[string]func(string, ...fakeclient.Option) controller{
		"s3":      func(u string, o ...fakeclient.Option) controller { return fakeclient.NewS3(u, o...) },
		"td":      func(u string, o ...fakeclient.Option) controller { return fakeclient.NewTD(u, o...) },
		"datadog": func(u string, o ...fakeclient.Option) controller { return fakeclient.NewDatadog(u, o...) },
	} {
		t.Run(name, func(t *testing.T) {
			srv, rec := serve(t, map[string]func(http.ResponseWriter){
				"/_devenv/health": answer(200, `{"status":"ok","fake":"x"}`),
				"/_devenv/reset":  answer(204, ""),
				"/_devenv/faults": answer(200, `[{"times":2,"status":503,"code":"SlowDown","method":"PUT","unknown":1}]`),
			})
			c := newClient(srv.URL + "/")
			ctx := t.Context()
			assert.NilError(t, c.Health(ctx))
			assert.NilError(t, c.Reset(ctx))
			assert.NilError(t, c.InjectFault(ctx, fakeclient.Fault{Times: 1, LatencyMS: 20, PathPrefix: "/v3/"}))
			fs, err := c.Faults(ctx)
			assert.NilError(t, err)
			assert.DeepEqual(t, fs, []fakeclient.Fault{{Times: 2, Status: 503, Code: "SlowDown", Method: "PUT"}})
			assert.NilError(t, c.ClearFaults(ctx))
			assert.DeepEqual(t, rec.all(), []call{
				{Method: "GET", Path: "/_devenv/health"},
				{Method: "POST", Path: "/_devenv/reset"},
				{Method: "POST", Path: "/_devenv/faults", ContentType: "application/json", Body: `{"times":1,"latency_ms":20,"path_prefix":"/v3/"}`},
				{Method: "GET", Path: "/_devenv/faults"},
				{Method: "DELETE", Path: "/_devenv/faults"},
			})
		})
	}
}

func TestErrorsCarryMethodURLStatusAndBody(t *testing.T) {
	srv, _ := serve(t, map[string]func(http.ResponseWriter){
		"/_devenv/health": answer(200, `{"status":"draining"}`),
		"/_devenv/faults": answer(400, "{\"error\":\"invalid fault: times: must be at least 1, got 0\"}\n"),
		"/_devenv/counts": answer(200, `not json`),
	})
	c := fakeclient.NewS3(srv.URL)
	ctx := t.Context()
	assert.Error(t, c.Health(ctx), `health of `+srv.URL+`: status "draining"`)
	assert.Error(t, c.InjectFault(ctx, fakeclient.Fault{}),
		`POST `+srv.URL+`/_devenv/faults: 400 Bad Request: {"error":"invalid fault: times: must be at least 1, got 0"}`)
	_, err := c.Counts(ctx)
	assert.ErrorContains(t, err, "decode GET /counts: invalid character")

	srv.Close()
	err = c.Health(ctx)
	assert.ErrorContains(t, err, "GET "+srv.URL+"/_devenv/health: ")
}

// roundTripper counts the requests it sends.
type roundTripper struct{ n atomic.Int32 }

func (rt *roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestWithHTTPClient(t *testing.T) {
	srv, _ := serve(t, map[string]func(http.ResponseWriter){"/_devenv/health": answer(200, `{"status":"ok"}`)})
	rt := &roundTripper{}
	assert.NilError(t, fakeclient.NewTD(srv.URL, fakeclient.WithHTTPClient(&http.Client{Transport: rt})).Health(t.Context()))
	assert.Equal(t, rt.n.Load(), int32(1))
	assert.NilError(t, fakeclient.NewTD(srv.URL, fakeclient.WithHTTPClient(nil)).Health(t.Context()), "nil keeps the default")
}

func TestS3Queries(t *testing.T) {
	srv, rec := serve(t, map[string]func(http.ResponseWriter){
		"/_devenv/object":   answer(200, "a\nb\r\n\n{\"c\":1}"),
		"/_devenv/objects":  answer(200, `[]`),
		"/_devenv/wait":     answer(200, `[]`),
		"/_devenv/requests": answer(200, `[]`),
	})
	c := fakeclient.NewS3(srv.URL)
	ctx := t.Context()
	lines, err := c.Lines(ctx, "logs", "a b/c.gz")
	assert.NilError(t, err)
	assert.DeepEqual(t, lines, []string{"a", "b\r", "", `{"c":1}`})
	_, err = c.Object(ctx, "logs", "raw", false)
	assert.NilError(t, err)
	_, err = c.Objects(ctx, "", "logs/")
	assert.NilError(t, err)
	_, err = c.WaitObjects(ctx, "logs", "p/", 3, 0)
	assert.NilError(t, err)
	_, err = c.WaitObjects(ctx, "logs", "p/", 3, 1500*time.Millisecond)
	assert.NilError(t, err)
	_, err = c.Requests(ctx, fakeclient.S3RequestFilter{})
	assert.NilError(t, err)
	_, err = c.Requests(ctx, fakeclient.S3RequestFilter{Op: "PutObject", Bucket: "logs"})
	assert.NilError(t, err)
	var got []string
	for _, c := range rec.all() {
		got = append(got, c.Path+"?"+c.Query)
	}
	assert.DeepEqual(t, got, []string{
		"/_devenv/object?bucket=logs&decompress=true&key=a+b%2Fc.gz",
		"/_devenv/object?bucket=logs&decompress=false&key=raw",
		"/_devenv/objects?bucket=&prefix=logs%2F",
		"/_devenv/wait?bucket=logs&count=3&prefix=p%2F",
		"/_devenv/wait?bucket=logs&count=3&prefix=p%2F&timeout=1.5s",
		"/_devenv/requests?",
		"/_devenv/requests?bucket=logs&op=PutObject",
	})
}

func TestS3LinesOfAnEmptyObject(t *testing.T) {
	srv, _ := serve(t, map[string]func(http.ResponseWriter){"/_devenv/object": answer(200, "")})
	lines, err := fakeclient.NewS3(srv.URL).Lines(t.Context(), "b", "k")
	assert.NilError(t, err)
	assert.Check(t, is.Len(lines, 0))
}

func TestTDRecordsKeepIntegersExact(t *testing.T) {
	srv, rec := serve(t, map[string]func(http.ResponseWriter){
		"/_devenv/records": answer(200, `{"database":"d","table":"t","total":1,"since":0,"next_since":1,"records":[{"time":1764158400,"id":18446744073709551615,"f":1.5}]}`),
	})
	c := fakeclient.NewTD(srv.URL)
	recs, err := c.Records(t.Context(), "d", "t")
	assert.NilError(t, err)
	assert.DeepEqual(t, recs, []fakeclient.TDRecord{{"time": json.Number("1764158400"), "id": json.Number("18446744073709551615"), "f": json.Number("1.5")}})
	_, err = c.RecordsPage(t.Context(), "d", "t", 4, 3)
	assert.NilError(t, err)
	calls := rec.all()
	assert.Equal(t, calls[0].Query, "db=d&table=t")
	assert.Equal(t, calls[1].Query, "db=d&limit=3&since=4&table=t")
}

func TestTDWaitRecordsSaysWhatItHad(t *testing.T) {
	polls := atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if polls.Add(1) == 1 {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"Not Found","message":"no table"}`))
			return
		}
		w.Write([]byte(`{"total":2,"records":[{"a":1},{"a":2}]}`))
	}))
	t.Cleanup(srv.Close)
	c := fakeclient.NewTD(srv.URL)
	recs, err := c.WaitRecords(t.Context(), "d", "t", 2)
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 2, "a missing table counts as empty")

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = c.WaitRecords(ctx, "d", "t", 3)
	assert.Error(t, err, "wait for 3 records in d.t: context deadline exceeded (have 2)")
}

func TestDatadogQueryEncoding(t *testing.T) {
	since := time.Date(2026, 11, 26, 12, 0, 0, 5, time.UTC)
	status, yes := 2, true
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"empty metric", fakeclient.MetricQuery{}.Values().Encode(), ""},
		{"metric", fakeclient.MetricQuery{
			Name: "app.*", Tags: []string{"env:test", "route"}, Type: fakeclient.MetricHistogram, ContainerID: "cid",
			Window: fakeclient.Window{Since: since, Until: since.Add(time.Hour), Last: time.Minute}, Telemetry: true, NoPoints: true,
		}.Values().Encode(), "container_id=cid&last=1m0s&name=app.%2A&points=false&since=2026-11-26T12%3A00%3A00.000000005Z&tag=env%3Atest&tag=route&telemetry=true&type=h&until=2026-11-26T13%3A00%3A00.000000005Z"},
		{"event", fakeclient.EventQuery{Title: "deploy*", Tags: []string{"a"}, AlertType: "error", SourceType: "git"}.Values().Encode(),
			"alert_type=error&source_type=git&tag=a&title=deploy%2A"},
		{"service check", fakeclient.ServiceCheckQuery{Name: "db.up", Tags: []string{"x:*"}, Status: &status}.Values().Encode(),
			"name=db.up&status=2&tag=x%3A%2A"},
		{"span", fakeclient.SpanQuery{Service: "api", Name: "http.*", Resource: "GET /", TraceID: 1 << 63, Error: &yes}.Values().Encode(),
			"error=true&name=http.%2A&resource=GET+%2F&service=api&trace_id=9223372036854775808"},
	} {
		assert.Check(t, is.Equal(tc.got, tc.want), tc.name)
	}
}

func TestDatadogWaitMetrics(t *testing.T) {
	polls := atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := polls.Add(1)
		w.Write([]byte(`{"series":[],"total":{"messages":` + strconv.Itoa(int(min(n, 3))) + `}}`))
	}))
	t.Cleanup(srv.Close)
	c := fakeclient.NewDatadog(srv.URL)
	r, err := c.WaitMetrics(t.Context(), fakeclient.MetricQuery{Name: "m"}, 10*time.Second,
		func(r fakeclient.MetricsResult) bool { return r.Total.Messages >= 3 })
	assert.NilError(t, err)
	assert.Equal(t, r.Total.Messages, 3)

	r, err = c.WaitMetrics(t.Context(), fakeclient.MetricQuery{Name: "m"}, 120*time.Millisecond,
		func(r fakeclient.MetricsResult) bool { return r.Total.Messages > 3 })
	assert.Error(t, err, "wait for metrics map[name:[m]]: condition not met: context deadline exceeded")
	assert.Equal(t, r.Total.Messages, 3, "the last result comes back with the error")
}
