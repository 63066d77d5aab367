package fakeclient

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TDAPI is a small Treasure Data API client: the import and database and
// table calls fluent-plugin-td makes, sent the way td-client sends them,
// with the import answer checked as td-client-go checks it. It drives the
// fake Treasure Data as an application would; what the fake stored is read
// with [TD]. Create it with [NewTDAPI]; it is safe for concurrent use.
type TDAPI struct {
	url     string
	apiKey  string
	http    *http.Client
	retries int
	backoff time.Duration
	sleep   func(context.Context, time.Duration) error
}

// WithRetries sets how many times the TD API client ([NewTDAPI]) retries a
// request answered 429 or 5xx, or failed in transport (default 3), waiting
// backoff before the first retry and doubling the wait each time (default
// 100ms). Zero retries sends each request once. The inspection clients
// ignore it.
func WithRetries(n int, backoff time.Duration) Option {
	return func(o *options) { o.retries, o.backoff, o.retriesSet = n, backoff, true }
}

// WithSleep replaces the TD API client's ([NewTDAPI]) wait between retries,
// so a test can record the waits instead of sleeping them; sleep returns an
// error to give up. The inspection clients ignore it.
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(o *options) { o.sleep = sleep }
}

// NewTDAPI returns a client for the Treasure Data API at baseURL (such as
// "http://127.0.0.1:8081"; a trailing slash is ignored) authenticating with
// apiKey. It takes [WithHTTPClient], [WithRetries] and [WithSleep].
func NewTDAPI(baseURL, apiKey string, opts ...Option) *TDAPI {
	o := newOptions(opts)
	c := &TDAPI{url: strings.TrimRight(baseURL, "/"), apiKey: apiKey, http: o.http, retries: 3, backoff: 100 * time.Millisecond, sleep: sleep}
	if o.retriesSet {
		c.retries, c.backoff = o.retries, o.backoff
	}
	if o.sleep != nil {
		c.sleep = o.sleep
	}
	return c
}

// TDAPIError is an error answer of the Treasure Data API.
type TDAPIError struct {
	Op      string // "Import failed", "Create database failed", ...
	Status  int
	Code    string // the "error" field
	Message string // the "message" field
}

func (e *TDAPIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code
	}
	return fmt.Sprintf("%s: %d: %s", e.Op, e.Status, msg)
}

