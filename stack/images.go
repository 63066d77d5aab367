package stack

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/compose/v5/pkg/api"
	"golang.org/x/sync/errgroup"

	"github.com/devenv-sh/devenv/config"
)

// extensionKey is the service extension translate writes
// (translate.ExtensionKey) with what Compose cannot express.
const extensionKey = "x-devenv"

// extension is the content of a service's x-devenv block.
type extension struct {
	Task          string `json:"task"`          // the ECS task family
	Essential     bool   `json:"essential"`     // ECS stops the task when it exits
	Go            string `json:"go"`            // a Go main package to build into the image
	StandIn       string `json:"standIn"`       // a devenv stand-in runs here
	Fallback      string `json:"fallback"`      // the stand-in to run when the build cannot be done here
	FluentdConfig string `json:"fluentdConfig"` // the config path the fluentd stand-in reads
}

// serviceExtension decodes s's x-devenv block (zero when there is none).
func serviceExtension(s types.ServiceConfig) extension {
	var ext extension
	if raw, ok := s.Extensions[extensionKey]; ok {
		data, err := json.Marshal(raw)
		if err == nil {
			_ = json.Unmarshal(data, &ext) // a malformed block is no block
		}
	}
	return ext
}

// standInImage names the image of a devenv stand-in, as translate does.
func standInImage(standIn string) string { return "devenv/" + standIn + ":local" }

