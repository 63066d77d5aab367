package control

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Health is the body of GET /_devenv/health.
type Health struct {
	Status string `json:"status"`
	Fake   string `json:"fake"`
}

// apiError is the body of every error answered by the shared endpoints.
type apiError struct {
	Error string `json:"error"`
}

// Mount registers the endpoints every fake shares:
//
//	GET    /_devenv/health  → 200 {"status":"ok","fake":name}
//	POST   /_devenv/reset   → 204 after reset() and clearing faults; 500 with its error
//	GET    /_devenv/faults  → 200 [Fault...] pending rules
//	POST   /_devenv/faults  → 201 after queuing the Fault in the JSON body; 400 when invalid
//	DELETE /_devenv/faults  → 204 after dropping every pending rule
//
// reset must forget everything the fake received; it may be nil.
func Mount(e *echo.Echo, name string, faults *Faults, reset func() error) {
	g := e.Group(Prefix)
	g.GET("/health", func(c echo.Context) error {
		return c.JSON(http.StatusOK, Health{Status: "ok", Fake: name})
	})
	g.POST("/reset", func(c echo.Context) error {
		faults.Clear()
		if reset != nil {
			if err := reset(); err != nil {
				return c.JSON(http.StatusInternalServerError, apiError{Error: fmt.Sprintf("reset %s: %v", name, err)})
			}
		}
		return c.NoContent(http.StatusNoContent)
	})
	g.GET("/faults", func(c echo.Context) error {
		return c.JSON(http.StatusOK, faults.List())
	})
	g.POST("/faults", func(c echo.Context) error {
		var f Fault
		dec := json.NewDecoder(c.Request().Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return c.JSON(http.StatusBadRequest, apiError{Error: fmt.Sprintf("decode fault: %v", err)})
		}
		if err := faults.Add(f); err != nil {
			return c.JSON(http.StatusBadRequest, apiError{Error: fmt.Sprintf("invalid fault: %v", err)})
		}
		return c.JSON(http.StatusCreated, f)
	})
	g.DELETE("/faults", func(c echo.Context) error {
		faults.Clear()
		return c.NoContent(http.StatusNoContent)
	})
}
