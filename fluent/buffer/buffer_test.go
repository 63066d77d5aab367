package buffer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

type written struct {
	Key  string
	Data string
	UID  string
}

// sink records chunks; the first fail writes return an error.
type sink struct {
	mu     sync.Mutex
	got    []written
	fail   int
	calls  int
	always bool
}

func (s *sink) Write(_ context.Context, c *Chunk) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.always || s.calls <= s.fail {
		return errors.New("sink down")
	}
	b, err := c.Bytes()
	if err != nil {
		return err
	}
	s.got = append(s.got, written{Key: c.Key, Data: string(b), UID: c.UniqueID()})
	return nil
}

func (s *sink) snapshot() []written {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]written(nil), s.got...)
}

func (s *sink) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func run(t *testing.T, b *Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, time.Second) }()
	t.Cleanup(func() {
		cancel()
		assert.NilError(t, <-done)
	})
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	assert.NilError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestFileBufferFlushes(t *testing.T) {
	dir := t.TempDir()
	s := &sink{}
	b, err := Open(Config{Type: "file", Path: filepath.Join(dir, "buf-click"), FlushInterval: 50 * time.Millisecond}, s)
	assert.NilError(t, err)
	assert.NilError(t, b.Append("2024/01/02/03", []byte("{\"a\":1}\n")))
	assert.NilError(t, b.Append("2024/01/02/04", []byte("{\"a\":2}\n")))
	assert.NilError(t, b.Append("2024/01/02/03", []byte("{\"a\":3}\n")))
	assert.NilError(t, b.Commit(true))
	names := files(t, dir)
	assert.Equal(t, len(names), 2)
	assert.Assert(t, regexpMatch(`^buf-click\.2024%2F01%2F02%2F03\.b[0-9a-f]{16}\.log$`, names[0]), names[0])
	run(t, b)
	testsupport.Until(t, 10*time.Second, "two chunks", func() bool { return len(s.snapshot()) == 2 })
	got := s.snapshot()
	sort.Slice(got, func(i, j int) bool { return got[i].Key < got[j].Key })
	assert.Equal(t, got[0].Data, "{\"a\":1}\n{\"a\":3}\n")
	assert.Equal(t, got[1].Data, "{\"a\":2}\n")
	assert.Equal(t, len(got[0].UID), 32)
	assert.Equal(t, got[0].UID[:16], got[0].UID[16:])
	testsupport.Until(t, 10*time.Second, "files removed", func() bool { return len(files(t, dir)) == 0 })
}

func TestChunkLimitAndQueueLimit(t *testing.T) {
	b, err := Open(Config{Type: "memory", ChunkLimit: 10, QueueLimit: 2}, &sink{})
	assert.NilError(t, err)
	rec := []byte("12345\n")
	assert.NilError(t, b.Append("k", rec))
	assert.NilError(t, b.Append("k", rec)) // rotates: chunk 1 queued
	assert.NilError(t, b.Append("k", rec)) // rotates: chunk 2 queued
	assert.Equal(t, b.Stats().Queued, 2)
	assert.ErrorIs(t, b.Append("k", rec), ErrQueueFull)
	assert.NilError(t, b.Append("other", rec))
}

func TestRecoveryAfterTornWrite(t *testing.T) {
	for _, tc := range []struct {
		name    string
		framing Framing
		recs    [][]byte
		torn    []byte
	}{
		{"lines", Lines, [][]byte{[]byte("{\"n\":1}\n"), []byte("{\"n\":2}\n")}, []byte("{\"n\":")},
		{"msgpack", Msgpack, [][]byte{mp(t, map[string]any{"n": 1}), mp(t, map[string]any{"n": 2})}, mp(t, map[string]any{"n": 3, "long": "xxxxxxxx"})[:9]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "td-buf")
			cfg := Config{Type: "file", Path: path, FlushInterval: time.Hour, ChunkLimit: int64(len(tc.recs[0]) + len(tc.recs[1])), Framing: tc.framing}
			b, err := Open(cfg, &sink{})
			assert.NilError(t, err)
			assert.NilError(t, b.Append("db.tbl", tc.recs[0]))
			assert.NilError(t, b.Append("db.tbl", tc.recs[1]))
			assert.NilError(t, b.Append("db.tbl", tc.recs[0])) // rotates: one queued chunk, one staged
			assert.NilError(t, b.Commit(true))
			// The process dies in the middle of the next write.
			staged, err := filepath.Glob(path + ".db.tbl.b*.log")
			assert.NilError(t, err)
			assert.Equal(t, len(staged), 1)
			f, err := os.OpenFile(staged[0], os.O_WRONLY|os.O_APPEND, 0)
			assert.NilError(t, err)
			_, err = f.Write(tc.torn)
			assert.NilError(t, err)
			assert.NilError(t, f.Close())

			s := &sink{}
			b2, err := Open(cfg, s)
			assert.NilError(t, err)
			st := b2.Stats()
			assert.Equal(t, st.RecoveredQ, 1)
			assert.Equal(t, st.RecoveredB, 1)
			assert.Equal(t, st.TornTrimmed, 1)
			assert.NilError(t, b2.Append("db.tbl", tc.recs[1]))
			b2.ForceFlush()
			run(t, b2)
			testsupport.Until(t, 10*time.Second, "both chunks", func() bool { return len(s.snapshot()) == 2 })
			got := s.snapshot()
			assert.Equal(t, got[0].Data, string(tc.recs[0])+string(tc.recs[1]))
			assert.Equal(t, got[1].Data, string(tc.recs[0])+string(tc.recs[1]))
		})
	}
}

