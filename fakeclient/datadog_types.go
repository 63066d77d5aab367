package fakeclient

import (
	"net/url"
	"strconv"
	"time"
)

// MetricType is a DogStatsD metric type as written on the wire.
type MetricType string

// The DogStatsD metric types.
const (
	MetricCount        MetricType = "c"
	MetricGauge        MetricType = "g"
	MetricTiming       MetricType = "ms"
	MetricHistogram    MetricType = "h"
	MetricSet          MetricType = "s"
	MetricDistribution MetricType = "d"
)

// Window selects items by the time the stub received them. Since and Until
// bound it (zero means unbounded); Last, when set, means "the Last before
// now" and overrides Since.
type Window struct {
	Since time.Time
	Until time.Time
	Last  time.Duration
}

func (w Window) encode(v url.Values) {
	if !w.Since.IsZero() {
		v.Set("since", w.Since.Format(time.RFC3339Nano))
	}
	if !w.Until.IsZero() {
		v.Set("until", w.Until.Format(time.RFC3339Nano))
	}
	if w.Last > 0 {
		v.Set("last", w.Last.String())
	}
}

func setIf(v url.Values, key, val string) {
	if val != "" {
		v.Set(key, val)
	}
}

// MetricQuery selects metrics. Every set field must match.
type MetricQuery struct {
	// Name is an exact name or a glob ("myapp.http.*").
	Name string
	// Tags must all be present; see the tag forms of [EventQuery.Tags].
	Tags []string
	Type MetricType
	// ContainerID matches the "|c:" field.
	ContainerID string
	Window      Window
	// Telemetry includes datadog-go's own datadog.dogstatsd.client.*
	// metrics, which are left out otherwise (unless Name asks for them).
	Telemetry bool
	// NoPoints leaves the individual messages out of the result: only the
	// aggregates are returned.
	NoPoints bool
}

// Values encodes q as the query string of GET /_devenv/metrics.
func (q MetricQuery) Values() url.Values {
	v := url.Values{}
	setIf(v, "name", q.Name)
	for _, t := range q.Tags {
		v.Add("tag", t)
	}
	setIf(v, "type", string(q.Type))
	setIf(v, "container_id", q.ContainerID)
	if q.Telemetry {
		v.Set("telemetry", "true")
	}
	if q.NoPoints {
		v.Set("points", "false")
	}
	q.Window.encode(v)
	return v
}

// Metric is one DogStatsD metric message, as the stub received it.
type Metric struct {
	Name string     `json:"name"`
	Type MetricType `json:"type"`
	// Values holds every value of the message (several with protocol v1.1
	// packing, "name:1:2:3|h"); empty for sets.
	Values []float64 `json:"values,omitempty"`
	// Member is the value of a set ("name:member|s").
	Member string `json:"member,omitempty"`
	// Rate is the sample rate, 1 when the message has no "|@" field.
	Rate float64  `json:"rate"`
	Tags []string `json:"tags,omitempty"`
	// ContainerID is the "|c:" field (protocol v1.2).
	ContainerID string `json:"container_id,omitempty"`
	// ExternalEnv is the "|e:" field (DD_EXTERNAL_ENV).
	ExternalEnv string `json:"external_env,omitempty"`
	// Cardinality is the "|card:" field.
	Cardinality string `json:"cardinality,omitempty"`
	// Timestamp is the "|T" field in Unix seconds (protocol v1.3), 0 when
	// absent.
	Timestamp int64 `json:"timestamp,omitempty"`
	// Extra keeps fields the stub's parser does not know, verbatim.
	Extra []string `json:"extra,omitempty"`
	// Warnings name what Datadog would change or drop although the stub
	// accepted it.
	Warnings []string `json:"warnings,omitempty"`
	// Telemetry is set on datadog-go's own metrics
	// (datadog.dogstatsd.client.*).
	Telemetry bool `json:"telemetry,omitempty"`
	// Raw is the message as received.
	Raw      string    `json:"raw"`
	Received time.Time `json:"received"`
	// Transport is the socket the message came in on: "udp" or "uds".
	Transport string `json:"transport,omitempty"`
}

