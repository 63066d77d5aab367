package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/netip"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v4"
)

// Error is one problem in devenv.yaml, located by line and key path.
type Error struct {
	File string
	Line int
	Path string // e.g. "images[1].build.context"
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Msg)
}

// document is devenv.yaml as written. Keys are camelCase.
type document struct {
	Project     string                       `yaml:"project"`
	TaskDefs    []string                     `yaml:"taskdefs"`
	Output      string                       `yaml:"output"`
	BindAddress string                       `yaml:"bindAddress"`
	Fluentd     *fluentdDoc                  `yaml:"fluentd"`
	Images      []imageDoc                   `yaml:"images"`
	Hosts       map[string]string            `yaml:"hosts"`
	Secrets     map[string]map[string]string `yaml:"secrets"`
	Environment map[string]map[string]string `yaml:"environment"`
	Volumes     map[string]string            `yaml:"volumes"`
	Fakes       []string                     `yaml:"fakes"`
	Services    map[string]serviceDoc        `yaml:"services"`
	NotSecret   map[string][]string          `yaml:"notSecret"`
	Verify      *verifyDoc                   `yaml:"verify"`
}

// verifyDoc is the verify section.
type verifyDoc struct {
	Events   []string     `yaml:"events"`
	Endpoint *endpointDoc `yaml:"endpoint"`
	Metric   *metricDoc   `yaml:"metric"`
}

type endpointDoc struct {
	Service string `yaml:"service"`
	Path    string `yaml:"path"`
}

type metricDoc struct {
	Name string   `yaml:"name"`
	Tags []string `yaml:"tags"`
}

type serviceDoc struct {
	Name        string          `yaml:"name"`
	Ports       map[string]int  `yaml:"ports"`
	HealthCheck *healthCheckDoc `yaml:"healthCheck"`
}

// healthCheckDoc is an ECS task definition's healthCheck, as written there.
type healthCheckDoc struct {
	Command     []string `yaml:"command"`
	Interval    *int     `yaml:"interval"`
	Timeout     *int     `yaml:"timeout"`
	Retries     *int     `yaml:"retries"`
	StartPeriod *int     `yaml:"startPeriod"`
}

type fluentdDoc struct {
	Config        string `yaml:"config"`
	Service       string `yaml:"service"`
	MountPath     string `yaml:"mountPath"`
	FlushInterval string `yaml:"flushInterval"`
}

type imageDoc struct {
	Match    string    `yaml:"match"`
	Build    *buildDoc `yaml:"build"`
	Go       string    `yaml:"go"`
	StandIn  string    `yaml:"standIn"`
	Pull     bool      `yaml:"pull"`
	Fallback string    `yaml:"fallback"`
}

type buildDoc struct {
	Context    string            `yaml:"context"`
	Dockerfile string            `yaml:"dockerfile"`
	Target     string            `yaml:"target"`
	Args       map[string]string `yaml:"args"`
}

var (
	projectName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	envName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	serviceName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
)

