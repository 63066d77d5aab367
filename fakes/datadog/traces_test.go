package datadog_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/fakes/datadog"
)

// tracerSpan is a span as dd-trace-go holds it before encoding.
type tracerSpan struct {
	name, service, resource, typ string
	start, duration              int64
	meta                         map[string]string
	metrics                      map[string]float64
	spanID, traceID, parentID    uint64
	err                          int32
}

// encodeV04 encodes traces the way dd-trace-go's payload does: an array32
// header (0xdd and a 4-byte count, patched in as traces are added), then per
// trace the msgp array header and per span the 12-key map in msgp field
// order with the smallest integer encodings.
func encodeV04(t *testing.T, traces [][]tracerSpan) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.Write([]byte{0xdd, 0, 0, 0, 0})
	binary.BigEndian.PutUint32(buf.Bytes()[1:], uint32(len(traces)))
	enc := msgpack.NewEncoder(&buf)
	must := func(err error) { assert.NilError(t, err) }
	for _, tr := range traces {
		must(enc.EncodeArrayLen(len(tr)))
		for _, s := range tr {
			must(enc.EncodeMapLen(12))
			must(enc.EncodeString("name"))
			must(enc.EncodeString(s.name))
			must(enc.EncodeString("service"))
			must(enc.EncodeString(s.service))
			must(enc.EncodeString("resource"))
			must(enc.EncodeString(s.resource))
			must(enc.EncodeString("type"))
			must(enc.EncodeString(s.typ))
			must(enc.EncodeString("start"))
			must(enc.EncodeInt(s.start))
			must(enc.EncodeString("duration"))
			must(enc.EncodeInt(s.duration))
			must(enc.EncodeString("meta"))
			must(enc.EncodeMapLen(len(s.meta)))
			for k, v := range s.meta {
				must(enc.EncodeString(k))
				must(enc.EncodeString(v))
			}
			must(enc.EncodeString("metrics"))
			must(enc.EncodeMapLen(len(s.metrics)))
			for k, v := range s.metrics {
				must(enc.EncodeString(k))
				must(enc.EncodeFloat64(v))
			}
			must(enc.EncodeString("span_id"))
			must(enc.EncodeUint(s.spanID))
			must(enc.EncodeString("trace_id"))
			must(enc.EncodeUint(s.traceID))
			must(enc.EncodeString("parent_id"))
			must(enc.EncodeUint(s.parentID))
			must(enc.EncodeString("error"))
			must(enc.EncodeInt(int64(s.err)))
		}
	}
	return buf.Bytes()
}

// encodeV05 encodes traces in the v0.5 format: [string table, traces], each
// span a 12-element array whose strings are indexes into the table.
func encodeV05(t *testing.T, traces [][]tracerSpan) []byte {
	t.Helper()
	table := []string{""}
	index := map[string]uint32{"": 0}
	idx := func(s string) uint32 {
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = uint32(len(table))
		table = append(table, s)
		return index[s]
	}
	var body bytes.Buffer
	enc := msgpack.NewEncoder(&body)
	must := func(err error) { assert.NilError(t, err) }
	must(enc.EncodeArrayLen(len(traces)))
	for _, tr := range traces {
		must(enc.EncodeArrayLen(len(tr)))
		for _, s := range tr {
			must(enc.EncodeArrayLen(12))
			must(enc.EncodeUint(uint64(idx(s.service))))
			must(enc.EncodeUint(uint64(idx(s.name))))
			must(enc.EncodeUint(uint64(idx(s.resource))))
			must(enc.EncodeUint(s.traceID))
			must(enc.EncodeUint(s.spanID))
			must(enc.EncodeUint(s.parentID))
			must(enc.EncodeInt(s.start))
			must(enc.EncodeInt(s.duration))
			must(enc.EncodeInt(int64(s.err)))
			must(enc.EncodeMapLen(len(s.meta)))
			for k, v := range s.meta {
				must(enc.EncodeUint(uint64(idx(k))))
				must(enc.EncodeUint(uint64(idx(v))))
			}
			must(enc.EncodeMapLen(len(s.metrics)))
			for k, v := range s.metrics {
				must(enc.EncodeUint(uint64(idx(k))))
				must(enc.EncodeFloat64(v))
			}
			must(enc.EncodeUint(uint64(idx(s.typ))))
		}
	}
	var out bytes.Buffer
	enc = msgpack.NewEncoder(&out)
	must(enc.EncodeArrayLen(2))
	must(enc.EncodeArrayLen(len(table)))
	for _, s := range table {
		must(enc.EncodeString(s))
	}
	out.Write(body.Bytes())
	return out.Bytes()
}