// TDStatusOf returns the HTTP status of a *TDAPIError in err's chain, or 0.
func TDStatusOf(err error) int {
	var ae *TDAPIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// TDImportResult is the answer to a stored import.
type TDImportResult struct {
	Database    string
	Table       string
	UniqueID    string
	MD5Hex      string
	ElapsedTime float64
}

// tdFormat is the import format fluent-plugin-td sends: a gzip'd stream of
// msgpack maps.
const tdFormat = "msgpack.gz"

// Import sends a msgpack.gz body (see [EncodeTDRecords]) to db.table
// without a unique id: PUT /v3/table/import/db/table/msgpack.gz.
func (c *TDAPI) Import(ctx context.Context, db, table string, body []byte) (TDImportResult, error) {
	return c.ImportWithID(ctx, db, table, "", body)
}

// ImportWithID sends a msgpack.gz body to db.table with a unique id, as
// fluent-plugin-td does per buffer chunk: PUT
// /v3/table/import_with_id/db/table/id/msgpack.gz. Treasure Data stores an
// id once; repeating it succeeds without storing anything. An empty id
// sends the import without one, as [TDAPI.Import] does.
//
// The answer is checked as td-client-go checks it: database, table, md5_hex
// and elapsed_time are required, and md5_hex must be the body's MD5.
func (c *TDAPI) ImportWithID(ctx context.Context, db, table, uniqueID string, body []byte) (TDImportResult, error) {
	path := "/v3/table/import/" + url.PathEscape(db) + "/" + url.PathEscape(table) + "/" + tdFormat
	if uniqueID != "" {
		path = "/v3/table/import_with_id/" + url.PathEscape(db) + "/" + url.PathEscape(table) + "/" + url.PathEscape(uniqueID) + "/" + tdFormat
	}
	var js map[string]any
	if err := c.call(ctx, "Import failed", http.MethodPut, path, "application/octet-stream", body, false, &js); err != nil {
		return TDImportResult{}, err
	}
	res, err := checkImportAnswer(js, body)
	if err != nil {
		return TDImportResult{}, fmt.Errorf("import into %s.%s: %w", db, table, err)
	}
	return res, nil
}

// checkImportAnswer applies td-client-go's importSchema and checksum check.
func checkImportAnswer(js map[string]any, body []byte) (TDImportResult, error) {
	var res TDImportResult
	for _, f := range []struct {
		key string
		dst *string
	}{{"database", &res.Database}, {"table", &res.Table}, {"md5_hex", &res.MD5Hex}} {
		v, ok := js[f.key]
		if !ok {
			return res, fmt.Errorf("answer lacks required key %q", f.key)
		}
		s, ok := v.(string)
		if !ok {
			return res, fmt.Errorf("answer key %q: want a string, got %T", f.key, v)
		}
		*f.dst = s
	}
	et, ok := js["elapsed_time"]
	if !ok {
		return res, errors.New(`answer lacks required key "elapsed_time"`)
	}
	if res.ElapsedTime, ok = et.(float64); !ok {
		return res, fmt.Errorf(`answer key "elapsed_time": want a number, got %T`, et)
	}
	if v, ok := js["unique_id"]; ok {
		if res.UniqueID, ok = v.(string); !ok {
			return res, fmt.Errorf(`answer key "unique_id": want a string, got %T`, v)
		}
	}
	if res.MD5Hex != "" {
		sum := md5.Sum(body)
		if res.MD5Hex != hex.EncodeToString(sum[:]) {
			return res, fmt.Errorf("checksum mismatch: answer md5_hex %s, body md5 %x", res.MD5Hex, sum)
		}
	}
	return res, nil
}

// CreateDatabase creates db (POST /v3/database/create/db). An existing
// database is a *TDAPIError with status 409.
func (c *TDAPI) CreateDatabase(ctx context.Context, db string) error {
	return c.call(ctx, "Create database failed", http.MethodPost, "/v3/database/create/"+url.PathEscape(db), "", nil, true, nil)
}

// CreateTable creates the log table db.table (POST
// /v3/table/create/db/table/log). A missing database is a *TDAPIError with
// status 404, an existing table one with status 409.
func (c *TDAPI) CreateTable(ctx context.Context, db, table string) error {
	return c.call(ctx, "Create log table failed", http.MethodPost, "/v3/table/create/"+url.PathEscape(db)+"/"+url.PathEscape(table)+"/log", "", nil, true, nil)
}

// DeleteDatabase deletes db with its tables (POST /v3/database/delete/db).
func (c *TDAPI) DeleteDatabase(ctx context.Context, db string) error {
	return c.call(ctx, "Delete database failed", http.MethodPost, "/v3/database/delete/"+url.PathEscape(db), "", nil, true, nil)
}

// DeleteTable deletes db.table (POST /v3/table/delete/db/table).
func (c *TDAPI) DeleteTable(ctx context.Context, db, table string) error {
	return c.call(ctx, "Delete table failed", http.MethodPost, "/v3/table/delete/"+url.PathEscape(db)+"/"+url.PathEscape(table), "", nil, true, nil)
}

// call sends one API request with td-client's headers, retrying 429, 5xx
// and transport failures. exact200 demands status 200 (td-client's POST
// rule) rather than any 2xx. The JSON answer is decoded into out when not
// nil.
func (c *TDAPI) call(ctx context.Context, op, method, path, contentType string, body []byte, exact200 bool, out any) error {
	if method == http.MethodPost && body == nil {
		contentType, body = "application/x-www-form-urlencoded", []byte{}
	}
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		retry, err := c.once(ctx, op, method, path, contentType, body, exact200, out)
		if err == nil || !retry || attempt >= c.retries || ctx.Err() != nil {
			return err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return errors.Join(err, serr)
		}
		wait *= 2
	}
}

// once sends one request and reports whether a failure is worth retrying:
// a transport failure, 429 or 5xx.
func (c *TDAPI) once(ctx context.Context, op, method, path, contentType string, body []byte, exact200 bool, out any) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("%s: build %s %s: %w", op, method, path, err)
	}
	req.Header.Set("Authorization", "TD1 "+c.apiKey)
	req.Header.Set("Date", time.Now().UTC().Format(time.RFC1123))
	req.Header.Set("User-Agent", "devenv-td-client")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return true, fmt.Errorf("%s: %s %s: %w", op, method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return true, fmt.Errorf("%s: read answer of %s %s: %w", op, method, path, err)
	}
	if resp.StatusCode/100 != 2 || (exact200 && resp.StatusCode != http.StatusOK) {
		ae := &TDAPIError{Op: op, Status: resp.StatusCode}
		// Treasure Data's error body; td-client-ruby shows message,
		// falling back to error.
		var answer struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &answer) == nil {
			ae.Code, ae.Message = answer.Error, answer.Message
		}
		if ae.Message == "" && ae.Code == "" {
			ae.Message = strconv.Quote(string(bytes.TrimSpace(raw)))
		}
		return ae.Status == http.StatusTooManyRequests || ae.Status >= 500, ae
	}
	if out == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return false, fmt.Errorf("%s: unexpected API response %q: %w", op, raw, err)
	}
	return false, nil
}