// Aggregate summarises metric messages over a window, the way a test wants
// to assert on them whatever client-side aggregation did to them.
type Aggregate struct {
	// Messages is the number of metric messages; Count the number of values
	// they carried (several per message when packed).
	Messages int `json:"messages"`
	Count    int `json:"count"`
	// Sum, Min, Max, Avg and Last are over the values, as sent. Last is the
	// last value of the last message received (the gauge semantics).
	Sum  float64 `json:"sum"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Avg  float64 `json:"avg"`
	Last float64 `json:"last"`
	// ScaledSum is the sum of value / sample rate: what the agent reports
	// for a count sent with "|@rate".
	ScaledSum float64 `json:"scaled_sum"`
	// Overflow says Sum or ScaledSum went past the range of a float64; the
	// sum is then held at ±math.MaxFloat64.
	Overflow bool `json:"overflow,omitempty"`
	// Members are the distinct set members, sorted; Distinct their number.
	Members  []string `json:"members,omitempty"`
	Distinct int      `json:"distinct,omitempty"`
	// Percentiles (p50, p75, p90, p95, p99, nearest rank) are given when
	// every message is a timing, histogram or distribution.
	Percentiles map[string]float64 `json:"percentiles,omitempty"`
}

// Series is the aggregate of one context: a name, type and tag set.
type Series struct {
	Name string     `json:"name"`
	Type MetricType `json:"type"`
	// Tags are sorted.
	Tags []string `json:"tags,omitempty"`
	Aggregate
}

// MetricsResult answers a [MetricQuery].
type MetricsResult struct {
	// Points are the matching messages, oldest first; none with
	// [MetricQuery.NoPoints].
	Points []Metric `json:"points,omitempty"`
	// Series aggregates the points per context, sorted by name, type, tags.
	Series []Series `json:"series"`
	// Total aggregates every matching point.
	Total Aggregate `json:"total"`
}

// EventQuery selects events. Every set field must match.
type EventQuery struct {
	// Title is an exact title or a glob.
	Title string
	// Tags must all be present: "key:value" exactly, "key" or "key:*" with
	// any value.
	Tags       []string
	AlertType  string
	SourceType string
	Window     Window
}

// Values encodes q as the query string of GET /_devenv/events.
func (q EventQuery) Values() url.Values {
	v := url.Values{}
	setIf(v, "title", q.Title)
	setIf(v, "alert_type", q.AlertType)
	setIf(v, "source_type", q.SourceType)
	for _, t := range q.Tags {
		v.Add("tag", t)
	}
	q.Window.encode(v)
	return v
}

// Event is one DogStatsD event ("_e{...}") as the stub received it.
type Event struct {
	Title string `json:"title"`
	// Text has its escaped newlines ("\\n" on the wire) restored.
	Text string `json:"text"`
	// Timestamp is the "|d:" field in Unix seconds, 0 when absent.
	Timestamp      int64    `json:"timestamp,omitempty"`
	Host           string   `json:"host,omitempty"`
	AggregationKey string   `json:"aggregation_key,omitempty"`
	Priority       string   `json:"priority,omitempty"`
	SourceType     string   `json:"source_type,omitempty"`
	AlertType      string   `json:"alert_type,omitempty"`
	Tags           []string `json:"tags,omitempty"`
	ContainerID    string   `json:"container_id,omitempty"`
	ExternalEnv    string   `json:"external_env,omitempty"`
	Cardinality    string   `json:"cardinality,omitempty"`
	Extra          []string `json:"extra,omitempty"`
	// Raw is the message as received.
	Raw       string    `json:"raw"`
	Received  time.Time `json:"received"`
	Transport string    `json:"transport,omitempty"`
}

// ServiceCheckQuery selects service checks. Every set field must match.
type ServiceCheckQuery struct {
	// Name is an exact name or a glob.
	Name string
	// Tags must all be present; see [EventQuery.Tags].
	Tags []string
	// Status, when not nil, must equal the check's status.
	Status *int
	Window Window
}

// Values encodes q as the query string of GET /_devenv/service_checks.
func (q ServiceCheckQuery) Values() url.Values {
	v := url.Values{}
	setIf(v, "name", q.Name)
	for _, t := range q.Tags {
		v.Add("tag", t)
	}
	if q.Status != nil {
		v.Set("status", strconv.Itoa(*q.Status))
	}
	q.Window.encode(v)
	return v
}

// ServiceCheck is one DogStatsD service check ("_sc|...") as the stub
// received it.
type ServiceCheck struct {
	Name string `json:"name"`
	// Status is 0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN.
	Status int `json:"status"`
	// Timestamp is the "|d:" field in Unix seconds, 0 when absent.
	Timestamp int64    `json:"timestamp,omitempty"`
	Host      string   `json:"host,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	// Message has its escapes ("\\n", "m\\:") restored.
	Message     string   `json:"message,omitempty"`
	ContainerID string   `json:"container_id,omitempty"`
	ExternalEnv string   `json:"external_env,omitempty"`
	Cardinality string   `json:"cardinality,omitempty"`
	Extra       []string `json:"extra,omitempty"`
	// Raw is the message as received.
	Raw       string    `json:"raw"`
	Received  time.Time `json:"received"`
	Transport string    `json:"transport,omitempty"`
}

