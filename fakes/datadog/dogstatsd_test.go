package datadog

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func parse(s string) Batch {
	var b Batch
	ParseDatagram([]byte(s), &b)
	return b
}

func TestParseMetric(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Metric
	}{
		{"count", "page.views:1|c", Metric{Name: "page.views", Type: Count, Values: []float64{1}, Rate: 1}},
		{"negative count", "x:-3|c", Metric{Name: "x", Type: Count, Values: []float64{-3}, Rate: 1}},
		{"gauge float", "fuel.level:0.5|g", Metric{Name: "fuel.level", Type: Gauge, Values: []float64{0.5}, Rate: 1}},
		{"timing with 6 decimals", "song.length:240.000000|ms", Metric{Name: "song.length", Type: Timing, Values: []float64{240}, Rate: 1}},
		{"histogram", "song.length:240|h", Metric{Name: "song.length", Type: Histogram, Values: []float64{240}, Rate: 1}},
		{"distribution", "latency:1.5e2|d", Metric{Name: "latency", Type: Distribution, Values: []float64{150}, Rate: 1}},
		{"set", "users.uniques:1234|s", Metric{Name: "users.uniques", Type: Set, Member: "1234", Rate: 1}},
		{"set member with colons", "ips:10.0.0.1:80|s", Metric{Name: "ips", Type: Set, Member: "10.0.0.1:80", Rate: 1}},
		{"packed values", "h:1:2:3.5|h", Metric{Name: "h", Type: Histogram, Values: []float64{1, 2, 3.5}, Rate: 1}},
		{"sample rate", "x:1|c|@0.5", Metric{Name: "x", Type: Count, Values: []float64{1}, Rate: 0.5}},
		{"tags", "x:1|c|#env:prod,service:api,flag", Metric{Name: "x", Type: Count, Values: []float64{1}, Rate: 1, Tags: []string{"env:prod", "service:api", "flag"}}},
		{"empty tags skipped", "x:1|c|#a,,b,", Metric{Name: "x", Type: Count, Values: []float64{1}, Rate: 1, Tags: []string{"a", "b"}}},
		{"container id", "x:1|c|c:abc123", Metric{Name: "x", Type: Count, Values: []float64{1}, Rate: 1, ContainerID: "abc123"}},
		{"container id inode form", "x:1|c|c:in-12345", Metric{Name: "x", Type: Count, Values: []float64{1}, Rate: 1, ContainerID: "in-12345"}},
		{"timestamp", "x:1|g|T1656581400", Metric{Name: "x", Type: Gauge, Values: []float64{1}, Rate: 1, Timestamp: 1656581400}},
		{"external env and cardinality", "x:1|g|e:it-false,cn-app|card:low", Metric{Name: "x", Type: Gauge, Values: []float64{1}, Rate: 1, ExternalEnv: "it-false,cn-app", Cardinality: "low"}},
		{
			"every field, datadog-go order",
			"ns.req:2:4|g|@0.25|#a:b,c|c:cid|e:ext|T1700000000|card:high",
			Metric{Name: "ns.req", Type: Gauge, Values: []float64{2, 4}, Rate: 0.25, Tags: []string{"a:b", "c"}, ContainerID: "cid", ExternalEnv: "ext", Timestamp: 1700000000, Cardinality: "high"},
		},
		{
			"fields in another order",
			"x:1|c|T5|c:cid|#a|@0.1",
			Metric{Name: "x", Type: Count, Values: []float64{1}, Rate: 0.1, Tags: []string{"a"}, ContainerID: "cid", Timestamp: 5},
		},
		{"two tag fields append", "x:1|c|#a|#b", Metric{Name: "x", Type: Count, Values: []float64{1}, Rate: 1, Tags: []string{"a", "b"}}},
		{"unknown field kept", "x:1|c|z:zz|#a", Metric{Name: "x", Type: Count, Values: []float64{1}, Rate: 1, Tags: []string{"a"}, Extra: []string{"z:zz"}}},
		{"trailing pipe", "x:1|c|", Metric{Name: "x", Type: Count, Values: []float64{1}, Rate: 1}},
		{"telemetry flagged", "datadog.dogstatsd.client.metrics:5|c|#client:go", Metric{Name: "datadog.dogstatsd.client.metrics", Type: Count, Values: []float64{5}, Rate: 1, Tags: []string{"client:go"}, Telemetry: true}},
		{"unicode name", "café.visits:1|c", Metric{Name: "café.visits", Type: Count, Values: []float64{1}, Rate: 1,
			Warnings: []string{"name has characters outside [A-Za-z0-9_.], which Datadog turns into underscores"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := parse(tc.in)
			assert.Check(t, is.Len(b.Errors, 0), "%v", b.Errors)
			assert.Assert(t, is.Len(b.Metrics, 1))
			got := b.Metrics[0]
			assert.Check(t, is.Equal(got.Raw, tc.in))
			got.Raw = ""
			assert.DeepEqual(t, got, tc.want)
		})
	}
}

