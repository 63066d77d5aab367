package stack

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/dockertest"
	"github.com/devenv-sh/devenv/translate"
)

// TestExtensionKey: stack reads the block translate writes.
func TestExtensionKey(t *testing.T) {
	assert.Equal(t, extensionKey, translate.ExtensionKey)
}

// readArchive returns the files of a docker save archive.
func readArchive(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		assert.NilError(t, err)
		b, err := io.ReadAll(tr)
		assert.NilError(t, err)
		files[h.Name] = b
	}
}

func TestScratchImageArchive(t *testing.T) {
	img := scratchImage{tags: []string{"devenv/a:local", "devenv/b:local"}, binary: []byte("\x7fELF binary"), name: "/devenv", arch: "amd64", inputs: "sha256:abc", entrypoint: []string{"/devenv"}}
	data, err := img.archive()
	assert.NilError(t, err)
	again, err := img.archive()
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(data, again), "the same binary must make the same archive (and image ID)")

	files := readArchive(t, data)
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	assert.NilError(t, json.Unmarshal(files["manifest.json"], &manifest))
	assert.Equal(t, len(manifest), 1)
	assert.DeepEqual(t, manifest[0].RepoTags, img.tags)
	var config struct {
		Architecture, OS string
		Config           struct {
			Entrypoint []string
			Labels     map[string]string
		}
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	assert.NilError(t, json.Unmarshal(files[manifest[0].Config], &config))
	assert.Equal(t, config.Architecture, "amd64")
	assert.Equal(t, config.OS, "linux")
	assert.DeepEqual(t, config.Config.Entrypoint, []string{"/devenv"})
	assert.Equal(t, config.Config.Labels[InputsLabel], "sha256:abc")
	assert.Equal(t, len(manifest[0].Layers), 1)
	layer := readArchive(t, files[manifest[0].Layers[0]])
	assert.DeepEqual(t, string(layer["devenv"]), "\x7fELF binary")
	_, hasTmp := layer["tmp/"]
	assert.Assert(t, hasTmp, "the image has a /tmp")
}

// buildHello compiles testdata/hello statically.
func buildHello(t testing.TB) []byte {
	t.Helper()
	g := goTarget{dir: "testdata/hello", pkg: ".", arch: runtime.GOARCH}
	// testdata/hello is a package of this module: go runs in it.
	bin, err := g.build(t.Context())
	assert.NilError(t, err)
	return bin
}

// TestLoadedImageRuns: an image loaded from the archive runs on the
// engine, and upToDate tells its inputs.
func TestLoadedImageRuns(t *testing.T) {
	cli := dockertest.Client(t)
	ctx := t.Context()
	tag := "devenv-test/hello:" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cli.ImageRemove(cctx, tag, client.ImageRemoveOptions{Force: true}) //nolint:errcheck // best effort
	})
	img := scratchImage{tags: []string{tag}, binary: buildHello(t), name: "/hello", arch: runtime.GOARCH, inputs: "sha256:one", entrypoint: []string{"/hello"}}
	assert.Assert(t, !upToDate(ctx, cli, img.tags, "sha256:one"))
	assert.NilError(t, loadImage(ctx, cli, img))
	assert.Assert(t, upToDate(ctx, cli, img.tags, "sha256:one"))
	assert.Assert(t, !upToDate(ctx, cli, img.tags, "sha256:two"))

	// A rebuild replaces the image under the tag and removes the old one.
	first, err := cli.ImageInspect(ctx, tag)
	assert.NilError(t, err)
	img.inputs = "sha256:two"
	assert.NilError(t, loadImage(ctx, cli, img))
	assert.Assert(t, upToDate(ctx, cli, img.tags, "sha256:two"))
	_, err = cli.ImageInspect(ctx, first.ID)
	assert.Assert(t, err != nil, "the replaced image %s is left dangling", first.ID)

	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: tag}})
	assert.NilError(t, err)
	t.Cleanup(func() {
		cli.ContainerRemove(context.Background(), created.ID, client.ContainerRemoveOptions{Force: true}) //nolint:errcheck // best effort
	})
	_, err = cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{})
	assert.NilError(t, err)
	wait := cli.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{})
	select {
	case res := <-wait.Result:
		assert.Equal(t, res.StatusCode, int64(0))
	case err := <-wait.Error:
		t.Fatal(err)
	}
	logs, err := cli.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true})
	assert.NilError(t, err)
	defer logs.Close()
	out, err := io.ReadAll(logs)
	assert.NilError(t, err)
	assert.Assert(t, bytes.Contains(out, []byte("hello from a FROM scratch image")), "%q", out)
}

