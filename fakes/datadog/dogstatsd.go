package datadog

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The DogStatsD metric types.
const (
	Count        MetricType = "c"
	Gauge        MetricType = "g"
	Timing       MetricType = "ms"
	Histogram    MetricType = "h"
	Set          MetricType = "s"
	Distribution MetricType = "d"
)

// sampled reports whether values of type t are drawn from a sample, so that
// percentiles over them make sense.
func sampled(t MetricType) bool { return t == Timing || t == Histogram || t == Distribution }

// TelemetryPrefix starts the names of the metrics datadog-go sends about
// itself every 10 s. They are flagged [Metric.Telemetry] and left out of
// queries unless asked for.
const TelemetryPrefix = "datadog.dogstatsd.client."

// Transport names the socket a datagram arrived on.
const (
	TransportUDP = "udp"
	TransportUDS = "uds"
)

// maxErrorLine bounds how much of an unparsable message a ParseError keeps.
const maxErrorLine = 512

// Batch collects what datagrams held. The parser only appends to it.
type Batch struct {
	Metrics       []Metric
	Events        []Event
	ServiceChecks []ServiceCheck
	Errors        []ParseError

	// ar hands out the Values and Tags slices of the parsed items. It is
	// kept across Reset and never rewound: the items of earlier datagrams
	// (stored elsewhere by now) keep their slices.
	ar arena
}

// Reset empties b, keeping its capacity. The slices inside the items it held
// stay theirs: later parses never write to them.
func (b *Batch) Reset() {
	b.Metrics = b.Metrics[:0]
	b.Events = b.Events[:0]
	b.ServiceChecks = b.ServiceChecks[:0]
	b.Errors = b.Errors[:0]
}

// Len is the number of items in b, errors included.
func (b *Batch) Len() int {
	return len(b.Metrics) + len(b.Events) + len(b.ServiceChecks) + len(b.Errors)
}

// ParseDatagram parses every message of one DogStatsD datagram into b. A
// datagram holds messages separated by "\n" ("\r\n" accepted); empty lines
// are skipped. Each non-empty message becomes exactly one Metric, Event,
// ServiceCheck or, when malformed, ParseError: a bad message never stops the
// others from being parsed, and no input makes ParseDatagram panic.
// Received and Transport are left for the caller to stamp.
func ParseDatagram(datagram []byte, b *Batch) { parseDatagram(string(datagram), b) }

// parseDatagram is ParseDatagram of a datagram already held in a string
// (the listeners copy each datagram out of their read buffer that way).
func parseDatagram(s string, b *Batch) {
	// One string for the whole datagram: names, tags and members are
	// substrings of it; values and tag lists are carved from the batch's
	// arena, so that most datagrams allocate nothing.
	ar := &b.ar
	for len(s) > 0 {
		var line string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			line, s = s, ""
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		var err error
		switch {
		case strings.HasPrefix(line, "_e{"):
			err = parseEvent(line, b, ar)
		case strings.HasPrefix(line, "_sc|"):
			err = parseServiceCheck(line, b, ar)
		default:
			err = parseMetric(line, b)
		}
		if err != nil {
			b.Errors = append(b.Errors, ParseError{Line: truncate(line, maxErrorLine), Reason: err.Error()})
		}
	}
}

