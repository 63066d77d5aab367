// Command api-server is a stand-in for DELISH KITCHEN's private API server.
// Like the real one it is an echo server on port 1323, and it logs the way
// the real server does with DK_LOG_STDOUT=1: one JSON object per line on
// stdout, event logs carrying "log_type":"EVENT" and an "event_type", which
// Docker's fluentd logging driver ships to fluentd as the "log" field of
// records tagged docker.delish. Nothing else is ever written to stdout.
//
// Routes (GET routes also answer HEAD):
//
//	GET  /health           → 200 {"status":"ok"}
//	GET  /recipes/:id      → 200 recipe JSON; logs event "recipe_view"
//	POST /events           → 202; logs the JSON object in the body as an event
//	                          (its "event_type" is required, [A-Za-z0-9_]+)
//
// Errors, including echo's 404 and 405, are JSON: {"error": message}. Every
// request also logs an access line ("log_type":"ACCESS") and, when
// DD_AGENT_HOST is set, counts delish.api.request and times
// delish.api.request.duration on DogStatsD (tags method, status); accepted
// events count delish.api.event (tag event_type).
//
// Usage:
//
//	api-server               serve until SIGTERM or SIGINT, then exit 0
//	api-server -healthcheck  GET http://127.0.0.1:$PORT/health (2 s timeout):
//	                         exit 0 on 200, else one line on stderr and exit 1
//
// -healthcheck is the container's exec-form health check
// (["CMD", "/api-server", "-healthcheck"]): the image is FROM scratch, with
// no shell or curl. Any other flag or argument exits 2.
//
// Environment: PORT (default 1323), DK_LOG_STDOUT ("1" logs to stdout, logs
// are discarded otherwise), DD_AGENT_HOST and DD_DOGSTATSD_PORT (default
// 8125). -healthcheck reads PORT only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
)

const (
	defaultPort = "1323"
	// healthcheckTimeout bounds the whole -healthcheck request.
	healthcheckTimeout = 2 * time.Second
	// shutdownTimeout is how long in-flight requests get after a signal.
	shutdownTimeout = 10 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = "usage: api-server [-healthcheck]"

// cli runs one invocation and returns its exit status: 0, 1 when serving or
// the health check fails, 2 for a bad command line.
func cli(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("api-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	healthcheck := fs.Bool("healthcheck", false, "check http://127.0.0.1:$PORT/health and exit 0 if it answers 200")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "api-server: flag %s is not supported\n", args[len(args)-len(fs.Args())-1])
		} else {
			fmt.Fprintln(stderr, "api-server:", err)
		}
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "api-server: unexpected argument %q\n%s\n", fs.Arg(0), usage)
		return 2
	}
	if *healthcheck {
		if err := checkHealth(ctx, getenv, healthcheckTimeout); err != nil {
			fmt.Fprintln(stderr, "api-server: healthcheck:", err)
			return 1
		}
		return 0
	}
	if err := run(ctx, getenv, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "api-server:", err)
		return 1
	}
	return 0
}

func portFrom(getenv func(string) string) string {
	if port := getenv("PORT"); port != "" {
		return port
	}
	return defaultPort
}

// checkHealth GETs /health on this host's PORT and fails unless the answer
// is 200. Redirects are not followed and no proxy is used.
func checkHealth(ctx context.Context, getenv func(string) string, timeout time.Duration) error {
	u := "http://" + net.JoinHostPort("127.0.0.1", portFrom(getenv)) + "/health"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return nil
}

// run serves until ctx is done, then shuts down gracefully. getenv supplies
// PORT, DK_LOG_STDOUT, DD_AGENT_HOST and DD_DOGSTATSD_PORT; log lines go to
// stdout, diagnostics to stderr.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	addr := ":" + portFrom(getenv)
	logw := io.Discard
	if getenv("DK_LOG_STDOUT") == "1" {
		logw = stdout
	}
	var metrics statsd.ClientInterface = &statsd.NoOpClient{}
	if host := getenv("DD_AGENT_HOST"); host != "" {
		dport := getenv("DD_DOGSTATSD_PORT")
		if dport == "" {
			dport = "8125"
		}
		c, err := statsd.New(net.JoinHostPort(host, dport), statsd.WithNamespace("delish.api."))
		if err != nil {
			return fmt.Errorf("start dogstatsd client: %w", err)
		}
		defer c.Close()
		metrics = c
	}
	e := newServer(newLogger(logw, time.Now), metrics).handler(stderr)
	e.Server.ReadHeaderTimeout = 10 * time.Second
	errc := make(chan error, 1)
	go func() { errc <- e.Start(addr) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := e.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
