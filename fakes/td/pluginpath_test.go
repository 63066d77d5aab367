package td_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakes/td"
	"github.com/devenv-sh/devenv/fluent/buffer"
	"github.com/devenv-sh/devenv/fluent/output"
	"github.com/devenv-sh/devenv/fluent/router"
)

// exchange is one request the fake answered: method, path and status.
type exchange struct {
	Method, Path string
	Status       int
}

// recording serves the fake (with its default existence model) and logs
// every request under /v3/ with the status answered.
func recording(t *testing.T) (*httptest.Server, *td.MemStore, func() []exchange) {
	t.Helper()
	store := td.NewMemStore()
	fake := td.New(store)
	var mu sync.Mutex
	var log []exchange
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		fake.ServeHTTP(rec, r)
		mu.Lock()
		log = append(log, exchange{r.Method, r.URL.Path, rec.status})
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv, store, func() []exchange {
		mu.Lock()
		defer mu.Unlock()
		return append([]exchange(nil), log...)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// writeChunk appends records under key to a memory buffer draining into
// sink and writes them as one chunk at shutdown; it returns the write's
// error as the buffer reports it (nil when the sink took the chunk).
func writeChunk(t *testing.T, sink buffer.Sink, key string, records ...[]byte) error {
	t.Helper()
	var werr error
	b, err := buffer.Open(buffer.Config{Type: "memory", FlushAtShutdown: true, RetryLimit: 0}, sinkFunc(func(ctx context.Context, c *buffer.Chunk) error {
		werr = sink.Write(ctx, c)
		return nil
	}))
	assert.NilError(t, err)
	for _, r := range records {
		assert.NilError(t, b.Append(key, r))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.NilError(t, b.Run(ctx, 10*time.Second))
	return werr
}

type sinkFunc func(context.Context, *buffer.Chunk) error

func (f sinkFunc) Write(ctx context.Context, c *buffer.Chunk) error { return f(ctx, c) }

// TestEmulatorTDOutputCreatesAndRetries: the emulator's out_tdlog
// (auto_create_table, its default) against the fake as it starts by
// default runs fluent-plugin-td's path: the import answers 404, creating
// the table answers 404 (no database), the database and then the table
// are created, and the same chunk is imported again under the same id.
func TestEmulatorTDOutputCreatesAndRetries(t *testing.T) {
	srv, store, exchanges := recording(t)
	sink := output.NewTD(&router.TDConfig{APIKey: "k", Endpoint: srv.URL, AutoCreateTable: true})
	key, err := sink.ChunkKey("delish_dev.event_click")
	assert.NilError(t, err)
	rec, err := msgpack.Marshal(map[string]any{"event_type": "click", "time": 1704164645})
	assert.NilError(t, err)
	assert.NilError(t, writeChunk(t, sink, key, rec))

	got := exchanges()
	assert.Equal(t, len(got), 5, "%v", got)
	importPath := got[0].Path
	assert.DeepEqual(t, got, []exchange{
		{http.MethodPut, importPath, http.StatusNotFound},
		{http.MethodPost, "/v3/table/create/delish_dev/event_click/log", http.StatusNotFound},
		{http.MethodPost, "/v3/database/create/delish_dev", http.StatusOK},
		{http.MethodPost, "/v3/table/create/delish_dev/event_click/log", http.StatusOK},
		{http.MethodPut, importPath, http.StatusOK},
	})
	assert.Assert(t, len(importPath) == len("/v3/table/import_with_id/delish_dev/event_click/")+32+len("/msgpack.gz"), importPath)

	imports, err := store.Imports()
	assert.NilError(t, err)
	assert.Equal(t, len(imports), 2)
	assert.Equal(t, imports[0].Status, http.StatusNotFound)
	assert.Equal(t, imports[0].Error, "Couldn't find UserDatabase with name = delish_dev")
	assert.Equal(t, imports[1].Status, http.StatusOK)
	assert.Equal(t, imports[1].UniqueID, imports[0].UniqueID)
	_, total, err := store.Records("delish_dev", "event_click", 0, 0)
	assert.NilError(t, err)
	assert.Equal(t, total, 1)
}

// TestEmulatorTDOutputWithoutAutoCreate: with auto_create_table false the
// 404 fails the write (fluentd retries the chunk) and nothing is created.
func TestEmulatorTDOutputWithoutAutoCreate(t *testing.T) {
	srv, store, exchanges := recording(t)
	sink := output.NewTD(&router.TDConfig{APIKey: "k", Endpoint: srv.URL})
	rec, err := msgpack.Marshal(map[string]any{"time": 1704164645})
	assert.NilError(t, err)
	err = writeChunk(t, sink, "delish_dev.event_click", rec)
	assert.ErrorContains(t, err, `status 404: {"error":"Not Found","message":"Couldn't find UserDatabase with name = delish_dev"}`)
	got := exchanges()
	assert.Equal(t, len(got), 1, "%v", got)
	assert.Equal(t, got[0].Status, http.StatusNotFound)
	dbs, err := store.Databases()
	assert.NilError(t, err)
	assert.Equal(t, len(dbs), 0)
}

// TestEmulatorTDOutputStartCreatesFixedTable: with database and table set,
// out_tdlog's start creates them (404 on the table, then the database and
// the table), so the first import finds the table.
func TestEmulatorTDOutputStartCreatesFixedTable(t *testing.T) {
	srv, store, exchanges := recording(t)
	sink := output.NewTD(&router.TDConfig{APIKey: "k", Endpoint: srv.URL, AutoCreateTable: true, Fixed: true, Database: "delish_dev", Table: "event_click"})
	assert.NilError(t, sink.Start(t.Context()))
	rec, err := msgpack.Marshal(map[string]any{"time": 1704164645})
	assert.NilError(t, err)
	assert.NilError(t, writeChunk(t, sink, "delish_dev.event_click", rec))
	got := exchanges()
	assert.Equal(t, len(got), 4, "%v", got)
	assert.DeepEqual(t, got[:3], []exchange{
		{http.MethodPost, "/v3/table/create/delish_dev/event_click/log", http.StatusNotFound},
		{http.MethodPost, "/v3/database/create/delish_dev", http.StatusOK},
		{http.MethodPost, "/v3/table/create/delish_dev/event_click/log", http.StatusOK},
	})
	assert.Equal(t, got[3].Method, http.MethodPut)
	assert.Equal(t, got[3].Status, http.StatusOK)
	_, total, err := store.Records("delish_dev", "event_click", 0, 0)
	assert.NilError(t, err)
	assert.Equal(t, total, 1)
}
