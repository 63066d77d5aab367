package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"github.com/labstack/echo/v4"
)

// eventType is what the production fluentd accepts as an event name
// (rewrite_tag_filter pattern ^([\w_]+)$).
var eventType = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// maxEventBytes bounds a POST /events body.
const maxEventBytes = 64 << 10

type server struct {
	log     *logger
	metrics statsd.ClientInterface
}

func newServer(log *logger, metrics statsd.ClientInterface) *server {
	return &server{log: log, metrics: metrics}
}

// handler returns the echo instance serving the routes. Everything echo
// itself would print (banner, "http server started", its logger and the
// http.Server error log it installs in Start) goes to stderr: stdout carries
// only JSON lines, which the fluentd log driver ships as they are.
func (s *server) handler(stderr io.Writer) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(stderr)
	e.StdLogger = log.New(stderr, "api-server: ", 0)
	e.HTTPErrorHandler = renderError
	e.Use(s.access)
	// GET routes answer HEAD too, as they did on net/http's ServeMux.
	getHead := []string{http.MethodGet, http.MethodHead}
	e.Match(getHead, "/health", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.Match(getHead, "/recipes/:id", s.recipe)
	e.POST("/events", s.event)
	return e
}

func (s *server) recipe(c echo.Context) error {
	// echo routes on the escaped path, lets a trailing parameter run over
	// slashes ("/recipes/1/2" has id "1/2") and leaves it escaped. The id is
	// one non-empty path segment, as it was on net/http's ServeMux.
	param := c.Param("id")
	if param == "" || strings.Contains(param, "/") {
		return echo.ErrNotFound
	}
	raw, err := url.PathUnescape(param)
	if err != nil {
		raw = param
	}
	id, err := strconv.Atoi(raw)
	if err != nil || id < 1 {
		return jsonError(c, http.StatusBadRequest, "recipe id must be a positive integer")
	}
	if err := s.log.log("EVENT", map[string]any{"event_type": "recipe_view", "recipe_id": id}); err != nil {
		return jsonError(c, http.StatusInternalServerError, err.Error())
	}
	return c.JSON(http.StatusOK, map[string]any{"id": id, "title": fmt.Sprintf("recipe %d", id)})
}

func (s *server) event(c echo.Context) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxEventBytes))
	if err != nil {
		return jsonError(c, http.StatusRequestEntityTooLarge, err.Error())
	}
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		return jsonError(c, http.StatusBadRequest, "body must be a JSON object: "+err.Error())
	}
	et, _ := fields["event_type"].(string)
	if !eventType.MatchString(et) {
		return jsonError(c, http.StatusBadRequest, `"event_type" must be a string of letters, digits and underscores`)
	}
	if err := s.log.log("EVENT", fields); err != nil {
		return jsonError(c, http.StatusInternalServerError, err.Error())
	}
	s.metrics.Incr("event", []string{"event_type:" + et}, 1)
	return c.JSON(http.StatusAccepted, map[string]string{"status": "accepted"})
}

// access logs one ACCESS line per request and counts it. echo runs it for
// every request, routed or not, so 404s and 405s are logged too; errors are
// rendered here, before the status is read.
func (s *server) access(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		r, status := c.Request(), c.Response().Status
		_ = s.log.log("ACCESS", map[string]any{
			"method": r.Method, "path": r.URL.Path, "status": status, "elapsed_ms": elapsed.Milliseconds(),
		})
		tags := []string{"method:" + r.Method, "status:" + strconv.Itoa(status)}
		s.metrics.Incr("request", tags, 1)
		s.metrics.Timing("request.duration", elapsed, tags, 1)
		return nil
	}
}

// renderError is the echo error handler: errors the router returns (404,
// 405) and any a handler returns are answered with the same JSON shape as
// the handlers' own errors, {"error": message}.
func renderError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, err.Error()
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = fmt.Sprint(he.Message)
		}
	}
	if err := jsonError(c, status, msg); err != nil {
		c.Logger().Error(err)
	}
}

func jsonError(c echo.Context, status int, msg string) error {
	return c.JSON(status, map[string]string{"error": msg})
}
