package verify

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
)

// memS3 is a fake S3 as fakeclient reads it.
type memS3 struct {
	health  error
	objects map[string][]string // key → lines, in bucket delish-local
	reqs    []fakeclient.S3Request
	reads   []string // keys whose lines were read
}

func (m *memS3) Health(context.Context) error { return m.health }

func (m *memS3) Objects(_ context.Context, bucket, prefix string) ([]fakeclient.S3Object, error) {
	if m.health != nil {
		return nil, m.health
	}
	var out []fakeclient.S3Object
	for k := range m.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, fakeclient.S3Object{Bucket: bucket, Key: k})
		}
	}
	return out, nil
}

func (m *memS3) Lines(_ context.Context, _, key string) ([]string, error) {
	m.reads = append(m.reads, key)
	return m.objects[key], nil
}

func (m *memS3) Requests(context.Context, fakeclient.S3RequestFilter) ([]fakeclient.S3Request, error) {
	return m.reqs, nil
}

// memTD is a fake Treasure Data as fakeclient reads it.
type memTD struct {
	health  error
	records map[string][]fakeclient.TDRecord // db.table → records
	imports []fakeclient.TDImport
}

func (m *memTD) Health(context.Context) error { return m.health }

func (m *memTD) RecordsPage(_ context.Context, db, table string, since, limit int) (fakeclient.TDRecordsPage, error) {
	if m.health != nil {
		return fakeclient.TDRecordsPage{}, m.health
	}
	recs, ok := m.records[db+"."+table]
	if !ok {
		return fakeclient.TDRecordsPage{}, errors.New("404")
	}
	page := fakeclient.TDRecordsPage{Database: db, Table: table, Total: len(recs), Since: since}
	end := len(recs)
	if limit > 0 {
		end = min(end, since+limit)
	}
	page.Records = recs[min(since, end):end]
	page.NextSince = end
	return page, nil
}

func (m *memTD) Imports(context.Context) ([]fakeclient.TDImport, error) { return m.imports, nil }

// memDD is a Datadog stub counting one metric.
type memDD struct {
	health error
	count  int
}

func (m *memDD) Health(context.Context) error { return m.health }

func (m *memDD) Metrics(context.Context, fakeclient.MetricQuery) (fakeclient.MetricsResult, error) {
	return fakeclient.MetricsResult{Total: fakeclient.Aggregate{Count: m.count, Sum: float64(m.count)}}, nil
}

// clickEvent is a click sample planned with the reference config.
func clickEvent(t *testing.T, id string) Event {
	t.Helper()
	e := plan(referencePredictor(t), apiServer, "click", id, SampleLine("click", id, sent), sent)
	for i := range e.Deliveries {
		e.Deliveries[i].Fake = map[string]string{"s3": "fake-s3", "tdlog": "fake-td"}[e.Deliveries[i].Type]
	}
	e.Metric = &Metric{Name: "delish.api.event", Tags: []string{"event_type:click"}, Stub: "dd-agent"}
	return e
}

func tdRecord(pairs ...any) fakeclient.TDRecord {
	r := fakeclient.TDRecord{}
	for i := 0; i+1 < len(pairs); i += 2 {
		r[pairs[i].(string)] = pairs[i+1]
	}
	return r
}

// TestPollArrives: the sample's S3 line and TD record, found by its id
// among others, arrive as predicted; objects and records there before the
// samples are not read.
func TestPollArrives(t *testing.T) {
	ev := clickEvent(t, "00ff")
	const prefix = "logs/delish-event/click/2024/01/02/03_"
	s3 := &memS3{objects: map[string][]string{prefix + "0_fluentd01.gz": {`{"old":1}`}}}
	td := &memTD{records: map[string][]fakeclient.TDRecord{"delish_local.event_click": {tdRecord("old", "1")}}}
	dd := &memDD{}
	clock := sent
	ck := newChecker(s3, td, dd, func() time.Time { return clock })
	events := []Event{ev}
	ck.baseline(t.Context(), events)

	clock = sent.Add(time.Second)
	assert.Assert(t, ck.poll(t.Context(), events), "nothing arrived yet")
	assert.Equal(t, len(s3.reads), 0, "the object there before was read: %q", s3.reads)

	s3.objects[prefix+"1_fluentd01.gz"] = []string{`{"other":2}`, events[0].Deliveries[0].Want}
	td.records["delish_local.event_click"] = append(td.records["delish_local.event_click"], tdRecord("x", "y"),
		tdRecord("devenv_verify_id", "00ff", "event_type", "click", "log_type", "EVENT", "time", json.Number("1704164645")))
	dd.count = 1
	clock = sent.Add(1500 * time.Millisecond)
	assert.Assert(t, !ck.poll(t.Context(), events), "all arrived")
	s, tdd := events[0].Deliveries[0], events[0].Deliveries[1]
	assert.Assert(t, s.Arrived && tdd.Arrived, "%+v", events[0].Deliveries)
	assert.Equal(t, s.Key, prefix+"1_fluentd01.gz")
	assert.Equal(t, s.Latency, 1500*time.Millisecond)
	assert.Assert(t, events[0].Metric.Arrived)
	finish(&events[0])
	assert.Assert(t, events[0].OK)
	assert.Equal(t, events[0].Latency, 1500*time.Millisecond)
}

