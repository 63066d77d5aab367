package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/atomicfile"
)

func TestWriteFileReplacesContentAndMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.yaml")
	assert.NilError(t, os.WriteFile(p, []byte("old"), 0o600))
	assert.NilError(t, atomicfile.WriteFile(p, []byte("new"), 0o644))
	got, err := os.ReadFile(p)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "new")
	fi, err := os.Stat(p)
	assert.NilError(t, err)
	assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o644))
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 1, "no temporary file may be left behind")
}

func TestWriteFileFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "link")
	assert.NilError(t, os.WriteFile(target, []byte("old"), 0o644))
	assert.NilError(t, os.Symlink(target, link))
	assert.NilError(t, atomicfile.WriteFile(link, []byte("new"), 0o644))
	fi, err := os.Lstat(link)
	assert.NilError(t, err)
	assert.Assert(t, fi.Mode()&os.ModeSymlink != 0, "the link must stay a link")
	got, err := os.ReadFile(target)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "new")
}

func TestWriteFileRefusesNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	assert.NilError(t, os.Mkdir(sub, 0o755))
	err := atomicfile.WriteFile(sub, []byte("x"), 0o644)
	assert.Error(t, err, "write "+sub+": not a regular file, so it cannot be replaced atomically")
	fi, err := os.Stat(sub)
	assert.NilError(t, err)
	assert.Assert(t, fi.IsDir())
}

func TestWriteFileMissingDirectoryLeavesNothing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing", "a.yaml")
	err := atomicfile.WriteFile(p, []byte("x"), 0o644)
	assert.ErrorContains(t, err, "write "+p+": ")
	_, statErr := os.Stat(p)
	assert.Assert(t, os.IsNotExist(statErr))
}

func TestSyncDir(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, atomicfile.SyncDir(dir))
	assert.ErrorContains(t, atomicfile.SyncDir(filepath.Join(dir, "missing")), "sync directory")
}
