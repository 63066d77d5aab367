package router

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/glob"
)

// forest is fluent-plugin-forest v0.3.3 (spec §4.3): one sub-output per
// tag, planted on first use from <template> plus the first matching <case>.
type forest struct {
	el           *config.Element
	subtype      string
	subtypePos   config.Pos
	template     *config.Element
	cases        []forestCase
	removePrefix string
	addPrefix    string
	hostname     string
	escapeSep    string
	planted      map[string]*plantedOutput
}

type forestCase struct {
	pat *glob.Pattern
	el  *config.Element
}

type plantedOutput struct {
	out     outputPlugin
	leaves  []*Output
	missing []string
	detail  string // Step detail for later events
}

// leafLister is implemented by outputs that own leaf instances (copy and
// the leaves themselves).
type leafLister interface {
	leafOutputs() []*Output
}

func (r *Router) newForest(el *config.Element) (*forest, error) {
	sp := el.Param("subtype")
	if sp == nil {
		return nil, config.Errorf(el.Pos, "forest: 'subtype' parameter is required")
	}
	switch sp.Value {
	case "copy", "s3", "tdlog", "file", "stdout", "null":
	default:
		return nil, config.Errorf(sp.ValuePos, "forest: unsupported subtype %q (supported: copy, s3, tdlog, file, stdout, null)", sp.Value)
	}
	f := &forest{el: el, subtype: sp.Value, subtypePos: sp.ValuePos, hostname: r.hostname, escapeSep: "_",
		planted: map[string]*plantedOutput{}}
	f.removePrefix, _ = el.Get("remove_prefix")
	f.addPrefix, _ = el.Get("add_prefix")
	if h, ok := el.Get("hostname"); ok {
		f.hostname = h
	}
	if s, ok := el.Get("escape_tag_separator"); ok {
		f.escapeSep = s
	}
	f.template = &config.Element{Name: "instance", Pos: el.Pos}
	for _, sec := range el.Elements {
		switch sec.Name {
		case "template":
			// `@template = element`: the last <template> is the one used.
			f.template = mergeElements(&config.Element{Name: "instance", Pos: el.Pos}, sec)
		case "case", "pattern":
			if sec.Arg == "" {
				return nil, config.Errorf(sec.Pos, "forest: %s needs a tag pattern", sec)
			}
			f.cases = append(f.cases, forestCase{pat: glob.Compile(sec.Arg), el: sec})
		default:
			return nil, config.Errorf(sec.Pos, "forest: unknown section %s (expected <template> or <case>)", sec)
		}
	}
	// Instances are built per tag, on the first event; check now what can
	// be checked so an unsupported store plugin fails at load (fluentd
	// would fail every plant and drop every event with an error).
	if f.subtype == "copy" {
		for _, sec := range el.Elements {
			if err := checkStores(sec); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// checkStores checks the <store> sections of a copy configuration (and
// of copies nested in it): each needs a type devenv supports. A type made
// of placeholders is only known at plant time and is skipped.
func checkStores(el *config.Element) error {
	for _, st := range el.Children("store") {
		typ, tp := st.Type()
		if tp == nil {
			return config.Errorf(st.Pos, "Missing 'type' parameter on <store> directive")
		}
		if strings.Contains(typ, "${") || strings.Contains(typ, "__") {
			continue
		}
		if !isOutputType(typ) {
			return config.Errorf(tp.ValuePos, "unsupported output plugin %q in %s/<store> (supported: %s)", typ, el, strings.Join(outputTypes, ", "))
		}
		if typ == "copy" {
			if err := checkStores(st); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeElements is forest's `matched_case + conf` (fluentd's Element#+):
// over's parameters replace base's of the same key (base's order, new keys
// appended); the children are over's first, then base's, except that a
// base child with the same name and non-empty arg as one of over's is
// removed.
func mergeElements(base, over *config.Element) *config.Element {
	out := &config.Element{Name: base.Name, Arg: base.Arg, Pos: base.Pos}
	out.Params = append(out.Params, base.Params...)
	for _, p := range over.Params {
		replaced := false
		for i := range out.Params {
			if out.Params[i].Key == p.Key {
				out.Params[i] = p
				replaced = true
			}
		}
		if !replaced {
			out.Params = append(out.Params, p)
		}
	}
	out.Elements = append(out.Elements, over.Elements...)
	for _, bc := range base.Elements {
		replaced := false
		for _, c := range over.Elements {
			if c.Arg != "" && bc.Name == c.Name && bc.Arg == c.Arg {
				replaced = true
				break
			}
		}
		if !replaced {
			out.Elements = append(out.Elements, bc)
		}
	}
	return out
}

// spec returns the resolved configuration forest uses for tag: template
// merged with the first matching case, placeholders expanded in every
// value (recursively), not in section args. Missing tag parts are listed
// in missing (forest logs "missing placeholder" for each).
func (f *forest) spec(tag string) (el *config.Element, missing []string) {
	conf := f.template
	for _, c := range f.cases {
		if c.pat.Match(tag) {
			conf = mergeElements(conf, c.el)
			break
		}
	}
	return f.expandElement(conf, tag, &missing), missing
}

func (f *forest) expandElement(el *config.Element, tag string, missing *[]string) *config.Element {
	out := &config.Element{Name: el.Name, Arg: el.Arg, Pos: el.Pos}
	out.Params = make([]config.Param, len(el.Params))
	for i, p := range el.Params {
		p.Value = f.expand(p.Value, tag, missing)
		out.Params[i] = p
	}
	for _, c := range el.Elements {
		out.Elements = append(out.Elements, f.expandElement(c, tag, missing))
	}
	return out
}

var forestTagParts = regexp.MustCompile(`(\$\{tag_parts\[(-?\d+)(?:(\.\.\.?)(-?\d+))?\]\}|__TAG_PARTS\[(-?\d+)(?:(\.\.\.?)(-?\d+))?\]__)`)

// expand applies forest's placeholders in its order: tag_parts, escaped
// tag, tag, hostname.
func (f *forest) expand(s, tag string, missing *[]string) string {
	if !strings.Contains(s, "${") && !strings.Contains(s, "__") {
		return s
	}
	parts := rubySplit(tag, ".")
	s = forestTagParts.ReplaceAllStringFunc(s, func(ph string) string {
		m := forestTagParts.FindStringSubmatch(ph)
		a, op, b := m[2], m[3], m[4]
		if m[5] != "" {
			a, op, b = m[5], m[6], m[7]
		}
		ai, _ := strconv.Atoi(a)
		if op == "" {
			i := ai
			if i < 0 {
				i += len(parts)
			}
			if i < 0 || i >= len(parts) {
				*missing = append(*missing, ph)
				return ""
			}
			return parts[i]
		}
		bi, _ := strconv.Atoi(b)
		lo, hi := ai, bi
		if lo < 0 {
			lo += len(parts)
		}
		if hi < 0 {
			hi += len(parts)
		}
		if op == "..." {
			hi--
		}
		if lo < 0 || lo > len(parts) {
			*missing = append(*missing, ph)
			return ""
		}
		hi = min(hi, len(parts)-1)
		if hi < lo {
			return ""
		}
		return strings.Join(parts[lo:hi+1], ".")
	})
	escaped := strings.ReplaceAll(tag, ".", f.escapeSep)
	s = strings.ReplaceAll(s, "__ESCAPED_TAG__", escaped)
	s = strings.ReplaceAll(s, "${escaped_tag}", escaped)
	s = strings.ReplaceAll(s, "__TAG__", tag)
	s = strings.ReplaceAll(s, "${tag}", tag)
	s = strings.ReplaceAll(s, "__HOSTNAME__", f.hostname)
	s = strings.ReplaceAll(s, "${hostname}", f.hostname)
	return s
}

func (f *forest) subTag(tag string) string {
	if f.removePrefix != "" {
		switch {
		case tag == f.removePrefix:
			tag = ""
		case strings.HasPrefix(tag, f.removePrefix+"."):
			tag = tag[len(f.removePrefix)+1:]
		}
	}
	if f.addPrefix != "" {
		if tag == "" {
			tag = f.addPrefix
		} else {
			tag = f.addPrefix + "." + tag
		}
	}
	return tag
}

// plant configures and starts the sub-output for tag. Failures are not
// cached (fluentd retries on every event), but buffer paths registered by
// a failed plant stay registered.
func (f *forest) plant(c *emitCtx, tag string) (p *plantedOutput, fresh bool, err error) {
	if p, ok := f.planted[tag]; ok {
		return p, false, nil
	}
	conf, missing := f.spec(tag)
	conf.Name = "instance"
	out, err := c.r.newOutput(f.subtype, nil, conf, tag, false)
	if err != nil {
		return nil, false, err
	}
	ll, _ := out.(leafLister)
	var leaves []*Output
	if ll != nil {
		leaves = ll.leafOutputs()
	}
	for _, o := range leaves {
		if err := c.r.start(o); err != nil {
			return nil, false, fmt.Errorf("start %s output %s: %w", o.Type, o.ID, err)
		}
	}
	p = &plantedOutput{out: out, leaves: leaves, missing: missing}
	p.detail = f.subtype + " instance for tag " + tag
	if len(missing) > 0 {
		p.detail += " (warn: out_forest: missing placeholder " + strings.Join(missing, ", ") + ")"
	}
	f.planted[tag] = p
	c.r.outputs = append(c.r.outputs, leaves...)
	return p, true, nil
}

func (f *forest) emit(c *emitCtx, e *event) {
	tag := f.subTag(e.tag)
	p, fresh, err := f.plant(c, tag)
	if err != nil {
		c.drop(record.DropError, e.tag, "forest", f.el.Pos,
			"failed to configure sub output %s: %v; Cannot output messages with tag '%s'", f.subtype, err, tag)
		return
	}
	detail := p.detail
	if fresh {
		detail = "planted " + detail
	}
	c.step(Step{Kind: StepPlant, Plugin: "forest", Pos: f.el.Pos, Tag: tag, Detail: detail})
	orig := e.tag
	e.tag = tag
	p.out.emit(c, e)
	e.tag = orig
}
