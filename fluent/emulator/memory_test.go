package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	"gotest.tools/v3/assert"
)

// TestMemoryBufferFlushedAtShutdown: a memory buffer keeps records until
// its flush interval, and a graceful shutdown flushes it.
func TestMemoryBufferFlushedAtShutdown(t *testing.T) {
	sk := newSinks(t)
	root, err := parseConfigFile(t, "memory.conf", sk.env(t.TempDir(), "1s"))
	assert.NilError(t, err)
	e, err := New(root, WithListenAddr("127.0.0.1:0"), WithLogger(testLogger(t)))
	assert.NilError(t, err)
	assert.NilError(t, e.Listen())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx) }()

	host, port := hostPort(t, e.Addr())
	logger, err := fluent.New(fluent.Config{FluentHost: host, FluentPort: port, RequestAck: true})
	assert.NilError(t, err)
	for i := range 3 {
		assert.NilError(t, logger.PostWithTime("app.web", time.Unix(1704164645, 0), map[string]any{"n": i}))
	}
	assert.NilError(t, logger.Close())
	assert.Equal(t, len(sk.s3Lines(t, "memory/")), 0)
	st := e.Stats()
	assert.Equal(t, st.Outputs[0].Buffer.StagedBytes > 0, true)

	cancel()
	assert.NilError(t, <-done)
	lines := sk.s3Lines(t, "memory/")
	assert.Equal(t, len(lines["memory/2024010203_0.gz"]), 3, "%v", lines)
}
