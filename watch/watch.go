// Package watch applies changes of a running devenv stack's inputs to it,
// one debounced change at a time, printing one line per change: what
// changed, what was redone, and how long it took.
//
//   - A go: rule's source (its package and every file of the module's
//     packages it depends on, read from the Go build list): the image is
//     built again and only its services' containers are replaced; a build
//     error is printed, with go's file:line, and the old containers keep
//     running.
//   - The fluentd config: its local copy is regenerated, linted (devenv
//     routes --lint's hazards) and only fluentd is restarted; its buffer,
//     on a host folder, survives the restart.
//   - A task definition, devenv.yaml or the secrets file: the Compose file
//     is regenerated, the plan's difference with the running file's is
//     printed, and Compose recreates only the services whose
//     configuration changed.
//
// Input that does not build, parse or validate is printed with its
// location and the running stack is left as it is.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/fsnotify/fsnotify"

	"github.com/devenv-sh/devenv/stack"
	"github.com/devenv-sh/devenv/translate"
)

// Engine is what watch asks of the Docker engine (*stack.Engine).
type Engine interface {
	Load(ctx context.Context, file, projectName string) (*types.Project, error)
	Adopt(ctx context.Context, p *types.Project) error
	CheckPorts(ctx context.Context, p *types.Project) error
	Build(ctx context.Context, p *types.Project) error
	Up(ctx context.Context, p *types.Project, o stack.UpOptions) error
	GoSources(ctx context.Context, p *types.Project, pkg string) ([]string, error)
	RebuildGo(ctx context.Context, p *types.Project, pkg string) (stack.GoBuild, error)
	Recreate(ctx context.Context, p *types.Project, services ...string) error
	Ready(ctx context.Context, p *types.Project, timeout time.Duration, services ...string) error
	Restart(ctx context.Context, p *types.Project, services ...string) error
	ContainerIDs(ctx context.Context, p *types.Project) (map[string]string, error)
}

var _ Engine = (*stack.Engine)(nil)

// Generation is one translation of the stack's inputs.
type Generation struct {
	// File is the Compose file; Stale says its content differed from
	// this translation's before it was written (or, unwritten, differs).
	File  string
	Stale bool
	// Report is the translation's deviations from production.
	Report translate.Report
	// Inputs are the files it read (absolute, or relative to the
	// project): Stack, TaskDefDirs and Fluentd as in Files.
	Stack, TaskDefDirs, Fluentd []string
	// FluentdService runs the fluentd config ("" without fluentd.config);
	// FluentdCopy names the folder of its local copy, and FluentdChanged
	// says that writing it changed it.
	FluentdService string
	FluentdCopy    string
	FluentdChanged bool
	// Hazards are the fluentd config's production hazards, as devenv
	// routes --lint prints them ("file:line:col: code: message").
	Hazards []string
}

// Regenerate translates the stack's inputs again. With write it writes the
// Compose file (when its content changed) and the local fluentd copy;
// input that does not load, parse or validate is an error naming its
// location, and then nothing is written. A Compose file edited by hand is
// an error too.
type Regenerate func(ctx context.Context, write bool) (*Generation, error)

// Options say how Run watches.
type Options struct {
	Out          io.Writer     // one line per change (default: discarded)
	Quiet        time.Duration // debounce (default Quiet)
	ReadyTimeout time.Duration // for a replaced container to be ready (default 30 s)
	Clock        Clock         // default: real time
}

// ErrNotUp is returned by Run when no container of the stack runs.
var ErrNotUp = errors.New("the stack is not up")

