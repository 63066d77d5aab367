package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
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

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /recipes/{id}", s.recipe)
	mux.HandleFunc("POST /events", s.event)
	return s.access(mux)
}

func (s *server) recipe(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id < 1 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "recipe id must be a positive integer"})
		return
	}
	if err := s.log.log("EVENT", map[string]any{"event_type": "recipe_view", "recipe_id": id}); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "title": fmt.Sprintf("recipe %d", id)})
}

func (s *server) event(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEventBytes))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": err.Error()})
		return
	}
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be a JSON object: " + err.Error()})
		return
	}
	et, _ := fields["event_type"].(string)
	if !eventType.MatchString(et) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `"event_type" must be a string of letters, digits and underscores`})
		return
	}
	if err := s.log.log("EVENT", fields); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	s.metrics.Incr("event", []string{"event_type:" + et}, 1)
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
}

// access logs one ACCESS line per request and counts it.
func (s *server) access(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		elapsed := time.Since(start)
		_ = s.log.log("ACCESS", map[string]any{
			"method": r.Method, "path": r.URL.Path, "status": sw.status, "elapsed_ms": elapsed.Milliseconds(),
		})
		tags := []string{"method:" + r.Method, "status:" + strconv.Itoa(sw.status)}
		s.metrics.Incr("request", tags, 1)
		s.metrics.Timing("request.duration", elapsed, tags, 1)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
