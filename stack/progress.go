package stack

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/docker/compose/v5/pkg/api"
)

// progress prints Compose's events, and devenv's own, one line per step
// that ends (Built, Created, Started, Healthy, Stopped, Removed, ...), with
// the time since the resource's first event in this run, as `docker
// compose` prints them without a terminal:
//
//	Container delish-fake-s3-1  Healthy  2.1s
type progress struct {
	out io.Writer
	now func() time.Time

	mu    sync.Mutex
	start map[string]time.Time // resource ID → its first event
	last  map[string]string    // resource ID → the last line printed
}

var _ api.EventProcessor = (*progress)(nil)

func (p *progress) Start(context.Context, string) {}
func (p *progress) Done(string, bool)             {}

func (p *progress) On(events ...api.Resource) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.start == nil {
		p.start, p.last = map[string]time.Time{}, map[string]string{}
	}
	now := p.now()
	for _, e := range events {
		began, seen := p.start[e.ID]
		if !seen {
			began = now
			p.start[e.ID] = now
		}
		if e.Status == api.Working {
			continue
		}
		line := fmt.Sprintf(" %s  %s", e.ID, e.Text)
		if e.Details != "" {
			line += "  " + e.Details
		}
		if p.last[e.ID] == line {
			continue // Compose reports some steps twice
		}
		p.last[e.ID] = line
		fmt.Fprintf(p.out, "%s  %.1fs\n", line, now.Sub(began).Seconds())
	}
}

func (p *progress) working(id, text string) {
	p.On(api.Resource{ID: id, Status: api.Working, Text: text})
}
func (p *progress) done(id, text string) { p.On(api.Resource{ID: id, Status: api.Done, Text: text}) }
func (p *progress) doneWith(id, text, details string) {
	p.On(api.Resource{ID: id, Status: api.Done, Text: text, Details: details})
}
func (p *progress) failed(id, text string) {
	p.On(api.Resource{ID: id, Status: api.Error, Text: text})
}
