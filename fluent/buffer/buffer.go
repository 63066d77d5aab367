// Package buffer implements fluentd v0.12's output buffers: chunks keyed by
// a string (a time slice for out_s3, `db.table` for out_tdlog), staged
// until a flush enqueues them, then written to a Sink one at a time with
// exponential-backoff retries. File buffers keep every chunk in a file next
// to `buffer_path`, named as buf_file names them:
//
//	<buffer_path>.<url-escaped key>.b<hex id>.log   staged (still appended to)
//	<buffer_path>.<url-escaped key>.q<hex id>.log   queued (waiting to be written)
//
// (with a `*` in buffer_path, the `*` is replaced by `<key>.b<id>` and no
// `.log` is added). A chunk file holds the output's formatted records,
// concatenated: it is the exact payload the sink compresses and sends.
// Records are appended through a small write buffer; Commit(true) flushes
// and fsyncs, so a caller acknowledges input only after Commit(true)
// returns. On Open, staged and queued files are recovered; a record torn by
// a crash is cut off using the buffer's Framing. Memory buffers behave the
// same without files.
package buffer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/devenv-sh/devenv/internal/atomicfile"
)

// Config holds the buffer parameters of one output instance, with fluentd
// v0.12's names.
type Config struct {
	// Type is "file" or "memory" (buffer_type).
	Type string
	// Path is buffer_path; required for file buffers.
	Path string
	// ChunkLimit is buffer_chunk_limit in bytes.
	ChunkLimit int64
	// QueueLimit is buffer_queue_limit, in chunks.
	QueueLimit int
	// FlushInterval is flush_interval. With SliceOf set and FlushInterval
	// zero, chunks are enqueued by slice age instead (TimeSlicedOutput
	// without flush_interval).
	FlushInterval time.Duration
	// SliceOf formats a time as a chunk key (time_slice_format). Set only
	// for time-sliced outputs.
	SliceOf func(time.Time) string
	// TimeSliceWait is time_slice_wait.
	TimeSliceWait time.Duration
	// RetryWait, MaxRetryWait (0: no cap) and RetryLimit are the retry
	// parameters.
	RetryWait    time.Duration
	MaxRetryWait time.Duration
	RetryLimit   int
	// FlushAtShutdown is flush_at_shutdown.
	FlushAtShutdown bool
	// Framing finds complete records when recovering a file chunk.
	Framing Framing
}

// Defaults of fluentd v0.12 (BufferedOutput, buf_file, buf_memory).
const (
	DefaultChunkLimit    = 8 << 20
	DefaultFileQueue     = 256
	DefaultMemoryQueue   = 64
	DefaultFlushInterval = 60 * time.Second
	DefaultRetryWait     = time.Second
	DefaultRetryLimit    = 17
	DefaultTimeSliceWait = 600 * time.Second
)

// Sink writes a chunk somewhere (S3, Treasure Data). An error makes the
// buffer retry the same chunk later.
type Sink interface {
	Write(ctx context.Context, c *Chunk) error
}

// ErrQueueFull is returned by Append when a chunk must be enqueued but the
// queue already holds QueueLimit chunks (fluentd's BufferQueueLimitError).
var ErrQueueFull = errors.New("buffer queue limit reached")

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("buffer is closed")

// Chunk is a unit of buffered records written to the sink together.
type Chunk struct {
	// Key is the chunk key (time slice, db.table).
	Key string
	// ID is the chunk's 64-bit id (the hex suffix of its file name).
	ID uint64
	// Size is the number of bytes.
	Size int64
	// Records is the number of records appended (or recovered).
	Records int
	// Recovered reports that the chunk was found on disk at Open: an earlier
	// process may have written it to the sink just before it died.
	Recovered bool

	path string
	f    *os.File
	w    *bufio.Writer
	mem  []byte
}

// UniqueID is the 32-hex-character id out_tdlog sends as the import's
// unique_id: buf_file's id (8 bytes) repeated twice.
func (c *Chunk) UniqueID() string {
	h := fmt.Sprintf("%016x", c.ID)
	return h + h
}

// UniqueIDBytes is the 16-byte chunk id (UniqueID before hex encoding).
func (c *Chunk) UniqueIDBytes() []byte {
	var b [16]byte
	for i := range 8 {
		b[i] = byte(c.ID >> (56 - 8*i))
	}
	copy(b[8:], b[:8])
	return b[:]
}

