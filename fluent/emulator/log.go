package emulator

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// LogHandler writes slog records in fluentd's log format, one line each:
//
//	2024-01-02 03:04:05 +0000 [info]: flushed chunk buffer="…" key="…"
type LogHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Leveler
	attrs []slog.Attr
}

// NewLogHandler returns a handler writing records at level or above to w.
func NewLogHandler(w io.Writer, level slog.Leveler) *LogHandler {
	return &LogHandler{mu: &sync.Mutex{}, w: w, level: level}
}

// Enabled implements slog.Handler.
func (h *LogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// WithAttrs implements slog.Handler.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &h2
}

// WithGroup implements slog.Handler; groups are flattened.
func (h *LogHandler) WithGroup(string) slog.Handler { return h }

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warn"
	case l >= slog.LevelInfo:
		return "info"
	}
	return "debug"
}

// Handle implements slog.Handler.
func (h *LogHandler) Handle(_ context.Context, r slog.Record) error {
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	buf := t.AppendFormat(nil, "2006-01-02 15:04:05 -0700")
	buf = append(buf, " ["...)
	buf = append(buf, levelName(r.Level)...)
	buf = append(buf, "]: "...)
	buf = append(buf, r.Message...)
	add := func(a slog.Attr) bool {
		buf = append(buf, ' ')
		buf = append(buf, a.Key...)
		buf = append(buf, '=')
		v := a.Value.Resolve()
		switch v.Kind() {
		case slog.KindString, slog.KindAny:
			buf = strconv.AppendQuote(buf, v.String())
		default:
			buf = append(buf, v.String()...)
		}
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	buf = append(buf, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(buf)
	return err
}
