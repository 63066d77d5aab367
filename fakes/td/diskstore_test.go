package td

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
)

// state is everything a client can see of a fake, for comparing before and
// after a restart.
type state struct {
	Tables  []fakeclient.TDTable
	Records map[string][]fakeclient.TDRecord
	Imports []fakeclient.TDImport
}

func snapshot(t *testing.T, c testClient) state {
	t.Helper()
	var st state
	var err error
	st.Tables, err = c.Tables(t.Context())
	assert.NilError(t, err)
	st.Records = map[string][]fakeclient.TDRecord{}
	for _, tb := range st.Tables {
		st.Records[tb.Database+"."+tb.Name], err = c.Records(t.Context(), tb.Database, tb.Name)
		assert.NilError(t, err)
	}
	st.Imports, err = c.Imports(t.Context())
	assert.NilError(t, err)
	return st
}

func openDisk(t *testing.T, dir string) (testClient, *Server) {
	t.Helper()
	ds, err := OpenDiskStore(dir)
	assert.NilError(t, err)
	ts, s := newTestServer(t, ds, WithAutoCreate(true))
	t.Cleanup(func() { s.Close() })
	return newTestClient(ts.URL, "k"), s
}

func TestDiskStoreSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	c, s := openDisk(t, dir)
	ctx := t.Context()
	assert.NilError(t, c.CreateDatabase(ctx, "delish"))
	assert.NilError(t, c.CreateTable(ctx, "delish", "events"))
	_, err := c.ImportWithID(ctx, "delish", "events", chunkID, fluentdChunk(t, 5))
	assert.NilError(t, err)
	_, err = c.ImportWithID(ctx, "delish", "events", chunkID, fluentdChunk(t, 5)) // duplicate
	assert.NilError(t, err)
	_, err = c.Import(ctx, "other_db", "access", fluentdChunk(t, 2)) // auto-created
	assert.NilError(t, err)
	status, _ := tdRequest(t, http.MethodPut, c.baseURL+"/v3/table/import/delish/events/msgpack.gz", "k", []byte("garbage")) // rejected
	assert.Equal(t, status, http.StatusBadRequest)
	assert.NilError(t, c.CreateTable(ctx, "delish", "dropped"))
	assert.NilError(t, c.DeleteTable(ctx, "delish", "dropped"))
	before := snapshot(t, c)
	assert.Equal(t, len(before.Imports), 4)
	assert.NilError(t, s.Close())

	c2, s2 := openDisk(t, dir)
	after := snapshot(t, c2)
	assert.DeepEqual(t, after, before)

	// The unique ids survived too: a retried chunk still stores nothing.
	_, err = c2.ImportWithID(ctx, "delish", "events", chunkID, fluentdChunk(t, 5))
	assert.NilError(t, err)
	recs, err := c2.Records(ctx, "delish", "events")
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 5)

	// A reset is durable as well.
	assert.NilError(t, c2.Reset(ctx))
	_, err = c2.Import(ctx, "delish", "fresh", fluentdChunk(t, 1))
	assert.NilError(t, err)
	assert.NilError(t, s2.Close())
	c3, _ := openDisk(t, dir)
	tables, err := c3.Tables(ctx)
	assert.NilError(t, err)
	assert.Equal(t, len(tables), 1)
	assert.Equal(t, tables[0].Name, "fresh")
}

func TestDiskStoreCutsTornWrite(t *testing.T) {
	dir := t.TempDir()
	c, s := openDisk(t, dir)
	_, err := c.ImportWithID(t.Context(), "delish", "events", chunkID, fluentdChunk(t, 3))
	assert.NilError(t, err)
	assert.NilError(t, s.Close())

	// A crash in the middle of the next write: a frame header announcing
	// more bytes than made it to disk.
	path := filepath.Join(dir, JournalName)
	good, err := os.Stat(path)
	assert.NilError(t, err)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	assert.NilError(t, err)
	_, err = f.Write([]byte{0, 0, 1, 0, 1, 2, 3, 4, 'p', 'a', 'r', 't'})
	assert.NilError(t, err)
	assert.NilError(t, f.Close())

	ds, err := OpenDiskStore(dir)
	assert.NilError(t, err)
	assert.Equal(t, ds.Recovered(), int64(12))
	st, err := os.Stat(path)
	assert.NilError(t, err)
	assert.Equal(t, st.Size(), good.Size())
	recs, total, err := ds.Records("delish", "events", 0, 0)
	assert.NilError(t, err)
	assert.Equal(t, total, 3)
	assert.Equal(t, len(recs), 3)
	assert.NilError(t, ds.Close())
}

func TestDiskStoreRefusesCorruptJournal(t *testing.T) {
	t.Run("bad frame", func(t *testing.T) {
		dir := t.TempDir()
		c, s := openDisk(t, dir)
		_, err := c.ImportWithID(t.Context(), "delish", "events", chunkID, fluentdChunk(t, 3))
		assert.NilError(t, err)
		assert.NilError(t, s.Close())
		path := filepath.Join(dir, JournalName)
		b, err := os.ReadFile(path)
		assert.NilError(t, err)
		b[len(journalMagic)+10] ^= 0xff // inside the first frame, which is followed by others
		assert.NilError(t, os.WriteFile(path, b, 0o644))
		_, err = OpenDiskStore(dir)
		assert.ErrorContains(t, err, "checksum mismatch")
		assert.ErrorContains(t, err, path)
	})
	t.Run("not a journal", func(t *testing.T) {
		dir := t.TempDir()
		assert.NilError(t, os.WriteFile(filepath.Join(dir, JournalName), []byte("hello"), 0o644))
		_, err := OpenDiskStore(dir)
		assert.ErrorContains(t, err, "not a devenv TD journal")
	})
}

func TestDiskStoreLocksItsDir(t *testing.T) {
	dir := t.TempDir()
	first, err := OpenDiskStore(dir)
	assert.NilError(t, err)
	_, err = OpenDiskStore(dir)
	assert.ErrorContains(t, err, "another fake td is using it")
	assert.NilError(t, first.Close())
	second, err := OpenDiskStore(dir)
	assert.NilError(t, err, "the lock is released on Close")
	assert.NilError(t, second.Close())
}
