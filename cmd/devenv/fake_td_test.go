package main

import (
	"bytes"
	"io"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
)

var fakeTDServingRE = regexp.MustCompile(`fake td: serving (http://\S+)`)

// startFakeTD runs `devenv fake td args...` in-process on a free port and
// returns its base URL and a stop function that cancels it (as SIGTERM
// does) and waits for it to return.
func startFakeTD(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	m, stop := startServing(t, fakeTDServingRE, append([]string{"fake", "td", "--addr", "127.0.0.1:0"}, args...)...)
	return m[1], stop
}

func TestFakeTDCommandKeepsDataAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	url, stop := startFakeTD(t, "--data-dir", dir, "--apikey", "key-1", "--apikey", "key-2")
	c := fakeclient.NewTDAPI(url, "key-2")
	ctx := t.Context()
	body, err := fakeclient.EncodeTDRecords(map[string]any{"time": 1700000000, "message": "hello"}, map[string]any{"time": 1700000001, "message": "world"})
	assert.NilError(t, err)

	_, err = c.ImportWithID(ctx, "delish", "events", "0123456789abcdef0123456789abcdef", body)
	assert.Equal(t, fakeclient.TDStatusOf(err), 404, "an import into a missing table, by default: %v", err)
	assert.NilError(t, c.CreateDatabase(ctx, "delish"))
	assert.NilError(t, c.CreateTable(ctx, "delish", "events"))
	_, err = c.ImportWithID(ctx, "delish", "events", "0123456789abcdef0123456789abcdef", body)
	assert.NilError(t, err)
	_, err = fakeclient.NewTDAPI(url, "key-3").Import(ctx, "delish", "events", body)
	assert.Equal(t, fakeclient.TDStatusOf(err), 401, "--apikey: %v", err)
	assert.NilError(t, stop(), "clean shutdown")

	url, stop = startFakeTD(t, "--data-dir", dir)
	recs, err := fakeclient.NewTD(url).Records(ctx, "delish", "events")
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 2)
	assert.Equal(t, recs[1]["message"], "world")
	assert.NilError(t, stop())
}

// TestFakeTDCommandStrictAutoCreate: with --auto-create an import into a
// missing table creates it; with --strict a record without an integer time
// refuses the whole import.
func TestFakeTDCommandStrictAutoCreate(t *testing.T) {
	url, stop := startFakeTD(t, "--strict", "--auto-create")
	c := fakeclient.NewTDAPI(url, "k")
	body, err := fakeclient.EncodeTDRecords(map[string]any{"message": "no time"})
	assert.NilError(t, err)
	_, err = c.Import(t.Context(), "delish", "events", body)
	assert.Equal(t, fakeclient.TDStatusOf(err), 400, "%v", err)
	body, err = fakeclient.EncodeTDRecords(map[string]any{"time": 1700000000, "message": "timed"})
	assert.NilError(t, err)
	_, err = c.Import(t.Context(), "delish", "events", body)
	assert.NilError(t, err)
	recs, err := fakeclient.NewTD(url).Records(t.Context(), "delish", "events")
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 1)
	assert.NilError(t, stop())
}

func TestFakeTDCommandFailsToStart(t *testing.T) {
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"fake", "td", "--addr", "256.0.0.1:1"}, strings.NewReader(""), io.Discard, &stderr)
	assert.ErrorContains(t, err, "listen on 256.0.0.1:1")
	assert.Equal(t, exitCode(err, io.Discard), 1)

	err = run(t.Context(), []string{"fake", "td", "--bogus"}, strings.NewReader(""), io.Discard, &stderr)
	assert.ErrorContains(t, err, "unknown flag")
	assert.Equal(t, exitCode(err, io.Discard), 2)
	err = run(t.Context(), []string{"fake", "td", "--apikey", ""}, strings.NewReader(""), io.Discard, &stderr)
	assert.Equal(t, exitCode(err, io.Discard), 2)
}

// TestFakeTDCommandFinishesImportsInFlight stops the fake (as SIGTERM does)
// while an import is being served: the import completes, and its records
// are there after a restart.
func TestFakeTDCommandFinishesImportsInFlight(t *testing.T) {
	dir := t.TempDir()
	url, stop := startFakeTD(t, "--data-dir", dir)
	c := fakeclient.NewTDAPI(url, "k", fakeclient.WithRetries(0, 0))
	fake := fakeclient.NewTD(url)
	ctx := t.Context()
	assert.NilError(t, c.CreateDatabase(ctx, "delish"))
	assert.NilError(t, c.CreateTable(ctx, "delish", "events"))
	assert.NilError(t, fake.InjectFault(ctx, fakeclient.Fault{Times: 1, LatencyMS: 300, Method: "PUT"}))
	body, err := fakeclient.EncodeTDRecords(map[string]any{"time": 1700000000, "message": "in flight"})
	assert.NilError(t, err)
	imported := make(chan error, 1)
	go func() {
		_, err := c.Import(ctx, "delish", "events", body)
		imported <- err
	}()
	// The fault is consumed when the import reaches the fake.
	deadline := time.Now().Add(10 * time.Second)
	for {
		fs, err := fake.Faults(ctx)
		assert.NilError(t, err)
		if len(fs) == 0 {
			break
		}
		assert.Assert(t, time.Now().Before(deadline), "the import never reached the fake")
		runtime.Gosched()
	}
	assert.NilError(t, stop())
	assert.NilError(t, <-imported)

	url, stop = startFakeTD(t, "--data-dir", dir)
	recs, err := fakeclient.NewTD(url).Records(ctx, "delish", "events")
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 1)
	assert.NilError(t, stop())
}