// ParseError is one DogStatsD message (or datagram) the stub could not
// parse.
type ParseError struct {
	// Line is the offending message, cut to 512 bytes.
	Line      string    `json:"line"`
	Reason    string    `json:"reason"`
	Received  time.Time `json:"received"`
	Transport string    `json:"transport,omitempty"`
}

// SpanQuery selects spans. Every set field must match.
type SpanQuery struct {
	Service string
	// Name and Resource are exact or globs.
	Name     string
	Resource string
	TraceID  uint64
	// Error, when not nil, selects spans with (true) or without (false) an
	// error.
	Error  *bool
	Window Window
}

// Values encodes q as the query string of GET /_devenv/spans and
// /_devenv/traces.
func (q SpanQuery) Values() url.Values {
	v := url.Values{}
	setIf(v, "service", q.Service)
	setIf(v, "name", q.Name)
	setIf(v, "resource", q.Resource)
	if q.TraceID != 0 {
		v.Set("trace_id", strconv.FormatUint(q.TraceID, 10))
	}
	if q.Error != nil {
		v.Set("error", strconv.FormatBool(*q.Error))
	}
	q.Window.encode(v)
	return v
}

// Span is one span as the tracer sent it, with the fields dd-trace-go
// encodes.
type Span struct {
	TraceID  uint64 `json:"trace_id"`
	SpanID   uint64 `json:"span_id"`
	ParentID uint64 `json:"parent_id"`
	Service  string `json:"service"`
	Name     string `json:"name"`
	Resource string `json:"resource"`
	Type     string `json:"type,omitempty"`
	// Start is in Unix nanoseconds, Duration in nanoseconds.
	Start    int64 `json:"start"`
	Duration int64 `json:"duration"`
	Error    int32 `json:"error"`
	// Meta holds string tags; "_dd.p.tid" carries the upper 64 bits of a
	// 128-bit trace id.
	Meta map[string]string `json:"meta,omitempty"`
	// Metrics holds numeric tags; the stub drops non-finite values.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// MetaStruct, SpanLinks and SpanEvents (v0.4 only) are as the tracer
	// sent them, without interpretation.
	MetaStruct map[string][]byte `json:"meta_struct,omitempty"`
	SpanLinks  []any             `json:"span_links,omitempty"`
	SpanEvents []any             `json:"span_events,omitempty"`
	// Endpoint is the intake path the span came in on, e.g. "/v0.4/traces".
	Endpoint string    `json:"endpoint"`
	Received time.Time `json:"received"`
}

// Trace is the spans of one trace id, oldest received first.
type Trace struct {
	TraceID uint64 `json:"trace_id"`
	// Root is the span id of the span without a parent in the trace (0 when
	// there is none, for example while a distributed trace is partial).
	Root  uint64 `json:"root"`
	Spans []Span `json:"spans"`
	// Orphans are span ids whose parent is not in the trace.
	Orphans []uint64 `json:"orphans,omitempty"`
}

// Payload describes one trace payload the intake accepted or rejected: the
// headers a tracer sets and what the body held.
type Payload struct {
	Endpoint    string `json:"endpoint"`
	ContentType string `json:"content_type"`
	// Lang, LangVersion, LangInterpreter and TracerVersion are the
	// Datadog-Meta-* headers.
	Lang            string `json:"lang,omitempty"`
	LangVersion     string `json:"lang_version,omitempty"`
	LangInterpreter string `json:"lang_interpreter,omitempty"`
	TracerVersion   string `json:"tracer_version,omitempty"`
	// TraceCountHeader is X-Datadog-Trace-Count as sent ("" when absent).
	TraceCountHeader string `json:"trace_count_header,omitempty"`
	ComputedTopLevel string `json:"computed_top_level,omitempty"`
	ComputedStats    string `json:"computed_stats,omitempty"`
	DroppedP0Traces  string `json:"dropped_p0_traces,omitempty"`
	DroppedP0Spans   string `json:"dropped_p0_spans,omitempty"`
	ContainerID      string `json:"container_id,omitempty"`
	EntityID         string `json:"entity_id,omitempty"`
	Bytes            int    `json:"bytes"`
	Traces           int    `json:"traces"`
	Spans            int    `json:"spans"`
	NewSpans         int    `json:"new_spans"`
	// Error is why the payload was rejected; empty when it was accepted.
	Error    string    `json:"error,omitempty"`
	Received time.Time `json:"received"`
}

