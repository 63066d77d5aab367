package verify

import (
	"fmt"
	"time"
)

// Hop is a stage of an event's way through the stack.
type Hop string

// The hops, in the order an event passes them.
const (
	// HopSend is the way into the stack: the service's HTTP endpoint, or
	// fluentd's forward port.
	HopSend Hop = "send"
	// HopRoute is fluentd's routing (filters, re-tags, matches), as the
	// route simulator predicts it.
	HopRoute Hop = "route"
	// HopOutput is a fluentd output writing to its fake.
	HopOutput Hop = "output"
	// HopFake is the fake that holds what arrived (or the Datadog stub,
	// for the metric).
	HopFake Hop = "fake"
)

// Reason says why an event stopped at a hop.
type Reason string

// The reasons.
const (
	// ReasonSendFailed: the service's endpoint, or fluentd's forward
	// port, did not take the sample.
	ReasonSendFailed Reason = "send failed"
	// ReasonNotRouted: no <match> takes the event's tag, so production
	// delivers it nowhere.
	ReasonNotRouted Reason = "not routed"
	// ReasonDropped: a filter or an output plugin drops it (a parse
	// error, no rewrite rule firing, an invalid Treasure Data name).
	ReasonDropped Reason = "dropped by a filter"
	// ReasonOutputFailing: fluentd's output cannot write it: the fake
	// answers errors (its request log or fluentd's log says so).
	ReasonOutputFailing Reason = "output failing"
	// ReasonFakeUnreachable: the fake does not answer.
	ReasonFakeUnreachable Reason = "fake unreachable"
	// ReasonNotArrived: it did not arrive within the timeout, and
	// nothing says why.
	ReasonNotArrived Reason = "not arrived"
	// ReasonContentDiffers: it arrived, but not as predicted.
	ReasonContentDiffers Reason = "content differs"
)

// Stop is where, and why, an event did not arrive somewhere it should.
type Stop struct {
	Hop Hop `json:"hop"`
	// Where names the place: a service (api-server, fake-s3), a plugin
	// and its position in fluent.conf, or an output (its buffer_path).
	Where  string `json:"where"`
	Reason Reason `json:"reason"`
	// Detail says what was seen: the answer, the log line, the drop's
	// message.
	Detail string `json:"detail"`
}

func (s Stop) String() string {
	return fmt.Sprintf("stopped at %s (%s): %s", s.Where, s.Reason, s.Detail)
}

// Delivery is one place fluentd writes the event to, as predicted, and
// what arrived there.
type Delivery struct {
	// Type is the output plugin: s3 or tdlog.
	Type string `json:"type"`
	// Output is the fluentd output instance (its buffer_path).
	Output string `json:"output"`
	// Fake is the service of the fake it writes to.
	Fake string `json:"fake"`
	// Bucket, KeyPrefix and WantKey (s3): the key of the first object of
	// the slice; objects of a slice differ after KeyPrefix (%{index}).
	Bucket    string `json:"bucket,omitempty"`
	KeyPrefix string `json:"key_prefix,omitempty"`
	WantKey   string `json:"want_key,omitempty"`
	// Key is the object the line arrived in.
	Key string `json:"key,omitempty"`
	// Database and Table (tdlog).
	Database string `json:"database,omitempty"`
	Table    string `json:"table,omitempty"`
	// Want is the predicted S3 line or TD record (JSON); Got what arrived
	// when it differs.
	Want string `json:"want"`
	Got  string `json:"got,omitempty"`
	// Arrived is true when it arrived as predicted, Latency after the
	// sample was sent.
	Arrived bool          `json:"arrived"`
	Latency time.Duration `json:"latency_ns,omitempty"`
	Stop    *Stop         `json:"stop,omitempty"`
}

// Place is where the delivery is, for people: s3://bucket/key (the key
// found, else the predicted prefix) or database.table.
func (d Delivery) Place() string {
	switch d.Type {
	case "s3":
		if d.Key != "" {
			return d.Bucket + "/" + d.Key
		}
		return d.Bucket + "/" + d.KeyPrefix + "*"
	case "tdlog":
		return d.Database + "." + d.Table
	}
	return d.Output
}

// Metric is the application's count of the event in the Datadog stub.
type Metric struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
	// Stub is the Datadog stub's service.
	Stub string `json:"stub"`
	// Count is what the stub received since the sample was sent.
	Count   float64       `json:"count"`
	Arrived bool          `json:"arrived"`
	Latency time.Duration `json:"latency_ns,omitempty"`
	Stop    *Stop         `json:"stop,omitempty"`
}

// Event is one sample's journey: where it was sent, where it should
// arrive, and what did.
type Event struct {
	// Type is the event type; ID the sample's devenv_verify_id, which
	// tells it apart from everything else the fakes hold.
	Type string `json:"event"`
	ID   string `json:"id"`
	// Line is what the service logs for the sample (and what verify sends
	// over the forward protocol as Docker's driver would).
	Line string    `json:"line"`
	Sent time.Time `json:"sent"`
	// Deliveries are where fluentd writes it, as predicted.
	Deliveries []Delivery `json:"deliveries"`
	// Unchecked are outputs it goes to that no fake holds (file, stdout).
	Unchecked []string `json:"unchecked,omitempty"`
	// Metric is nil when none is configured or the sample bypasses the
	// service (forward protocol).
	Metric *Metric `json:"metric,omitempty"`
	// Stop is set when the sample was not taken, or the routing drops it
	// (all or one of its copies).
	Stop *Stop `json:"stop,omitempty"`
	// OK is true when it arrived everywhere it should, as predicted;
	// Latency is when the last place had it.
	OK      bool          `json:"ok"`
	Latency time.Duration `json:"latency_ns,omitempty"`
}

// Stops lists every stop of the event: its own, its deliveries', its
// metric's.
func (e Event) Stops() []Stop {
	var out []Stop
	if e.Stop != nil {
		out = append(out, *e.Stop)
	}
	for _, d := range e.Deliveries {
		if d.Stop != nil {
			out = append(out, *d.Stop)
		}
	}
	if e.Metric != nil && e.Metric.Stop != nil {
		out = append(out, *e.Metric.Stop)
	}
	return out
}

// Report is what one verify run found.
type Report struct {
	// Project is the Compose project verified.
	Project string `json:"project"`
	// Via is how samples entered the stack: "POST http://…/events" or
	// "forward 127.0.0.1:24224".
	Via     string        `json:"via"`
	Timeout time.Duration `json:"timeout_ns"`
	Events  []Event       `json:"events"`
	// OK is true when every event is.
	OK bool `json:"ok"`
	// Elapsed is the whole run, from the first sample sent to the last
	// check.
	Elapsed time.Duration `json:"elapsed_ns"`
}

// Failed lists the types of the events that are not OK.
func (r Report) Failed() []string {
	var out []string
	for _, e := range r.Events {
		if !e.OK {
			out = append(out, e.Type)
		}
	}
	return out
}