// Parse decodes and validates devenv.yaml. file names the source in errors.
// Every problem found is returned, joined; each is an *Error.
func Parse(file string, data []byte) (Local, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Local{}, &Error{File: file, Msg: fmt.Sprintf("parse yaml: %s", strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	l := Default()
	l.File = file
	if root.Kind == 0 || len(root.Content) == 0 {
		return l, nil // empty file: all defaults
	}
	doc := root.Content[0]
	p := &parser{file: file, root: doc}
	p.checkKeys(doc, reflect.TypeFor[document](), "")
	if len(p.errs) > 0 {
		return Local{}, errors.Join(p.errs...)
	}
	var d document
	if err := doc.Decode(&d); err != nil {
		return Local{}, typeErrors(file, err)
	}
	p.validate(&d, &l)
	if len(p.errs) > 0 {
		return Local{}, errors.Join(p.errs...)
	}
	l.lines = map[string]int{}
	keyLines(doc, nil, l.lines)
	return l, nil
}

// keyLines records the line of every mapping key and sequence item below
// n, keyed by its path (keys joined by lineSep, items as "[i]").
func keyLines(n *yaml.Node, at []string, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := append(slices.Clip(at), n.Content[i].Value)
			lines[strings.Join(k, lineSep)] = n.Content[i].Line
			keyLines(n.Content[i+1], k, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			k := append(slices.Clip(at), fmt.Sprintf("[%d]", i))
			lines[strings.Join(k, lineSep)] = c.Line
			keyLines(c, k, lines)
		}
	}
}

// typeErrors turns the YAML decoder's type errors (a *yaml.LoadErrors,
// one "cannot construct !!int `3` into []string" at line 3 per problem,
// whose own message joins them) into one *Error per problem, with its
// line.
func typeErrors(file string, err error) error {
	var errs []error
	if le := (*yaml.LoadErrors)(nil); errors.As(err, &le) {
		for _, p := range le.Errors {
			msg := p.Message
			if p.ContextMsg != "" {
				msg = p.ContextMsg + ": " + msg
			}
			errs = append(errs, &Error{File: file, Line: p.Mark.Line, Msg: strings.Replace(msg, "cannot construct", "wrong type: cannot use", 1)})
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	// Any other error: one problem a line, "line 3: ..." where it has one.
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(l, "yaml: "))
		if l == "" || strings.HasSuffix(l, "errors:") {
			continue
		}
		e := &Error{File: file, Msg: l}
		var n int
		if _, scanErr := fmt.Sscanf(l, "line %d:", &n); scanErr == nil {
			e.Line = n
			e.Msg = strings.TrimSpace(l[strings.Index(l, ":")+1:])
		}
		e.Msg = strings.Replace(e.Msg, "cannot construct", "wrong type: cannot use", 1)
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		return &Error{File: file, Msg: err.Error()}
	}
	return errors.Join(errs...)
}

type parser struct {
	file string
	root *yaml.Node
	errs []error
}

func (p *parser) errorf(keys []string, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: p.line(keys), Path: joinPath(keys), Msg: fmt.Sprintf(format, args...)})
}

// line finds the line of the node at keys ("images", "[1]", "build").
func (p *parser) line(keys []string) int {
	n := p.root
	line := n.Line
	for _, k := range keys {
		switch {
		case n.Kind == yaml.SequenceNode && strings.HasPrefix(k, "["):
			var i int
			fmt.Sscanf(k, "[%d]", &i)
			if i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
		case n.Kind == yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					next = n.Content[i+1]
					line = n.Content[i].Line
				}
			}
			if next == nil {
				return line
			}
			n = next
			continue
		default:
			return line
		}
		line = n.Line
	}
	return line
}

func joinPath(keys []string) string {
	var b strings.Builder
	for _, k := range keys {
		if !strings.HasPrefix(k, "[") && b.Len() > 0 {
			b.WriteByte('.')
		}
		if strings.ContainsAny(k, ".:/ ") && !strings.HasPrefix(k, "[") {
			k = fmt.Sprintf("%q", k)
		}
		b.WriteString(k)
	}
	return b.String()
}

// checkKeys reports every mapping key that the target type does not know,
// and keys given twice.
func (p *parser) checkKeys(n *yaml.Node, t reflect.Type, at string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.AliasNode:
		p.checkKeys(n.Alias, t, at)
	case yaml.MappingNode:
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			where := key
			if at != "" {
				where = at + "." + key
			}
			if seen[key] {
				p.errs = append(p.errs, &Error{File: p.file, Line: k.Line, Path: where, Msg: "key given twice"})
				continue
			}
			seen[key] = true
			switch t.Kind() {
			case reflect.Struct:
				f, ok := fieldByTag(t, key)
				if !ok {
					p.errs = append(p.errs, &Error{File: p.file, Line: k.Line, Path: where, Msg: fmt.Sprintf("unknown key (known: %s)", strings.Join(tagNames(t), ", "))})
					continue
				}
				p.checkKeys(v, f.Type, where)
			case reflect.Map:
				p.checkKeys(v, t.Elem(), where)
			}
		}
	case yaml.SequenceNode:
		if t.Kind() == reflect.Slice {
			for i, c := range n.Content {
				p.checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", at, i))
			}
		}
	}
}

