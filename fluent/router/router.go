// Package router routes fluentd events through a parsed configuration with
// fluentd v0.12's semantics (shared/spec/fluentd-semantics.md §1.5 and §4),
// as pure computation: no network, no timers, no clock, no os.Hostname.
//
// New builds a Router from a config tree (package config). Route takes one
// event and returns its Journey: the filters applied, the re-tags, and
// either the Deliveries (one per concrete output instance, with the record
// exactly as that output serialises it) or the Drops with their kind.
//
// Supported plugins: source forward; filter parser and record_transformer;
// match rewrite_tag_filter, forest, copy, s3, tdlog, stdout, null, file.
// Any other type is an error from New naming the plugin and its line.
//
// The Router is stateful the way fluentd is: forest plants one instance per
// tag on first use, buf_file's process-wide buffer_path registry is never
// cleared, and a failed plant is retried (and fails again) on every event.
// The emulator plugs its network start-up (S3 bucket check, TD table
// creation) in with WithStart so that a failing start poisons the tag as in
// production. A Router is safe for concurrent use.
package router

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/glob"
)

// Option configures New.
type Option func(*Router)

// WithHostname sets what `hostname` / Socket.gethostname return (forest's
// ${hostname}, rewrite_tag_filter's __HOSTNAME__, s3's %{hostname}).
// Default "localhost".
func WithHostname(h string) Option { return func(r *Router) { r.hostname = h } }

// WithLocation sets the fluentd process's local time zone (TZ); default UTC.
func WithLocation(loc *time.Location) Option { return func(r *Router) { r.loc = loc } }

// WithStart sets the hook called when an output instance starts: at New
// for outputs outside forest, at plant time for forest instances (in store
// order). An error fails the plant exactly as an exception in `start`
// does. Default: every start succeeds.
func WithStart(f func(*Output) error) Option { return func(r *Router) { r.start = f } }

// WithV1 routes with fluentd v1's `<match /regexp/>` patterns (spec
// §1.4). Without it, patterns are v0.12 globs only.
func WithV1() Option { return func(r *Router) { r.v1 = true } }

// maxEmitDepth bounds re-emission chains: a deeper one is a routing loop,
// dropped with DropError (fluentd itself recurses until its stack
// overflows).
const maxEmitDepth = 32

// Router routes events. Create it with New.
type Router struct {
	hostname string               // WithHostname
	loc      *time.Location       // WithLocation
	start    func(*Output) error  // WithStart
	v1       bool                 // WithV1
	mu       sync.Mutex           // guards everything below and plugin state
	root     *pipeline            // the root router
	labels   map[string]*pipeline // <label @NAME>
	sources  []Source             // <source> sections
	paths    map[string]string    // buf_file registry: buffer_path → plugin type
	outputs  []*Output            // every instance created so far, in order
	noMatch  int                  // NoMatchMatch's occurrence counter
	pending  []int                // copy chains' buffered deliveries (emitCtx.buffered), a reused stack
}

type pipeline struct {
	name    string
	entries []*entry
	cache   map[string]*resolved
}

type entry struct {
	detail string // el.String(), for steps
	filter bool
	pats   glob.List
	el     *config.Element
	typ    string
	f      filterPlugin
	o      outputPlugin
}

type resolved struct {
	filters []*entry
	match   *entry
}

// filterPlugin applies a <filter>. It returns false when the event was
// dropped (and recorded the drop).
type filterPlugin interface {
	filter(c *emitCtx, e *event) bool
}

// outputPlugin receives an event at a <match>, <store> or forest instance.
type outputPlugin interface {
	emit(c *emitCtx, e *event)
}

// event is an event in flight. raw is set instead of rec when a filter
// produced a non-Hash record (filter_parser with a JSON array, …).
type event struct {
	tag  string
	time EventTime
	rec  record.Record
	raw  any
}

