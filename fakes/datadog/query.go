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
func inWindow(w Window, t, now time.Time) bool {
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

func keepMetric(q MetricQuery, now time.Time) func(*Metric) bool {
	telemetry := q.Telemetry || strings.HasPrefix(q.Name, TelemetryPrefix)
	return func(m *Metric) bool {
		return (telemetry || !m.Telemetry) &&
			(q.Type == "" || q.Type == m.Type) &&
			(q.ContainerID == "" || q.ContainerID == m.ContainerID) &&
			matchName(q.Name, m.Name) &&
			hasTags(m.Tags, q.Tags) &&
			inWindow(q.Window, m.Received, now)
	}
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
	g.sampled = g.sampled && sampled(m.Type)
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

func keepEvent(q EventQuery, now time.Time) func(*Event) bool {
	return func(e *Event) bool {
		return matchName(q.Title, e.Title) &&
			(q.AlertType == "" || q.AlertType == e.AlertType) &&
			(q.SourceType == "" || q.SourceType == e.SourceType) &&
			hasTags(e.Tags, q.Tags) &&
			inWindow(q.Window, e.Received, now)
	}
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

func keepServiceCheck(q ServiceCheckQuery, now time.Time) func(*ServiceCheck) bool {
	return func(c *ServiceCheck) bool {
		return matchName(q.Name, c.Name) &&
			(q.Status == nil || *q.Status == c.Status) &&
			hasTags(c.Tags, q.Tags) &&
			inWindow(q.Window, c.Received, now)
	}
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

func keepSpan(q SpanQuery, now time.Time) func(*Span) bool {
	return func(s *Span) bool {
		return (q.Service == "" || q.Service == s.Service) &&
			matchName(q.Name, s.Name) &&
			matchName(q.Resource, s.Resource) &&
			(q.TraceID == 0 || q.TraceID == s.TraceID) &&
			(q.Error == nil || *q.Error == (s.Error != 0)) &&
			inWindow(q.Window, s.Received, now)
	}
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