func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if strings.Split(f.Tag.Get("yaml"), ",")[0] == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func tagNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		names = append(names, strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0])
	}
	sort.Strings(names)
	return names
}

func (p *parser) validate(d *document, l *Local) {
	if d.Project != "" {
		if !projectName.MatchString(d.Project) {
			p.errorf([]string{"project"}, "%q is not a valid Compose project name: use lowercase letters, digits, '-' and '_', starting with a letter or digit", d.Project)
		}
		l.Project = d.Project
	}
	if d.TaskDefs != nil {
		if len(d.TaskDefs) == 0 {
			p.errorf([]string{"taskdefs"}, "list at least one task definition file or folder")
		}
		for i, t := range d.TaskDefs {
			if t == "" {
				p.errorf([]string{"taskdefs", fmt.Sprintf("[%d]", i)}, "empty path")
			}
		}
		l.TaskDefs = d.TaskDefs
	}
	if d.Output != "" {
		l.Output = d.Output
	}
	if d.BindAddress != "" {
		if _, err := netip.ParseAddr(d.BindAddress); err != nil {
			p.errorf([]string{"bindAddress"}, "%q is not an IP address (use 127.0.0.1, or 0.0.0.0 to expose the stack to your network)", d.BindAddress)
		}
		l.BindAddress = d.BindAddress
	}
	if d.Fluentd != nil {
		p.fluentd(d.Fluentd, &l.Fluentd)
	}
	for i, img := range d.Images {
		l.Images = append(l.Images, p.image(i, img))
	}
	for _, k := range slices.Sorted(maps.Keys(d.Hosts)) {
		at := []string{"hosts", k}
		host, port, err := parseHostPort(k)
		if err != nil || host == "" {
			p.errorf(at, "want a production host name with an optional port, like fluentd.example.com:24224: %v", err)
			continue
		}
		svc, sport, err := parseHostPort(d.Hosts[k])
		if err != nil || !serviceName.MatchString(svc) {
			p.errorf(at, "want a local service name with an optional port, like fluentd or fluentd:24224, got %q", d.Hosts[k])
			continue
		}
		l.Hosts = append(l.Hosts, HostRule{Host: host, Port: port, Service: svc, ServicePort: sport})
	}
	sortHosts(l.Hosts)
	l.Secrets = Secrets{}
	for _, c := range slices.Sorted(maps.Keys(d.Secrets)) {
		for _, n := range slices.Sorted(maps.Keys(d.Secrets[c])) {
			if !envName.MatchString(n) {
				p.errorf([]string{"secrets", c, n}, "not a valid environment variable name")
				continue
			}
			l.Secrets.set(c, n, d.Secrets[c][n], SourceConfig)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(d.Environment)) {
		for _, n := range slices.Sorted(maps.Keys(d.Environment[c])) {
			if !envName.MatchString(n) {
				p.errorf([]string{"environment", c, n}, "not a valid environment variable name")
			}
		}
	}
	l.Environment = d.Environment
	for _, c := range slices.Sorted(maps.Keys(d.NotSecret)) {
		for i, n := range d.NotSecret[c] {
			if !envName.MatchString(n) {
				p.errorf([]string{"notSecret", c, fmt.Sprintf("[%d]", i)}, "%q is not a valid environment variable name", n)
				continue
			}
			if l.NotSecret == nil {
				l.NotSecret = map[string]map[string]bool{}
			}
			if l.NotSecret[c] == nil {
				l.NotSecret[c] = map[string]bool{}
			}
			l.NotSecret[c][n] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(d.Volumes)) {
		if d.Volumes[k] == "" {
			p.errorf([]string{"volumes", k}, "empty local path: give a folder, relative to the project or absolute")
		}
	}
	l.Volumes = d.Volumes
	p.services(d.Services, l)
	if d.Verify != nil {
		p.verify(d.Verify, &l.Verify)
	}
	seen := map[string]bool{}
	for i, f := range d.Fakes {
		at := []string{"fakes", fmt.Sprintf("[%d]", i)}
		switch {
		case !validStandIn(f) || f == string(StandInFluentd):
			p.errorf(at, "unknown fake %q (known: fake-s3, fake-td, datadog-stub)", f)
		case seen[f]:
			p.errorf(at, "%q listed twice", f)
		default:
			seen[f] = true
			l.Fakes = append(l.Fakes, StandIn(f))
		}
	}
}

var (
	taskName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	portKey  = regexp.MustCompile(`^([0-9]{1,5})(/(tcp|udp))?$`)
)

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535
}

// services validates the services section: "family/container" → a local
// service name and host ports for container ports.
func (p *parser) services(d map[string]serviceDoc, l *Local) {
	names := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(d)) {
		at := []string{"services", k}
		family, container, ok := strings.Cut(k, "/")
		if !ok || !taskName.MatchString(family) || !taskName.MatchString(container) {
			p.errorf(at, "want <task family>/<container name>, like api-server/web")
			continue
		}
		sd := d[k]
		r := ServiceRule{Family: family, Container: container, Name: sd.Name}
		if sd.Name != "" {
			if !serviceName.MatchString(sd.Name) {
				p.errorf(append(at, "name"), "%q is not a Compose service name: use letters, digits, '-', '_' and '.', starting with a letter or digit", sd.Name)
			} else if prev, dup := names[sd.Name]; dup {
				p.errorf(append(at, "name"), "%q is also the name of %s: give each service its own", sd.Name, prev)
			}
			names[sd.Name] = k
		}
		for _, pk := range slices.Sorted(maps.Keys(sd.Ports)) {
			m := portKey.FindStringSubmatch(pk)
			host := sd.Ports[pk]
			switch {
			case m == nil || !validPort(m[1]):
				p.errorf(append(at, "ports", pk), "want a container port (1-65535), optionally with /tcp or /udp, like 8080 or 8125/udp")
				continue
			case host < 1 || host > 65535:
				p.errorf(append(at, "ports", pk), "host port %d must be a number from 1 to 65535", host)
				continue
			}
			proto := m[3]
			if proto == "" {
				proto = "tcp"
			}
			if r.Ports == nil {
				r.Ports = map[string]int{}
			}
			r.Ports[m[1]+"/"+proto] = host
		}
		if sd.HealthCheck != nil {
			r.HealthCheck = p.healthCheck(append(at, "healthCheck"), sd.HealthCheck)
		}
		if sd.Name == "" && len(sd.Ports) == 0 && sd.HealthCheck == nil {
			p.errorf(at, "give a name, ports, a healthCheck, or several of them")
			continue
		}
		if l.Services == nil {
			l.Services = map[string]ServiceRule{}
		}
		l.Services[k] = r
	}
}

