package datadog

import (
	"sync"
	"time"
)

// Store keeps what the stub received. Implementations must be safe for
// concurrent use. Items are kept in arrival order and returned in it; a store
// may forget old items (bounded capacity, retention window), never reorder
// them.
type Store interface {
	AddMetrics([]Metric)
	AddEvents([]Event)
	AddServiceChecks([]ServiceCheck)
	AddParseErrors([]ParseError)
	// AddSpans stores the spans not already stored under the same
	// (TraceID, SpanID), as the agent dedupes retried payloads, and returns
	// how many were new.
	AddSpans([]Span) int
	AddPayload(Payload)

	// The readers return copies of the stored items for which keep returns
	// true (keep nil keeps all), oldest first.
	Metrics(keep func(*Metric) bool) []Metric
	Events(keep func(*Event) bool) []Event
	ServiceChecks(keep func(*ServiceCheck) bool) []ServiceCheck
	ParseErrors(keep func(*ParseError) bool) []ParseError
	Spans(keep func(*Span) bool) []Span
	Payloads(keep func(*Payload) bool) []Payload

	// Reset forgets everything.
	Reset()
}

// Limits bounds a [MemoryStore]: the number of items of each kind it keeps
// (the oldest go first) and how long it keeps them.
type Limits struct {
	Metrics       int
	Events        int
	ServiceChecks int
	ParseErrors   int
	Spans         int
	Payloads      int
	// Retention is how long an item is kept after it was received; zero
	// keeps items until capacity pushes them out.
	Retention time.Duration
}

// DefaultLimits keep the last 15 minutes (fakeintake's retention) of a busy
// service. Memory grows with what is kept: 100,000 metrics of a typical
// datadog-go shape hold about 50 MB.
var DefaultLimits = Limits{
	Metrics:       100_000,
	Events:        10_000,
	ServiceChecks: 10_000,
	ParseErrors:   1_000,
	Spans:         100_000,
	Payloads:      10_000,
	Retention:     15 * time.Minute,
}

// MemoryStore is the in-memory [Store]: one bounded ring per kind of item.
type MemoryStore struct {
	now       func() time.Time
	retention time.Duration

	mu       sync.Mutex
	metrics  ring[Metric]
	events   ring[Event]
	checks   ring[ServiceCheck]
	errors   ring[ParseError]
	spans    ring[Span]
	payloads ring[Payload]
	spanKeys map[spanKey]int // how many stored spans carry the key
}

type spanKey struct{ trace, span uint64 }

// NewMemoryStore returns an empty store bounded by limits (a zero or
// negative capacity falls back to the [DefaultLimits] one) that reads the
// time from now (nil means time.Now) to apply the retention window.
func NewMemoryStore(limits Limits, now func() time.Time) *MemoryStore {
	def := func(n, d int) int {
		if n <= 0 {
			return d
		}
		return n
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{
		now:       now,
		retention: limits.Retention,
		metrics:   newRing[Metric](def(limits.Metrics, DefaultLimits.Metrics)),
		events:    newRing[Event](def(limits.Events, DefaultLimits.Events)),
		checks:    newRing[ServiceCheck](def(limits.ServiceChecks, DefaultLimits.ServiceChecks)),
		errors:    newRing[ParseError](def(limits.ParseErrors, DefaultLimits.ParseErrors)),
		spans:     newRing[Span](def(limits.Spans, DefaultLimits.Spans)),
		payloads:  newRing[Payload](def(limits.Payloads, DefaultLimits.Payloads)),
		spanKeys:  map[spanKey]int{},
	}
}

// AddMetrics implements [Store].
func (s *MemoryStore) AddMetrics(ms []Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range ms {
		s.metrics.push(m)
	}
}

// AddEvents implements [Store].
func (s *MemoryStore) AddEvents(es []Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range es {
		s.events.push(e)
	}
}

// AddServiceChecks implements [Store].
func (s *MemoryStore) AddServiceChecks(cs []ServiceCheck) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		s.checks.push(c)
	}
}

// AddParseErrors implements [Store].
func (s *MemoryStore) AddParseErrors(es []ParseError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range es {
		s.errors.push(e)
	}
}

// AddPayload implements [Store].
func (s *MemoryStore) AddPayload(p Payload) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.payloads.push(p)
}

