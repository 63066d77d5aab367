package emulator

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

// TestFileOutputUnderBufferRoot: out_file writes each flushed chunk to
// path.<slice>_<index>.log, and absolute paths live under the buffer root.
func TestFileOutputUnderBufferRoot(t *testing.T) {
	dir := t.TempDir()
	root, err := parseConfigFile(t, "file.conf", nil)
	assert.NilError(t, err)
	e := startEmulator(t, root, WithBufferRoot(dir))
	host, port := hostPort(t, e.Addr())
	logger, err := fluent.New(fluent.Config{FluentHost: host, FluentPort: port, RequestAck: true})
	assert.NilError(t, err)
	assert.NilError(t, logger.PostWithTime("app.web", time.Unix(1704164645, 0), map[string]any{"k": "v"}))
	assert.NilError(t, logger.Close())
	staged, err := filepath.Glob(filepath.Join(dir, "fluentd/log/app-buffer.20240102.b*.log"))
	assert.NilError(t, err)
	assert.Equal(t, len(staged), 1)

	e.ForceFlush()
	out := filepath.Join(dir, "fluentd/log/app.20240102_0.log")
	testsupport.Until(t, 10*time.Second, "out_file file", func() bool { b, err := os.ReadFile(out); return err == nil && len(b) > 0 })
	b, err := os.ReadFile(out)
	assert.NilError(t, err)
	assert.Equal(t, string(b), "{\"k\":\"v\"}\n")
}