// healthCheckCommands are the first elements of a health check command
// that ECS accepts.
var healthCheckCommands = []string{"CMD", "CMD-SHELL", "NONE"}

// healthCheck validates a services entry's healthCheck as ECS validates a
// task definition's: the command starts with CMD, CMD-SHELL or NONE, and
// each time is in ECS's range.
func (p *parser) healthCheck(at []string, d *healthCheckDoc) *HealthCheck {
	hc := &HealthCheck{Command: d.Command, Interval: d.Interval, Timeout: d.Timeout, Retries: d.Retries, StartPeriod: d.StartPeriod, Line: p.line(at)}
	key := func(k string) []string { return append(slices.Clone(at), k) }
	switch {
	case len(d.Command) == 0:
		p.errorf(key("command"), `missing: give the check as in an ECS task definition, e.g. ["CMD", "/app", "-healthcheck"] or ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]`)
	case !slices.Contains(healthCheckCommands, d.Command[0]):
		p.errorf(append(key("command"), "[0]"), "%q: start the command with CMD (run it directly), CMD-SHELL (run it in the container's shell) or NONE (no health check), as in ECS", d.Command[0])
	case d.Command[0] != "NONE" && len(d.Command) == 1:
		p.errorf(key("command"), "%s runs nothing: give the command after it, e.g. [%q, \"/app\", \"-healthcheck\"]", d.Command[0], d.Command[0])
	}
	for _, r := range []struct {
		key      string
		v        *int
		min, max int
		unit     string
	}{
		{"interval", d.Interval, 5, 300, " seconds"},
		{"timeout", d.Timeout, 2, 60, " seconds"},
		{"retries", d.Retries, 1, 10, ""},
		{"startPeriod", d.StartPeriod, 0, 300, " seconds"},
	} {
		if r.v != nil && (*r.v < r.min || *r.v > r.max) {
			p.errorf(key(r.key), "%d is out of range: ECS accepts %d to %d%s", *r.v, r.min, r.max, r.unit)
		}
	}
	return hc
}