func TestMetricWarnings(t *testing.T) {
	long := strings.Repeat("n", 201)
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"fine.name_1:1|c|#a:b|@0.5|T1", nil},
		{"1st.metric:1|c", []string{"name does not start with a letter"}},
		{"my-app.hits:1|c", []string{"name has characters outside [A-Za-z0-9_.], which Datadog turns into underscores"}},
		{"_x y:1|g", []string{"name does not start with a letter", "name has characters outside [A-Za-z0-9_.], which Datadog turns into underscores"}},
		{long + ":1|c", []string{"name is 201 characters, over Datadog's 200"}},
		{"x:1|c|#" + long, []string{"tag nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn… is 201 characters, over Datadog's 200"}},
		{"x:1|c|@2", []string{"sample rate 2 is above 1"}},
		{"x:1|h|T1700000000", []string{"a timestamp (|T) only applies to gauges and counts"}},
	} {
		b := parse(tc.in)
		assert.Assert(t, is.Len(b.Metrics, 1), tc.in)
		assert.Check(t, is.DeepEqual(b.Metrics[0].Warnings, tc.want), tc.in)
	}
}

func TestParseEvent(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Event
	}{
		{"minimal", "_e{5,4}:title|text", Event{Title: "title", Text: "text"}},
		{"empty text", "_e{5,0}:title|", Event{Title: "title"}},
		{
			"every field",
			"_e{5,4}:title|text|d:1700000000|h:host1|k:agg|p:low|s:src|t:warning|#a:b,c|c:cid|e:ext|card:low",
			Event{Title: "title", Text: "text", Timestamp: 1700000000, Host: "host1", AggregationKey: "agg", Priority: "low", SourceType: "src", AlertType: "warning", Tags: []string{"a:b", "c"}, ContainerID: "cid", ExternalEnv: "ext", Cardinality: "low"},
		},
		{"escaped newline counted escaped", `_e{2,7}:ti|a\nb\nc|t:error`, Event{Title: "ti", Text: "a\nb\nc", AlertType: "error"}},
		{"pipes inside title and text", "_e{3,3}:a|b|c|d|p:normal", Event{Title: "a|b", Text: "c|d", Priority: "normal"}},
		{"multibyte lengths in bytes", "_e{6,2}:héllo|ü", Event{Title: "héllo", Text: "ü"}},
		{"unknown field kept", "_e{1,1}:a|b|x:y", Event{Title: "a", Text: "b", Extra: []string{"x:y"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := parse(tc.in)
			assert.Check(t, is.Len(b.Errors, 0), "%v", b.Errors)
			assert.Assert(t, is.Len(b.Events, 1))
			got := b.Events[0]
			assert.Check(t, is.Equal(got.Raw, tc.in))
			got.Raw = ""
			assert.DeepEqual(t, got, tc.want)
		})
	}
}

func TestParseServiceCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want ServiceCheck
	}{
		{"minimal", "_sc|db.up|0", ServiceCheck{Name: "db.up", Status: 0}},
		{"unknown status", "_sc|db.up|3", ServiceCheck{Name: "db.up", Status: 3}},
		{
			"every field",
			"_sc|db.up|2|d:1700000000|h:host1|#env:prod,x|m:down hard|c:cid|e:ext|card:orchestrator",
			ServiceCheck{Name: "db.up", Status: 2, Timestamp: 1700000000, Host: "host1", Tags: []string{"env:prod", "x"}, Message: "down hard", ContainerID: "cid", ExternalEnv: "ext", Cardinality: "orchestrator"},
		},
		{"escaped message", `_sc|x|1|m:line1\nline2 m\: colon`, ServiceCheck{Name: "x", Status: 1, Message: "line1\nline2 m: colon"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := parse(tc.in)
			assert.Check(t, is.Len(b.Errors, 0), "%v", b.Errors)
			assert.Assert(t, is.Len(b.ServiceChecks, 1))
			got := b.ServiceChecks[0]
			assert.Check(t, is.Equal(got.Raw, tc.in))
			got.Raw = ""
			assert.DeepEqual(t, got, tc.want)
		})
	}
}

