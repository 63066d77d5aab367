package router

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/config"
)

// recordTransformer is filter_record_transformer v0.12 without
// enable_ruby: `<record>` fields with ${…} placeholders, remove_keys,
// keep_keys, renew_record, renew_time_key, auto_typecast.
type recordTransformer struct {
	el           *config.Element
	fields       []rtField
	removeKeys   []string
	keepKeys     []string
	renewRecord  bool
	renewTimeKey string
	autoTypecast bool
}

// rtField is one <record> entry: its key and parsed value.
type rtField struct {
	key   string
	value any // string, or a parsed JSON Record / []any
}

func (r *Router) newRecordTransformer(el *config.Element) (*recordTransformer, error) {
	f := &recordTransformer{el: el}
	if p := el.Param("enable_ruby"); p != nil {
		if boolValue(p.Value) {
			return nil, config.Errorf(p.ValuePos, "record_transformer: enable_ruby is not supported (devenv cannot run Ruby)")
		}
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"renew_record", &f.renewRecord}, {"auto_typecast", &f.autoTypecast}} {
		if p := el.Param(b.key); p != nil {
			*b.dst = boolValue(p.Value)
		}
	}
	if v, ok := el.Get("remove_keys"); ok {
		f.removeKeys = rubySplit(v, ",")
	}
	if p := el.Param("keep_keys"); p != nil {
		if !f.renewRecord {
			return nil, config.Errorf(p.KeyPos, "record_transformer: `renew_record` must be true to use `keep_keys`")
		}
		f.keepKeys = rubySplit(p.Value, ",")
	}
	f.renewTimeKey, _ = el.Get("renew_time_key")
	for _, sec := range el.Elements {
		if sec.Name != "record" {
			return nil, config.Errorf(sec.Pos, "record_transformer: unknown section %s (expected <record>)", sec)
		}
		for _, p := range sec.Params {
			f.fields = append(f.fields, rtField{key: p.Key, value: parseRTValue(p.Value)})
		}
	}
	return f, nil
}

// parseRTValue is parse_value: a <record> value starting with { or [ is
// JSON.parse'd (placeholders are then expanded inside its strings and
// hash keys); if that fails, fluentd warns and keeps the string.
func parseRTValue(s string) any {
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		if v, err := record.ParseJSONString(s); err == nil {
			return v
		}
	}
	return s
}

var rtPlaceholder = regexp.MustCompile(`\$\{[^}]+\}|__[A-Z_]+__`)

// rtPlaceholders is PlaceholderExpander#prepare_placeholders (FD012
// lib/fluent/plugin/filter_record_transformer.rb): `${time}` first, then
// every record key as `${key}`, then tag, tag_parts, tag_prefix, tag_suffix
// and hostname, later entries overriding earlier ones. So a record key
// "time" overrides `${time}`, while `${tag}` and `${hostname}` always win.
// __TAG__-style names are not in the table.
type rtPlaceholders struct {
	c     *emitCtx
	e     *event
	rec   record.Record // the incoming record
	parts []string
}

func (p *rtPlaceholders) lookup(name string) (any, bool) {
	if !strings.HasPrefix(name, "${") {
		return nil, false
	}
	key := name[2 : len(name)-1]
	switch key {
	case "tag":
		return p.e.tag, true
	case "hostname":
		return p.c.r.hostname, true
	}
	if v, ok := p.arrayValue(key); ok {
		return v, true
	}
	if v, ok := p.rec.Get(key); ok {
		return v, true
	}
	if key == "time" {
		return Strftime(p.e.time.Time(p.c.r.loc), "%Y-%m-%d %H:%M:%S %z"), true
	}
	return nil, false
}

// arrayValue resolves tag_parts[N], tag_prefix[N] and tag_suffix[N]:
// fluentd stores "${tag_parts[i]}" and "${tag_parts[i-size]}" for every
// index, so only canonical indexes in -size..size-1 exist.
func (p *rtPlaceholders) arrayValue(key string) (string, bool) {
	for _, pre := range []string{"tag_parts", "tag_prefix", "tag_suffix"} {
		if !strings.HasPrefix(key, pre+"[") || !strings.HasSuffix(key, "]") {
			continue
		}
		idx := key[len(pre)+1 : len(key)-1]
		n, err := strconv.Atoi(idx)
		if err != nil || strconv.Itoa(n) != idx {
			return "", false
		}
		if n < 0 {
			n += len(p.parts)
		}
		if n < 0 || n >= len(p.parts) {
			return "", false
		}
		switch pre {
		case "tag_parts":
			return p.parts[n], true
		case "tag_prefix":
			return strings.Join(p.parts[:n+1], "."), true
		default:
			return strings.Join(p.parts[n:], "."), true
		}
	}
	return "", false
}

// expand is PlaceholderExpander#expand: with auto_typecast a value that is
// exactly one placeholder takes the placeholder's value (nil when unknown);
// otherwise each placeholder is replaced by its value's to_s, and an
// unknown one (fluentd logs "unknown placeholder") by "" (nil.to_s).
func (p *rtPlaceholders) expand(s string, typecast bool) any {
	if typecast {
		if m := rtPlaceholder.FindStringIndex(s); m != nil && m[0] == 0 && m[1] == len(s) {
			v, _ := p.lookup(s)
			return v
		}
	}
	return rtPlaceholder.ReplaceAllStringFunc(s, func(m string) string {
		v, _ := p.lookup(m)
		return record.ToS(v)
	})
}

// expandValue is expand_placeholders: strings are expanded, hash keys are
// expanded as strings, arrays and hashes recursively, other values kept.
func (p *rtPlaceholders) expandValue(v any, typecast bool) any {
	switch x := v.(type) {
	case string:
		return p.expand(x, typecast)
	case record.Record:
		out := make(record.Record, 0, len(x))
		for _, fl := range x {
			out.Set(p.expand(fl.Key, false).(string), p.expandValue(fl.Value, typecast))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = p.expandValue(x[i], typecast)
		}
		return out
	}
	return v
}

func (f *recordTransformer) filter(c *emitCtx, e *event) bool {
	if c.nonHash(e, "record_transformer", f.el.Pos) {
		return false
	}
	ph := &rtPlaceholders{c: c, e: e, rec: e.rec, parts: rubySplit(e.tag, ".")}
	var out record.Record
	if !f.renewRecord {
		out = e.rec.Clone()
	}
	for _, k := range f.keepKeys {
		v, _ := e.rec.Get(k) // a missing key is set to nil
		out.Set(k, v)
	}
	for _, fl := range f.fields {
		out.Set(fl.key, ph.expandValue(fl.value, f.autoTypecast))
	}
	for _, k := range f.removeKeys {
		out.Delete(k)
	}
	if f.renewTimeKey != "" {
		if v, ok := out.Get(f.renewTimeKey); ok {
			n, err := rubyToI(v)
			if err != nil {
				c.drop(record.DropWarning, e.tag, "record_transformer", f.el.Pos, "failed to reform records: %s: %v", f.renewTimeKey, err)
				return false
			}
			e.time = EventTime{Sec: n}
		}
	}
	e.rec = out
	return true
}