// cutByte is strings.Cut for a one-byte separator, without the general
// search's overhead: the parser cuts every field of every message.
func cutByte(s string, sep byte) (before, after string, found bool) {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// countByte is strings.Count for one byte in a short string, where a plain
// loop beats calling the vectorised count.
func countByte(s string, c byte) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
		}
	}
	return n
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// parseMetric parses "name:v[:v…]|type[|@rate][|#tags][|c:id][|e:env][|Tts][|card:x]"
// into a new element of b.Metrics, which it takes back on error.
func parseMetric(line string, b *Batch) error {
	head, rest, _ := cutByte(line, '|')
	name, vals, ok := cutByte(head, ':')
	if !ok {
		return errors.New("metric: no ':' between name and value")
	}
	if name == "" {
		return errors.New("metric: empty name")
	}
	if vals == "" {
		return fmt.Errorf("metric %s: empty value", name)
	}
	typ, rest, _ := cutByte(rest, '|')
	var t MetricType
	switch MetricType(typ) {
	case Count, Gauge, Timing, Histogram, Set, Distribution:
		t = MetricType(typ)
	case "":
		return fmt.Errorf("metric %s: missing type", name)
	default:
		return fmt.Errorf("metric %s: unknown type %q (want c, g, ms, h, s or d)", name, truncate(typ, 16))
	}
	m := Metric{Name: name, Type: t, Rate: 1, Telemetry: strings.HasPrefix(name, TelemetryPrefix), Raw: line}
	if err := parseMetricFields(&m, vals, rest, &b.ar); err != nil {
		return err
	}
	b.Metrics = append(b.Metrics, m)
	return nil
}

// parseMetricFields parses the values vals holds and the fields in rest into
// m, whose name and type are set.
func parseMetricFields(m *Metric, vals, rest string, ar *arena) error {
	name := m.Name
	if m.Type == Set {
		m.Member = vals
	} else {
		m.Values = carve(&ar.floats, countByte(vals, ':')+1)
		for more := true; more; {
			var v string
			v, vals, more = cutByte(vals, ':')
			f, err := parseFinite(v)
			if err != nil {
				return fmt.Errorf("metric %s: value: %w", name, err)
			}
			m.Values = append(m.Values, f)
		}
	}
	for rest != "" {
		var field string
		if field, rest, _ = cutByte(rest, '|'); field == "" {
			continue
		}
		switch {
		case field[0] == '@':
			r, err := parseFinite(field[1:])
			if err != nil {
				return fmt.Errorf("metric %s: sample rate: %w", name, err)
			}
			if r <= 0 {
				return fmt.Errorf("metric %s: sample rate %s: must be positive", name, field[1:])
			}
			m.Rate = r
		case field[0] == '#':
			m.Tags = ar.appendTags(m.Tags, field[1:])
		case field[0] == 'T':
			ts, err := strconv.ParseInt(field[1:], 10, 64)
			if err != nil {
				return fmt.Errorf("metric %s: timestamp %q: not an integer", name, truncate(field[1:], 32))
			}
			m.Timestamp = ts
		case strings.HasPrefix(field, "c:"):
			m.ContainerID = field[2:]
		case strings.HasPrefix(field, "e:"):
			m.ExternalEnv = field[2:]
		case strings.HasPrefix(field, "card:"):
			m.Cardinality = field[5:]
		default:
			m.Extra = append(m.Extra, field)
		}
	}
	m.Warnings = metricWarnings(m)
	return nil
}

// maxNameLen is the longest metric name or tag Datadog keeps whole.
const maxNameLen = 200

// metricWarnings lists what Datadog would do differently from what the
// message says: a name that does not start with a letter, has characters
// outside [A-Za-z0-9_.] (turned into underscores) or is over 200 characters
// (cut); a tag over 200 characters; a sample rate above 1; a "|T" timestamp
// on a type other than gauge or count (ignored by the agent).
func metricWarnings(m *Metric) []string {
	var w []string
	if c := m.Name[0]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
		w = append(w, "name does not start with a letter")
	}
	for i := 0; i < len(m.Name); i++ {
		if !nameChar[m.Name[i]] {
			w = append(w, "name has characters outside [A-Za-z0-9_.], which Datadog turns into underscores")
			break
		}
	}
	if len(m.Name) > maxNameLen {
		w = append(w, fmt.Sprintf("name is %d characters, over Datadog's %d", len(m.Name), maxNameLen))
	}
	for _, t := range m.Tags {
		if len(t) > maxNameLen {
			w = append(w, fmt.Sprintf("tag %s… is %d characters, over Datadog's %d", t[:32], len(t), maxNameLen))
		}
	}
	if m.Rate > 1 {
		w = append(w, fmt.Sprintf("sample rate %g is above 1", m.Rate))
	}
	if m.Timestamp != 0 && m.Type != Gauge && m.Type != Count {
		w = append(w, "a timestamp (|T) only applies to gauges and counts")
	}
	return w
}

