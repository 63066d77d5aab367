package router

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/devenv-sh/devenv/fluent/config"
)

// recordTransformer is filter_record_transformer v0.12 without
// enable_ruby: `<record>` fields with ${…} placeholders, remove_keys,
// keep_keys, renew_record, renew_time_key, auto_typecast.
type recordTransformer struct {
	el           *config.Element
	fields       []config.Param
	removeKeys   []string
	keepKeys     []string
	renewRecord  bool
	renewTimeKey string
	autoTypecast bool
}

func (r *Router) newRecordTransformer(el *config.Element) (*recordTransformer, error) {
	f := &recordTransformer{el: el}
	if p := el.Param("enable_ruby"); p != nil {
		if b, _ := ParseBool(p.Value); b {
			return nil, config.Errorf(p.ValuePos, "record_transformer: enable_ruby is not supported (devenv cannot run Ruby)")
		}
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"renew_record", &f.renewRecord}, {"auto_typecast", &f.autoTypecast}} {
		if p := el.Param(b.key); p != nil {
			v, err := ParseBool(p.Value)
			if err != nil {
				return nil, config.Errorf(p.ValuePos, "record_transformer: %s: %v", b.key, err)
			}
			*b.dst = v
		}
	}
	split := func(v string) []string {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	if v, ok := el.Get("remove_keys"); ok {
		f.removeKeys = split(v)
	}
	if v, ok := el.Get("keep_keys"); ok {
		f.keepKeys = split(v)
	}
	f.renewTimeKey, _ = el.Get("renew_time_key")
	for _, sec := range el.Elements {
		if sec.Name != "record" {
			return nil, config.Errorf(sec.Pos, "record_transformer: unknown section %s (expected <record>)", sec)
		}
		f.fields = append(f.fields, sec.Params...)
	}
	return f, nil
}

var rtPlaceholder = regexp.MustCompile(`\$\{[^}]+\}|__[A-Z_]+__`)

func (f *recordTransformer) filter(c *emitCtx, e *event) bool {
	if c.nonHash(e, "record_transformer", f.el.Pos) {
		return false
	}
	parts := strings.Split(e.tag, ".")
	ph := func(name string) (any, bool) {
		switch name {
		case "${tag}", "__TAG__":
			return e.tag, true
		case "${hostname}", "__HOSTNAME__":
			return c.r.hostname, true
		case "${time}", "__TIME__":
			return Strftime(e.time.Time(c.r.loc), "%Y-%m-%d %H:%M:%S %z"), true
		}
		for _, pre := range []string{"tag_parts", "tag_prefix", "tag_suffix"} {
			if strings.HasPrefix(name, "${"+pre+"[") && strings.HasSuffix(name, "]}") {
				n, err := strconv.Atoi(name[len(pre)+3 : len(name)-2])
				if err != nil {
					return nil, false
				}
				if n < 0 {
					n += len(parts)
				}
				if n < 0 || n >= len(parts) {
					return nil, false
				}
				switch pre {
				case "tag_parts":
					return parts[n], true
				case "tag_prefix":
					return strings.Join(parts[:n+1], "."), true
				default:
					return strings.Join(parts[n:], "."), true
				}
			}
		}
		if strings.HasPrefix(name, "${") {
			key := name[2 : len(name)-1]
			if v, ok := e.rec.Get(key); ok {
				return v, true
			}
		}
		return nil, false
	}
	var out Record
	if !f.renewRecord {
		out = e.rec.Clone()
	}
	for _, k := range f.keepKeys {
		if v, ok := e.rec.Get(k); ok {
			out.Set(k, v)
		}
	}
	for _, p := range f.fields {
		val := p.Value
		if m := rtPlaceholder.FindString(val); f.autoTypecast && m == val && m != "" {
			if v, ok := ph(m); ok {
				out.Set(p.Key, v)
				continue
			}
		}
		out.Set(p.Key, rtPlaceholder.ReplaceAllStringFunc(val, func(m string) string {
			if v, ok := ph(m); ok {
				return ToS(v)
			}
			return m // unknown placeholder: fluentd warns and keeps it
		}))
	}
	for _, k := range f.removeKeys {
		out.Delete(k)
	}
	if f.renewTimeKey != "" {
		if v, ok := out.Get(f.renewTimeKey); ok {
			switch x := v.(type) {
			case int64:
				e.time = EventTime{Sec: x}
			case float64:
				e.time = EventTime{Sec: int64(x)}
			case string:
				if n, err := strconv.ParseInt(x, 10, 64); err == nil {
					e.time = EventTime{Sec: n}
				}
			}
		}
	}
	e.rec = out
	return true
}
