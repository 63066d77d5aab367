package main

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/project"
	"github.com/devenv-sh/devenv/watch"
)

type watchOptions struct {
	stackOptions
	readyTimeout time.Duration // --ready-timeout
	verbose      bool          // --verbose
}

func (o *watchOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&o.readyTimeout, "ready-timeout", 30*time.Second, "how long a replaced container may take to run and pass its health check")
	cmd.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "print Compose's progress (Container ... Recreated, Started) while a change is applied")
}

func newWatchCommand() *cobra.Command {
	var o watchOptions
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Apply each change of the stack's inputs to the running stack",
		Long: `With the stack up (devenv up -d), watch its inputs and apply each change to
the running stack, printing one line per change: what changed, what was
redone, and how long it took. Several saves within 200 ms are one change.

  a go: rule's source   its package and every file of the module's packages it
                        depends on (read from the Go build list, go list -deps,
                        and read again after each build), go.mod and go.sum:
                        the image is built again and only that service's
                        container is replaced; the line splits the time into
                        build, image, recreate and ready (the service's health
                        check passing, run in the container every 100 ms). A
                        build error is printed with go's file:line and the old
                        container keeps running.
  the fluentd config    fluentd.config in devenv.yaml and the files it
                        includes: the local copy under .devenv/fluentd/ is
                        regenerated and linted (devenv routes --lint's hazards
                        are printed, new ones marked) and only fluentd is
                        restarted; its buffer, on a host folder, survives.
  a task definition,    docker-compose.gen.yaml is regenerated (never over a
  devenv.yaml or the    hand edit), the plan's difference with the running
  secrets file          file's is printed (+ added, ~ changed, - gone), and
                        Compose recreates only the services whose
                        configuration changed.

A change that does not build, a config that does not parse, a task
definition that no longer validates: printed with its location, and the
running stack is left as it is. Ctrl-C stops watching and leaves the stack
up (devenv down removes it). devenv up --watch starts the stack, then
watches.

Examples:
  devenv up -d && devenv watch
  devenv up --watch
  devenv watch -v                 # with Compose's progress lines

Exit codes: 0 after Ctrl-C (the stack stays up); 1 the stack is not up, or
its inputs do not load at the start; 2 a usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWatch(cmd.Context(), o, cmd.Flags().Changed("config"), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.stackOptions.addFlags(cmd)
	o.addFlags(cmd)
	return cmd
}

// runWatch watches the running stack's inputs until ctx ends.
func runWatch(ctx context.Context, o watchOptions, configExplicit bool, stdout, stderr io.Writer) error {
	regen := watch.Regenerator(project.Options{ConfigFile: o.configFile, Explicit: configExplicit, TaskDefs: o.taskdefs, SecretsEnv: o.secretsEnv})
	gen, err := regen(ctx, false)
	if err != nil {
		return err
	}
	progress := io.Discard
	if o.verbose {
		progress = stderr
	}
	eng, p, err := openStack(ctx, gen.File, progress)
	if err != nil {
		return err
	}
	defer eng.Close()
	err = watch.Run(ctx, eng, p, gen, regen, watch.Options{Out: stdout, ReadyTimeout: o.readyTimeout})
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil // Ctrl-C while starting to watch
	}
	return err
}
