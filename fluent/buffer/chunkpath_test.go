package buffer

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// TestChunkPathIsTheFileCreated: ChunkPath names exactly the file a file
// buffer creates for a key (escaped as buf_file escapes it), with and
// without a `*` in buffer_path.
func TestChunkPathIsTheFileCreated(t *testing.T) {
	for _, base := range []string{"td-buf-delish-click", "buf.*.log", "plain.*"} {
		dir := t.TempDir()
		path := filepath.Join(dir, base)
		b, err := Open(Config{Type: "file", Path: path, FlushInterval: time.Hour}, &sink{})
		assert.NilError(t, err)
		assert.NilError(t, b.Append("2024/01/02 03", []byte("x\n")))
		got := files(t, dir)
		assert.Equal(t, len(got), 1)
		c := b.staged["2024/01/02 03"]
		assert.Equal(t, filepath.Join(dir, got[0]), ChunkPath(path, "2024/01/02 03", 'b', c.ID))
		assert.Equal(t, len(strconv.FormatUint(c.ID, 16)), 16, "a chunk id of this century has 16 hex digits")
		assert.Assert(t, strings.Contains(got[0], "2024%2F01%2F02%2003"), got[0])
		assert.NilError(t, b.Close())
	}
}

// TestChunkNameOverNameMax: a chunk whose file name is over NameMax bytes
// cannot be created (the file system refuses it, as Linux does for
// fluentd's buf_file); one of NameMax bytes can.
func TestChunkNameOverNameMax(t *testing.T) {
	fixed := len("buf") + len(".") + len(".b") + 16 + len(".log")
	for _, n := range []int{NameMax, NameMax + 1} {
		path := filepath.Join(t.TempDir(), "buf")
		key := strings.Repeat("a", n-fixed)
		b, err := Open(Config{Type: "file", Path: path, FlushInterval: time.Hour}, &sink{})
		assert.NilError(t, err)
		err = b.Append(key, []byte("x\n"))
		if n <= NameMax {
			assert.NilError(t, err)
			assert.Equal(t, len(filepath.Base(b.staged[key].path)), n)
		} else {
			assert.Assert(t, errors.Is(err, syscall.ENAMETOOLONG), "%v", err)
		}
		assert.NilError(t, b.Close())
	}
}
