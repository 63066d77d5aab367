package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/stack"
)

type upOptions struct {
	stackOptions
	detach      bool          // -d
	waitTimeout time.Duration // --wait-timeout
	watch       bool          // --watch
	watching    watchOptions  // --ready-timeout, --verbose
}

func newUpCommand() *cobra.Command {
	var o upOptions
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Build, start and wait for the local stack, then stream its logs",
		Long: `Start the production task definitions locally, as docker compose up does with
docker-compose.gen.yaml, through the Compose SDK in process (no docker compose
plugin is needed):

 1. Regenerate docker-compose.gen.yaml (and the local fluent.conf under
    .devenv/fluentd/) when the task definitions or devenv.yaml changed since it
    was written, and say so. A file edited by hand is never overwritten: local
    changes go in devenv.yaml.
 2. Make every image devenv makes, skipping those whose inputs did not change:
    go: rules become a FROM scratch image holding the CGO_ENABLED=0 binary
    (no Dockerfile), devenv's stand-ins (fakes, Datadog stub, fluentd
    emulator, pause) the devenv binary itself; build: rules are built by
    Compose (the classic builder when buildx is missing). A build: rule with a
    fallback whose base image cannot be pulled here runs its stand-in instead,
    and up says so. pull: true images are pulled as Compose pulls them.
 3. Create and start the project (only containers whose configuration
    changed are recreated), and wait until every service with a health check
    is healthy and every other one runs.
 4. Print where each service and fake is reached from the host.

With --watch, up then does what devenv watch does: it applies each change of
the stack's inputs to the running stack until Ctrl-C, which leaves the stack
up. It streams no logs (run devenv logs -f beside it) and does not stop an ECS
task whose essential container exits (watch replaces containers on purpose).

Without -d, up then streams every service's logs, prefixed with the service,
until Ctrl-C, which stops the stack (devenv up starts it again; devenv down
removes it). It also does what ECS does and Compose does not: when an
essential container exits, its whole task is stopped, and up says why. With
-d, up returns once the stack is healthy and nothing enforces that rule.

up fails, naming what failed and what to do, when no Docker engine answers,
a host port is taken, an image cannot be built or pulled, an essential
container exits while up waits (its exit code and last 20 log lines) or a
health check keeps failing (its last output). Ctrl-C while up is starting
the stack removes what it created.

The stack is a plain Compose project: docker compose -f docker-compose.gen.yaml
ps sees it and docker compose down removes it.

Examples:
  devenv up                    # start, wait, stream logs; Ctrl-C stops
  devenv up -d                 # start and wait, then return (CI)
  devenv up --watch            # start, wait, then apply each change of the inputs
  devenv up -d --wait-timeout 5m
  devenv up -d && devenv ps && devenv down -v

Exit codes: 0 the stack is up (with -d), or was stopped by its containers;
1 a failure (see the message); 2 a usage error; 130 interrupted by Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUp(cmd.Context(), o, cmd.Flags().Changed("config"), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVarP(&o.detach, "detach", "d", false, "return once the stack is healthy instead of streaming its logs")
	cmd.Flags().DurationVar(&o.waitTimeout, "wait-timeout", 2*time.Minute, "how long to wait for every service to be healthy or running")
	cmd.Flags().BoolVar(&o.watch, "watch", false, "once the stack is up, watch its inputs and apply each change (as devenv watch; no log streaming; Ctrl-C leaves the stack up)")
	o.watching.addFlags(cmd)
	return cmd
}

func runUp(ctx context.Context, o upOptions, configExplicit bool, stdout, stderr io.Writer) error {
	st, err := o.load(ctx, configExplicit)
	if err != nil {
		return err
	}
	out := st.Local.Output
	if err := st.Sync(ctx, out, stderr); err != nil {
		return err
	}
	eng, p, err := openStack(ctx, out, stderr)
	if err != nil {
		return err
	}
	defer eng.Close()
	if err := eng.CheckPorts(ctx, p); err != nil {
		return err
	}
	if err := eng.Build(ctx, p); err != nil {
		return interrupted(ctx, err)
	}
	if err := eng.Up(ctx, p, stack.UpOptions{WaitTimeout: o.waitTimeout}); err != nil {
		return interrupted(ctx, err)
	}
	ctrs, err := eng.Ps(ctx, p)
	if err != nil {
		return err
	}
	printReach(stdout, ctrs)
	if o.watch {
		o.watching.stackOptions = o.stackOptions
		return runWatch(ctx, o.watching, configExplicit, stdout, stderr)
	}
	if o.detach {
		return nil
	}
	if err := eng.Attach(ctx, p, stdout); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return &exitError{code: 130}
	}
	return nil
}

// interrupted maps an error of a run that Ctrl-C ended to exit code 130.
func interrupted(ctx context.Context, err error) error {
	if errors.Is(err, stack.ErrInterrupted) || ctx.Err() != nil {
		return &exitError{code: 130, msg: "interrupted: removed the containers and networks up had created"}
	}
	return err
}

// reachNotes says what each stand-in serves on its host ports.
var reachNotes = map[string]string{
	"fake-s3":      "S3 API (path style) and /_devenv/",
	"fake-td":      "Treasure Data import API and /_devenv/",
	"datadog-stub": "DogStatsD (udp), traces and /_devenv/",
	"fluentd":      "forward protocol (devenv's fluentd emulator)",
}

// printReach prints one line per service: its state and where it is
// reached from the host.
func printReach(w io.Writer, ctrs []stack.Container) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTATE\tFROM THE HOST\tSERVES")
	for _, c := range ctrs {
		state := c.State
		if c.Health != "" {
			state += " (" + c.Health + ")"
		}
		var addrs []string
		for _, pt := range c.Ports {
			addrs = append(addrs, fmt.Sprintf("%s->%d/%s", pt.Host, pt.Target, pt.Protocol))
		}
		reach := strings.Join(addrs, ", ")
		if reach == "" {
			reach = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Service, state, reach, reachNotes[c.StandIn])
	}
	tw.Flush()
}
