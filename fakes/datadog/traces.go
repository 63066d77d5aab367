package datadog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// DecodeTracesV04 decodes a /v0.4/traces msgpack body: an array of traces,
// each an array of span maps. Like the agent it accepts any msgpack integer
// width (and floats) for numeric fields, nil for any field, and skips unknown
// keys; it rejects anything else with an error naming the trace and span.
func DecodeTracesV04(body []byte) ([][]Span, error) {
	d := msgpack.NewDecoder(bytes.NewReader(body))
	n, err := d.DecodeArrayLen()
	if err != nil {
		return nil, fmt.Errorf("decode traces: %w", err)
	}
	traces := make([][]Span, 0, capHint(n))
	for i := range max(n, 0) {
		m, err := d.DecodeArrayLen()
		if err != nil {
			return nil, fmt.Errorf("decode trace %d: %w", i, err)
		}
		trace := make([]Span, 0, capHint(m))
		for j := range max(m, 0) {
			sp, err := decodeSpanV04(d)
			if err != nil {
				return nil, fmt.Errorf("decode trace %d span %d: %w", i, j, err)
			}
			trace = append(trace, sp)
		}
		traces = append(traces, trace)
	}
	if d.Buffered().(*bytes.Reader).Len() > 0 {
		return nil, errors.New("decode traces: trailing bytes after the array of traces")
	}
	return traces, nil
}

// capHint bounds a preallocation taken from untrusted input.
func capHint(n int) int { return min(max(n, 0), 1024) }

func decodeSpanV04(d *msgpack.Decoder) (Span, error) {
	var sp Span
	n, err := d.DecodeMapLen()
	if err != nil {
		return sp, err
	}
	for range max(n, 0) {
		key, err := d.DecodeString()
		if err != nil {
			return sp, fmt.Errorf("key: %w", err)
		}
		switch key {
		case "service":
			sp.Service, err = decodeStr(d)
		case "name":
			sp.Name, err = decodeStr(d)
		case "resource":
			sp.Resource, err = decodeStr(d)
		case "type":
			sp.Type, err = decodeStr(d)
		case "trace_id":
			sp.TraceID, err = decodeUint(d)
		case "span_id":
			sp.SpanID, err = decodeUint(d)
		case "parent_id":
			sp.ParentID, err = decodeUint(d)
		case "start":
			sp.Start, err = decodeInt(d)
		case "duration":
			sp.Duration, err = decodeInt(d)
		case "error":
			var e int64
			e, err = decodeInt(d)
			sp.Error = int32(e)
		case "meta":
			sp.Meta, err = decodeStrMap(d)
		case "metrics":
			sp.Metrics, err = decodeFloatMap(d)
		case "meta_struct":
			sp.MetaStruct, err = decodeBytesMap(d)
		case "span_links":
			sp.SpanLinks, err = decodeAnySlice(d)
		case "span_events":
			sp.SpanEvents, err = decodeAnySlice(d)
		default:
			err = skip(d)
		}
		if err != nil {
			return sp, fmt.Errorf("%s: %w", key, err)
		}
	}
	return sp, nil
}

// DecodeTracesV05 decodes a /v0.5/traces body: a two-element array of a
// string table and the traces, where every span is a 12-element array
// (service, name, resource, trace_id, span_id, parent_id, start, duration,
// error, meta, metrics, type) whose strings are indexes into the table.
func DecodeTracesV05(body []byte) ([][]Span, error) {
	d := msgpack.NewDecoder(bytes.NewReader(body))
	n, err := d.DecodeArrayLen()
	if err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	if n != 2 {
		return nil, fmt.Errorf("decode payload: want an array of 2 (strings, traces), got %d elements", n)
	}
	ns, err := d.DecodeArrayLen()
	if err != nil {
		return nil, fmt.Errorf("decode string table: %w", err)
	}
	strs := make([]string, 0, capHint(ns))
	for i := range max(ns, 0) {
		s, err := decodeStr(d)
		if err != nil {
			return nil, fmt.Errorf("decode string table entry %d: %w", i, err)
		}
		strs = append(strs, s)
	}
	str := func(field string) (string, error) {
		i, err := decodeUint(d)
		if err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		if i >= uint64(len(strs)) {
			return "", fmt.Errorf("%s: string index %d out of a table of %d", field, i, len(strs))
		}
		return strs[i], nil
	}
	nt, err := d.DecodeArrayLen()
	if err != nil {
		return nil, fmt.Errorf("decode traces: %w", err)
	}
	traces := make([][]Span, 0, capHint(nt))
	for i := range max(nt, 0) {
		m, err := d.DecodeArrayLen()
		if err != nil {
			return nil, fmt.Errorf("decode trace %d: %w", i, err)
		}
		trace := make([]Span, 0, capHint(m))
		for j := range max(m, 0) {
			sp, err := decodeSpanV05(d, str)
			if err != nil {
				return nil, fmt.Errorf("decode trace %d span %d: %w", i, j, err)
			}
			trace = append(trace, sp)
		}
		traces = append(traces, trace)
	}
	if d.Buffered().(*bytes.Reader).Len() > 0 {
		return nil, errors.New("decode payload: trailing bytes after the payload")
	}
	return traces, nil
}

