package watch

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// Quiet is how long watch waits after a file event for the next one:
// several saves within it (an editor's write, rename and chmod; a
// formatter run after the save; a branch switch) are one change.
const Quiet = 200 * time.Millisecond

// Change is one debounced change: the files that changed and what they
// are inputs of.
type Change struct {
	Paths   []string // absolute, sorted
	Targets []Target // stack inputs first, then fluentd, then go: rules by package
}

// batcher gathers file events into changes: a change is due Quiet after
// its last event. It holds no clock: callers pass the time.
type batcher struct {
	quiet   time.Duration
	due     time.Time // zero: nothing pending
	paths   map[string]bool
	targets map[Target]bool
}

func newBatcher(quiet time.Duration) *batcher {
	return &batcher{quiet: quiet, paths: map[string]bool{}, targets: map[Target]bool{}}
}

// add records an event on path, an input of targets, at now.
func (b *batcher) add(now time.Time, path string, targets []Target) {
	if len(targets) == 0 {
		return
	}
	b.paths[path] = true
	for _, t := range targets {
		b.targets[t] = true
	}
	b.due = now.Add(b.quiet)
}

// deadline returns when the pending change is due; false when none is.
func (b *batcher) deadline() (time.Time, bool) { return b.due, !b.due.IsZero() }

// take returns the pending change and forgets it, when it is due at now.
func (b *batcher) take(now time.Time) (Change, bool) {
	if b.due.IsZero() || now.Before(b.due) {
		return Change{}, false
	}
	c := Change{Paths: slices.Sorted(maps.Keys(b.paths)), Targets: slices.SortedFunc(maps.Keys(b.targets), compareTargets)}
	b.due = time.Time{}
	clear(b.paths)
	clear(b.targets)
	return c, true
}

// compareTargets orders what a change redoes: the stack's inputs first
// (regenerating may change everything else), then fluentd's config, then
// the go: rules.
func compareTargets(a, b Target) int {
	order := func(k Kind) int {
		switch k {
		case StackInput:
			return 0
		case FluentdConfig:
			return 1
		}
		return 2
	}
	return cmp.Or(cmp.Compare(order(a.Kind), order(b.Kind)), cmp.Compare(a.Package, b.Package))
}

// Clock is the time source of a watch: real time, or a test's.
type Clock interface {
	Now() time.Time
	// After sends the time on the channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
