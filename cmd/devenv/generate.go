package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/composefile"
	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// stackOptions are the inputs shared by generate and plan.
type stackOptions struct {
	configFile string   // --config
	taskdefs   []string // --taskdefs
	secretsEnv string   // --secrets-env
}

func (o *stackOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.configFile, "config", config.DefaultFile, "local settings file; when the default is missing, built-in defaults apply")
	cmd.Flags().StringArrayVar(&o.taskdefs, "taskdefs", nil, "task definition file or folder (repeatable; default: taskdefs from devenv.yaml)")
	cmd.Flags().StringVar(&o.secretsEnv, "secrets-env", "", "dotenv file with secret stand-ins, e.g. "+config.DefaultSecretsFile+" (never use it for the committed file)")
}

// stack is a translated project and what it was made from.
type stack struct {
	local   config.Local
	project *types.Project
	report  translate.Report
	inputs  []string
}

// loadStack reads devenv.yaml, the secrets file and the task definitions and
// translates them.
func loadStack(ctx context.Context, o stackOptions, configExplicit bool) (*stack, error) {
	local := config.Default()
	data, err := os.ReadFile(o.configFile)
	switch {
	case err == nil:
		local, err = config.Parse(o.configFile, data)
		if err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist) && !configExplicit:
	default:
		return nil, fmt.Errorf("read settings: %w", err)
	}
	if o.secretsEnv != "" {
		data, err := os.ReadFile(o.secretsEnv)
		if err != nil {
			return nil, fmt.Errorf("read secrets: %w", err)
		}
		env, err := config.ParseSecretsEnv(o.secretsEnv, data)
		if err != nil {
			return nil, err
		}
		local = local.WithSecretsEnv(env)
	}
	paths := o.taskdefs
	if len(paths) == 0 {
		paths = local.TaskDefs
	}
	defs, err := loadTaskDefs(paths)
	if err != nil {
		return nil, err
	}
	p, report, err := translate.Translate(defs, local)
	if err != nil {
		return nil, err
	}
	inputs := make([]string, 0, len(defs)+1)
	for _, d := range defs {
		inputs = append(inputs, filepath.ToSlash(d.File))
	}
	if data != nil {
		inputs = append(inputs, o.configFile)
	}
	if o.secretsEnv != "" {
		inputs = append(inputs, o.secretsEnv)
	}
	return &stack{local: local, project: p, report: report, inputs: inputs}, nil
}

// loadTaskDefs loads files or folders; paths inside the working directory
// are read relative to it, others (absolute, or starting with ..) from their
// own folder.
func loadTaskDefs(paths []string) ([]taskdef.Def, error) {
	var rel []string
	var defs []taskdef.Def
	var errs []error
	for _, p := range paths {
		if clean := filepath.ToSlash(filepath.Clean(p)); fs.ValidPath(clean) {
			rel = append(rel, clean)
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("resolve %s: %w", p, err))
			continue
		}
		dir, base := filepath.Split(abs)
		d, err := taskdef.Load(os.DirFS(dir), base)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range d {
			d[i].File = filepath.Join(dir, d[i].File)
		}
		defs = append(defs, d...)
	}
	if len(rel) > 0 {
		d, err := taskdef.Load(os.DirFS("."), rel...)
		if err != nil {
			errs = append(errs, err)
		}
		defs = append(d, defs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return defs, nil
}

type generateOptions struct {
	stackOptions
	output string // -o
	check  bool   // --check
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
says otherwise. See 'devenv plan' for every difference from production.

Examples:
  devenv generate                          # write docker-compose.gen.yaml
  devenv generate -o -                     # print it instead
  devenv generate --taskdefs taskdefs/api-server.json --taskdefs other/
  devenv generate --check                  # in CI: is the committed file current?

Exit codes: 0 written (or up to date with --check); 1 bad input, or with
--check, the file is missing or stale.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(cmd.Context(), o, cmd.Flags().Changed("config"), cmd.Flags().Changed("output"), cmd)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVarP(&o.output, "output", "o", config.DefaultOutput, "file to write, - for standard output (default: output from devenv.yaml)")
	cmd.Flags().BoolVar(&o.check, "check", false, "write nothing; fail if the output file is not what generate would write")
	return cmd
}

func runGenerate(ctx context.Context, o generateOptions, configExplicit, outputExplicit bool, cmd *cobra.Command) error {
	st, err := loadStack(ctx, o.stackOptions, configExplicit)
	if err != nil {
		return err
	}
	out := o.output
	if !outputExplicit {
		out = st.local.Output
	}
	data, err := composefile.Render(st.project, st.inputs)
	if err != nil {
		return err
	}
	if err := composefile.RoundTrip(ctx, out, data, st.project); err != nil {
		return fmt.Errorf("validate generated compose file: %w", err)
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
			return &exitError{code: 1, msg: out + " is stale: run devenv generate and commit the result"}
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s is up to date\n", out)
		return nil
	case out == "-":
		_, err := cmd.OutOrStdout().Write(data)
		return err
	default:
		if err := composefile.WriteFile(out, data); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: %d services from %s (%d deviations from production: devenv plan)\n",
			out, len(st.project.Services), strings.Join(st.inputs, ", "), len(st.report))
		return nil
	}
}