// sampleTraces is a web request with a database child, and a second trace
// with an error and a 128-bit trace id.
func sampleTraces() [][]tracerSpan {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC).UnixNano()
	return [][]tracerSpan{
		{
			{
				name: "http.request", service: "api", resource: "GET /users", typ: "web",
				start: start, duration: 1500000, spanID: 1001, traceID: 42, parentID: 0,
				meta:    map[string]string{"env": "test", "http.method": "GET", "http.status_code": "200", "language": "go"},
				metrics: map[string]float64{"_sampling_priority_v1": 1, "_dd.top_level": 1, "process_id": 4242},
			},
			{
				name: "postgres.query", service: "api-db", resource: "SELECT * FROM users", typ: "sql",
				start: start + 100000, duration: 900000, spanID: 1002, traceID: 42, parentID: 1001,
				meta:    map[string]string{"env": "test", "db.system": "postgresql"},
				metrics: map[string]float64{"_dd.measured": 1},
			},
		},
		{
			{
				name: "worker.job", service: "worker", resource: "resize", typ: "custom",
				start: start, duration: 3 * int64(time.Second), spanID: 1 << 63, traceID: 1<<64 - 1, err: 1,
				meta:    map[string]string{"_dd.p.tid": "66f1a2b300000000", "error.message": "boom", "error.type": "*errors.errorString"},
				metrics: map[string]float64{"_sampling_priority_v1": 2},
			},
		},
	}
}

// postTraces sends a payload with the headers dd-trace-go sets.
func postTraces(t *testing.T, s *stub, path string, body []byte, traces int) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+path, bytes.NewReader(body))
	assert.NilError(t, err)
	req.Header.Set("Content-Type", "application/msgpack")
	req.Header.Set("Datadog-Meta-Lang", "go")
	req.Header.Set("Datadog-Meta-Lang-Version", strings.TrimPrefix(runtime.Version(), "go"))
	req.Header.Set("Datadog-Meta-Lang-Interpreter", runtime.Compiler+"-"+runtime.GOARCH+"-"+runtime.GOOS)
	req.Header.Set("Datadog-Meta-Tracer-Version", "v2.3.0")
	req.Header.Set("X-Datadog-Trace-Count", strconv.Itoa(traces))
	req.Header.Set("Datadog-Client-Computed-Top-Level", "yes")
	resp, err := http.DefaultClient.Do(req)
	assert.NilError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// rateResponse is how dd-trace-go decodes the answer to a trace payload
// (ddtrace/tracer/sampler.go readRatesJSON).
type rateResponse struct {
	Rates map[string]float64 `json:"rate_by_service"`
}

