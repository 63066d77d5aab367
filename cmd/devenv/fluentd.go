package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	fluentconfig "github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/emulator"
)

// fluentdOptions are the flags of `devenv fluentd`.
type fluentdOptions struct {
	config          string   // --config
	env             []string // --env
	hostname        string   // --hostname
	logLevel        string   // --log-level
	tz              string   // --tz
	listen          string   // --listen
	bufferRoot      string   // --buffer-root
	acceptEventTime bool     // --accept-eventtime
}

func newFluentdCommand() *cobra.Command {
	var o fluentdOptions
	cmd := &cobra.Command{
		Use:   "fluentd",
		Short: "Run a fluentd v0.12 emulator on a fluent.conf (forward input, buffers, S3 and TD outputs)",
		Long: `Run fluent.conf in the foreground, the way fluentd v0.12 with
fluent-plugin-rewrite-tag-filter 1.6, forest, s3 0.8 and td 0.10 runs it, until
SIGINT or SIGTERM. devenv uses it where the real fluentd image cannot be built.

Input: every <source> of type forward listens on its bind:port (TCP, plus UDP
heartbeats) and reads the forward protocol's Message, Forward and PackedForward
modes (and JSON frames) as fluentd v0.12.43's in_forward does, from Docker's
fluentd log driver or any fluent-logger. A "chunk" option is acknowledged only
after the events are appended to their output buffers and fsynced.

As in fluentd v0.12, an EventTime (msgpack ext type 0: Docker's
fluentd-sub-second-precision, fluent-logger's nanosecond mode) or a
CompressedPackedForward frame ("compressed": "gzip") raises: "forward error" is
logged at error level and the connection is closed, so that frame and every
record after it on the connection are lost, while the sender may still report
success. --accept-eventtime reads both as fluentd v1 does.

Also as v0.12: a frame that is not an array is logged ("incoming chunk is
broken") and skipped; a Message without a record and Forward entries without a
record are skipped silently (a Forward entry's time 0 becomes now); a String
record goes on to the filters. Malformed msgpack, or an event fluentd would fail
on, closes that connection (fluentd logs "forward error"); the emulator keeps
serving.

Routing follows fluentd's semantics exactly (see 'devenv routes'). Outputs
(s3, tdlog, file, stdout, null) are buffered as fluentd buffers them:
buffer_type file keeps chunks in <buffer_path>.<key>.b<id>.log / .q<id>.log
files, which survive a crash or kill -9 and are sent after the next start
(a record torn by a crash is cut off); flush_interval, buffer_chunk_limit,
buffer_queue_limit, retry_wait, max_retry_wait and retry_limit are honoured.
S3 objects are written with aws-sdk-go-v2 to s3_endpoint (force_path_style);
TD imports go to endpoint with import_with_id, creating database and table on
404.

The config's "#{ENV['X']}" values come from the process environment, with
--env KEY=VALUE overriding. SIGUSR1 flushes every buffer now. On SIGINT or
SIGTERM, file buffers stay on disk for the next start and memory buffers are
flushed first (fluentd's flush_at_shutdown defaults).

One log line per start, flush and error, in fluentd's format, on stderr; at
shutdown a last line counts connections, frames, events, acks, decode and emit
errors (connections closed), EventTimes, broken chunks, skipped records,
deliveries and drops by kind.

Examples:
  devenv fluentd --config .devenv/fluentd/fluent.conf
  # outside Docker: the fakes on loopback, and a copy of fluent.conf whose
  # s3_endpoint is http://127.0.0.1:4566 (force_path_style true) and whose
  # tdlog endpoint is http://127.0.0.1:8081 (use_ssl false)
  devenv fake s3 --addr 127.0.0.1:4566 &
  devenv fake td --addr 127.0.0.1:8081 &
  devenv fluentd --config local.conf --buffer-root /tmp/fluentd-buffers
  devenv fluentd --config fluent.conf --env AWS_S3_BUCKET=delish-logs \
    --env TD_DATABASE=delish_dev --hostname fluentd01 --buffer-root .devenv/fluentd-buffers
  devenv fluentd --config fluent.conf --listen 127.0.0.1:24224 --log-level debug
  devenv fluentd --config fluent.conf --accept-eventtime   # as fluentd v1 reads EventTime
  kill -USR1 <pid>    # flush now

Exit codes: 0 after a clean shutdown; 1 when the config is invalid (the error
names file:line:col), the port cannot be opened, or an output outside forest
cannot start (buffer directory not writable, S3/TD start-up calls failing);
2 on bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFluentd(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.config, "config", "c", "fluent.conf", "the fluentd config file")
	f.StringArrayVar(&o.env, "env", nil, "KEY=VALUE for \"#{ENV['KEY']}\" in the config, over the process environment (repeatable)")
	f.StringVar(&o.hostname, "hostname", "", "fluentd's hostname (${hostname}, %{hostname}); default: this machine's")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&o.tz, "tz", "", "fluentd's TZ for time slices and time_format (default: $TZ, else UTC)")
	f.StringVar(&o.listen, "listen", "", "override the first forward source's bind:port (port 0 picks one)")
	f.StringVar(&o.bufferRoot, "buffer-root", "", "keep buffer files under this directory (buffer_path /fluentd/log/x → DIR/fluentd/log/x)")
	f.BoolVar(&o.acceptEventTime, "accept-eventtime", false, "read EventTime and CompressedPackedForward as fluentd v1 does (default: raise and close the connection, as fluentd v0.12)")
	return cmd
}

func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug", "trace":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error", "fatal":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
}

// runFluentd runs the emulator until ctx is done.
func runFluentd(ctx context.Context, o fluentdOptions, stdout, stderr io.Writer) error {
	level, err := parseLogLevel(o.logLevel)
	if err != nil {
		return &exitError{code: 2, msg: "--log-level: " + err.Error()}
	}
	overrides, err := parseKeyVals("env", o.env)
	if err != nil {
		return err
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for k, v := range overrides {
		env[k] = v
	}
	loc := time.UTC
	tz := o.tz
	if tz == "" {
		tz = os.Getenv("TZ")
	}
	if tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("--tz %q: %v", tz, err)}
		}
	}
	hostname := o.hostname
	if hostname == "" {
		if hostname, err = os.Hostname(); err != nil {
			return fmt.Errorf("get hostname: %w", err)
		}
	}
	logger := slog.New(emulator.NewLogHandler(stderr, level))
	dir, name := filepath.Split(o.config)
	if dir == "" {
		dir = "."
	}
	root, err := fluentconfig.Parse(os.DirFS(dir), name, fluentconfig.WithEnv(env))
	if err != nil {
		return fmt.Errorf("parse fluentd config: %w", err)
	}
	logger.Info("reading config file", "path", o.config)
	opts := []emulator.Option{
		emulator.WithLogger(logger), emulator.WithStdout(stdout), emulator.WithHostname(hostname),
		emulator.WithLocation(loc), emulator.WithAcceptEventTime(o.acceptEventTime),
	}
	if o.listen != "" {
		opts = append(opts, emulator.WithListenAddr(o.listen))
	}
	if o.bufferRoot != "" {
		opts = append(opts, emulator.WithBufferRoot(o.bufferRoot))
	}
	em, err := emulator.New(root, opts...)
	if err != nil {
		return fmt.Errorf("load fluentd config: %w", err)
	}
	if err := em.Listen(); err != nil {
		em.Close() //nolint:errcheck // the listen error is the one to report
		return err
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-usr1:
				em.ForceFlush()
			}
		}
	}()
	logger.Info("fluentd worker is now running", "listen", em.Addr(), "pid", os.Getpid())
	return em.Serve(ctx)
}
