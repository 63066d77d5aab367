package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// TestHealthcheckAnswers: a 2xx answer is exit 0 and silent; anything else
// is exit 1 with one stderr line saying what answered.
func TestHealthcheckAnswers(t *testing.T) {
	var redirected atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/down", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("{\n  \"error\": \"store\tnot open\"\n}\n"))
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok-elsewhere", http.StatusFound) })
	mux.HandleFunc("/ok-elsewhere", func(w http.ResponseWriter, _ *http.Request) { redirected.Add(1) })
	mux.HandleFunc("/long", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(strings.Repeat("é", 150))) // 300 bytes: cut inside none of them
	})
	mux.HandleFunc("/binary", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("bad\x00\xff\x1b[31mgateway"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/ok", 0, ""},
		{"/empty", 0, ""},
		{"/down", 1, "devenv: healthcheck " + srv.URL + "/down: answered 503 Service Unavailable: { \"error\": \"store not open\" }\n"},
		{"/missing", 1, "devenv: healthcheck " + srv.URL + "/missing: answered 404 Not Found: 404 page not found\n"},
		{"/moved", 1, "devenv: healthcheck " + srv.URL + "/moved: answered 302 Found (redirect to /ok-elsewhere, not followed): <a href=\"/ok-elsewhere\">Found</a>.\n"},
		{"/long", 1, "devenv: healthcheck " + srv.URL + "/long: answered 500 Internal Server Error: " + strings.Repeat("é", 100) + "…\n"},
		{"/binary", 1, "devenv: healthcheck " + srv.URL + "/binary: answered 502 Bad Gateway: bad \uFFFD [31mgateway\n"},
	} {
		code, stdout, stderr := devenvRun(t, "healthcheck", srv.URL+tc.path)
		assert.Equal(t, code, tc.code, "%s: %s", tc.path, stderr)
		assert.Equal(t, stdout, "", tc.path)
		assert.Equal(t, stderr, tc.want, tc.path)
	}
	assert.Equal(t, redirected.Load(), int32(0), "a redirect must not be followed")
}

// TestHealthcheckNoAnswer: a refused connection and a server that does not
// answer within --timeout are exit 1, saying why, without waiting longer.
func TestHealthcheckNoAnswer(t *testing.T) {
	closed := "http://" + closedAddr(t) + "/_devenv/health"
	code, _, stderr := devenvRun(t, "healthcheck", closed)
	assert.Equal(t, code, 1)
	assert.Assert(t, strings.HasPrefix(stderr, "devenv: healthcheck "+closed+": no answer: dial tcp "), stderr)
	assert.Assert(t, is.Contains(stderr, "connection refused"))
	assert.Equal(t, strings.Count(stderr, "\n"), 1, stderr)

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	start := time.Now()
	code, _, stderr = devenvRun(t, "healthcheck", "--timeout", "200ms", slow.URL)
	assert.Equal(t, code, 1)
	assert.Equal(t, stderr, "devenv: healthcheck "+slow.URL+": no answer: nothing within 200ms\n")
	assert.Assert(t, time.Since(start) < 5*time.Second, "took %s", time.Since(start))

	code, _, stderr = devenvRun(t, "healthcheck", "http://devenv-no-such-host.invalid/")
	assert.Equal(t, code, 1)
	assert.Assert(t, strings.HasPrefix(stderr, "devenv: healthcheck http://devenv-no-such-host.invalid/: no answer: dial tcp: lookup devenv-no-such-host.invalid"), stderr)
}

// TestHealthcheckIgnoresProxy: the check goes to the address given even
// when the environment names a proxy (which would answer 200 for a host
// that does not exist).
func TestHealthcheckIgnoresProxy(t *testing.T) {
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { proxied.Add(1) }))
	t.Cleanup(proxy.Close)
	for _, k := range []string{"HTTP_PROXY", "http_proxy"} {
		t.Setenv(k, proxy.URL)
	}
	for _, k := range []string{"NO_PROXY", "no_proxy"} {
		t.Setenv(k, "")
	}
	code, _, stderr := devenvRun(t, "healthcheck", "http://devenv-healthcheck.invalid/_devenv/health")
	assert.Equal(t, code, 1, stderr)
	assert.Assert(t, is.Contains(stderr, "no answer: dial tcp: lookup devenv-healthcheck.invalid"))
	assert.Equal(t, proxied.Load(), int32(0))
}

// TestHealthcheckOfEveryFake: the endpoint devenv generate checks answers
// 2xx on each fake as soon as it serves.
func TestHealthcheckOfEveryFake(t *testing.T) {
	s3, _ := startFakeS3(t)
	td, _ := startFakeTD(t)
	apm, _, _ := startFakeDatadog(t)
	for _, base := range []string{s3, td, apm} {
		code, _, stderr := devenvRun(t, "healthcheck", base+"/_devenv/health")
		assert.Equal(t, code, 0, "%s: %s", base, stderr)
	}
}

func TestHealthcheckUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "devenv: healthcheck: want one URL, got 0 arguments (see 'devenv healthcheck --help')\n"},
		{[]string{"http://a/", "http://b/"}, "devenv: healthcheck: want one URL, got 2 arguments (see 'devenv healthcheck --help')\n"},
		{[]string{"127.0.0.1:4566"}, "devenv: healthcheck: \"127.0.0.1:4566\" is not an http:// or https:// URL (see 'devenv healthcheck --help')\n"},
		{[]string{"ftp://example.com/"}, "devenv: healthcheck: \"ftp://example.com/\" is not an http:// or https:// URL (see 'devenv healthcheck --help')\n"},
		{[]string{"http:///health"}, "devenv: healthcheck: \"http:///health\" is not an http:// or https:// URL (see 'devenv healthcheck --help')\n"},
		{[]string{"--timeout", "0", "http://a/"}, "devenv: healthcheck: --timeout 0s must be above zero (see 'devenv healthcheck --help')\n"},
		{[]string{"--timeout", "soon", "http://a/"}, "devenv: healthcheck: invalid argument \"soon\" for \"--timeout\" flag: time: invalid duration \"soon\" (see 'devenv healthcheck --help')\n"},
		{[]string{"--bogus", "http://a/"}, "devenv: healthcheck: unknown flag: --bogus (see 'devenv healthcheck --help')\n"},
	} {
		code, stdout, stderr := devenvRun(t, append([]string{"healthcheck"}, tc.args...)...)
		assert.Equal(t, code, 2, "%q: %s", tc.args, stderr)
		assert.Equal(t, stdout, "")
		assert.Equal(t, stderr, tc.want, "%q", tc.args)
	}
}

func TestHealthcheckHelp(t *testing.T) {
	code, stdout, _ := devenvRun(t, "healthcheck", "--help")
	assert.Equal(t, code, 0)
	for _, want := range []string{"FROM", `"CMD", "/devenv", "healthcheck"`, "Examples:", "Exit codes: 0 on a 2xx answer", "--timeout duration"} {
		assert.Assert(t, is.Contains(stdout, want))
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	addr := l.Addr().String()
	assert.NilError(t, l.Close())
	return addr
}
