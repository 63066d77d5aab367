package predict

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/docker"
	"github.com/devenv-sh/devenv/fluent/router"
)

// reference loads the reference stack's production fluent.conf with its
// local environment.
func reference(t *testing.T) *Predictor {
	t.Helper()
	r, err := Load(Config{FS: os.DirFS("../../fluentd"), Name: "fluent.conf", ConfigDir: "/fluentd/etc", Hostname: "fluentd01",
		Env: map[string]string{"AWS_S3_BUCKET": "delish-local", "TD_DATABASE": "delish_local"}})
	assert.NilError(t, err)
	label, err := EntryLabel(r, "")
	assert.NilError(t, err)
	return New(r, label)
}

// TestDockerLineReference: an event line of the API server, sent by
// Docker's driver with tag docker.delish, must be predicted in S3 under
// logs/delish-event/<event>/ of the hour's slice and in TD table
// event_<event>, with the key's fixed part ending before %{index}.
func TestDockerLineReference(t *testing.T) {
	p := reference(t)
	ctr := docker.Container{ID: "0123456789ab", Name: "/api-server"}
	tag, err := DockerTag("docker.delish", ctr)
	assert.NilError(t, err)
	line := `{"devenv_verify_id":"v1","event_type":"click","log_type":"EVENT","time":"2024-01-02T03:04:05Z"}`
	preds := p.DockerLine(tag, ctr, "stdout", line, "partial-1", router.EventTime{Sec: 1})
	assert.Equal(t, len(preds), 1)
	pr := preds[0]
	assert.Equal(t, len(pr.Journey.Deliveries), 2)
	assert.Equal(t, len(pr.Targets), 2)
	s3, td := pr.Targets[0], pr.Targets[1]
	if pr.Journey.Deliveries[0].Output.TD != nil {
		s3, td = td, s3
	}
	assert.DeepEqual(t, s3, Target{Bucket: "delish-local", Key: "logs/delish-event/click/2024/01/02/03_0_fluentd01.gz", KeyPrefix: "logs/delish-event/click/2024/01/02/03_"})
	assert.DeepEqual(t, td, Target{Database: "delish_local", Table: "event_click"})
}

// TestDockerLineDropped: a line that is not an event is dropped by the
// rewrite_tag_filter, silently: no delivery, one drop.
func TestDockerLineDropped(t *testing.T) {
	p := reference(t)
	ctr := docker.Container{ID: "0123456789ab", Name: "/api-server"}
	preds := p.DockerLine("docker.delish", ctr, "stdout", `{"log_type":"ACCESS"}`, "p", router.EventTime{Sec: 1})
	assert.Equal(t, len(preds), 1)
	assert.Equal(t, len(preds[0].Journey.Deliveries), 0)
	assert.Equal(t, len(preds[0].Journey.Drops), 1)
	assert.Equal(t, preds[0].Journey.Drops[0].Kind, record.DropSilent)
}

// TestEntryLabel: a label asked for must exist; sources that disagree
// need one.
func TestEntryLabel(t *testing.T) {
	fsys := fstest.MapFS{
		"a.conf": {Data: []byte("<source>\n  @type forward\n  @label @APP\n</source>\n<source>\n  @type forward\n  port 24225\n</source>\n<label @APP>\n  <match **>\n    @type null\n  </match>\n</label>\n")},
	}
	r, err := Load(Config{FS: fsys, Name: "a.conf", Location: time.UTC})
	assert.NilError(t, err)
	_, err = EntryLabel(r, "")
	assert.Error(t, err, "the config's sources send to different labels: @APP (a.conf:1:1); the root (a.conf:5:1)")
	assert.Assert(t, errors.Is(err, ErrLabel))
	_, err = EntryLabel(r, "@NOPE")
	assert.Error(t, err, "the config has no <label @NOPE> (labels: @APP)")
	label, err := EntryLabel(r, "@APP")
	assert.NilError(t, err)
	assert.Equal(t, label, "@APP")
}

// TestDockerLineLongEventType: with the reference stack's TD_DATABASE
// (delish_local), an event type of 100 characters makes the TD store's
// chunk file name 256 bytes; v0.12's copy chain then writes neither store
// and closes the connection, which is what is predicted: no delivery, no
// target, one connection-closed drop at the TD store. 99 characters are
// delivered to both.
func TestDockerLineLongEventType(t *testing.T) {
	p := reference(t)
	ctr := docker.Container{ID: "0123456789ab", Name: "/api-server"}
	et := strings.Repeat("x", 100)
	preds := p.DockerLine("docker.delish", ctr, "stdout", `{"event_type":"`+et+`","log_type":"EVENT"}`, "p", router.EventTime{Sec: 1})
	assert.Equal(t, len(preds), 1)
	pr := preds[0]
	assert.Equal(t, len(pr.Journey.Deliveries), 0)
	assert.Equal(t, len(pr.Targets), 0)
	assert.Equal(t, len(pr.Journey.Drops), 1)
	d := pr.Journey.Drops[0]
	assert.Equal(t, d.Kind, record.DropConnectionClosed)
	assert.Equal(t, d.Tag, "delish.event."+et)
	assert.Equal(t, d.Plugin, "tdlog")
	assert.Equal(t, d.Pos.String(), "fluent.conf:57:5")
	assert.Equal(t, d.Reason, `emit transaction failed: error_class=Errno::ENAMETOOLONG error="File name too long @ rb_sysopen - /fluentd/log/td-buf-delish-`+et+`.delish_local.event_`+et+`.b<16 hex digits>.log": the chunk's file name is 256 bytes, over the 255 a file name may have; the stores before it in a copy write nothing either, and in_forward logs "forward error" and closes the connection`)

	et = et[:99]
	preds = p.DockerLine("docker.delish", ctr, "stdout", `{"event_type":"`+et+`","log_type":"EVENT"}`, "p", router.EventTime{Sec: 1})
	assert.Equal(t, len(preds[0].Journey.Drops), 0)
	assert.Equal(t, len(preds[0].Targets), 2)
}
