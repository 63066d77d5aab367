package datadog

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Window selects items by the time the stub received them. Since and Until
// bound it (zero means unbounded); Last, when set, means "the Last before
// now" and overrides Since.
type Window struct {
	Since time.Time
	Until time.Time
	Last  time.Duration
}

// windowKeys are the query parameters of a Window, known to every query.
var windowKeys = []string{"since", "until", "last"}

// checkKeys rejects a query parameter outside known and the window's: a
// misspelt filter ("tags=" for "tag=") would otherwise be ignored and widen
// the result, and a test asserting on it could pass for the wrong reason.
func checkKeys(v url.Values, known ...string) error {
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if !slices.Contains(known, k) && !slices.Contains(windowKeys, k) {
			all := append(slices.Clone(known), windowKeys...)
			return fmt.Errorf("unknown parameter %s (known: %s)", k, strings.Join(all, ", "))
		}
	}
	return nil
}

func decodeWindow(v url.Values) (Window, error) {
	var w Window
	var err error
	if s := v.Get("since"); s != "" {
		if w.Since, err = parseTime(s); err != nil {
			return w, fmt.Errorf("since: %w", err)
		}
	}
	if s := v.Get("until"); s != "" {
		if w.Until, err = parseTime(s); err != nil {
			return w, fmt.Errorf("until: %w", err)
		}
	}
	if s := v.Get("last"); s != "" {
		if w.Last, err = time.ParseDuration(s); err != nil || w.Last <= 0 {
			return w, fmt.Errorf("last: %q is not a positive duration such as 30s", s)
		}
	}
	return w, nil
}

// parseTime accepts RFC 3339 or Unix seconds (with a fraction).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor Unix seconds", s)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// contains reports whether t falls in w, given the current time.
func (w Window) contains(t, now time.Time) bool {
	since := w.Since
	if w.Last > 0 {
		since = now.Add(-w.Last)
	}
	if !since.IsZero() && t.Before(since) {
		return false
	}
	return w.Until.IsZero() || !t.After(w.Until)
}

