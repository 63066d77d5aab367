package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// fakeAllLineRE are the lines each fake prints once it serves.
var fakeAllLineRE = map[string]*regexp.Regexp{
	"s3":      fakeS3ServingRE,
	"td":      fakeTDServingRE,
	"datadog": fakeDatadogServingRE,
}

func TestFakeAllServesEveryFakeUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr testsupport.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"fake", "all", "--s3-addr", "127.0.0.1:0", "--td-addr", "127.0.0.1:0",
			"--datadog-statsd-addr", "127.0.0.1:0", "--datadog-apm-addr", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr)
	}()
	got := map[string][]string{}
	testsupport.Until(t, 10*time.Second, "every fake to print its address", func() bool {
		for name, re := range fakeAllLineRE {
			if m := re.FindStringSubmatch(stdout.String()); m != nil {
				got[name] = m[1:]
			}
		}
		return len(got) == len(fakeAllLineRE)
	})

	// Each fake answers with its own protocol.
	s3c := fakeclient.NewS3(got["s3"][0])
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, got["s3"][0]+"/logs", nil)
	assert.NilError(t, err)
	resp, err := http.DefaultClient.Do(req)
	assert.NilError(t, err)
	resp.Body.Close()
	assert.Equal(t, resp.StatusCode, http.StatusOK, "CreateBucket")
	buckets, err := s3c.Buckets(t.Context())
	assert.NilError(t, err)
	assert.Equal(t, len(buckets), 1)

	tdc := fakeclient.NewTDAPI(got["td"][0], "local-key")
	body, err := fakeclient.EncodeTDRecords(map[string]any{"time": int64(1704164645), "event_type": "click"})
	assert.NilError(t, err)
	assert.NilError(t, tdc.CreateDatabase(t.Context(), "delish_local"))
	assert.NilError(t, tdc.CreateTable(t.Context(), "delish_local", "event_click"))
	_, err = tdc.ImportWithID(t.Context(), "delish_local", "event_click", "id-1", body)
	assert.NilError(t, err)
	recs, err := fakeclient.NewTD(got["td"][0]).Records(t.Context(), "delish_local", "event_click")
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 1)

	conn, err := net.Dial("udp", got["datadog"][1])
	assert.NilError(t, err)
	_, err = conn.Write([]byte("delish.api.request:1|c|#status:200"))
	conn.Close()
	assert.NilError(t, err)
	ddc := fakeclient.NewDatadog(got["datadog"][0])
	testsupport.Until(t, 5*time.Second, "the DogStatsD count", func() bool {
		c, err := ddc.Counts(t.Context())
		return err == nil && c.Metrics >= 1
	})

	cancel()
	select {
	case err := <-done:
		assert.NilError(t, err, "stderr: %s", stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("fake all did not shut down within 20s of cancellation")
	}
}

func TestFakeAllStopsEveryFakeWhenOneCannotStart(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	t.Cleanup(func() { taken.Close() })

	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(t.Context(), []string{"fake", "all", "--s3-addr", "127.0.0.1:0", "--td-addr", taken.Addr().String(),
			"--datadog-statsd-addr", "127.0.0.1:0", "--datadog-apm-addr", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr)
	}()
	select {
	case err := <-done:
		assert.ErrorContains(t, err, "listen on "+taken.Addr().String())
		assert.Equal(t, exitCode(err, &stderr), 1)
	case <-time.After(20 * time.Second):
		t.Fatal("fake all kept running although the fake TD could not start")
	}
}

func TestFakeAllBadFlagIsUsageError(t *testing.T) {
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"fake", "all", "--s3-access-key", "only-half"}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	assert.Equal(t, exitCode(err, &stderr), 2)
	assert.Equal(t, stderr.String(), "devenv: fake s3: the access keys and the secret keys go together, paired in order: give as many non-empty secret keys as access keys, or neither (got 1 access keys, 0 secret keys)\n")

	stderr.Reset()
	err = run(t.Context(), []string{"fake", "all", "--td-adr", "x"}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	assert.Equal(t, exitCode(err, &stderr), 2)
	assert.Equal(t, stderr.String(), "devenv: fake all: unknown flag: --td-adr\n")
}
