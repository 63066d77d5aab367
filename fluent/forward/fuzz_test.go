package forward

import (
	"bufio"
	"bytes"
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
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := NewDecoder(bytes.NewReader(data), func() Time { return Time{Sec: 1} })
		var fr Frame
		for range 100 {
			if err := dec.Decode(&fr); err != nil {
				return
			}
			if fr.Tag == "" && fr.Mode == 0 {
				t.Fatalf("frame without mode")
			}
		}
	})
}

// FuzzDecodeJSON feeds arbitrary bytes to the JSON-mode frame decoder.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`["docker.delish",1704164645,{"log":"x","container_id":"c"},{"chunk":"abc"}]`,
		`["t",[[1,{"a":1}],[2.5,{"b":[1,2]}]]]`,
		`["t",0,{}]["t",1,{"k":"v"}]`,
		`{"not":"an array"}`,
		`["t",1e400,{}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := NewJSONDecoder(bufio.NewReader(bytes.NewReader(data)), func() Time { return Time{Sec: 1} })
		var fr Frame
		for range 100 {
			if err := dec.Decode(&fr); err != nil {
				return
			}
			if fr.Mode == 0 {
				t.Fatalf("frame without mode")
			}
		}
	})
}
