// Package project loads a devenv project: devenv.yaml, the secrets file,
// the production task definitions and fluentd's configuration, translated
// into the Compose project and deviation report; and writes what devenv
// generates from it (docker-compose.gen.yaml and the local fluentd copy
// under .devenv/fluentd/), never over a file edited by hand. The CLI's
// generate, plan and up, and the test helpers, load projects through it.
package project

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

	"github.com/devenv-sh/devenv/composefile"
	"github.com/devenv-sh/devenv/config"
	fluentconfig "github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/localconf"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// Options say where a project is and which of its inputs to read.
type Options struct {
	// Dir is the project folder, which relative paths are read from and
	// generated files written to ("": the working directory).
	Dir string
	// ConfigFile is devenv.yaml's name (default config.DefaultFile); when
	// it is missing and not Explicit, built-in defaults apply.
	ConfigFile string
	Explicit   bool
	// TaskDefs, when set, replace devenv.yaml's taskdefs.
	TaskDefs []string
	// SecretsEnv names a dotenv file of secret stand-ins ("" for none).
	SecretsEnv string
	// Override changes the local settings after they are read (a test's
	// own project name and bind address).
	Override func(*config.Local)
}

// Translation is a translated project and what it was made from.
type Translation struct {
	Local   config.Local
	Project *types.Project
	Report  translate.Report
	// Inputs name what the translation was made from, for the header.
	Inputs []string
	// FluentdSources are the production fluentd config and every file it
	// includes, relative to the project (nil without fluentd.config).
	FluentdSources []string
	// fluentdFiles is the local copy of the fluentd configuration: path
	// under config.FluentdLocalDir → contents (nil without fluentd.config).
	fluentdFiles map[string][]byte
	// defs are the task definitions translated.
	defs []taskdef.Def
	dir  string
}

// Load reads devenv.yaml, the secrets file and the task definitions of
// the project and translates them. Errors name the file, and within it the
// line or JSON path.
func Load(ctx context.Context, o Options) (*Translation, error) {
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	if o.ConfigFile == "" {
		o.ConfigFile = config.DefaultFile
	}
	local := config.Default()
	data, err := os.ReadFile(in(dir, o.ConfigFile))
	switch {
	case err == nil:
		local, err = config.Parse(o.ConfigFile, data)
		if err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist) && !o.Explicit:
	default:
		return nil, fmt.Errorf("read settings: %w", err)
	}
	if o.SecretsEnv != "" {
		data, err := os.ReadFile(in(dir, o.SecretsEnv))
		if err != nil {
			return nil, fmt.Errorf("read secrets: %w", err)
		}
		env, err := config.ParseSecretsEnv(o.SecretsEnv, data)
		if err != nil {
			return nil, err
		}
		local = local.WithSecretsEnv(env)
	}
	if o.Override != nil {
		o.Override(&local)
	}
	fsys := os.DirFS(dir)
	paths := o.TaskDefs
	if len(paths) == 0 {
		paths = local.TaskDefs
	}
	// One run reports every problem found before translation: the image
	// rules' folders, the task definitions' own errors and, for those that
	// decoded, the images no rule makes runnable.
	rulesErr := checkImageRules(local, fsys)
	defs, err := LoadTaskDefs(dir, paths)
	if err != nil {
		return nil, errors.Join(rulesErr, err, translate.CheckImages(taskdef.Rejected(err), local))
	}
	if rulesErr != nil {
		return nil, errors.Join(rulesErr, translate.CheckImages(defs, local))
	}
	var topts []translate.Option
	if len(o.TaskDefs) > 0 {
		local.Services = servicesOf(local.Services, defs)
		topts = append(topts, translate.WithRestOfStack(restOfStack(dir, local.TaskDefs, defs)))
	}
	fluentdFiles, fc, err := localFluentd(local, fsys)
	if err != nil {
		return nil, err
	}
	var fluentdSources []string
	if fc != nil {
		topts = append(topts, translate.WithFluentdConfig(*fc))
		fluentdSources = fc.Files
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
		inputs = append(inputs, o.ConfigFile)
	}
	if fc != nil {
		inputs = append(inputs, local.Fluentd.Config)
	}
	if o.SecretsEnv != "" {
		inputs = append(inputs, o.SecretsEnv)
	}
	return &Translation{Local: local, Project: p, Report: report, Inputs: inputs, FluentdSources: fluentdSources, fluentdFiles: fluentdFiles, defs: defs, dir: dir}, nil
}