func TestTraceIntakeV04AndV05(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path   string
		encode func(*testing.T, [][]tracerSpan) []byte
	}{
		{"/v0.4/traces", encodeV04},
		{"/v0.5/traces", encodeV05},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			s := startStub(t)
			body := tc.encode(t, sampleTraces())
			resp := postTraces(t, s, tc.path, body, 2)
			assert.Equal(t, resp.StatusCode, http.StatusOK)
			var rates rateResponse
			assert.NilError(t, json.NewDecoder(resp.Body).Decode(&rates))
			assert.Check(t, is.DeepEqual(rates.Rates, map[string]float64{
				"service:,env:": 1, "service:api,env:test": 1, "service:api-db,env:test": 1, "service:worker,env:": 1,
			}))

			spans, err := s.client.Spans(t.Context(), fakeclient.SpanQuery{})
			assert.NilError(t, err)
			assert.Assert(t, is.Len(spans, 3))
			want := sampleTraces()
			for i, w := range []tracerSpan{want[0][0], want[0][1], want[1][0]} {
				g := spans[i]
				assert.Check(t, is.Equal(g.Endpoint, tc.path))
				assert.Check(t, !g.Received.IsZero())
				g.Endpoint, g.Received = "", time.Time{}
				assert.Check(t, is.DeepEqual(g, fakeclient.Span{
					TraceID: w.traceID, SpanID: w.spanID, ParentID: w.parentID,
					Service: w.service, Name: w.name, Resource: w.resource, Type: w.typ,
					Start: w.start, Duration: w.duration, Error: w.err, Meta: w.meta, Metrics: w.metrics,
				}))
			}

			traces, err := s.client.Traces(t.Context(), fakeclient.SpanQuery{Service: "api"})
			assert.NilError(t, err)
			assert.Assert(t, is.Len(traces, 1))
			assert.Check(t, is.Equal(traces[0].TraceID, uint64(42)))
			assert.Check(t, is.Equal(traces[0].Root, uint64(1001)))
			traces, err = s.client.Traces(t.Context(), fakeclient.SpanQuery{TraceID: 42})
			assert.NilError(t, err)
			assert.Assert(t, is.Len(traces, 1))
			assert.Check(t, is.Len(traces[0].Spans, 2))
			assert.Check(t, is.Len(traces[0].Orphans, 0))

			yes := true
			errs, err := s.client.Spans(t.Context(), fakeclient.SpanQuery{Error: &yes})
			assert.NilError(t, err)
			assert.Assert(t, is.Len(errs, 1))
			assert.Check(t, is.Equal(errs[0].Meta["_dd.p.tid"], "66f1a2b300000000"))
			glob, err := s.client.Spans(t.Context(), fakeclient.SpanQuery{Resource: "SELECT *"})
			assert.NilError(t, err)
			assert.Check(t, is.Len(glob, 1))

			payloads, err := s.client.Payloads(t.Context())
			assert.NilError(t, err)
			assert.Assert(t, is.Len(payloads, 1))
			p := payloads[0]
			assert.Check(t, is.Equal(p.Lang, "go"))
			assert.Check(t, is.Equal(p.LangVersion, strings.TrimPrefix(runtime.Version(), "go")))
			assert.Check(t, is.Equal(p.TracerVersion, "v2.3.0"))
			assert.Check(t, is.Equal(p.TraceCountHeader, "2"))
			assert.Check(t, is.Equal(p.ComputedTopLevel, "yes"))
			assert.Check(t, is.Equal(p.Traces, 2))
			assert.Check(t, is.Equal(p.Spans, 3))
			assert.Check(t, is.Equal(p.NewSpans, 3))
			assert.Check(t, is.Equal(p.Bytes, len(body)))

			// A retried payload is deduplicated by (trace_id, span_id).
			resp = postTraces(t, s, tc.path, body, 2)
			assert.Equal(t, resp.StatusCode, http.StatusOK)
			n, err := s.client.Counts(t.Context())
			assert.NilError(t, err)
			assert.Check(t, is.Equal(n.TracePayloads, uint64(2)))
			assert.Check(t, is.Equal(n.Spans, uint64(6)))
			assert.Check(t, is.Equal(n.NewSpans, uint64(3)))
			spans, err = s.client.Spans(t.Context(), fakeclient.SpanQuery{})
			assert.NilError(t, err)
			assert.Check(t, is.Len(spans, 3))
		})
	}
}

func TestTraceIntakeJSON(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	body := `[[{"trace_id":7,"span_id":8,"parent_id":0,"name":"n","service":"svc","resource":"r","type":"web","start":1,"duration":2,"error":0,"meta":{"env":"e"},"metrics":{"m":1.5}}]]`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, s.url+"/v0.4/traces", strings.NewReader(body))
	assert.NilError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	assert.NilError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, resp.StatusCode, http.StatusOK)
	spans, err := s.client.Spans(t.Context(), fakeclient.SpanQuery{Service: "svc"})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(spans, 1))
	assert.Check(t, is.Equal(spans[0].TraceID, uint64(7)))
	assert.Check(t, is.Equal(spans[0].Metrics["m"], 1.5))

	// msgpack still works on the same endpoint afterwards.
	resp = postTraces(t, s, "/v0.4/traces", encodeV04(t, sampleTraces()), 2)
	assert.Check(t, is.Equal(resp.StatusCode, http.StatusOK))
}

