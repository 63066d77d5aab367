package testsupport_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

// recorder is a testing.TB whose failures are recorded, not reported.
type recorder struct {
	*testing.T
	failed bool
	logs   []string
}

func (r *recorder) Log(args ...any) {
	for _, a := range args {
		if s, ok := a.(string); ok {
			r.logs = append(r.logs, s)
		}
	}
}
func (r *recorder) Fail()    { r.failed = true }
func (r *recorder) FailNow() { r.failed = true; runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
	r.FailNow()
}

// run calls f with a recorder on a goroutine of its own, as FailNow needs,
// and returns what it logged when it failed, or "" when it passed.
func run(t *testing.T, f func(testing.TB)) string {
	r := &recorder{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	if !r.failed {
		return ""
	}
	if len(r.logs) == 0 {
		return "(failed without a message)"
	}
	return strings.Join(r.logs, "\n")
}

func TestEventuallyReturnsOnceCheckPasses(t *testing.T) {
	calls := 0
	msg := run(t, func(tb testing.TB) {
		testsupport.Eventually(tb, 10*time.Second, "the third call", func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("check's context has no deadline")
			}
			if calls++; calls < 3 {
				return fmt.Errorf("call %d", calls)
			}
			return nil
		})
	})
	assert.Equal(t, msg, "")
	assert.Equal(t, calls, 3, "checked until it passed, and not after")
}

func TestEventuallyFailsWithTheLastError(t *testing.T) {
	calls := 0
	msg := run(t, func(tb testing.TB) {
		testsupport.Eventually(tb, 50*time.Millisecond, "a line in s3://b/p", func(ctx context.Context) error {
			calls++
			return fmt.Errorf("%d lines so far", calls)
		})
	})
	assert.Equal(t, msg, fmt.Sprintf("a line in s3://b/p: not within 50ms: %d lines so far", calls))
	assert.Assert(t, calls > 1, "checked more than once before failing")
}

// A check blocked on I/O returns when its context ends at the deadline.
func TestEventuallyEndsABlockedCheckAtTheDeadline(t *testing.T) {
	msg := run(t, func(tb testing.TB) {
		testsupport.Eventually(tb, 20*time.Millisecond, "a blocked check", func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
	})
	assert.Equal(t, msg, "a blocked check: not within 20ms: context deadline exceeded")
}

func TestUntil(t *testing.T) {
	n := 0
	assert.Equal(t, run(t, func(tb testing.TB) {
		testsupport.Until(tb, 10*time.Second, "n reaches 2", func() bool { n++; return n == 2 })
	}), "")
	assert.Equal(t, n, 2)
	assert.Equal(t, run(t, func(tb testing.TB) {
		testsupport.Until(tb, 10*time.Millisecond, "never", func() bool { return false })
	}), "never: not within 10ms: the condition is still false")
}

// Eventually works in a t.Cleanup function, where t.Context has ended.
func TestEventuallyInCleanup(t *testing.T) {
	var msg string
	t.Run("sub", func(t *testing.T) {
		t.Cleanup(func() {
			msg = run(t, func(tb testing.TB) {
				testsupport.Until(tb, 10*time.Second, "in cleanup", func() bool { return true })
			})
		})
	})
	assert.Equal(t, msg, "")
}

// sink keeps TestCPUTimeGrowsWithWork's busy loop from being optimised away.
var sink uint64

func TestCPUTimeGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("CPUTime is not measured without getrusage")
	}
	start := testsupport.CPUTime(t)
	assert.Assert(t, start > 0, "the test binary has run code already")
	testsupport.Until(t, 10*time.Second, "CPU time to grow with a busy loop", func() bool {
		for range 1_000_000 {
			sink = sink*6364136223846793005 + 1442695040888963407
		}
		return testsupport.CPUTime(t) > start
	})
}