// TestGoInputs: the digest of a Go build follows what goes into the
// binary, and nothing else.
func TestGoInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		assert.NilError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	write("go.mod", "module example.com/m\n\ngo 1.26\n")
	write("cmd/app/main.go", "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { lib.Hello() }\n")
	write("lib/lib.go", "package lib\n\nfunc Hello() {}\n")
	write("lib/lib_test.go", "package lib\n")
	write("docs/README.md", "not a Go input\n")
	g := goTarget{dir: dir, pkg: "./cmd/app", arch: "amd64"}
	digest := func() string {
		t.Helper()
		d, err := g.inputs(t.Context())
		assert.NilError(t, err)
		return d
	}
	first := digest()
	assert.Equal(t, digest(), first, "same inputs, same digest")

	write("docs/README.md", "changed\n")
	write("lib/lib_test.go", "package lib\n\n// changed\n")
	assert.Equal(t, digest(), first, "files that are not built do not count")

	write("lib/lib.go", "package lib\n\nfunc Hello() { println() }\n")
	second := digest()
	assert.Assert(t, second != first, "a dependency's source counts")

	arm := g
	arm.arch = "arm64"
	d, err := arm.inputs(t.Context())
	assert.NilError(t, err)
	assert.Assert(t, d != second, "the target architecture counts")

	lib := goTarget{dir: dir, pkg: "./lib", arch: "amd64"}
	_, err = lib.inputs(t.Context())
	assert.ErrorContains(t, err, "./lib is not a main package: a go: image rule names the folder of a Go command")

	write("cmd/app/main.go", "package main\n\nimport \"example.com/m/nope\"\n\nfunc main() {}\n")
	_, err = g.inputs(t.Context())
	assert.ErrorContains(t, err, "nope")
}

func TestIsStatic(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hello")
	assert.NilError(t, os.WriteFile(bin, buildHello(t), 0o755))
	assert.Assert(t, isStatic(bin))
	sh, err := exec.LookPath("sh")
	assert.NilError(t, err)
	sh, err = filepath.EvalSymlinks(sh)
	assert.NilError(t, err)
	assert.Assert(t, !isStatic(sh), "%s is linked dynamically on this machine", sh)
	assert.Assert(t, !isStatic(filepath.Join(t.TempDir(), "missing")))
}

func TestGoBuildID(t *testing.T) {
	dir := t.TempDir()
	for i, src := range []string{"package main\n\nfunc main() {}\n", "package main\n\nfunc main() { println() }\n"} {
		assert.NilError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
		if i == 0 {
			assert.NilError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/id\n\ngo 1.26\n"), 0o644))
		}
		cmd := exec.Command("go", "build", "-o", fmt.Sprintf("bin%d", i), ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		assert.NilError(t, err, "%s", out)
	}
	id0, id1 := goBuildID(filepath.Join(dir, "bin0")), goBuildID(filepath.Join(dir, "bin1"))
	out, err := exec.Command("go", "tool", "buildid", filepath.Join(dir, "bin0")).Output()
	assert.NilError(t, err)
	assert.Equal(t, id0, strings.TrimSpace(string(out)), "the ID go tool buildid reads")
	assert.Assert(t, id1 != "" && id1 != id0, "another binary, another ID")
	hello := filepath.Join(dir, "hello")
	assert.NilError(t, os.WriteFile(hello, buildHello(t), 0o755)) // built with -buildid=
	assert.Equal(t, goBuildID(hello), "")
}
