package router

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fluent/config"
)

// Hazard is a production hazard found in a config by Lint.
type Hazard struct {
	// Code is a stable identifier: unanchored-pattern, line-anchors,
	// invalid-td-name, empty-env, buffer-path-collision, long-flush.
	Code string
	Pos  config.Pos
	// Message says what happens in production, with an example.
	Message string
}

// LongFlush is the flush interval above which Lint reports long-flush.
const LongFlush = 60 * time.Second

// Lint reports the production hazards the spec documents: unanchored
// rewrite patterns and line anchors, captured values that make invalid TD
// names (which also lose the S3 copy), parameters that evaluate to an empty
// environment variable, forest buffer_path collisions, and long flush
// intervals. It does not change the router's state. Hazards are sorted by
// position.
func (r *Router) Lint() []Hazard {
	r.mu.Lock()
	defer r.mu.Unlock()
	var hs []Hazard
	pipes := []*pipeline{r.root}
	for _, name := range sortedKeys(r.labels) {
		pipes = append(pipes, r.labels[name])
	}
	for _, p := range pipes {
		for _, e := range p.entries {
			hs = append(hs, lintEnv(e.el)...)
			switch o := e.o.(type) {
			case *rewriteTagFilter:
				hs = append(hs, r.lintRewrite(p, o)...)
			case *forest:
				hs = append(hs, lintForest(e, o)...)
			}
		}
	}
	for _, o := range r.outputs {
		if o.PlantTag == "" {
			hs = append(hs, lintFlush(o.Conf, o.Type, o.FlushInterval)...)
		}
	}
	sort.SliceStable(hs, func(i, j int) bool {
		a, b := hs[i].Pos, hs[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return hs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var envRefRE = regexp.MustCompile(`#\{\s*ENV\s*\[\s*['"]([^'"]*)['"]\s*\]\s*\}`)

// lintEnv reports parameters built from environment variables that
// evaluated to "" (Ruby's nil), recursively.
func lintEnv(el *config.Element) []Hazard {
	var hs []Hazard
	for _, p := range el.Params {
		if p.Value != "" || !strings.HasPrefix(p.Raw, `"`) {
			continue
		}
		m := envRefRE.FindStringSubmatch(p.Raw)
		if m == nil {
			continue
		}
		msg := fmt.Sprintf("%s is %s, which is empty or unset here: fluentd reads it as \"\"", p.Key, p.Raw)
		switch p.Key {
		case "database", "table":
			msg += "; TD rejects an empty name at configure time, so every forest plant fails and the S3 copy is lost too (T44)"
		case "s3_bucket":
			msg += "; the bucket check at start fails, so the plant fails and the TD copy is lost too"
		case "aws_key_id", "aws_sec_key", "apikey":
			msg += "; empty credentials are still used as given (not the default credential chain)"
		}
		hs = append(hs, Hazard{Code: "empty-env", Pos: p.ValuePos, Message: msg})
	}
	for _, c := range el.Elements {
		hs = append(hs, lintEnv(c)...)
	}
	return hs
}

// tdProbes are captured values that expose invalid TD names.
var tdProbes = []string{"Click", "page-view", "__TAG__", "__HOSTNAME__", "__X__", strings.Repeat("a", 250)}

func (r *Router) lintRewrite(p *pipeline, f *rewriteTagFilter) []Hazard {
	var hs []Hazard
	for _, rule := range f.rules {
		src := rule.pattern
		startAnch := strings.HasPrefix(src, "^") || strings.HasPrefix(src, `\A`)
		endAnch := strings.HasSuffix(src, "$") || strings.HasSuffix(src, `\z`)
		if !rule.invert && (!startAnch || !endAnch) {
			example := "x" + literalPrefix(src) + "x"
			hs = append(hs, Hazard{Code: "unanchored-pattern", Pos: rule.pos, Message: fmt.Sprintf(
				"pattern %s on %s is unanchored: it also matches values that merely contain it (e.g. %q); anchor it with \\A…\\z", src, rule.key, example)})
		}
		if strings.HasPrefix(src, "^") || strings.HasSuffix(src, "$") {
			hs = append(hs, Hazard{Code: "line-anchors", Pos: rule.pos, Message: fmt.Sprintf(
				"pattern %s: Ruby's ^ and $ are LINE anchors, so a value like \"click\\nfoo\" matches (T27); use \\A and \\z", src)})
		}
		if !strings.Contains(rule.tag, "$") {
			continue
		}
		seen := map[string]bool{}
		for _, probe := range tdProbes {
			if rule.invert || !rule.re.MatchString(probe) {
				continue
			}
			// Find a tag this rule is applied to: use the <match> patterns'
			// literal text when possible.
			tag := sampleTagFor(p, f)
			newTag, _ := f.rewriteTag(tag, Record{{Key: rule.key, Value: probe}}, r.hostname)
			if newTag == "" {
				continue
			}
			res := p.resolve(newTag)
			fo, ok := entryOutput(res).(*forest)
			if !ok {
				continue
			}
			conf, _ := fo.spec(fo.subTag(newTag))
			for _, st := range tdStores(conf, fo.subtype) {
				for _, k := range []string{"database", "table"} {
					prm := st.Param(k)
					if prm == nil || st.Param("database") == nil || st.Param("table") == nil ||
						!(strings.Contains(prm.Raw, "${") || strings.Contains(prm.Raw, "__")) {
						continue // only names built from the tag depend on the capture
					}
					v := prm.Value
					if err := ValidateTDName(k, v); err != nil && !seen[k+probe[:min(5, len(probe))]] {
						seen[k+probe[:min(5, len(probe))]] = true
						shown := probe
						if len(shown) > 20 {
							shown = shown[:8] + "…(" + fmt.Sprint(len(probe)) + " chars)"
						}
						hs = append(hs, Hazard{Code: "invalid-td-name", Pos: rule.pos, Message: fmt.Sprintf(
							"%s %q captured by %s becomes tag %s and TD %s %s: TD rejects it (%v), so the forest plant fails and the S3 copy is lost too; the tag stays broken until fluentd restarts",
							rule.key, shown, src, abbreviate(newTag), k, abbreviate(v), err)})
					}
				}
			}
		}
	}
	return hs
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:30] + "…"
	}
	return s
}

func literalPrefix(src string) string {
	var b strings.Builder
	for _, c := range src {
		if strings.ContainsRune(`\^$.[]()*+?{}|`, c) {
			break
		}
		b.WriteRune(c)
	}
	if b.Len() == 0 {
		return "…"
	}
	return b.String()
}

func entryOutput(res *resolved) outputPlugin {
	if res.match == nil {
		return nil
	}
	return res.match.o
}

// sampleTagFor returns a tag routed to f: the first literal pattern of its
// <match>.
func sampleTagFor(p *pipeline, f *rewriteTagFilter) string {
	for _, e := range p.entries {
		if e.o == outputPlugin(f) {
			for _, pat := range e.pats {
				s := pat.String()
				if !strings.ContainsAny(s, "*{?\\") {
					return s
				}
			}
			return strings.NewReplacer("**", "x", "*", "x").Replace(e.pats[0].String())
		}
	}
	return "tag"
}

func tdStores(conf *config.Element, subtype string) []*config.Element {
	if subtype == "tdlog" {
		return []*config.Element{conf}
	}
	var out []*config.Element
	for _, st := range conf.Children("store") {
		if t, _ := st.Type(); t == "tdlog" {
			out = append(out, st)
		}
	}
	return out
}

var partsRE = regexp.MustCompile(`\$\{tag_parts\[(-?\d+)\]\}|__TAG_PARTS\[(-?\d+)\]__`)

func lintForest(e *entry, f *forest) []Hazard {
	var hs []Hazard
	open := false
	for _, pat := range e.pats {
		if strings.Contains(pat.String(), "**") || strings.Contains(pat.String(), "*") {
			open = true
		}
	}
	var walk func(el *config.Element)
	walk = func(el *config.Element) {
		typ, _ := el.Type()
		if p := el.Param("buffer_path"); p != nil && open {
			v := p.Value
			full := strings.Contains(v, "${tag}") || strings.Contains(v, "__TAG__") ||
				strings.Contains(v, "${escaped_tag}") || strings.Contains(v, "__ESCAPED_TAG__")
			if !full && partsRE.MatchString(v) {
				m := partsRE.FindStringSubmatch(v)
				n := m[1] + m[2]
				hs = append(hs, Hazard{Code: "buffer-path-collision", Pos: p.ValuePos, Message: fmt.Sprintf(
					"buffer_path %s uses only tag part %s, but <match %s> accepts longer tags: %s and %s.b get the same buffer_path, and whichever is planted second fails (\"already use same buffer_path\") and drops every event (T39)",
					v, n, e.el.Arg, exampleTag(e.el.Arg, "a"), exampleTag(e.el.Arg, "a"))})
			}
		}
		hs = append(hs, lintFlushConf(el, typ)...)
		for _, c := range el.Elements {
			walk(c)
		}
	}
	walk(f.template)
	for _, c := range f.cases {
		walk(c.el)
	}
	return hs
}

func exampleTag(pattern, last string) string {
	p := strings.Fields(pattern)[0]
	p = strings.TrimSuffix(p, ".**")
	p = strings.ReplaceAll(p, "**", "x")
	p = strings.ReplaceAll(p, "*", "x")
	return p + "." + last
}

func lintFlushConf(el *config.Element, typ string) []Hazard {
	p := el.Param("flush_interval")
	if p == nil {
		return nil
	}
	return lintFlush(el, typ, timeValue(p.Value))
}

func lintFlush(el *config.Element, typ string, d time.Duration) []Hazard {
	if d <= LongFlush {
		return nil
	}
	pos, shown := el.Pos, d.String()
	if p := el.Param("flush_interval"); p != nil {
		pos, shown = p.ValuePos, p.Value
	}
	return []Hazard{{Code: "long-flush", Pos: pos, Message: fmt.Sprintf(
		"%s flush_interval %s: records reach %s up to %s after they arrive (counted from when the instance was planted, not from the hour), and file buffers are not flushed at shutdown; devenv's local config shortens it",
		typ, shown, typ, shown)}}
}
