package main

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// timeLayout is the layout of the "time" field, the one fluent.conf's parser
// filter reads (time_format %Y-%m-%dT%H:%M:%SZ).
const timeLayout = "2006-01-02T15:04:05Z"

// logger writes one JSON object per line. Writes are serialised so lines
// never interleave.
type logger struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

func newLogger(w io.Writer, now func() time.Time) *logger {
	return &logger{w: w, now: now}
}

// log writes fields as one line, adding "log_type" and a UTC "time" unless
// fields already carry them.
func (l *logger) log(logType string, fields map[string]any) error {
	rec := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		rec[k] = v
	}
	rec["log_type"] = logType
	if _, ok := rec["time"]; !ok {
		rec["time"] = l.now().UTC().Format(timeLayout)
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err = l.w.Write(line)
	return err
}
