package td

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
)

func TestFaultInjectionAndClientRetry(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	var waits []time.Duration
	c := newTestClient(ts.URL, "k", WithRetries(3, 10*time.Millisecond), WithSleep(func(_ context.Context, d time.Duration) error {
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
	once := newTestClient(ts.URL, "k", WithRetries(0, 0))
	_, err = once.ImportWithID(ctx, "delish", "events", "another", fluentdChunk(t, 1))
	var ae *APIError
	assert.Assert(t, errors.As(err, &ae), "%v", err)
	assert.DeepEqual(t, *ae, APIError{Op: "Import failed", Status: http.StatusTooManyRequests, Code: "TooManyRequests", Message: "slow down"})

	// A 4xx is not retried.
	waits = nil
	err = c.CreateTable(ctx, "nodb", "events")
	assert.Equal(t, StatusOf(err), http.StatusNotFound)
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

// TestClientChecksImportAnswer makes sure the client rejects answers that
// td-client-go would reject, so the fake's answers are really checked.
func TestClientChecksImportAnswer(t *testing.T) {
	body := fluentdChunk(t, 1)
	cases := []struct {
		name, answer, err string
	}{
		{"missing md5", `{"database":"d","table":"t","elapsed_time":0.1}`, `lacks required key "md5_hex"`},
		{"missing elapsed", `{"database":"d","table":"t","md5_hex":""}`, `lacks required key "elapsed_time"`},
		{"wrong type", `{"database":"d","table":1,"md5_hex":"","elapsed_time":0}`, `key "table": want a string`},
		{"bad md5", `{"database":"d","table":"t","md5_hex":"00000000000000000000000000000000","elapsed_time":0}`, "checksum mismatch"},
		{"not json", `OK`, "unexpected API response"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(tc.answer))
			}))
			t.Cleanup(srv.Close)
			_, err := newTestClient(srv.URL, "k").Import(t.Context(), "d", "t", body)
			assert.ErrorContains(t, err, tc.err)
		})
	}
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