// Run watches the inputs of p, the running stack of the Compose file gen
// was translated into, and applies each change to it until ctx ends, when
// it returns nil and leaves the stack as it runs. regen translates the
// inputs again after each change of a stack input or the fluentd config.
func Run(ctx context.Context, eng Engine, p *types.Project, gen *Generation, regen Regenerate, o Options) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Quiet == 0 {
		o.Quiet = Quiet
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 30 * time.Second
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	ids, err := eng.ContainerIDs(ctx, p)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("%w: no container of project %s exists; start it with devenv up -d (or devenv up --watch)", ErrNotUp, p.Name)
	}
	if err := eng.Adopt(ctx, p); err != nil {
		return err
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch files: %w", err)
	}
	defer fsw.Close()
	w := &watcher{eng: eng, o: o, p: p, gen: gen, regen: regen, fsw: fsw, dirs: map[string]bool{}, sources: map[string][]string{}}
	for _, r := range stack.GoRules(p) {
		src, err := eng.GoSources(ctx, p, r.Package)
		if err != nil {
			return fmt.Errorf("%s: %w", strings.Join(r.Services, ", "), err)
		}
		w.sources[r.Package] = src
	}
	w.refresh()
	fmt.Fprintf(o.Out, "watching %s; Ctrl-C stops watching and leaves the stack up\n", w.describe())
	if gen.Stale {
		fmt.Fprintf(o.Out, "%s is stale (its inputs changed since the stack was started): applying it\n", w.rel(gen.File))
		w.apply(ctx, Change{Targets: []Target{{Kind: StackInput}}})
	}
	w.loop(ctx, fsw.Events, fsw.Errors)
	fmt.Fprintln(o.Out, "stopped watching; the stack is still up (devenv down removes it)")
	return nil
}

// watcher is one Run's state.
type watcher struct {
	eng   Engine
	o     Options
	p     *types.Project // as it runs
	gen   *Generation    // the translation of the running Compose file
	regen Regenerate
	fsw   *fsnotify.Watcher
	// sources are the go: rules' files, by package.
	sources map[string][]string
	ix      *index
	dirs    map[string]bool // folders watched
	// apply is w.apply but in tests.
	applyFn func(context.Context, Change)
}

// loop debounces file events into changes and applies each, until ctx
// ends.
func (w *watcher) loop(ctx context.Context, events <-chan fsnotify.Event, errs <-chan error) {
	b := newBatcher(w.o.Quiet)
	apply := w.applyFn
	if apply == nil {
		apply = w.apply
	}
	for {
		var due <-chan time.Time
		if at, ok := b.deadline(); ok {
			due = w.o.Clock.After(at.Sub(w.o.Clock.Now()))
		}
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			entry := ev.Op.Has(fsnotify.Create) || ev.Op.Has(fsnotify.Remove) || ev.Op.Has(fsnotify.Rename)
			b.add(w.o.Clock.Now(), filepath.Clean(ev.Name), w.ix.classify(ev.Name, entry))
		case err, ok := <-errs:
			if !ok {
				return
			}
			fmt.Fprintf(w.o.Out, "watch: %v\n", err)
		case <-due:
			if c, ok := b.take(w.o.Clock.Now()); ok {
				apply(ctx, c)
			}
		}
	}
}

// refresh rebuilds the index from the current inputs and watches their
// folders (and no others).
func (w *watcher) refresh() {
	dir := w.p.WorkingDir
	f := Files{Go: w.sources, Fluentd: absAll(dir, w.gen.Fluentd), Stack: absAll(dir, w.gen.Stack), TaskDefDirs: absAll(dir, w.gen.TaskDefDirs)}
	w.ix = newIndex(f)
	if w.fsw == nil {
		return
	}
	want := map[string]bool{}
	for _, d := range w.ix.dirs() {
		want[d] = true
		if !w.dirs[d] {
			if err := w.fsw.Add(d); err != nil {
				fmt.Fprintf(w.o.Out, "watch: cannot watch %s: %v\n", w.rel(d), err)
				continue
			}
			w.dirs[d] = true
		}
	}
	for d := range w.dirs {
		if !want[d] {
			_ = w.fsw.Remove(d) // gone already, or no longer an input's folder
			delete(w.dirs, d)
		}
	}
}

