package verify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/docker"
	"github.com/devenv-sh/devenv/fluent/predict"
	"github.com/devenv-sh/devenv/fluent/router"
)

// IDField is the field of each sample that carries its unique id.
const IDField = "devenv_verify_id"

// timeLayout is the API server's "time" field (fluent.conf's parser reads
// it with time_format %Y-%m-%dT%H:%M:%SZ).
const timeLayout = "2006-01-02T15:04:05Z"

// SampleLine is the line the service logs for a sample of eventType, as
// the reference API server logs an event: the JSON object it was posted
// with, "log_type":"EVENT" and the UTC "time" added, keys sorted.
func SampleLine(eventType, id string, t time.Time) string {
	b, _ := json.Marshal(map[string]string{
		"event_type": eventType,
		"log_type":   "EVENT",
		"time":       t.UTC().Format(timeLayout),
		IDField:      id,
	})
	return string(b)
}

// source is the container whose output carries the samples, as Docker's
// fluentd driver sends it.
type source struct {
	container docker.Container
	tag       string // the driver's rendered tag
}

// plan predicts where the sample line goes and returns the event with its
// deliveries to wait for, or the stop of its routing.
func plan(p *predict.Predictor, src source, eventType, id, line string, sent time.Time) Event {
	ev := Event{Type: eventType, ID: id, Line: line, Sent: sent, Deliveries: []Delivery{}}
	preds := p.DockerLine(src.tag, src.container, "stdout", line, "verify-"+id, router.EventTime{Sec: sent.Unix()})
	for _, pr := range preds {
		for i, d := range pr.Journey.Deliveries {
			t := pr.Targets[i]
			dv := Delivery{Type: d.Output.Type, Output: d.Output.ID}
			switch {
			case d.Output.S3 != nil:
				dv.Bucket, dv.KeyPrefix, dv.WantKey = t.Bucket, t.KeyPrefix, t.Key
				dv.Want = strings.TrimSuffix(string(d.Line), "\n")
			case d.Output.TD != nil:
				dv.Database, dv.Table = t.Database, t.Table
				dv.Want = canonicalJSON(record.AppendJSON(nil, d.Record))
			default:
				ev.Unchecked = append(ev.Unchecked, d.Output.Type+" "+d.Output.ID)
				continue
			}
			if t.Err != nil {
				dv.Stop = &Stop{Hop: HopOutput, Where: outputWhere(dv), Reason: ReasonOutputFailing, Detail: t.Err.Error()}
			}
			ev.Deliveries = append(ev.Deliveries, dv)
		}
		if ev.Stop == nil {
			ev.Stop = routeStop(pr.Journey)
		}
	}
	return ev
}

// routeStop is the stop of a journey the router drops (all of it, or
// one copy), nil when nothing is dropped.
func routeStop(j router.Journey) *Stop {
	if len(j.Drops) == 0 {
		if len(j.Deliveries) == 0 {
			return &Stop{Hop: HopRoute, Where: "fluentd", Reason: ReasonNotRouted, Detail: fmt.Sprintf("tag %s reaches no output", j.Input.Tag)}
		}
		return nil
	}
	d := j.Drops[0]
	if d.Plugin == "" {
		return &Stop{Hop: HopRoute, Where: "fluentd", Reason: ReasonNotRouted, Detail: fmt.Sprintf("tag %s: %s", d.Tag, d.Reason)}
	}
	where := d.Plugin
	if d.Pos.File != "" {
		where += " at " + d.Pos.String()
	}
	return &Stop{Hop: HopRoute, Where: where, Reason: ReasonDropped, Detail: fmt.Sprintf("tag %s, %s drop: %s", d.Tag, d.Kind, d.Reason)}
}

func outputWhere(d Delivery) string {
	return "fluentd's " + d.Type + " output " + d.Output
}

// canonicalJSON re-encodes a JSON value with sorted keys and numbers as
// written, so that records decoded by different means compare equal.
func canonicalJSON(b []byte) string {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return string(b)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return string(b)
	}
	return string(out)
}

// keyMatches says whether key is the predicted key of a later object of
// the same slice: the prefix, any index, then the rest of the prediction.
func keyMatches(d Delivery, key string) bool {
	if key == d.WantKey {
		return true
	}
	rest, ok := strings.CutPrefix(key, d.KeyPrefix)
	want, wok := strings.CutPrefix(d.WantKey, d.KeyPrefix)
	if !ok || !wok {
		return false
	}
	want = strings.TrimLeft(want, "0123456789")
	rest = strings.TrimLeft(rest, "0123456789")
	if want == strings.TrimPrefix(d.WantKey, d.KeyPrefix) {
		// The index is not a number right after the prefix (%{hex_random}
		// or another layout): the prefix is all that is predictable.
		return true
	}
	return rest == want
}
