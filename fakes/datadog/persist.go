package datadog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/devenv-sh/devenv/internal/atomicfile"
)

// The files [Open] keeps in its data directory.
const (
	// SnapshotName is the snapshot of everything stored, one JSON document
	// (format [SnapshotFormat]) replaced atomically on every save.
	SnapshotName = "datadog.json"
	// LockName is the file an open agent holds an exclusive lock on, so that
	// two stubs never write one snapshot.
	LockName = "datadog.lock"
	// SnapshotFormat is the version of the snapshot document; another
	// version is refused at load.
	SnapshotFormat = 1
)

// DefaultSnapshotInterval is how often [Open]'s agent saves its snapshot
// while something changed: a crash (not a graceful Close) loses at most
// this much.
const DefaultSnapshotInterval = 5 * time.Second

// snapshotCostFactor bounds the periodic saves: after a save that took d,
// the next waits at least snapshotCostFactor×d, so saving a large store
// never takes more than about a tenth of one core.
const snapshotCostFactor = 10

// snapshot is the document in SnapshotName: the running counts and every
// item the store holds, oldest first.
type snapshot struct {
	Format        int            `json:"format"`
	Saved         time.Time      `json:"saved"`
	Counts        Counts         `json:"counts"`
	Metrics       []Metric       `json:"metrics"`
	Events        []Event        `json:"events"`
	ServiceChecks []ServiceCheck `json:"service_checks"`
	ParseErrors   []ParseError   `json:"parse_errors"`
	Spans         []Span         `json:"spans"`
	Payloads      []Payload      `json:"payloads"`
}

// persister saves an agent's store and counts to its data directory.
type persister struct {
	dir, path string
	interval  time.Duration
	lock      *os.File // LockName, held until close

	mu     sync.Mutex // serialises saves, and Reset with them
	saved  Counts     // the counts the last save wrote
	closed bool

	stop chan struct{} // closed to end the periodic saves
	done chan struct{} // closed when they have ended
}

// Open returns a stub, configured by opts, whose store and counts persist
// in dir (created if missing):
//
//   - At open, dir is locked (a second stub on it fails) and its snapshot,
//     if any, is loaded into the store and the counts: metrics, events,
//     service checks, parse errors, spans and trace payloads, with the time
//     each was received, so the retention window still applies to them. A
//     snapshot that cannot be read or decoded is an error naming the file;
//     it is never dropped or overwritten.
//   - While open, the snapshot is saved every [WithSnapshotInterval]
//     (default [DefaultSnapshotInterval]) when the counts changed since the
//     last save, but never more often than ten times the last save took.
//     [Agent.Reset] saves the emptied store at once.
//   - [Agent.Close] saves it a last time, after every datagram already read
//     is parsed, and releases the lock.
//
// Every save writes a temporary file in dir, syncs it, renames it over
// [SnapshotName] and syncs dir: a crash leaves the previous snapshot or the
// new one, never a mix.
func Open(dir string, opts ...Option) (*Agent, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	lock, err := lockDir(dir, LockName)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, SnapshotName)
	snap, err := readSnapshot(path)
	if err != nil {
		lock.Close()
		return nil, err
	}
	removeTempSnapshots(dir)
	a := New(opts...)
	p := &persister{
		dir:      dir,
		path:     path,
		interval: a.snapshotInterval,
		lock:     lock,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if snap != nil {
		a.restore(snap)
		p.saved = snap.Counts
		a.logger.Info("snapshot loaded", "path", path, "saved", snap.Saved, "metrics", len(snap.Metrics),
			"events", len(snap.Events), "service_checks", len(snap.ServiceChecks), "spans", len(snap.Spans))
	}
	a.persist = p
	go a.saveLoop()
	return a, nil
}

// readSnapshot loads the snapshot at path; a missing file is no snapshot
// (nil, nil).
func readSnapshot(path string) (*snapshot, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	snap, err := decodeSnapshot(data)
	if err != nil {
		return nil, fmt.Errorf("load snapshot %s: %w", path, err)
	}
	return snap, nil
}