// describe says what is watched: "api-server (./sample/api-server: 9
// files), the fluentd config (1 file), 4 stack inputs".
func (w *watcher) describe() string {
	var parts []string
	for _, r := range stack.GoRules(w.p) {
		parts = append(parts, fmt.Sprintf("%s (%s: %s)", strings.Join(r.Services, ", "), r.Package, files(len(w.sources[r.Package]))))
	}
	if len(w.gen.Fluentd) > 0 {
		parts = append(parts, fmt.Sprintf("the fluentd config (%s)", files(len(w.gen.Fluentd))))
	}
	parts = append(parts, fmt.Sprintf("%d stack inputs (task definitions, settings)", len(w.gen.Stack)))
	return strings.Join(parts, ", ")
}

func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}

// apply carries out one change, printing a line for each thing redone.
func (w *watcher) apply(ctx context.Context, c Change) {
	what := w.paths(c.Paths)
	var recreated []string // by a stack change
	regenerated := false
	hazards := w.gen.Hazards // the running config's
	for _, t := range c.Targets {
		if ctx.Err() != nil {
			return
		}
		switch t.Kind {
		case StackInput:
			recreated, regenerated = w.applyStack(ctx, what), true
		case FluentdConfig:
			w.applyFluentd(ctx, what, hazards, regenerated, recreated)
		case GoSource:
			w.applyGo(ctx, what, t.Package)
		}
	}
}

// applyGo builds the go: rule pkg's image again and replaces its services'
// containers.
func (w *watcher) applyGo(ctx context.Context, what, pkg string) {
	clock := w.o.Clock
	start := clock.Now()
	var services []string
	for _, r := range stack.GoRules(w.p) {
		if r.Package == pkg {
			services = r.Services
		}
	}
	if len(services) == 0 {
		return // the rule went with a stack change
	}
	names := strings.Join(services, ", ")
	b, err := w.eng.RebuildGo(ctx, w.p, pkg)
	if len(b.Sources) > 0 {
		w.sources[pkg] = b.Sources
		w.refresh()
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		fmt.Fprintf(w.o.Out, "%s: %s does not build (%s); the running container is left as it is:\n%s\n", what, names, secs(clock.Now().Sub(start)), indent(goMessages(err)))
		return
	}
	if b.UpToDate {
		fmt.Fprintf(w.o.Out, "%s: %s unchanged (the image holds what the sources make): nothing redone (%s)\n", what, names, secs(clock.Now().Sub(start)))
		return
	}
	recreateStart := clock.Now()
	// Replacing the container is not cut short by Ctrl-C: the stack stays up.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	err = w.eng.Recreate(rctx, w.p, services...)
	cancel()
	if err != nil {
		fmt.Fprintf(w.o.Out, "%s: %s rebuilt, but its container could not be replaced (%s):\n%s\n", what, names, secs(clock.Now().Sub(start)), indent(err.Error()))
		return
	}
	readyStart := clock.Now()
	err = w.eng.Ready(ctx, w.p, w.o.ReadyTimeout, services...)
	end := clock.Now()
	split := fmt.Sprintf("build %s, image %s, recreate %s, ready %s", secs(b.Build), secs(b.Image), secs(readyStart.Sub(recreateStart)), secs(end.Sub(readyStart)))
	switch {
	case ctx.Err() != nil:
		return
	case err != nil:
		fmt.Fprintf(w.o.Out, "%s: %s rebuilt and replaced, but not ready (%s; %s):\n%s\n", what, names, secs(end.Sub(start)), split, indent(err.Error()))
	default:
		fmt.Fprintf(w.o.Out, "%s: %s rebuilt and replaced in %s (%s)\n", what, names, secs(end.Sub(start)), split)
	}
}

