package router

import (
	"fmt"
	"strings"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/config"
)

// parserFilter is filter_parser v0.12 with `format json` (spec §4.1).
type parserFilter struct {
	el               *config.Element
	keyName          string
	reserveData      bool
	timeKey          string
	timeFormat       string
	timeParse        bool
	ignoreKeyMissing bool
	suppressLog      bool
	toError          bool
	injectPrefix     string
	hashValueField   string
}

func (r *Router) newParserFilter(el *config.Element) (*parserFilter, error) {
	f := &parserFilter{el: el, timeKey: "time", timeParse: true}
	format, ok := el.Get("format")
	if !ok {
		return nil, config.Errorf(el.Pos, "filter parser: 'format' parameter is required")
	}
	if format != "json" {
		p := el.Param("format")
		return nil, config.Errorf(p.ValuePos, "filter parser: unsupported format %q (supported: json)", format)
	}
	kp := el.Param("key_name")
	if kp == nil {
		return nil, config.Errorf(el.Pos, "filter parser: 'key_name' parameter is required")
	}
	f.keyName = kp.Value
	bools := []struct {
		key string
		dst *bool
	}{
		{"reserve_data", &f.reserveData},
		{"time_parse", &f.timeParse},
		{"ignore_key_not_exist", &f.ignoreKeyMissing},
		{"suppress_parse_error_log", &f.suppressLog},
		{"emit_invalid_record_to_error", &f.toError},
	}
	for _, b := range bools {
		if p := el.Param(b.key); p != nil {
			*b.dst = boolValue(p.Value)
		}
	}
	if v, ok := el.Get("time_key"); ok {
		f.timeKey = v
	}
	f.timeFormat, _ = el.Get("time_format")
	f.injectPrefix, _ = el.Get("inject_key_prefix")
	f.hashValueField, _ = el.Get("hash_value_field")
	return f, nil
}

// warn reports a parse failure that drops the event (a rescued exception:
// filter_parser re-adds nothing, even with reserve_data).
func (f *parserFilter) warn(c *emitCtx, e *event, format string, args ...any) bool {
	f.report(c, e, false, fmt.Sprintf(format, args...))
	return false
}

// keep reports a missing key or a non-matching value; with reserve_data
// the original record then passes on (handle_parsed with {}), otherwise
// the event is dropped.
func (f *parserFilter) keep(c *emitCtx, e *event, format string, args ...any) bool {
	f.report(c, e, f.reserveData, fmt.Sprintf(format, args...))
	return f.passOn(e)
}

// passOn is handle_parsed(tag, record, time, {}) under reserve_data: the
// record unchanged, plus an empty hash_value_field when one is set. It
// reports whether the event goes on.
func (f *parserFilter) passOn(e *event) bool {
	if !f.reserveData {
		return false
	}
	if f.hashValueField != "" {
		out := e.rec.Clone()
		out.Set(f.hashValueField, record.Record{})
		e.rec = out
	}
	return true
}

// report makes a parse problem visible as fluentd does: with
// emit_invalid_record_to_error the original record goes to <label @ERROR>
// (without one, "dump an error event" is logged at warn level); otherwise
// a warning, unless suppress_parse_error_log (which does not cover "does
// not exist"). When the event goes on (passes) the problem is a Step,
// otherwise a Drop.
func (f *parserFilter) report(c *emitCtx, e *event, passes bool, msg string) {
	kind, note := record.DropWarning, msg
	switch {
	case f.toError:
		if errp, ok := c.r.labels["@ERROR"]; ok {
			// router.emit_error_event: the original record goes to
			// <label @ERROR>, with the same tag and time.
			c.step(Step{Kind: StepErrorEvent, Plugin: "parser", Pos: f.el.Pos, Tag: e.tag, Detail: msg})
			sub := *c
			sub.p = errp
			sub.depth++
			c.r.emit(&sub, &event{tag: e.tag, time: e.time, rec: e.rec})
			return
		}
		note = "sent to @ERROR (no <label @ERROR>: logged as \"dump an error event\"): " + msg
	case f.suppressLog && !strings.HasSuffix(msg, "does not exist"):
		kind, note = record.DropSilent, "(suppress_parse_error_log) "+msg
	}
	if !passes {
		c.drop(kind, e.tag, "parser", f.el.Pos, "%s", note)
		return
	}
	if kind == record.DropWarning {
		c.step(Step{Kind: StepWarning, Plugin: "parser", Pos: f.el.Pos, Tag: e.tag, Detail: note + " (reserve_data: the record passes on unchanged)"})
	}
}

