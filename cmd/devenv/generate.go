package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/composefile"
	"github.com/devenv-sh/devenv/config"
	fluentconfig "github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/localconf"
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

// translation is a translated project and what it was made from.
type translation struct {
	local   config.Local
	project *types.Project
	report  translate.Report
	inputs  []string
	// fluentdFiles is the local copy of the fluentd configuration: path
	// under config.FluentdLocalDir → contents (nil without fluentd.config).
	fluentdFiles map[string][]byte
}

// loadStack reads devenv.yaml, the secrets file and the task definitions and
// translates them.
func loadStack(ctx context.Context, o stackOptions, configExplicit bool) (*translation, error) {
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
	if err := checkImageRules(local, os.DirFS(".")); err != nil {
		return nil, err
	}
	paths := o.taskdefs
	if len(paths) == 0 {
		paths = local.TaskDefs
	}
	defs, err := loadTaskDefs(paths)
	if err != nil {
		return nil, err
	}
	if len(o.taskdefs) > 0 {
		local.Services = servicesOf(local.Services, defs)
	}
	fluentdFiles, fc, err := localFluentd(local, os.DirFS("."))
	if err != nil {
		return nil, err
	}
	var topts []translate.Option
	if fc != nil {
		topts = append(topts, translate.WithFluentdConfig(*fc))
	}
	p, report, err := translate.Translate(defs, local, topts...)
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
	if fc != nil {
		inputs = append(inputs, local.Fluentd.Config)
	}
	if o.secretsEnv != "" {
		inputs = append(inputs, o.secretsEnv)
	}
	return &translation{local: local, project: p, report: report, inputs: inputs, fluentdFiles: fluentdFiles}, nil
}

// servicesOf returns the devenv.yaml services entries of the task
// families in defs. When --taskdefs picks some of the stack's task
// definitions, the entries of the others are not typos: devenv.yaml
// describes the whole stack. An entry for a family given, whose container
// it does not have, is still an error (Translate's).
func servicesOf(rules map[string]config.ServiceRule, defs []taskdef.Def) map[string]config.ServiceRule {
	families := map[string]bool{}
	for _, d := range defs {
		families[d.Task.Family] = true
	}
	var out map[string]config.ServiceRule
	for k, r := range rules {
		if !families[r.Family] {
			continue
		}
		if out == nil {
			out = map[string]config.ServiceRule{}
		}
		out[k] = r
	}
	return out
}

// localFluentd makes the local copy of the fluentd configuration that
// local names (fluentd.config), reading it (and its @includes) from fsys,
// the project folder: S3 and tdlog outputs pointed at the fakes, flush
// intervals shortened. It returns the files to write, keyed by their path
// under config.FluentdLocalDir (the config itself, even when unchanged, and
// every included file that changes), and the translate input describing
// them. Without fluentd.config it returns nils.
func localFluentd(local config.Local, fsys fs.FS) (map[string][]byte, *translate.FluentdConfig, error) {
	f := local.Fluentd
	if f.Config == "" {
		return nil, nil, nil
	}
	settings := localconf.Settings{
		S3Endpoint:    local.FakeURL(config.StandInFakeS3),
		TDEndpoint:    local.FakeURL(config.StandInFakeTD),
		FlushInterval: f.FlushInterval,
	}
	// Absolute @include paths name files next to the config as the
	// container sees it (MountPath's folder).
	mountDir := f.MountPath[:max(strings.LastIndex(f.MountPath, "/"), 0)]
	files, changes, err := localconf.Rewrite(fsys, f.Config, settings, fluentconfig.WithConfigDir(mountDir))
	if err != nil {
		var perr *fluentconfig.Error
		switch {
		case errors.As(err, &perr):
			return nil, nil, perr // file:line:col: message
		case errors.Is(err, fs.ErrNotExist):
			return nil, nil, fmt.Errorf("%s: fluentd.config: %s does not exist: give the production fluent.conf, relative to the project", local.File, f.Config)
		case errors.Is(err, localconf.ErrNoEndpoint):
			return nil, nil, fmt.Errorf("%s: fluentd.config: %s: %w: list fake-s3 and fake-td under fakes in %s so its outputs have a local destination", local.File, f.Config, err, local.File)
		}
		return nil, nil, fmt.Errorf("%s: fluentd.config: %w", local.File, err)
	}
	if _, ok := files[f.Config]; !ok {
		data, err := fs.ReadFile(fsys, f.Config)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", f.Config, err)
		}
		files[f.Config] = data
	}
	fc := &translate.FluentdConfig{Files: localconf.Files(f.Config, files)}
	out := map[string][]byte{}
	for _, name := range fc.Files {
		dst, _, ok := f.Paths(name)
		if !ok {
			// Translate reports it, naming the file and what to do.
			continue
		}
		out[strings.TrimPrefix(dst, config.FluentdLocalDir+"/")] = files[name]
	}
	// The report names lines of the production file.
	for _, c := range changes {
		fc.Changes = append(fc.Changes, translate.FluentdChange{File: c.File, Line: c.ProductionLine, Inserted: c.Inserted, Section: c.Path, Key: c.Key, Production: c.Production, Local: c.Local, Why: c.Why})
	}
	return out, fc, nil
}

