package verify

import (
	"errors"
	"io/fs"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/fluent/docker"
	"github.com/devenv-sh/devenv/fluent/predict"
	"github.com/devenv-sh/devenv/stack"
)

// sent is the send time of the test samples.
var sent = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// apiServer is the reference API server's container as Docker's fluentd
// driver names it, with the tag of its task definition.
var apiServer = source{container: docker.Container{ID: "0123456789ab", Name: "/delish-api-server-1"}, tag: "docker.delish"}

// referencePredictor routes with the reference stack's fluent.conf and the
// local environment, as fluentd01.
func referencePredictor(t *testing.T) *predict.Predictor {
	t.Helper()
	return predictorOf(t, os.DirFS("../fluentd"), "fluent.conf")
}

func predictorOf(t *testing.T, fsys fs.FS, name string) *predict.Predictor {
	t.Helper()
	r, err := predict.Load(predict.Config{FS: fsys, Name: name, ConfigDir: "/fluentd/etc", Hostname: "fluentd01",
		Env: map[string]string{"AWS_S3_BUCKET": "delish-local", "TD_DATABASE": "delish_local"}})
	assert.NilError(t, err)
	label, err := predict.EntryLabel(r, "")
	assert.NilError(t, err)
	return predict.New(r, label)
}

// TestSampleLine: the sample is the line the API server logs for an event
// posted with these fields: keys sorted, "time" in its layout.
func TestSampleLine(t *testing.T) {
	assert.Equal(t, SampleLine("click", "00ff", sent),
		`{"devenv_verify_id":"00ff","event_type":"click","log_type":"EVENT","time":"2024-01-02T03:04:05Z"}`)
}

// TestPlanReference: an event of the reference stack must be awaited in
// S3 under its event's folder and the hour's slice, as the exact JSON
// line out_s3 writes, and in TD table event_<type> as the exact record
// (with the parsed time as an integer), as devenv routes predicts them.
func TestPlanReference(t *testing.T) {
	p := referencePredictor(t)
	e := plan(p, apiServer, "click", "00ff", SampleLine("click", "00ff", sent), sent)
	assert.Assert(t, e.Stop == nil, "%v", e.Stop)
	assert.DeepEqual(t, e.Deliveries, []Delivery{
		{Type: "s3", Output: "/fluentd/log/buf-delish-event-click", Bucket: "delish-local",
			KeyPrefix: "logs/delish-event/click/2024/01/02/03_", WantKey: "logs/delish-event/click/2024/01/02/03_0_fluentd01.gz",
			Want: `{"devenv_verify_id":"00ff","event_type":"click","log_type":"EVENT","time":"2024-01-02 03:04:05"}`},
		{Type: "tdlog", Output: "/fluentd/log/td-buf-delish-click", Database: "delish_local", Table: "event_click",
			Want: `{"devenv_verify_id":"00ff","event_type":"click","log_type":"EVENT","time":1704164645}`},
	})
	assert.Assert(t, e.Unchecked == nil)
}

// TestPlanDropped: an event type the re-tag rule does not take is
// dropped by it: the stop names the plugin and its line, nothing is
// awaited.
func TestPlanDropped(t *testing.T) {
	p := referencePredictor(t)
	e := plan(p, apiServer, "bad-type", "00ff", SampleLine("bad-type", "00ff", sent), sent)
	assert.Equal(t, len(e.Deliveries), 0)
	assert.DeepEqual(t, e.Stop, &Stop{Hop: HopRoute, Where: "rewrite_tag_filter at fluent.conf:27:1", Reason: ReasonDropped,
		Detail: "tag delish.event, silent drop: no rule matched"})
}

