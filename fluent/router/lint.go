package router

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/buffer"
	"github.com/devenv-sh/devenv/fluent/config"
)

// Hazard is a production hazard found in a config by Lint.
type Hazard struct {
	// Code is a stable identifier: unanchored-pattern, line-anchors,
	// invalid-td-name, long-buffer-name, empty-env, buffer-path-collision,
	// long-flush, quirky-value.
	Code string
	Pos  config.Pos
	// Message says what happens in production, with an example.
	Message string
}

// LongFlush is the flush interval above which Lint reports long-flush.
const LongFlush = 60 * time.Second

// Lint reports the production hazards the spec documents: unanchored
// rewrite patterns and line anchors, captured values that make invalid TD
// names (which also lose the S3 copy), captured values whose length makes
// a store's buffer chunk file name too long (which loses every store of
// the copy and closes the connection), parameters that evaluate to an empty
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
			hs = append(hs, lintValues(e.el)...)
			switch o := e.o.(type) {
			case *rewriteTagFilter:
				hs = append(hs, r.lintRewrite(p, o)...)
			case *forest:
				hs = append(hs, r.lintForest(e, o)...)
			}
		}
	}
	for _, o := range r.outputs {
		if o.PlantTag == "" {
			hs = append(hs, lintFlush(o.Conf, o.Type, o.FlushInterval)...)
			hs = append(hs, lintSliceFlush(o.Conf, o.Type)...)
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

// lintEnv reports parameters built from environment variables that
// evaluated to "" (Ruby's nil), recursively.
func lintEnv(el *config.Element) []Hazard {
	var hs []Hazard
	for _, p := range el.Params {
		if p.Value != "" || len(p.EnvRefs) == 0 {
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

// timeKeys and sizeKeys are the buffered-output parameters of types :time
// and :size.
var (
	timeKeys = map[string]bool{"flush_interval": true, "retry_wait": true, "max_retry_wait": true, "time_slice_wait": true}
	sizeKeys = map[string]bool{"buffer_chunk_limit": true}
	// plainTime and plainSize are the forms fluentd reads as they look.
	plainTime = regexp.MustCompile(`^(?:[0-9]+[smhd]?|[0-9]+\.[0-9]+)$`)
	plainSize = regexp.MustCompile(`^[0-9]+[kmgtKMGT]?$`)
)

// lintValues reports :time and :size parameters that fluentd v0.12 reads
// differently from how they look (its unanchored unit regexps), e.g.
// "0.5s" → 5 s, recursively.
func lintValues(el *config.Element) []Hazard {
	var hs []Hazard
	for _, p := range el.Params {
		var read string
		switch {
		case timeKeys[p.Key] && !plainTime.MatchString(p.Value):
			read = timeValue(p.Value).String()
		case sizeKeys[p.Key] && !plainSize.MatchString(p.Value):
			read = fmt.Sprintf("%d bytes", sizeValue(p.Value))
		default:
			continue
		}
		hs = append(hs, Hazard{Code: "quirky-value", Pos: p.ValuePos, Message: fmt.Sprintf(
			"%s %s: fluentd v0.12 reads this as %s (its unit regexps are unanchored: \"0.5s\" is 5s, \"10ms\" is 10m, \"1.5h\" is 5h); write whole units or bare seconds (\"0.5\")",
			p.Key, p.Value, read)})
	}
	for _, c := range el.Elements {
		hs = append(hs, lintValues(c)...)
	}
	return hs
}

// tdProbes are captured values that expose invalid TD names.
var tdProbes = []string{"Click", "page-view", "__TAG__", "__HOSTNAME__", "__X__", strings.Repeat("a", 250)}

func (r *Router) lintRewrite(p *pipeline, f *rewriteTagFilter) []Hazard {
	var hs []Hazard
	for _, rule := range f.rules {
		src := rule.pattern
		alts := topLevelAlternatives(src)
		anchored := true
		lineAnch := false
		for _, a := range alts {
			start := strings.HasPrefix(a, "^") || strings.HasPrefix(a, `\A`)
			end := endsWithUnescaped(a, "$") || endsWithUnescaped(a, `\z`)
			anchored = anchored && start && end
			lineAnch = lineAnch || strings.HasPrefix(a, "^") || endsWithUnescaped(a, "$")
		}
		if !rule.invert && !anchored {
			example := "x" + literalPrefix(src) + "x"
			what := "unanchored"
			if len(alts) > 1 {
				what = "not anchored in every alternative"
			}
			hs = append(hs, Hazard{Code: "unanchored-pattern", Pos: rule.pos, Message: fmt.Sprintf(
				"pattern %s on %s is %s: it also matches values that merely contain it (e.g. %q); anchor it with \\A…\\z", src, rule.key, what, example)})
		}
		if lineAnch {
			hs = append(hs, Hazard{Code: "line-anchors", Pos: rule.pos, Message: fmt.Sprintf(
				"pattern %s: Ruby's ^ and $ are LINE anchors, so a value like \"click\\nfoo\" matches (T27); use \\A and \\z", src)})
		}
		if !strings.Contains(rule.tag, "$") {
			continue
		}
		hs = append(hs, r.lintChunkNames(p, f, rule)...)
		// one hazard per name kind and probe
		type probeKey struct{ kind, probe string }
		seen := map[probeKey]bool{}
		for _, probe := range tdProbes {
			if rule.invert || !rule.re.MatchString(probe) {
				continue
			}
			// Find a tag this rule is applied to: use the <match> patterns'
			// literal text when possible.
			tag := sampleTagFor(p, f)
			newTag, _, _ := f.rewriteTag(tag, record.Record{{Key: rule.key, Value: probe}}, r.hostname)
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
					if err := ValidateTDName(k, v); err != nil && !seen[probeKey{k, probe}] {
						seen[probeKey{k, probe}] = true
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

// maxChunkNameProbe is the longest captured value lintChunkNames tries:
// from buffer.NameMax+1 characters on, every chunk name holding the value
// is too long.
const maxChunkNameProbe = buffer.NameMax + 1

// lintChunkNames finds the lengths of a value captured by rule (probed
// with "a"s, 1 to maxChunkNameProbe characters) for which its forest instance
// plants (TD accepts its names) but has a file-buffered store whose chunk
// file name is over buffer.NameMax bytes: that store's emit raises
// ENAMETOOLONG on every event, the stores before it in a copy write
// nothing, and the connection closes. One hazard per store, naming the
// lengths. S3 and file chunk keys are the time slice of 2024-01-02 03:04:05
// in the router's zone.
func (r *Router) lintChunkNames(p *pipeline, f *rewriteTagFilter, rule *rewriteRule) []Hazard {
	type span struct {
		lo, hi   int
		tag, key string
		bp       *config.Param
		n        int // the name's bytes at lo
	}
	var order []config.Pos
	spans := map[config.Pos]*span{}
	sample := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).In(r.loc)
	tag := sampleTagFor(p, f)
	for n := 1; n <= maxChunkNameProbe; n++ {
		probe := strings.Repeat("a", n)
		if rule.invert || !rule.re.MatchString(probe) {
			continue
		}
		newTag, fired, _ := f.rewriteTag(tag, record.Record{{Key: rule.key, Value: probe}}, r.hostname)
		if newTag == "" || fired != rule {
			continue
		}
		fo, ok := entryOutput(p.resolve(newTag)).(*forest)
		if !ok {
			continue
		}
		sub := fo.subTag(newTag)
		conf, _ := fo.spec(sub)
		type long struct {
			el       *config.Element
			bp       *config.Param
			key, msg string
		}
		var longs []long
		plants := true
		for _, l := range leafConfs(conf, fo.subtype) {
			var key string
			switch l.typ {
			case "tdlog":
				cfg, err := newTDConfig(l.el)
				if err != nil {
					plants = false
					break
				}
				db, table, err := cfg.Target(sub)
				if err != nil {
					plants = false
					break
				}
				key = db + "." + table
			case "s3", "file":
				format := "%Y%m%d"
				if v, ok := l.el.Get("time_slice_format"); ok {
					format = v
				}
				key = Strftime(sample, format)
			default:
				continue
			}
			bp := l.el.Param("buffer_path")
			if bp == nil || !strings.EqualFold(bufferTypeOf(l.el, l.typ), "file") {
				continue
			}
			if msg := chunkNameError(&Output{BufferType: "file", BufferPath: bp.Value}, key); msg != "" {
				longs = append(longs, long{l.el, bp, key, msg})
			}
		}
		if !plants {
			continue
		}
		for _, lg := range longs {
			sp := spans[lg.el.Pos]
			if sp == nil {
				name := path.Base(buffer.ChunkPath(lg.bp.Value, lg.key, 'b', sampleChunkID))
				sp = &span{lo: n, tag: newTag, key: lg.key, bp: lg.bp, n: len(name)}
				spans[lg.el.Pos] = sp
				order = append(order, lg.el.Pos)
			}
			sp.hi = n
		}
	}
	var hs []Hazard
	for _, pos := range order {
		sp := spans[pos]
		lengths := fmt.Sprintf("of %d to %d characters", sp.lo, sp.hi)
		switch {
		case sp.hi == maxChunkNameProbe:
			lengths = fmt.Sprintf("of %d characters or more", sp.lo)
		case sp.lo == sp.hi:
			lengths = fmt.Sprintf("of %d characters", sp.lo)
		}
		hs = append(hs, Hazard{Code: "long-buffer-name", Pos: rule.pos, Message: fmt.Sprintf(
			"%s values %s captured by %s (e.g. tag %s) give the store at %s (buffer_path %s) a chunk file name over %d bytes (%d at %d characters): its emit raises Errno::ENAMETOOLONG on every event, so the stores before it in the copy write nothing either and in_forward closes the connection; keep such values shorter or shorten buffer_path",
			rule.key, lengths, rule.pattern, abbreviate(sp.tag), pos, sp.bp.Raw, buffer.NameMax, sp.n, sp.lo)})
	}
	return hs
}

// topLevelAlternatives splits a regexp source on the | that are outside
// groups and character classes ("^a|b$" → "^a", "b$").
func topLevelAlternatives(src string) []string {
	var alts []string
	depth, class, start := 0, false, 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\\':
			i++
		case class:
			class = c != ']'
		case c == '[':
			class = true
			if i+1 < len(src) && src[i+1] == ']' {
				i++ // a leading ] is literal
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			alts = append(alts, src[start:i])
			start = i + 1
		}
	}
	return append(alts, src[start:])
}

// endsWithUnescaped reports whether src ends with the token suffix ("$" or
// `\z`) that is not itself escaped by a preceding backslash.
func endsWithUnescaped(src, suffix string) bool {
	if !strings.HasSuffix(src, suffix) {
		return false
	}
	n := 0
	for i := len(src) - len(suffix) - 1; i >= 0 && src[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
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

func (r *Router) lintForest(e *entry, f *forest) []Hazard {
	var hs []Hazard
	seen := map[config.Pos]bool{}
	add := func(h []Hazard) {
		for _, x := range h {
			if !seen[x.Pos] {
				seen[x.Pos] = true
				hs = append(hs, x)
			}
		}
	}
	// Explicit flush intervals, in the template and in every case.
	var walk func(el *config.Element, typ string)
	walk = func(el *config.Element, typ string) {
		add(lintFlushConf(el, typ))
		for _, st := range el.Children("store") {
			t, _ := st.Type()
			walk(st, t)
		}
	}
	walk(f.template, f.subtype)
	for _, c := range f.cases {
		walk(c.el, f.subtype)
	}
	// Time-sliced stores without flush_interval, for tags that match no
	// case and for each case.
	variants := []*config.Element{f.template}
	for _, c := range f.cases {
		variants = append(variants, mergeElements(f.template, c.el))
	}
	for _, v := range variants {
		for _, l := range leafConfs(v, f.subtype) {
			add(lintSliceFlush(l.el, l.typ))
		}
	}
	add(r.lintBufferPaths(e, f))
	return hs
}

type leafConf struct {
	el  *config.Element
	typ string
}

// leafConfs lists the output sections of a forest instance configuration:
// the section itself, or its <store>s (recursively) for copy.
func leafConfs(el *config.Element, typ string) []leafConf {
	if typ != "copy" {
		return []leafConf{{el, typ}}
	}
	var out []leafConf
	for _, st := range el.Children("store") {
		t, _ := st.Type()
		out = append(out, leafConfs(st, t)...)
	}
	return out
}

// lintBufferPaths finds tags accepted by the forest's <match> whose
// instances would use the same buffer_path (or one a static output uses):
// buf_file's registry is process-wide, so the second plant fails and drops
// every event of that tag (T39). Sample tags fill each `*` with "a" or "b",
// each `**` with "a", "b" or "a.b" (or nothing after a dot), and each
// {x,y} with its alternatives; the paths come from the real expansion.
func (r *Router) lintBufferPaths(e *entry, f *forest) []Hazard {
	type owner struct {
		tag string
		pos config.Pos
	}
	used := map[string]owner{}
	for _, o := range r.outputs {
		if o.PlantTag == "" && o.BufferPath != "" {
			used[o.BufferPath] = owner{"", o.Conf.Pos}
		}
	}
	var hs []Hazard
	reported := map[config.Pos]bool{}
	for _, pat := range e.pats {
		for _, tag := range sampleTags(pat.String()) {
			if !pat.Match(tag) {
				continue
			}
			sub := f.subTag(tag)
			conf, _ := f.spec(sub)
			for _, l := range leafConfs(conf, f.subtype) {
				p := l.el.Param("buffer_path")
				if p == nil || !strings.EqualFold(bufferTypeOf(l.el, l.typ), "file") {
					continue
				}
				prev, dup := used[p.Value]
				if !dup {
					used[p.Value] = owner{tag, p.ValuePos}
					continue
				}
				if reported[p.ValuePos] || (prev.tag == tag && prev.pos == p.ValuePos) {
					continue
				}
				reported[p.ValuePos] = true
				other := "a static output (" + prev.pos.String() + ")"
				if prev.tag != "" {
					other = "tag " + prev.tag
				}
				if prev.tag == tag {
					other = "another store of the same instance (" + prev.pos.String() + ")"
				}
				hs = append(hs, Hazard{Code: "buffer-path-collision", Pos: p.ValuePos, Message: fmt.Sprintf(
					"buffer_path %s: tag %s (accepted by <match %s>) gets buffer_path %s, which %s already uses; whichever is planted second fails (\"already use same buffer_path\") and drops every event of its tag until fluentd restarts (T39)",
					p.Raw, tag, e.el.Arg, p.Value, other)})
			}
		}
	}
	return hs
}

// bufferTypeOf is an output section's buffer_type with the v0.12 default
// (file for s3 and tdlog, memory otherwise).
func bufferTypeOf(el *config.Element, typ string) string {
	if v, ok := el.Get("buffer_type"); ok {
		return v
	}
	if typ == "s3" || typ == "tdlog" {
		return "file"
	}
	return "memory"
}

// sampleTags expands a glob pattern into tags it may accept (at most 256).
func sampleTags(pattern string) []string {
	tags := []string{""}
	grow := func(alts ...string) {
		var next []string
		for _, t := range tags {
			for _, a := range alts {
				if len(next) < 256 {
					next = append(next, t+a)
				}
			}
		}
		tags = next
	}
	for i := 0; i < len(pattern); {
		switch {
		case strings.HasPrefix(pattern[i:], ".**") && i+3 == len(pattern):
			grow("", ".a", ".b", ".a.b")
			i += 3
		case strings.HasPrefix(pattern[i:], "**"):
			grow("a", "b", "a.b")
			i += 2
		case pattern[i] == '*':
			grow("a", "b")
			i++
		case pattern[i] == '{':
			end := strings.IndexByte(pattern[i:], '}')
			if end < 0 {
				grow(pattern[i:])
				i = len(pattern)
				continue
			}
			grow(strings.Split(pattern[i+1:i+end], ",")...)
			i += end + 1
		default:
			grow(pattern[i : i+1])
			i++
		}
	}
	return tags
}

func lintFlushConf(el *config.Element, typ string) []Hazard {
	p := el.Param("flush_interval")
	if p == nil {
		return nil
	}
	return lintFlush(el, typ, timeValue(p.Value))
}

// lintSliceFlush reports a time-sliced output (s3, file) without
// flush_interval: v0.12 flushes each time slice only when it has ended
// plus time_slice_wait (default 10m), so with the default %Y%m%d slices a
// record can wait 24h10m.
func lintSliceFlush(el *config.Element, typ string) []Hazard {
	if (typ != "s3" && typ != "file") || el.Param("flush_interval") != nil {
		return nil
	}
	format, wait := "%Y%m%d", 10*time.Minute
	if v, ok := el.Get("time_slice_format"); ok {
		format = v
	}
	if p := el.Param("time_slice_wait"); p != nil {
		wait = timeValue(p.Value)
	}
	slice := sliceLength(format)
	if slice+wait <= LongFlush {
		return nil
	}
	return []Hazard{{Code: "long-flush", Pos: el.Pos, Message: fmt.Sprintf(
		"%s output without flush_interval flushes a time slice only after it ends plus time_slice_wait (time_slice_format %s: %s slices, time_slice_wait %s): records reach %s up to %s after they arrive, and file buffers are not flushed at shutdown; devenv's local config sets flush_interval",
		typ, format, shortDuration(slice), shortDuration(wait), typ, shortDuration(slice+wait))}}
}

// sliceLength is the length of the time slices a strftime format makes:
// its finest time field.
func sliceLength(format string) time.Duration {
	has := func(conv string) bool {
		for _, c := range conv {
			if strings.Contains(format, "%"+string(c)) {
				return true
			}
		}
		return false
	}
	switch {
	case has("STsr"):
		return time.Second
	case has("MR"):
		return time.Minute
	case has("HIkl"):
		return time.Hour
	case has("deajAuwDF"):
		return 24 * time.Hour
	case has("mbBh"):
		return 31 * 24 * time.Hour
	}
	return 366 * 24 * time.Hour
}

// shortDuration prints d without zero units ("24h10m", "1h", "10m").
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func lintFlush(el *config.Element, typ string, d time.Duration) []Hazard {
	if d <= LongFlush {
		return nil
	}
	pos, shown, wait := el.Pos, d.String(), d.String()
	if p := el.Param("flush_interval"); p != nil {
		pos, shown = p.ValuePos, p.Value
		if plainTime.MatchString(p.Value) {
			wait = p.Value
		}
	}
	return []Hazard{{Code: "long-flush", Pos: pos, Message: fmt.Sprintf(
		"%s flush_interval %s: records reach %s up to %s after they arrive (counted from when the instance was planted, not from the hour), and file buffers are not flushed at shutdown; devenv's local config shortens it",
		typ, shown, typ, wait)}}
}
