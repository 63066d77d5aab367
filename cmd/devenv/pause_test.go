package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// TestPause: devenv pause sleeps until stopped (main cancels the context
// on SIGINT and SIGTERM), then exits 0.
func TestPause(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"pause"}, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}) }()
	select {
	case err := <-done:
		t.Fatalf("pause returned before it was stopped: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		assert.Equal(t, exitCode(err, &bytes.Buffer{}), 0)
	case <-time.After(5 * time.Second):
		t.Fatal("pause did not return once stopped")
	}

	var stderr bytes.Buffer
	err := run(t.Context(), []string{"pause", "extra"}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	assert.Equal(t, exitCode(err, &stderr), 2)
}