func TestParseSeveralMessagesPerDatagram(t *testing.T) {
	b := parse("a:1|c\nb:2|g\r\n\n_e{1,1}:t|x\n_sc|s|0\nc:garbage|c\nd:1|s\n")
	assert.Check(t, is.Len(b.Metrics, 3))
	assert.Check(t, is.Len(b.Events, 1))
	assert.Check(t, is.Len(b.ServiceChecks, 1))
	assert.Assert(t, is.Len(b.Errors, 1))
	assert.Check(t, is.Equal(b.Errors[0].Line, "c:garbage|c"))
	assert.Check(t, is.Equal(b.Metrics[1].Name, "b"), "\\r\\n line endings are accepted")
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"nocolon", "metric: no ':' between name and value"},
		{"nocolon|c", "metric: no ':' between name and value"},
		{":1|c", "metric: empty name"},
		{"x:|c", "metric x: empty value"},
		{"x:1", "metric x: missing type"},
		{"x:1|", "metric x: missing type"},
		{"x:1|q", `metric x: unknown type "q" (want c, g, ms, h, s or d)`},
		{"x:abc|c", `metric x: value: "abc" is not a number`},
		{"x:1::2|h", `metric x: value: "" is not a number`},
		{"x:NaN|g", `metric x: value: "NaN" is not a finite number`},
		{"x:+Inf|g", `metric x: value: "+Inf" is not a finite number`},
		{"x:1|c|@abc", `metric x: sample rate: "abc" is not a number`},
		{"x:1|c|@0", "metric x: sample rate 0: must be positive"},
		{"x:1|c|@-1", "metric x: sample rate -1: must be positive"},
		{"x:1|g|Tnow", `metric x: timestamp "now": not an integer`},
		{"_e{5,4}title|text", "event: no '}:' after the lengths"},
		{"_e{5}:title|text", `event: lengths "5": want {<title>,<text>}`},
		{"_e{a,4}:title|text", `event: lengths "a,4": not two non-negative integers`},
		{"_e{-1,4}:title|text", `event: lengths "-1,4": not two non-negative integers`},
		{"_e{0,4}:|text", "event: empty title"},
		{"_e{50,4}:title|text", "event: title and text lengths 50,4 do not match the 10 bytes that follow"},
		{"_e{5,40}:title|text", "event: title and text lengths 5,40 do not match the 10 bytes that follow"},
		{"_e{4,4}:title|text", "event: title and text lengths 4,4 do not match the 10 bytes that follow"},
		{"_e{5,2}:title|text", "event title: text longer than its declared length 2"},
		{"_e{5,4}:title|text|d:yesterday", `event title: date "yesterday": not an integer`},
		{"_sc||0", "service check: empty name"},
		{"_sc|x", `service check x: status "": want 0, 1, 2 or 3`},
		{"_sc|x|4", `service check x: status "4": want 0, 1, 2 or 3`},
		{"_sc|x|ok", `service check x: status "ok": want 0, 1, 2 or 3`},
		{"_sc|x|0|d:soon", `service check x: date "soon": not an integer`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			b := parse(tc.in)
			assert.Check(t, is.Equal(b.Len(), 1), "one message, one item")
			assert.Assert(t, is.Len(b.Errors, 1))
			assert.Check(t, is.Equal(b.Errors[0].Reason, tc.want))
			assert.Check(t, is.Equal(b.Errors[0].Line, tc.in))
		})
	}
}

func TestParseGarbage(t *testing.T) {
	for _, in := range []string{
		"\x00\x01\x02\xff",
		strings.Repeat("|", 1000),
		strings.Repeat(":", 1000),
		"_e{",
		"_e{99999999999999999999,1}:a|b",
		"_sc|",
		"GET / HTTP/1.1",
	} {
		b := parse(in)
		assert.Check(t, is.Len(b.Errors, 1), "%q", in)
		assert.Check(t, b.Len() == 1, "%q", in)
	}
	long := strings.Repeat("x", 5000)
	b := parse(long)
	assert.Assert(t, is.Len(b.Errors, 1))
	assert.Check(t, is.Equal(len(b.Errors[0].Line), maxErrorLine+len("…")), "error lines are cut")
}

