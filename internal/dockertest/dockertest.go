// Package dockertest gives tests a client of the local Docker Engine and
// FROM scratch images of Go programs, and removes what it creates when the
// test ends. No registry is needed: images are built locally with the
// classic builder from a static binary.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/internal/enginestream"
)

// Label marks every image this package builds, so leftovers of a killed
// test run can be found with `docker images --filter label=devenv-test`.
const Label = "devenv-test"

// Client returns a client of the Docker Engine the environment names
// (DOCKER_HOST, or the local socket), at the API version the engine
// speaks (the client negotiates it), closed when the test ends. The test
// fails when no engine answers: devenv's tests need one.
func Client(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		t.Fatalf("no Docker engine answers (start dockerd, or set DOCKER_HOST): %v", err)
	}
	return cli
}

// BuildGoImage builds the Go main package in dir into a FROM scratch image
// (CGO_ENABLED=0, GOOS=linux; ENTRYPOINT the binary) tagged
// repo:<random>, and removes the image when the test ends. dir is a folder
// of the current module or a module of its own. It returns the tag.
func BuildGoImage(t testing.TB, cli *client.Client, repo, dir string) string {
	t.Helper()
	return BuildGoImageAt(t, cli, repo, dir, "/app")
}

// BuildGoImageAt is BuildGoImage with the binary at path, an absolute path
// inside the image (/devenv, as in devenv's stand-in images).
func BuildGoImageAt(t testing.TB, cli *client.Client, repo, dir, path string) string {
	t.Helper()
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "\"\\\n ") {
		t.Fatalf("binary path %q: give a plain absolute path", path)
	}
	bin := filepath.Join(t.TempDir(), "app")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	app, err := os.ReadFile(bin)
	if err != nil {
		t.Fatalf("read built binary: %v", err)
	}
	buildContext, err := scratchContext(app, path)
	if err != nil {
		t.Fatalf("build context for %s: %v", dir, err)
	}

	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	tag := repo + ":" + hex.EncodeToString(rnd[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{Force: true, PruneChildren: true}) //nolint:errcheck // best-effort cleanup
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := cli.ImageBuild(ctx, buildContext, client.ImageBuildOptions{
		Tags: []string{tag}, Remove: true, ForceRemove: true, Labels: map[string]string{Label: "1"},
	})
	if err != nil {
		t.Fatalf("build image %s: %v", tag, err)
	}
	defer res.Body.Close()
	if err := enginestream.Err(res.Body); err != nil {
		t.Fatalf("build image %s: %v", tag, err)
	}
	return tag
}

// scratchContext is a build context holding app and a Dockerfile that
// copies it to path and runs it from scratch (exec form: there is no shell).
func scratchContext(app []byte, path string) (io.Reader, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{
		{"Dockerfile", 0o644, []byte("FROM scratch\nCOPY app " + path + "\nENTRYPOINT [\"" + path + "\"]\n")},
		{"app", 0o755, app},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	return &buf, tw.Close()
}

// RunRemovingImages runs the tests of m (call it from TestMain) and then
// removes every image the engine gained while they ran (devenv's
// stand-ins, Go services, builds), so that a run leaves the engine with
// the images it had. It returns m.Run's exit code, or 1 with a message
// when no engine answers.
func RunRemovingImages(m *testing.M) int {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker client:", err)
		return 1
	}
	defer cli.Close()
	before, err := imageIDs(cli)
	if err != nil {
		fmt.Fprintf(os.Stderr, "these tests need a Docker engine (start dockerd, or set DOCKER_HOST): %v\n", err)
		return 1
	}
	code := m.Run()
	after, err := imageIDs(cli)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for id := range after {
			if !before[id] {
				cli.ImageRemove(ctx, id, client.ImageRemoveOptions{Force: true, PruneChildren: true}) //nolint:errcheck // best effort
			}
		}
	}
	return code
}

// imageIDs lists the engine's images.
func imageIDs(cli *client.Client) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := cli.ImageList(ctx, client.ImageListOptions{All: true})
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, img := range list.Items {
		ids[img.ID] = true
	}
	return ids, nil
}
