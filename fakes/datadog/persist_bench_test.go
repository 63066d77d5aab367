package datadog

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fullStore returns a store holding the default metrics capacity of
// datadog-go-shaped messages, received over the last minute.
func fullStore() *MemoryStore {
	s := NewMemoryStore(DefaultLimits, nil)
	d := benchDatagrams()["single"]
	start := time.Now().Add(-time.Minute)
	var batch Batch
	for i := range DefaultLimits.Metrics {
		batch.Reset()
		ParseDatagram(d, &batch)
		for j := range batch.Metrics {
			batch.Metrics[j].Received = start.Add(time.Duration(i) * time.Microsecond)
			batch.Metrics[j].Transport = TransportUDP
		}
		s.AddMetrics(batch.Metrics)
	}
	return s
}

// BenchmarkSnapshotSave measures one save of a full store (100,000
// metrics): the cost the periodic save bounds to a tenth of a core, and
// how long a graceful shutdown spends writing.
func BenchmarkSnapshotSave(b *testing.B) {
	a, err := Open(b.TempDir(), WithStore(fullStore()), WithSnapshotInterval(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	b.ReportAllocs()
	for b.Loop() {
		if err := a.save(true); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(a.persist.path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportMetric(float64(fi.Size())/(1<<20), "MB-snapshot")
}

// BenchmarkSnapshotLoad measures reading and restoring that snapshot, what
// a start with --data-dir spends before listening.
func BenchmarkSnapshotLoad(b *testing.B) {
	dir := b.TempDir()
	a, err := Open(dir, WithStore(fullStore()), WithSnapshotInterval(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Close(); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, SnapshotName)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		snap, err := readSnapshot(path)
		if err != nil {
			b.Fatal(err)
		}
		fresh := New()
		fresh.restore(snap)
		fresh.Close()
	}
}
