package datadog

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRingMatchesASliceModel drives the ring with random pushes, front
// drops and clears, and compares it with a plain slice after every step.
func TestRingMatchesASliceModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, capacity := range []int{1, 2, 3, 7, 64} {
		r := newRing[int](capacity)
		var model []int
		next := 0
		for step := range 5000 {
			switch op := rng.IntN(20); {
			case op < 14:
				next++
				old, evicted := r.push(next)
				model = append(model, next)
				if len(model) > capacity {
					if !evicted || old != model[0] {
						t.Fatalf("cap %d step %d: push evicted %d,%v; want %d", capacity, step, old, evicted, model[0])
					}
					model = model[1:]
				} else if evicted {
					t.Fatalf("cap %d step %d: push evicted %d from a ring that was not full", capacity, step, old)
				}
			case op < 19:
				k := rng.IntN(3)
				dropped := 0
				r.dropWhile(func(*int) bool { dropped++; return dropped <= k })
				model = model[min(k, len(model)):]
			default:
				r.clear()
				model = nil
			}
			if got := r.collect(nil); !slices.Equal(got, model) {
				t.Fatalf("cap %d step %d: ring %v, model %v", capacity, step, got, model)
			}
		}
	}
}

// TestResetForgetsQueuedDatagrams checks Reset waits for the datagrams
// already read, so none of them is stored after it.
func TestResetForgetsQueuedDatagrams(t *testing.T) {
	a := New()
	t.Cleanup(func() { a.Close() })
	for range 5000 {
		a.queue <- packet{data: "queued:1|c", transport: TransportUDP}
	}
	if err := a.Reset(); err != nil {
		t.Fatal(err)
	}
	if c := a.Counts(); c != (Counts{}) {
		t.Fatalf("counts after reset: %+v", c)
	}
	if r := a.Metrics(MetricQuery{}); len(r.Points) != 0 {
		t.Fatalf("%d metrics stored after reset", len(r.Points))
	}
	a.queue <- packet{data: "after:1|c", transport: TransportUDP}
	a.Close()
	if r := a.Metrics(MetricQuery{}); len(r.Points) != 1 || r.Points[0].Name != "after" {
		t.Fatalf("after reset and close: %+v", r.Points)
	}
	if err := a.Reset(); err != nil { // a closed agent still resets
		t.Fatal(err)
	}
}
