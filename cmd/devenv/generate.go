package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/composefile"
	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/project"
)

// stackOptions are the inputs shared by generate, plan and up.
type stackOptions struct {
	configFile string   // --config
	taskdefs   []string // --taskdefs
	secretsEnv string   // --secrets-env
}

// load reads and translates the project in the working directory.
// configExplicit says --config was given: then a missing file is an error.
func (o stackOptions) load(ctx context.Context, configExplicit bool) (*project.Translation, error) {
	return project.Load(ctx, project.Options{ConfigFile: o.configFile, Explicit: configExplicit, TaskDefs: o.taskdefs, SecretsEnv: o.secretsEnv})
}

func (o *stackOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.configFile, "config", config.DefaultFile, "local settings file; when the default is missing, built-in defaults apply")
	cmd.Flags().StringArrayVar(&o.taskdefs, "taskdefs", nil, "task definition file or folder (repeatable; default: taskdefs from devenv.yaml)")
	cmd.Flags().StringVar(&o.secretsEnv, "secrets-env", "", "dotenv file with secret stand-ins, e.g. "+config.DefaultSecretsFile+" (never use it for the committed file)")
}

type generateOptions struct {
	stackOptions
	output string // -o
	check  bool   // --check
	force  bool   // --force
}

func newGenerateCommand() *cobra.Command {
	var o generateOptions
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write docker-compose.gen.yaml from the task definitions and devenv.yaml",
		Long: `Translate the production task definitions, with the local settings in
devenv.yaml, into a Compose file (docker-compose.gen.yaml by default).

The file starts with a DO NOT EDIT header naming its inputs, is byte-identical
on every run, and is loaded back through compose-go with schema validation
before it is written; it is written atomically, so a failed run leaves the
previous file untouched. Published ports bind to 127.0.0.1 unless devenv.yaml
says otherwise. See 'devenv plan' for every difference from production. The
file is for Compose v2 (docker compose, the Compose SDK of devenv up); the
legacy docker-compose 1.29 cannot read it.

When devenv.yaml names a fluentd configuration (fluentd.config), generate
also writes its local copy under .devenv/fluentd/ (git-ignored; atomically,
before the Compose file): the config itself and every @include'd file that
changes, with S3 outputs pointed at http://fake-s3:4566 (force_path_style
true), tdlog outputs at http://fake-td:8081 (use_ssl false) and flush
intervals set to fluentd.flushInterval; every other byte is the production
file's. The fluentd service mounts the copy read-only at fluentd.mountPath.
The file's second line is the digest of the rest: generate (and devenv up)
refuse to replace a file edited by hand since, or one devenv did not write,
unless --force; local changes belong in devenv.yaml.

With -o - or --check nothing is written to disk, .devenv/ included: -o - is a
preview (run generate without it, or devenv up, before starting the stack);
--check compares only the committed Compose file, though a broken fluent.conf
still fails it.

Examples:
  devenv generate                          # write docker-compose.gen.yaml and .devenv/fluentd/
  devenv generate -o -                     # print the Compose file instead; write nothing
  devenv generate --taskdefs taskdefs/api-server.json --taskdefs other/
  devenv generate --check                  # in CI: is the committed file current?
  devenv generate --force                  # replace a hand-edited file

Exit codes: 0 written (or up to date with --check); 1 bad input (a fluent.conf
error is reported as FILE:LINE:COL: ...), or with --check, the file is missing
or stale; 2 a usage error (unknown flag, extra argument).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(cmd.Context(), o, cmd.Flags().Changed("config"), cmd.Flags().Changed("output"), cmd)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVarP(&o.output, "output", "o", config.DefaultOutput, "file to write, - for standard output and no .devenv/ files (default: output from devenv.yaml)")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace the output file even when it was edited by hand or not written by devenv")
	cmd.Flags().BoolVar(&o.check, "check", false, "write nothing (not even .devenv/fluentd/); fail if the output file is not what generate would write")
	return cmd
}

func runGenerate(ctx context.Context, o generateOptions, configExplicit, outputExplicit bool, cmd *cobra.Command) error {
	st, err := o.load(ctx, configExplicit)
	if err != nil {
		return err
	}
	out := o.output
	if !outputExplicit {
		out = st.Local.Output
	}
	data, err := st.Render(ctx, out)
	if err != nil {
		return err
	}
	switch {
	case o.check:
		if out == "-" {
			return &exitError{code: 1, msg: "--check needs a file to compare with: drop -o -"}
		}
		have, err := os.ReadFile(out)
		if errors.Is(err, fs.ErrNotExist) {
			return &exitError{code: 1, msg: out + " does not exist: run devenv generate and commit it"}
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", out, err)
		}
		if !bytes.Equal(have, data) {
			if errors.Is(composefile.Check(have), composefile.ErrEdited) {
				return &exitError{code: 1, msg: out + " is stale: it was edited by hand; make local changes in devenv.yaml, then run devenv generate --force and commit the result"}
			}
			return &exitError{code: 1, msg: out + " is stale: run devenv generate and commit the result"}
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s is up to date\n", out)
		return nil
	case out == "-":
		_, err := cmd.OutOrStdout().Write(data)
		return err
	default:
		if !o.force {
			if err := project.Guard(".", out); err != nil {
				return err
			}
		}
		return st.Write(out, data, cmd.ErrOrStderr())
	}
}
