package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fakeclient"
)

// The fakes as verify reads them; fakeclient's clients are these.
type (
	s3Fake interface {
		Health(ctx context.Context) error
		Objects(ctx context.Context, bucket, prefix string) ([]fakeclient.S3Object, error)
		Lines(ctx context.Context, bucket, key string) ([]string, error)
		Requests(ctx context.Context, f fakeclient.S3RequestFilter) ([]fakeclient.S3Request, error)
	}
	tdFake interface {
		Health(ctx context.Context) error
		RecordsPage(ctx context.Context, db, table string, since, limit int) (fakeclient.TDRecordsPage, error)
		Imports(ctx context.Context) ([]fakeclient.TDImport, error)
	}
	ddFake interface {
		Health(ctx context.Context) error
		Metrics(ctx context.Context, q fakeclient.MetricQuery) (fakeclient.MetricsResult, error)
	}
)

var (
	_ s3Fake = (*fakeclient.S3)(nil)
	_ tdFake = (*fakeclient.TD)(nil)
	_ ddFake = (*fakeclient.Datadog)(nil)
)

// checker finds the samples at the fakes. Objects and records that were
// there before the samples were sent, or that it has read, are not read
// again: S3 objects do not change once written, TD tables only grow.
type checker struct {
	s3 s3Fake // nil when no delivery is to S3
	td tdFake
	dd ddFake
	// fluentdLog returns fluentd's recent log lines (nil: none are read).
	fluentdLog func(ctx context.Context) ([]string, error)
	now        func() time.Time

	read    map[string]bool // bucket/key of objects read or there before
	tdSince map[string]int  // db.table → records read or there before
}

func newChecker(s3 s3Fake, td tdFake, dd ddFake, now func() time.Time) *checker {
	return &checker{s3: s3, td: td, dd: dd, now: now, read: map[string]bool{}, tdSince: map[string]int{}}
}

// pending reports whether a delivery is still awaited.
func pending(d *Delivery) bool { return !d.Arrived && d.Stop == nil }

func sendStopped(e *Event) bool { return e.Stop != nil && e.Stop.Hop == HopSend }

// baseline notes what the fakes hold before the samples are sent.
func (c *checker) baseline(ctx context.Context, events []Event) {
	for _, e := range events {
		for _, d := range e.Deliveries {
			switch d.Type {
			case "s3":
				if c.s3 == nil {
					continue
				}
				objs, err := c.s3.Objects(ctx, d.Bucket, d.KeyPrefix)
				if err != nil {
					continue // no bucket yet
				}
				for _, o := range objs {
					c.read[o.Bucket+"/"+o.Key] = true
				}
			case "tdlog":
				table := d.Database + "." + d.Table
				if _, ok := c.tdSince[table]; ok || c.td == nil {
					continue
				}
				page, err := c.td.RecordsPage(ctx, d.Database, d.Table, 0, 1)
				if err == nil {
					c.tdSince[table] = page.Total
				}
			}
		}
	}
}

// poll looks once for every pending delivery and metric, and reports
// whether any is still pending.
func (c *checker) poll(ctx context.Context, events []Event) bool {
	c.pollS3(ctx, events)
	c.pollTD(ctx, events)
	c.pollMetrics(ctx, events)
	left := false
	for i := range events {
		e := &events[i]
		if sendStopped(e) {
			continue
		}
		for j := range e.Deliveries {
			left = left || pending(&e.Deliveries[j])
		}
		if m := e.Metric; m != nil && !m.Arrived && m.Stop == nil {
			left = true
		}
	}
	return left
}

// awaited is a pending delivery with its sample's id and send time.
type awaited struct {
	d    *Delivery
	id   string
	sent time.Time
}

