package forward

import (
	"bufio"
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the frame decoder: it must return
// frames or an error, never panic or allocate without bound.
func FuzzDecode(f *testing.F) {
	rec := map[string]any{"log": "x", "n": 1}
	entries := encode(f, []any{1, rec}, []any{eventTime(2, 5), rec})
	for _, seed := range [][]byte{
		encode(f, []any{"docker.delish", 1704164645, map[string]any{"container_id": "c", "log": "{}"}, map[string]any{}}),
		encode(f, []any{"t", eventTime(3, 7), rec, map[string]any{"chunk": "abc"}}),
		encode(f, []any{"t", []any{[]any{1, rec}}, map[string]any{"chunk": "c1"}}),
		encode(f, []any{"t", string(entries)}),
		encode(f, []any{"t", gz(f, entries), map[string]any{"compressed": "gzip"}}),
		{0xc0, 0xc0},
		{0xdd, 0xff, 0xff, 0xff, 0xff},
		// in_forward v0.12 framing: a map frame, a String record, an
		// integer key, Forward entries without a record, short Messages, a
		// truncated packed payload.
		encode(f, map[string]any{"a": 1}, []any{"t", 1, rec}),
		encode(f, []any{"t", 5, "hello"}),
		{0x94, 0xa1, 't', 0x05, 0x83, 0x01, 0xa1, 'a', 0xa1, 'k', 0xa1, 'v', 0xfe, 0xa1, 'n', 0x80},
		encode(f, []any{"t", []any{[]any{1, nil}, []any{0, rec}, []any{5}, []any{}, []any{nil, rec}}}),
		encode(f, []any{"t", 5}, []any{"t"}, []any{}, []any{"t", 5, nil, map[string]any{"chunk": "x"}}),
		encode(f, []any{"t", append(entries, 0x92, 0x03)}),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range [][]DecoderOption{nil, {V012Unpacker()}} {
			dec := NewDecoder(bytes.NewReader(data), func() Time { return Time{Sec: 1} }, opts...)
			checkFrames(t, dec)
		}
	})
}

// checkFrames decodes up to 100 frames, reading on past broken chunks as
// the server does, and checks each frame's invariants.
func checkFrames(t *testing.T, dec frameDecoder) {
	var fr Frame
	for range 100 {
		err := dec.Decode(&fr)
		var broken *BrokenChunkError
		if errors.As(err, &broken) {
			continue
		}
		if err != nil {
			return
		}
		if fr.Mode == 0 {
			t.Fatalf("frame without mode")
		}
		for _, ev := range fr.Events {
			if (ev.Record == nil) == (ev.Raw == nil) {
				t.Fatalf("event with neither or both of a record and a raw record: %+v", ev)
			}
		}
	}
}

// FuzzDecodeJSON feeds arbitrary bytes to the JSON-mode frame decoder.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`["docker.delish",1704164645,{"log":"x","container_id":"c"},{"chunk":"abc"}]`,
		`["t",[[1,{"a":1}],[2.5,{"b":[1,2]}]]]`,
		`["t",0,{}]["t",1,{"k":"v"}]`,
		`{"not":"an array"}`,
		`["t",1e400,{}]`,
		`{"a":1}["t",5]["t",5,"str"]["t",[[1,null],[0,{"a":1}],[5],null]]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFrames(t, NewJSONDecoder(bufio.NewReader(bytes.NewReader(data)), func() Time { return Time{Sec: 1} }))
	})
}