// Open returns the chunk's bytes.
func (c *Chunk) Open() (io.ReadCloser, error) {
	if c.path == "" {
		return io.NopCloser(bytes.NewReader(c.mem)), nil
	}
	f, err := os.Open(c.path)
	if err != nil {
		return nil, fmt.Errorf("open chunk: %w", err)
	}
	return f, nil
}

// Bytes reads the whole chunk into memory.
func (c *Chunk) Bytes() ([]byte, error) {
	if c.path == "" {
		return c.mem, nil
	}
	b, err := os.ReadFile(c.path)
	if err != nil {
		return nil, fmt.Errorf("read chunk: %w", err)
	}
	return b, nil
}

// Stats are a buffer's counters.
type Stats struct {
	Staged       int   // staged chunks
	Queued       int   // queued chunks
	StagedBytes  int64 // bytes in staged chunks
	Flushed      int64 // chunks written successfully
	FlushErrors  int64 // failed writes
	Discarded    int64 // chunks thrown away after RetryLimit failures
	RecoveredB   int   // staged chunks found at Open
	RecoveredQ   int   // queued chunks found at Open
	TornTrimmed  int   // chunk files cut back to their last complete record at Open
	RecordsTotal int64 // records appended since Open
}

// Buffer is an output buffer. Append, Commit and ForceFlush are safe for
// concurrent use; Run drives flushing.
type Buffer struct {
	cfg    Config
	sink   Sink
	name   string
	logger *slog.Logger
	now    func() time.Time

	prefix, suffix string

	mu        sync.Mutex
	staged    map[string]*Chunk
	queue     []*Chunk
	dirty     map[*Chunk]struct{} // write buffers not yet flushed to the file
	unsynced  map[*Chunk]*os.File // files written since their last fsync
	dirSync   bool
	seq       uint64 // records appended to file chunks (under mu)
	lastID    uint64
	stats     Stats
	wake      chan struct{}
	forceNext bool
	closed    bool

	// syncMu serialises fsyncs; syncedSeq is the seq they made durable.
	syncMu    sync.Mutex
	syncedSeq uint64
	// syncFile fsyncs a chunk file ((*os.File).Sync; replaced in tests).
	syncFile func(*os.File) error
}

// Option configures a Buffer.
type Option func(*Buffer)

// WithLogger sets the logger for flush and error lines.
func WithLogger(l *slog.Logger) Option { return func(b *Buffer) { b.logger = l } }

// WithClock sets the clock.
func WithClock(now func() time.Time) Option { return func(b *Buffer) { b.now = now } }

// WithName names the buffer in log lines (for example the output's type
// and tag).
func WithName(name string) Option { return func(b *Buffer) { b.name = name } }

// Open creates a buffer writing to sink and, for a file buffer, recovers
// the chunks left under cfg.Path by an earlier process.
func Open(cfg Config, sink Sink, opts ...Option) (*Buffer, error) {
	b := &Buffer{cfg: cfg, sink: sink, staged: map[string]*Chunk{}, dirty: map[*Chunk]struct{}{}, unsynced: map[*Chunk]*os.File{}, wake: make(chan struct{}, 1), syncFile: (*os.File).Sync}
	for _, o := range opts {
		o(b)
	}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.cfg.ChunkLimit <= 0 {
		b.cfg.ChunkLimit = DefaultChunkLimit
	}
	if b.cfg.Type == "" {
		b.cfg.Type = "memory"
	}
	if b.cfg.QueueLimit <= 0 {
		b.cfg.QueueLimit = DefaultMemoryQueue
		if b.cfg.Type == "file" {
			b.cfg.QueueLimit = DefaultFileQueue
		}
	}
	if b.cfg.RetryWait <= 0 {
		b.cfg.RetryWait = DefaultRetryWait
	}
	if b.cfg.Framing == nil {
		b.cfg.Framing = Lines
	}
	switch b.cfg.Type {
	case "memory":
		return b, nil
	case "file":
	default:
		return nil, fmt.Errorf("open buffer: unknown buffer_type %q (want file or memory)", b.cfg.Type)
	}
	if b.cfg.Path == "" {
		return nil, errors.New("open buffer: buffer_path is required for a file buffer")
	}
	b.prefix, b.suffix = splitPath(b.cfg.Path)
	if err := os.MkdirAll(filepath.Dir(b.prefix+"x"), 0o755); err != nil {
		return nil, fmt.Errorf("open buffer %s: %w", b.cfg.Path, err)
	}
	if err := b.recover(); err != nil {
		return nil, err
	}
	return b, nil
}

