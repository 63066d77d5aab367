package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// newRootCommand builds the devenv command tree. Each subcommand lives in its
// own file as newXxxCommand plus runXxx.
func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "devenv",
		Short: "Run production ECS task definitions locally, with fakes for S3, Treasure Data and Datadog",
		Long: `devenv turns a team's production Amazon ECS task definitions into a local
Docker Compose stack: the real application containers, fluentd with its real
configuration, a Datadog agent stub, and fake S3 and Treasure Data sinks.

Start with 'devenv plan' to see how the local stack differs from production,
then 'devenv up' to run it ('devenv ps', 'devenv logs', 'devenv down'), and
'devenv routes' to see where each log record goes.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// A flag error anywhere is a usage error (exit 2), unless a command
	// sets its own.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		name := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
		return &exitError{code: 2, msg: fmt.Sprintf("%s: %v (see '%s --help')", name, err, c.CommandPath())}
	})
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)

	// Subcommands, one file each. Keep this list sorted.
	root.AddCommand(
		newDownCommand(),
		newFakeCommand(),
		newFluentdCommand(),
		newGenerateCommand(),
		newHealthcheckCommand(),
		newLogsCommand(),
		newPauseCommand(),
		newPlanCommand(),
		newPsCommand(),
		newRoutesCommand(),
		newUpCommand(),
		newVerifyCommand(),
		newWatchCommand(),
	)
	return root
}
