package output

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakes/td"
	"github.com/devenv-sh/devenv/fluent/buffer"
	"github.com/devenv-sh/devenv/fluent/router"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// flushThrough appends records to a memory buffer draining into sink and
// flushes them as one chunk.
func flushThrough(t *testing.T, sink buffer.Sink, key string, records ...[]byte) *buffer.Buffer {
	t.Helper()
	b, err := buffer.Open(buffer.Config{Type: "memory", FlushInterval: time.Hour, RetryWait: 10 * time.Millisecond, RetryLimit: buffer.DefaultRetryLimit}, sink)
	assert.NilError(t, err)
	for _, r := range records {
		assert.NilError(t, b.Append(key, r))
	}
	b.ForceFlush()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); b.Run(ctx, time.Second) }() //nolint:errcheck // memory buffer close cannot fail
	t.Cleanup(func() { cancel(); wg.Wait() })
	return b
}

// chunkOf returns a staged-then-queued chunk holding data, from a memory
// buffer that is never flushed.
func chunkOf(t *testing.T, key, data string) *buffer.Chunk {
	t.Helper()
	var got *buffer.Chunk
	b, err := buffer.Open(buffer.Config{Type: "memory", FlushAtShutdown: true}, sinkFunc(func(c *buffer.Chunk) error { got = c; return nil }))
	assert.NilError(t, err)
	assert.NilError(t, b.Append(key, []byte(data)))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.NilError(t, b.Run(ctx, time.Second))
	assert.Assert(t, got != nil)
	return got
}

type sinkFunc func(*buffer.Chunk) error

func (f sinkFunc) Write(_ context.Context, c *buffer.Chunk) error { return f(c) }

func TestTDImportAutoCreates(t *testing.T) {
	store := td.NewMemStore()
	fake := td.New(store)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	sink := NewTD(&router.TDConfig{APIKey: "k", Endpoint: srv.Listener.Addr().String(), UseSSL: false, AutoCreateTable: true, Fixed: true, Database: "delish_dev", Table: "event_click"})
	assert.NilError(t, sink.Start(t.Context()))
	_, err := store.Table("delish_dev", "event_click")
	assert.NilError(t, err)

	r1, _ := msgpack.Marshal(map[string]any{"event_type": "click", "time": 1704164645})
	r2, _ := msgpack.Marshal(map[string]any{"event_type": "click", "time": 1704164646})
	b := flushThrough(t, sink, "delish_dev.event_click", r1, r2)
	testsupport.Until(t, 10*time.Second, "import", func() bool { return b.Stats().Flushed == 1 })
	recs, total, err := store.Records("delish_dev", "event_click", 0, 0)
	assert.NilError(t, err)
	assert.Equal(t, total, 2)
	var got map[string]any
	assert.NilError(t, msgpack.Unmarshal(recs[1], &got))
	assert.Equal(t, got["time"], uint32(1704164646))
	imports, err := store.Imports()
	assert.NilError(t, err)
	assert.Equal(t, len(imports[len(imports)-1].UniqueID), 32)
}

func TestTDImportCreatesMissingTableFromKey(t *testing.T) {
	store := td.NewMemStore()
	fake := td.New(store, td.WithAutoCreate(false))
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	sink := NewTD(&router.TDConfig{APIKey: "k", Endpoint: srv.URL, AutoCreateTable: true})
	assert.NilError(t, sink.Start(t.Context()))
	r1, _ := msgpack.Marshal(map[string]any{"a": 1, "time": 1})
	key, err := sink.ChunkKey("db_x.tbl_y")
	assert.NilError(t, err)
	b := flushThrough(t, sink, key, r1)
	testsupport.Until(t, 10*time.Second, "import", func() bool { return b.Stats().Flushed == 1 })
	_, total, err := store.Records("db_x", "tbl_y", 0, 0)
	assert.NilError(t, err)
	assert.Equal(t, total, 1)
}