// checkImageRules checks that what devenv.yaml's image rules build exists
// in the project (fsys): a build context folder with its Dockerfile, a Go
// package folder with .go files. devenv up would fail on them much later.
func checkImageRules(local config.Local, fsys fs.FS) error {
	var errs []error
	for i, r := range local.Images {
		at := fmt.Sprintf("%s: images[%d]", local.File, i)
		switch r.Action {
		case config.ActionBuild:
			ctx := path.Clean(filepath.ToSlash(r.Build.Context))
			if !dirExists(fsys, ctx) {
				errs = append(errs, fmt.Errorf("%s.build.context: folder %s does not exist in the project: create it, or point context at the folder holding the image's Dockerfile", at, r.Build.Context))
				continue
			}
			df := r.Build.Dockerfile
			if df == "" {
				df = "Dockerfile"
			}
			if _, err := fs.Stat(fsys, path.Join(ctx, filepath.ToSlash(df))); err != nil {
				errs = append(errs, fmt.Errorf("%s.build.dockerfile: %s has no %s: add it, or name the Dockerfile with build.dockerfile (relative to the context)", at, r.Build.Context, df))
			}
		case config.ActionGo:
			dir := path.Clean(r.GoPackage)
			entries, err := fs.ReadDir(fsys, dir)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.go: folder %s does not exist in the project: give the Go main package's folder, relative to the project (e.g. ./cmd/api)", at, r.GoPackage))
				continue
			}
			if !slices.ContainsFunc(entries, func(e fs.DirEntry) bool { return !e.IsDir() && strings.HasSuffix(e.Name(), ".go") }) {
				errs = append(errs, fmt.Errorf("%s.go: %s holds no .go files: give the Go main package's folder", at, r.GoPackage))
			}
		}
	}
	return errors.Join(errs...)
}

func dirExists(fsys fs.FS, name string) bool {
	info, err := fs.Stat(fsys, name)
	return err == nil && info.IsDir()
}

// loadTaskDefs loads files or folders. Each file is named, in errors, in
// the report and in the generated file's header, by one display path:
// relative to the working directory (the project) when it is inside it,
// as the user gave it otherwise, so the output does not depend on where
// the project is checked out.
func loadTaskDefs(paths []string) ([]taskdef.Def, error) {
	var rel []string
	var defs []taskdef.Def
	var errs []error
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("find the project folder: %w", err)
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("resolve %s: %w", p, err))
			continue
		}
		if r, err := filepath.Rel(wd, abs); err == nil && filepath.IsLocal(r) || r == "." {
			rel = append(rel, filepath.ToSlash(r))
			continue
		}
		dir, base := filepath.Split(abs)
		d, err := taskdef.LoadAs(os.DirFS(dir), base, filepath.ToSlash(filepath.Clean(p)))
		if err != nil {
			errs = append(errs, err)
			continue
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
	st, err := loadStack(ctx, o.stackOptions, configExplicit)
	if err != nil {
		return err
	}
	out := o.output
	if !outputExplicit {
		out = st.local.Output
	}
	data, err := st.render(ctx, out)
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
			if err := guardGenerated(out); err != nil {
				return err
			}
		}
		return st.write(out, data, cmd.ErrOrStderr())
	}
}

// guardGenerated fails when the file at out is not one devenv may
// overwrite: edited by hand since devenv wrote it, or not written by
// devenv at all. A missing file may be written.
func guardGenerated(out string) error {
	have, err := os.ReadFile(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", out, err)
	}
	switch err := composefile.Check(have); {
	case errors.Is(err, composefile.ErrEdited):
		return fmt.Errorf("%s was edited by hand since devenv wrote it, and devenv does not overwrite edits: make local changes in devenv.yaml (environment, secrets, services, images, volumes; see devenv plan), then run devenv generate --force to replace the file", out)
	case errors.Is(err, composefile.ErrNotGenerated):
		return fmt.Errorf("%s was not written by devenv (it has no DO NOT EDIT header): move it away, set output in devenv.yaml to another file, or run devenv generate --force to replace it", out)
	}
	return nil
}

// render returns the Compose file of st, proven to load back through
// compose-go as the same project; out names it in errors.
func (st *translation) render(ctx context.Context, out string) ([]byte, error) {
	data, err := composefile.Render(st.project, st.inputs)
	if err != nil {
		return nil, err
	}
	if err := composefile.RoundTrip(ctx, out, data, st.project); err != nil {
		return nil, fmt.Errorf("validate generated compose file: %w", err)
	}
	return data, nil
}

// write writes the local fluentd copy (first: the Compose file mounts it)
// and then data, the rendered Compose file, to out, each atomically, and
// says what it wrote on w.
func (st *translation) write(out string, data []byte, w io.Writer) error {
	if err := st.writeFluentd(w); err != nil {
		return err
	}
	if err := composefile.WriteFile(out, data); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s: %d services from %s (%d deviations from production: devenv plan)\n",
		out, len(st.project.Services), strings.Join(st.inputs, ", "), len(st.report))
	return nil
}

// writeFluentd writes the local copy of the fluentd configuration, if
// devenv.yaml names one, and says so on w.
func (st *translation) writeFluentd(w io.Writer) error {
	if st.fluentdFiles == nil {
		return nil
	}
	if err := localconf.Write(config.FluentdLocalDir, st.fluentdFiles); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s: local copy of %s (%d changes: devenv plan)\n",
		strings.Join(localNames(st.fluentdFiles), ", "), st.local.Fluentd.Config, countLines(st.report))
	return nil
}

// localNames lists the paths of the local fluentd copy, sorted.
func localNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for _, n := range slices.Sorted(maps.Keys(files)) {
		names = append(names, config.FluentdLocalDir+"/"+n)
	}
	return names
}

// countLines counts the deviations that are fluentd configuration lines.
func countLines(r translate.Report) int {
	n := 0
	for _, d := range r {
		if d.Line > 0 {
			n++
		}
	}
	return n
}
