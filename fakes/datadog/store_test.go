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