// infoResponse is how dd-trace-go decodes GET /info
// (ddtrace/tracer/option.go fetchAgentFeatures).
type infoResponse struct {
	Endpoints          []string `json:"endpoints"`
	ClientDropP0s      bool     `json:"client_drop_p0s"`
	FeatureFlags       []string `json:"feature_flags"`
	PeerTags           []string `json:"peer_tags"`
	SpanMetaStruct     bool     `json:"span_meta_structs"`
	ObfuscationVersion int      `json:"obfuscation_version"`
	SpanEvents         bool     `json:"span_events"`
	Config             struct {
		StatsdPort int    `json:"statsd_port"`
		DefaultEnv string `json:"default_env"`
	} `json:"config"`
}

func getInfo(t *testing.T, s *stub) infoResponse {
	t.Helper()
	resp, err := http.Get(s.url + "/info")
	assert.NilError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, resp.StatusCode, http.StatusOK)
	assert.Check(t, is.Contains(resp.Header.Get("Content-Type"), "application/json"))
	dec := json.NewDecoder(io.LimitReader(resp.Body, 1<<20))
	var info infoResponse
	assert.NilError(t, dec.Decode(&info))
	return info
}

func TestInfoAsDDTraceGoReadsIt(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	info := getInfo(t, s)
	assert.Check(t, is.DeepEqual(info.Endpoints, []string{"/v0.4/traces", "/v0.5/traces"}))
	assert.Check(t, !info.ClientDropP0s, "the tracer must not drop P0 traces")
	_, port, _ := strings.Cut(s.udp, ":")
	assert.Check(t, is.Equal(strconv.Itoa(info.Config.StatsdPort), port), "statsd_port follows the UDP listener")
	assert.Check(t, is.Equal(info.Config.DefaultEnv, "none"))

	// Nothing that is not advertised is served.
	for _, path := range []string{"/v0.6/stats", "/v1.0/traces", "/v0.7/config", "/telemetry/proxy/api/v2/apmtelemetry", "/evp_proxy/v2/x"} {
		resp, err := http.Post(s.url+path, "application/msgpack", strings.NewReader("x"))
		assert.NilError(t, err)
		resp.Body.Close()
		assert.Check(t, is.Equal(resp.StatusCode, http.StatusNotFound), path)
	}

	// A test can change what is advertised, to see how a tracer reacts.
	custom := datadog.DefaultInfo()
	custom.Endpoints = []string{"/v0.4/traces", "/v0.6/stats"}
	custom.ClientDropP0s = true
	assert.NilError(t, s.client.SetInfo(t.Context(), custom))
	info = getInfo(t, s)
	assert.Check(t, is.DeepEqual(info.Endpoints, []string{"/v0.4/traces", "/v0.6/stats"}))
	assert.Check(t, info.ClientDropP0s)
}

