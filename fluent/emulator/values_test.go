package emulator

import (
	"bufio"
	"compress/gzip"
	"context"
	"testing"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	"gotest.tools/v3/assert"

	fakes3 "github.com/devenv-sh/devenv/fakes/s3"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// s3RawLines returns the lines (newline removed) of every object under
// prefix, by key, byte for byte: Oj writes NaN and Infinity, which no JSON
// decoder reads.
func (s *sinks) s3RawLines(t testing.TB, prefix string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	err := s.s3Store.ListObjects(ctx, "delish-logs", prefix, "", func(o fakes3.ObjectInfo) bool {
		keys = append(keys, o.Key)
		return true
	})
	if err != nil {
		return nil
	}
	out := map[string][]string{}
	for _, k := range keys {
		_, r, err := s.s3Store.GetObject(ctx, "delish-logs", k)
		assert.NilError(t, err)
		zr, err := gzip.NewReader(r)
		assert.NilError(t, err)
		sc := bufio.NewScanner(zr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			out[k] = append(out[k], sc.Text())
		}
		assert.NilError(t, sc.Err())
		r.Close()
	}
	return out
}

// TestOjValuesToFakeS3: Docker-driver lines that only Oj 2.18.3 reads, and
// floats and a year-0 time as Oj and Ruby's strftime write them, reach the
// fake S3 with the bytes fluentd v0.12 writes (classes 4 and 6 of issue 10).
func TestOjValuesToFakeS3(t *testing.T) {
	sk := newSinks(t)
	e := startEmulator(t, parseConfig(t, sk.env(t.TempDir(), "1s")), WithLogger(testLogger(t)))
	host, port := hostPort(t, e.Addr())
	logger, err := fluent.New(fluent.Config{FluentHost: host, FluentPort: port, RequestAck: true, Timeout: 3 * time.Second})
	assert.NilError(t, err)
	td := time.Unix(1704164645, 0)
	for _, line := range []string{
		"/* v2 */ {\"log_type\":\"EVENT\",\"event_type\":\"click\", // id\n \"a\":NaN,\"b\":-Infinity,\"c\":1e400}",
		`{"log_type":"EVENT","event_type":"click","z":-0.0,"e":1e16,"p":0.30000000000000004,"g":1e20}`,
		`{"log_type":"EVENT","event_type":"click","s":"\ud800"}`, // lone surrogate: pattern not match
		`{"log_type":"EVENT","event_type":"click","time":"0000-01-01T00:00:00Z"}`,
	} {
		assert.NilError(t, logger.PostWithTime("docker.delish", td, dockerRecord(line)))
	}
	assert.NilError(t, logger.Close())

	const hour = "logs/delish-event/click/2024/01/02/03_0_fluentd01.gz"
	const year0 = "logs/delish-event/click/0000/01/01/00_0_fluentd01.gz"
	testsupport.Until(t, 20*time.Second, "S3 objects", func() bool {
		l := sk.s3RawLines(t, "logs/delish-event/")
		return len(l[hour]) == 2 && len(l[year0]) == 1
	})
	assert.DeepEqual(t, sk.s3RawLines(t, "logs/delish-event/"), map[string][]string{
		hour: {
			`{"log_type":"EVENT","event_type":"click","a":NaN,"b":-Infinity,"c":Infinity,"time":"2024-01-02 03:04:05"}`,
			`{"log_type":"EVENT","event_type":"click","z":0.0,"e":10000000000000000.0,"p":0.3,"g":1e+20,"time":"2024-01-02 03:04:05"}`,
		},
		year0: {`{"log_type":"EVENT","event_type":"click","time":"0000-01-01 00:00:00"}`},
	})
	assert.Equal(t, e.Stats().Drops["warning"], int64(1))
}
