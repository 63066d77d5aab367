package stack

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"

	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/internal/enginestream"
)

// InputsLabel is the image label holding the digest of what went into an
// image devenv made (a binary, or the inputs of a Go build): an image whose
// label matches is up to date and is not made again.
const InputsLabel = "sh.devenv.inputs"

// scratchImage describes a FROM scratch image holding one static binary.
type scratchImage struct {
	tags       []string // repository:tag names the image gets
	binary     []byte
	name       string // the binary's path in the image, "/api-server"
	arch       string // GOARCH of the binary, the image's architecture
	inputs     string // digest stored under InputsLabel
	entrypoint []string
}

// archive writes img as a `docker save` archive (manifest.json, the
// image config and one layer), which the engine's image load takes as
// is: no Dockerfile, no builder, no build context beyond the binary, the
// way ko publishes to a daemon. Every timestamp is the epoch, so the same
// binary always makes the same image ID.
func (img scratchImage) archive() ([]byte, error) {
	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	if err := lw.WriteHeader(&tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if err := lw.WriteHeader(&tar.Header{Name: img.name[1:], Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(img.binary)), Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := lw.Write(img.binary); err != nil {
		return nil, err
	}
	if err := lw.Close(); err != nil {
		return nil, err
	}
	diffID := sha256.Sum256(layer.Bytes())
	config, err := json.Marshal(map[string]any{
		"architecture": img.arch,
		"os":           "linux",
		"created":      "1970-01-01T00:00:00Z",
		"config": map[string]any{
			"Entrypoint": img.entrypoint,
			"Env":        []string{"PATH=/"},
			"Labels":     map[string]string{InputsLabel: img.inputs},
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(diffID[:])}},
		"history": []map[string]any{{"created": "1970-01-01T00:00:00Z", "created_by": "devenv: " + path.Base(img.name)}},
	})
	if err != nil {
		return nil, err
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := hex.EncodeToString(diffID[:]) + "/layer.tar"
	manifest, err := json.Marshal([]map[string]any{{"Config": configName, "RepoTags": img.tags, "Layers": []string{layerName}}})
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w := tar.NewWriter(&out)
	for _, f := range []struct {
		name string
		data []byte
	}{{configName, config}, {layerName, layer.Bytes()}, {"manifest.json", manifest}} {
		if err := w.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.data)), Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// loadImage loads img into the engine under all its tags.
// The image it replaces under a tag is removed once no tag names it and no
// container uses it, so that rebuilds leave no dangling images behind.
func loadImage(ctx context.Context, docker client.APIClient, img scratchImage) error {
	data, err := img.archive()
	if err != nil {
		return fmt.Errorf("image %s: %w", img.tags[0], err)
	}
	var previous []string
	for _, tag := range img.tags {
		if old, err := docker.ImageInspect(ctx, tag); err == nil {
			previous = append(previous, old.ID)
		}
	}
	res, err := docker.ImageLoad(ctx, bytes.NewReader(data), client.ImageLoadWithQuiet(true))
	if err != nil {
		return fmt.Errorf("load image %s: %w", img.tags[0], err)
	}
	defer res.Close()
	if err := enginestream.Err(res); err != nil {
		return fmt.Errorf("load image %s: %w", img.tags[0], err)
	}
	for _, id := range previous {
		if old, err := docker.ImageInspect(ctx, id); err == nil && len(old.RepoTags) == 0 {
			// Refused while a container (running or stopped) uses it.
			docker.ImageRemove(ctx, id, client.ImageRemoveOptions{}) //nolint:errcheck // best effort
		}
	}
	return nil
}

// upToDate reports whether every tag names an image whose InputsLabel is
// inputs.
func upToDate(ctx context.Context, docker client.APIClient, tags []string, inputs string) bool {
	for _, tag := range tags {
		img, err := docker.ImageInspect(ctx, tag)
		if err != nil || img.Config == nil || img.Config.Labels[InputsLabel] != inputs {
			return false
		}
	}
	return true
}
