// Command shop is the example project's service: an HTTP API on :8080
// that logs one JSON line per order to stdout, which Docker's fluentd log
// driver ships to fluentd, as the team's services do in production.
//
//	POST /orders {"id": "o-1", "total": 12.5} → 201, logs {"event":"order",...}
//	GET  /health                              → 200
//
// shop -healthcheck asks the running server for /health (the container's
// exec-form health check: the image is FROM scratch).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	healthcheck := flag.Bool("healthcheck", false, "check the running server's /health and exit")
	flag.Parse()
	if *healthcheck {
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get("http://127.0.0.1:8080/health")
		if err != nil || resp.StatusCode != http.StatusOK {
			fmt.Fprintln(os.Stderr, "shop: unhealthy:", err)
			os.Exit(1)
		}
		return
	}
	enc := json.NewEncoder(os.Stdout)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		var order struct {
			ID    string  `json:"id"`
			Total float64 `json:"total"`
		}
		if err := json.NewDecoder(r.Body).Decode(&order); err != nil || order.ID == "" {
			http.Error(w, `{"error":"want {\"id\": ..., \"total\": ...}"}`, http.StatusBadRequest)
			return
		}
		_ = enc.Encode(map[string]any{"event": "order", "id": order.ID, "total": order.Total, "time": time.Now().UTC().Format(time.RFC3339)})
		w.WriteHeader(http.StatusCreated)
	})
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}