type emitCtx struct {
	r     *Router
	p     *pipeline
	j     *Journey
	depth int
	// inChain is set while the stores of a copy chain are emitted: the
	// indices in j.Deliveries of the buffered records they append are
	// pushed on r.pending, so that an exception later in the chain takes
	// them back.
	inChain bool
}

func (c *emitCtx) drop(kind record.DropKind, tag, plugin string, pos config.Pos, format string, args ...any) {
	c.j.Drops = append(c.j.Drops, Drop{Kind: kind, Tag: tag, Plugin: plugin, Pos: pos, Reason: fmt.Sprintf(format, args...)})
}

func (c *emitCtx) step(s Step) { c.j.Steps = append(c.j.Steps, s) }

// New builds a router from a parsed config (the ROOT element). Errors are
// *config.Error values naming file:line:col: unknown directives, unknown
// plugin types, bad parameters, regexps Go cannot run.
func New(root *config.Element, opts ...Option) (*Router, error) {
	r := &Router{}
	for _, o := range opts {
		o(r)
	}
	if r.hostname == "" {
		r.hostname = "localhost"
	}
	if r.loc == nil {
		r.loc = time.UTC
	}
	if r.start == nil {
		r.start = func(*Output) error { return nil }
	}
	r.paths = map[string]string{}
	r.labels = map[string]*pipeline{}
	r.root = &pipeline{name: "", cache: map[string]*resolved{}}
	for _, el := range root.Elements {
		switch el.Name {
		case "source":
			s, err := r.newSource(el)
			if err != nil {
				return nil, err
			}
			r.sources = append(r.sources, s)
		case "system":
			// log_level etc.: no routing effect
		case "label":
			name := el.Arg
			if !strings.HasPrefix(name, "@") {
				return nil, config.Errorf(el.Pos, "label name %q must start with '@'", name)
			}
			if _, dup := r.labels[name]; dup {
				return nil, config.Errorf(el.Pos, "duplicated label %s", name)
			}
			p := &pipeline{name: name, cache: map[string]*resolved{}}
			r.labels[name] = p
			for _, sub := range el.Elements {
				if sub.Name != "match" && sub.Name != "filter" {
					return nil, config.Errorf(sub.Pos, "unknown directive <%s> inside %s: only <filter> and <match> are allowed", sub.Name, el)
				}
				if err := r.addEntry(p, sub); err != nil {
					return nil, err
				}
			}
		case "match", "filter":
			if err := r.addEntry(r.root, el); err != nil {
				return nil, err
			}
		default:
			return nil, config.Errorf(el.Pos, "unknown directive <%s>: expected <source>, <match>, <filter>, <label> or <system>", el.Name)
		}
	}
	for _, s := range r.sources {
		if s.Label != "" && s.Label != "@ERROR" {
			if _, ok := r.labels[s.Label]; !ok {
				return nil, config.Errorf(s.Pos, "@label %s: no <label %s> is defined", s.Label, s.Label)
			}
		}
	}
	return r, nil
}

func (r *Router) newSource(el *config.Element) (Source, error) {
	typ, tp := el.Type()
	if tp == nil {
		return Source{}, config.Errorf(el.Pos, "missing '@type' parameter on <source> directive")
	}
	s := Source{Type: typ, Pos: el.Pos}
	if l, ok := el.Get("@label"); ok {
		s.Label = l
	}
	switch typ {
	case "forward":
		s.Port, s.Bind = 24224, "0.0.0.0"
		if p := el.Param("port"); p != nil {
			var port int
			if _, err := fmt.Sscanf(p.Value, "%d", &port); err != nil || port < 0 || port > 65535 {
				return Source{}, config.Errorf(p.ValuePos, "invalid port %q", p.Value)
			}
			s.Port = port
		}
		if b, ok := el.Get("bind"); ok {
			s.Bind = b
		}
	default:
		return Source{}, config.Errorf(tp.ValuePos, "unsupported input plugin %q (supported: forward)", typ)
	}
	return s, nil
}