func decodeSpanV05(d *msgpack.Decoder, str func(string) (string, error)) (Span, error) {
	var sp Span
	n, err := d.DecodeArrayLen()
	if err != nil {
		return sp, err
	}
	if n != 12 {
		return sp, fmt.Errorf("want an array of 12 fields, got %d", n)
	}
	if sp.Service, err = str("service"); err != nil {
		return sp, err
	}
	if sp.Name, err = str("name"); err != nil {
		return sp, err
	}
	if sp.Resource, err = str("resource"); err != nil {
		return sp, err
	}
	for _, f := range []struct {
		name string
		dst  *uint64
	}{{"trace_id", &sp.TraceID}, {"span_id", &sp.SpanID}, {"parent_id", &sp.ParentID}} {
		if *f.dst, err = decodeUint(d); err != nil {
			return sp, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if sp.Start, err = decodeInt(d); err != nil {
		return sp, fmt.Errorf("start: %w", err)
	}
	if sp.Duration, err = decodeInt(d); err != nil {
		return sp, fmt.Errorf("duration: %w", err)
	}
	e, err := decodeInt(d)
	if err != nil {
		return sp, fmt.Errorf("error: %w", err)
	}
	sp.Error = int32(e)
	nm, err := d.DecodeMapLen()
	if err != nil {
		return sp, fmt.Errorf("meta: %w", err)
	}
	if nm > 0 {
		sp.Meta = make(map[string]string, capHint(nm))
	}
	for range max(nm, 0) {
		k, err := str("meta key")
		if err != nil {
			return sp, err
		}
		v, err := str("meta value")
		if err != nil {
			return sp, err
		}
		sp.Meta[k] = v
	}
	nx, err := d.DecodeMapLen()
	if err != nil {
		return sp, fmt.Errorf("metrics: %w", err)
	}
	if nx > 0 {
		sp.Metrics = make(map[string]float64, capHint(nx))
	}
	for range max(nx, 0) {
		k, err := str("metrics key")
		if err != nil {
			return sp, err
		}
		v, err := decodeFloat(d)
		if err != nil {
			return sp, fmt.Errorf("metrics %s: %w", k, err)
		}
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			sp.Metrics[k] = v
		}
	}
	if sp.Type, err = str("type"); err != nil {
		return sp, err
	}
	return sp, nil
}

// decodeStr reads a str, a bin or nil (as "").
func decodeStr(d *msgpack.Decoder) (string, error) {
	return d.DecodeString()
}

// decodeUint reads any integer, a float or nil (as 0) as a uint64, the way
// the agent accepts ids.
func decodeUint(d *msgpack.Decoder) (uint64, error) {
	c, err := d.PeekCode()
	if err != nil {
		return 0, err
	}
	if c == msgpcode.Float || c == msgpcode.Double {
		f, err := d.DecodeFloat64()
		return uint64(f), err
	}
	return d.DecodeUint64()
}

// decodeInt reads any integer, a float or nil (as 0) as an int64.
func decodeInt(d *msgpack.Decoder) (int64, error) {
	c, err := d.PeekCode()
	if err != nil {
		return 0, err
	}
	if c == msgpcode.Float || c == msgpcode.Double {
		f, err := d.DecodeFloat64()
		return int64(f), err
	}
	return d.DecodeInt64()
}

// decodeFloat reads a float, any integer or nil (as 0) as a float64.
func decodeFloat(d *msgpack.Decoder) (float64, error) {
	c, err := d.PeekCode()
	if err != nil {
		return 0, err
	}
	switch {
	case c == msgpcode.Float || c == msgpcode.Double:
		return d.DecodeFloat64()
	case c == msgpcode.Uint64 || c == msgpcode.Uint32 || c == msgpcode.Uint16 || c == msgpcode.Uint8:
		u, err := d.DecodeUint64()
		return float64(u), err
	default:
		i, err := d.DecodeInt64()
		return float64(i), err
	}
}

func decodeStrMap(d *msgpack.Decoder) (map[string]string, error) {
	n, err := d.DecodeMapLen()
	if err != nil || n <= 0 {
		return nil, err
	}
	m := make(map[string]string, capHint(n))
	for range n {
		k, err := decodeStr(d)
		if err != nil {
			return nil, err
		}
		v, err := decodeStr(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		m[k] = v
	}
	return m, nil
}

func decodeFloatMap(d *msgpack.Decoder) (map[string]float64, error) {
	n, err := d.DecodeMapLen()
	if err != nil || n <= 0 {
		return nil, err
	}
	m := make(map[string]float64, capHint(n))
	for range n {
		k, err := decodeStr(d)
		if err != nil {
			return nil, err
		}
		v, err := decodeFloat(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			m[k] = v
		}
	}
	return m, nil
}

func decodeBytesMap(d *msgpack.Decoder) (map[string][]byte, error) {
	n, err := d.DecodeMapLen()
	if err != nil || n <= 0 {
		return nil, err
	}
	m := make(map[string][]byte, capHint(n))
	for range n {
		k, err := decodeStr(d)
		if err != nil {
			return nil, err
		}
		v, err := d.DecodeBytes()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		m[k] = v
	}
	return m, nil
}

// maxDepth bounds the nesting of values the decoders walk, so that a
// hostile body cannot exhaust the stack.
const maxDepth = 32

// decodeAnySlice reads an array of arbitrary values, made JSON-safe.
func decodeAnySlice(d *msgpack.Decoder) ([]any, error) {
	v, err := decodeAny(d, 0)
	if err != nil || v == nil {
		return nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want an array, got %T", v)
	}
	return a, nil
}

// skip reads one value of any type and discards it.
func skip(d *msgpack.Decoder) error {
	_, err := decodeAny(d, 0)
	return err
}

// decodeAny reads one value of any type into what encoding/json accepts:
// maps keyed by strings, no NaN or infinities, extensions as nil.
func decodeAny(d *msgpack.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("values nested deeper than %d", maxDepth)
	}
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := d.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, capHint(n))
		for range n {
			v, err := decodeAny(d, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := d.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, capHint(n))
		for range n {
			k, err := decodeAny(d, depth+1)
			if err != nil {
				return nil, err
			}
			v, err := decodeAny(d, depth+1)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = v
		}
		return out, nil
	case msgpcode.IsExt(c):
		return nil, d.Skip() // an extension does not nest
	}
	v, err := d.DecodeInterfaceLoose() // a scalar
	if err != nil {
		return nil, err
	}
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return nil, nil
	}
	return v, nil
}