// awaiting returns the pending deliveries of type typ, by their place.
func awaiting(events []Event, typ string, place func(*Delivery) string) map[string][]awaited {
	out := map[string][]awaited{}
	for i := range events {
		e := &events[i]
		if sendStopped(e) {
			continue
		}
		for j := range e.Deliveries {
			d := &e.Deliveries[j]
			if d.Type == typ && pending(d) {
				out[place(d)] = append(out[place(d)], awaited{d: d, id: e.ID, sent: e.Sent})
			}
		}
	}
	return out
}

func (c *checker) pollS3(ctx context.Context, events []Event) {
	if c.s3 == nil {
		return
	}
	for place, ds := range awaiting(events, "s3", func(d *Delivery) string { return d.Bucket + "/" + d.KeyPrefix }) {
		bucket, prefix, _ := strings.Cut(place, "/")
		objs, err := c.s3.Objects(ctx, bucket, prefix)
		if err != nil {
			continue // the bucket is not made yet, or the fake is down: classify says
		}
		for _, o := range objs {
			if c.read[o.Bucket+"/"+o.Key] {
				continue
			}
			lines, err := c.s3.Lines(ctx, o.Bucket, o.Key)
			if err != nil {
				continue
			}
			c.read[o.Bucket+"/"+o.Key] = true
			at := c.now()
			for _, line := range lines {
				for _, w := range ds {
					d := w.d
					if !pending(d) || !strings.Contains(line, w.id) {
						continue
					}
					d.Key = o.Key
					d.Latency = at.Sub(w.sent)
					switch {
					case line != d.Want:
						d.Got = line
						d.Stop = &Stop{Hop: HopFake, Where: d.Fake, Reason: ReasonContentDiffers, Detail: fmt.Sprintf("s3://%s/%s holds %s; predicted %s", o.Bucket, o.Key, line, d.Want)}
					case !keyMatches(*d, o.Key):
						d.Stop = &Stop{Hop: HopFake, Where: d.Fake, Reason: ReasonContentDiffers, Detail: fmt.Sprintf("the line is in s3://%s/%s; predicted %s (any index)", o.Bucket, o.Key, d.WantKey)}
					default:
						d.Arrived = true
					}
				}
			}
		}
	}
}

func (c *checker) pollTD(ctx context.Context, events []Event) {
	if c.td == nil {
		return
	}
	for table, ds := range awaiting(events, "tdlog", func(d *Delivery) string { return d.Database + "." + d.Table }) {
		db, tbl, _ := strings.Cut(table, ".")
		page, err := c.td.RecordsPage(ctx, db, tbl, c.tdSince[table], 0)
		if err != nil {
			continue // no table yet, or the fake is down
		}
		c.tdSince[table] = page.NextSince
		at := c.now()
		for _, rec := range page.Records {
			id, _ := rec[IDField].(string)
			i := slices.IndexFunc(ds, func(w awaited) bool { return w.id == id })
			if i < 0 || !pending(ds[i].d) {
				continue
			}
			d := ds[i].d
			got := recordJSON(rec)
			d.Latency = at.Sub(ds[i].sent)
			if got != d.Want {
				d.Got = got
				d.Stop = &Stop{Hop: HopFake, Where: d.Fake, Reason: ReasonContentDiffers, Detail: fmt.Sprintf("%s holds %s; predicted %s", table, got, d.Want)}
				continue
			}
			d.Arrived = true
		}
	}
}

// recordJSON is a TD record as canonical JSON.
func recordJSON(rec fakeclient.TDRecord) string {
	b, err := json.Marshal(map[string]any(rec))
	if err != nil {
		return fmt.Sprint(map[string]any(rec))
	}
	return canonicalJSON(b)
}

