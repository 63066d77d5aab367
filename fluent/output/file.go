package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/devenv-sh/devenv/fluent/buffer"
	"github.com/devenv-sh/devenv/fluent/router"
)

// File is out_file: each chunk goes to `path.<slice>_<index>.log` (the
// first index not taken), or is appended to `path.<slice>.log` with
// `append true`; gzipped with `compress gzip`.
type File struct {
	cfg  *router.FileConfig
	root func(string) string
}

// NewFile builds the sink for one out_file instance. root maps the
// configured path to the local one (identity when nil).
func NewFile(cfg *router.FileConfig, root func(string) string) *File {
	if root == nil {
		root = func(p string) string { return p }
	}
	return &File{cfg: cfg, root: root}
}

// Write writes one chunk. A new file appears whole: it is written to a
// temporary file and hard-linked to the first free index.
func (f *File) Write(_ context.Context, c *buffer.Chunk) error {
	r, err := c.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	var data []byte
	if f.cfg.Compress {
		data, err = gzipAll(r)
	} else {
		data, err = io.ReadAll(r)
	}
	if err != nil {
		return err
	}
	if f.cfg.Append {
		return appendFile(f.root(f.cfg.FilePath(c.Key, 0)), data)
	}
	first := f.root(f.cfg.FilePath(c.Key, 0))
	dir := filepath.Dir(first)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write out_file %s: %w", first, err)
	}
	tmp, err := os.CreateTemp(dir, ".out_file-*")
	if err != nil {
		return fmt.Errorf("write out_file %s: %w", first, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write out_file %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write out_file %s: %w", tmp.Name(), err)
	}
	prev := ""
	for i := 0; ; i++ {
		path := f.root(f.cfg.FilePath(c.Key, i))
		if path == prev {
			return fmt.Errorf("write out_file %s: the file exists and the path has no index", path)
		}
		prev = path
		err := os.Link(tmp.Name(), path)
		if err == nil {
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("write out_file %s: %w", path, err)
		}
	}
}

func appendFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write out_file %s: %w", path, err)
	}
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("write out_file %s: %w", path, err)
	}
	if _, err := out.Write(data); err != nil {
		out.Close()
		return fmt.Errorf("write out_file %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write out_file %s: %w", path, err)
	}
	return nil
}
