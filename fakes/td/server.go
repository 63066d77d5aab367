// Package td is devenv's fake Treasure Data: the import API that
// fluent-plugin-td and td-client use (gzip'd msgpack imports, with and
// without a unique id), database and table management, TD-shaped JSON
// errors, and an inspection and control API under /_devenv/ that shows what
// arrived, table by table, and injects faults.
//
// The fake is an echo handler over a [Store]: [NewMemStore] (default) or
// [OpenDiskStore] (durable, replayed at start). Go tests drive the import
// API as fluent-plugin-td does with fakeclient.TDAPI, and read the
// inspection API with fakeclient.TD, without linking this package.
package td

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devenv-sh/devenv/fakes/control"
)

// DefaultMaxImportBytes bounds an import body, compressed and decompressed
// alike. fluent-plugin-td's chunks are at most 32 MiB before gzip.
const DefaultMaxImportBytes = 256 << 20

// Server is the fake Treasure Data. It is an http.Handler.
type Server struct {
	store      Store
	clock      func() time.Time // WithClock
	log        *slog.Logger     // WithLogger
	apiKeys    map[string]bool  // WithAPIKeys; empty accepts any key
	strictTime bool             // WithStrictTime
	autoCreate bool             // WithAutoCreate
	maxImport  int64            // WithMaxImportBytes
	faults     *control.Faults
	echo       *echo.Echo
}

var _ http.Handler = (*Server)(nil)

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock used for creation times, import times and
// elapsed_time; inject a fixed clock to make answers deterministic.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.clock = now } }

// WithLogger sets where the fake logs one line per import and per change.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithAPIKeys restricts the accepted API keys. Without it any non-empty key
// in "Authorization: TD1 <key>" is accepted.
func WithAPIKeys(keys ...string) Option {
	return func(s *Server) {
		for _, k := range keys {
			s.apiKeys[k] = true
		}
	}
}

// WithStrictTime makes an import with any record lacking an integer "time"
// fail with 400 and store nothing. Otherwise such records are stored and
// reported in the import's validation.
func WithStrictTime(strict bool) Option { return func(s *Server) { s.strictTime = strict } }

// WithAutoCreate sets the existence model. Off (the default, as Treasure
// Data does), an import into a missing database or table answers 404 until
// both are created, so fluent-plugin-td's create-and-retry path runs as in
// production. On, such an import creates them: a convenience for clients
// that never create tables.
func WithAutoCreate(on bool) Option { return func(s *Server) { s.autoCreate = on } }

// WithMaxImportBytes bounds an import body, compressed and decompressed;
// larger imports answer 413. Default DefaultMaxImportBytes.
func WithMaxImportBytes(n int64) Option { return func(s *Server) { s.maxImport = n } }

