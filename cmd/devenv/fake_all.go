package main

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/spf13/cobra"
)

// fakeAllOptions are the flags of `devenv fake all`: each fake's own
// options under its prefix.
type fakeAllOptions struct {
	s3      fakeS3Options      // --s3-*
	td      fakeTDOptions      // --td-*
	datadog fakeDatadogOptions // --datadog-*
}

func newFakeAllCommand() *cobra.Command {
	var o fakeAllOptions
	cmd := &cobra.Command{
		Use:   "all",
		Short: "Serve the fake S3, the fake Treasure Data and the Datadog agent stub in one process",
		Long: `Serve every fake in one process until SIGINT or SIGTERM: the image the local
stack runs for its fakes uses this command.

Each fake takes the flags of its own command with a prefix: --s3-* as
'devenv fake s3', --td-* as 'devenv fake td', --datadog-* as
'devenv fake datadog'. Each keeps its default address:

  fake S3              http://127.0.0.1:4566     (--s3-addr)
  fake Treasure Data   http://127.0.0.1:8081     (--td-addr)
  DogStatsD            udp 127.0.0.1:8125        (--datadog-statsd-addr)
  trace intake         http://127.0.0.1:8126     (--datadog-apm-addr)

What each fake received is under /_devenv/ on its HTTP port. If one fake
cannot start, or stops with an error, the others are shut down gracefully
and the command exits 1.

Examples:
  devenv fake all
  devenv fake all --s3-addr 0.0.0.0:4566 --td-addr 0.0.0.0:8081 \
      --datadog-statsd-addr 0.0.0.0:8125 --datadog-apm-addr 0.0.0.0:8126
  devenv fake all --s3-data-dir /data/s3 --td-data-dir /data/td --datadog-data-dir /data/datadog

Exit codes: 0 after a clean shutdown; 1 when a fake cannot start or fails;
2 on bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.s3.credentialsFrom(os.Getenv); err != nil {
				return err
			}
			return runFakeAll(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: 2, msg: "fake all: " + err.Error()}
	})
	f := cmd.Flags()
	o.s3.addFlags(f, "s3-")
	o.td.addFlags(f, "td-")
	o.datadog.addFlags(f, "datadog-")
	return cmd
}

// runFakeAll serves the three fakes until ctx is done or one of them fails;
// either way every fake shuts down gracefully before it returns. The errors
// of the fakes that failed are joined.
func runFakeAll(ctx context.Context, o fakeAllOptions, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, errw := &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	fakes := []func(context.Context) error{
		func(ctx context.Context) error { return runFakeS3(ctx, o.s3, out, errw) },
		func(ctx context.Context) error { return runFakeTD(ctx, o.td, out, errw) },
		func(ctx context.Context) error { return runFakeDatadog(ctx, o.datadog, out, errw) },
	}
	errs := make([]error, len(fakes))
	var wg sync.WaitGroup
	for i, serve := range fakes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = serve(ctx); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lockedWriter serialises writes from the fakes' goroutines so their lines
// never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
