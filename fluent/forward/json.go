package forward

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/devenv-sh/devenv/fluent/router"
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

// Decode reads the next frame into f; it returns io.EOF at a clean end.
func (dec *JSONDecoder) Decode(f *Frame) error {
	var raw json.RawMessage
	if err := dec.jd.Decode(&raw); err != nil {
		return err
	}
	v, err := router.ParseJSON(raw)
	if err != nil {
		return fmt.Errorf("decode JSON frame: %w", err)
	}
	arr, ok := v.([]any)
	if !ok {
		return fmt.Errorf("decode JSON frame: %w", ErrNotArray)
	}
	resetFrame(f)
	if len(arr) < 2 || len(arr) > 4 {
		return fmt.Errorf("decode JSON frame: array of %d elements, want 2 to 4", len(arr))
	}
	tag, ok := arr[0].(string)
	if !ok {
		return fmt.Errorf("decode JSON frame: tag is %T, want a string", arr[0])
	}
	f.Tag = tag
	var rest []any
	if entries, ok := arr[1].([]any); ok {
		f.Mode = ModeForward
		if len(arr) > 3 {
			return fmt.Errorf("decode JSON Forward frame: %d elements, want 2 or 3", len(arr))
		}
		for i, e := range entries {
			pair, ok := e.([]any)
			if !ok || len(pair) != 2 {
				return fmt.Errorf("decode JSON Forward entry %d: want [time, record]", i)
			}
			ev, err := jsonEvent(pair[0], pair[1])
			if err != nil {
				return fmt.Errorf("decode JSON Forward entry %d: %w", i, err)
			}
			f.Events = append(f.Events, ev)
		}
		rest = arr[2:]
	} else {
		f.Mode = ModeMessage
		if len(arr) < 3 {
			return fmt.Errorf("decode JSON Message frame: %d elements, want 3 or 4", len(arr))
		}
		ev, err := jsonEvent(arr[1], arr[2])
		if err != nil {
			return fmt.Errorf("decode JSON Message: %w", err)
		}
		if ev.Time == (Time{}) && dec.now != nil {
			ev.Time = dec.now()
		}
		f.Events = append(f.Events, ev)
		rest = arr[3:]
	}
	if len(rest) == 1 && rest[0] != nil {
		opts, ok := rest[0].(router.Record)
		if !ok {
			return fmt.Errorf("decode JSON options: %T, want an object", rest[0])
		}
		f.Options = opts
		if ch, ok := opts.Get("chunk"); ok {
			s, ok := ch.(string)
			if !ok {
				return fmt.Errorf("decode JSON options: chunk is %T, want a string", ch)
			}
			f.Chunk = s
		}
	}
	return nil
}

func jsonEvent(t, rec any) (Event, error) {
	var ev Event
	switch x := t.(type) {
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
		ev.Time = Time{Sec: int64(sec), Nsec: int64(frac * 1e9)}
	default:
		return ev, fmt.Errorf("time is %T, want a number", t)
	}
	r, ok := rec.(router.Record)
	if !ok {
		return ev, errors.New("record is not an object")
	}
	ev.Record = r
	return ev, nil
}