// nameChar marks the bytes Datadog keeps in a metric name: [A-Za-z0-9_.].
var nameChar = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.'
	}
	return t
}()

// parseFinite parses a float and rejects NaN and infinities, which no client
// sends and JSON cannot carry.
func parseFinite(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", truncate(s, 32))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a finite number", truncate(s, 32))
	}
	return f, nil
}

// arena hands out slices of arrays shared by the items of many datagrams,
// so that parsing rarely allocates: a batch's datagrams mostly fit in the
// arrays of the ones before. No slot is handed out twice, and a slice's
// capacity ends where its slots do, so appending past it reallocates rather
// than overwrite a neighbour. A new array is twice the size of the last, up
// to maxArenaChunk, so that a batch used for one small datagram stays small.
type arena struct {
	floats []float64
	strs   []string
	// split maps the tag lists split lately to their tags: a service's
	// messages mostly repeat a few dozen lists, and an equal list shares
	// the split (sparing the garbage collector the copies). It is emptied
	// when it reaches maxSplitLists.
	split map[string][]string
}

// maxSplitLists bounds the tag lists an [arena] remembers.
const maxSplitLists = 64

// minArenaChunk and maxArenaChunk bound the number of items in one array of
// an [arena].
const (
	minArenaChunk = 8
	maxArenaChunk = 256
)

// carve returns an empty slice with room for n items from the unused end of
// *chunk, or from a new array when *chunk has not room enough.
func carve[T any](chunk *[]T, n int) []T {
	l := len(*chunk)
	if cap(*chunk)-l < n {
		*chunk, l = make([]T, 0, max(n, min(max(2*cap(*chunk), minArenaChunk), maxArenaChunk))), 0
	}
	*chunk = (*chunk)[:l+n]
	return (*chunk)[l : l : l+n]
}

// appendTags appends the non-empty tags of a comma-separated list to tags.
// A first list gets a slice from the arena with room for all of them; a
// second "#" field appends to it, reallocating once past its room.
//
// A first list equal to one split lately shares its tags, full to capacity
// so that a second "#" field reallocates rather than writes into them.
func (a *arena) appendTags(tags []string, list string) []string {
	first := tags == nil
	if first {
		if tags, ok := a.split[list]; ok {
			return tags
		}
		tags = carve(&a.strs, countByte(list, ',')+1)
	}
	whole := list
	for list != "" {
		var t string
		if t, list, _ = cutByte(list, ','); t != "" {
			tags = append(tags, t)
		}
	}
	if first && len(tags) > 0 {
		if a.split == nil {
			a.split = make(map[string][]string, maxSplitLists)
		} else if len(a.split) == maxSplitLists {
			clear(a.split)
		}
		a.split[whole] = tags[:len(tags):len(tags)]
	}
	return tags
}

