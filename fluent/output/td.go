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
	"github.com/devenv-sh/devenv/fluent/router"
)

// TD is out_tdlog: chunks of concatenated msgpack records imported with
// `PUT /v3/table/import_with_id/<db>/<table>/<unique_id>/msgpack.gz`.
// A chunk's key is "db.table".
type TD struct {
	cfg        *router.TDConfig
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
func NewTD(cfg *router.TDConfig, opts ...TDOption) *TD {
	t := &TD{cfg: cfg, userAgent: "fluent-plugin-td: 0.10.29; TD-Client-Ruby: 0.8.85"}
	for _, o := range opts {
		o(t)
	}
	if t.client == nil {
		t.client = &http.Client{Timeout: 60 * time.Second}
	}
	if t.now == nil {
		t.now = time.Now
	}
	t.apiBase, t.importBase = cfg.APIBaseURL(), cfg.ImportBaseURL()
	return t
}

// ChunkKey is the chunk key of an event with tag: "db.table".
func (t *TD) ChunkKey(tag string) (string, error) {
	db, table, err := t.cfg.Target(tag)
	if err != nil {
		return "", err
	}
	return db + "." + table, nil
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
	req.Header.Set("Authorization", "TD1 "+t.cfg.APIKey)
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
	path := "/v3/table/create/" + url.PathEscape(db) + "/" + url.PathEscape(table) + "/log"
	err := t.do(ctx, http.MethodPost, t.apiBase, path, "application/x-www-form-urlencoded", nil, is200)
	if statusOf(err) == http.StatusNotFound {
		err = t.do(ctx, http.MethodPost, t.apiBase, "/v3/database/create/"+url.PathEscape(db), "application/x-www-form-urlencoded", nil, is200)
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
	if !t.cfg.Fixed {
		return nil
	}
	if t.cfg.AutoCreateTable {
		return t.ensureTable(ctx, t.cfg.Database, t.cfg.Table)
	}
	empty, err := gzipAll(bytes.NewReader(nil))
	if err != nil {
		return err
	}
	err = t.do(ctx, http.MethodPut, t.importBase, "/v3/table/import/"+url.PathEscape(t.cfg.Database)+"/"+url.PathEscape(t.cfg.Table)+"/msgpack.gz", "application/octet-stream", empty, is2xx)
	if statusOf(err) == http.StatusNotFound {
		return fmt.Errorf("table %s.%s does not exist: %w", t.cfg.Database, t.cfg.Table, err)
	}
	return nil
}

// Write imports one chunk. A 404 with auto_create_table creates the table
// (and database) and imports again; every other failure is returned, so
// the buffer retries the chunk with the same unique id.
func (t *TD) Write(ctx context.Context, c *buffer.Chunk) error {
	db, table, ok := strings.Cut(c.Key, ".")
	if !ok {
		return fmt.Errorf("td chunk key %q is not db.table", c.Key)
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
	path := router.TDImportPath(db, table, c.UniqueID())
	for attempt := 0; ; attempt++ {
		err := t.do(ctx, http.MethodPut, t.importBase, path, "application/octet-stream", body, is2xx)
		if err == nil {
			return nil
		}
		if statusOf(err) != http.StatusNotFound || !t.cfg.AutoCreateTable || attempt >= 2 {
			return fmt.Errorf("import %s.%s: %w", db, table, err)
		}
		if err := t.ensureTable(ctx, db, table); err != nil {
			return err
		}
	}
}
