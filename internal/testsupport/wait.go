package testsupport

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The interval between checks starts at firstInterval and doubles up to
// maxInterval: an in-process condition is seen within milliseconds, and a
// slow check (an HTTP call, the Docker API) runs at most ten times a second.
const (
	firstInterval = 5 * time.Millisecond
	maxInterval   = 100 * time.Millisecond
)

// errFalse is the last error Until reports: its condition has no error of
// its own.
var errFalse = errors.New("the condition is still false")

// Eventually calls check until it returns nil: at once, then at intervals
// growing from 5 ms to 100 ms. It fails t (t.Fatalf, so it must run on the
// test's goroutine) once timeout passes, with
// "<what>: not within <timeout>: <check's last error>". check's context
// ends at the deadline, so a check blocked on I/O returns in time. It does
// not derive from t.Context, which has ended by the time t.Cleanup
// functions run: Eventually works there too.
func Eventually(t testing.TB, timeout time.Duration, what string, check func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	interval := firstInterval
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		err := check(ctx)
		if err == nil {
			return
		}
		timer.Reset(interval)
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		case <-timer.C:
		}
		interval = min(2*interval, maxInterval)
	}
}

// Until is [Eventually] for a condition that has no error to report: it
// fails t with "<what>: not within <timeout>: the condition is still false".
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	Eventually(t, timeout, what, func(context.Context) error {
		if cond() {
			return nil
		}
		return errFalse
	})
}