// parseEvent parses "_e{<title len>,<text len>}:<title>|<text>[|fields…]".
// The lengths are byte lengths of the title and of the escaped text.
func parseEvent(line string, b *Batch, ar *arena) error {
	header, body, ok := strings.Cut(line[len("_e{"):], "}:")
	if !ok {
		return errors.New("event: no '}:' after the lengths")
	}
	tl, xl, ok := strings.Cut(header, ",")
	if !ok {
		return fmt.Errorf("event: lengths %q: want {<title>,<text>}", truncate(header, 32))
	}
	titleLen, err1 := strconv.Atoi(tl)
	textLen, err2 := strconv.Atoi(xl)
	if err1 != nil || err2 != nil || titleLen < 0 || textLen < 0 {
		return fmt.Errorf("event: lengths %q: not two non-negative integers", truncate(header, 32))
	}
	if titleLen == 0 {
		return errors.New("event: empty title")
	}
	// title | text [| fields]
	if titleLen > len(body) || titleLen+1+textLen > len(body) || body[titleLen] != '|' {
		return fmt.Errorf("event: title and text lengths %d,%d do not match the %d bytes that follow", titleLen, textLen, len(body))
	}
	e := Event{
		Raw:   line,
		Title: body[:titleLen],
		Text:  strings.ReplaceAll(body[titleLen+1:titleLen+1+textLen], `\n`, "\n"),
	}
	rest := body[titleLen+1+textLen:]
	if rest != "" && rest[0] != '|' {
		return fmt.Errorf("event %s: text longer than its declared length %d", truncate(e.Title, 64), textLen)
	}
	for rest != "" {
		var field string
		if field, rest, _ = cutByte(rest, '|'); field == "" {
			continue
		}
		var err error
		switch {
		case strings.HasPrefix(field, "d:"):
			e.Timestamp, err = strconv.ParseInt(field[2:], 10, 64)
			if err != nil {
				return fmt.Errorf("event %s: date %q: not an integer", truncate(e.Title, 64), truncate(field[2:], 32))
			}
		case strings.HasPrefix(field, "h:"):
			e.Host = field[2:]
		case strings.HasPrefix(field, "k:"):
			e.AggregationKey = field[2:]
		case strings.HasPrefix(field, "p:"):
			e.Priority = field[2:]
		case strings.HasPrefix(field, "s:"):
			e.SourceType = field[2:]
		case strings.HasPrefix(field, "t:"):
			e.AlertType = field[2:]
		case field[0] == '#':
			e.Tags = ar.appendTags(e.Tags, field[1:])
		case strings.HasPrefix(field, "c:"):
			e.ContainerID = field[2:]
		case strings.HasPrefix(field, "e:"):
			e.ExternalEnv = field[2:]
		case strings.HasPrefix(field, "card:"):
			e.Cardinality = field[5:]
		default:
			e.Extra = append(e.Extra, field)
		}
	}
	b.Events = append(b.Events, e)
	return nil
}

// parseServiceCheck parses "_sc|<name>|<status>[|d:ts][|h:host][|#tags][|m:msg][|c:id][|e:env]".
func parseServiceCheck(line string, b *Batch, ar *arena) error {
	rest := line[len("_sc|"):]
	name, rest, _ := cutByte(rest, '|')
	if name == "" {
		return errors.New("service check: empty name")
	}
	status, rest, _ := cutByte(rest, '|')
	st, err := strconv.Atoi(status)
	if err != nil || st < 0 || st > 3 {
		return fmt.Errorf("service check %s: status %q: want 0, 1, 2 or 3", name, truncate(status, 16))
	}
	sc := ServiceCheck{Name: name, Status: st, Raw: line}
	for rest != "" {
		var field string
		if field, rest, _ = cutByte(rest, '|'); field == "" {
			continue
		}
		switch {
		case strings.HasPrefix(field, "d:"):
			sc.Timestamp, err = strconv.ParseInt(field[2:], 10, 64)
			if err != nil {
				return fmt.Errorf("service check %s: date %q: not an integer", name, truncate(field[2:], 32))
			}
		case strings.HasPrefix(field, "h:"):
			sc.Host = field[2:]
		case field[0] == '#':
			sc.Tags = ar.appendTags(sc.Tags, field[1:])
		case strings.HasPrefix(field, "m:"):
			sc.Message = unescapeServiceCheckMessage(field[2:])
		case strings.HasPrefix(field, "c:"):
			sc.ContainerID = field[2:]
		case strings.HasPrefix(field, "e:"):
			sc.ExternalEnv = field[2:]
		case strings.HasPrefix(field, "card:"):
			sc.Cardinality = field[5:]
		default:
			sc.Extra = append(sc.Extra, field)
		}
	}
	b.ServiceChecks = append(b.ServiceChecks, sc)
	return nil
}

// unescapeServiceCheckMessage undoes datadog-go's escaping of a service check
// message: "\\n" is a newline and "m\\:" is "m:".
func unescapeServiceCheckMessage(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	s = strings.ReplaceAll(s, `m\:`, "m:")
	return strings.ReplaceAll(s, `\n`, "\n")
}
