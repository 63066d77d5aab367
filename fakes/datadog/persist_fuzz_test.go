package datadog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzLoadSnapshot checks what [Open] does with any snapshot file: a
// one-line error, or a state every query answers without panicking and that
// saves back to a snapshot holding the same items.
func FuzzLoadSnapshot(f *testing.F) {
	for _, s := range []string{
		`{"format":1}`,
		`{"format":1,"saved":"2026-11-26T12:00:00Z","counts":{"metrics":2,"packets":9},` +
			`"metrics":[{"name":"a","type":"c","values":[1,2],"rate":0.5,"tags":["env:x"],"raw":"a:1:2|c|@0.5","received":"2026-11-26T12:00:00Z"},` +
			`{"name":"u","type":"s","member":"ann","rate":1,"raw":"u:ann|s","received":"2026-11-26T12:00:01Z"},` +
			`{"name":"h","type":"h","rate":1,"raw":"","received":"2026-11-26T12:00:01Z"}],` +
			`"events":[{"title":"t","text":"x","raw":"","received":"2026-11-26T12:00:00Z"}],` +
			`"service_checks":[{"name":"db","status":7,"raw":"","received":"2026-11-26T12:00:00Z"}],` +
			`"parse_errors":[{"line":"x","reason":"y","received":"2026-11-26T12:00:00Z"}],` +
			`"spans":[{"trace_id":18446744073709551615,"span_id":1,"parent_id":0,"service":"s","name":"n","resource":"r","start":1,"duration":-5,"error":1,` +
			`"meta_struct":{"k":"AAE="},"span_links":[{"trace_id":12345678901234567890,"x":[null,true,1.5]}],"endpoint":"/v0.4/traces","received":"2026-11-26T12:00:00Z"},` +
			`{"trace_id":18446744073709551615,"span_id":1,"endpoint":"","received":"2026-11-26T11:00:00Z"}],` +
			`"payloads":[{"endpoint":"/v0.5/traces","content_type":"","bytes":-1,"traces":0,"spans":0,"new_spans":0,"received":"0001-01-01T00:00:00Z"}]}`,
		`{"format":1,"metrics":[{"name":"d","type":"d","values":[1e308,1e308],"rate":0,"raw":"","received":"2026-11-26T12:00:00Z"}]}`,
		`{"format":1,"metrics":null,"spans":[null]}`,
		`{"format":1}{}`,
		`{"format":1,"metrics":[{"received":"yesterday"}]}`,
		"",
		"\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := decodeSnapshot(data)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			return
		}
		now := time.Date(2026, 11, 26, 12, 0, 30, 0, time.UTC)
		clock := func() time.Time { return now }
		a := New(WithClock(clock), WithStore(NewMemoryStore(Limits{}, clock)))
		defer a.Close()
		a.restore(snap)
		a.Metrics(MetricQuery{Telemetry: true})
		a.Events(EventQuery{})
		a.ServiceChecks(ServiceCheckQuery{})
		a.Traces(SpanQuery{})
		a.Counts()

		again, err := json.Marshal(snapshot{
			Format: SnapshotFormat, Counts: a.Counts(),
			Metrics: a.store.Metrics(nil), Events: a.store.Events(nil),
			ServiceChecks: a.store.ServiceChecks(nil), ParseErrors: a.store.ParseErrors(nil),
			Spans: a.store.Spans(nil), Payloads: a.store.Payloads(nil),
		})
		if err != nil {
			t.Fatalf("a loaded snapshot cannot be saved: %v", err)
		}
		back, err := decodeSnapshot(again)
		if err != nil {
			t.Fatalf("a saved snapshot cannot be loaded: %v\n%s", err, again)
		}
		for _, c := range []struct {
			kind      string
			got, want any
		}{
			{"metrics", back.Metrics, a.store.Metrics(nil)},
			{"spans", back.Spans, a.store.Spans(nil)},
			{"events", back.Events, a.store.Events(nil)},
		} {
			g, _ := json.Marshal(c.got)
			w, _ := json.Marshal(c.want)
			if !bytes.Equal(g, w) {
				t.Fatalf("%s changed on a save and load:\n%s\n%s", c.kind, g, w)
			}
		}
	})
}
