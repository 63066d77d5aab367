package fakeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// TD reads the fake Treasure Data's inspection API, which needs no API key.
// Create it with [NewTD]; it is safe for concurrent use.
type TD struct {
	base
}

// NewTD returns a client for the fake Treasure Data served at baseURL, such
// as "http://127.0.0.1:8081" (a trailing slash is ignored).
func NewTD(baseURL string, opts ...Option) *TD {
	return &TD{base: newBase(baseURL, opts)}
}

// TDRecord is one stored record. Decoded by this package, numbers are
// json.Number, so integers keep their exact value (the fake builds them as
// int64 or uint64); msgpack strings and UTF-8 binaries are strings, other
// binaries base64 strings, extension values {"ext_type": n, "data":
// base64}, the msgpack timestamp extension an RFC 3339 string.
type TDRecord map[string]any

// TDRecordsPage is one page of a table's records, in arrival order.
type TDRecordsPage struct {
	Database string `json:"database"`
	Table    string `json:"table"`
	// Total is the number of records in the table.
	Total int `json:"total"`
	// Since is the number of records skipped.
	Since int `json:"since"`
	// NextSince is the since that gets the records after these.
	NextSince int        `json:"next_since"`
	Records   []TDRecord `json:"records"`
}

// TDTable is one table with its record count, as GET /_devenv/tables
// lists it.
type TDTable struct {
	Database  string    `json:"database"`
	Name      string    `json:"name"`
	Type      string    `json:"type"` // always "log"
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is the time of the last stored import, or of the creation.
	UpdatedAt time.Time `json:"updated_at"`
	// Count is the number of records stored.
	Count int64 `json:"count"`
	// Imports is the number of imports stored, duplicates excluded.
	Imports int `json:"imports"`
}

// TDImport is one line of the fake's import log: an import request that
// passed authentication, whatever its outcome.
type TDImport struct {
	// Seq is the 1-based position in the log, which the fake's store
	// assigns.
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	Database string    `json:"database"`
	Table    string    `json:"table"`
	UniqueID string    `json:"unique_id,omitempty"`
	Format   string    `json:"format"`
	// Status is the HTTP status answered, Error why the import was
	// rejected.
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
	// Size is the request body's bytes, DecodedBytes the msgpack stream's
	// after gunzip.
	Size         int64 `json:"size"`
	DecodedBytes int64 `json:"decoded_bytes"`
	// Records is the number of records decoded.
	Records int `json:"records"`
	// Dup is true when the unique_id was seen before: nothing was stored.
	Dup        bool         `json:"dup"`
	MD5Hex     string       `json:"md5_hex,omitempty"`
	UserAgent  string       `json:"user_agent,omitempty"`
	Validation TDValidation `json:"validation"`
}

// TDValidation is what is wrong with the records of one import in ways
// that did not stop it from being stored (unless the fake is strict about
// time, when a time problem rejects the import).
type TDValidation struct {
	TimeMissing int `json:"time_missing"`
	TimeNotInt  int `json:"time_not_int"`
	TooManyKeys int `json:"too_many_keys"`
	// Findings are the first problems found, record by record: the fake
	// lists a bounded number of them, the counters count all.
	Findings []TDFinding `json:"findings,omitempty"`
}

// TimeProblems counts the records without an integer time.
func (v TDValidation) TimeProblems() int { return v.TimeMissing + v.TimeNotInt }

// TDFinding is one problem of one record of an import.
type TDFinding struct {
	// Record is the 0-based index of the record in the import.
	Record int `json:"record"`
	// Problem is "time_missing", "time_not_int" or "too_many_keys".
	Problem string `json:"problem"`
	Detail  string `json:"detail"`
}

// TDCounts are the fake's totals, as GET /_devenv/counts answers them.
type TDCounts struct {
	Databases int `json:"databases"`
	Tables    int `json:"tables"`
	// Records is the number of records stored.
	Records int64 `json:"records"`
	// Imports is the number of import requests logged: Stored, Duplicates
	// (answered 200 for an already stored unique_id) and Rejected (answered
	// with an error).
	Imports    int `json:"imports"`
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected"`
	// TimeMissing and TimeNotInt count the records without a time, or with
	// a non-integer one, over the accepted imports.
	TimeMissing int `json:"time_missing"`
	TimeNotInt  int `json:"time_not_int"`
}

// Records returns every record stored in db.table, in arrival order. A
// table that does not exist is an error (404).
func (c *TD) Records(ctx context.Context, db, table string) ([]TDRecord, error) {
	page, err := c.RecordsPage(ctx, db, table, 0, 0)
	return page.Records, err
}

// WaitRecords polls until db.table holds at least n records, then returns
// them all; a table that does not exist yet counts as empty. It gives up
// with an error, naming how many records there were and the last error,
// only when ctx is done: give ctx a deadline. Use it after starting a
// sender that flushes on its own schedule, such as fluentd.
func (c *TD) WaitRecords(ctx context.Context, db, table string, n int) ([]TDRecord, error) {
	wait := 10 * time.Millisecond
	have := 0 // records seen at the last successful poll
	var lastErr error
	for {
		page, err := c.RecordsPage(ctx, db, table, 0, 0)
		if err == nil && page.Total >= n {
			return page.Records, nil
		}
		if err == nil {
			have, lastErr = page.Total, nil
		} else if ctx.Err() == nil {
			lastErr = err
		}
		if serr := sleep(ctx, wait); serr != nil {
			if lastErr != nil {
				return nil, fmt.Errorf("wait for %d records in %s.%s: %w (have %d; last error: %v)", n, db, table, serr, have, lastErr)
			}
			return nil, fmt.Errorf("wait for %d records in %s.%s: %w (have %d)", n, db, table, serr, have)
		}
		wait = min(wait*2, 500*time.Millisecond)
	}
}

// RecordsPage returns at most limit records (all when 0) of db.table after
// skipping since of them, with the table's total.
func (c *TD) RecordsPage(ctx context.Context, db, table string, since, limit int) (TDRecordsPage, error) {
	q := url.Values{"db": {db}, "table": {table}}
	if since > 0 {
		q.Set("since", strconv.Itoa(since))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	raw, err := c.getBytes(ctx, "/records", q)
	if err != nil {
		return TDRecordsPage{}, err
	}
	var page TDRecordsPage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&page); err != nil {
		return TDRecordsPage{}, fmt.Errorf("decode records of %s.%s: %w", db, table, err)
	}
	return page, nil
}

// Tables returns every table of every database with its record count,
// sorted by database and name.
func (c *TD) Tables(ctx context.Context) ([]TDTable, error) {
	var ts []TDTable
	err := c.get(ctx, "/tables", nil, &ts)
	return ts, err
}

// Imports returns the import log, oldest first.
func (c *TD) Imports(ctx context.Context) ([]TDImport, error) {
	var es []TDImport
	err := c.get(ctx, "/imports", nil, &es)
	return es, err
}

// Counts returns the fake's totals.
func (c *TD) Counts(ctx context.Context) (TDCounts, error) {
	var n TDCounts
	err := c.get(ctx, "/counts", nil, &n)
	return n, err
}

// sleep waits d, or returns ctx's error when it ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