func (r *Router) addEntry(p *pipeline, el *config.Element) error {
	typ, tp := el.Type()
	if tp == nil {
		return config.Errorf(el.Pos, "missing '@type' parameter on <%s> directive", el.Name)
	}
	pats := glob.CompileList(el.Arg)
	if r.v1 {
		var err error
		if pats, err = glob.CompileListV1(el.Arg); err != nil {
			return config.Errorf(el.Pos, "<%s>: %v", el.Name, err)
		}
	}
	e := &entry{filter: el.Name == "filter", pats: pats, el: el, typ: typ, detail: el.String()}
	var err error
	if e.filter {
		e.f, err = r.newFilter(typ, tp, el)
	} else {
		e.o, err = r.newOutput(typ, tp, el, "", true)
	}
	if err != nil {
		return err
	}
	p.entries = append(p.entries, e)
	return nil
}

func (r *Router) newFilter(typ string, tp *config.Param, el *config.Element) (filterPlugin, error) {
	switch typ {
	case "parser":
		return r.newParserFilter(el)
	case "record_transformer":
		return r.newRecordTransformer(el)
	}
	return nil, config.Errorf(tp.ValuePos, "unsupported filter plugin %q (supported: parser, record_transformer)", typ)
}

// newOutput builds an output plugin. plantTag is the forest tag ("" when
// static); static outputs are started immediately.
func (r *Router) newOutput(typ string, tp *config.Param, el *config.Element, plantTag string, static bool) (outputPlugin, error) {
	switch typ {
	case "rewrite_tag_filter":
		return r.newRewriteTagFilter(el)
	case "forest":
		return r.newForest(el)
	case "copy":
		return r.newCopy(el, plantTag, static)
	case "s3", "tdlog", "file", "stdout", "null":
		o, err := r.newLeaf(typ, el, plantTag)
		if err != nil {
			return nil, err
		}
		if static {
			if err := r.start(o.out); err != nil {
				return nil, config.Errorf(el.Pos, "start %s output: %v", typ, err)
			}
		}
		return o, nil
	}
	pos := el.Pos
	if tp != nil {
		pos = tp.ValuePos
	}
	return nil, config.Errorf(pos, "unsupported output plugin %q (supported: %s)", typ, strings.Join(outputTypes, ", "))
}

// outputTypes are the output plugins newOutput builds.
var outputTypes = []string{"rewrite_tag_filter", "forest", "copy", "s3", "tdlog", "stdout", "null", "file"}

func isOutputType(typ string) bool { return slices.Contains(outputTypes, typ) }

// Sources returns the configured inputs.
func (r *Router) Sources() []Source { return append([]Source(nil), r.sources...) }

// Outputs returns every output instance created so far (static ones from
// New, then forest instances in plant order).
func (r *Router) Outputs() []*Output {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Output(nil), r.outputs...)
}

// Hostname returns the hostname the router was built with.
func (r *Router) Hostname() string { return r.hostname }

// Location returns the router's time zone.
func (r *Router) Location() *time.Location { return r.loc }

// Route sends ev into the root router and returns its journey.
func (r *Router) Route(ev Event) Journey {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.routeIn(r.root, ev)
}

// Labels returns the names of the config's <label> sections (with their
// "@"), sorted.
func (r *Router) Labels() []string {
	return sortedKeys(r.labels)
}

// RouteLabel sends ev into <label name> (as a source with `@label name`
// does). It fails if the label does not exist.
func (r *Router) RouteLabel(name string, ev Event) (Journey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.labels[name]
	if !ok {
		return Journey{}, fmt.Errorf("route to label %s: no such label", name)
	}
	return r.routeIn(p, ev), nil
}

