package td

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/devenv-sh/devenv/internal/atomicfile"
	"github.com/vmihailenco/msgpack/v5"
)

// JournalName is the file a DiskStore keeps in its directory; LockName is
// the file it locks while open.
const (
	JournalName = "td.journal"
	LockName    = "td.lock"
)

// journalMagic starts every journal; the version changes with the frame
// format.
const journalMagic = "devenv-td-journal 1\n"

// maxFrame bounds one journal frame; a longer length field is corruption.
const maxFrame = 1 << 31

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// DiskStore is a Store that survives restarts. Every change is appended to
// a journal in its directory as one checksummed frame and synced before the
// change is applied in memory and acknowledged, so an import the fake
// answered 200 is never lost. At open, the journal is replayed; a frame
// torn by a crash while it was being written (never acknowledged) is cut
// off.
type DiskStore struct {
	mu        sync.Mutex // serialises changes: check, journal, apply
	mem       *MemStore
	dir       string
	f         *os.File
	lock      *os.File // LockName, held while open
	size      int64    // bytes of valid journal
	recovered int64    // torn bytes cut off at open
	closed    bool
}

var _ Store = (*DiskStore)(nil)

// frame is one journal entry.
type frame struct {
	Op    string       `msgpack:"op"`
	DB    string       `msgpack:"db,omitempty"`
	Table string       `msgpack:"table,omitempty"`
	At    time.Time    `msgpack:"at"`
	Entry *ImportEntry `msgpack:"entry,omitempty"`
	Body  []byte       `msgpack:"body,omitempty"` // decompressed msgpack stream of an import
}

// Journal operations.
const (
	opCreateDB    = "create_db"
	opDeleteDB    = "delete_db"
	opCreateTable = "create_table"
	opDeleteTable = "delete_table"
	opImport      = "import" // records stored
	opLog         = "log"    // import log entry only (rejected or duplicate)
)

// OpenDiskStore opens (creating it if needed) the store kept in dir and
// replays its journal.
func OpenDiskStore(dir string) (*DiskStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", dir, err)
	}
	lock, err := lockDir(dir, LockName)
	if err != nil {
		return nil, err
	}
	s := &DiskStore{mem: NewMemStore(), dir: dir, lock: lock}
	if err := s.open(); err != nil {
		lock.Close()
		return nil, err
	}
	return s, nil
}

// open creates the journal if needed, replays it and opens it for appending.
func (s *DiskStore) open() error {
	path := s.path()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := s.writeEmptyJournal(); err != nil {
			return err
		}
	}
	if err := s.replay(); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("open journal %s: %w", path, err)
	}
	s.f = f
	return nil
}

func (s *DiskStore) path() string { return filepath.Join(s.dir, JournalName) }

// Recovered is the number of bytes of a torn last frame cut off at open: a
// write that was interrupted and never acknowledged.
func (s *DiskStore) Recovered() int64 { return s.recovered }

