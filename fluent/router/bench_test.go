package router_test

import (
	"testing"

	"github.com/devenv-sh/devenv/fluent/router"
)

// BenchmarkRouteReference routes Docker-driver records through the
// reference config (parsed once): filter_parser, two rewrite_tag_filter
// re-emits, forest → copy → s3 + tdlog deliveries (formatted S3 line and TD
// record). Target: ≥ 200,000 records/s on one core.
func BenchmarkRouteReference(b *testing.B) {
	r := newDelishRouter(b, delishEnv())
	lines := []string{
		`{"log_type":"EVENT","event_type":"click","user_id":42}`,
		`{"log_type":"EVENT","event_type":"purchase","item":{"id":"x1","tags":["a","b"]},"price":9.99}`,
		`{"log_type":"EVENT","event_type":"page_view","time":"2024-01-02T04:30:00Z","user_id":1}`,
		`{"log_type":"EVENT","event_type":"signup","user_id":7,"plan":"free"}`,
	}
	events := make([]router.Event, len(lines))
	for i, l := range lines {
		events[i] = dockerEvent(l)
	}
	deliveries := 0
	b.ReportAllocs()
	cpu0 := processCPU()
	for i := 0; b.Loop(); i++ {
		j := r.Route(events[i%len(events)])
		deliveries += len(j.Deliveries)
	}
	if deliveries != 2*b.N {
		b.Fatalf("%d deliveries for %d records", deliveries, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "records/cpu-s")
	}
}
