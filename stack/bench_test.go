package stack

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/internal/dockertest"
)

// BenchmarkRebuildUnchangedGoService measures `devenv up`'s image step for
// a go: rule whose inputs did not change (the reference stack's API
// server): go list, the digest of its sources, an image inspect, and no
// build. Target: under 0.5 s an op.
func BenchmarkRebuildUnchangedGoService(b *testing.B) {
	dockertest.Client(b) // fails without an engine
	ctx := b.Context()
	e, err := New(ctx, WithOutput(io.Discard, io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	root, err := filepath.Abs("..")
	if err != nil {
		b.Fatal(err)
	}
	images := []string{"devenv-bench/api-server:unchanged"}
	b.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e.docker.ImageRemove(cctx, images[0], client.ImageRemoveOptions{Force: true}) //nolint:errcheck // best effort
	})
	g := goTarget{dir: root, pkg: "./sample/api-server", arch: e.arch}
	if err := e.buildGo(ctx, images, g); err != nil {
		b.Fatal(err)
	}
	before, err := e.docker.ImageInspect(ctx, images[0])
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := e.buildGo(ctx, images, g); err != nil {
			b.Fatal(err)
		}
	}
	after, err := e.docker.ImageInspect(ctx, images[0])
	if err != nil {
		b.Fatal(err)
	}
	if after.ID != before.ID {
		b.Fatalf("an unchanged service was rebuilt: image %s became %s", before.ID, after.ID)
	}
}
