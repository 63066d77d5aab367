package datadog_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/DataDog/dd-trace-go/v2/ddtrace/ext"
	"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// tracerLog keeps what dd-trace-go logs, so a test can show it on failure
// and check the tracer reported no error.
type tracerLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *tracerLog) Log(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, msg)
}

func (l *tracerLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// errorLines are the logged lines dd-trace-go marks as errors (its logger
// prefixes "Datadog Tracer <version> ERROR:").
func (l *tracerLog) errorLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.lines {
		if strings.Contains(line, " ERROR: ") {
			out = append(out, line)
		}
	}
	return out
}

// ddTraceGoVersion is the version of dd-trace-go the module requires, which
// the tracer sends as Datadog-Meta-Tracer-Version. (A test binary's build
// info lists no dependencies, so it is read from go.mod.)
func ddTraceGoVersion(t *testing.T) string {
	t.Helper()
	mod, err := os.ReadFile("../../go.mod")
	assert.NilError(t, err)
	for line := range strings.Lines(string(mod)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/DataDog/dd-trace-go/v2" {
			return f[1]
		}
	}
	t.Fatal("go.mod does not require github.com/DataDog/dd-trace-go/v2")
	return ""
}

// tracerGoroutines returns the stacks of the goroutines running code of
// dd-trace-go, or started by it.
func tracerGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/DataDog/dd-trace-go/") {
			out = append(out, g)
		}
	}
	return out
}

