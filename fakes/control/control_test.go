package control_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/fakes/control"
)

// fake is a minimal fake served over httptest, and a client of its control
// API: every fakeclient client has the same control methods, through one
// shared base, so the S3 one stands for all.
type fake struct {
	*fakeclient.S3
	url    string
	resets int
}

// newFake serves a minimal fake: GET /thing answers 200 "ok", faults render
// as {"code":...}, and reset counts its calls.
func newFake(t *testing.T, resetErr error) *fake {
	t.Helper()
	e := echo.New()
	var faults control.Faults
	f := &fake{}
	control.Mount(e, "test", &faults, func() error { f.resets++; return resetErr })
	svc := e.Group("", faults.Middleware(func(c echo.Context, f control.Fault) error {
		return c.JSON(f.Status, map[string]string{"code": f.Code})
	}))
	svc.GET("/thing", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	svc.PUT("/thing", func(c echo.Context) error { return c.String(http.StatusOK, "put") })
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	f.S3, f.url = fakeclient.NewS3(srv.URL+"/"), srv.URL
	return f
}

func status(t *testing.T, method, url string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	assert.NilError(t, err)
	resp, err := http.DefaultClient.Do(req)
	assert.NilError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestHealthAndReset(t *testing.T) {
	c := newFake(t, nil)
	assert.NilError(t, c.Health(t.Context()))
	assert.NilError(t, c.InjectFault(t.Context(), fakeclient.Fault{Times: 5, Status: 503}))
	assert.NilError(t, c.Reset(t.Context()))
	assert.Equal(t, c.resets, 1)
	fs, err := c.Faults(t.Context())
	assert.NilError(t, err)
	assert.Check(t, is.Len(fs, 0), "reset must drop pending faults")
}

func TestResetErrorIsReported(t *testing.T) {
	c := newFake(t, errors.New("disk full"))
	err := c.Reset(t.Context())
	assert.ErrorContains(t, err, "500 Internal Server Error")
	assert.ErrorContains(t, err, "reset test: disk full")
}

func TestFaultAppliesToNextNMatchingRequests(t *testing.T) {
	c := newFake(t, nil)
	assert.NilError(t, c.InjectFault(t.Context(), fakeclient.Fault{Times: 2, Status: 503, Code: "SlowDown", Method: "PUT"}))

	assert.Equal(t, status(t, "GET", c.url+"/thing"), 200, "GET does not match a PUT rule")
	assert.Equal(t, status(t, "PUT", c.url+"/thing"), 503)
	fs, err := c.Faults(t.Context())
	assert.NilError(t, err)
	assert.DeepEqual(t, fs, []fakeclient.Fault{{Times: 1, Status: 503, Code: "SlowDown", Method: "PUT"}})
	assert.Equal(t, status(t, "PUT", c.url+"/thing"), 503)
	assert.Equal(t, status(t, "PUT", c.url+"/thing"), 200, "the rule is used up")
}

func TestFaultNeverAppliesToControlAPI(t *testing.T) {
	c := newFake(t, nil)
	assert.NilError(t, c.InjectFault(t.Context(), fakeclient.Fault{Times: 1, Status: 500}))
	assert.NilError(t, c.Health(t.Context()))
	assert.Equal(t, status(t, "GET", c.url+"/thing"), 500)
}

func TestFaultPathPrefix(t *testing.T) {
	c := newFake(t, nil)
	assert.NilError(t, c.InjectFault(t.Context(), fakeclient.Fault{Times: 1, Status: 404, PathPrefix: "/other"}))
	assert.Equal(t, status(t, "GET", c.url+"/thing"), 200)
	fs, err := c.Faults(t.Context())
	assert.NilError(t, err)
	assert.Check(t, is.Len(fs, 1))
}

func TestLatencyOnlyFaultDelaysThenServes(t *testing.T) {
	c := newFake(t, nil)
	assert.NilError(t, c.InjectFault(t.Context(), fakeclient.Fault{Times: 1, LatencyMS: 150}))
	start := time.Now()
	assert.Equal(t, status(t, "GET", c.url+"/thing"), 200)
	assert.Check(t, time.Since(start) >= 150*time.Millisecond, "waited only %s", time.Since(start))
}

func TestInvalidFaultIsRejected(t *testing.T) {
	c := newFake(t, nil)
	err := c.InjectFault(t.Context(), fakeclient.Fault{Times: 0, Status: 700})
	assert.ErrorContains(t, err, "400 Bad Request")
	assert.ErrorContains(t, err, "invalid fault: times: must be at least 1, got 0\\nstatus: must be an HTTP status (100-599) or 0, got 700")

	resp, err := http.Post(c.url+"/_devenv/faults", "application/json", strings.NewReader(`{"times":1,"status":503,"stauts":1}`))
	assert.NilError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.NilError(t, err)
	assert.Equal(t, resp.StatusCode, http.StatusBadRequest)
	assert.Equal(t, string(body), `{"error":"decode fault: json: unknown field \"stauts\""}`+"\n")
	fs, err := c.Faults(t.Context())
	assert.NilError(t, err)
	assert.Check(t, is.Len(fs, 0), "no invalid rule is queued")
}

func TestFaultValidate(t *testing.T) {
	for _, tc := range []struct {
		f    control.Fault
		want string
	}{
		{control.Fault{Times: 1, Status: 503}, ""},
		{control.Fault{Times: 1, LatencyMS: 10}, ""},
		{control.Fault{Times: 1}, "a fault needs a status, a latency_ms, or both"},
		{control.Fault{Times: 1, LatencyMS: -1}, "latency_ms: must not be negative, got -1"},
	} {
		err := tc.f.Validate()
		if tc.want == "" {
			assert.NilError(t, err)
			continue
		}
		assert.Error(t, err, tc.want)
	}
}

func TestServeShutsDownWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	go func() { done <- control.Serve(ctx, "127.0.0.1:0", h, func(a net.Addr) { addrc <- a }) }()
	addr := <-addrc
	assert.Equal(t, status(t, "GET", "http://"+addr.String()+"/"), http.StatusTeapot)
	cancel()
	assert.NilError(t, <-done)
	_, err := net.Dial("tcp", addr.String())
	assert.Assert(t, err != nil, "listener must be closed after shutdown")
}

func TestServeReportsListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	t.Cleanup(func() { ln.Close() })
	err = control.Serve(t.Context(), ln.Addr().String(), http.NotFoundHandler(), nil)
	assert.ErrorContains(t, err, "listen on "+ln.Addr().String())
}