func mp(t *testing.T, v any) []byte {
	b, err := msgpack.Marshal(v)
	assert.NilError(t, err)
	return b
}

func TestRetriesThenSucceeds(t *testing.T) {
	s := &sink{fail: 3}
	b, err := Open(Config{Type: "memory", FlushInterval: 10 * time.Millisecond, RetryWait: 5 * time.Millisecond, RetryLimit: 17}, s, WithName("test"))
	assert.NilError(t, err)
	assert.NilError(t, b.Append("k", []byte("x\n")))
	run(t, b)
	testsupport.Until(t, 10*time.Second, "chunk after retries", func() bool { return len(s.snapshot()) == 1 })
	assert.Equal(t, s.callCount(), 4)
	assert.Equal(t, b.Stats().FlushErrors, int64(3))
}

func TestRetryLimitDiscards(t *testing.T) {
	s := &sink{always: true}
	b, err := Open(Config{Type: "memory", FlushInterval: 10 * time.Millisecond, RetryWait: time.Millisecond, RetryLimit: 2}, s)
	assert.NilError(t, err)
	assert.NilError(t, b.Append("k", []byte("x\n")))
	run(t, b)
	testsupport.Until(t, 10*time.Second, "discard", func() bool { return b.Stats().Discarded == 1 })
	assert.Equal(t, s.callCount(), 3)
}

func TestRetryWaitBackoff(t *testing.T) {
	b, err := Open(Config{RetryWait: time.Second, MaxRetryWait: 10 * time.Second}, &sink{})
	assert.NilError(t, err)
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second} {
		w := b.retryWait(n)
		assert.Assert(t, w >= want*7/8 && w <= want*9/8, "retry %d: %v", n, w)
	}
	assert.Equal(t, b.retryWait(10), 10*time.Second)
}

func TestTimeSlicedWithoutFlushInterval(t *testing.T) {
	now := time.Date(2024, 1, 2, 5, 11, 0, 0, time.UTC)
	s := &sink{}
	slice := func(t time.Time) string { return t.UTC().Format("2006/01/02/15") }
	b, err := Open(Config{Type: "memory", SliceOf: slice, TimeSliceWait: 10 * time.Minute}, s, WithClock(func() time.Time { return now }))
	assert.NilError(t, err)
	assert.NilError(t, b.Append("2024/01/02/04", []byte("old\n")))
	assert.NilError(t, b.Append("2024/01/02/05", []byte("current\n")))
	assert.NilError(t, b.enqueueDue(false))
	st := b.Stats()
	assert.Equal(t, st.Queued, 1)
	assert.Equal(t, st.Staged, 1)
}

func TestFlushAtShutdown(t *testing.T) {
	s := &sink{}
	b, err := Open(Config{Type: "memory", FlushInterval: time.Hour, FlushAtShutdown: true}, s)
	assert.NilError(t, err)
	assert.NilError(t, b.Append("k", []byte("x\n")))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.NilError(t, b.Run(ctx, time.Second))
	assert.Equal(t, len(s.snapshot()), 1)
	assert.ErrorIs(t, b.Append("k", []byte("y\n")), ErrClosed)
}

func TestFileBufferLeftForNextStart(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Type: "file", Path: filepath.Join(dir, "b"), FlushInterval: time.Hour}
	b, err := Open(cfg, &sink{})
	assert.NilError(t, err)
	assert.NilError(t, b.Append("k", []byte("x\n")))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.NilError(t, b.Run(ctx, time.Second))
	b2, err := Open(cfg, &sink{})
	assert.NilError(t, err)
	assert.Equal(t, b2.Stats().StagedBytes, int64(2))
}

// TestCommitSyncCoversAnotherCommitsFlush: a Commit(false) (one connection
// draining its reads) hands bytes to the OS without fsync; a later
// Commit(true) (another connection about to ack) must still fsync them.
func TestCommitSyncCoversAnotherCommitsFlush(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(Config{Type: "file", Path: filepath.Join(dir, "b"), FlushInterval: time.Hour}, &sink{})
	assert.NilError(t, err)
	var synced []string
	b.syncFile = func(f *os.File) error {
		synced = append(synced, filepath.Base(f.Name()))
		return f.Sync()
	}
	assert.NilError(t, b.Append("k", []byte("x\n")))
	assert.NilError(t, b.Commit(false))
	assert.Equal(t, len(synced), 0)
	assert.NilError(t, b.Commit(true))
	assert.Equal(t, len(synced), 1, "%v", synced)
	assert.Assert(t, regexpMatch(`^b\.k\.b[0-9a-f]{16}\.log$`, synced[0]), synced[0])

	// Nothing appended since: the next Commit(true) has nothing to sync.
	assert.NilError(t, b.Commit(true))
	assert.Equal(t, len(synced), 1, "%v", synced)
}
