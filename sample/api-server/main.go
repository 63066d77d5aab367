// Command api-server is a stand-in for DELISH KITCHEN's private API server.
// It serves HTTP on port 1323 and logs the way the real server does with
// DK_LOG_STDOUT=1: one JSON object per line on stdout, event logs carrying
// "log_type":"EVENT" and an "event_type", which Docker's fluentd logging
// driver ships to fluentd as the "log" field of records tagged docker.delish.
//
// Routes:
//
//	GET  /health           → 200 {"status":"ok"}
//	GET  /recipes/:id      → 200 recipe JSON; logs event "recipe_view"
//	POST /events           → 202; logs the JSON object in the body as an event
//	                          (its "event_type" is required, [A-Za-z0-9_]+)
//
// Every request also logs an access line ("log_type":"ACCESS") and counts
// delish.api.request on DogStatsD when DD_AGENT_HOST is set.
package main

import (
	"context"
	"errors"
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "api-server:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done. getenv supplies PORT (default 1323),
// DK_LOG_STDOUT (logs go to stdout when "1", are discarded otherwise),
// DD_AGENT_HOST and DD_DOGSTATSD_PORT (default 8125).
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	port := getenv("PORT")
	if port == "" {
		port = "1323"
	}
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
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           newServer(newLogger(logw, time.Now), metrics).handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", srv.Addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
