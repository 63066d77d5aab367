package emulator

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/internal/testsupport"
	"github.com/fluent/fluent-logger-golang/fluent"
	"gotest.tools/v3/assert"
)

// dockerRecord is what Docker's fluentd driver sends for one stdout line.
func dockerRecord(log string) map[string]string {
	return map[string]string{
		"container_id":   "4f1c2b3a4f1c2b3a4f1c2b3a4f1c2b3a4f1c2b3a4f1c2b3a4f1c2b3a4f1c2b3a",
		"container_name": "/delish-api-1",
		"source":         "stdout",
		"log":            log,
	}
}

func TestLoggerToFakes(t *testing.T) {
	sk := newSinks(t)
	root := parseConfig(t, sk.env(t.TempDir(), "1s"))
	e := startEmulator(t, root, WithLogger(testLogger(t)))
	host, port := hostPort(t, e.Addr())
	logger, err := fluent.New(fluent.Config{FluentHost: host, FluentPort: port, RequestAck: true, Timeout: 3 * time.Second})
	assert.NilError(t, err)
	td := time.Unix(1704164645, 0) // 2024-01-02T03:04:05Z
	for i := range 20 {
		line := fmt.Sprintf(`{"log_type":"EVENT","event_type":"click","user_id":%d}`, i)
		assert.NilError(t, logger.PostWithTime("docker.delish", td, dockerRecord(line)))
	}
	// T2: the app's time; T8: not JSON (dropped); T38: a direct client.
	assert.NilError(t, logger.PostWithTime("docker.delish", td, dockerRecord(`{"log_type":"EVENT","event_type":"click","time":"2024-01-02T04:30:00Z","user_id":1000}`)))
	assert.NilError(t, logger.PostWithTime("docker.delish", td, dockerRecord(`GET /health 200`)))
	assert.NilError(t, logger.PostWithTime("delish.event.signup", td, map[string]any{"a": 1}))
	assert.NilError(t, logger.Close())

	testsupport.Until(t, 20*time.Second, "S3 objects", func() bool {
		l := sk.s3Lines(t, "logs/delish-event/")
		return len(l["logs/delish-event/click/2024/01/02/03_0_fluentd01.gz"]) == 20 && len(l["logs/delish-event/click/2024/01/02/04_0_fluentd01.gz"]) == 1 && len(l["logs/delish-event/signup/2024/01/02/03_0_fluentd01.gz"]) == 1
	})
	lines := sk.s3Lines(t, "logs/delish-event/")
	assert.DeepEqual(t, lines["logs/delish-event/click/2024/01/02/03_0_fluentd01.gz"][0],
		map[string]any{"log_type": "EVENT", "event_type": "click", "user_id": float64(0), "time": "2024-01-02 03:04:05"})
	assert.DeepEqual(t, lines["logs/delish-event/signup/2024/01/02/03_0_fluentd01.gz"][0], map[string]any{"a": float64(1), "time": "2024-01-02 03:04:05"})
	testsupport.Until(t, 20*time.Second, "TD records", func() bool {
		return len(sk.tdRecords(t, "event_click")) == 21 && len(sk.tdRecords(t, "event_signup")) == 1
	})
	rec := sk.tdRecords(t, "event_click")[0]
	assert.Equal(t, fmt.Sprint(rec["time"]), "1704164645")
	assert.Equal(t, rec["event_type"], "click")

	// out_s3's request sequence for the click instance: list, head bucket,
	// create bucket at start; HEAD per index until 404, then PUT.
	var ops []string
	for _, r := range sk.requests(t) {
		if r.Key == "" || strings.HasPrefix(r.Key, "logs/delish-event/click/") {
			ops = append(ops, r.Op+" "+r.Key)
		}
	}
	assert.Assert(t, len(ops) >= 3, "%v", ops)
	assert.DeepEqual(t, ops[:3], []string{"ListObjects ", "HeadBucket ", "CreateBucket "})

	st := e.Stats()
	assert.Equal(t, st.Forward.Acks, int64(23))
	assert.Equal(t, st.Drops["warning"], int64(1))
}

func TestIndexAdvancesOnSecondFlush(t *testing.T) {
	sk := newSinks(t)
	root := parseConfig(t, sk.env(t.TempDir(), "1s"))
	e := startEmulator(t, root)
	host, port := hostPort(t, e.Addr())
	logger, err := fluent.New(fluent.Config{FluentHost: host, FluentPort: port, RequestAck: true})
	assert.NilError(t, err)
	defer logger.Close()
	td := time.Unix(1704164645, 0)
	line := `{"log_type":"EVENT","event_type":"click"}`
	assert.NilError(t, logger.PostWithTime("docker.delish", td, dockerRecord(line)))
	testsupport.Until(t, 20*time.Second, "first object", func() bool { return len(sk.s3Lines(t, "logs/")) == 1 })
	assert.NilError(t, logger.PostWithTime("docker.delish", td, dockerRecord(line)))
	testsupport.Until(t, 20*time.Second, "second object", func() bool {
		return len(sk.s3Lines(t, "logs/")["logs/delish-event/click/2024/01/02/03_1_fluentd01.gz"]) == 1
	})
}
