// Command devenv turns production Amazon ECS task definitions into a local
// Docker Compose stack, runs it with fakes for S3, Treasure Data and Datadog,
// and shows where every log line goes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// run executes one devenv invocation. It never exits the process; main maps
// the returned error to an exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command ") {
		// cobra's error for a command name it does not know: a usage
		// error, on one line, with cobra's suggestions if any.
		msg, suggestions, _ := strings.Cut(err.Error(), "\n\nDid you mean this?\n")
		if names := strings.Fields(suggestions); len(names) > 0 {
			msg += "; did you mean " + strings.Join(names, " or ") + "?"
		}
		return &exitError{code: 2, msg: msg + " (see 'devenv --help')"}
	}
	return err
}

// exitError carries a specific exit code with an optional message. A command
// returns it when the code itself is the answer (for example `generate
// --check` finding a stale file, or `plan --strict` finding an unsupported
// field).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// exitCode prints err (if any) and returns the process exit code: 0 on
// success, the code of an *exitError, or 1 for any other error.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "devenv:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "devenv:", err)
	return 1
}