// recover loads the chunk files of an earlier run.
func (b *Buffer) recover() error {
	matches, err := filepath.Glob(globEscape(b.prefix) + "*" + globEscape(b.suffix))
	if err != nil {
		return fmt.Errorf("recover buffer %s: %w", b.cfg.Path, err)
	}
	var staged []*Chunk
	for _, p := range matches {
		mid := strings.TrimSuffix(strings.TrimPrefix(p, b.prefix), b.suffix)
		dot := strings.LastIndexByte(mid, '.')
		if dot < 0 || dot+2 > len(mid) {
			continue
		}
		state, hexID := mid[dot+1], mid[dot+2:]
		id, err := strconv.ParseUint(hexID, 16, 64)
		if err != nil || (state != 'b' && state != 'q') {
			continue
		}
		key, err := unescapeKey(mid[:dot])
		if err != nil {
			continue
		}
		c := &Chunk{Key: key, ID: id, path: p, Recovered: true}
		if err := b.trim(c); err != nil {
			return err
		}
		b.lastID = max(b.lastID, id)
		if state == 'q' {
			b.queue = append(b.queue, c)
			b.stats.RecoveredQ++
		} else {
			staged = append(staged, c)
			b.stats.RecoveredB++
		}
	}
	sort.Slice(b.queue, func(i, j int) bool { return b.queue[i].ID < b.queue[j].ID })
	sort.Slice(staged, func(i, j int) bool { return staged[i].ID < staged[j].ID })
	for _, c := range staged {
		if old, ok := b.staged[c.Key]; ok {
			// Two staged chunks for one key: the older one is complete.
			if err := b.enqueueLocked(old); err != nil {
				return err
			}
		}
		f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("recover buffer chunk %s: %w", c.path, err)
		}
		c.f, c.w = f, bufio.NewWriterSize(f, 64<<10)
		b.staged[c.Key] = c
		b.stats.StagedBytes += c.Size
	}
	return nil
}

// trim cuts a recovered chunk file back to its last complete record.
func (b *Buffer) trim(c *Chunk) error {
	f, err := os.OpenFile(c.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("recover buffer chunk %s: %w", c.path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("recover buffer chunk %s: %w", c.path, err)
	}
	valid, records, err := b.cfg.Framing(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return fmt.Errorf("recover buffer chunk %s: %w", c.path, err)
	}
	c.Size, c.Records = valid, records
	if valid == st.Size() {
		return nil
	}
	if err := f.Truncate(valid); err != nil {
		return fmt.Errorf("truncate torn chunk %s: %w", c.path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("truncate torn chunk %s: %w", c.path, err)
	}
	b.stats.TornTrimmed++
	b.logger.Warn("truncated a torn record at the end of a buffer chunk", "chunk", c.path, "from", st.Size(), "to", valid)
	return nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

// escapeKey escapes a chunk key as buf_file does
// (URI.escape(key, /[^-_.a-zA-Z0-9]/n)).
func escapeKey(key string) string {
	var sb strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '-' || c == '_' || c == '.' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') {
			sb.WriteByte(c)
			continue
		}
		fmt.Fprintf(&sb, "%%%02X", c)
	}
	return sb.String()
}

func unescapeKey(s string) (string, error) {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			sb.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		sb.WriteByte(byte(v))
		i += 2
	}
	return sb.String(), nil
}

// newID returns buf_file's id: microseconds since the epoch shifted left
// by 12 bits, plus 12 random bits; strictly increasing within a buffer.
func (b *Buffer) newID() uint64 {
	id := uint64(b.now().UnixMicro())<<12 | uint64(rand.IntN(4096))
	if id <= b.lastID {
		id = b.lastID + 1
	}
	b.lastID = id
	return id
}

// CanAppend reports, as an error, why an Append of n bytes for key would
// fail now for want of room: ErrQueueFull when the staged chunk must be
// enqueued and the queue is full (v0.12's buffer raises
// BufferQueueLimitError before the emit goes on), ErrClosed after Close.
// Another appender may take the room before the Append.
func (b *Buffer) CanAppend(key string, n int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("append to buffer %s: %w", b.name, ErrClosed)
	}
	if c := b.staged[key]; c != nil && c.Size > 0 && c.Size+int64(n) > b.cfg.ChunkLimit && len(b.queue) >= b.cfg.QueueLimit {
		return ErrQueueFull
	}
	return nil
}

