package datadog

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseDatagram checks the parser's contract on any input: no panic,
// exactly one item per non-empty line, finite values, and results JSON can
// carry.
func FuzzParseDatagram(f *testing.F) {
	for _, s := range []string{
		"page.views:1|c",
		"x:1:2:3|h|@0.5|#a:b,c|c:cid|e:ext|T1700000000|card:low",
		"users:ann|s",
		"a:1|c\nb:2|g\r\n\n",
		"_e{5,4}:title|text|d:1|h:h|k:k|p:low|s:s|t:error|#a|c:c",
		`_e{2,7}:ti|a\nb\nc`,
		`_sc|db|2|d:1|h:h|#a|m:down m\: now\n|c:c`,
		"_e{99,1}:a|b",
		"x:NaN|g",
		"\x00\xff|:@#",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Batch
		ParseDatagram(data, &b)
		lines := 0
		for _, l := range strings.Split(string(data), "\n") {
			if strings.TrimSuffix(l, "\r") != "" {
				lines++
			}
		}
		if b.Len() != lines {
			t.Fatalf("%d non-empty lines gave %d items: %+v", lines, b.Len(), b)
		}
		for _, m := range b.Metrics {
			if m.Name == "" || m.Rate <= 0 || math.IsNaN(m.Rate) || math.IsInf(m.Rate, 0) {
				t.Fatalf("bad metric %+v", m)
			}
			if (m.Type == Set) != (len(m.Values) == 0) {
				t.Fatalf("metric %+v: values and type disagree", m)
			}
		}
		for _, e := range b.Events {
			if e.Title == "" {
				t.Fatalf("event without title: %+v", e)
			}
		}
		for _, c := range b.ServiceChecks {
			if c.Name == "" || c.Status < 0 || c.Status > 3 {
				t.Fatalf("bad service check %+v", c)
			}
		}
		// A message parses the same alone as among others: the slices the
		// messages of a datagram share never overlap. Alone, it is sent as a
		// "\r\n"-terminated line, so that a "\r" ending the message itself
		// stays in it, as it did in its datagram.
		for _, m := range b.Metrics {
			var alone Batch
			ParseDatagram([]byte(m.Raw+"\r\n"), &alone)
			if len(alone.Metrics) != 1 || !reflect.DeepEqual(alone.Metrics[0], m) {
				t.Fatalf("%q parses as %+v alone, %+v in its datagram", m.Raw, alone.Metrics, m)
			}
		}
		for _, e := range b.Events {
			var alone Batch
			ParseDatagram([]byte(e.Raw+"\r\n"), &alone)
			if len(alone.Events) != 1 || !reflect.DeepEqual(alone.Events[0], e) {
				t.Fatalf("%q parses as %+v alone, %+v in its datagram", e.Raw, alone.Events, e)
			}
		}
		if _, err := json.Marshal(aggregateMetrics(b.Metrics, true)); err != nil {
			t.Fatalf("aggregate does not encode: %v", err)
		}
		if _, err := json.Marshal(b); err != nil {
			t.Fatalf("batch does not encode: %v", err)
		}
	})
}

// FuzzDecodeTraces checks the trace decoders never panic on any body, and
// that what they accept encodes as JSON for the inspection API.
func FuzzDecodeTraces(f *testing.F) {
	f.Add([]byte{0x91, 0x91, 0x82, 0xa7, 's', 'p', 'a', 'n', '_', 'i', 'd', 0x01, 0xa4, 'm', 'e', 't', 'a', 0x81, 0xa1, 'k', 0xa1, 'v'})
	f.Add([]byte{0xdd, 0, 0, 0, 1, 0x90})
	f.Add([]byte{0x92, 0x91, 0xa0, 0x91, 0x91, 0x9c, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0x80, 0x80, 0})
	f.Add([]byte{0x91, 0x91, 0x81, 0xaa, 's', 'p', 'a', 'n', '_', 'l', 'i', 'n', 'k', 's', 0x91, 0x81, 0x01, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1})
	f.Add(bytes.Repeat([]byte{0x91}, 100))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, decode := range []func([]byte) ([][]Span, error){DecodeTracesV04, DecodeTracesV05} {
			traces, err := decode(body)
			if err != nil {
				continue
			}
			if _, err := json.Marshal(traces); err != nil {
				t.Fatalf("decoded traces do not encode: %v", err)
			}
		}
	})
}