func (p *parser) fluentd(d *fluentdDoc, f *Fluentd) {
	at := func(k string) []string { return []string{"fluentd", k} }
	if d.Config != "" {
		if c := path.Clean(d.Config); !fs.ValidPath(c) || c == "." {
			p.errorf(at("config"), "%q: give the production fluent.conf as a path inside the project, e.g. fluentd/fluent.conf", d.Config)
		} else {
			f.Config = c
		}
	}
	if d.Service != "" {
		if !serviceName.MatchString(d.Service) {
			p.errorf(at("service"), "%q is not a service name: give the container that runs fluentd, e.g. fluentd", d.Service)
		}
		f.Service = d.Service
	}
	if d.MountPath != "" {
		if !path.IsAbs(d.MountPath) || path.Clean(d.MountPath) != d.MountPath || d.MountPath == "/" {
			p.errorf(at("mountPath"), "%q: give the absolute path of the config file inside the container, e.g. %s", d.MountPath, DefaultFluentdMountPath)
		}
		f.MountPath = d.MountPath
	}
	if d.Config == "" {
		for _, k := range []struct{ key, value string }{{"service", d.Service}, {"mountPath", d.MountPath}} {
			if k.value != "" {
				p.errorf(at(k.key), "has no effect without fluentd.config: name the production fluent.conf too")
			}
		}
	}
	if d.FlushInterval != "" {
		dur, err := time.ParseDuration(d.FlushInterval)
		if err != nil || dur <= 0 {
			p.errorf(at("flushInterval"), "%q is not a positive duration such as 1s or 500ms", d.FlushInterval)
		}
		f.FlushInterval = dur
	}
}

