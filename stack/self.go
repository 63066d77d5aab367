package stack

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

// devenvCommand is devenv's main package, built into the stand-in images
// when the running binary cannot be copied into one.
const devenvCommand = "github.com/devenv-sh/devenv/cmd/devenv"

// selfSource says where the devenv binary of the stand-in images comes
// from: the running executable itself when it is devenv, built as a static
// linux binary of the engine's architecture (CGO_ENABLED=0), else a build
// of devenv's source as the project's Go build list has it (the devenv
// checkout itself, or a module that requires devenv or has it as a tool).
type selfSource struct {
	file string    // a static executable to copy, or
	src  *goTarget // a package to build
}

// findSelf returns the source of the stand-in images' binary for arch,
// for the project in dir.
func findSelf(ctx context.Context, arch, dir string) (selfSource, error) {
	exe, err := os.Executable()
	bi, ok := debug.ReadBuildInfo()
	if err == nil && ok && bi.Path == devenvCommand && runtime.GOOS == "linux" && runtime.GOARCH == arch && isStatic(exe) {
		return selfSource{file: exe}, nil
	}
	g := &goTarget{dir: dir, pkg: devenvCommand, arch: arch}
	if _, err := g.goCommand(ctx, "list", "-f", "{{.Name}}", devenvCommand); err != nil {
		return selfSource{}, fmt.Errorf("devenv's stand-in images hold a static devenv binary, and this process cannot give one (it is not a static devenv), nor build one: %s is not in the Go build list of %s. Make it a tool of your module (go get -tool %s), or run a static build of devenv (CGO_ENABLED=0 go build -o devenv %s)", devenvCommand, dir, devenvCommand, devenvCommand)
	}
	return selfSource{src: g}, nil
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