// AddSpans implements [Store].
func (s *MemoryStore) AddSpans(spans []Span) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	added := 0
	for _, sp := range spans {
		k := spanKey{sp.TraceID, sp.SpanID}
		if s.spanKeys[k] > 0 {
			continue
		}
		if old, ok := s.spans.push(sp); ok {
			s.forgetSpan(old)
		}
		s.spanKeys[k]++
		added++
	}
	return added
}

func (s *MemoryStore) forgetSpan(sp Span) {
	k := spanKey{sp.TraceID, sp.SpanID}
	if s.spanKeys[k] <= 1 {
		delete(s.spanKeys, k)
		return
	}
	s.spanKeys[k]--
}

// expire drops the items older than the retention window. Items arrive in
// time order, so the old ones are at the front of each ring.
func (s *MemoryStore) expire() {
	if s.retention <= 0 {
		return
	}
	cutoff := s.now().Add(-s.retention)
	s.metrics.dropWhile(func(m *Metric) bool { return m.Received.Before(cutoff) })
	s.events.dropWhile(func(e *Event) bool { return e.Received.Before(cutoff) })
	s.checks.dropWhile(func(c *ServiceCheck) bool { return c.Received.Before(cutoff) })
	s.errors.dropWhile(func(e *ParseError) bool { return e.Received.Before(cutoff) })
	s.payloads.dropWhile(func(p *Payload) bool { return p.Received.Before(cutoff) })
	s.spans.dropWhile(func(sp *Span) bool {
		if !sp.Received.Before(cutoff) {
			return false
		}
		s.forgetSpan(*sp)
		return true
	})
}

// Metrics implements [Store].
func (s *MemoryStore) Metrics(keep func(*Metric) bool) []Metric {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	return s.metrics.collect(keep)
}

// Events implements [Store].
func (s *MemoryStore) Events(keep func(*Event) bool) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	return s.events.collect(keep)
}

// ServiceChecks implements [Store].
func (s *MemoryStore) ServiceChecks(keep func(*ServiceCheck) bool) []ServiceCheck {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	return s.checks.collect(keep)
}

// ParseErrors implements [Store].
func (s *MemoryStore) ParseErrors(keep func(*ParseError) bool) []ParseError {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	return s.errors.collect(keep)
}

// Spans implements [Store].
func (s *MemoryStore) Spans(keep func(*Span) bool) []Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	return s.spans.collect(keep)
}

// Payloads implements [Store].
func (s *MemoryStore) Payloads(keep func(*Payload) bool) []Payload {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	return s.payloads.collect(keep)
}

// Reset implements [Store].
func (s *MemoryStore) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metrics.clear()
	s.events.clear()
	s.checks.clear()
	s.errors.clear()
	s.spans.clear()
	s.payloads.clear()
	clear(s.spanKeys)
}

// ring is a bounded FIFO that overwrites its oldest item when full. Its
// buffer grows on demand up to max items.
type ring[T any] struct {
	buf   []T
	max   int
	start int // index of the oldest item
	n     int
}

func newRing[T any](capacity int) ring[T] { return ring[T]{max: capacity} }

// push appends v, returning the item it pushed out when the ring was full.
func (r *ring[T]) push(v T) (old T, evicted bool) {
	c := r.max
	if len(r.buf) < c { // still growing towards capacity; items are contiguous
		r.buf = append(r.buf, v)
		r.n++
		return old, false
	}
	if r.n < c {
		r.buf[(r.start+r.n)%c] = v
		r.n++
		return old, false
	}
	old = r.buf[r.start]
	r.buf[r.start] = v
	r.start = (r.start + 1) % c
	return old, true
}

func (r *ring[T]) at(i int) *T { return &r.buf[(r.start+i)%len(r.buf)] }

// dropWhile removes items from the front while drop returns true.
func (r *ring[T]) dropWhile(drop func(*T) bool) {
	var zero T
	for r.n > 0 && drop(r.at(0)) {
		*r.at(0) = zero
		r.start = (r.start + 1) % len(r.buf)
		r.n--
	}
	if r.n == 0 { // start over, so that growing appends stay contiguous
		r.buf = r.buf[:0]
		r.start = 0
	}
}

func (r *ring[T]) collect(keep func(*T) bool) []T {
	var out []T
	for i := range r.n {
		if v := r.at(i); keep == nil || keep(v) {
			out = append(out, *v)
		}
	}
	return out
}

func (r *ring[T]) clear() {
	r.buf = nil // release the memory
	r.start, r.n = 0, 0
}
