package td

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// tdTimeLayout is how Treasure Data's v3 API writes times.
const tdTimeLayout = "2006-01-02 15:04:05 MST"

func tdTime(t time.Time) string { return t.UTC().Format(tdTimeLayout) }

// dbJSON is one database as GET /v3/database/list shows it.
type dbJSON struct {
	Name         string  `json:"name"`
	Count        int64   `json:"count"`
	CreatedAt    string  `json:"created_at"`
	UpdatedAt    string  `json:"updated_at"`
	Organization *string `json:"organization"`
	Permission   string  `json:"permission"`
}

func toDBJSON(d Database) dbJSON {
	return dbJSON{Name: d.Name, Count: d.Count, CreatedAt: tdTime(d.CreatedAt), UpdatedAt: tdTime(d.CreatedAt), Permission: "administrator"}
}

// tableJSON is one table as GET /v3/table/list shows it.
type tableJSON struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Count     int64  `json:"count"`
	Schema    string `json:"schema"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func toTableJSON(t Table) tableJSON {
	return tableJSON{Name: t.Name, Type: t.Type, Count: t.Count, Schema: "[]", CreatedAt: tdTime(t.CreatedAt), UpdatedAt: tdTime(t.UpdatedAt)}
}

// nameError answers 400 for an invalid name, in TD's words.
func nameError(c echo.Context, kind, name string) error {
	if err := ValidateName(kind, name); err != nil {
		return tdError(c, http.StatusBadRequest, strings.TrimPrefix(err.Error(), ErrInvalidName.Error()+": "))
	}
	return nil
}

func (s *Server) createDatabase(c echo.Context) error {
	db := param(c, "db")
	if err := ValidateName("database", db); err != nil {
		return nameError(c, "database", db)
	}
	if err := s.store.CreateDatabase(db, s.clock().UTC()); err != nil {
		return s.storeError(c, "Create database failed", db, "", err)
	}
	s.log.Info("td database created", "db", db)
	return c.JSON(http.StatusOK, map[string]string{"database": db})
}

func (s *Server) deleteDatabase(c echo.Context) error {
	db := param(c, "db")
	if err := s.store.DeleteDatabase(db); err != nil {
		return s.storeError(c, "Delete database failed", db, "", err)
	}
	s.log.Info("td database deleted", "db", db)
	return c.JSON(http.StatusOK, map[string]string{"database": db})
}

func (s *Server) listDatabases(c echo.Context) error {
	dbs, err := s.store.Databases()
	if err != nil {
		return err
	}
	out := make([]dbJSON, 0, len(dbs))
	for _, d := range dbs {
		out = append(out, toDBJSON(d))
	}
	return c.JSON(http.StatusOK, map[string]any{"databases": out})
}

func (s *Server) showDatabase(c echo.Context) error {
	db := param(c, "db")
	d, err := s.store.Database(db)
	if err != nil {
		return s.storeError(c, "Show database failed", db, "", err)
	}
	return c.JSON(http.StatusOK, toDBJSON(d))
}

func (s *Server) createTable(c echo.Context) error {
	db, table := param(c, "db"), param(c, "table")
	if typ := param(c, "type"); typ != "" && typ != "log" {
		return tdError(c, http.StatusBadRequest, "Create "+typ+" table failed: only log tables are supported")
	}
	if err := ValidateName("database", db); err != nil {
		return nameError(c, "database", db)
	}
	if err := ValidateName("table", table); err != nil {
		return nameError(c, "table", table)
	}
	if err := s.store.CreateTable(db, table, s.clock().UTC()); err != nil {
		return s.storeError(c, "Create log table failed", db, table, err)
	}
	s.log.Info("td table created", "db", db, "table", table)
	return c.JSON(http.StatusOK, map[string]string{"database": db, "table": table, "type": "log"})
}

func (s *Server) deleteTable(c echo.Context) error {
	db, table := param(c, "db"), param(c, "table")
	if err := s.store.DeleteTable(db, table); err != nil {
		return s.storeError(c, "Delete table failed", db, table, err)
	}
	s.log.Info("td table deleted", "db", db, "table", table)
	return c.JSON(http.StatusOK, map[string]string{"database": db, "table": table, "type": "log"})
}

func (s *Server) listTables(c echo.Context) error {
	db := param(c, "db")
	ts, err := s.store.Tables(db)
	if err != nil {
		return s.storeError(c, "List tables failed", db, "", err)
	}
	out := make([]tableJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, toTableJSON(t))
	}
	return c.JSON(http.StatusOK, map[string]any{"database": db, "tables": out})
}

func (s *Server) showTable(c echo.Context) error {
	db, table := param(c, "db"), param(c, "table")
	t, err := s.store.Table(db, table)
	if err != nil {
		return s.storeError(c, "Show table failed", db, table, err)
	}
	return c.JSON(http.StatusOK, struct {
		Database string `json:"database"`
		tableJSON
	}{db, toTableJSON(t)})
}

// storeError answers a Store error with TD's status and wording:
// "<what>: Couldn't find UserDatabase with name = db", "Database db already
// exists", ...
func (s *Server) storeError(c echo.Context, what, db, table string, err error) error {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		return err
	}
	msg := what + ": " + err.Error()
	switch status {
	case http.StatusNotFound:
		msg = what + ": " + s.notFoundMessage(db, table, err)
	case http.StatusConflict:
		if table != "" {
			msg = "Table " + table + " already exists"
		} else {
			msg = "Database " + db + " already exists"
		}
	}
	return tdError(c, status, msg)
}
