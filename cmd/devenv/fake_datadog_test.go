package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakes/datadog"
)

// startFakeDatadog runs `devenv fake datadog args...` in-process on free
// ports and returns the APM base URL, the DogStatsD UDP address, and a stop
// function that cancels it (as SIGTERM does) and returns its error.
func startFakeDatadog(t *testing.T, args ...string) (apm, statsd string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"fake", "datadog", "--statsd-addr", "127.0.0.1:0", "--apm-addr", "127.0.0.1:0"}, args...),
			strings.NewReader(""), pw, io.Discard)
		pw.CloseWithError(errors.Join(err, io.EOF))
		done <- err
	}()
	stopped := false
	var stopErr error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			stopErr = <-done
		}
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	lines := bufio.NewScanner(pr)
	go func() { // keep draining stdout so the command never blocks on it
		<-ctx.Done()
		io.Copy(io.Discard, pr)
	}()
	assert.Assert(t, lines.Scan(), "no output: %v", lines.Err())
	m := regexp.MustCompile(`serving (http://\S+) .*\(dogstatsd udp (\S+)`).FindStringSubmatch(lines.Text())
	assert.Assert(t, m != nil, "unexpected first line %q", lines.Text())
	return m[1], strings.TrimSuffix(m[2], ","), stop
}

func TestFakeDatadogCommandServesAndShutsDown(t *testing.T) {
	dir, err := os.MkdirTemp("", "dd")
	assert.NilError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "dsd.socket")
	apmSocket := filepath.Join(dir, "apm.socket")
	apm, udp, stop := startFakeDatadog(t, "--statsd-socket", socket, "--apm-socket", apmSocket, "--max-datagram-size", "64")
	c := datadog.NewClient(apm)
	ctx := t.Context()
	assert.NilError(t, c.Health(ctx))

	for _, dst := range []struct{ network, addr string }{{"udp", udp}, {"unixgram", socket}} {
		conn, err := net.Dial(dst.network, dst.addr)
		assert.NilError(t, err)
		_, err = conn.Write([]byte("cmd.test:2|c|#via:" + dst.network))
		assert.NilError(t, err)
		_, err = conn.Write([]byte("cmd.big:1|c|#" + strings.Repeat("x", 100)))
		assert.NilError(t, err)
		conn.Close()
	}
	r, err := c.WaitMetrics(ctx, datadog.MetricQuery{Name: "cmd.test"}, 10*time.Second,
		func(r datadog.MetricsResult) bool { return r.Total.Sum == 4 })
	assert.NilError(t, err, "%+v", r)
	assert.Check(t, is.Len(r.Series, 2))
	n, err := c.Counts(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(n.Oversize, uint64(2)), "--max-datagram-size 64 applies")

	// The trace intake answers on the Unix socket too, as dd-trace-go uses it.
	overUnix := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", apmSocket)
	}}}
	resp, err := overUnix.Get("http://localhost/info")
	assert.NilError(t, err)
	var info struct {
		Endpoints []string `json:"endpoints"`
	}
	assert.NilError(t, json.NewDecoder(resp.Body).Decode(&info))
	resp.Body.Close()
	assert.Check(t, is.Contains(info.Endpoints, "/v0.4/traces"))
	overUnix.CloseIdleConnections()

	assert.NilError(t, stop(), "a clean shutdown exits 0")
	_, err = os.Stat(apmSocket)
	assert.Check(t, os.IsNotExist(err), "the APM socket file is removed on shutdown: %v", err)
	_, err = os.Stat(socket)
	assert.Check(t, os.IsNotExist(err), "the socket file is removed on shutdown: %v", err)
	_, err = net.DialTimeout("tcp", strings.TrimPrefix(apm, "http://"), time.Second)
	assert.Check(t, err != nil, "the APM port is closed after shutdown")
}

func TestFakeDatadogCommandBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--max-datagram-size", "0"},
		{"--retention", "-1s"},
		{"--read-buffer", "0"},
		{"--apm-addr", ""},
		{"--no-such-flag"},
	} {
		err := run(t.Context(), append([]string{"fake", "datadog"}, args...), strings.NewReader(""), io.Discard, io.Discard)
		var ee *exitError
		assert.Assert(t, errors.As(err, &ee), "%v: %v", args, err)
		assert.Check(t, is.Equal(ee.code, 2), "%v", args)
	}
}

func TestFakeDatadogCommandAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	defer ln.Close()
	err = run(t.Context(), []string{"fake", "datadog", "--statsd-addr", "127.0.0.1:0", "--apm-addr", ln.Addr().String()},
		strings.NewReader(""), io.Discard, io.Discard)
	assert.ErrorContains(t, err, "listen on "+ln.Addr().String())
	var ee *exitError
	assert.Check(t, !errors.As(err, &ee), "exit code 1, not a usage error")
}