// TestPlanNotRouted: a tag no <match> takes is not routed; an output no
// fake holds is listed as unchecked.
func TestPlanNotRouted(t *testing.T) {
	fsys := fstest.MapFS{
		"none.conf":   {Data: []byte("<source>\n  @type forward\n</source>\n<match app.**>\n  @type null\n</match>\n")},
		"stdout.conf": {Data: []byte("<source>\n  @type forward\n</source>\n<match docker.**>\n  @type stdout\n</match>\n")},
	}
	e := plan(predictorOf(t, fsys, "none.conf"), apiServer, "click", "00ff", SampleLine("click", "00ff", sent), sent)
	assert.Equal(t, len(e.Deliveries), 0)
	assert.Equal(t, e.Stop.Reason, ReasonNotRouted)
	assert.Equal(t, e.Stop.Hop, HopRoute)
	assert.Equal(t, e.Stop.Where, "fluentd")

	e = plan(predictorOf(t, fsys, "stdout.conf"), apiServer, "click", "00ff", SampleLine("click", "00ff", sent), sent)
	assert.Assert(t, e.Stop == nil, "%v", e.Stop)
	assert.Equal(t, len(e.Deliveries), 0)
	assert.Equal(t, len(e.Unchecked), 1)
	finish(&e)
	assert.Assert(t, !e.OK, "an event awaited nowhere is not verified")
}

// TestKeyMatches: a later object of the slice has another index; the rest
// of the key must be as predicted.
func TestKeyMatches(t *testing.T) {
	d := Delivery{KeyPrefix: "logs/click/2024/01/02/03_", WantKey: "logs/click/2024/01/02/03_0_fluentd01.gz"}
	for key, want := range map[string]bool{
		"logs/click/2024/01/02/03_0_fluentd01.gz":  true,
		"logs/click/2024/01/02/03_12_fluentd01.gz": true,
		"logs/click/2024/01/02/03_1_other.gz":      false,
		"logs/click/2024/01/02/04_0_fluentd01.gz":  false,
	} {
		assert.Equal(t, keyMatches(d, key), want, key)
	}
	hex := Delivery{KeyPrefix: "logs/", WantKey: "logs/ab12.gz"}
	assert.Assert(t, keyMatches(hex, "logs/ff00.gz"), "only the prefix is predictable before %%{hex_random}")
}

// TestFindErrors: a fake the deliveries need that the stack lacks, or
// that is not running, is named with what to add or start; a fake's host
// address comes from its published port.
func TestFindErrors(t *testing.T) {
	st := &running{p: &types.Project{Name: "delish", Services: types.Services{"fake-s3": {Name: "fake-s3"}}}, ctrs: []stack.Container{
		{Service: "fake-s3", StandIn: "fake-s3", State: "exited", Status: "Exited (0) 3 seconds ago"},
		{Service: "dd-agent", StandIn: "datadog-stub", State: "running", Ports: []stack.HostPort{{Host: "0.0.0.0:8126", Target: 8126, Protocol: "tcp"}}},
	}}
	_, err := st.standIn(config.StandInFakeS3, "fluentd's S3 outputs write")
	assert.Error(t, err, "fake-s3 (service fake-s3), where fluentd's S3 outputs write, is Exited (0) 3 seconds ago: start the stack with devenv up -d")
	assert.Assert(t, errors.Is(err, ErrNotRunning))
	_, err = st.standIn(config.StandInFakeTD, "fluentd's Treasure Data outputs write")
	assert.Error(t, err, "the stack has no fake-td, where fluentd's Treasure Data outputs write: list fake-td under fakes in devenv.yaml, then run devenv up -d")
	assert.Assert(t, errors.Is(err, ErrNoFake))
	c, err := st.standIn(config.StandInDatadogStub, "the service counts app.event")
	assert.NilError(t, err)
	u, err := fakeURL(c, config.DatadogAPMPort)
	assert.NilError(t, err)
	assert.Equal(t, u, "http://127.0.0.1:8126", "an unspecified bind address is reached on loopback")
	_, err = st.service("api-server", "the service that logs the events")
	assert.Error(t, err, "project delish has no service api-server (the service that logs the events)")
}
