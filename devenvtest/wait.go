package devenvtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// WaitS3Lines waits until the objects of bucket under prefix hold at least
// n lines (out_s3 writes one record a line, gzipped) and returns every
// line, in key order; it fails the test at timeout.
func (s *Stack) WaitS3Lines(t testing.TB, bucket, prefix string, n int, timeout time.Duration) []string {
	t.Helper()
	var lines []string
	testsupport.Eventually(t, timeout, fmt.Sprintf("devenvtest: %d lines in s3://%s/%s", n, bucket, prefix), func(ctx context.Context) (err error) {
		if lines, err = s.s3Lines(ctx, t, bucket, prefix); err == nil && len(lines) < n {
			err = fmt.Errorf("%d lines so far", len(lines))
		}
		return err
	})
	return lines
}

// WaitS3Line waits until a line of the objects of bucket under prefix
// contains substr, and returns it; it fails the test at timeout.
func (s *Stack) WaitS3Line(t testing.TB, bucket, prefix, substr string, timeout time.Duration) string {
	t.Helper()
	var found string
	testsupport.Eventually(t, timeout, fmt.Sprintf("devenvtest: a line with %q in s3://%s/%s", substr, bucket, prefix), func(ctx context.Context) error {
		lines, err := s.s3Lines(ctx, t, bucket, prefix)
		if err != nil {
			return err
		}
		for _, l := range lines {
			if strings.Contains(l, substr) {
				found = l
				return nil
			}
		}
		return fmt.Errorf("none of %d lines", len(lines))
	})
	return found
}

// s3Lines returns the lines of every object of bucket under prefix.
func (s *Stack) s3Lines(ctx context.Context, t testing.TB, bucket, prefix string) ([]string, error) {
	t.Helper()
	if s.S3 == nil {
		t.Fatalf("devenvtest: the stack has no fake-s3 (list it under fakes in devenv.yaml)")
	}
	objs, err := s.S3.Objects(ctx, bucket, prefix)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, o := range objs {
		l, err := s.S3.Lines(ctx, bucket, o.Key)
		if err != nil {
			return nil, err
		}
		lines = append(lines, l...)
	}
	return lines, nil
}

// WaitTDRecords waits until db.table holds at least n records and returns
// them all, in arrival order; it fails the test at timeout.
func (s *Stack) WaitTDRecords(t testing.TB, db, table string, n int, timeout time.Duration) []fakeclient.TDRecord {
	t.Helper()
	if s.TD == nil {
		t.Fatalf("devenvtest: the stack has no fake-td (list it under fakes in devenv.yaml)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	recs, err := s.TD.WaitRecords(ctx, db, table, n)
	if err != nil {
		t.Fatalf("devenvtest: %d records in %s.%s: not within %s: %v", n, db, table, timeout, err)
	}
	return recs
}

// WaitMetric waits until the Datadog stub's metrics matching q satisfy
// done, and returns them; it fails the test at timeout.
func (s *Stack) WaitMetric(t testing.TB, q fakeclient.MetricQuery, timeout time.Duration, done func(fakeclient.MetricsResult) bool) fakeclient.MetricsResult {
	t.Helper()
	if s.Datadog == nil {
		t.Fatalf("devenvtest: the stack has no Datadog stub (a datadog-stub stand-in)")
	}
	r, err := s.Datadog.WaitMetrics(context.Background(), q, timeout, done)
	if err != nil {
		t.Fatalf("devenvtest: metric %s: %v", q.Name, err)
	}
	return r
}