// applyFluentd regenerates the fluentd config's local copy, lints it
// (printing the hazards not among was) and restarts fluentd when the copy
// changed. When a stack change of the same change regenerated it already
// (regenerated), it only restarts fluentd, unless Compose recreated it.
func (w *watcher) applyFluentd(ctx context.Context, what string, was []string, regenerated bool, recreated []string) {
	clock := w.o.Clock
	start := clock.Now()
	g := w.gen
	if !regenerated {
		var err error
		g, err = w.regen(ctx, true)
		if err != nil {
			fmt.Fprintf(w.o.Out, "%s: %s; nothing redone, the stack runs as it was\n", what, oneLine(err))
			return
		}
		if g.Stale {
			// The Compose file changed with it (an @include mounted anew).
			w.stackChanged(ctx, what, g, start)
			return
		}
		w.gen = g
		w.refresh()
	} else if g.FluentdService == "" || slices.Contains(recreated, g.FluentdService) {
		return
	}
	if g.FluentdService == "" {
		return
	}
	lint := "no lint hazards"
	if n := len(g.Hazards); n > 0 {
		lint = fmt.Sprintf("%d lint hazards (devenv routes --lint lists them)", n)
	}
	fresh := newHazards(was, g.Hazards)
	if len(g.Hazards) > 0 {
		lint += fmt.Sprintf(", %d new", len(fresh))
	}
	if len(fresh) > 0 {
		lint += ":"
	}
	defer func() {
		for _, h := range fresh {
			fmt.Fprintf(w.o.Out, "  %s\n", h)
		}
	}()
	if !g.FluentdChanged {
		fmt.Fprintf(w.o.Out, "%s: the local copy under %s is unchanged: %s not restarted (%s); %s\n", what, g.FluentdCopy, g.FluentdService, secs(clock.Now().Sub(start)), lint)
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	err := w.eng.Restart(rctx, w.p, g.FluentdService)
	cancel()
	if err != nil {
		fmt.Fprintf(w.o.Out, "%s: regenerated %s, but %s could not be restarted (%s): %s\n", what, g.FluentdCopy, g.FluentdService, secs(clock.Now().Sub(start)), oneLine(err))
		return
	}
	fmt.Fprintf(w.o.Out, "%s: regenerated %s and restarted %s in %s; %s\n", what, g.FluentdCopy, g.FluentdService, secs(clock.Now().Sub(start)), lint)
}

// newHazards returns the hazards of now that were not among was,
// comparing them without their position (lines move when others are
// added above).
func newHazards(was, now []string) []string {
	seen := map[string]int{}
	for _, h := range was {
		_, what, _ := strings.Cut(h, ": ")
		seen[what]++
	}
	var out []string
	for _, h := range now {
		_, what, _ := strings.Cut(h, ": ")
		if seen[what] > 0 {
			seen[what]--
			continue
		}
		out = append(out, h)
	}
	return out
}

// paths shows the changed files, relative to the project.
func (w *watcher) paths(paths []string) string {
	if len(paths) == 0 {
		return "start"
	}
	var rel []string
	for _, p := range paths {
		rel = append(rel, w.rel(p))
	}
	if len(rel) > 3 {
		return strings.Join(rel[:3], ", ") + fmt.Sprintf(" and %d more", len(rel)-3)
	}
	return strings.Join(rel, ", ")
}

func (w *watcher) rel(path string) string {
	if r, err := filepath.Rel(w.p.WorkingDir, path); err == nil && filepath.IsLocal(r) {
		return filepath.ToSlash(r)
	}
	return path
}

// absAll makes paths absolute, relative ones taken from dir.
func absAll(dir string, paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		out = append(out, filepath.Clean(p))
	}
	return out
}

// goMessages keeps what go said of a failed build: its lines after the
// package header ("# example.com/app"), the file:line ones
// ("app/main.go:20:2: undefined: x"), else all of it.
func goMessages(err error) string {
	msg := err.Error()
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "# ") && i+1 < len(lines) {
			return strings.Join(lines[i+1:], "\n")
		}
	}
	return msg
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// oneLine joins a multi-line error (errors.Join of several inputs' errors)
// with "; ".
func oneLine(err error) string {
	return strings.Join(strings.Split(strings.TrimSpace(err.Error()), "\n"), "; ")
}

