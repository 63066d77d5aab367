package main

import "github.com/spf13/cobra"

// newFakeCommand groups the fakes that stand in for cloud services: each
// subcommand serves one fake in the foreground until SIGINT or SIGTERM.
func newFakeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fake",
		Short: "Serve a fake cloud service (S3, Treasure Data, Datadog agent)",
		Long: `Serve one of devenv's fakes in the foreground until interrupted.

Each fake is wire-compatible with the real clients (aws-sdk-go-v2, fluent-plugin-s3,
fluent-plugin-td, datadog-go, dd-trace-go) and exposes what it received, plus
fault injection, under /_devenv/ on its HTTP port.`,
		Args: cobra.NoArgs,
	}
	// Fakes, one file each (fake_<name>.go). Keep this list sorted.
	cmd.AddCommand(
		newFakeAllCommand(),
		newFakeDatadogCommand(),
		newFakeS3Command(),
		newFakeTDCommand(),
	)
	return cmd
}
