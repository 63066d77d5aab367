package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/verify"
)

// TestVerifyUsage: no event types to send, or a timeout that is not
// positive, are usage errors (exit 2), found before any stack is looked
// for.
func TestVerifyUsage(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "devenv.yaml"), []byte("project: x\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--config", filepath.Join(dir, "devenv.yaml")}, "devenv: verify: no event types to verify: list them under verify.events in " + filepath.Join(dir, "devenv.yaml") + ", or pass --event TYPE\n"},
		{[]string{"verify", "--event", "click", "--timeout", "0s"}, "devenv: verify: --timeout 0s: want a positive duration such as 30s\n"},
	} {
		var stderr bytes.Buffer
		err := run(t.Context(), tc.args, strings.NewReader(""), &bytes.Buffer{}, &stderr)
		assert.Equal(t, exitCode(err, &stderr), 2, "devenv %s", strings.Join(tc.args, " "))
		assert.Equal(t, stderr.String(), tc.want)
	}
}

// TestVerifyTable: one row per event type (what arrived where, the
// metric's count, the latency), then each stop on a line of its own.
func TestVerifyTable(t *testing.T) {
	rep := &verify.Report{Via: "POST http://127.0.0.1:1323/events", Timeout: 5 * time.Second, Elapsed: 5020 * time.Millisecond, Events: []verify.Event{
		{Type: "click", OK: true, Latency: 1234 * time.Millisecond, Deliveries: []verify.Delivery{
			{Type: "s3", Bucket: "b", KeyPrefix: "logs/click/03_", Key: "logs/click/03_0_h.gz", Arrived: true},
			{Type: "tdlog", Database: "db", Table: "event_click", Arrived: true},
		}, Metric: &verify.Metric{Name: "app.event", Count: 1, Arrived: true}},
		{Type: "purchase", Deliveries: []verify.Delivery{
			{Type: "s3", Bucket: "b", KeyPrefix: "logs/purchase/03_", Stop: &verify.Stop{Hop: verify.HopOutput, Where: "fluentd's s3 output /b", Reason: verify.ReasonOutputFailing, Detail: "fake-s3 answered 503"}},
			{Type: "tdlog", Database: "db", Table: "event_purchase", Arrived: true},
		}, Metric: &verify.Metric{Name: "app.event", Count: 1, Arrived: true}},
	}}
	var b bytes.Buffer
	writeVerifyTable(&b, rep)
	assert.Equal(t, b.String(), `EVENT     S3 KEY                  TD TABLE           METRIC       LATENCY
click     b/logs/click/03_0_h.gz  db.event_click     app.event 1  1.23s
purchase  ✗ b/logs/purchase/03_*  db.event_purchase  app.event 1  -
purchase: stopped at fluentd's s3 output /b (output failing): fake-s3 answered 503
1 of 2 event types arrived everywhere, in 5.02s (timeout 5s; POST http://127.0.0.1:1323/events)
`)
}