// New returns a fake Treasure Data over store.
func New(store Store, opts ...Option) *Server {
	s := &Server{store: store, apiKeys: map[string]bool{}, faults: &control.Faults{}}
	for _, o := range opts {
		o(s)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxImport <= 0 {
		s.maxImport = DefaultMaxImportBytes
	}
	s.echo = s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Close closes the store.
func (s *Server) Close() error { return s.store.Close() }

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.httpError
	e.JSONSerializer = jsonSerializer{}
	e.Use(s.faults.Middleware(renderFault))

	control.Mount(e, "td", s.faults, s.store.Reset)
	g := e.Group(control.Prefix)
	g.GET("/tables", s.inspectTables)
	g.GET("/records", s.inspectRecords)
	g.GET("/imports", s.inspectImports)
	g.GET("/counts", s.inspectCounts)

	e.GET("/v3/system/server_status", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	v3 := e.Group("/v3", s.auth)
	v3.PUT("/table/import/:db/:table/:format", s.handleImport)
	v3.PUT("/table/import_with_id/:db/:table/:uid/:format", s.handleImport)
	v3.POST("/database/create/:db", s.createDatabase)
	v3.POST("/database/delete/:db", s.deleteDatabase)
	v3.GET("/database/list", s.listDatabases)
	v3.GET("/database/show/:db", s.showDatabase)
	v3.POST("/table/create/:db/:table", s.createTable)
	v3.POST("/table/create/:db/:table/:type", s.createTable)
	v3.POST("/table/delete/:db/:table", s.deleteTable)
	v3.GET("/table/list/:db", s.listTables)
	v3.GET("/table/show/:db/:table", s.showTable)
	return e
}

// apiError is Treasure Data's error body. td-client-ruby shows message,
// falling back to error.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func tdError(c echo.Context, status int, msg string) error {
	return c.JSON(status, apiError{Error: http.StatusText(status), Message: msg})
}

// renderFault answers an injected fault as Treasure Data would.
func renderFault(c echo.Context, f control.Fault) error {
	title := f.Code
	if title == "" {
		title = http.StatusText(f.Status)
	}
	msg := f.Message
	if msg == "" {
		msg = "injected fault"
	}
	return c.JSON(f.Status, apiError{Error: title, Message: msg})
}

// httpError renders echo's own errors (unknown route, wrong method) and
// unexpected handler errors as TD JSON.
func (s *Server) httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	msg := err.Error()
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		msg = fmt.Sprint(he.Message)
	} else {
		s.log.Error("td request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = tdError(c, status, msg)
}

// auth requires "Authorization: TD1 <key>", with a configured key when any.
// The request body is drained first so that the client reads the 401
// instead of a reset connection.
func (s *Server) auth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "TD1 ")
		key = strings.TrimSpace(key)
		switch {
		case !ok || key == "":
			s.drain(c)
			return tdError(c, http.StatusUnauthorized, "Authentication failed: missing or malformed Authorization header (want 'TD1 <apikey>')")
		case len(s.apiKeys) > 0 && !s.apiKeys[key]:
			s.drain(c)
			return tdError(c, http.StatusUnauthorized, "Authentication failed: unknown API key")
		}
		return next(c)
	}
}

func (s *Server) drain(c echo.Context) {
	_, _ = io.Copy(io.Discard, io.LimitReader(c.Request().Body, s.maxImport))
}

// param returns a path parameter, unescaped: td-client-ruby percent-encodes
// names, and echo leaves escaped parameters raw.
func param(c echo.Context, name string) string {
	v := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return v
	}
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// statusOf maps a Store error to Treasure Data's status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrAlreadyExists):
		return http.StatusConflict
	case errors.Is(err, ErrInvalidName):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// importResponse is the answer to a stored import; td-client-go requires
// database, table, md5_hex and elapsed_time.
type importResponse struct {
	Database    string  `json:"database"`
	Table       string  `json:"table"`
	UniqueID    string  `json:"unique_id,omitempty"`
	MD5Hex      string  `json:"md5_hex"`
	ElapsedTime float64 `json:"elapsed_time"`
}

