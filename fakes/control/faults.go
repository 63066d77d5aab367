// Package control gives every devenv fake the same inspection and control
// surface: a health check, a reset, and fault injection, all under [Prefix] on
// the fake's HTTP port. Package fakeclient is their client.
//
// A fake mounts the shared endpoints with [Mount], wraps its service routes in
// [Faults.Middleware] with a [Renderer] that speaks its own wire format (S3 XML,
// Treasure Data JSON, ...), and adds its own inspection routes under [Prefix].
package control

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devenv-sh/devenv/fakeclient"
)

// Prefix is the path prefix of every fake's inspection and control API. No
// S3 bucket, Treasure Data database or Datadog intake path starts with it.
const Prefix = "/_devenv"

// Fault is one fault-injection rule, as the clients send it: the one
// definition is fakeclient's, so that the two cannot drift apart.
type Fault = fakeclient.Fault

// matches reports whether f applies to r: its method (any when empty) and a
// path starting with its PathPrefix.
func matches(f Fault, r *http.Request) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
		return false
	}
	return strings.HasPrefix(r.URL.Path, f.PathPrefix)
}

// Renderer writes an injected fault as the real service would answer it: for
// example S3's XML error body with f.Code, or Treasure Data's JSON error.
// Renderers must set the status f.Status.
type Renderer func(c echo.Context, f Fault) error

// Faults holds the pending fault-injection rules of one fake. The zero value
// is ready to use; it is safe for concurrent use.
type Faults struct {
	mu    sync.Mutex
	rules []Fault
}

// Add queues a rule after validating it. Rules are consulted in the order
// they were added; the first matching rule with requests left applies.
func (fs *Faults) Add(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.rules = append(fs.rules, f)
	return nil
}

// List returns the pending rules, with the requests each has left in Times.
func (fs *Faults) List() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]Fault{}, fs.rules...)
}

// Clear drops every pending rule.
func (fs *Faults) Clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.rules = nil
}

// take consumes one use of the first rule matching r.
func (fs *Faults) take(r *http.Request) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i := range fs.rules {
		if !matches(fs.rules[i], r) {
			continue
		}
		f := fs.rules[i]
		fs.rules[i].Times--
		if fs.rules[i].Times == 0 {
			fs.rules = append(fs.rules[:i], fs.rules[i+1:]...)
		}
		return f, true
	}
	return Fault{}, false
}

// Middleware applies pending faults to every request outside [Prefix]. A
// fault with a status is answered through render without calling the next
// handler; the request body is left unread, as a failing server would.
func (fs *Faults) Middleware(render Renderer) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if strings.HasPrefix(r.URL.Path, Prefix+"/") {
				return next(c)
			}
			f, ok := fs.take(r)
			if !ok {
				return next(c)
			}
			if f.LatencyMS > 0 {
				t := time.NewTimer(time.Duration(f.LatencyMS) * time.Millisecond)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return r.Context().Err()
				}
			}
			if f.Status == 0 {
				return next(c)
			}
			return render(c, f)
		}
	}
}