// decodeSnapshot decodes a snapshot document, refusing anything else: other
// fields, another format, trailing data. Numbers in the free-form span
// fields (span links and events) stay exact.
func decodeSnapshot(data []byte) (*snapshot, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var snap snapshot
	if err := dec.Decode(&snap); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("corrupt at byte %d: %w", syn.Offset, err)
		}
		if len(data) == 0 {
			return nil, errors.New("empty file")
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("truncated after %d bytes", len(data))
		}
		return nil, fmt.Errorf("corrupt: %w", err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("corrupt: data after the document at byte %d", end)
	}
	if snap.Format != SnapshotFormat {
		return nil, fmt.Errorf("format %d is not supported (want %d)", snap.Format, SnapshotFormat)
	}
	return &snap, nil
}

// removeTempSnapshots deletes the temporary files a save interrupted by a
// crash left behind; the lock is held, so no save is writing one.
func removeTempSnapshots(dir string) {
	temps, _ := filepath.Glob(filepath.Join(dir, "."+SnapshotName+".tmp-*"))
	for _, t := range temps {
		os.Remove(t)
	}
}

// restore puts a loaded snapshot into the store and the counts.
func (a *Agent) restore(s *snapshot) {
	a.store.AddMetrics(s.Metrics)
	a.store.AddEvents(s.Events)
	a.store.AddServiceChecks(s.ServiceChecks)
	a.store.AddParseErrors(s.ParseErrors)
	a.store.AddSpans(s.Spans)
	for _, p := range s.Payloads {
		a.store.AddPayload(p)
	}
	a.counters.restore(s.Counts)
}

// saveLoop saves the snapshot periodically while the counts change, until
// the persister is stopped.
func (a *Agent) saveLoop() {
	p := a.persist
	defer close(p.done)
	t := time.NewTimer(p.interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		start := time.Now() // the real cost, whatever the injected clock says
		if err := a.save(false); err != nil {
			a.logger.Warn("save snapshot", "err", err)
		}
		t.Reset(max(p.interval, snapshotCostFactor*time.Since(start)))
	}
}

// save writes the snapshot, unless force is false and the counts are those
// of the last save.
func (a *Agent) save(force bool) error {
	p := a.persist
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errClosed
	}
	if !force && a.Counts() == p.saved {
		return nil
	}
	return a.saveLocked()
}

// saveLocked writes the snapshot; p.mu is held. The counts are read before
// the items, so that a batch stored meanwhile is counted by the next save.
func (a *Agent) saveLocked() error {
	p := a.persist
	snap := snapshot{
		Format:        SnapshotFormat,
		Saved:         a.now(),
		Counts:        a.Counts(),
		Metrics:       nonNil(a.store.Metrics(nil)),
		Events:        nonNil(a.store.Events(nil)),
		ServiceChecks: nonNil(a.store.ServiceChecks(nil)),
		ParseErrors:   nonNil(a.store.ParseErrors(nil)),
		Spans:         nonNil(a.store.Spans(nil)),
		Payloads:      nonNil(a.store.Payloads(nil)),
	}
	data, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode snapshot %s: %w", p.path, err)
	}
	if err := atomicfile.WriteFile(p.path, data, 0o644); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	if err := atomicfile.SyncDir(p.dir); err != nil {
		return fmt.Errorf("save snapshot %s: %w", p.path, err)
	}
	p.saved = snap.Counts
	return nil
}

// resetPersisted runs reset and saves the emptied store with no periodic
// save in between.
func (a *Agent) resetPersisted(reset func()) error {
	p := a.persist
	p.mu.Lock()
	defer p.mu.Unlock()
	reset()
	if p.closed {
		return errClosed
	}
	return a.saveLocked()
}

// closePersist stops the periodic saves, saves a last time and releases the
// data dir.
func (a *Agent) closePersist() error {
	p := a.persist
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	err := a.saveLocked()
	p.closed = true
	if cerr := p.lock.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("release lock in %s: %w", p.dir, cerr)
	}
	if err == nil {
		a.logger.Info("snapshot saved", "path", p.path)
	}
	return err
}
