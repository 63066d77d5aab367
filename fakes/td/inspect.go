package td

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// inspectTables answers GET /_devenv/tables: every table with its record
// count.
func (s *Server) inspectTables(c echo.Context) error {
	ts, err := s.store.AllTables()
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []Table{}
	}
	return c.JSON(http.StatusOK, ts)
}

// inspectRecords answers GET /_devenv/records?db=&table=&since=&limit=.
func (s *Server) inspectRecords(c echo.Context) error {
	if err := checkParams(c, "db", "table", "since", "limit"); err != nil {
		return tdError(c, http.StatusBadRequest, err.Error())
	}
	db, table := c.QueryParam("db"), c.QueryParam("table")
	if db == "" || table == "" {
		return tdError(c, http.StatusBadRequest, "query parameters db and table are required")
	}
	since, err := intParam(c, "since")
	if err != nil {
		return tdError(c, http.StatusBadRequest, err.Error())
	}
	limit, err := intParam(c, "limit")
	if err != nil {
		return tdError(c, http.StatusBadRequest, err.Error())
	}
	raw, total, err := s.store.Records(db, table, since, limit)
	if err != nil {
		return s.storeError(c, "List records failed", db, table, err)
	}
	page := RecordsPage{Database: db, Table: table, Total: total, Since: min(since, total), Records: make([]Record, 0, len(raw))}
	for _, r := range raw {
		rec, err := decodeRecord(r)
		if err != nil {
			return err
		}
		page.Records = append(page.Records, rec)
	}
	page.NextSince = page.Since + len(page.Records)
	return c.JSON(http.StatusOK, page)
}

// checkParams rejects a query parameter outside known: a misspelt filter
// ("database=" for "db=") would otherwise be ignored and widen the result.
func checkParams(c echo.Context, known ...string) error {
	for _, k := range slices.Sorted(maps.Keys(c.QueryParams())) {
		if !slices.Contains(known, k) {
			return fmt.Errorf("unknown query parameter %s (known: %s)", k, strings.Join(known, ", "))
		}
	}
	return nil
}

func intParam(c echo.Context, name string) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("query parameter %s: want a non-negative integer, got %q", name, v)
	}
	return n, nil
}

// inspectImports answers GET /_devenv/imports[?db=&table=]: the import log,
// oldest first.
func (s *Server) inspectImports(c echo.Context) error {
	if err := checkParams(c, "db", "table"); err != nil {
		return tdError(c, http.StatusBadRequest, err.Error())
	}
	all, err := s.store.Imports()
	if err != nil {
		return err
	}
	db, table := c.QueryParam("db"), c.QueryParam("table")
	out := make([]ImportEntry, 0, len(all))
	for _, e := range all {
		if (db == "" || e.Database == db) && (table == "" || e.Table == table) {
			out = append(out, e)
		}
	}
	return c.JSON(http.StatusOK, out)
}

// inspectCounts answers GET /_devenv/counts.
func (s *Server) inspectCounts(c echo.Context) error {
	var n Counts
	dbs, err := s.store.Databases()
	if err != nil {
		return err
	}
	n.Databases = len(dbs)
	for _, d := range dbs {
		n.Tables += d.Tables
		n.Records += d.Count
	}
	log, err := s.store.Imports()
	if err != nil {
		return err
	}
	n.Imports = len(log)
	for _, e := range log {
		switch {
		case e.Status != http.StatusOK:
			n.Rejected++
		case e.Dup:
			n.Duplicates++
		default:
			n.Stored++
			n.TimeMissing += e.Validation.TimeMissing
			n.TimeNotInt += e.Validation.TimeNotInt
		}
	}
	return c.JSON(http.StatusOK, n)
}
