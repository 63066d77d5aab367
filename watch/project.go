package watch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/fluent/predict"
	"github.com/devenv-sh/devenv/project"
)

// Regenerator returns the Regenerate of the devenv project o names: the
// project loaded and translated (project.Load), the Compose file rendered
// and, with write, written when it changed (never over a hand edit:
// project.Guard) with the local fluentd copy; and the fluentd config
// linted as devenv routes --config <fluentd.config> --lint lints it.
func Regenerator(o project.Options) Regenerate {
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	in := func(name string) string {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		if abs, err := filepath.Abs(name); err == nil {
			return abs
		}
		return name
	}
	return func(ctx context.Context, write bool) (*Generation, error) {
		st, err := project.Load(ctx, o)
		if err != nil {
			return nil, err
		}
		out := st.Local.Output
		data, err := st.Render(ctx, out)
		if err != nil {
			return nil, err
		}
		have, err := os.ReadFile(in(out))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read %s: %w", out, err)
		}
		g := &Generation{File: in(out), Stale: !bytes.Equal(have, data), Report: st.Report}
		for _, name := range st.FluentdSources {
			g.Fluentd = append(g.Fluentd, in(name))
		}
		if f := st.Local.Fluentd; f.Config != "" {
			g.FluentdService, g.FluentdCopy = f.Service, config.FluentdLocalDir+"/"
			mountDir := f.MountPath[:max(strings.LastIndex(f.MountPath, "/"), 0)]
			r, err := predict.Load(predict.Config{FS: os.DirFS(dir), Name: f.Config, ConfigDir: mountDir, Hostname: "fluentd"})
			if err != nil {
				return nil, err
			}
			for _, h := range r.Lint() {
				g.Hazards = append(g.Hazards, fmt.Sprintf("%s: %s: %s", h.Pos, h.Code, h.Message))
			}
		}
		configFile := o.ConfigFile
		if configFile == "" {
			configFile = config.DefaultFile
		}
		for _, name := range append(st.Inputs, configFile) { // devenv.yaml even before it exists
			if name == st.Local.Fluentd.Config && name != "" || slices.Contains(g.Stack, in(name)) {
				continue
			}
			g.Stack = append(g.Stack, in(name))
		}
		taskdefs := o.TaskDefs
		if len(taskdefs) == 0 {
			taskdefs = st.Local.TaskDefs
		}
		for _, name := range taskdefs {
			if info, err := os.Stat(in(name)); err == nil && info.IsDir() {
				g.TaskDefDirs = append(g.TaskDefDirs, in(name))
			}
		}
		if !write {
			return g, nil
		}
		copyDir := in(config.FluentdLocalDir)
		before := digestTree(copyDir)
		if !g.Stale {
			err = st.WriteFluentd(io.Discard)
		} else if err = project.Guard(dir, out); err == nil {
			err = st.Write(out, data, io.Discard)
		}
		if err != nil {
			return nil, err
		}
		g.FluentdChanged = g.FluentdService != "" && digestTree(copyDir) != before
		return g, nil
	}
}

// digestTree returns a digest of the names and contents of the files
// under dir ("" when there is none).
func digestTree(dir string) string {
	h := sha256.New()
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(h, "%s %x\n", path, sum)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}