func (f *parserFilter) filter(c *emitCtx, e *event) bool {
	if c.nonHash(e, "parser", f.el.Pos) {
		return false
	}
	raw, _ := e.rec.Get(f.keyName)
	if raw == nil {
		if f.ignoreKeyMissing && !f.toError { // nothing is logged
			if !f.reserveData {
				c.drop(record.DropSilent, e.tag, "parser", f.el.Pos, "%s does not exist (ignore_key_not_exist)", f.keyName)
			}
			return f.passOn(e)
		}
		return f.keep(c, e, "%s does not exist", f.keyName)
	}
	text := record.ToS(raw)
	var v any
	var err error
	// Oj.load of an empty (or blank: Oj's whitespace includes \f) string
	// returns nil instead of raising, so such a line fails below with
	// NoMethodError, not "pattern not match".
	if strings.TrimLeft(text, " \t\r\n\f") != "" {
		v, err = record.ParseJSONString(text)
	}
	if err != nil {
		return f.keep(c, e, "pattern not match with data '%s'", text)
	}
	// JSONParser: value = record.delete(time_key)
	var tv any
	switch x := v.(type) {
	case record.Record:
		tv, _ = x.Delete(f.timeKey)
		v = x
	case []any:
		// Array#delete("time") removes equal elements and returns nil here
		// (JSON strings equal to "time" are removed, too).
		kept := x[:0:0]
		for _, el := range x {
			if s, ok := el.(string); ok && s == f.timeKey {
				tv = s
				continue
			}
			kept = append(kept, el)
		}
		v = kept
	case string:
		// String#delete("time") deletes those characters and returns the
		// rest: truthy, so strptime runs on it.
		tv = deleteChars(x, f.timeKey)
	default:
		// nil, Integer, Float, true/false: NoMethodError, rescued by the
		// filter as "parse failed".
		return f.warn(c, e, "parse failed undefined method `delete' for %s:%s", rubyInspect(x), rubyClassName(x))
	}
	t := e.time
	// JSONParser#parse: `if value` (nil and false keep the event time), then
	// Time.strptime(value, time_format) or, without time_format, value.to_i.
	if tv != nil && tv != false && f.timeParse {
		if f.timeFormat == "" {
			n, err := rubyToI(tv)
			if err != nil {
				return f.warn(c, e, "invalid time value: value = %s, error = %v", record.ToS(tv), err)
			}
			t = EventTime{Sec: n}
		} else {
			s, ok := tv.(string)
			if !ok {
				return f.warn(c, e, "invalid time format: value must be string: %s", record.ToS(tv))
			}
			tt, err := Strptime(s, f.timeFormat, c.r.loc)
			if err != nil {
				return f.warn(c, e, "invalid time format: value = %s, error_class = ArgumentError, error = invalid strptime format - `%s'", s, f.timeFormat)
			}
			t = EventTime{Sec: tt.Unix()}
		}
	}
	rec, isRec := v.(record.Record)
	if !isRec {
		e.raw, e.rec, e.time = v, nil, t
		return true
	}
	if f.injectPrefix != "" {
		for i := range rec {
			rec[i].Key = f.injectPrefix + rec[i].Key
		}
	}
	if f.hashValueField != "" {
		rec = record.Record{{Key: f.hashValueField, Value: rec}}
	}
	if f.reserveData {
		out := e.rec.Clone()
		for _, fl := range rec {
			out.Set(fl.Key, fl.Value)
		}
		rec = out
	}
	e.rec, e.time = rec, t
	return true
}

func deleteChars(s, chars string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		keep := true
		for _, d := range chars {
			if r == d {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, r)
		}
	}
	return string(out)
}
