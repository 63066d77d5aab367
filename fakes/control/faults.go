// Package control gives every devenv fake the same inspection and control
// surface: a health check, a reset, and fault injection, all under [Prefix] on
// the fake's HTTP port. Package fakeclient is their client.
//
// A fake mounts the shared endpoints with [Mount], wraps its service routes in
// [Faults.Middleware] with a [Renderer] that speaks its own wire format (S3 XML,
// Treasure Data JSON, ...), and adds its own inspection routes under [Prefix].
package control

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Prefix is the path prefix of every fake's inspection and control API. No
// S3 bucket, Treasure Data database or Datadog intake path starts with it.
const Prefix = "/_devenv"

// Fault is one fault-injection rule. It applies to the next Times requests
// that match Method and PathPrefix (empty matches any). With Status set, the
// request is answered with that status, Code and Message rendered in the
// fake's wire format, after LatencyMS; with Status zero, the request is only
// delayed by LatencyMS and then served normally.
type Fault struct {
	Times      int    `json:"times"`
	Status     int    `json:"status,omitempty"`
	Code       string `json:"code,omitempty"`
	Message    string `json:"message,omitempty"`
	LatencyMS  int    `json:"latency_ms,omitempty"`
	Method     string `json:"method,omitempty"`
	PathPrefix string `json:"path_prefix,omitempty"`
}

// Validate reports what is wrong with a rule, naming the field.
func (f Fault) Validate() error {
	var errs []error
	if f.Times < 1 {
		errs = append(errs, fmt.Errorf("times: must be at least 1, got %d", f.Times))
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		errs = append(errs, fmt.Errorf("status: must be an HTTP status (100-599) or 0, got %d", f.Status))
	}
	if f.LatencyMS < 0 {
		errs = append(errs, fmt.Errorf("latency_ms: must not be negative, got %d", f.LatencyMS))
	}
	if f.Status == 0 && f.LatencyMS == 0 {
		errs = append(errs, errors.New("a fault needs a status, a latency_ms, or both"))
	}
	return errors.Join(errs...)
}

func (f Fault) matches(r *http.Request) bool {
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
		if !fs.rules[i].matches(r) {
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