// TestParseFiniteMatchesStrconv checks the values the parser reads against
// strconv.ParseFloat, bit for bit (-0 included), on edge cases and on random
// strings of digits, points and signs: every finite value strconv reads is
// read the same, and whatever strconv refuses, or reads as NaN or an
// infinity, is an error.
func TestParseFiniteMatchesStrconv(t *testing.T) {
	in := []string{
		"0", "-0", "+0", "-0.0", "0.1", "0.3", "1.", ".5", "-.5", "+.5", ".", "-", "+", "",
		"12.500000", "240.000000", "999999999999999", "9999999999999999", "0.000000000000001",
		"123456789.012345", "1.7976931348623157", "00000000000000001", "1_0", "1e3", "0x10", "1..2", "--1",
		"NaN", "nan", "Inf", "+Inf", "-inf", "infinity", "1e400", "-1e400", "1e-400", "0x1p-2", "1.5E+2",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "0123456789012345678901234567890123456789.-+"
	for range 200_000 {
		b := make([]byte, 1+rng.IntN(18))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		in = append(in, string(b))
	}
	for _, s := range in {
		got, gotErr := parseFinite(s)
		want, wantErr := strconv.ParseFloat(s, 64)
		if wantErr != nil || math.IsNaN(want) || math.IsInf(want, 0) {
			if gotErr == nil {
				t.Fatalf("parseFinite(%q) = %v, strconv gives %v, %v", s, got, want, wantErr)
			}
			continue
		}
		if gotErr != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseFinite(%q) = %v (%016x), %v; strconv gives %v (%016x)", s, got, math.Float64bits(got), gotErr, want, math.Float64bits(want))
		}
	}
}

// TestTagListsStayTheirs checks that metrics sharing a tag list (split once
// and reused) keep their own tags when one of them gets more.
func TestTagListsStayTheirs(t *testing.T) {
	var b Batch
	ParseDatagram([]byte("a:1|c|#x,y\nb:1|c|#x,y|#z\nc:1|c|#x,y|#w\nd:1|c|#x,y"), &b)
	assert.Assert(t, is.Len(b.Metrics, 4))
	assert.Check(t, is.DeepEqual(b.Metrics[0].Tags, []string{"x", "y"}))
	assert.Check(t, is.DeepEqual(b.Metrics[1].Tags, []string{"x", "y", "z"}))
	assert.Check(t, is.DeepEqual(b.Metrics[2].Tags, []string{"x", "y", "w"}))
	assert.Check(t, is.DeepEqual(b.Metrics[3].Tags, []string{"x", "y"}))
	// and across datagrams parsed into one batch
	b.Reset()
	ParseDatagram([]byte("e:1|c|#x,y|#v"), &b)
	assert.Check(t, is.DeepEqual(b.Metrics[0].Tags, []string{"x", "y", "v"}))
}

// TestRecentTagListsAreShared: a tag list equal to one split lately shares
// its split, and a second "#" field on a message that shares one adds its
// tags to that message alone. The batch remembers at most maxSplitLists
// lists: past that it starts over, and an old list is split anew.
func TestRecentTagListsAreShared(t *testing.T) {
	b := parse("a:1|c|#env:x,role:web\nb:1|c|#env:x,role:web\nc:1|c|#env:x,role:web|#extra\nd:1|c|#env:x,role:web")
	if len(b.Metrics) != 4 {
		t.Fatalf("parsed %d metrics, want 4: %+v", len(b.Metrics), b.Errors)
	}
	want := []string{"env:x", "role:web"}
	for _, i := range []int{0, 1, 3} {
		if !slices.Equal(b.Metrics[i].Tags, want) {
			t.Errorf("metric %s has tags %q, want %q", b.Metrics[i].Name, b.Metrics[i].Tags, want)
		}
	}
	if got := b.Metrics[2].Tags; !slices.Equal(got, []string{"env:x", "role:web", "extra"}) {
		t.Errorf("metric c has tags %q, want env:x, role:web, extra", got)
	}
	if &b.Metrics[0].Tags[0] != &b.Metrics[1].Tags[0] {
		t.Errorf("metrics a and b do not share their equal tag list")
	}

	for i := range maxSplitLists {
		ParseDatagram(fmt.Appendf(nil, "n:1|c|#q%d", i), &b)
		if n := len(b.ar.split); n > maxSplitLists {
			t.Fatalf("the batch remembers %d tag lists, over %d", n, maxSplitLists)
		}
	}
	ParseDatagram([]byte("e:1|c|#env:x,role:web"), &b)
	last := b.Metrics[len(b.Metrics)-1].Tags
	if !slices.Equal(last, want) {
		t.Errorf("metric e has tags %q, want %q", last, want)
	}
	if &last[0] == &b.Metrics[0].Tags[0] {
		t.Errorf("metric e shares the split of a list %d lists before it", maxSplitLists)
	}
}
