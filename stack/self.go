package stack

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
)

// devenvModule and devenvCommand name devenv's own source, built into the
// stand-in images when the running binary cannot be copied into one.
const (
	devenvModule  = "github.com/devenv-sh/devenv"
	devenvCommand = devenvModule + "/cmd/devenv"
)

// selfSource says where the devenv binary of the stand-in images comes
// from: the running executable itself when it is a static linux binary of
// the engine's architecture (CGO_ENABLED=0), else a build of devenv's
// source (the checkout devenv runs from).
type selfSource struct {
	file string    // a static executable to copy, or
	src  *goTarget // a package to build
}

// findSelf returns the source of the stand-in images' binary for arch.
func findSelf(ctx context.Context, arch string) (selfSource, error) {
	exe, err := os.Executable()
	if err == nil && runtime.GOOS == "linux" && runtime.GOARCH == arch && isStatic(exe) {
		return selfSource{file: exe}, nil
	}
	// Built from source (go run, go build): build the same source again,
	// statically, from the module that holds it.
	dir, derr := moduleDir(ctx)
	if derr == nil {
		return selfSource{src: &goTarget{dir: dir, pkg: devenvCommand, arch: arch}}, nil
	}
	why := "it is linked dynamically (built with cgo)"
	if err != nil {
		why = err.Error()
	} else if runtime.GOARCH != arch || runtime.GOOS != "linux" {
		why = fmt.Sprintf("it is a %s/%s binary and the engine runs linux/%s", runtime.GOOS, runtime.GOARCH, arch)
	}
	return selfSource{}, fmt.Errorf("devenv's stand-in images hold the devenv binary, and this one cannot be copied into a FROM scratch image: %s; and devenv's source is not here to build (%v). Run a static build instead: CGO_ENABLED=0 GOOS=linux GOARCH=%s go build -o devenv %s", why, derr, arch, devenvCommand)
}

// moduleDir finds the folder of devenv's source: the main module of the
// working directory when it is devenv (or requires it, for a project
// that pins devenv as a tool).
func moduleDir(ctx context.Context) (string, error) {
	if bi, ok := debug.ReadBuildInfo(); !ok || bi.Main.Path != devenvModule {
		return "", errors.New("this binary was not built from " + devenvModule)
	}
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", devenvModule).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", devenvModule, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", errors.New(devenvModule + " is not in this folder's Go build list")
	}
	return dir, nil
}

// goBuildID returns the Go build ID of an executable (its
// .note.go.buildid note: action and content IDs, which change with the
// binary's content), or "" when it has none.
func goBuildID(file string) string {
	f, err := elf.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return ""
	}
	note, err := sec.Data()
	// An ELF note: namesz, descsz, type (4 bytes each), name "Go\x00\x00",
	// then the ID.
	if err != nil || len(note) < 16 || string(note[12:14]) != "Go" {
		return ""
	}
	descsz := int(f.ByteOrder.Uint32(note[4:8]))
	if 16+descsz > len(note) {
		return ""
	}
	return string(note[16 : 16+descsz])
}

// isStatic reports whether file is an ELF executable with no dynamic
// loader, so it runs in an image with nothing else in it.
func isStatic(file string) bool {
	f, err := elf.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// binary returns the bytes of the stand-in images' binary and the digest of
// its inputs; built says whether it had to be compiled. For a source build
// the digest comes first, so an up-to-date image costs no build: have
// reports whether the images already hold what inputs names.
func (s selfSource) binary(ctx context.Context, have func(inputs string) bool) (bin []byte, inputs string, err error) {
	if s.file != "" {
		// The Go build ID names the binary's content without reading all
		// of it (tens of MB); a binary built without one is hashed.
		if id := goBuildID(s.file); id != "" {
			inputs = "go-build-id:" + id
			if have(inputs) {
				return nil, inputs, nil
			}
		}
		bin, err = os.ReadFile(s.file)
		if err != nil {
			return nil, "", err
		}
		if inputs == "" {
			sum := sha256.Sum256(bin)
			inputs = "sha256:" + hex.EncodeToString(sum[:])
			if have(inputs) {
				return nil, inputs, nil
			}
		}
		return bin, inputs, nil
	}
	inputs, err = s.src.inputs(ctx)
	if err != nil {
		return nil, "", err
	}
	if have(inputs) {
		return nil, inputs, nil
	}
	bin, err = s.src.build(ctx)
	return bin, inputs, err
}
