package stack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// goBuildFlags are the flags of every Go build devenv makes: part of the
// inputs digest, so a change to them rebuilds.
var goBuildFlags = []string{"-trimpath", "-ldflags=-s -w -buildid="}

// goTarget is a Go main package to build into a static linux binary.
type goTarget struct {
	dir  string // the folder go runs in (the project, or the devenv module)
	pkg  string // the package, as go takes it: "./sample/api-server"
	arch string // GOARCH
}

func (g goTarget) env() []string {
	return append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+g.arch, "GOFLAGS=-mod=readonly")
}

// goPackage is the part of `go list -json` the inputs digest reads.
type goPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	Name       string
	GoFiles    []string
	CgoFiles   []string
	SFiles     []string
	EmbedFiles []string
	SysoFiles  []string
	Module     *struct {
		Path    string
		Version string
		Sum     string
		GoMod   string
		Replace *struct{ Path, Version string }
	}
	Error *struct{ Err string }
}

// inputs returns a digest of everything that goes into the binary: the Go
// version and build settings, the module version of every dependency from
// the module cache, and the content of every other package's files (the
// main module's, replaced modules'), read from the Go build list of the
// package. It runs `go list`, not the build.
func (g goTarget) inputs(ctx context.Context) (string, error) {
	digest, _, err := g.list(ctx)
	return digest, err
}

// list returns the inputs digest and the sources it read: the absolute
// paths of the files of every package outside the standard library and
// the module cache, and the go.mod (and go.sum) of every module they
// belong to, sorted. A change to any other file cannot change the binary.
func (g goTarget) list(ctx context.Context) (digest string, sources []string, err error) {
	h := sha256.New()
	ver, err := g.goCommand(ctx, "env", "GOVERSION")
	if err != nil {
		return "", nil, err
	}
	fmt.Fprintf(h, "go %s\nlinux/%s\nflags %q\n", bytes.TrimSpace(ver), g.arch, goBuildFlags)
	out, err := g.goCommand(ctx, "list", "-deps", "-json=ImportPath,Dir,Standard,Name,GoFiles,CgoFiles,SFiles,EmbedFiles,SysoFiles,Module,Error", g.pkg)
	if err != nil {
		return "", nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	var main *goPackage
	seen := map[string]bool{}
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", nil, fmt.Errorf("go list %s: %w", g.pkg, err)
		}
		if p.Error != nil {
			return "", nil, fmt.Errorf("go list %s: %s", g.pkg, p.Error.Err)
		}
		main = &p
		switch {
		case p.Standard:
			fmt.Fprintf(h, "std %s\n", p.ImportPath)
		case p.Module != nil && p.Module.Version != "" && p.Module.Replace == nil:
			// A module from the cache is immutable: its version says it all.
			fmt.Fprintf(h, "pkg %s %s@%s %s\n", p.ImportPath, p.Module.Path, p.Module.Version, p.Module.Sum)
		default:
			fmt.Fprintf(h, "pkg %s\n", p.ImportPath)
			files := slices.Concat(p.GoFiles, p.CgoFiles, p.SFiles, p.EmbedFiles, p.SysoFiles)
			slices.Sort(files)
			for _, f := range files {
				name := filepath.Join(p.Dir, f)
				data, err := os.ReadFile(name)
				if err != nil {
					return "", nil, fmt.Errorf("read %s: %w", name, err)
				}
				sum := sha256.Sum256(data)
				fmt.Fprintf(h, "file %s %x\n", f, sum)
				sources = append(sources, name)
			}
			if p.Module != nil && p.Module.GoMod != "" && !seen[p.Module.GoMod] {
				seen[p.Module.GoMod] = true
				sources = append(sources, p.Module.GoMod, filepath.Join(filepath.Dir(p.Module.GoMod), "go.sum"))
			}
		}
	}
	if main == nil || main.Name != "main" {
		return "", nil, fmt.Errorf("%s is not a main package: a go: image rule names the folder of a Go command", g.pkg)
	}
	slices.Sort(sources)
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), slices.Compact(sources), nil
}

// build compiles the package and returns the binary.
func (g goTarget) build(ctx context.Context) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "devenv-go-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "app")
	args := slices.Concat([]string{"build", "-o", bin}, goBuildFlags, []string{g.pkg})
	if _, err := g.goCommand(ctx, args...); err != nil {
		return nil, err
	}
	return os.ReadFile(bin)
}

// goCommand runs go with args in g.dir and returns its standard output.
// A failure carries go's own messages (file:line for a compile error).
func (g goTarget) goCommand(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = g.dir
	cmd.Env = g.env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errors.New("go: command not found: devenv builds go: image rules with the Go toolchain; install Go (https://go.dev/dl) or put it on PATH")
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("go %s %s:\n%s", args[0], g.pkg, msg)
	}
	return out, nil
}
