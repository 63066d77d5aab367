package td

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
)

func TestFaultInjectionAndClientRetry(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	var waits []time.Duration
	c := newTestClient(ts.URL, "k", fakeclient.WithRetries(3, 10*time.Millisecond), fakeclient.WithSleep(func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}))
	ctx := t.Context()
	assert.NilError(t, c.InjectFault(ctx, fakeclient.Fault{Times: 2, Status: http.StatusServiceUnavailable, Method: http.MethodPut, PathPrefix: "/v3/table/import_with_id/"}))

	res, err := c.ImportWithID(ctx, "delish", "events", chunkID, fluentdChunk(t, 3))
	assert.NilError(t, err)
	assert.Equal(t, res.Table, "events")
	assert.DeepEqual(t, waits, []time.Duration{10 * time.Millisecond, 20 * time.Millisecond})
	faults, err := c.Faults(ctx)
	assert.NilError(t, err)
	assert.Equal(t, len(faults), 0, "both injected failures were used")

	// Injected failures never reach the fake: one logged import, stored once.
	imps, err := c.Imports(ctx)
	assert.NilError(t, err)
	assert.Equal(t, len(imps), 1)
	recs, err := c.Records(ctx, "delish", "events")
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 3)

	// The fault answers in TD's JSON error shape, which the client reads.
	assert.NilError(t, c.InjectFault(ctx, fakeclient.Fault{Times: 1, Status: http.StatusTooManyRequests, Code: "TooManyRequests", Message: "slow down"}))
	once := newTestClient(ts.URL, "k", fakeclient.WithRetries(0, 0))
	_, err = once.ImportWithID(ctx, "delish", "events", "another", fluentdChunk(t, 1))
	var ae *fakeclient.TDAPIError
	assert.Assert(t, errors.As(err, &ae), "%v", err)
	assert.DeepEqual(t, *ae, fakeclient.TDAPIError{Op: "Import failed", Status: http.StatusTooManyRequests, Code: "TooManyRequests", Message: "slow down"})

	// A 4xx is not retried.
	waits = nil
	err = c.CreateTable(ctx, "nodb", "events")
	assert.Equal(t, fakeclient.TDStatusOf(err), http.StatusNotFound)
	assert.Equal(t, len(waits), 0)
}

func TestFaultLatency(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	c := newTestClient(ts.URL, "k")
	ctx := t.Context()
	assert.NilError(t, c.InjectFault(ctx, fakeclient.Fault{Times: 1, LatencyMS: 30}))
	start := time.Now()
	_, err := c.Import(ctx, "delish", "events", fluentdChunk(t, 1))
	assert.NilError(t, err)
	assert.Assert(t, time.Since(start) >= 30*time.Millisecond)
}

// TestEncodedRecordsReadBack: the bodies fakeclient.EncodeTDRecords
// builds are what the fake decodes and stores, value for value, and a
// record read back imports again unchanged.
func TestEncodedRecordsReadBack(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	c := newTestClient(ts.URL, "k")
	ctx := t.Context()
	body, err := fakeclient.EncodeTDRecords(
		map[string]any{"time": 1700000000, "message": "GET /recipes", "status": int16(200), "latency": 0.25, "ok": true, "user": nil},
		map[string]any{"time": int64(1700000001), "big": uint64(math.MaxUint64), "neg": -40000, "tags": []any{"a", 1}, "ctx": map[string]any{"b": []byte("raw")}},
	)
	assert.NilError(t, err)
	_, err = c.Import(ctx, "delish", "events", body)
	assert.NilError(t, err)
	recs, err := c.Records(ctx, "delish", "events")
	assert.NilError(t, err)
	n := jsonNumber
	want := []fakeclient.TDRecord{
		{"time": n("1700000000"), "message": "GET /recipes", "status": n("200"), "latency": n("0.25"), "ok": true, "user": nil},
		{"time": n("1700000001"), "big": n("18446744073709551615"), "neg": n("-40000"), "tags": []any{"a", n("1")}, "ctx": map[string]any{"b": "raw"}},
	}
	assert.DeepEqual(t, recs, want)
	imps, err := c.Imports(ctx)
	assert.NilError(t, err)
	assert.Equal(t, imps[0].Validation.TimeMissing+imps[0].Validation.TimeNotInt, 0, "integer times: %+v", imps[0].Validation)

	again, err := fakeclient.EncodeTDRecords(map[string]any(recs[1]))
	assert.NilError(t, err)
	_, err = c.Import(ctx, "delish", "again", again)
	assert.NilError(t, err)
	back, err := c.Records(ctx, "delish", "again")
	assert.NilError(t, err)
	assert.DeepEqual(t, back, want[1:])
}

func TestWaitRecords(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	c := newTestClient(ts.URL, "k")
	ctx := t.Context()
	bodies := [][]byte{fluentdChunk(t, 1), fluentdChunk(t, 2), fluentdChunk(t, 3)}
	go func() {
		for _, b := range bodies {
			_, _ = c.Import(ctx, "delish", "events", b)
		}
	}()
	recs, err := c.WaitRecords(ctx, "delish", "events", 6)
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 6)

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.WaitRecords(short, "delish", "events", 7)
	assert.ErrorContains(t, err, "wait for 7 records in delish.events")
	assert.ErrorContains(t, err, "have 6")
}

// TestInjected404ThenImport is the "404 once" fault that exercises
// fluent-plugin-td's create-and-retry path against an auto-creating fake:
// the injected 404 has TD's error shape, the creates that follow succeed,
// and the retried import is stored.
func TestInjected404ThenImport(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	c := newTestClient(ts.URL, "k")
	ctx := t.Context()
	assert.NilError(t, c.InjectFault(ctx, fakeclient.Fault{Times: 1, Status: http.StatusNotFound, Message: "Couldn't find UserTable with name = events", Method: http.MethodPut}))
	url := ts.URL + "/v3/table/import_with_id/delish/events/" + chunkID + "/msgpack.gz"
	body := fluentdChunk(t, 2)

	status, js := tdRequest(t, http.MethodPut, url, "k", body)
	assert.Equal(t, status, http.StatusNotFound)
	assert.DeepEqual(t, js, map[string]any{"error": "Not Found", "message": "Couldn't find UserTable with name = events"})
	status, _ = tdRequest(t, http.MethodPost, ts.URL+"/v3/table/create/delish/events/log", "k", nil)
	assert.Equal(t, status, http.StatusNotFound) // no database yet
	status, _ = tdRequest(t, http.MethodPost, ts.URL+"/v3/database/create/delish", "k", nil)
	assert.Equal(t, status, http.StatusOK)
	status, _ = tdRequest(t, http.MethodPost, ts.URL+"/v3/table/create/delish/events/log", "k", nil)
	assert.Equal(t, status, http.StatusOK)
	status, _ = tdRequest(t, http.MethodPut, url, "k", body)
	assert.Equal(t, status, http.StatusOK)

	recs, err := c.Records(ctx, "delish", "events")
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 2)
}
