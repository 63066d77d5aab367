package emulator

import (
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

// TestTDValuesOverForward: what fluent-plugin-td 0.10.29 stores, end to end
// from raw forward bytes: a float forward time stays a float "time"; a
// top-level integer past int64 turns every top-level integer into a
// string, "time" included; a nested one stores nothing and closes the
// connection (classes 5 and 6 of issue 10).
func TestTDValuesOverForward(t *testing.T) {
	sk := newSinks(t)
	var logs fluentdLines
	e := startEmulator(t, parseConfig(t, sk.env(t.TempDir(), "1s")), WithLogger(logs.logger()))
	data := append(frames(t, []any{"docker.delish", 1704164645.25, dockerRecord(`{"log_type":"EVENT","event_type":"floattime"}`)}),
		frames(t, []any{"docker.delish", 1704164645, dockerRecord(`{"log_type":"EVENT","event_type":"bignum","id":123456789012345678901234,"n":7}`)})...)
	data = append(data, endFrame(t)...)
	writeAndRead(t, e.Addr(), data, false)
	e.ForceFlush()
	testsupport.Until(t, 20*time.Second, "the TD records", func() bool {
		return len(sk.tdRecords(t, "event_floattime")) == 1 && len(sk.tdRecords(t, "event_bignum")) == 1
	})
	assert.DeepEqual(t, sk.tdRecords(t, "event_floattime")[0], map[string]any{"log_type": "EVENT", "event_type": "floattime", "time": 1704164645.25})
	assert.DeepEqual(t, sk.tdRecords(t, "event_bignum")[0], map[string]any{"log_type": "EVENT", "event_type": "bignum", "id": "123456789012345678901234", "n": "7", "time": "1704164645"})

	nested := frames(t, []any{"docker.delish", 1704164645, dockerRecord(`{"log_type":"EVENT","event_type":"nested","o":{"id":123456789012345678901234}}`)})
	writeAndRead(t, e.Addr(), append(nested, endFrame(t)...), true)
	e.ForceFlush()
	assert.Equal(t, len(sk.tdRecords(t, "event_nested")), 0)
}