// DatadogCounts are the stub's running totals, as GET /_devenv/counts
// answers them.
type DatadogCounts struct {
	// Packets counts datagrams read from every socket (PacketsUDP + PacketsUDS).
	Packets    uint64 `json:"packets"`
	PacketsUDP uint64 `json:"packets_udp"`
	PacketsUDS uint64 `json:"packets_uds"`
	Bytes      uint64 `json:"bytes"`
	// Metrics, Events and ServiceChecks count parsed messages.
	Metrics       uint64 `json:"metrics"`
	Events        uint64 `json:"events"`
	ServiceChecks uint64 `json:"service_checks"`
	// ParseErrors counts messages that could not be parsed, plus oversize
	// and truncated datagrams (also counted in Oversize).
	ParseErrors uint64 `json:"parse_errors"`
	Oversize    uint64 `json:"oversize"`
	// Dropped counts datagrams lost before parsing: DroppedQueue because the
	// parser fell behind the readers, DroppedKernel because the socket
	// receive buffer overflowed (Linux SO_RXQ_OVFL; always 0 elsewhere).
	Dropped       uint64 `json:"dropped"`
	DroppedQueue  uint64 `json:"dropped_queue"`
	DroppedKernel uint64 `json:"dropped_kernel"`
	// TracePayloads counts trace intake requests, TracePayloadErrors those
	// rejected; Spans counts spans received and NewSpans those not already
	// stored under the same (trace_id, span_id).
	TracePayloads      uint64 `json:"trace_payloads"`
	TracePayloadErrors uint64 `json:"trace_payload_errors"`
	Spans              uint64 `json:"spans"`
	NewSpans           uint64 `json:"new_spans"`
}

// DatadogInfo is what the stub's GET /info advertises to tracers, in the
// shape dd-trace-go decodes. [Datadog.SetInfo] replaces it whole.
type DatadogInfo struct {
	Version                string            `json:"version"`
	GitCommit              string            `json:"git_commit"`
	Endpoints              []string          `json:"endpoints"`
	FeatureFlags           []string          `json:"feature_flags"`
	ClientDropP0s          bool              `json:"client_drop_p0s"`
	SpanMetaStructs        bool              `json:"span_meta_structs"`
	LongRunningSpans       bool              `json:"long_running_spans"`
	SpanEvents             bool              `json:"span_events"`
	EvpProxyAllowedHeaders []string          `json:"evp_proxy_allowed_headers"`
	PeerTags               []string          `json:"peer_tags"`
	ObfuscationVersion     int               `json:"obfuscation_version"`
	FilterTags             DatadogFilterTags `json:"filter_tags"`
	FilterTagsRegex        DatadogFilterTags `json:"filter_tags_regex"`
	IgnoreResources        []string          `json:"ignore_resources"`
	Config                 DatadogInfoConfig `json:"config"`
}

// DatadogFilterTags are the agent's span filters in [DatadogInfo].
type DatadogFilterTags struct {
	Require []string `json:"require"`
	Reject  []string `json:"reject"`
}

// DatadogInfoConfig is the "config" object of [DatadogInfo].
type DatadogInfoConfig struct {
	DefaultEnv             string                        `json:"default_env"`
	TargetTPS              float64                       `json:"target_tps"`
	MaxEPS                 float64                       `json:"max_eps"`
	ReceiverPort           int                           `json:"receiver_port"`
	ReceiverSocket         string                        `json:"receiver_socket"`
	ConnectionLimit        int                           `json:"connection_limit"`
	ReceiverTimeout        int                           `json:"receiver_timeout"`
	MaxRequestBytes        int64                         `json:"max_request_bytes"`
	StatsdPort             int                           `json:"statsd_port"`
	MaxMemory              float64                       `json:"max_memory"`
	MaxCPU                 float64                       `json:"max_cpu"`
	AnalyzedSpansByService map[string]map[string]float64 `json:"analyzed_spans_by_service"`
}