// jsonSpan is the JSON shape of a /v0.4/traces span (Content-Type
// application/json), with the msgpack field names.
type jsonSpan struct {
	TraceID  uint64             `json:"trace_id"`
	SpanID   uint64             `json:"span_id"`
	ParentID uint64             `json:"parent_id"`
	Service  string             `json:"service"`
	Name     string             `json:"name"`
	Resource string             `json:"resource"`
	Type     string             `json:"type"`
	Start    int64              `json:"start"`
	Duration int64              `json:"duration"`
	Error    int32              `json:"error"`
	Meta     map[string]string  `json:"meta"`
	Metrics  map[string]float64 `json:"metrics"`
}

// DecodeTracesJSON decodes a /v0.4/traces body sent as application/json:
// the same array of arrays of spans as the msgpack form.
func DecodeTracesJSON(body []byte) ([][]Span, error) {
	var in [][]jsonSpan
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("decode traces: %w", err)
	}
	traces := make([][]Span, 0, len(in))
	for _, t := range in {
		trace := make([]Span, 0, len(t))
		for _, s := range t {
			trace = append(trace, Span{
				TraceID: s.TraceID, SpanID: s.SpanID, ParentID: s.ParentID,
				Service: s.Service, Name: s.Name, Resource: s.Resource, Type: s.Type,
				Start: s.Start, Duration: s.Duration, Error: s.Error,
				Meta: s.Meta, Metrics: s.Metrics,
			})
		}
		traces = append(traces, trace)
	}
	return traces, nil
}
