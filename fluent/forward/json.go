package forward

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/devenv-sh/devenv/fluent/record"
)

// JSONDecoder reads frames sent in JSON instead of msgpack: fluentd's
// in_forward switches a connection to JSON when its first byte is '{' or
// '[' (fluent-logger-golang's MarshalAsJSON). Each JSON value is one
// Message or Forward frame; acks are answered in JSON.
type JSONDecoder struct {
	br  *bufio.Reader
	jd  *json.Decoder
	now func() Time
}

// NewJSONDecoder returns a JSONDecoder reading from br.
func NewJSONDecoder(br *bufio.Reader, now func() Time) *JSONDecoder {
	return &JSONDecoder{br: br, jd: json.NewDecoder(br), now: now}
}

// Buffered reports how many bytes are read but not yet decoded.
func (dec *JSONDecoder) Buffered() int {
	n := dec.br.Buffered()
	if b, ok := dec.jd.Buffered().(*bytes.Reader); ok {
		n += b.Len()
	}
	return n
}

// Decode reads the next frame into f with the framing of Decoder.Decode
// (a value that is not an array is a *BrokenChunkError, a Message without
// a record is skipped); it returns io.EOF at a clean end.
func (dec *JSONDecoder) Decode(f *Frame) error {
	ignored, err := dec.decode(f)
	f.Skipped += ignored
	return err
}

// decode is Decode, returning the number of Messages it skipped.
func (dec *JSONDecoder) decode(f *Frame) (int, error) {
	ignored := 0
	for {
		var raw json.RawMessage
		if err := dec.jd.Decode(&raw); err != nil {
			return ignored, err
		}
		v, err := record.ParseJSON(raw)
		if err != nil {
			return ignored, fmt.Errorf("decode JSON frame: %w", err)
		}
		arr, ok := v.([]any)
		if !ok {
			return ignored, &BrokenChunkError{Inspect: rubyInspect(v)}
		}
		ok, err = dec.frame(f, arr)
		if err != nil || ok {
			return ignored, err
		}
		ignored++
	}
}

// frame fills f from a JSON array; false means in_forward ignores it.
func (dec *JSONDecoder) frame(f *Frame, arr []any) (bool, error) {
	resetFrame(f)
	if len(arr) < 2 {
		return false, nil
	}
	var rest []any
	if entries, ok := arr[1].([]any); ok {
		f.Mode = ModeForward
		var now *Time
		for i, e := range entries {
			pair, ok := e.([]any)
			if !ok {
				if e == nil {
					return false, errNilIndex()
				}
				return false, fmt.Errorf("decode JSON Forward entry %d: %s, want [time, record]", i, rubyInspect(e))
			}
			if len(pair) < 2 || pair[1] == nil {
				f.Skipped++
				continue
			}
			ev, err := jsonEvent(pair[0], pair[1])
			if err != nil {
				return false, fmt.Errorf("decode JSON Forward entry %d: %w", i, err)
			}
			if ev.Time.Sec == 0 && dec.now != nil {
				// time.to_i == 0 (nil.to_i too): Engine.now, once per frame.
				if now == nil {
					t := dec.now()
					now = &t
				}
				ev.Time = *now
			}
			f.Events = append(f.Events, ev)
		}
		rest = arr[2:]
	} else {
		f.Mode = ModeMessage
		if len(arr) < 3 || arr[2] == nil {
			return false, nil
		}
		if arr[1] == nil {
			return false, fmt.Errorf("decode JSON Message: time is null, want a number")
		}
		ev, err := jsonEvent(arr[1], arr[2])
		if err != nil {
			return false, fmt.Errorf("decode JSON Message: %w", err)
		}
		if ev.Time == (Time{}) && dec.now != nil {
			ev.Time = dec.now()
		}
		f.Events = append(f.Events, ev)
		rest = arr[3:]
	}
	tag, ok := arr[0].(string)
	if !ok {
		return false, fmt.Errorf("decode JSON frame: tag is %s, want a string", rubyInspect(arr[0]))
	}
	f.Tag = tag
	if len(rest) > 0 && rest[0] != nil {
		opts, ok := rest[0].(record.Record)
		if !ok {
			return false, fmt.Errorf("decode JSON options: %s, want an object", rubyInspect(rest[0]))
		}
		f.Options = opts
		if ch, ok := opts.Get("chunk"); ok {
			s, ok := ch.(string)
			if !ok {
				return false, fmt.Errorf("decode JSON options: chunk is %s, want a string", rubyInspect(ch))
			}
			f.Chunk = s
		}
	}
	return true, nil
}

// jsonEvent builds an event from a JSON time (a number; null is 0) and
// record (an object, or a string passed on as Raw).
func jsonEvent(t, rec any) (Event, error) {
	var ev Event
	switch x := t.(type) {
	case nil:
	case int64:
		ev.Time = Time{Sec: x}
	case uint64:
		if x > math.MaxInt64 {
			return ev, fmt.Errorf("time %d out of range", x)
		}
		ev.Time = Time{Sec: int64(x)}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x > math.MaxInt64 || x < math.MinInt64 {
			return ev, fmt.Errorf("time %v out of range", x)
		}
		sec, frac := math.Modf(x)
		ev.Time = Time{Sec: int64(sec), Nsec: int64(frac * 1e9), IsFloat: true, Float: x}
	default:
		return ev, fmt.Errorf("time is %s, want a number", rubyInspect(t))
	}
	switch r := rec.(type) {
	case record.Record:
		ev.Record = r
	case string:
		ev.Raw = r
	default:
		return ev, fmt.Errorf("record %s is not an object", rubyInspect(rec))
	}
	return ev, nil
}
