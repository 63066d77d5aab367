package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/devenv-sh/devenv/fakes/datadog"
)

// fakeDatadogOptions are the flags of `devenv fake datadog`.
type fakeDatadogOptions struct {
	statsdAddr   string        // --statsd-addr
	statsdSocket string        // --statsd-socket
	streamSocket string        // --statsd-stream-socket
	apmAddr      string        // --apm-addr
	apmSocket    string        // --apm-socket
	maxDatagram  int           // --max-datagram-size
	readBuffer   int           // --read-buffer
	retention    time.Duration // --retention
	dataDir      string        // --data-dir
}

func newFakeDatadogCommand() *cobra.Command {
	var o fakeDatadogOptions
	cmd := &cobra.Command{
		Use:   "datadog",
		Short: "Serve a Datadog agent stub (DogStatsD and trace intake, what datadog-go and dd-trace-go use)",
		Long: `Serve a Datadog agent stub until SIGINT or SIGTERM.

It receives what an application sends to the agent on its host:
  DogStatsD  UDP --statsd-addr (8125), and a Unix datagram socket with
             --statsd-socket (the agent's is /var/run/datadog/dsd.socket;
             datadog-go's unix:// and unixgram://), and a Unix stream socket
             with --statsd-stream-socket (unixstream://, length-prefixed):
             metrics of every type (c g ms h s d) with sample rates, tags,
             container ids (|c:), timestamps (|T) and packed values, events
             (_e{...}) and service checks (_sc|...). A datagram over
             --max-datagram-size bytes (the agent's 8192-byte buffer would cut
             it) and any malformed message are counted as parse errors.
  traces     HTTP --apm-addr (8126): POST/PUT /v0.4/traces (msgpack or JSON)
             and /v0.5/traces, answered with rate_by_service as the agent
             does; spans are deduplicated by (trace_id, span_id). GET /info
             advertises exactly those two endpoints and client_drop_p0s false,
             so dd-trace-go sends every trace. With --apm-socket the same
             API is also served on a Unix socket (the agent's is
             /var/run/datadog/apm.socket, which dd-trace-go uses when present).

Nothing is aggregated on the way in. What arrived is under /_devenv/ on the
APM port, aggregated at query time:
  GET  /_devenv/metrics?name=app.*&tag=env:prod&type=c&last=1m
         points, and per series and in total: count, sum, min, max, avg, last,
         scaled_sum (value/rate), set members, percentiles for ms/h/d.
         datadog-go's own datadog.dogstatsd.client.* telemetry is left out
         unless telemetry=true. Each point keeps its raw line and warnings
         (names Datadog would rewrite, tags over 200 characters, ...).
  GET  /_devenv/events?title=deploy*   /_devenv/service_checks?name=db.up&status=2
  GET  /_devenv/spans?service=api&error=true   /_devenv/traces?trace_id=42
  GET  /_devenv/payloads, /_devenv/parse_errors, /_devenv/counts (packets,
       parse errors, datagrams dropped by the kernel or the stub, spans)
  POST /_devenv/info {...}   change what GET /info advertises
  GET  /_devenv/health; POST /_devenv/reset
  POST /_devenv/faults {"times":2,"status":503,"path_prefix":"/v0.4/traces"}

Everything is kept in memory for --retention; past 100,000 metrics or spans
(10,000 events or service checks) the oldest are forgotten first. Datagrams
lost because the socket buffer overflowed are counted (Linux SO_RXQ_OVFL) in
/_devenv/counts as dropped_kernel; raise --read-buffer if a burst overflows
it. The DD_* variables of an ECS agent task (DD_API_KEY, DD_SITE, ...) are
ignored.

With --data-dir DIR what was received also survives a restart: every metric,
event, service check, parse error, span and trace payload still kept, with the
time it arrived, and the counts. DIR/datadog.json (one JSON document) is
rewritten atomically (temporary file, fsync, rename) every 5 s while something
arrives, and once more on SIGINT/SIGTERM after the listeners stop and every
datagram already read is parsed: a graceful shutdown loses nothing, a crash
the last 5 s at most (more only when saving a very full store takes over half
a second). At start the file is loaded and --retention applies to what it
holds; a file that cannot be read or decoded stops the start with an error
naming it, and is left as it is. POST /_devenv/reset empties the file too.
DIR/datadog.lock keeps a second stub off the same DIR. Without --data-dir
nothing is written to disk.

Examples:
  devenv fake datadog
  devenv fake datadog --statsd-addr 0.0.0.0:8125 --apm-addr 0.0.0.0:8126 \
      --statsd-socket /var/run/datadog/dsd.socket
  devenv fake datadog --data-dir .devenv/datadog --retention 1h
  echo -n 'page.views:1|c|#env:dev' | nc -u -w0 127.0.0.1 8125
  curl -s 'http://127.0.0.1:8126/_devenv/metrics?name=page.views'

Exit codes: 0 after a clean shutdown (the --data-dir snapshot saved); 1 when
the stub cannot start (address in use, socket path taken by another file,
--data-dir locked by another stub, its snapshot unreadable or corrupt) or the
last snapshot cannot be saved; 2 on bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFakeDatadog(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: 2, msg: "fake datadog: " + err.Error()}
	})
	o.addFlags(cmd.Flags(), "")
	return cmd
}

// addFlags registers the options on f, each name prefixed with prefix: ""
// for `devenv fake datadog`, "datadog-" for a command serving every fake at
// once (--datadog-statsd-addr, --datadog-apm-addr, ...).
func (o *fakeDatadogOptions) addFlags(f *pflag.FlagSet, prefix string) {
	f.StringVar(&o.statsdAddr, prefix+"statsd-addr", "127.0.0.1:8125", "DogStatsD UDP address (empty: no UDP listener; port 0 picks a free port)")
	f.StringVar(&o.statsdSocket, prefix+"statsd-socket", "", "DogStatsD Unix datagram socket path, e.g. /var/run/datadog/dsd.socket (default: none)")
	f.StringVar(&o.streamSocket, prefix+"statsd-stream-socket", "", "DogStatsD Unix stream socket path, for clients using unixstream:// (default: none)")
	f.StringVar(&o.apmAddr, prefix+"apm-addr", "127.0.0.1:8126", "trace intake and /_devenv/ API address (port 0 picks a free port)")
	f.StringVar(&o.apmSocket, prefix+"apm-socket", "", "also serve the trace intake on this Unix socket, e.g. /var/run/datadog/apm.socket (default: none)")
	f.IntVar(&o.maxDatagram, prefix+"max-datagram-size", 8192, "reject larger DogStatsD datagrams as oversize, as the agent's dogstatsd_buffer_size")
	f.IntVar(&o.readBuffer, prefix+"read-buffer", 32<<20, "socket receive buffer (SO_RCVBUF) to ask for, in bytes; forced past net.core.rmem_max when allowed")
	f.DurationVar(&o.retention, prefix+"retention", datadog.DefaultLimits.Retention, "forget what arrived longer ago than this")
	f.StringVar(&o.dataDir, prefix+"data-dir", "", "keep what arrived in this directory across restarts (default: in memory only)")
}

// openFakeDatadog builds the agent stub the options describe, logging to
// logw. The caller serves it with (*datadog.Agent).Serve(ctx,
// o.config(), ...), which closes it; a command serving every fake in one
// process reuses both.
func openFakeDatadog(o fakeDatadogOptions, logw io.Writer) (*datadog.Agent, error) {
	if o.apmAddr == "" {
		return nil, &exitError{code: 2, msg: "fake datadog: --apm-addr must not be empty"}
	}
	if o.maxDatagram <= 0 {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("fake datadog: --max-datagram-size must be positive, got %d", o.maxDatagram)}
	}
	if o.readBuffer <= 0 {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("fake datadog: --read-buffer must be positive, got %d", o.readBuffer)}
	}
	if o.retention < 0 {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("fake datadog: --retention must not be negative, got %s", o.retention)}
	}
	limits := datadog.DefaultLimits
	limits.Retention = o.retention
	opts := []datadog.Option{
		datadog.WithStore(datadog.NewMemoryStore(limits, nil)),
		datadog.WithMaxDatagramSize(o.maxDatagram),
		datadog.WithReadBuffer(o.readBuffer),
		datadog.WithLogger(slog.New(slog.NewTextHandler(logw, nil)).With("fake", "datadog")),
	}
	if o.dataDir == "" {
		return datadog.New(opts...), nil
	}
	a, err := datadog.Open(o.dataDir, opts...)
	if err != nil {
		return nil, fmt.Errorf("open fake datadog: %w", err)
	}
	return a, nil
}

// config is where the stub listens.
func (o fakeDatadogOptions) config() datadog.Config {
	return datadog.Config{StatsdAddr: o.statsdAddr, StatsdSocket: o.statsdSocket, StatsdStreamSocket: o.streamSocket, APMAddr: o.apmAddr, APMSocket: o.apmSocket}
}

// runFakeDatadog serves the stub until ctx is done (SIGINT, SIGTERM), then
// lets requests in flight finish, parses every datagram already read and,
// with --data-dir, saves the snapshot.
func runFakeDatadog(ctx context.Context, o fakeDatadogOptions, stdout, stderr io.Writer) error {
	a, err := openFakeDatadog(o, stderr)
	if err != nil {
		return err
	}
	return a.Serve(ctx, o.config(), func(addrs datadog.Addrs) {
		var statsd []string
		if addrs.Statsd != nil {
			statsd = append(statsd, "udp "+addrs.Statsd.String())
		}
		if addrs.StatsdSocket != "" {
			statsd = append(statsd, "unixgram "+addrs.StatsdSocket)
		}
		if addrs.StatsdStreamSocket != "" {
			statsd = append(statsd, "unixstream "+addrs.StatsdStreamSocket)
		}
		if len(statsd) == 0 {
			statsd = append(statsd, "off")
		}
		storage := "data in memory"
		if o.dataDir != "" {
			storage = "data in " + o.dataDir
		}
		apm := "http://" + addrs.APM.String()
		if addrs.APMSocket != "" {
			apm += " and unix://" + addrs.APMSocket
		}
		fmt.Fprintf(stdout, "fake datadog: serving %s (dogstatsd %s, %s)\n", apm, strings.Join(statsd, ", "), storage)
	})
}