// Append adds one formatted record to the staged chunk for key. If the
// record would take the chunk over ChunkLimit, the chunk is enqueued first;
// if the queue is full, Append returns ErrQueueFull and adds nothing.
func (b *Buffer) Append(key string, record []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("append to buffer %s: %w", b.name, ErrClosed)
	}
	c := b.staged[key]
	if c != nil && c.Size > 0 && c.Size+int64(len(record)) > b.cfg.ChunkLimit {
		if len(b.queue) >= b.cfg.QueueLimit {
			return ErrQueueFull
		}
		if err := b.enqueueLocked(c); err != nil {
			return err
		}
		c = nil
	}
	if c == nil {
		var err error
		if c, err = b.newChunk(key); err != nil {
			return err
		}
	}
	if c.w != nil {
		if _, err := c.w.Write(record); err != nil {
			return fmt.Errorf("append to buffer chunk %s: %w", c.path, err)
		}
		b.dirty[c] = struct{}{}
		b.seq++
	} else {
		c.mem = append(c.mem, record...)
	}
	c.Size += int64(len(record))
	c.Records++
	b.stats.StagedBytes += int64(len(record))
	b.stats.RecordsTotal++
	return nil
}

func (b *Buffer) newChunk(key string) (*Chunk, error) {
	c := &Chunk{Key: key, ID: b.newID()}
	if b.cfg.Type == "file" {
		c.path = b.chunkPath(key, 'b', c.ID)
		f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, fmt.Errorf("create buffer chunk: %w", err)
		}
		c.f, c.w = f, bufio.NewWriterSize(f, 64<<10)
		b.dirSync = true
	}
	b.staged[key] = c
	return c, nil
}

func (b *Buffer) chunkPath(key string, state byte, id uint64) string {
	return chunkPath(b.prefix, b.suffix, key, state, id)
}

// NameMax is the longest file name (one path component), in bytes, that
// the file systems fluentd's buffers live on accept (Linux's NAME_MAX):
// buf_file cannot create a chunk whose name is longer, and its emit raises
// Errno::ENAMETOOLONG instead.
const NameMax = 255

// ChunkPath is the path buf_file gives the chunk of key with id in state
// ('b' staged, 'q' queued) of a file buffer at bufferPath. Chunk ids of
// chunks created between 1978 and 2112 have 16 hex digits.
func ChunkPath(bufferPath, key string, state byte, id uint64) string {
	prefix, suffix := splitPath(bufferPath)
	return chunkPath(prefix, suffix, key, state, id)
}

// splitPath is buf_file's configure: buffer_path around its first `*`, or
// buffer_path + "." and ".log" without one.
func splitPath(bufferPath string) (prefix, suffix string) {
	if i := strings.IndexByte(bufferPath, '*'); i >= 0 {
		return bufferPath[:i], bufferPath[i+1:]
	}
	return bufferPath + ".", ".log"
}

func chunkPath(prefix, suffix, key string, state byte, id uint64) string {
	return fmt.Sprintf("%s%s.%c%x%s", prefix, escapeKey(key), state, id, suffix)
}

// Commit hands every appended record to the operating system and, with
// sync, fsyncs the chunk files (and their directory when files were
// created) so that they survive a crash. It covers every record appended
// before the call, whoever appended it, including bytes an earlier
// Commit(false) handed to the OS without syncing. Concurrent Commit(true)
// calls share fsyncs (group commit): a caller whose records an fsync in
// progress or just finished already covers returns without one more.
// Memory buffers have nothing to do.
func (b *Buffer) Commit(sync bool) error {
	b.mu.Lock()
	err := b.flushDirtyLocked()
	target := b.seq
	b.mu.Unlock()
	if err != nil || !sync {
		return err
	}
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	if b.syncedSeq >= target {
		return nil
	}
	b.mu.Lock()
	if err := b.flushDirtyLocked(); err != nil {
		b.mu.Unlock()
		return err
	}
	taken := b.unsynced
	b.unsynced = map[*Chunk]*os.File{}
	dirSync := b.dirSync
	b.dirSync = false
	upto := b.seq
	b.mu.Unlock()
	if err := b.syncTaken(taken, dirSync); err != nil {
		// Not durable: the next Commit(true) tries these files again.
		b.mu.Lock()
		for c, f := range taken {
			if c.f == f {
				b.unsynced[c] = f
			}
		}
		b.dirSync = b.dirSync || dirSync
		b.mu.Unlock()
		return err
	}
	b.syncedSeq = upto
	return nil
}