func (p *parser) image(i int, img imageDoc) ImageRule {
	at := []string{"images", fmt.Sprintf("[%d]", i)}
	r := ImageRule{Match: img.Match}
	if img.Match == "" {
		p.errorf(append(at, "match"), "missing: name the image repository (delish-server, datadog/docker-dd-agent), a registry or a glob (*.dkr.ecr.*.amazonaws.com/*)")
	} else if strings.ContainsAny(img.Match, ":@ ") && !strings.Contains(img.Match, "/") {
		p.errorf(append(at, "match"), "%q: give the repository without tag or digest", img.Match)
	} else if err := CheckGlob(img.Match); err != nil {
		p.errorf(append(at, "match"), "%q is not a valid glob: %v (* is any characters, / included; ? one character; [a-z] one of a set, [!a-z] one not in it)", img.Match, err)
	}
	var actions []string
	if img.Build != nil {
		actions = append(actions, "build")
		r.Action = ActionBuild
		r.Build = &Build{Context: img.Build.Context, Dockerfile: img.Build.Dockerfile, Target: img.Build.Target, Args: img.Build.Args}
		if img.Build.Context == "" {
			p.errorf(append(at, "build", "context"), "missing: give the folder to build, relative to the project")
		}
	}
	if img.Go != "" {
		actions = append(actions, "go")
		r.Action = ActionGo
		r.GoPackage = img.Go
		if !strings.HasPrefix(img.Go, "./") || strings.HasPrefix(path.Clean(img.Go), "..") {
			p.errorf(append(at, "go"), "%q: give a Go main package as a relative path starting with ./", img.Go)
		}
	}
	if img.StandIn != "" {
		actions = append(actions, "standIn")
		r.Action = ActionStandIn
		r.StandIn = StandIn(img.StandIn)
		if !validStandIn(img.StandIn) {
			p.errorf(append(at, "standIn"), "unknown stand-in %q (known: datadog-stub, fake-s3, fake-td, fluentd)", img.StandIn)
		}
	}
	if img.Pull {
		actions = append(actions, "pull")
		r.Action = ActionPull
	}
	switch len(actions) {
	case 0:
		p.errorf(at, "say what to run instead: one of build, go, standIn or pull: true")
	case 1:
	default:
		p.errorf(at, "give only one of build, go, standIn, pull (got %s)", strings.Join(actions, ", "))
	}
	if img.Fallback != "" {
		r.Fallback = StandIn(img.Fallback)
		switch {
		case r.Action != ActionBuild && r.Action != ActionGo:
			p.errorf(append(at, "fallback"), "a fallback only applies to build or go rules")
		case !validStandIn(img.Fallback):
			p.errorf(append(at, "fallback"), "unknown stand-in %q (known: datadog-stub, fake-s3, fake-td, fluentd)", img.Fallback)
		}
	}
	return r
}

// metricName is what DogStatsD takes as a metric name.
var metricName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]*$`)

func (p *parser) verify(d *verifyDoc, v *Verify) {
	seen := map[string]bool{}
	for i, e := range d.Events {
		at := []string{"verify", "events", fmt.Sprintf("[%d]", i)}
		switch {
		case strings.TrimSpace(e) == "" || strings.ContainsAny(e, " \t\n"):
			p.errorf(at, "%q: give an event type, such as click", e)
		case seen[e]:
			p.errorf(at, "%q listed twice", e)
		default:
			seen[e] = true
			v.Events = append(v.Events, e)
		}
	}
	if e := d.Endpoint; e != nil {
		if e.Service != "" && !serviceName.MatchString(e.Service) {
			p.errorf([]string{"verify", "endpoint", "service"}, "%q is not a service name: give the service that logs the events, e.g. api-server", e.Service)
		}
		if e.Path != "" && (!strings.HasPrefix(e.Path, "/") || strings.ContainsAny(e.Path, " ?#")) {
			p.errorf([]string{"verify", "endpoint", "path"}, "%q: give the HTTP path that takes an event as a JSON body, e.g. /events", e.Path)
		}
		v.Endpoint = Endpoint{Service: e.Service, Path: e.Path}
	}
	if m := d.Metric; m != nil {
		if !metricName.MatchString(m.Name) {
			p.errorf([]string{"verify", "metric", "name"}, "%q: give the DogStatsD metric the application counts each event with, e.g. app.event", m.Name)
		}
		for i, t := range m.Tags {
			if t == "" || strings.ContainsAny(t, " ,|") {
				p.errorf([]string{"verify", "metric", "tags", fmt.Sprintf("[%d]", i)}, "%q: give a tag as key:value, %s for the event type, e.g. event_type:%s", t, MetricEventPlaceholder, MetricEventPlaceholder)
			}
		}
		v.Metric = &Metric{Name: m.Name, Tags: m.Tags}
	}
}