// writeEmptyJournal atomically replaces the journal with an empty one.
func (s *DiskStore) writeEmptyJournal() error {
	tmp, err := os.CreateTemp(s.dir, JournalName+".tmp-*")
	if err != nil {
		return fmt.Errorf("create journal in %s: %w", s.dir, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.WriteString(journalMagic); err != nil {
		tmp.Close()
		return fmt.Errorf("write journal %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync journal %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), s.path()); err != nil {
		return fmt.Errorf("replace journal %s: %w", s.path(), err)
	}
	return atomicfile.SyncDir(s.dir)
}

// replay applies every frame of the journal to s.mem, cutting off a torn
// last frame.
func (s *DiskStore) replay() error {
	path := s.path()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open journal %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat journal %s: %w", path, err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(journalMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != journalMagic {
		return fmt.Errorf("read journal %s: not a devenv TD journal (bad header)", path)
	}
	off := int64(len(journalMagic))
	var head [8]byte
	for {
		n, err := io.ReadFull(r, head[:])
		if n == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.cutTornTail(path, off, st.Size())
		}
		size := binary.BigEndian.Uint32(head[:4])
		if int64(size) > st.Size()-off-8 {
			return s.cutTornTail(path, off, st.Size())
		}
		payload := make([]byte, size)
		if _, err := io.ReadFull(r, payload); err != nil {
			return s.cutTornTail(path, off, st.Size())
		}
		if crc32.Checksum(payload, crcTable) != binary.BigEndian.Uint32(head[4:]) {
			if off+8+int64(size) == st.Size() {
				return s.cutTornTail(path, off, st.Size())
			}
			return fmt.Errorf("read journal %s: frame at byte %d: checksum mismatch (the journal is corrupt)", path, off)
		}
		var fr frame
		if err := msgpack.Unmarshal(payload, &fr); err != nil {
			return fmt.Errorf("read journal %s: frame at byte %d: %w", path, off, err)
		}
		if err := s.apply(fr); err != nil {
			return fmt.Errorf("replay journal %s: frame at byte %d: %w", path, off, err)
		}
		off += 8 + int64(size)
	}
	s.size = off
	return nil
}

// cutTornTail truncates the journal to its last complete frame.
func (s *DiskStore) cutTornTail(path string, good, size int64) error {
	if err := os.Truncate(path, good); err != nil {
		return fmt.Errorf("cut torn frame off journal %s at byte %d: %w", path, good, err)
	}
	s.recovered = size - good
	s.size = good
	return nil
}

// apply performs one journaled change on the in-memory state.
func (s *DiskStore) apply(fr frame) error {
	fr.At = fr.At.UTC() // msgpack decodes times in the local zone
	if fr.Entry != nil {
		fr.Entry.At = fr.Entry.At.UTC()
	}
	switch fr.Op {
	case opCreateDB:
		return s.mem.CreateDatabase(fr.DB, fr.At)
	case opDeleteDB:
		return s.mem.DeleteDatabase(fr.DB)
	case opCreateTable:
		return s.mem.CreateTable(fr.DB, fr.Table, fr.At)
	case opDeleteTable:
		return s.mem.DeleteTable(fr.DB, fr.Table)
	case opImport, opLog:
		if fr.Entry == nil {
			return fmt.Errorf("%s frame without an entry", fr.Op)
		}
		if fr.Op == opLog {
			_, err := s.mem.LogRejected(*fr.Entry)
			return err
		}
		b, err := DecodeImport(bytes.NewReader(fr.Body), FormatMsgpack, 0)
		if err != nil {
			return err
		}
		_, err = s.mem.Import(*fr.Entry, b)
		return err
	}
	return fmt.Errorf("unknown operation %q", fr.Op)
}

// write appends one frame to the journal and syncs it. On failure the
// journal is cut back, so a failed write leaves no trace.
func (s *DiskStore) write(fr frame) error {
	payload, err := msgpack.Marshal(&fr)
	if err != nil {
		return fmt.Errorf("encode journal frame %s: %w", fr.Op, err)
	}
	if len(payload) >= maxFrame {
		return fmt.Errorf("encode journal frame %s: %d bytes is over the %d limit", fr.Op, len(payload), maxFrame)
	}
	buf := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint32(buf[:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(buf[4:], crc32.Checksum(payload, crcTable))
	buf = append(buf, payload...)
	if _, err := s.f.Write(buf); err != nil {
		return s.undo(fmt.Errorf("write journal %s: %w", s.path(), err))
	}
	if err := s.f.Sync(); err != nil {
		return s.undo(fmt.Errorf("sync journal %s: %w", s.path(), err))
	}
	s.size += int64(len(buf))
	return nil
}

func (s *DiskStore) undo(err error) error {
	if terr := s.f.Truncate(s.size); terr != nil {
		return errors.Join(err, fmt.Errorf("cut journal %s back to byte %d: %w", s.path(), s.size, terr))
	}
	return err
}

// CreateDatabase implements Store.
func (s *DiskStore) CreateDatabase(name string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem.mu.RLock()
	err := s.mem.checkCreateDatabase(name)
	s.mem.mu.RUnlock()
	if err != nil {
		return err
	}
	if err := s.write(frame{Op: opCreateDB, DB: name, At: at}); err != nil {
		return err
	}
	return s.mem.CreateDatabase(name, at)
}

// DeleteDatabase implements Store.
func (s *DiskStore) DeleteDatabase(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.mem.Database(name); err != nil {
		return err
	}
	if err := s.write(frame{Op: opDeleteDB, DB: name}); err != nil {
		return err
	}
	return s.mem.DeleteDatabase(name)
}

// Databases implements Store.
func (s *DiskStore) Databases() ([]Database, error) { return s.mem.Databases() }

// Database implements Store.
func (s *DiskStore) Database(name string) (Database, error) { return s.mem.Database(name) }

// CreateTable implements Store.
func (s *DiskStore) CreateTable(db, table string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem.mu.RLock()
	err := s.mem.checkCreateTable(db, table)
	s.mem.mu.RUnlock()
	if err != nil {
		return err
	}
	if err := s.write(frame{Op: opCreateTable, DB: db, Table: table, At: at}); err != nil {
		return err
	}
	return s.mem.CreateTable(db, table, at)
}

// DeleteTable implements Store.
func (s *DiskStore) DeleteTable(db, table string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.mem.Table(db, table); err != nil {
		return err
	}
	if err := s.write(frame{Op: opDeleteTable, DB: db, Table: table}); err != nil {
		return err
	}
	return s.mem.DeleteTable(db, table)
}

// Tables implements Store.
func (s *DiskStore) Tables(db string) ([]Table, error) { return s.mem.Tables(db) }

// AllTables implements Store.
func (s *DiskStore) AllTables() ([]Table, error) { return s.mem.AllTables() }

// Table implements Store.
func (s *DiskStore) Table(db, table string) (Table, error) { return s.mem.Table(db, table) }

// Import implements Store. The journal keeps the decompressed msgpack
// stream of the batch; replay decodes it again.
func (s *DiskStore) Import(entry ImportEntry, b *Batch) (ImportEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem.mu.RLock()
	dup, err := s.mem.checkImport(entry)
	s.mem.mu.RUnlock()
	if err != nil {
		return ImportEntry{}, err
	}
	fr := frame{Op: opImport, Entry: &entry, Body: b.stream}
	if dup {
		logged := entry
		logged.Dup = true
		fr = frame{Op: opLog, Entry: &logged}
	}
	if err := s.write(fr); err != nil {
		return ImportEntry{}, err
	}
	s.mem.mu.Lock()
	defer s.mem.mu.Unlock()
	return s.mem.applyImport(entry, b, dup), nil
}

// LogRejected implements Store.
func (s *DiskStore) LogRejected(entry ImportEntry) (ImportEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.write(frame{Op: opLog, Entry: &entry}); err != nil {
		return ImportEntry{}, err
	}
	return s.mem.LogRejected(entry)
}

// Records implements Store.
func (s *DiskStore) Records(db, table string, since, limit int) ([][]byte, int, error) {
	return s.mem.Records(db, table, since, limit)
}

// Imports implements Store.
func (s *DiskStore) Imports() ([]ImportEntry, error) { return s.mem.Imports() }

// Reset implements Store: the journal is atomically replaced by an empty one.
func (s *DiskStore) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writeEmptyJournal(); err != nil {
		return err
	}
	f, err := os.OpenFile(s.path(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("open journal %s: %w", s.path(), err)
	}
	s.f.Close()
	s.f = f
	s.size = int64(len(journalMagic))
	return s.mem.Reset()
}

// Close implements Store. It releases the data dir's lock; closing again
// does nothing.
func (s *DiskStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	defer s.lock.Close()
	if err := s.f.Sync(); err != nil {
		s.f.Close()
		return fmt.Errorf("sync journal %s: %w", s.path(), err)
	}
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", s.path(), err)
	}
	return nil
}