// Build makes every image the project's services run that devenv makes
// (go: rules, devenv's stand-ins) or that a build: rule describes, skipping
// each image whose inputs have not changed. A build: service with a
// fallback whose build fails for want of a base image runs its stand-in
// instead: Build rewrites that service in p and says so in one line. Any
// other failure is returned with the end of the build's output. Pulled
// images are left to Up.
func (e *Engine) Build(ctx context.Context, p *types.Project) error {
	var g errgroup.Group
	for pkg, images := range goImages(p) {
		g.Go(func() error {
			return e.buildGo(ctx, images, goTarget{dir: e.goDir(p), pkg: pkg, arch: e.arch})
		})
	}
	standIns := e.standInTags(p)
	if len(standIns) > 0 {
		g.Go(func() error { return e.buildStandIns(ctx, e.goDir(p), standIns) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return e.buildRules(ctx, p)
}

// goImages lists, per Go package of a go: rule, the images built from it.
func goImages(p *types.Project) map[string][]string {
	out := map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		if pkg := serviceExtension(s).Go; pkg != "" && !slices.Contains(out[pkg], s.Image) {
			out[pkg] = append(out[pkg], s.Image)
		}
	}
	return out
}

// buildGo makes images, all one image, from the Go main package of g.
func (e *Engine) buildGo(ctx context.Context, images []string, g goTarget) error {
	_, err := e.goImage(ctx, images, g)
	return err
}

// goImage is buildGo, saying what it did.
func (e *Engine) goImage(ctx context.Context, images []string, g goTarget) (GoBuild, error) {
	id := "Image " + strings.Join(images, ", ")
	e.events.working(id, "Building")
	var b GoBuild
	fail := func(err error) (GoBuild, error) {
		e.events.failed(id, "Error")
		return b, fmt.Errorf("build %s from %s: %w", strings.Join(images, ", "), g.pkg, err)
	}
	inputs, sources, err := g.list(ctx)
	if err != nil {
		return fail(err)
	}
	b.Sources = sources
	if upToDate(ctx, e.docker, images, inputs) {
		e.events.done(id, "Up to date")
		return GoBuild{UpToDate: true, Sources: sources}, nil
	}
	compileStart := e.clock()
	bin, err := g.build(ctx)
	if err != nil {
		b.Build = e.clock().Sub(compileStart)
		return fail(err)
	}
	loadStart := e.clock()
	name := "/" + path.Base(filepath.ToSlash(g.pkg))
	if err := loadImage(ctx, e.docker, scratchImage{tags: images, binary: bin, name: name, arch: g.arch, inputs: inputs, entrypoint: []string{name}}); err != nil {
		return fail(err)
	}
	done := e.clock()
	e.events.doneWith(id, "Built", fmt.Sprintf("go build %.1fs, image %.1fs", loadStart.Sub(compileStart).Seconds(), done.Sub(loadStart).Seconds()))
	return GoBuild{Build: loadStart.Sub(compileStart), Image: done.Sub(loadStart), Sources: sources}, nil
}

// standInTags lists the stand-in images the project may run: those its
// services name and those of their fallbacks.
func (e *Engine) standInTags(p *types.Project) []string {
	set := map[string]bool{}
	for _, s := range p.Services {
		ext := serviceExtension(s)
		if ext.StandIn != "" {
			set[s.Image] = true
		}
		if ext.Fallback != "" {
			set[standInImage(ext.Fallback)] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// buildStandIns makes devenv's stand-in images for the project in dir,
// one image under every tag:
// the devenv binary as the entry point of a FROM scratch image.
func (e *Engine) buildStandIns(ctx context.Context, dir string, tags []string) error {
	id := "Image devenv/*:local"
	e.events.working(id, "Building")
	src, err := findSelf(ctx, e.arch, dir)
	if err != nil {
		e.events.failed(id, "Error")
		return err
	}
	bin, inputs, err := src.binary(ctx, func(inputs string) bool { return upToDate(ctx, e.docker, tags, inputs) })
	if err != nil {
		e.events.failed(id, "Error")
		return fmt.Errorf("build devenv's stand-in images: %w", err)
	}
	if bin == nil {
		e.events.done(id, "Up to date")
		return nil
	}
	loadStart := e.clock()
	err = loadImage(ctx, e.docker, scratchImage{tags: tags, binary: bin, name: config.StandInBinary, arch: e.arch, inputs: inputs, entrypoint: []string{config.StandInBinary}})
	if err != nil {
		e.events.failed(id, "Error")
		return err
	}
	e.events.doneWith(id, "Built", fmt.Sprintf("image %.1fs", e.clock().Sub(loadStart).Seconds()))
	return nil
}

// buildRules builds the build: services through Compose, one at a time so
// that a failure is the service's own.
func (e *Engine) buildRules(ctx context.Context, p *types.Project) error {
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		if s.Build == nil {
			continue
		}
		e.buildLog.Reset()
		err := e.compose.Build(ctx, p, api.BuildOptions{Services: []string{name}})
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ext := serviceExtension(s)
		log := e.buildLog.String()
		if ext.Fallback != "" {
			if missing := e.missingBaseImages(ctx, s); len(missing) > 0 {
				useStandIn(p, name, ext)
				fmt.Fprintf(e.errOut, "%s: cannot build %s: base image %s cannot be pulled here (%s); running devenv's %s stand-in (%s) instead\n",
					name, relPath(p.WorkingDir, dockerfilePath(s)), strings.Join(missing, ", "), lastLine(err.Error()), ext.Fallback, standInImage(ext.Fallback))
				continue
			}
		}
		msg := fmt.Sprintf("build %s (%s): %v", name, relPath(p.WorkingDir, dockerfilePath(s)), err)
		if log != "" {
			msg += "\nlast lines of the build:\n" + indent(log)
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// useStandIn makes service name of p run its fallback stand-in.
func useStandIn(p *types.Project, name string, ext extension) {
	s := p.Services[name]
	s.Build = nil
	s.Image = standInImage(ext.Fallback)
	s.PullPolicy = types.PullPolicyNever
	s.Entrypoint = nil
	switch ext.Fallback {
	case "fluentd":
		s.Command = types.ShellCommand{"fluentd", "--config", ext.FluentdConfig}
	default:
		s.Command = nil
	}
	p.Services[name] = s
}

// missingBaseImages lists the FROM images of s's Dockerfile that are not
// on the engine (a failed build pulled them, or tried to).
func (e *Engine) missingBaseImages(ctx context.Context, s types.ServiceConfig) []string {
	f, err := os.Open(dockerfilePath(s))
	if err != nil {
		return nil
	}
	defer f.Close()
	var missing []string
	stages := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || !strings.EqualFold(fields[0], "FROM") {
			continue
		}
		fields = slices.DeleteFunc(fields[1:], func(f string) bool { return strings.HasPrefix(f, "--") })
		if len(fields) == 0 {
			continue
		}
		base := fields[0]
		if len(fields) >= 3 && strings.EqualFold(fields[1], "AS") {
			stages[strings.ToLower(fields[2])] = true
		}
		if base == "scratch" || stages[strings.ToLower(base)] || strings.Contains(base, "$") {
			continue
		}
		if _, err := e.docker.ImageInspect(ctx, base); err != nil {
			missing = append(missing, base)
		}
	}
	return missing
}

// dockerfilePath is the Dockerfile a build: service builds.
func dockerfilePath(s types.ServiceConfig) string {
	df := s.Build.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if filepath.IsAbs(df) {
		return df
	}
	return filepath.Join(s.Build.Context, df)
}

// relPath shows path relative to dir when it is inside it.
func relPath(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return path
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