func TestTraceIntakeBadInput(t *testing.T) {
	t.Parallel()
	s := startStub(t, datadog.WithMaxRequestBytes(4096))
	good := encodeV04(t, sampleTraces())
	deep := append(bytes.Repeat([]byte{0x91}, 2000), 0xc0) // [[[[…nil…]]]]
	nested := append([]byte{0x91, 0x91, 0x81, 0xa3, 'x', 'y', 'z'}, deep...)
	for _, tc := range []struct {
		name   string
		path   string
		body   []byte
		status int
		msg    string
	}{
		{"not msgpack", "/v0.4/traces", []byte("hello"), 400, "/v0.4/traces: decode traces: msgpack: invalid code=68 decoding array length"},
		{"truncated", "/v0.4/traces", good[:len(good)-5], 400, "/v0.4/traces: decode trace 1 span 0: key: unexpected EOF"},
		{"trailing bytes", "/v0.4/traces", append(append([]byte{}, good...), 0xc0), 400, "/v0.4/traces: decode traces: trailing bytes after the array of traces"},
		{"span not a map", "/v0.4/traces", []byte{0x91, 0x91, 0x01}, 400, "/v0.4/traces: decode trace 0 span 0: msgpack: unexpected code=1 decoding map length"},
		{"wrong type for a field", "/v0.4/traces", []byte{0x91, 0x91, 0x81, 0xa8, 't', 'r', 'a', 'c', 'e', '_', 'i', 'd', 0xa1, 'x'}, 400, "/v0.4/traces: decode trace 0 span 0: trace_id: msgpack: invalid code=a1 decoding uint64"},
		{"nesting bomb in an unknown key", "/v0.4/traces", nested, 400, "/v0.4/traces: decode trace 0 span 0: xyz: values nested deeper than 32"},
		{"too large", "/v0.4/traces", bytes.Repeat([]byte{0x90}, 5000), 413, "/v0.4/traces body exceeds 4096 bytes (max_request_bytes)"},
		{"v0.5 not a pair", "/v0.5/traces", []byte{0x91, 0x90}, 400, "/v0.5/traces: decode payload: want an array of 2 (strings, traces), got 1 elements"},
		{"v0.5 bad string index", "/v0.5/traces", []byte{0x92, 0x91, 0xa0, 0x91, 0x91, 0x9c, 0x05}, 400, "/v0.5/traces: decode trace 0 span 0: service: string index 5 out of a table of 1"},
		{"v0.5 short span", "/v0.5/traces", []byte{0x92, 0x91, 0xa0, 0x91, 0x91, 0x93, 0, 0, 0}, 400, "/v0.5/traces: decode trace 0 span 0: want an array of 12 fields, got 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := postTraces(t, s, tc.path, tc.body, 1)
			b, err := io.ReadAll(resp.Body)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(resp.StatusCode, tc.status))
			assert.Check(t, is.Equal(strings.TrimSpace(string(b)), tc.msg))
		})
	}
	n, err := s.client.Counts(t.Context())
	assert.NilError(t, err)
	assert.Check(t, is.Equal(n.TracePayloadErrors, uint64(10)))
	assert.Check(t, is.Equal(n.Spans, uint64(0)))
	payloads, err := s.client.Payloads(t.Context())
	assert.NilError(t, err)
	assert.Assert(t, is.Len(payloads, 10))
	assert.Check(t, payloads[0].Error != "")
	assert.NilError(t, s.client.Health(t.Context()), "still serving")
}

func TestTraceIntakeFaults(t *testing.T) {
	t.Parallel()
	s := startStub(t)
	body := encodeV04(t, sampleTraces())
	assert.NilError(t, s.client.InjectFault(t.Context(), fakeclient.Fault{Times: 2, Status: 503, PathPrefix: "/v0.4/traces"}))
	for i := range 2 {
		resp := postTraces(t, s, "/v0.4/traces", body, 2)
		assert.Check(t, is.Equal(resp.StatusCode, http.StatusServiceUnavailable), "attempt %d", i)
	}
	assert.Check(t, is.Equal(getInfo(t, s).Config.DefaultEnv, "none"), "the fault only matches its path")
	resp := postTraces(t, s, "/v0.4/traces", body, 2)
	assert.Check(t, is.Equal(resp.StatusCode, http.StatusOK), "the retry gets through")
	spans, err := s.client.Spans(t.Context(), fakeclient.SpanQuery{})
	assert.NilError(t, err)
	assert.Check(t, is.Len(spans, 3))

	assert.NilError(t, s.client.InjectFault(t.Context(), fakeclient.Fault{Times: 1, LatencyMS: 200}))
	start := time.Now()
	resp = postTraces(t, s, "/v0.4/traces", body, 2)
	assert.Check(t, is.Equal(resp.StatusCode, http.StatusOK))
	assert.Check(t, time.Since(start) >= 200*time.Millisecond, fmt.Sprint(time.Since(start)))
}