// matchName matches a name against a pattern: exact, or a glob where *
// stands for any run of characters ("http.*"). The empty pattern matches all.
func matchName(pattern, name string) bool {
	if pattern == "" || pattern == name {
		return true
	}
	if !strings.ContainsAny(pattern, "*?[") {
		return false
	}
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

// hasTags reports whether every wanted tag is among tags. A wanted tag
// "key:value" needs that exact tag, "key:*" or "key" any value of the key.
func hasTags(tags, want []string) bool {
	for _, w := range want {
		key, anyValue := strings.CutSuffix(w, ":*")
		found := false
		for _, t := range tags {
			if t == w || (anyValue || !strings.Contains(w, ":")) && (t == key || strings.HasPrefix(t, key+":")) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
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
	// Telemetry includes datadog-go's own datadog.dogstatsd.client.* metrics,
	// which are left out otherwise (unless Name asks for them).
	Telemetry bool
	// NoPoints leaves the individual messages out of the result, only the
	// aggregates are returned.
	NoPoints bool
}

// ParseMetricQuery decodes the query string of GET /_devenv/metrics.
func ParseMetricQuery(v url.Values) (MetricQuery, error) {
	q := MetricQuery{Name: v.Get("name"), Tags: v["tag"], Type: MetricType(v.Get("type")), ContainerID: v.Get("container_id")}
	if err := checkKeys(v, "name", "tag", "type", "container_id", "telemetry", "points"); err != nil {
		return q, err
	}
	switch q.Type {
	case "", Count, Gauge, Timing, Histogram, Set, Distribution:
	default:
		return q, fmt.Errorf("type: %q is not one of c, g, ms, h, s, d", q.Type)
	}
	var err error
	if q.Telemetry, err = parseBool(v, "telemetry", false); err != nil {
		return q, err
	}
	points, err := parseBool(v, "points", true)
	if err != nil {
		return q, err
	}
	q.NoPoints = !points
	q.Window, err = decodeWindow(v)
	return q, err
}

func parseBool(v url.Values, key string, def bool) (bool, error) {
	s := v.Get(key)
	if s == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return def, fmt.Errorf("%s: %q is not true or false", key, s)
	}
	return b, nil
}

func (q MetricQuery) keep(now time.Time) func(*Metric) bool {
	telemetry := q.Telemetry || strings.HasPrefix(q.Name, TelemetryPrefix)
	return func(m *Metric) bool {
		return (telemetry || !m.Telemetry) &&
			(q.Type == "" || q.Type == m.Type) &&
			(q.ContainerID == "" || q.ContainerID == m.ContainerID) &&
			matchName(q.Name, m.Name) &&
			hasTags(m.Tags, q.Tags) &&
			q.Window.contains(m.Received, now)
	}
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
	// Overflow says Sum or ScaledSum went past the range of a float64 (the
	// values are finite, their sum is not); the sum is then held at
	// ±math.MaxFloat64, since JSON has no infinity.
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
	// Points are the matching messages, oldest first.
	Points []Metric `json:"points,omitempty"`
	// Series aggregates the points per context, sorted by name, type, tags.
	Series []Series `json:"series"`
	// Total aggregates every matching point.
	Total Aggregate `json:"total"`
}

// aggregator accumulates values into an Aggregate.
type aggregator struct {
	a       Aggregate
	values  []float64
	members map[string]struct{}
	sampled bool
}

func newAggregator() *aggregator { return &aggregator{sampled: true, members: map[string]struct{}{}} }

func (g *aggregator) add(m *Metric) {
	g.a.Messages++
	g.sampled = g.sampled && m.Type.sampled()
	if m.Type == Set {
		g.members[m.Member] = struct{}{}
		return
	}
	for _, v := range m.Values {
		if g.a.Count == 0 || v < g.a.Min {
			g.a.Min = v
		}
		if g.a.Count == 0 || v > g.a.Max {
			g.a.Max = v
		}
		g.a.Count++
		g.a.Sum = g.saturate(g.a.Sum + v)
		g.a.ScaledSum = g.saturate(g.a.ScaledSum + v/m.Rate)
		g.a.Last = v
		g.values = append(g.values, v)
	}
}

// saturate holds an infinite sum at the largest finite float64 of its sign
// and records the overflow.
func (g *aggregator) saturate(sum float64) float64 {
	if !math.IsInf(sum, 0) {
		return sum
	}
	g.a.Overflow = true
	return math.Copysign(math.MaxFloat64, sum)
}

func (g *aggregator) result() Aggregate {
	a := g.a
	if a.Count > 0 {
		a.Avg = a.Sum / float64(a.Count)
	}
	if len(g.members) > 0 {
		a.Members = make([]string, 0, len(g.members))
		for m := range g.members {
			a.Members = append(a.Members, m)
		}
		slices.Sort(a.Members)
		a.Distinct = len(a.Members)
	}
	if g.sampled && len(g.values) > 0 {
		v := slices.Clone(g.values)
		slices.Sort(v)
		a.Percentiles = map[string]float64{}
		for _, p := range []int{50, 75, 90, 95, 99} {
			rank := int(math.Ceil(float64(p) / 100 * float64(len(v))))
			a.Percentiles["p"+strconv.Itoa(p)] = v[max(rank-1, 0)]
		}
	}
	return a
}

// aggregateMetrics builds the result of a query over the matching points.
func aggregateMetrics(points []Metric, withPoints bool) MetricsResult {
	total := newAggregator()
	type ctx struct {
		name, typ, tags string
	}
	series := map[ctx]*aggregator{}
	var order []ctx
	tagsOf := map[ctx][]string{}
	for i := range points {
		m := &points[i]
		total.add(m)
		tags := slices.Clone(m.Tags)
		slices.Sort(tags)
		k := ctx{m.Name, string(m.Type), strings.Join(tags, ",")}
		g, ok := series[k]
		if !ok {
			g = newAggregator()
			series[k] = g
			order = append(order, k)
			tagsOf[k] = tags
		}
		g.add(m)
	}
	slices.SortFunc(order, func(a, b ctx) int {
		return strings.Compare(a.name+"\x00"+a.typ+"\x00"+a.tags, b.name+"\x00"+b.typ+"\x00"+b.tags)
	})
	res := MetricsResult{Series: make([]Series, 0, len(order)), Total: total.result()}
	for _, k := range order {
		res.Series = append(res.Series, Series{Name: k.name, Type: MetricType(k.typ), Tags: tagsOf[k], Aggregate: series[k].result()})
	}
	if withPoints {
		res.Points = points
	}
	return res
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

// ParseEventQuery decodes the query string of GET /_devenv/events.
func ParseEventQuery(v url.Values) (EventQuery, error) {
	q := EventQuery{Title: v.Get("title"), Tags: v["tag"], AlertType: v.Get("alert_type"), SourceType: v.Get("source_type")}
	if err := checkKeys(v, "title", "tag", "alert_type", "source_type"); err != nil {
		return q, err
	}
	var err error
	q.Window, err = decodeWindow(v)
	return q, err
}

func (q EventQuery) keep(now time.Time) func(*Event) bool {
	return func(e *Event) bool {
		return matchName(q.Title, e.Title) &&
			(q.AlertType == "" || q.AlertType == e.AlertType) &&
			(q.SourceType == "" || q.SourceType == e.SourceType) &&
			hasTags(e.Tags, q.Tags) &&
			q.Window.contains(e.Received, now)
	}
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

// ParseServiceCheckQuery decodes the query string of GET /_devenv/service_checks.
func ParseServiceCheckQuery(v url.Values) (ServiceCheckQuery, error) {
	q := ServiceCheckQuery{Name: v.Get("name"), Tags: v["tag"]}
	if err := checkKeys(v, "name", "tag", "status"); err != nil {
		return q, err
	}
	if s := v.Get("status"); s != "" {
		st, err := strconv.Atoi(s)
		if err != nil || st < 0 || st > 3 {
			return q, fmt.Errorf("status: %q is not 0, 1, 2 or 3", s)
		}
		q.Status = &st
	}
	var err error
	q.Window, err = decodeWindow(v)
	return q, err
}

func (q ServiceCheckQuery) keep(now time.Time) func(*ServiceCheck) bool {
	return func(c *ServiceCheck) bool {
		return matchName(q.Name, c.Name) &&
			(q.Status == nil || *q.Status == c.Status) &&
			hasTags(c.Tags, q.Tags) &&
			q.Window.contains(c.Received, now)
	}
}

// SpanQuery selects spans. Every set field must match.
type SpanQuery struct {
	Service string
	// Name and Resource are exact or globs.
	Name     string
	Resource string
	TraceID  uint64
	// Error, when not nil, selects spans with (true) or without (false) an error.
	Error  *bool
	Window Window
}

// ParseSpanQuery decodes the query string of GET /_devenv/spans and /_devenv/traces.
func ParseSpanQuery(v url.Values) (SpanQuery, error) {
	q := SpanQuery{Service: v.Get("service"), Name: v.Get("name"), Resource: v.Get("resource")}
	if err := checkKeys(v, "service", "name", "resource", "trace_id", "error"); err != nil {
		return q, err
	}
	if s := v.Get("trace_id"); s != "" {
		id, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return q, fmt.Errorf("trace_id: %q is not an unsigned decimal integer", s)
		}
		q.TraceID = id
	}
	if v.Get("error") != "" {
		e, err := parseBool(v, "error", false)
		if err != nil {
			return q, err
		}
		q.Error = &e
	}
	var err error
	q.Window, err = decodeWindow(v)
	return q, err
}

func (q SpanQuery) keep(now time.Time) func(*Span) bool {
	return func(s *Span) bool {
		return (q.Service == "" || q.Service == s.Service) &&
			matchName(q.Name, s.Name) &&
			matchName(q.Resource, s.Resource) &&
			(q.TraceID == 0 || q.TraceID == s.TraceID) &&
			(q.Error == nil || *q.Error == (s.Error != 0)) &&
			q.Window.contains(s.Received, now)
	}
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

// groupTraces groups spans by trace id, in order of first arrival, and checks
// that every parent is present.
func groupTraces(spans []Span) []Trace {
	idx := map[uint64]int{}
	var out []Trace
	for _, s := range spans {
		i, ok := idx[s.TraceID]
		if !ok {
			i = len(out)
			idx[s.TraceID] = i
			out = append(out, Trace{TraceID: s.TraceID})
		}
		out[i].Spans = append(out[i].Spans, s)
	}
	for i := range out {
		ids := map[uint64]bool{}
		for _, s := range out[i].Spans {
			ids[s.SpanID] = true
		}
		for _, s := range out[i].Spans {
			switch {
			case s.ParentID == 0:
				out[i].Root = s.SpanID
			case !ids[s.ParentID]:
				out[i].Orphans = append(out[i].Orphans, s.SpanID)
			}
		}
	}
	return out
}