// flushDirtyLocked writes the chunks' write buffers to their files, which
// then wait in unsynced for the next fsync.
func (b *Buffer) flushDirtyLocked() error {
	for c := range b.dirty {
		if err := c.w.Flush(); err != nil {
			return fmt.Errorf("write buffer chunk %s: %w", c.path, err)
		}
		b.unsynced[c] = c.f
		delete(b.dirty, c)
	}
	return nil
}

func (b *Buffer) syncTaken(taken map[*Chunk]*os.File, dirSync bool) error {
	for _, f := range taken {
		// A chunk enqueued meanwhile was synced and closed by enqueue.
		if err := b.syncFile(f); err != nil && !errors.Is(err, os.ErrClosed) {
			return fmt.Errorf("sync buffer chunk %s: %w", f.Name(), err)
		}
	}
	if dirSync {
		return atomicfile.SyncDir(filepath.Dir(b.prefix + "x"))
	}
	return nil
}

// enqueueLocked moves a staged chunk to the queue: its file is flushed,
// synced, closed and renamed from .b to .q.
func (b *Buffer) enqueueLocked(c *Chunk) error {
	if b.staged[c.Key] == c {
		delete(b.staged, c.Key)
	}
	b.stats.StagedBytes -= c.Size
	if c.f != nil {
		delete(b.dirty, c)
		delete(b.unsynced, c)
		if err := c.w.Flush(); err != nil {
			return fmt.Errorf("write buffer chunk %s: %w", c.path, err)
		}
		if err := b.syncFile(c.f); err != nil {
			return fmt.Errorf("sync buffer chunk %s: %w", c.path, err)
		}
		if err := c.f.Close(); err != nil {
			return fmt.Errorf("close buffer chunk %s: %w", c.path, err)
		}
		c.f, c.w = nil, nil
		q := b.chunkPath(c.Key, 'q', c.ID)
		if err := os.Rename(c.path, q); err != nil {
			return fmt.Errorf("enqueue buffer chunk %s: %w", c.path, err)
		}
		c.path = q
		b.dirSync = true
	}
	b.queue = append(b.queue, c)
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return nil
}

// ForceFlush enqueues every staged chunk at the next turn of Run, as
// SIGUSR1 does in fluentd.
func (b *Buffer) ForceFlush() {
	b.mu.Lock()
	b.forceNext = true
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Stats returns a snapshot of the counters.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.Staged, s.Queued = len(b.staged), len(b.queue)
	return s
}

// enqueueDue enqueues the staged chunks that are due: all of them when
// forced or when the flush interval elapsed, or, for time-sliced buffers
// without flush_interval, the slices older than now - time_slice_wait.
func (b *Buffer) enqueueDue(all bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var limit string
	if !all && b.cfg.SliceOf != nil && b.cfg.FlushInterval == 0 {
		limit = b.cfg.SliceOf(b.now().Add(-b.cfg.TimeSliceWait))
	}
	keys := make([]string, 0, len(b.staged))
	for k := range b.staged {
		if limit == "" || k < limit {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if b.staged[k].Size == 0 {
			continue
		}
		if err := b.enqueueLocked(b.staged[k]); err != nil {
			return err
		}
	}
	return nil
}

func (b *Buffer) head() *Chunk {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		return nil
	}
	return b.queue[0]
}

// pop removes the written head chunk and deletes its file.
func (b *Buffer) pop(c *Chunk) error {
	b.mu.Lock()
	if len(b.queue) > 0 && b.queue[0] == c {
		b.queue = b.queue[1:]
	}
	b.mu.Unlock()
	if c.path != "" {
		if err := os.Remove(c.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove flushed chunk: %w", err)
		}
	}
	return nil
}

// retryWait is v0.12's backoff: retry_wait * 2^(n-1), ±1/8 jitter, capped
// by max_retry_wait.
func (b *Buffer) retryWait(n int) time.Duration {
	w := float64(b.cfg.RetryWait) * float64(uint64(1)<<min(n-1, 40))
	w += rand.Float64()*(w/4) - w/8
	d := time.Duration(w)
	if b.cfg.MaxRetryWait > 0 && d > b.cfg.MaxRetryWait {
		d = b.cfg.MaxRetryWait
	}
	return d
}