// TestPollContentDiffers: a record with the sample's id that is not the
// predicted one stops at the fake, with both.
func TestPollContentDiffers(t *testing.T) {
	events := []Event{clickEvent(t, "00ff")}
	const key = "logs/delish-event/click/2024/01/02/03_0_fluentd01.gz"
	s3 := &memS3{objects: map[string][]string{}}
	td := &memTD{records: map[string][]fakeclient.TDRecord{}}
	ck := newChecker(s3, td, &memDD{}, func() time.Time { return sent })
	ck.baseline(t.Context(), events)
	s3.objects[key] = []string{`{"devenv_verify_id":"00ff","event_type":"click"}`}
	td.records["delish_local.event_click"] = []fakeclient.TDRecord{tdRecord("devenv_verify_id", "00ff", "time", "1")}
	ck.poll(t.Context(), events)
	s, tdd := events[0].Deliveries[0], events[0].Deliveries[1]
	assert.DeepEqual(t, s.Stop, &Stop{Hop: HopFake, Where: "fake-s3", Reason: ReasonContentDiffers,
		Detail: "s3://delish-local/" + key + ` holds {"devenv_verify_id":"00ff","event_type":"click"}; predicted ` + s.Want})
	assert.Equal(t, s.Got, `{"devenv_verify_id":"00ff","event_type":"click"}`)
	assert.Equal(t, tdd.Stop.Reason, ReasonContentDiffers)
	assert.Equal(t, tdd.Got, `{"devenv_verify_id":"00ff","time":"1"}`)
}

// TestClassify: at the timeout, a fake that does not answer is
// unreachable; one that answered fluentd's writes with errors makes the
// output failing (its request log first, else fluentd's log); otherwise
// the sample did not arrive.
func TestClassify(t *testing.T) {
	const key = "logs/delish-event/click/2024/01/02/03_0_fluentd01.gz"
	failedPut := fakeclient.S3Request{Time: sent.Add(time.Second), Op: "PutObject", Bucket: "delish-local", Key: key, Status: 503, Code: "SlowDown", Injected: true}
	tdLog := "2024-01-02 03:04:07 +0000 [warn]: temporarily failed to flush the buffer. buffer=\"/fluentd/log/td-buf-delish-click\" next_retry=\"2024-01-02T03:04:08Z\" retry_count=1 error=\"import delish_local.event_click: status 500: {\\\"error\\\":\\\"injected\\\"}\""
	for name, tc := range map[string]struct {
		s3   *memS3
		td   *memTD
		dd   *memDD
		logs []string
		want [3]*Stop // s3, td, metric
	}{
		"fakes down": {
			s3: &memS3{health: errors.New("dial tcp 127.0.0.1:4566: connection refused")}, td: &memTD{health: errors.New("dial tcp 127.0.0.1:8081: connection refused")},
			dd: &memDD{health: errors.New("dial tcp 127.0.0.1:8126: connection refused")},
			want: [3]*Stop{
				{Hop: HopFake, Where: "fake-s3", Reason: ReasonFakeUnreachable, Detail: "dial tcp 127.0.0.1:4566: connection refused"},
				{Hop: HopFake, Where: "fake-td", Reason: ReasonFakeUnreachable, Detail: "dial tcp 127.0.0.1:8081: connection refused"},
				{Hop: HopFake, Where: "dd-agent", Reason: ReasonFakeUnreachable, Detail: "dial tcp 127.0.0.1:8126: connection refused"},
			},
		},
		"outputs failing": {
			s3: &memS3{objects: map[string][]string{}, reqs: []fakeclient.S3Request{
				{Time: sent.Add(-time.Minute), Op: "PutObject", Bucket: "delish-local", Key: key, Status: 500},                           // before the sample
				{Time: sent.Add(time.Second), Op: "PutObject", Bucket: "delish-local", Key: "logs/delish-event/share/x.gz", Status: 503}, // another event
				failedPut, failedPut,
			}},
			td:   &memTD{records: map[string][]fakeclient.TDRecord{}},
			dd:   &memDD{},
			logs: []string{tdLog, strings.Replace(tdLog, "td-buf-delish-click", "td-buf-delish-share", 1)},
			want: [3]*Stop{
				{Hop: HopOutput, Where: "fluentd's s3 output /fluentd/log/buf-delish-event-click", Reason: ReasonOutputFailing,
					Detail: "fake-s3 answered PutObject s3://delish-local/" + key + " with 503 SlowDown (fault injection) (2 failed writes since the sample was sent)"},
				{Hop: HopOutput, Where: "fluentd's tdlog output /fluentd/log/td-buf-delish-click", Reason: ReasonOutputFailing,
					Detail: `fluentd logged: temporarily failed to flush the buffer: import delish_local.event_click: status 500: {"error":"injected"}`},
				{Hop: HopFake, Where: "dd-agent", Reason: ReasonNotArrived, Detail: "delish.api.event{event_type:click} was not counted within 5s of the request"},
			},
		},
		"not arrived": {
			s3: &memS3{objects: map[string][]string{}}, td: &memTD{records: map[string][]fakeclient.TDRecord{}}, dd: &memDD{},
			want: [3]*Stop{
				{Hop: HopFake, Where: "fake-s3", Reason: ReasonNotArrived,
					Detail: "no line with devenv_verify_id 00ff under s3://delish-local/logs/delish-event/click/2024/01/02/03_ within 5s, and neither fake-s3 nor fluentd's log shows a failed write"},
				{Hop: HopFake, Where: "fake-td", Reason: ReasonNotArrived,
					Detail: "no record with devenv_verify_id 00ff in delish_local.event_click within 5s, and neither fake-td nor fluentd's log shows a failed write"},
				{Hop: HopFake, Where: "dd-agent", Reason: ReasonNotArrived, Detail: "delish.api.event{event_type:click} was not counted within 5s of the request"},
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			events := []Event{clickEvent(t, "00ff")}
			ck := newChecker(tc.s3, tc.td, tc.dd, func() time.Time { return sent })
			ck.fluentdLog = func(context.Context) ([]string, error) { return tc.logs, nil }
			ck.poll(t.Context(), events)
			ck.classify(t.Context(), events, 5*time.Second)
			e := events[0]
			assert.DeepEqual(t, [3]*Stop{e.Deliveries[0].Stop, e.Deliveries[1].Stop, e.Metric.Stop}, tc.want)
			finish(&events[0])
			assert.Assert(t, !events[0].OK)
			assert.Equal(t, len(events[0].Stops()), 3)
		})
	}
}

