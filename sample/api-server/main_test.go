package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// mainEnv makes the test binary run main instead of the tests, so the tests
// can run the command itself: its real stdout, stderr, signals and exit code.
const mainEnv = "API_SERVER_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// command is the api-server command with env added to a clean environment
// (PORT, DK_LOG_STDOUT and the Datadog variables unset unless env sets them).
func command(t *testing.T, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1", "PORT=", "DK_LOG_STDOUT=", "DD_AGENT_HOST=", "DD_DOGSTATSD_PORT=")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	assert.NilError(t, err)
	return 0
}

// freePort returns a TCP port nothing listens on at the moment.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	_, port, err := net.SplitHostPort(ln.Addr().String())
	assert.NilError(t, err)
	assert.NilError(t, ln.Close())
	return port
}

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// portOf is the port of an httptest server, which listens on 127.0.0.1.
func portOf(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	assert.NilError(t, err)
	return u.Port()
}

// waitHealthy polls /health on port until it answers 200, failing if exited
// is closed first or after 10 s.
func waitHealthy(t *testing.T, port string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := checkHealth(context.Background(), envOf(map[string]string{"PORT": port}), time.Second)
		if err == nil {
			return
		}
		select {
		case <-exited:
			t.Fatalf("api-server exited before it was healthy (last check: %v)", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("api-server not healthy after 10 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runCLI runs cli in process and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli(t.Context(), args, envOf(env), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestHealthcheckPassesOn200(t *testing.T) {
	var method, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, path = r.Method, r.URL.Path
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	code, stdout, stderr := runCLI(t, map[string]string{"PORT": portOf(t, srv)}, "-healthcheck")
	assert.Equal(t, code, 0, stderr)
	assert.Equal(t, stdout, "")
	assert.Equal(t, stderr, "")
	assert.Equal(t, method, http.MethodGet)
	assert.Equal(t, path, "/health")
}

// assertOneLine checks that s is exactly one line containing want.
func assertOneLine(t *testing.T, s, want string) {
	t.Helper()
	assert.Assert(t, strings.HasSuffix(s, "\n") && strings.Count(s, "\n") == 1, "not one line: %q", s)
	assert.Assert(t, strings.Contains(s, want), "%q does not contain %q", s, want)
}

func TestHealthcheckFailsOtherwise(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"503": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "draining\nfor a deploy", http.StatusServiceUnavailable)
		},
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		},
		"204": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			port := portOf(t, srv)
			code, stdout, stderr := runCLI(t, map[string]string{"PORT": port}, "-healthcheck")
			assert.Equal(t, code, 1)
			assert.Equal(t, stdout, "")
			assertOneLine(t, stderr, "api-server: healthcheck: GET http://127.0.0.1:"+port+"/health: ")
		})
	}
	t.Run("503 says so", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		t.Cleanup(srv.Close)
		_, _, stderr := runCLI(t, map[string]string{"PORT": portOf(t, srv)}, "-healthcheck")
		assertOneLine(t, stderr, ": 503 Service Unavailable")
	})
	t.Run("nothing listening", func(t *testing.T) {
		port := freePort(t)
		code, stdout, stderr := runCLI(t, map[string]string{"PORT": port}, "-healthcheck")
		assert.Equal(t, code, 1)
		assert.Equal(t, stdout, "")
		assertOneLine(t, stderr, "api-server: healthcheck: ")
		assert.Assert(t, strings.Contains(stderr, "127.0.0.1:"+port), stderr)
	})
	t.Run("bad PORT", func(t *testing.T) {
		code, _, stderr := runCLI(t, map[string]string{"PORT": "http"}, "-healthcheck")
		assert.Equal(t, code, 1)
		assertOneLine(t, stderr, "api-server: healthcheck: ")
	})
}

func TestHealthcheckTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	start := time.Now()
	err := checkHealth(t.Context(), envOf(map[string]string{"PORT": portOf(t, srv)}), 100*time.Millisecond)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Assert(t, time.Since(start) < healthcheckTimeout, "took %s", time.Since(start))
	assert.Equal(t, healthcheckTimeout, 2*time.Second)
}