// Run flushes the buffer until ctx is done: every FlushInterval (counted
// from the start of Run) it enqueues the staged chunks and writes the queue
// to the sink, one chunk at a time, retrying failures with backoff and
// throwing the queue away after RetryLimit consecutive failures. When ctx
// is done, a buffer with FlushAtShutdown writes everything once more (with
// a fresh context bounded by shutdownTimeout); otherwise the chunks stay
// in their files for the next start.
func (b *Buffer) Run(ctx context.Context, shutdownTimeout time.Duration) error {
	interval := b.cfg.FlushInterval
	if interval <= 0 {
		interval = DefaultFlushInterval
		if b.cfg.SliceOf != nil {
			interval = time.Second
		}
	}
	nextFlush := b.now().Add(interval)
	var nextRetry time.Time
	errs := 0
	tick := time.NewTicker(min(interval, 200*time.Millisecond))
	defer tick.Stop()
	for {
		now := b.now()
		b.mu.Lock()
		force := b.forceNext
		b.forceNext = false
		qlen := len(b.queue)
		b.mu.Unlock()
		if force || (qlen == 0 && !now.Before(nextFlush)) {
			if err := b.enqueueDue(force || b.cfg.FlushInterval > 0 || b.cfg.SliceOf == nil); err != nil {
				b.logger.Error("enqueue buffer failed", "buffer", b.name, "error", err)
			}
			nextFlush = now.Add(interval)
			if force {
				nextRetry = time.Time{}
			}
		}
		for c := b.head(); c != nil && ctx.Err() == nil && !b.now().Before(nextRetry); c = b.head() {
			if err := b.write(ctx, c); err != nil {
				errs++
				b.mu.Lock()
				b.stats.FlushErrors++
				b.mu.Unlock()
				if errs > b.cfg.RetryLimit {
					b.logger.Error("throwing away old logs.", "buffer", b.name, "retry_count", errs, "error", err)
					b.discardQueue()
					errs, nextRetry = 0, time.Time{}
					break
				}
				wait := b.retryWait(errs)
				nextRetry = b.now().Add(wait)
				b.logger.Warn("temporarily failed to flush the buffer.", "buffer", b.name, "next_retry", nextRetry.Format(time.RFC3339), "retry_count", errs, "error", err)
				break
			}
			if errs > 0 {
				b.logger.Warn("retry succeeded.", "buffer", b.name)
			}
			errs, nextRetry = 0, time.Time{}
		}
		select {
		case <-ctx.Done():
			return b.shutdown(shutdownTimeout)
		case <-tick.C:
		case <-b.wake:
		}
	}
}

func (b *Buffer) write(ctx context.Context, c *Chunk) error {
	if err := b.sink.Write(ctx, c); err != nil {
		return err
	}
	b.mu.Lock()
	b.stats.Flushed++
	b.mu.Unlock()
	b.logger.Info("flushed chunk", "buffer", b.name, "key", c.Key, "id", fmt.Sprintf("%x", c.ID), "bytes", c.Size, "records", c.Records)
	return b.pop(c)
}

func (b *Buffer) discardQueue() {
	b.mu.Lock()
	q := b.queue
	b.queue = nil
	b.stats.Discarded += int64(len(q))
	b.mu.Unlock()
	for _, c := range q {
		if c.path != "" {
			os.Remove(c.path) //nolint:errcheck // best effort: the chunk is being thrown away
		}
	}
}

// shutdown either writes everything (FlushAtShutdown) or leaves the chunks
// durably in their files.
func (b *Buffer) shutdown(timeout time.Duration) error {
	if b.cfg.FlushAtShutdown {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := b.enqueueDue(true); err != nil {
			return err
		}
		for c := b.head(); c != nil; c = b.head() {
			if err := b.write(ctx, c); err != nil {
				b.logger.Error("failed to flush the buffer at shutdown", "buffer", b.name, "error", err)
				break
			}
		}
	}
	return b.Close()
}

// Close flushes, syncs and closes the staged chunk files, leaving them for
// the next Open.
func (b *Buffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	var errs []error
	for _, c := range b.staged {
		if c.f == nil {
			continue
		}
		if err := c.w.Flush(); err != nil {
			errs = append(errs, err)
		}
		if err := c.f.Sync(); err != nil {
			errs = append(errs, err)
		}
		if err := c.f.Close(); err != nil {
			errs = append(errs, err)
		}
		c.f, c.w = nil, nil
	}
	clear(b.dirty)
	clear(b.unsynced)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close buffer %s: %w", b.cfg.Path, err)
	}
	return nil
}