// TestClassifySendFailed: a sample the service did not take is not
// awaited: its stop is the send.
func TestClassifySendFailed(t *testing.T) {
	events := []Event{clickEvent(t, "00ff")}
	events[0].Stop = &Stop{Hop: HopSend, Where: "api-server", Reason: ReasonSendFailed, Detail: "connection refused"}
	ck := newChecker(&memS3{objects: map[string][]string{}}, &memTD{}, &memDD{}, func() time.Time { return sent })
	assert.Assert(t, !ck.poll(t.Context(), events), "nothing is awaited")
	ck.classify(t.Context(), events, time.Second)
	assert.Equal(t, len(events[0].Stops()), 1)
}

// TestFlushFailures: fluentd's lines about the delivery's output since the
// sample was sent count; a fluentd that does not name its buffers is
// matched by the kind of error.
func TestFlushFailures(t *testing.T) {
	d := Delivery{Type: "s3", Output: "/fluentd/log/buf-delish-event-click"}
	lines := []string{
		`2024-01-02 03:04:04 +0000 [warn]: temporarily failed to flush the buffer. buffer="/fluentd/log/buf-delish-event-click" error="before"`,
		`2024-01-02 03:04:06 +0000 [info]: flushed chunk buffer="/fluentd/log/buf-delish-event-click"`,
		`2024-01-02 03:04:06 +0000 [warn]: temporarily failed to flush the buffer. buffer="/fluentd/log/buf-delish-event-click2" error="other"`,
		`2024-01-02 03:04:07 +0000 [warn]: temporarily failed to flush the buffer. buffer="/fluentd/log/buf-delish-event-click" next_retry="x" error="slow down"`,
		`2024-01-02 03:04:08 +0000 [warn]: temporarily failed to flush the buffer. next_retry=2024-01-02 03:04:09 +0000 error_class="Aws::S3::Errors::SlowDown" error="Please reduce your request rate." plugin_id="object:3f8"`,
		`2024-01-02 03:04:08 +0000 [warn]: temporarily failed to flush the buffer. next_retry=2024-01-02 03:04:09 +0000 error_class="TreasureData::APIError" error="500" plugin_id="object:3f9"`,
		`not a log line`,
	}
	assert.DeepEqual(t, flushFailures(lines, d, sent), []string{
		"temporarily failed to flush the buffer: slow down",
		"temporarily failed to flush the buffer: Please reduce your request rate.",
	})
}