// TaskDefFile names the task definition file the Compose service name was
// translated from, as the Def's File (relative to the project when inside
// it): "" for a service of no task definition (a fake, a stand-in devenv
// adds) or no such service.
func (st *Translation) TaskDefFile(name string) string {
	svc, ok := st.Project.Services[name]
	if !ok {
		return ""
	}
	ext, _ := svc.Extensions[translate.ExtensionKey].(map[string]any)
	family, _ := ext["task"].(string)
	if family == "" {
		return ""
	}
	for _, d := range st.defs {
		if d.Task.Family == family {
			return filepath.ToSlash(d.File)
		}
	}
	return ""
}

// in resolves name, relative to the project folder dir unless absolute.
func in(dir, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
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

// restOfStack returns the task definitions of the project's own list
// (devenv.yaml taskdefs) that are not among defs, so that devenv.yaml
// entries for them are not taken for typos when --taskdefs picks a few.
// A path that does not load contributes only the files taskdef.Rejected
// recovers from its error: its problems are not this run's concern.
func restOfStack(dir string, paths []string, defs []taskdef.Def) []taskdef.Def {
	given := map[string]bool{}
	for _, d := range defs {
		given[d.Task.Family] = true
	}
	var rest []taskdef.Def
	for _, p := range paths {
		all, err := LoadTaskDefs(dir, []string{p})
		if err != nil {
			all = taskdef.Rejected(err)
		}
		for _, d := range all {
			if !given[d.Task.Family] {
				rest = append(rest, d)
			}
		}
	}
	return rest
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

// LoadTaskDefs loads task definition files or folders, relative to the project folder dir.
// Each file is named, in errors, in the report and in the generated file's
// header, by one display path: relative to the project when it is inside
// it, as the user gave it otherwise, so the output does not depend on
// where the project is checked out.
func LoadTaskDefs(dir string, paths []string) ([]taskdef.Def, error) {
	var rel []string
	var defs []taskdef.Def
	var errs []error
	wd, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("find the project folder: %w", err)
	}
	for _, p := range paths {
		abs, err := filepath.Abs(in(dir, p))
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
		d, err := taskdef.Load(os.DirFS(dir), rel...)
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

// Guard fails when the Compose file out, in the project folder dir, is
// not one devenv may overwrite: edited by hand since devenv wrote it, or
// not written by devenv at all. A missing file may be written.
func Guard(dir, out string) error {
	have, err := os.ReadFile(in(dir, out))
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

// Render returns the Compose file of st, proven to load back through
// compose-go as the same project; out names it in errors.
func (st *Translation) Render(ctx context.Context, out string) ([]byte, error) {
	data, err := composefile.Render(st.Project, st.Inputs)
	if err != nil {
		return nil, err
	}
	if err := composefile.RoundTrip(ctx, out, data, st.Project); err != nil {
		return nil, fmt.Errorf("validate generated compose file: %w", err)
	}
	return data, nil
}

// Write writes the local fluentd copy (first: the Compose file mounts it)
// and then data, the rendered Compose file, to out in the project folder,
// each atomically, and says what it wrote on w.
func (st *Translation) Write(out string, data []byte, w io.Writer) error {
	if err := st.WriteFluentd(w); err != nil {
		return err
	}
	if err := composefile.WriteFile(in(st.dir, out), data); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s: %d services from %s (%d deviations from production: devenv plan)\n",
		out, len(st.Project.Services), strings.Join(st.Inputs, ", "), len(st.Report))
	return nil
}

// WriteFluentd writes the local copy of the fluentd configuration, if
// devenv.yaml names one, under the project's config.FluentdLocalDir, and
// says so on w.
func (st *Translation) WriteFluentd(w io.Writer) error {
	if st.fluentdFiles == nil {
		return nil
	}
	if err := localconf.Write(in(st.dir, config.FluentdLocalDir), st.fluentdFiles); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s: local copy of %s (%d changes: devenv plan)\n",
		strings.Join(localNames(st.fluentdFiles), ", "), st.Local.Fluentd.Config, countLines(st.Report))
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

// Sync brings the Compose file out (and the local fluentd copy) up to
// date with the inputs st was translated from: written when missing,
// rewritten, and said so on w, when the inputs changed; a file edited by
// hand is left alone and is an error (see Guard).
func (st *Translation) Sync(ctx context.Context, out string, w io.Writer) error {
	data, err := st.Render(ctx, out)
	if err != nil {
		return err
	}
	have, err := os.ReadFile(in(st.dir, out))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return st.Write(out, data, w)
	case err != nil:
		return fmt.Errorf("read %s: %w", out, err)
	case bytes.Equal(have, data):
		return st.WriteFluentd(io.Discard)
	}
	if err := Guard(st.dir, out); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s is stale (its inputs changed): regenerating it\n", out)
	return st.Write(out, data, w)
}
