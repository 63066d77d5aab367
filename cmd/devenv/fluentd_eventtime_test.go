package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	"gotest.tools/v3/assert"
)

// TestFluentdEventTime: by default `devenv fluentd` reads EventTime as
// fluentd v0.12 does (fluent-logger's sub-second mode: the record is lost,
// fluentd's error line is logged, the client reports success);
// --accept-eventtime reads it as fluentd v1 does.
func TestFluentdEventTime(t *testing.T) {
	const errLine = "[error]: forward error error=#<MessagePack::UnknownExtTypeError: unexpected extension type> error_class=MessagePack::UnknownExtTypeError\n"
	const outLine = "2024-01-02 03:04:05 +0000 app.x: {\"k\":\"v\"}\n"
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string // the line that shows the record was handled
	}{
		{"default", nil, errLine},
		{"accept-eventtime", []string{"--accept-eventtime"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "fluent.conf")
			conf := "<source>\n  @type forward\n  port 24224\n</source>\n<match app.**>\n  @type stdout\n</match>\n"
			assert.NilError(t, os.WriteFile(path, []byte(conf), 0o644))
			stdout := &fluentdOutBuffer{mu: make(chan struct{}, 1)}
			stderr := &fluentdOutBuffer{mu: make(chan struct{}, 1)}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			assert.NilError(t, err)
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			ln.Close()
			portN, _ := strconv.Atoi(port)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			args := append([]string{"fluentd", "--config", path, "--listen", "127.0.0.1:" + port}, tc.args...)
			go func() { done <- run(ctx, args, nil, stdout, stderr) }()
			defer func() {
				cancel()
				err := <-done
				assert.Assert(t, err == nil || errors.Is(err, context.Canceled), "%v", err)
			}()
			deadline := time.Now().Add(10 * time.Second)
			var logger *fluent.Fluent
			for {
				logger, err = fluent.New(fluent.Config{FluentHost: "127.0.0.1", FluentPort: portN, SubSecondPrecision: true})
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("emulator did not listen: %v; log: %s", err, stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			assert.NilError(t, logger.PostWithTime("app.x", time.Unix(1704164645, 500_000_000).UTC(), map[string]string{"k": "v"}))
			assert.NilError(t, logger.Close())
			handled := func() bool {
				if tc.stderr != "" {
					return strings.Contains(stderr.String(), tc.stderr)
				}
				return strings.Contains(stdout.String(), outLine)
			}
			for !handled() {
				if time.Now().After(deadline) {
					t.Fatalf("record not handled; stdout %q, stderr %q", stdout.String(), stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if tc.stderr != "" {
				// The frame raised: nothing of it can reach stdout.
				assert.Equal(t, stdout.String(), "")
			} else {
				assert.Assert(t, !strings.Contains(stderr.String(), "forward error"), stderr.String())
			}
		})
	}
}