func (s *Server) handleImport(c echo.Context) error {
	start := s.clock()
	r := c.Request()
	entry := ImportEntry{
		At:        start.UTC(),
		Database:  param(c, "db"),
		Table:     param(c, "table"),
		UniqueID:  param(c, "uid"),
		Format:    param(c, "format"),
		UserAgent: r.UserAgent(),
	}
	reject := func(status int, msg string) error {
		entry.Status, entry.Error = status, msg
		if _, err := s.store.LogRejected(entry); err != nil {
			s.log.Error("td import log failed", "err", err)
		}
		s.logImport(entry)
		return tdError(c, status, msg)
	}

	// Read the whole body before answering anything, so that a client
	// still sending a chunk reads our answer instead of a reset.
	body, err := io.ReadAll(io.LimitReader(r.Body, s.maxImport+1))
	if err != nil {
		return reject(http.StatusBadRequest, fmt.Sprintf("read import body: %v", err))
	}
	entry.Size = int64(len(body))
	if entry.Size > s.maxImport {
		return reject(http.StatusRequestEntityTooLarge, fmt.Sprintf("import body is over %d bytes", s.maxImport))
	}
	sum := md5.Sum(body)
	entry.MD5Hex = hex.EncodeToString(sum[:])

	if entry.Format != FormatMsgpackGz && entry.Format != FormatMsgpack {
		return reject(http.StatusBadRequest, fmt.Sprintf("unsupported import format %q: use %s or %s", entry.Format, FormatMsgpackGz, FormatMsgpack))
	}
	for _, n := range []struct{ kind, name string }{{"database", entry.Database}, {"table", entry.Table}} {
		if err := ValidateName(n.kind, n.name); err != nil {
			return reject(http.StatusBadRequest, strings.TrimPrefix(err.Error(), ErrInvalidName.Error()+": "))
		}
	}
	if !s.autoCreate {
		if _, err := s.store.Table(entry.Database, entry.Table); err != nil {
			return reject(statusOf(err), s.notFoundMessage(entry.Database, entry.Table, err))
		}
	}

	batch, err := DecodeImportBytes(body, entry.Format, s.maxImport)
	switch {
	case errors.Is(err, ErrTooLarge):
		return reject(http.StatusRequestEntityTooLarge, err.Error())
	case err != nil:
		return reject(http.StatusBadRequest, err.Error())
	}
	entry.Records = batch.Len()
	entry.DecodedBytes = int64(batch.Size())
	entry.Validation = batch.Validation
	if s.strictTime && batch.Validation.TimeProblems() > 0 {
		return reject(http.StatusBadRequest, strictMessage(batch.Validation))
	}

	if s.autoCreate {
		if err := s.ensureTable(entry.Database, entry.Table, start); err != nil {
			return reject(statusOf(err), err.Error())
		}
	}
	entry.Status = http.StatusOK
	stored, err := s.store.Import(entry, batch)
	if err != nil {
		return reject(statusOf(err), s.notFoundMessage(entry.Database, entry.Table, err))
	}
	s.logImport(stored)
	return c.JSON(http.StatusOK, importResponse{
		Database:    entry.Database,
		Table:       entry.Table,
		UniqueID:    entry.UniqueID,
		MD5Hex:      entry.MD5Hex,
		ElapsedTime: s.clock().Sub(start).Seconds(),
	})
}

// notFoundMessage words a missing db or table as Treasure Data does; other
// errors keep their own text.
func (s *Server) notFoundMessage(db, table string, err error) string {
	if !errors.Is(err, ErrNotFound) {
		return err.Error()
	}
	if _, dbErr := s.store.Database(db); dbErr != nil {
		return fmt.Sprintf("Couldn't find UserDatabase with name = %s", db)
	}
	return fmt.Sprintf("Couldn't find UserTable with name = %s.%s", db, table)
}

func strictMessage(v Validation) string {
	for _, f := range v.Findings {
		if f.Problem == "time_missing" || f.Problem == "time_not_int" {
			return fmt.Sprintf("record %d: %s (%d of the records lack an integer time)", f.Record, f.Detail, v.TimeProblems())
		}
	}
	return fmt.Sprintf("%d records lack an integer time", v.TimeProblems())
}

// ensureTable creates db and table when missing (auto-create mode).
func (s *Server) ensureTable(db, table string, at time.Time) error {
	if err := s.store.CreateDatabase(db, at.UTC()); err == nil {
		s.log.Info("td database created on import", "db", db)
	} else if !errors.Is(err, ErrAlreadyExists) {
		return err
	}
	if err := s.store.CreateTable(db, table, at.UTC()); err == nil {
		s.log.Info("td table created on import", "db", db, "table", table)
	} else if !errors.Is(err, ErrAlreadyExists) {
		return err
	}
	return nil
}

func (s *Server) logImport(e ImportEntry) {
	attrs := []any{"db", e.Database, "table", e.Table, "unique_id", e.UniqueID,
		"status", e.Status, "records", e.Records, "bytes", e.Size, "dup", e.Dup,
		"time_problems", e.Validation.TimeProblems(), "user_agent", e.UserAgent}
	if e.Error != "" {
		attrs = append(attrs, "error", e.Error)
	}
	s.log.Info("td import", attrs...)
}

// jsonSerializer writes JSON without HTML escaping, so messages read
// "TD1 <apikey>" rather than "TD1 \u003capikey\u003e".
type jsonSerializer struct{}

func (jsonSerializer) Serialize(c echo.Context, i any, indent string) error {
	enc := json.NewEncoder(c.Response())
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(i)
}

func (jsonSerializer) Deserialize(c echo.Context, i any) error {
	return json.NewDecoder(c.Request().Body).Decode(i)
}
