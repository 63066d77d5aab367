package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fluent/buffer"
)

// TDOptions are the out_tdlog v0.10.29 settings the sink needs.
type TDOptions struct {
	APIKey string
	// Endpoint is `endpoint`: a URL (the scheme decides TLS) or host[:port]
	// (TLS unless UseSSL is false). Default api.treasuredata.com, whose
	// imports go to api-import.treasuredata.com.
	Endpoint        string
	UseSSL          bool
	AutoCreateTable bool
	// Database and Table, when both set, name every import; otherwise the
	// chunk key is "db.table".
	Database, Table string
}

// TD is out_tdlog: chunks of concatenated msgpack records imported with
// `PUT /v3/table/import_with_id/<db>/<table>/<unique_id>/msgpack.gz`.
type TD struct {
	opt        TDOptions
	apiBase    string
	importBase string
	client     *http.Client
	now        func() time.Time
	userAgent  string
}

// TDOption configures a TD sink.
type TDOption func(*TD)

// WithTDHTTPClient sets the HTTP client.
func WithTDHTTPClient(c *http.Client) TDOption { return func(t *TD) { t.client = c } }

// WithTDClock sets the clock for the Date header.
func WithTDClock(now func() time.Time) TDOption { return func(t *TD) { t.now = now } }

// NewTD builds the sink for one out_tdlog instance.
func NewTD(opt TDOptions, opts ...TDOption) (*TD, error) {
	t := &TD{opt: opt, userAgent: "fluent-plugin-td: 0.10.29; TD-Client-Ruby: 0.8.85"}
	for _, o := range opts {
		o(t)
	}
	if t.client == nil {
		t.client = &http.Client{Timeout: 60 * time.Second}
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.opt.Endpoint == "" {
		t.opt.Endpoint = "api.treasuredata.com"
	}
	base, host, err := tdBase(t.opt.Endpoint, t.opt.UseSSL)
	if err != nil {
		return nil, err
	}
	t.apiBase, t.importBase = base, base
	if host == "api.treasuredata.com" {
		t.importBase = strings.Replace(base, "api.treasuredata.com", "api-import.treasuredata.com", 1)
	}
	return t, nil
}

// tdBase resolves an endpoint as td-client-ruby does.
func tdBase(endpoint string, useSSL bool) (base, host string, err error) {
	if strings.HasPrefix(endpoint, "http://") || strings.HasPrefix(endpoint, "https://") {
		u, err := url.Parse(endpoint)
		if err != nil {
			return "", "", fmt.Errorf("parse td endpoint %q: %w", endpoint, err)
		}
		return strings.TrimSuffix(u.String(), "/"), u.Hostname(), nil
	}
	u, err := url.Parse("//" + endpoint)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("parse td endpoint %q: not host[:port]", endpoint)
	}
	scheme := "https"
	if !useSSL || u.Hostname() == "api.treasure-data.com" {
		scheme = "http"
	}
	return scheme + "://" + u.Host, u.Hostname(), nil
}

// escapeTD is td-client-ruby's e(): percent-encode everything outside
// [-_!~*'()0-9A-Za-z].
func escapeTD(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte("-_!~*'()", c) >= 0 || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// tdError is a non-2xx answer from the TD API.
type tdError struct {
	Status int
	Method string
	Path   string
	Body   string
}

func (e *tdError) Error() string {
	return fmt.Sprintf("td api %s %s: status %d: %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

func statusOf(err error) int {
	var te *tdError
	if errors.As(err, &te) {
		return te.Status
	}
	return 0
}

func (t *TD) do(ctx context.Context, method, base, path, contentType string, body []byte, okStatus func(int) bool) error {
	req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("td api %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "TD1 "+t.opt.APIKey)
	req.Header.Set("Date", t.now().UTC().Format(time.RFC1123Z))
	req.Header.Set("User-Agent", t.userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method == http.MethodPost {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("td api %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if !okStatus(resp.StatusCode) {
		return &tdError{Status: resp.StatusCode, Method: method, Path: path, Body: string(msg)}
	}
	return nil
}

func is200(s int) bool { return s == http.StatusOK }
func is2xx(s int) bool { return s/100 == 2 }

// ensureTable is out_tdlog's table creation: create the table; on 404
// create the database and then the table; "already exists" (409) is fine.
func (t *TD) ensureTable(ctx context.Context, db, table string) error {
	path := "/v3/table/create/" + escapeTD(db) + "/" + escapeTD(table) + "/log"
	err := t.do(ctx, http.MethodPost, t.apiBase, path, "application/x-www-form-urlencoded", nil, is200)
	if statusOf(err) == http.StatusNotFound {
		err = t.do(ctx, http.MethodPost, t.apiBase, "/v3/database/create/"+escapeTD(db), "application/x-www-form-urlencoded", nil, is200)
		if err != nil && statusOf(err) != http.StatusConflict {
			return fmt.Errorf("create td database %s: %w", db, err)
		}
		err = t.do(ctx, http.MethodPost, t.apiBase, path, "application/x-www-form-urlencoded", nil, is200)
	}
	if err != nil && statusOf(err) != http.StatusConflict {
		return fmt.Errorf("create td table %s.%s: %w", db, table, err)
	}
	return nil
}

// Start is out_tdlog's start: with database and table configured, either
// create them (auto_create_table) or check the table exists with an empty
// import (a 404 fails the start, other errors are ignored as the plugin
// only warns).
func (t *TD) Start(ctx context.Context) error {
	if t.opt.Database == "" || t.opt.Table == "" {
		return nil
	}
	if t.opt.AutoCreateTable {
		return t.ensureTable(ctx, t.opt.Database, t.opt.Table)
	}
	empty, err := gzipAll(bytes.NewReader(nil))
	if err != nil {
		return err
	}
	err = t.do(ctx, http.MethodPut, t.importBase, "/v3/table/import/"+escapeTD(t.opt.Database)+"/"+escapeTD(t.opt.Table)+"/msgpack.gz", "application/octet-stream", empty, is2xx)
	if statusOf(err) == http.StatusNotFound {
		return fmt.Errorf("table %s.%s does not exist: %w", t.opt.Database, t.opt.Table, err)
	}
	return nil
}

// Write imports one chunk. A 404 with auto_create_table creates the table
// (and database) and imports again; every other failure is returned, so
// the buffer retries the chunk with the same unique id.
func (t *TD) Write(ctx context.Context, c *buffer.Chunk) error {
	db, table := t.opt.Database, t.opt.Table
	if db == "" || table == "" {
		var ok bool
		if db, table, ok = strings.Cut(c.Key, "."); !ok {
			return fmt.Errorf("td chunk key %q is not db.table", c.Key)
		}
	}
	r, err := c.Open()
	if err != nil {
		return err
	}
	body, err := gzipAll(r)
	r.Close()
	if err != nil {
		return err
	}
	path := "/v3/table/import_with_id/" + escapeTD(db) + "/" + escapeTD(table) + "/" + c.UniqueID() + "/msgpack.gz"
	for attempt := 0; ; attempt++ {
		err := t.do(ctx, http.MethodPut, t.importBase, path, "application/octet-stream", body, is2xx)
		if err == nil {
			return nil
		}
		if statusOf(err) != http.StatusNotFound || !t.opt.AutoCreateTable || attempt >= 2 {
			return fmt.Errorf("import %s.%s: %w", db, table, err)
		}
		if err := t.ensureTable(ctx, db, table); err != nil {
			return err
		}
	}
}