func (c *checker) pollMetrics(ctx context.Context, events []Event) {
	if c.dd == nil {
		return
	}
	for i := range events {
		e := &events[i]
		m := e.Metric
		if m == nil || m.Arrived || m.Stop != nil || sendStopped(e) {
			continue
		}
		r, err := c.dd.Metrics(ctx, fakeclient.MetricQuery{Name: m.Name, Tags: m.Tags, Window: fakeclient.Window{Since: e.Sent}, NoPoints: true})
		if err != nil {
			continue
		}
		m.Count = r.Total.Sum
		if r.Total.Count > 0 {
			m.Arrived = true
			m.Latency = c.now().Sub(e.Sent)
		}
	}
}

// classify gives every delivery and metric still pending at the timeout
// the hop where it stopped: the fake when it does not answer, the output
// when the fake's request log or fluentd's log shows failed writes, else
// the fake, not arrived.
func (c *checker) classify(ctx context.Context, events []Event, timeout time.Duration) {
	health := map[string]error{}
	check := func(name string, f interface{ Health(context.Context) error }) error {
		if err, ok := health[name]; ok {
			return err
		}
		err := f.Health(ctx)
		health[name] = err
		return err
	}
	var logLines []string
	logsRead := false
	for i := range events {
		e := &events[i]
		if sendStopped(e) {
			continue
		}
		for j := range e.Deliveries {
			d := &e.Deliveries[j]
			if !pending(d) {
				continue
			}
			var fake interface{ Health(context.Context) error }
			switch d.Type {
			case "s3":
				fake = c.s3
			case "tdlog":
				fake = c.td
			}
			if fake == nil {
				continue
			}
			if err := check(d.Fake, fake); err != nil {
				d.Stop = &Stop{Hop: HopFake, Where: d.Fake, Reason: ReasonFakeUnreachable, Detail: err.Error()}
				continue
			}
			if !logsRead && c.fluentdLog != nil {
				logLines, _ = c.fluentdLog(ctx)
				logsRead = true
			}
			var fakeSaw []string
			switch d.Type {
			case "s3":
				reqs, _ := c.s3.Requests(ctx, fakeclient.S3RequestFilter{Op: "PutObject", Bucket: d.Bucket})
				fakeSaw = failedPuts(reqs, *d, e.Sent)
			case "tdlog":
				imps, _ := c.td.Imports(ctx)
				fakeSaw = failedImports(imps, *d, e.Sent)
			}
			d.Stop = stopOf(*d, e.ID, timeout, fakeSaw, flushFailures(logLines, *d, e.Sent))
		}
		if m := e.Metric; m != nil && !m.Arrived && m.Stop == nil && c.dd != nil {
			if err := check(m.Stub, c.dd); err != nil {
				m.Stop = &Stop{Hop: HopFake, Where: m.Stub, Reason: ReasonFakeUnreachable, Detail: err.Error()}
				continue
			}
			m.Stop = &Stop{Hop: HopFake, Where: m.Stub, Reason: ReasonNotArrived,
				Detail: fmt.Sprintf("%s{%s} was not counted within %s of the request", m.Name, strings.Join(m.Tags, ","), timeout)}
		}
	}
}

// stopOf is the stop of a delivery that did not arrive at a fake that
// answers: what the fake answered fluentd (fakeSaw, one entry per failed
// write), else what fluentd logged (flush failures), else not arrived.
func stopOf(d Delivery, id string, timeout time.Duration, fakeSaw, logged []string) *Stop {
	if len(fakeSaw) > 0 {
		detail := fakeSaw[len(fakeSaw)-1]
		if len(fakeSaw) > 1 {
			detail += fmt.Sprintf(" (%d failed writes since the sample was sent)", len(fakeSaw))
		}
		return &Stop{Hop: HopOutput, Where: outputWhere(d), Reason: ReasonOutputFailing, Detail: detail}
	}
	if len(logged) > 0 {
		detail := "fluentd logged: " + logged[len(logged)-1]
		if len(logged) > 1 {
			detail += fmt.Sprintf(" (%d times since the sample was sent)", len(logged))
		}
		return &Stop{Hop: HopOutput, Where: outputWhere(d), Reason: ReasonOutputFailing, Detail: detail}
	}
	var where string
	if d.Type == "s3" {
		where = fmt.Sprintf("no line with %s %s under s3://%s/%s", IDField, id, d.Bucket, d.KeyPrefix)
	} else {
		where = fmt.Sprintf("no record with %s %s in %s.%s", IDField, id, d.Database, d.Table)
	}
	return &Stop{Hop: HopFake, Where: d.Fake, Reason: ReasonNotArrived,
		Detail: fmt.Sprintf("%s within %s, and neither %s nor fluentd's log shows a failed write", where, timeout, d.Fake)}
}

