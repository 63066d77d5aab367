package td

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// MemStore is the in-memory Store, the default.
type MemStore struct {
	mu  sync.RWMutex
	dbs map[string]*memDB
	log []ImportEntry
}

type memDB struct {
	created time.Time
	tables  map[string]*memTable
}

type memTable struct {
	info    Table
	records [][]byte
	ids     map[string]struct{} // unique ids stored
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{dbs: map[string]*memDB{}}
}

// CreateDatabase implements Store.
func (s *MemStore) CreateDatabase(name string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkCreateDatabase(name); err != nil {
		return err
	}
	s.dbs[name] = &memDB{created: at, tables: map[string]*memTable{}}
	return nil
}

func (s *MemStore) checkCreateDatabase(name string) error {
	if _, ok := s.dbs[name]; ok {
		return fmt.Errorf("database %s: %w", name, ErrAlreadyExists)
	}
	return nil
}

// DeleteDatabase implements Store.
func (s *MemStore) DeleteDatabase(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.db(name); err != nil {
		return err
	}
	delete(s.dbs, name)
	return nil
}

func (s *MemStore) db(name string) (*memDB, error) {
	d, ok := s.dbs[name]
	if !ok {
		return nil, fmt.Errorf("database %s: %w", name, ErrNotFound)
	}
	return d, nil
}

func (s *MemStore) table(db, table string) (*memTable, error) {
	d, err := s.db(db)
	if err != nil {
		return nil, err
	}
	t, ok := d.tables[table]
	if !ok {
		return nil, fmt.Errorf("table %s.%s: %w", db, table, ErrNotFound)
	}
	return t, nil
}

// Databases implements Store.
func (s *MemStore) Databases() ([]Database, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Database, 0, len(s.dbs))
	for name := range s.dbs {
		out = append(out, s.describeDB(name))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Database implements Store.
func (s *MemStore) Database(name string) (Database, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.db(name); err != nil {
		return Database{}, err
	}
	return s.describeDB(name), nil
}

func (s *MemStore) describeDB(name string) Database {
	d := s.dbs[name]
	out := Database{Name: name, CreatedAt: d.created, Tables: len(d.tables)}
	for _, t := range d.tables {
		out.Count += t.info.Count
	}
	return out
}

// CreateTable implements Store.
func (s *MemStore) CreateTable(db, table string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkCreateTable(db, table); err != nil {
		return err
	}
	s.dbs[db].tables[table] = &memTable{
		info: Table{Database: db, Name: table, Type: "log", CreatedAt: at, UpdatedAt: at},
		ids:  map[string]struct{}{},
	}
	return nil
}

func (s *MemStore) checkCreateTable(db, table string) error {
	d, err := s.db(db)
	if err != nil {
		return err
	}
	if _, ok := d.tables[table]; ok {
		return fmt.Errorf("table %s.%s: %w", db, table, ErrAlreadyExists)
	}
	return nil
}

// DeleteTable implements Store.
func (s *MemStore) DeleteTable(db, table string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.table(db, table); err != nil {
		return err
	}
	delete(s.dbs[db].tables, table)
	return nil
}

// Tables implements Store.
func (s *MemStore) Tables(db string) ([]Table, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, err := s.db(db)
	if err != nil {
		return nil, err
	}
	out := make([]Table, 0, len(d.tables))
	for _, t := range d.tables {
		out = append(out, t.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// AllTables implements Store.
func (s *MemStore) AllTables() ([]Table, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Table
	for _, d := range s.dbs {
		for _, t := range d.tables {
			out = append(out, t.info)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Database != out[j].Database {
			return out[i].Database < out[j].Database
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Table implements Store.
func (s *MemStore) Table(db, table string) (Table, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.table(db, table)
	if err != nil {
		return Table{}, err
	}
	return t.info, nil
}

// Import implements Store.
func (s *MemStore) Import(entry ImportEntry, b *Batch) (ImportEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dup, err := s.checkImport(entry)
	if err != nil {
		return ImportEntry{}, err
	}
	return s.applyImport(entry, b, dup), nil
}

// checkImport reports whether entry would be a duplicate, or why it cannot
// be stored. The caller holds s.mu.
func (s *MemStore) checkImport(entry ImportEntry) (dup bool, err error) {
	t, err := s.table(entry.Database, entry.Table)
	if err != nil {
		return false, err
	}
	if entry.UniqueID == "" {
		return false, nil
	}
	_, dup = t.ids[entry.UniqueID]
	return dup, nil
}

// applyImport stores an import checked by checkImport. The caller holds s.mu.
func (s *MemStore) applyImport(entry ImportEntry, b *Batch, dup bool) ImportEntry {
	entry.Dup = dup
	if !dup {
		t := s.dbs[entry.Database].tables[entry.Table]
		for i := range b.Len() {
			t.records = append(t.records, b.Record(i))
		}
		t.info.Count += int64(b.Len())
		t.info.Imports++
		t.info.UpdatedAt = entry.At
		if entry.UniqueID != "" {
			t.ids[entry.UniqueID] = struct{}{}
		}
	}
	return s.appendLog(entry)
}

func (s *MemStore) appendLog(entry ImportEntry) ImportEntry {
	entry.Seq = int64(len(s.log)) + 1
	s.log = append(s.log, entry)
	return entry
}

// LogRejected implements Store.
func (s *MemStore) LogRejected(entry ImportEntry) (ImportEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appendLog(entry), nil
}

// Records implements Store.
func (s *MemStore) Records(db, table string, since, limit int) ([][]byte, int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.table(db, table)
	if err != nil {
		return nil, 0, err
	}
	total := len(t.records)
	since = min(max(since, 0), total)
	end := total
	if limit > 0 {
		end = min(since+limit, total)
	}
	return append([][]byte(nil), t.records[since:end]...), total, nil
}

// Imports implements Store.
func (s *MemStore) Imports() ([]ImportEntry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]ImportEntry(nil), s.log...), nil
}

// Reset implements Store.
func (s *MemStore) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dbs = map[string]*memDB{}
	s.log = nil
	return nil
}

// Close implements Store; there is nothing to release.
func (s *MemStore) Close() error { return nil }