// applyStack regenerates the Compose file and applies it; it returns the
// services whose containers Compose recreated or created.
func (w *watcher) applyStack(ctx context.Context, what string) []string {
	start := w.o.Clock.Now()
	g, err := w.regen(ctx, true)
	if err != nil {
		fmt.Fprintf(w.o.Out, "%s: %s; nothing redone, the stack runs as it was\n", what, oneLine(err))
		return nil
	}
	return w.stackChanged(ctx, what, g, start)
}

// stackChanged applies g, whose Compose file was just written, to the
// stack: the plan's difference with the running file's, then Compose's Up,
// which recreates only the services whose configuration changed. It
// returns the services whose containers Compose recreated or created.
func (w *watcher) stackChanged(ctx context.Context, what string, g *Generation, start time.Time) []string {
	clock := w.o.Clock
	diff := PlanDiff(w.gen.Report, g.Report)
	running := w.gen.Report
	w.gen = g
	w.refresh()
	if !g.Stale {
		fmt.Fprintf(w.o.Out, "%s: %s unchanged; nothing redone (%s)\n", what, w.rel(g.File), secs(clock.Now().Sub(start)))
		return nil
	}
	plan := "plan unchanged"
	if len(diff) > 0 {
		plan = "plan: " + summary(diff)
	}
	report := func(format string, args ...any) {
		fmt.Fprintf(w.o.Out, "%s: regenerated %s (%s); %s\n", what, w.rel(g.File), plan, fmt.Sprintf(format, args...))
		for _, l := range diff {
			fmt.Fprintf(w.o.Out, "  %s\n", l)
		}
	}
	p, err := w.eng.Load(ctx, g.File, "")
	if err == nil {
		err = w.eng.Adopt(ctx, p)
	}
	if err == nil {
		err = w.eng.CheckPorts(ctx, p)
	}
	if err == nil {
		err = w.eng.Build(ctx, p)
	}
	var before, after map[string]string
	if err == nil {
		before, err = w.eng.ContainerIDs(ctx, w.p)
	}
	if err == nil {
		// Up is not cut short by Ctrl-C: stack.Up would take the stack down.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
		err = w.eng.Up(uctx, p, stack.UpOptions{WaitTimeout: 2 * time.Minute})
		cancel()
	}
	if err == nil {
		after, err = w.eng.ContainerIDs(ctx, p)
	}
	if err != nil {
		report("not applied (%s):\n%s", secs(clock.Now().Sub(start)), indent(err.Error()))
		// The next change's plan is compared with what still runs.
		kept := *g
		kept.Report = running
		w.gen = &kept
		return nil
	}
	w.p = p
	for _, r := range stack.GoRules(p) {
		if _, ok := w.sources[r.Package]; !ok {
			if src, err := w.eng.GoSources(ctx, p, r.Package); err == nil {
				w.sources[r.Package] = src
			}
		}
	}
	w.refresh()
	var recreated, created, removed []string
	for _, name := range slices.Sorted(maps.Keys(after)) {
		switch id, ok := before[name]; {
		case !ok:
			created = append(created, name)
		case id != after[name]:
			recreated = append(recreated, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[name]; !ok {
			removed = append(removed, name)
		}
	}
	var did []string
	if len(recreated) > 0 {
		did = append(did, "recreated "+strings.Join(recreated, ", "))
	}
	if len(created) > 0 {
		did = append(did, "created "+strings.Join(created, ", "))
	}
	if len(removed) > 0 {
		did = append(did, "removed "+strings.Join(removed, ", "))
	}
	if len(did) == 0 {
		did = append(did, "changed no container (no service's configuration changed)")
	}
	report("Compose %s in %s", strings.Join(did, "; "), secs(clock.Now().Sub(start)))
	return append(recreated, created...)
}
