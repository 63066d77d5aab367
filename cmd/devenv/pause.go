package main

import (
	"context"

	"github.com/spf13/cobra"
)

func newPauseCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "pause",
		Short: "Sleep until stopped: the process of an awsvpc task's pause container",
		Long: `Do nothing until SIGTERM or SIGINT, then exit 0. It is what the devenv/pause
image runs for the <family>-pause service that devenv adds to an awsvpc task:
like the ECS pause container, it holds the task's network namespace (and its
pid and ipc namespaces with pidMode/ipcMode task), and every container of the
task joins it. It reaps no other process.

Exit codes: 0 when stopped; 2 a usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPause(cmd.Context())
		},
	}
}

// runPause blocks until ctx ends (main cancels it on SIGINT and SIGTERM).
func runPause(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
