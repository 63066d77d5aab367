package watch

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"gotest.tools/v3/assert"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func TestBatcherSavesWithinQuietAreOneChange(t *testing.T) {
	b := newBatcher(200 * time.Millisecond)
	_, ok := b.deadline()
	assert.Assert(t, !ok, "nothing pending yet")
	api := Target{Kind: GoSource, Package: "./api"}
	b.add(t0, "/p/api/main.go", []Target{api})
	b.add(t0.Add(150*time.Millisecond), "/p/api/server.go", []Target{api})
	b.add(t0.Add(190*time.Millisecond), "/p/taskdefs/api.json", []Target{{Kind: StackInput}})
	due, ok := b.deadline()
	assert.Assert(t, ok)
	assert.Equal(t, due, t0.Add(390*time.Millisecond), "due 200 ms after the last event")
	_, ok = b.take(t0.Add(350 * time.Millisecond))
	assert.Assert(t, !ok, "not due yet: an event came 160 ms ago")
	c, ok := b.take(due)
	assert.Assert(t, ok)
	assert.DeepEqual(t, c, Change{
		Paths:   []string{"/p/api/main.go", "/p/api/server.go", "/p/taskdefs/api.json"},
		Targets: []Target{{Kind: StackInput}, api},
	})
	_, ok = b.deadline()
	assert.Assert(t, !ok, "taken: nothing pending")
}

func TestBatcherIgnoresEventsOfNoInput(t *testing.T) {
	b := newBatcher(200 * time.Millisecond)
	b.add(t0, "/p/api/main.go", []Target{{Kind: GoSource, Package: "./api"}})
	b.add(t0.Add(150*time.Millisecond), "/p/api/.main.go.swp", nil)
	due, _ := b.deadline()
	assert.Equal(t, due, t0.Add(200*time.Millisecond), "an editor's swap file does not put the change off")
	c, ok := b.take(due)
	assert.Assert(t, ok)
	assert.DeepEqual(t, c.Paths, []string{"/p/api/main.go"})
}

func TestChangeTargetsOrder(t *testing.T) {
	b := newBatcher(time.Millisecond)
	b.add(t0, "/p/b.go", []Target{{Kind: GoSource, Package: "./b"}, {Kind: GoSource, Package: "./a"}})
	b.add(t0, "/p/fluent.conf", []Target{{Kind: FluentdConfig}})
	b.add(t0, "/p/devenv.yaml", []Target{{Kind: StackInput}})
	c, _ := b.take(t0.Add(time.Second))
	assert.DeepEqual(t, c.Targets, []Target{{Kind: StackInput}, {Kind: FluentdConfig}, {Kind: GoSource, Package: "./a"}, {Kind: GoSource, Package: "./b"}})
}

// fakeClock is a Clock a test moves by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []fakeTimer
	waiting chan struct{} // a send per After call
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0, waiting: make(chan struct{}, 100)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), c: ch})
	c.waiting <- struct{}{}
	return ch
}

// advance moves the clock on by d and fires the timers due by then.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.timers = slices.DeleteFunc(c.timers, func(t fakeTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		t.c <- c.now
		return true
	})
}

// TestLoopDebounces drives the event loop with a fake clock: a save as
// an editor makes it (temporary file, rename over), then another save
// 150 ms later, are one change applied 200 ms after the last event.
func TestLoopDebounces(t *testing.T) {
	clock := newFakeClock()
	api := "/p/api/main.go"
	applied := make(chan Change, 10)
	w := &watcher{
		o:       Options{Quiet: 200 * time.Millisecond, Clock: clock},
		ix:      newIndex(Files{Go: map[string][]string{"./api": {api}}}),
		applyFn: func(_ context.Context, c Change) { applied <- c },
	}
	events := make(chan fsnotify.Event)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		w.loop(ctx, events, nil)
		close(done)
	}()
	events <- fsnotify.Event{Name: "/p/api/main.go.tmp", Op: fsnotify.Create}
	events <- fsnotify.Event{Name: "/p/api/main.go.tmp", Op: fsnotify.Write}
	events <- fsnotify.Event{Name: api, Op: fsnotify.Create}
	<-clock.waiting // the loop waits for the change to be due
	clock.advance(150 * time.Millisecond)
	events <- fsnotify.Event{Name: api, Op: fsnotify.Chmod} // ignored
	events <- fsnotify.Event{Name: api, Op: fsnotify.Write}
	<-clock.waiting
	<-clock.waiting
	clock.advance(100 * time.Millisecond) // 250 ms: the first timer fires, but the change is put off
	select {
	case c := <-applied:
		t.Fatalf("applied %v 100 ms after the last event", c)
	default:
	}
	clock.advance(100 * time.Millisecond) // 350 ms: 200 ms after the last event
	c := <-applied
	assert.DeepEqual(t, c, Change{Paths: []string{api}, Targets: []Target{{Kind: GoSource, Package: "./api"}}})
	cancel()
	<-done
	assert.Equal(t, len(applied), 0)
}
