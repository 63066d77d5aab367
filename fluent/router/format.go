package router

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/config"
)

// Formatter is a v0.12 text formatter (`format json|out_file|single_value|
// ltsv`) with its SetTimeKeyMixin/SetTagKeyMixin behaviour: Format mutates
// the record in place (include_time_key, include_tag_key) exactly as
// fluentd v0.12 does, then renders one line.
type Formatter struct {
	Name           string
	IncludeTimeKey bool
	TimeKey        string
	IncludeTagKey  bool
	TagKey         string
	// TimeFormat is the strftime format ("" means ISO 8601: Time#iso8601,
	// which ends in "Z" when UTC is set and in the offset otherwise).
	TimeFormat string
	Location   *time.Location
	// UTC is the TimeFormatter's utc mode (utc true or localtime false,
	// without timezone): Ruby formats a UTC Time, not local time.
	UTC bool
	// out_file options
	OutputTime bool
	OutputTag  bool
	Delimiter  string
	// single_value option
	MessageKey string
	AddNewline bool

	cache secondCache // FormatTime results
}

// secondCache remembers the last formatted second (safe for concurrent
// use): consecutive events mostly share their second.
type secondCache struct {
	last atomic.Pointer[cachedSecond]
}

type cachedSecond struct {
	sec int64
	s   string
}

func (c *secondCache) get(sec int64, format func() string) string {
	if e := c.last.Load(); e != nil && e.sec == sec {
		return e.s
	}
	s := format()
	c.last.Store(&cachedSecond{sec: sec, s: s})
	return s
}

func newFormatter(el *config.Element, def string, loc *time.Location) (*Formatter, error) {
	f := &Formatter{Name: def, TimeKey: "time", TagKey: "tag", Location: loc,
		OutputTime: true, OutputTag: true, Delimiter: "\t", MessageKey: "message", AddNewline: true}
	if p := el.Param("format"); p != nil {
		f.Name = p.Value
	}
	switch f.Name {
	case "json", "out_file", "single_value", "ltsv":
	default:
		p := el.Param("format")
		return nil, config.Errorf(p.ValuePos, "unsupported format %q (supported: json, out_file, single_value, ltsv)", f.Name)
	}
	if f.Name == "ltsv" {
		f.Delimiter = "\t"
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"include_time_key", &f.IncludeTimeKey}, {"include_tag_key", &f.IncludeTagKey},
		{"output_time", &f.OutputTime}, {"output_tag", &f.OutputTag}, {"add_newline", &f.AddNewline}} {
		if p := el.Param(b.key); p != nil {
			*b.dst = boolValue(p.Value)
		}
	}
	if v, ok := el.Get("time_key"); ok {
		f.TimeKey = v
	}
	if v, ok := el.Get("tag_key"); ok {
		f.TagKey = v
	}
	if v, ok := el.Get("message_key"); ok {
		f.MessageKey = v
	}
	if v, ok := el.Get("delimiter"); ok {
		switch v {
		case "SPACE", "space":
			f.Delimiter = " "
		case "COMMA", "comma":
			f.Delimiter = ","
		case "TAB", "tab":
			f.Delimiter = "\t"
		default:
			f.Delimiter = v
		}
	}
	f.TimeFormat, _ = el.Get("time_format")
	if el.Param("timezone") == nil {
		if p := el.Param("utc"); p != nil && boolValue(p.Value) {
			f.UTC = true
		}
		if p := el.Param("localtime"); p != nil && !boolValue(p.Value) {
			f.UTC = true
		}
	}
	return f, nil
}

// FormatTime renders an event time the way the formatter's TimeFormatter
// does (time_format in the formatter's zone; ISO 8601 when unset).
func (f *Formatter) FormatTime(t EventTime) string {
	return f.cache.get(t.Sec, func() string { return f.formatTime(t) })
}

func (f *Formatter) formatTime(t EventTime) string {
	tt := t.Time(f.Location)
	if f.TimeFormat == "" {
		if f.UTC {
			return Strftime(tt.UTC(), "%Y-%m-%dT%H:%M:%SZ")
		}
		return Strftime(tt, "%Y-%m-%dT%H:%M:%S%:z")
	}
	return Strftime(tt, f.TimeFormat)
}

// Format applies the mixins to *rec (in place) and appends the line.
func (f *Formatter) Format(dst []byte, tag string, t EventTime, rec *record.Record) []byte {
	if f.IncludeTimeKey {
		rec.Set(f.TimeKey, f.FormatTime(t))
	}
	if f.IncludeTagKey {
		rec.Set(f.TagKey, tag)
	}
	switch f.Name {
	case "json":
		dst = record.AppendJSON(dst, *rec) // JSONFormatter: Oj.dump
		return append(dst, '\n')
	case "out_file":
		if f.OutputTime {
			dst = append(dst, f.FormatTime(t)...)
			dst = append(dst, f.Delimiter...)
		}
		if f.OutputTag {
			dst = append(dst, tag...)
			dst = append(dst, f.Delimiter...)
		}
		dst = record.AppendYajlJSON(dst, *rec) // OutFileFormatter: Yajl.dump
		return append(dst, '\n')
	case "single_value":
		v, _ := rec.Get(f.MessageKey)
		dst = append(dst, record.ToS(v)...)
		if f.AddNewline {
			dst = append(dst, '\n')
		}
		return dst
	case "ltsv":
		for i, fl := range *rec {
			if i > 0 {
				dst = append(dst, f.Delimiter...)
			}
			dst = append(dst, fl.Key...)
			dst = append(dst, ':')
			dst = append(dst, record.ToS(fl.Value)...)
		}
		return append(dst, '\n')
	}
	return dst
}

// outputLocation reads localtime/utc/timezone (TimeSlicedOutput and
// formatters): local time by default.
func outputLocation(el *config.Element, def *time.Location) (*time.Location, error) {
	loc := def
	if p := el.Param("utc"); p != nil {
		if boolValue(p.Value) {
			loc = time.UTC
		}
	}
	if p := el.Param("localtime"); p != nil {
		if !boolValue(p.Value) {
			loc = time.UTC
		}
	}
	if p := el.Param("timezone"); p != nil {
		z, err := parseTimezone(p.Value)
		if err != nil {
			return nil, config.Errorf(p.ValuePos, "timezone: %v", err)
		}
		loc = z
	}
	return loc, nil
}

func parseTimezone(v string) (*time.Location, error) {
	if v == "" {
		return time.UTC, nil
	}
	if v[0] == '+' || v[0] == '-' {
		j := 0
		z, ok := parseZone(v, &j)
		if !ok || j != len(v) {
			return nil, fmt.Errorf("invalid offset %q", v)
		}
		return z, nil
	}
	if strings.EqualFold(v, "UTC") {
		return time.UTC, nil
	}
	return time.LoadLocation(v)
}
