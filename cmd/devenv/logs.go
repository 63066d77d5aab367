package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/stack"
)

type logsOptions struct {
	composeOptions
	follow bool // -f
	tail   int  // --tail
}

func newLogsCommand() *cobra.Command {
	var o logsOptions
	cmd := &cobra.Command{
		Use:   "logs [SERVICE...]",
		Short: "Print the local stack's container logs",
		Long: `Print what the stack's containers wrote to stdout and stderr, every line
prefixed with its service, as docker compose logs does; with services named,
only theirs. Containers that log to fluentd (the API server's log driver) are
still shown: Docker keeps a local copy of what they log (dual logging, Docker
Engine 20.10 and later).

Examples:
  devenv logs api-server
  devenv logs -f fluentd fake-s3
  devenv logs --tail 20

Exit codes: 0 printed (with -f: until Ctrl-C); 1 a failure, such as a
service the stack does not have; 2 a usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd.Context(), o, args, cmd.Flags().Changed("config"), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVarP(&o.follow, "follow", "f", false, "keep printing new lines until Ctrl-C")
	cmd.Flags().IntVar(&o.tail, "tail", -1, "print only the last N lines of each container (default: all)")
	return cmd
}

func runLogs(ctx context.Context, o logsOptions, services []string, configExplicit bool, stdout, stderr io.Writer) error {
	eng, p, err := o.open(ctx, configExplicit, stderr)
	if err != nil {
		return err
	}
	defer eng.Close()
	for _, s := range services {
		if _, ok := p.Services[s]; !ok {
			return &exitError{code: 1, msg: "logs: no service " + s + " in the stack (devenv ps lists them)"}
		}
	}
	return eng.Logs(ctx, p, stdout, stack.LogOptions{Services: services, Tail: o.tail, Follow: o.follow})
}
