package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

func TestFluentdBadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fluent.conf")
	assert.NilError(t, os.WriteFile(path, []byte("<source>\n  @type forward\n"), 0o644))
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"fluentd", "--config", path}, nil, &out, &errb)
	assert.ErrorContains(t, err, "fluent.conf:")
	assert.Equal(t, exitCode(err, &errb), 1)

	err = run(t.Context(), []string{"fluentd", "--config", path, "--log-level", "loud"}, nil, &out, &errb)
	assert.Equal(t, exitCode(err, &errb), 2)
}

// fluentdOutBuffer is a bytes.Buffer safe for the emulator's concurrent writes.
type fluentdOutBuffer struct {
	mu chan struct{}
	b  bytes.Buffer
}

func (s *fluentdOutBuffer) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.Write(p)
}

func (s *fluentdOutBuffer) String() string {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.String()
}

func TestFluentdStdoutOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fluent.conf")
	conf := "<source>\n  @type forward\n  port 24224\n</source>\n<match app.**>\n  @type stdout\n</match>\n"
	assert.NilError(t, os.WriteFile(path, []byte(conf), 0o644))
	stdout := &fluentdOutBuffer{mu: make(chan struct{}, 1)}
	stderr := &fluentdOutBuffer{mu: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	portN, _ := strconv.Atoi(port)
	go func() {
		done <- run(ctx, []string{"fluentd", "--config", path, "--listen", "127.0.0.1:" + port, "--hostname", "h"}, nil, stdout, stderr)
	}()
	// Listening and printing the record share one 10 s deadline.
	deadline := time.Now().Add(10 * time.Second)
	var logger *fluent.Fluent
	testsupport.Eventually(t, time.Until(deadline), "the emulator to listen", func(context.Context) (err error) {
		if logger, err = fluent.New(fluent.Config{FluentHost: "127.0.0.1", FluentPort: portN}); err != nil {
			return fmt.Errorf("%w; log: %s", err, stderr.String())
		}
		return nil
	})
	assert.NilError(t, logger.PostWithTime("app.x", time.Unix(1704164645, 0).UTC(), map[string]string{"k": "v"}))
	assert.NilError(t, logger.Close())
	testsupport.Eventually(t, time.Until(deadline), "the record on stdout", func(context.Context) error {
		if !strings.Contains(stdout.String(), `app.x: {"k":"v"}`) {
			return fmt.Errorf("stdout %q", stdout.String())
		}
		return nil
	})
	assert.Assert(t, cmp.Contains(stdout.String(), "2024-01-02 03:04:05 +0000 app.x: {\"k\":\"v\"}\n"))
	cancel()
	err = <-done
	assert.Assert(t, err == nil || errors.Is(err, context.Canceled), "%v", err)
	assert.Assert(t, cmp.Contains(stderr.String(), "[info]: listening port"))
}

// TestFluentdStartErrorsAreOneLine: a buffer directory that cannot be
// created, or a port in use, is one error line naming the cause, exit 1.
func TestFluentdStartErrorsAreOneLine(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	assert.NilError(t, os.WriteFile(notDir, nil, 0o644))
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	defer busy.Close()
	for _, tc := range []struct {
		name, conf, listen, want string
	}{
		{"unwritable buffer dir", "<source>\n  @type forward\n</source>\n<match **>\n  @type file\n  path " + dir + "/out\n  buffer_path " + notDir + "/buf\n</match>\n",
			"127.0.0.1:0", "fluent.conf:4:1: start file output: open buffer " + notDir + "/buf: mkdir " + notDir + ": not a directory"},
		{"port in use", "<source>\n  @type forward\n</source>\n<match **>\n  @type null\n</match>\n",
			busy.Addr().String(), "address already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "fluent.conf")
			assert.NilError(t, os.WriteFile(path, []byte(tc.conf), 0o644))
			var out, errb bytes.Buffer
			err := run(t.Context(), []string{"fluentd", "--config", path, "--listen", tc.listen, "--log-level", "warn"}, nil, &out, &errb)
			assert.Equal(t, exitCode(err, &errb), 1)
			lines := strings.Split(strings.TrimSuffix(errb.String(), "\n"), "\n")
			assert.Equal(t, len(lines), 1, "stderr: %q", errb.String())
			assert.Assert(t, cmp.Contains(lines[0], tc.want))
			assert.Assert(t, strings.HasPrefix(lines[0], "devenv: "), lines[0])
		})
	}
}