// failedPuts describes the PutObject requests under the delivery's key
// prefix that the fake answered with an error since sent.
func failedPuts(reqs []fakeclient.S3Request, d Delivery, sent time.Time) []string {
	var out []string
	for _, r := range reqs {
		if r.Status < 300 || r.Time.Before(sent.Add(-time.Second)) || r.Bucket != d.Bucket || !strings.HasPrefix(r.Key, d.KeyPrefix) {
			continue
		}
		msg := fmt.Sprintf("%s answered PutObject s3://%s/%s with %d %s", d.Fake, r.Bucket, r.Key, r.Status, r.Code)
		if r.Injected {
			msg += " (fault injection)"
		}
		out = append(out, msg)
	}
	return out
}

// failedImports describes the imports into the delivery's table that the
// fake answered with an error since sent.
func failedImports(imps []fakeclient.TDImport, d Delivery, sent time.Time) []string {
	var out []string
	for _, im := range imps {
		if im.Status < 300 || im.At.Before(sent.Add(-time.Second)) || im.Database != d.Database || im.Table != d.Table {
			continue
		}
		out = append(out, fmt.Sprintf("%s answered an import into %s.%s with %d: %s", d.Fake, im.Database, im.Table, im.Status, im.Error))
	}
	return out
}

// fluentdTime is the time layout of fluentd's log lines.
const fluentdTime = "2006-01-02 15:04:05 -0700"

// flushFailures returns the messages of fluentd's log lines, since sent,
// that say the delivery's output failed to write: lines naming its buffer
// (devenv's emulator), or, from a fluentd that names none, lines whose
// error is of the output's kind.
func flushFailures(lines []string, d Delivery, sent time.Time) []string {
	var out []string
	buffer := "buffer=" + strconv.Quote(d.Output)
	for _, l := range lines {
		if len(l) < len(fluentdTime) {
			continue
		}
		t, err := time.Parse(fluentdTime, l[:len(fluentdTime)])
		if err != nil || t.Before(sent.Truncate(time.Second)) {
			continue
		}
		_, msg, ok := strings.Cut(l, "]: ")
		if !ok || !(strings.Contains(msg, "failed to flush") || strings.Contains(msg, "throwing away old logs")) {
			continue
		}
		switch {
		case strings.Contains(msg, "buffer="):
			if !strings.Contains(msg, buffer) {
				continue
			}
		case d.Type == "s3" && !strings.Contains(msg, "S3"):
			continue
		case d.Type == "tdlog" && !strings.Contains(msg, "TreasureData"):
			continue
		}
		out = append(out, flushMessage(msg))
	}
	return out
}

// flushMessage shortens a flush failure line of fluentd to its message and
// error: `temporarily failed to flush the buffer. buffer="…" retry_count=3
// error="…"` becomes `temporarily failed to flush the buffer: …`.
func flushMessage(msg string) string {
	i := strings.Index(msg, " error=")
	if i < 0 {
		return msg
	}
	head := msg[:i]
	if j := strings.Index(head, ". "); j >= 0 {
		head = head[:j]
	}
	head = strings.TrimSuffix(head, ".")
	val := msg[i+len(" error="):]
	if q, err := strconv.QuotedPrefix(val); err == nil {
		val, _ = strconv.Unquote(q)
	}
	return head + ": " + val
}