// TestDDTraceGo drives the real tracer, with its defaults, against the
// stub's trace intake: it reads /info, finds /v0.4/traces advertised (and no
// /v1.0/traces, so it keeps to the v0.4 format), and sends what the test's
// spans were, field for field, with the headers the stub records. Stopping
// the tracer leaves none of its goroutines running.
//
// dd-trace-go sends only /v0.4/traces or /v1.0/traces (transport.go
// tracesPathFor), never /v0.5/traces: that format is checked with the
// encoder of TestTraceIntakeV04AndV05.
//
// Not parallel: the tracer is process-global, and the test sets its
// environment.
func TestDDTraceGo(t *testing.T) {
	assert.Check(t, is.Len(tracerGoroutines(), 0), "a tracer is already running")
	// Whatever DD_* the machine running the tests has must not change the
	// tracer's destination or sampling.
	for _, k := range []string{"DD_AGENT_HOST", "DD_TRACE_AGENT_PORT", "DD_TRACE_AGENT_URL", "DD_DOGSTATSD_HOST",
		"DD_DOGSTATSD_PORT", "DD_TRACE_SAMPLE_RATE", "DD_TRACE_SAMPLING_RULES", "DD_TRACE_AGENT_PROTOCOL_VERSION",
		"DD_SERVICE", "DD_ENV", "DD_VERSION", "DD_TAGS"} {
		t.Setenv(k, "")
	}
	s := startStub(t)
	// The tracer sends its health metrics with datadog-go, which keeps the
	// container id of the process's first client for every later one: make
	// that first client the one of this package's DogStatsD tests.
	newStatsd(t, s.udp)
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	logs := &tracerLog{}
	err := tracer.Start(
		tracer.WithAgentURL(s.url),
		tracer.WithHTTPClient(&http.Client{Transport: transport, Timeout: 10 * time.Second}),
		tracer.WithService("api"),
		tracer.WithEnv("test"),
		tracer.WithServiceVersion("1.2.3"),
		tracer.WithLogger(logs),
	)
	assert.NilError(t, err)
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			tracer.Stop()
			transport.CloseIdleConnections()
		}
	}
	defer stop()

	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	root := tracer.StartSpan("http.request",
		tracer.ResourceName("GET /users/:id"),
		tracer.SpanType("web"),
		tracer.StartTime(start),
		tracer.Tag("http.method", "GET"),
		tracer.Tag("http.route", "/users/:id"),
		tracer.Tag("users.found", 3),
	)
	child := root.StartChild("postgres.query",
		tracer.ServiceName("api-db"),
		tracer.ResourceName("SELECT * FROM users WHERE id = $1"),
		tracer.SpanType("sql"),
		tracer.StartTime(start.Add(100*time.Microsecond)),
		tracer.Tag("db.system", "postgresql"),
		tracer.Tag("db.row_count", 0.5),
	)
	child.Finish(tracer.FinishTime(start.Add(1000*time.Microsecond)), tracer.WithError(errors.New("no rows")))
	root.Finish(tracer.FinishTime(start.Add(1500 * time.Microsecond)))
	// A second trace, in the same flush.
	job := tracer.StartSpan("worker.job", tracer.ServiceName("worker"), tracer.ResourceName("resize"), tracer.StartTime(start))
	job.Finish(tracer.FinishTime(start.Add(3 * time.Second)))
	tracer.Flush()

	var spans []fakeclient.Span
	testsupport.Until(t, 10*time.Second, "3 spans", func() bool {
		var err error
		spans, err = s.client.Spans(t.Context(), fakeclient.SpanQuery{})
		return err == nil && len(spans) >= 3
	})
	assert.Assert(t, is.Len(spans, 3), "spans: %+v\ntracer log:\n%s", spans, logs)
	byName := map[string]fakeclient.Span{}
	for _, sp := range spans {
		byName[sp.Name] = sp
		assert.Check(t, is.Equal(sp.Endpoint, "/v0.4/traces"))
		assert.Check(t, !sp.Received.IsZero())
	}

	rc, cc, jc := root.Context(), child.Context(), job.Context()
	upper := func(hex128 string) string { return hex128[:16] }
	for _, tc := range []struct {
		name                      string
		traceID, spanID, parentID uint64
		service, resource, typ    string
		start, duration           int64
		err                       int32
		meta                      map[string]string
		metrics                   map[string]float64
		metaAbsent                []string
		traceIDHigh               string // "_dd.p.tid" on the first span of a chunk
	}{
		{
			name: "http.request", traceID: rc.TraceIDLower(), spanID: rc.SpanID(), parentID: 0,
			service: "api", resource: "GET /users/:id", typ: "web",
			start: start.UnixNano(), duration: int64(1500 * time.Microsecond),
			meta: map[string]string{
				"http.method": "GET", "http.route": "/users/:id",
				"env": "test", "version": "1.2.3", "language": "go",
			},
			metrics:     map[string]float64{"users.found": 3},
			metaAbsent:  []string{"error.message"},
			traceIDHigh: upper(rc.TraceID()),
		},
		{
			name: "postgres.query", traceID: rc.TraceIDLower(), spanID: cc.SpanID(), parentID: rc.SpanID(),
			service: "api-db", resource: "SELECT * FROM users WHERE id = $1", typ: "sql",
			start: start.Add(100 * time.Microsecond).UnixNano(), duration: int64(900 * time.Microsecond), err: 1,
			meta: map[string]string{
				"db.system": "postgresql", "env": "test",
				"error.message": "no rows", "error.type": "*errors.errorString",
			},
			metrics: map[string]float64{"db.row_count": 0.5},
		},
		{
			name: "worker.job", traceID: jc.TraceIDLower(), spanID: jc.SpanID(), parentID: 0,
			service: "worker", resource: "resize",
			start: start.UnixNano(), duration: int64(3 * time.Second),
			meta:        map[string]string{"env": "test", "language": "go"},
			traceIDHigh: upper(jc.TraceID()),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, ok := byName[tc.name]
			assert.Assert(t, ok, "no span %q among %+v", tc.name, spans)
			assert.Check(t, is.Equal(g.TraceID, tc.traceID))
			assert.Check(t, is.Equal(g.SpanID, tc.spanID))
			assert.Check(t, is.Equal(g.ParentID, tc.parentID))
			assert.Check(t, is.Equal(g.Service, tc.service))
			assert.Check(t, is.Equal(g.Resource, tc.resource))
			assert.Check(t, is.Equal(g.Type, tc.typ))
			assert.Check(t, is.Equal(g.Start, tc.start))
			assert.Check(t, is.Equal(g.Duration, tc.duration))
			assert.Check(t, is.Equal(g.Error, tc.err))
			for k, v := range tc.meta {
				assert.Check(t, is.Equal(g.Meta[k], v), "meta %s in %v", k, g.Meta)
			}
			for _, k := range tc.metaAbsent {
				_, found := g.Meta[k]
				assert.Check(t, !found, "meta %s in %v", k, g.Meta)
			}
			for k, v := range tc.metrics {
				assert.Check(t, is.Equal(g.Metrics[k], v), "metric %s in %v", k, g.Metrics)
			}
			if tc.err != 0 {
				assert.Check(t, is.Contains(g.Meta[ext.ErrorHandlingStack], "TestDDTraceGo"), "the stack of the Finish call: %v", g.Meta)
			}
			if tc.traceIDHigh != "" {
				assert.Check(t, is.Equal(g.Meta["_dd.p.tid"], tc.traceIDHigh), "the upper 64 bits of the 128-bit trace id")
			}
			// Every top-level span (a root, or a child of another service)
			// carries the trace's sampling decision (kept: the stub's rate
			// is 1) and the process id.
			assert.Check(t, is.Equal(g.Metrics["_sampling_priority_v1"], float64(ext.PriorityAutoKeep)), "metrics %v", g.Metrics)
			assert.Check(t, is.Equal(g.Metrics["_dd.top_level"], 1.0), "metrics %v", g.Metrics)
			assert.Check(t, is.Equal(g.Metrics["process_id"], float64(os.Getpid())), "metrics %v", g.Metrics)
		})
	}

	traces, err := s.client.Traces(t.Context(), fakeclient.SpanQuery{TraceID: rc.TraceIDLower()})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(traces, 1))
	assert.Check(t, is.Equal(traces[0].Root, rc.SpanID()))
	assert.Check(t, is.Len(traces[0].Spans, 2))
	assert.Check(t, is.Len(traces[0].Orphans, 0))

	payloads, err := s.client.Payloads(t.Context())
	assert.NilError(t, err)
	assert.Assert(t, len(payloads) >= 1)
	total := 0
	for _, p := range payloads {
		assert.Check(t, is.Equal(p.Error, ""))
		assert.Check(t, is.Equal(p.Endpoint, "/v0.4/traces"))
		assert.Check(t, is.Equal(p.ContentType, "application/msgpack"))
		assert.Check(t, is.Equal(p.Lang, "go"))
		assert.Check(t, is.Equal(p.LangVersion, strings.TrimPrefix(runtime.Version(), "go")))
		assert.Check(t, is.Equal(p.LangInterpreter, runtime.Compiler+"-"+runtime.GOARCH+"-"+runtime.GOOS))
		assert.Check(t, is.Equal(p.TracerVersion, ddTraceGoVersion(t)))
		assert.Check(t, is.Equal(p.TraceCountHeader, fmt.Sprint(p.Traces)))
		total += p.Traces
	}
	assert.Check(t, is.Equal(total, 2))

	stop()
	assert.Check(t, is.Len(logs.errorLines(), 0), "tracer log:\n%s", logs)
	var left []string
	defer func() { // poll fails the test through runtime.Goexit, which runs this
		if len(left) > 0 {
			t.Errorf("%d dd-trace-go goroutines left running after tracer.Stop:\n%s", len(left), strings.Join(left, "\n\n"))
		}
	}()
	testsupport.Until(t, 10*time.Second, "dd-trace-go goroutines to end after tracer.Stop", func() bool { left = tracerGoroutines(); return len(left) == 0 })
}
