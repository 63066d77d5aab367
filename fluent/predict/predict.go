// Package predict says where fluentd delivers what it receives: each
// event's journey through a fluent.conf (fluent/router) with every delivery's
// destination resolved, the S3 bucket and object key, the Treasure Data
// database and table, the file path. It is the one code path behind
// `devenv routes` and `devenv verify`, so that what verify waits for at the
// fakes is exactly what routes prints.
package predict

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/docker"
	"github.com/devenv-sh/devenv/fluent/router"
)

// Config names a fluentd configuration and what it is evaluated with.
type Config struct {
	// FS holds the configuration; Name is its path in FS, which positions
	// in messages name.
	FS   fs.FS
	Name string
	// Env is what "#{ENV['X']}" reads (the process environment never is).
	Env map[string]string
	// ConfigDir is the folder fluentd reads the config from: absolute
	// @include paths under it are read next to Name.
	ConfigDir string
	// Hostname is fluentd's hostname (${hostname}, %{hostname}).
	Hostname string
	// Location is fluentd's zone (time slices, time_format); nil is UTC.
	Location *time.Location
	// V1 reads the config with fluentd v1's syntax differences.
	V1 bool
}

// Load parses the configuration and builds its router. A parse error says
// "parse fluentd config", a semantic one "load fluentd config"; both carry
// file:line:col.
func Load(c Config) (*router.Router, error) {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	popts := []config.Option{config.WithEnv(c.Env), config.WithConfigDir(c.ConfigDir)}
	ropts := []router.Option{router.WithHostname(c.Hostname), router.WithLocation(loc)}
	if c.V1 {
		popts = append(popts, config.WithV1(c.Hostname))
		ropts = append(ropts, router.WithV1())
	}
	root, err := config.Parse(c.FS, c.Name, popts...)
	if err != nil {
		return nil, fmt.Errorf("parse fluentd config: %w", err)
	}
	r, err := router.New(root, ropts...)
	if err != nil {
		return nil, fmt.Errorf("load fluentd config: %w", err)
	}
	return r, nil
}

// ErrLabel is wrapped by EntryLabel's errors.
var ErrLabel = errors.New("entry label")

// LabelError says why EntryLabel cannot choose the label records enter.
type LabelError struct {
	// Missing is the label asked for that the config lacks ("" when the
	// sources disagree instead).
	Missing string
	Labels  []string
	// Sources are the labels the config's sources send to, each with the
	// sources' positions, when they disagree.
	Sources []string
}

func (e *LabelError) Error() string {
	if e.Missing != "" {
		return fmt.Sprintf("the config has no <label %s> (labels: %s)", e.Missing, strings.Join(e.Labels, ", "))
	}
	return "the config's sources send to different labels: " + strings.Join(e.Sources, "; ")
}

func (e *LabelError) Unwrap() error { return ErrLabel }

// EntryLabel is the label records enter: label if given (it must exist),
// else the @label shared by every source of the config ("" = the root).
func EntryLabel(r *router.Router, label string) (string, error) {
	if label != "" {
		if !slices.Contains(r.Labels(), label) {
			return "", &LabelError{Missing: label, Labels: r.Labels()}
		}
		return label, nil
	}
	labels := map[string][]string{}
	var order []string
	for _, src := range r.Sources() {
		if _, ok := labels[src.Label]; !ok {
			order = append(order, src.Label)
		}
		labels[src.Label] = append(labels[src.Label], src.Pos.String())
	}
	switch len(order) {
	case 0:
		return "", nil
	case 1:
		return order[0], nil
	}
	e := &LabelError{}
	for _, l := range order {
		name := l
		if name == "" {
			name = "the root"
		}
		e.Sources = append(e.Sources, fmt.Sprintf("%s (%s)", name, strings.Join(labels[l], ", ")))
	}
	return "", e
}

// Predictor routes events into one entry label of a router.
type Predictor struct {
	r     *router.Router
	label string
}

// New returns a predictor routing into label ("" = the root), which
// EntryLabel chose.
func New(r *router.Router, label string) *Predictor {
	return &Predictor{r: r, label: label}
}

// Router is the router the predictor routes with.
func (p *Predictor) Router() *router.Router { return p.r }

// Prediction is one event's journey with each delivery's destination.
type Prediction struct {
	Journey router.Journey
	// Targets are the destinations of Journey.Deliveries, in order.
	Targets []Target
}

// Target is where one delivery is written.
type Target struct {
	// Bucket and Key for s3: the key of the first object of the time
	// slice (%{index} 0), flushed at the event time. KeyPrefix is the
	// part of Key that does not depend on how many objects the slice
	// already has, nor on the chunk (%{index}, %{hex_random}).
	Bucket, Key, KeyPrefix string
	// Database and Table for tdlog.
	Database, Table string
	// Path for file: the path of the slice's first file.
	Path string
	// Err says why the destination cannot be computed (an invalid TD
	// name, a duplicated S3 path).
	Err error
}

// Route routes one event.
func (p *Predictor) Route(ev router.Event) Prediction {
	var j router.Journey
	if p.label == "" {
		j = p.r.Route(ev)
	} else {
		// New's label came from EntryLabel: it exists.
		j, _ = p.r.RouteLabel(p.label, ev)
	}
	pr := Prediction{Journey: j}
	for _, d := range j.Deliveries {
		pr.Targets = append(pr.Targets, Resolve(d, p.r.Location()))
	}
	return pr
}

// Resolve computes where a delivery is written, in fluentd's zone loc.
func Resolve(d router.Delivery, loc *time.Location) Target {
	var t Target
	switch {
	case d.Output.S3 != nil:
		c := d.Output.S3
		t.Bucket = c.Bucket
		now := d.Time.Time(loc)
		none := func(string) (bool, error) { return false, nil }
		t.Key, t.Err = c.NextObjectKey(now, d.TimeSlice, nil, none)
		// The key's fixed part: where keys that differ in index and
		// chunk id stop agreeing.
		a := c.ObjectKey(now, d.TimeSlice, 0, []byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})
		b := c.ObjectKey(now, d.TimeSlice, 1, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		n := 0
		for n < len(a) && n < len(b) && a[n] == b[n] {
			n++
		}
		t.KeyPrefix = a[:n]
	case d.Output.TD != nil:
		t.Database, t.Table, t.Err = d.Output.TD.Target(d.Tag)
	case d.Output.File != nil:
		t.Path = d.Output.File.FilePath(d.TimeSlice, 0)
	}
	return t
}

// DockerTag renders the tag log-opt of Docker's fluentd log driver (a
// literal or a template such as docker.{{.Name}}; "" is the driver's
// default, {{.ID}}) for a container, as the Docker daemon does.
func DockerTag(tmpl string, c docker.Container) (string, error) {
	return docker.Tag(tmpl, docker.TagInfo{Container: c, DaemonName: "docker"})
}

// DockerLine predicts what happens to one line container c wrote on source
// (stdout or stderr; the line without its newline) when Docker's fluentd
// driver sends it with tag (DockerTag's) at time t: the driver's record,
// or its partial records (sharing partialID) for a line over 16 KiB, each
// routed.
func (p *Predictor) DockerLine(tag string, c docker.Container, source, line, partialID string, t router.EventTime) []Prediction {
	var out []Prediction
	for _, rec := range docker.Records(c, source, line, partialID) {
		out = append(out, p.Route(router.Event{Tag: tag, Time: t, Record: rec}))
	}
	return out
}
