package watch

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
)

// Kind says which input of the stack a file is.
type Kind int

// The kinds of input watch applies.
const (
	// GoSource: a file a go: rule's binary is made from.
	GoSource Kind = iota + 1
	// FluentdConfig: the production fluentd config or a file it includes.
	FluentdConfig
	// StackInput: a task definition, devenv.yaml or the secrets file.
	StackInput
)

func (k Kind) String() string {
	switch k {
	case GoSource:
		return "go source"
	case FluentdConfig:
		return "fluentd config"
	case StackInput:
		return "stack input"
	}
	return "unknown"
}

// Target is what a changed file is an input of: a kind, and for
// GoSource, the go: rule's package.
type Target struct {
	Kind    Kind
	Package string
}

// Files are the watched inputs, by absolute path.
type Files struct {
	// Go maps each go: rule's package to its sources: the files of its
	// non-standard, non-module-cache packages and their modules' go.mod
	// and go.sum (stack.GoBuild.Sources).
	Go map[string][]string
	// Fluentd are the production fluentd config and the files it
	// includes.
	Fluentd []string
	// Stack are the task definition files, devenv.yaml and the secrets
	// file.
	Stack []string
	// TaskDefDirs are the folders of task definitions: a *.json file
	// added to one is a new task definition.
	TaskDefDirs []string
}

// index answers, for a changed path, what it is an input of.
type index struct {
	byPath   map[string][]Target
	goDirs   map[string][]string // package folder → go: rules with a package there
	confDirs map[string]bool     // folders of the fluentd config's files
	taskDirs map[string]bool
}

func newIndex(f Files) *index {
	ix := &index{byPath: map[string][]Target{}, goDirs: map[string][]string{}, confDirs: map[string]bool{}, taskDirs: map[string]bool{}}
	add := func(path string, t Target) {
		path = filepath.Clean(path)
		if !slices.Contains(ix.byPath[path], t) {
			ix.byPath[path] = append(ix.byPath[path], t)
		}
	}
	for _, pkg := range slices.Sorted(maps.Keys(f.Go)) {
		for _, src := range f.Go[pkg] {
			add(src, Target{Kind: GoSource, Package: pkg})
			if strings.HasSuffix(src, ".go") {
				dir := filepath.Dir(filepath.Clean(src))
				if !slices.Contains(ix.goDirs[dir], pkg) {
					ix.goDirs[dir] = append(ix.goDirs[dir], pkg)
				}
			}
		}
	}
	for _, name := range f.Fluentd {
		add(name, Target{Kind: FluentdConfig})
		ix.confDirs[filepath.Dir(filepath.Clean(name))] = true
	}
	for _, name := range f.Stack {
		add(name, Target{Kind: StackInput})
	}
	for _, dir := range f.TaskDefDirs {
		ix.taskDirs[filepath.Clean(dir)] = true
	}
	return ix
}

// classify says what a change to path is a change of (nil: nothing
// watched). A file that is not an input yet counts when it appears or
// goes (entry: created, removed or renamed, as an editor's save by rename
// does) in a folder where it would be one: a .go file (not a test, not
// one the go tool ignores: ._x.go, .#x.go) beside a go: rule's package, a
// .conf beside the fluentd config (an @include glob may take it), and any
// .json in a task definitions folder. Editors' temporary files (x.go~,
// .x.go.swp, x.go___jb_tmp___, 4913) are none of these.
func (ix *index) classify(path string, entry bool) []Target {
	path = filepath.Clean(path)
	out := slices.Clone(ix.byPath[path])
	dir, base := filepath.Split(path)
	dir = filepath.Clean(dir)
	hidden := strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || strings.HasPrefix(base, "#")
	if hidden {
		return out
	}
	addOnce := func(t Target) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if ix.taskDirs[dir] && strings.HasSuffix(base, ".json") {
		addOnce(Target{Kind: StackInput})
	}
	if !entry {
		return out
	}
	if strings.HasSuffix(base, ".go") && !strings.HasSuffix(base, "_test.go") {
		for _, pkg := range ix.goDirs[dir] {
			addOnce(Target{Kind: GoSource, Package: pkg})
		}
	}
	if ix.confDirs[dir] && strings.HasSuffix(base, ".conf") {
		addOnce(Target{Kind: FluentdConfig})
	}
	return out
}

// dirs lists the folders to watch, sorted: those of every watched file,
// the go: rules' package folders and the task definition folders.
// Folders, not files, are watched, so that a save that replaces the file
// (write a temporary file, rename it over) is seen.
func (ix *index) dirs() []string {
	set := map[string]bool{}
	for path := range ix.byPath {
		set[filepath.Dir(path)] = true
	}
	for dir := range ix.taskDirs {
		set[dir] = true
	}
	return slices.Sorted(maps.Keys(set))
}
