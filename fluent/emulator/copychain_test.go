package emulator

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"
	"github.com/devenv-sh/devenv/internal/testsupport"

	"gotest.tools/v3/assert"
)

// TestCopyChainLongTDBufferName: production's forest → copy(s3, tdlog)
// fed, on one connection, an event, one whose 101-character event type
// gives the TD store's chunk file (td-buf-delish-<e>.delish_dev.event_<e>
// .b<id>.log) a 256-byte name, and two more events. As in fluentd v0.12,
// the TD store's emit raises ENAMETOOLONG, so the S3 store before it in
// the copy chain writes nothing either, the connection is closed and the
// events after it are lost: only the first event reaches S3 and TD, and no
// chunk file is created for the long event type.
func TestCopyChainLongTDBufferName(t *testing.T) {
	long := strings.Repeat("l", 101)
	data := append(append(eventFrame(t, "before", false), eventFrame(t, long, false)...), append(eventFrame(t, "after", false), endFrame(t)...)...)

	sk := newSinks(t)
	var logs fluentdLines
	buf := t.TempDir()
	e := startEmulator(t, parseConfig(t, sk.env(buf, "1s")), WithLogger(logs.logger()))
	writeAndRead(t, e.Addr(), data, true)
	e.ForceFlush()
	testsupport.Until(t, 20*time.Second, "the event before in S3 and TD", func() bool {
		return len(sk.tdRecords(t, "event_before")) == 1 && len(sk.s3Lines(t, "logs/delish-event/before/")) == 1
	})
	assert.DeepEqual(t, tdFields(sk.tdRecords(t, "event_before")[0]), map[string]string{"log_type": "EVENT", "event_type": "before", "time": "1704164645"})
	for _, et := range []string{long, "after", "end"} {
		assert.Equal(t, len(sk.s3Lines(t, "logs/delish-event/"+et+"/")), 0, "S3 %s", et)
		assert.Equal(t, len(sk.tdRecords(t, "event_"+et)), 0, "TD %s", et)
	}

	st := e.Stats()
	assert.Equal(t, st.Routed, int64(2))
	assert.Equal(t, st.Delivered, int64(2))
	assert.Equal(t, st.Drops[record.DropConnectionClosed], int64(1))
	assert.Equal(t, st.Forward.EmitErrors, int64(1))

	ents, err := os.ReadDir(buf)
	assert.NilError(t, err)
	for _, ent := range ents {
		assert.Assert(t, !strings.Contains(ent.Name(), long), "chunk file %s", filepath.Join(buf, ent.Name()))
	}

	lines := logs.lines()
	assert.Equal(t, len(lines), 1, "%q", lines)
	want := `[error]: forward error error="emit transaction failed: error_class=Errno::ENAMETOOLONG error=\"File name too long @ rb_sysopen - ` +
		buf + `/td-buf-delish-` + long + `.delish_dev.event_` + long + `.b<16 hex digits>.log\": the chunk's file name is 256 bytes, over the 255 a file name may have; the stores before it in a copy write nothing either, and in_forward logs \"forward error\" and closes the connection (tag \"delish.event.` + long + `\")" tag="docker.delish" remote="127.0.0.1:`
	assert.Assert(t, regexp.MustCompile(`^`+regexp.QuoteMeta(want)+`\d+"$`).MatchString(lines[0]), "%s", lines[0])
}