func TestHealthcheckDefaultsToPort1323(t *testing.T) {
	assert.Equal(t, portFrom(envOf(nil)), "1323")
	assert.Equal(t, portFrom(envOf(map[string]string{"PORT": "8080"})), "8080")
}

func TestBadCommandLinesExit2NamingTheCulprit(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-port=8080"}, "-port"},
		{[]string{"--verbose"}, "-verbose"},
		{[]string{"serve"}, `"serve"`},
		{[]string{"-healthcheck", "now"}, `"now"`},
		{[]string{"-healthcheck=maybe"}, "-healthcheck"},
		{[]string{"-h"}, "-h"},
		{[]string{"-healthcheck", "--help"}, "--help"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			// The real command, so the exit code is the process's. Nothing
			// may be served: PORT points at a port nobody checks.
			cmd, stdout, stderr := command(t, []string{"PORT=" + freePort(t)}, tc.args...)
			assert.Equal(t, exitCode(t, cmd.Run()), 2, "stderr: %s", stderr)
			assert.Equal(t, stdout.String(), "")
			assert.Assert(t, strings.HasPrefix(stderr.String(), "api-server: "), stderr.String())
			assert.Assert(t, strings.Contains(strings.SplitN(stderr.String(), "\n", 2)[0], tc.want), stderr.String())
			assert.Assert(t, strings.Contains(stderr.String(), usage), stderr.String())
		})
	}
}

// TestCommandWritesOnlyJSONLinesToStdout runs the real command with
// DK_LOG_STDOUT=1 from startup to SIGTERM: every byte on stdout must belong
// to a JSON log line (no echo banner, no "http server started"), and the
// command's own -healthcheck must follow the server's state.
func TestCommandWritesOnlyJSONLinesToStdout(t *testing.T) {
	port := freePort(t)
	cmd, stdout, stderr := command(t, []string{"PORT=" + port, "DK_LOG_STDOUT=1"})
	assert.NilError(t, cmd.Start())
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	waitHealthy(t, port, exited)

	hc, hcOut, hcErr := command(t, []string{"PORT=" + port}, "-healthcheck")
	assert.Equal(t, exitCode(t, hc.Run()), 0, "stderr: %s", hcErr)
	assert.Equal(t, hcOut.String()+hcErr.String(), "")

	base := "http://127.0.0.1:" + port
	resp, _ := request(t, http.MethodGet, base+"/nope", "")
	assert.Equal(t, resp.StatusCode, http.StatusNotFound)
	resp, _ = request(t, http.MethodPost, base+"/health", "")
	assert.Equal(t, resp.StatusCode, http.StatusMethodNotAllowed)
	resp, _ = request(t, http.MethodPost, base+"/events", `{"event_type":"click"}`)
	assert.Equal(t, resp.StatusCode, http.StatusAccepted)

	assert.NilError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		t.Fatal("api-server did not exit after SIGTERM")
	}
	assert.Equal(t, exitCode(t, waitErr), 0, "stderr: %s", stderr)
	t.Logf("stderr: %q", stderr.String())

	out := stdout.String()
	assert.Assert(t, out != "" && strings.HasSuffix(out, "\n"), "stdout: %q", out)
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var rec map[string]any
		assert.NilError(t, json.Unmarshal(sc.Bytes(), &rec), "stdout line %q is not a JSON object", sc.Text())
		switch rec["log_type"] {
		case "ACCESS":
			seen[rec["method"].(string)+" "+rec["path"].(string)+" "+jsonNumber(rec["status"])] = true
		case "EVENT":
			seen["EVENT "+rec["event_type"].(string)] = true
		default:
			t.Fatalf("stdout line %q has no known log_type", sc.Text())
		}
	}
	assert.NilError(t, sc.Err())
	for _, want := range []string{"GET /health 200", "GET /nope 404", "POST /health 405", "POST /events 202", "EVENT click"} {
		assert.Assert(t, seen[want], "no %s line in stdout: %s", want, out)
	}

	hc, hcOut, hcErr = command(t, []string{"PORT=" + port}, "-healthcheck")
	assert.Equal(t, exitCode(t, hc.Run()), 1)
	assert.Equal(t, hcOut.String(), "")
	assertOneLine(t, hcErr.String(), "api-server: healthcheck: ")
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCommandStopsOnSIGINTAndIsSilentWithoutDKLogStdout: logs are discarded
// unless DK_LOG_STDOUT=1, so stdout stays empty, and SIGINT stops the
// server like SIGTERM does.
func TestCommandStopsOnSIGINTAndIsSilentWithoutDKLogStdout(t *testing.T) {
	port := freePort(t)
	cmd, stdout, stderr := command(t, []string{"PORT=" + port})
	assert.NilError(t, cmd.Start())
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	waitHealthy(t, port, exited)
	resp, _ := request(t, http.MethodPost, "http://127.0.0.1:"+port+"/events", `{"event_type":"click"}`)
	assert.Equal(t, resp.StatusCode, http.StatusAccepted)
	assert.NilError(t, cmd.Process.Signal(os.Interrupt))
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		t.Fatal("api-server did not exit after SIGINT")
	}
	assert.Equal(t, exitCode(t, waitErr), 0, "stderr: %s", stderr)
	assert.Equal(t, stdout.String(), "")
}

func TestCommandFailsWhenThePortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", ":0")
	assert.NilError(t, err)
	t.Cleanup(func() { ln.Close() })
	_, port, err := net.SplitHostPort(ln.Addr().String())
	assert.NilError(t, err)
	cmd, stdout, stderr := command(t, []string{"PORT=" + port, "DK_LOG_STDOUT=1"})
	assert.Equal(t, exitCode(t, cmd.Run()), 1)
	assert.Equal(t, stdout.String(), "")
	assertOneLine(t, stderr.String(), "api-server: serve on :"+port+": ")
}

// TestRunSendsMetricsToDDAgentHost wires run to a real UDP listener through
// DD_AGENT_HOST and DD_DOGSTATSD_PORT, with the client's default options
// (client-side aggregation, telemetry): what is counted before shutdown
// arrives by the time run has returned.
func TestRunSendsMetricsToDDAgentHost(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	assert.NilError(t, err)
	t.Cleanup(func() { pc.Close() })
	_, dport, err := net.SplitHostPort(pc.LocalAddr().String())
	assert.NilError(t, err)
	port := freePort(t)
	env := envOf(map[string]string{
		"PORT": port, "DK_LOG_STDOUT": "1", "DD_AGENT_HOST": "127.0.0.1", "DD_DOGSTATSD_PORT": dport,
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout bytes.Buffer
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, env, &stdout, t.Output()) }()
	exited := make(chan struct{})
	waitHealthy(t, port, exited)

	base := "http://127.0.0.1:" + port
	resp, _ := request(t, http.MethodPost, base+"/events", `{"event_type":"signup"}`)
	assert.Equal(t, resp.StatusCode, http.StatusAccepted)
	resp, _ = request(t, http.MethodGet, base+"/recipes/x", "")
	assert.Equal(t, resp.StatusCode, http.StatusBadRequest)
	cancel()
	select {
	case err := <-errc:
		assert.NilError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after its context ended")
	}

	readStatsD(t, pc,
		"delish.api.event:1|c|#event_type:signup",
		"delish.api.request:1|c|#method:POST,status:202", "delish.api.request.duration:*|ms|#method:POST,status:202",
		"delish.api.request:1|c|#method:GET,status:400", "delish.api.request.duration:*|ms|#method:GET,status:400")
	recs := lines(t, &stdout)
	assert.Assert(t, len(recs) >= 3, "stdout: %v", recs)
}
