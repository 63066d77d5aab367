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

// Write writes one chunk.
func (f *File) Write(_ context.Context, c *buffer.Chunk) error {
	var path string
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if f.cfg.Append {
		path = f.root(f.cfg.FilePath(c.Key, 0))
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	for i := 0; path == ""; i++ {
		p := f.root(f.cfg.FilePath(c.Key, i))
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			path = p
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write out_file %s: %w", path, err)
	}
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
	out, err := os.OpenFile(path, flags, 0o644)
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