func (r *Router) routeIn(p *pipeline, ev Event) Journey {
	j := Journey{Input: ev, Steps: make([]Step, 0, 8), Deliveries: make([]Delivery, 0, 2)}
	c := &emitCtx{r: r, p: p, j: &j}
	// fluentd mutates records in place (s3's include_time_key, tdlog's
	// "time"); work on a copy so the caller's record is untouched.
	r.emit(c, &event{tag: ev.Tag, time: ev.Time, rec: ev.Record.Clone()})
	return j
}

func (p *pipeline) resolve(tag string) *resolved {
	if res, ok := p.cache[tag]; ok {
		return res
	}
	res := &resolved{}
	for _, e := range p.entries {
		if !e.pats.Match(tag) {
			continue
		}
		if e.filter {
			res.filters = append(res.filters, e)
			continue
		}
		res.match = e
		break
	}
	if len(p.cache) > 4096 {
		clear(p.cache)
	}
	p.cache[tag] = res
	return res
}

// emit routes e from the top of c's pipeline.
func (r *Router) emit(c *emitCtx, e *event) {
	if c.depth > maxEmitDepth {
		c.drop(record.DropError, e.tag, "", config.Pos{}, "re-emitted more than %d times: routing loop", maxEmitDepth)
		return
	}
	if len(e.tag) > maxTagLen {
		c.drop(record.DropError, e.tag[:64]+"…", "", config.Pos{}, "re-emitted tag is longer than %d bytes: routing loop", maxTagLen)
		return
	}
	res := c.p.resolve(e.tag)
	for _, f := range res.filters {
		if !f.f.filter(c, e) {
			return
		}
		c.step(Step{Kind: StepFilter, Plugin: f.typ, Pos: f.el.Pos, Tag: e.tag})
	}
	if res.match == nil {
		// NoMatchMatch logs only the 1st, 2nd, 4th, 8th… occurrence
		// (process-wide), then every 512th.
		c.r.noMatch++
		n := c.r.noMatch
		if (n < 512 && n&(n-1) == 0) || n%512 == 0 {
			c.drop(record.DropWarning, e.tag, "", config.Pos{}, "no patterns matched tag=%q", e.tag)
		} else {
			c.drop(record.DropSilent, e.tag, "", config.Pos{}, "no patterns matched tag=%q (occurrence %d is not logged: fluentd logs the 1st, 2nd, 4th, 8th… then every 512th)", e.tag, n)
		}
		return
	}
	c.step(Step{Kind: StepMatch, Plugin: res.match.typ, Pos: res.match.el.Pos, Tag: e.tag, Detail: res.match.detail})
	res.match.o.emit(c, e)
}

// maxTagLen bounds tags built by re-emission (a capture that expands
// __TAG__ doubles the tag on every loop).
const maxTagLen = 64 << 10

// reemit routes e with a new tag from the top of the same pipeline.
// A re-emitted event starts a chain of its own: what it delivers is not
// taken back by a failure of the stores after the re-emitting one.
func (c *emitCtx) reemit(e *event) {
	c.depth++
	inChain := c.inChain
	c.inChain = false
	c.r.emit(c, e)
	c.inChain = inChain
	c.depth--
}

// nonHash reports the TypeError a Hash-indexing plugin raises on a non-Hash
// record: the emit transaction fails and in_forward closes the connection.
func (c *emitCtx) nonHash(e *event, plugin string, pos config.Pos) bool {
	if e.raw == nil {
		return false
	}
	c.drop(record.DropConnectionClosed, e.tag, plugin, pos,
		"emit transaction failed: TypeError (%s record is not a Hash); in_forward logs \"forward error\" and closes the connection", rubyClass(e.raw))
	return true
}

func rubyClass(v any) string {
	switch v.(type) {
	case []any:
		return "Array"
	case string:
		return "String"
	case int64, uint64, record.BigInt:
		return "Integer"
	case float64:
		return "Float"
	case bool:
		return "Boolean"
	}
	return "non-Hash"
}
