package td

import (
	"errors"
	"time"
)

// Errors a Store returns, wrapped with the name concerned. The server maps
// them to Treasure Data's statuses: 404, 409 and 400.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	ErrInvalidName   = errors.New("invalid name")
)

// Database describes one database.
type Database struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Tables    int       `json:"tables"`
	Count     int64     `json:"count"` // records in all its tables
}

// Store keeps the databases, tables, records and import log of one fake
// Treasure Data. Names reaching a Store are already valid. Implementations
// must be safe for concurrent use.
type Store interface {
	// CreateDatabase creates an empty database. It MUST return an error
	// wrapping ErrAlreadyExists when the database exists.
	CreateDatabase(name string, at time.Time) error
	// DeleteDatabase deletes a database with its tables and records. It
	// MUST return an error wrapping ErrNotFound when it does not exist.
	DeleteDatabase(name string) error
	// Databases returns every database, sorted by name.
	Databases() ([]Database, error)
	// Database returns one database, or an error wrapping ErrNotFound.
	Database(name string) (Database, error)

	// CreateTable creates an empty log table. It MUST return an error
	// wrapping ErrNotFound when the database does not exist, and one
	// wrapping ErrAlreadyExists when the table exists.
	CreateTable(db, table string, at time.Time) error
	// DeleteTable deletes a table with its records. It MUST return an error
	// wrapping ErrNotFound when the database or the table does not exist.
	DeleteTable(db, table string) error
	// Tables returns the tables of db sorted by name, or an error wrapping
	// ErrNotFound when db does not exist. An empty db gives an empty slice.
	Tables(db string) ([]Table, error)
	// AllTables returns every table of every database, sorted by database
	// then table name.
	AllTables() ([]Table, error)
	// Table returns one table, or an error wrapping ErrNotFound when the
	// database or the table does not exist.
	Table(db, table string) (Table, error)

	// Import stores every record of b in entry.Database/entry.Table, or none:
	// when it returns an error nothing was stored. When entry.UniqueID is not
	// empty and an import with that id was already stored in the same table,
	// it MUST store no record and return the logged entry with Dup set. It
	// MUST return an error wrapping ErrNotFound when the database or the
	// table does not exist. On success the entry is appended to the import
	// log and returned with its Seq.
	Import(entry ImportEntry, b *Batch) (ImportEntry, error)
	// LogRejected appends the entry of an import that was refused (no
	// record stored) to the import log and returns it with its Seq.
	LogRejected(entry ImportEntry) (ImportEntry, error)
	// Records returns the msgpack encoding of the records of a table in
	// arrival order, skipping the first since and returning at most limit
	// (all when limit <= 0), with the table's total record count. It MUST
	// return an error wrapping ErrNotFound when the table does not exist.
	Records(db, table string, since, limit int) (records [][]byte, total int, err error)
	// Imports returns the import log, oldest first.
	Imports() ([]ImportEntry, error)

	// Reset forgets every database, table, record and log entry.
	Reset() error
	// Close releases the store; a durable store has already made every
	// acknowledged change durable.
	Close() error
}
