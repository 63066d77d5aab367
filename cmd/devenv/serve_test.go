package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

// startServing runs `devenv args...` in-process, as a long-running server,
// until its standard output matches ready, and returns the submatches. The
// returned stop cancels the command's context (what main does on SIGTERM)
// and returns the command's error; it may be called more than once, and it
// is called when the test ends. The test fails if the command exits, or
// prints nothing matching ready within 10 s.
func startServing(t *testing.T, ready *regexp.Regexp, args ...string) (match []string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr testsupport.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, strings.NewReader(""), &stdout, &stderr) }()
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(20 * time.Second):
				stopErr = fmt.Errorf("devenv %s did not stop within 20s of cancellation", strings.Join(args, " "))
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })

	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := ready.FindStringSubmatch(stdout.String()); m != nil {
			return m, stop
		}
		select {
		case err := <-done:
			done <- err // let stop return it
			t.Fatalf("devenv %s exited before serving: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("devenv %s printed nothing matching %q within 10s\nstdout: %s\nstderr: %s",
				strings.Join(args, " "), ready, stdout.String(), stderr.String())
		}
	}
}
