// Package verify proves that the running local stack delivers each event
// type where production would. For each type it sends one sample, with an
// id of its own (through the service's HTTP endpoint when devenv.yaml names
// one, else straight to fluentd over the forward protocol, as Docker's
// fluentd driver sends the service's lines); asks the route simulator
// (fluent/predict, the code path of devenv routes --docker-tag) where
// fluentd delivers the line the service logs for it (S3 bucket and key,
// Treasure Data database.table); then waits for it at each fake, and for
// the service's metric in the Datadog stub, and checks that what arrived is
// what was predicted. What did not arrive is reported as the hop where it
// stopped and why.
//
// Run finds the stack as devenv up left it: the generated Compose file,
// its containers (stack.Ps), the fakes by their stand-in and host ports. It
// reads the fakes through fakeclient only.
package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/fluent/docker"
	"github.com/devenv-sh/devenv/fluent/predict"
	"github.com/devenv-sh/devenv/stack"
)

// DefaultTimeout is how long Run waits for the samples.
const DefaultTimeout = 30 * time.Second

// Options say which project to verify and how.
type Options struct {
	// Dir is the project folder ("": the working directory).
	Dir string
	// ConfigFile is devenv.yaml's name (default config.DefaultFile); when it
	// is missing and not ConfigExplicit, built-in defaults apply.
	ConfigFile     string
	ConfigExplicit bool
	// File is the generated Compose file ("": devenv.yaml's output).
	File string
	// Events replace devenv.yaml's verify.events.
	Events []string
	// Timeout bounds the wait for the samples (default DefaultTimeout).
	Timeout time.Duration
	// Progress gets the Docker engine's progress lines (nil: discarded).
	Progress io.Writer
	// Now is the clock (default time.Now); NewID makes each sample's id
	// (default 8 random bytes in hex).
	Now   func() time.Time
	NewID func() string
	// Poll is how often the fakes are read (default 100 ms).
	Poll time.Duration
}

// Errors Run wraps, so that the caller can tell them apart.
var (
	// ErrNoEvents: neither Options.Events nor devenv.yaml's verify.events
	// name an event type.
	ErrNoEvents = errors.New("no event types to verify")
	// ErrNotRunning: the stack, or a service verify needs, is not running.
	ErrNotRunning = errors.New("the stack is not running")
	// ErrNoFake: the stack lacks a fake that a delivery goes to.
	ErrNoFake = errors.New("a fake is missing")
)

// runError is an error of one of the kinds above, with a message of its
// own.
type runError struct {
	kind error
	msg  string
}

func (e *runError) Error() string        { return e.msg }
func (e *runError) Is(target error) bool { return target == e.kind }

func errorf(kind error, format string, args ...any) error {
	return &runError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

func (o *Options) defaults() {
	if o.ConfigFile == "" {
		o.ConfigFile = config.DefaultFile
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = func() string {
			var b [8]byte
			_, _ = rand.Read(b[:])
			return hex.EncodeToString(b[:])
		}
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
}

// Run sends one sample of each event type through the running stack and
// reports where each arrived. It returns an error, and no report, when it
// cannot start: no event types (ErrNoEvents), no stack or a service of it
// not running (ErrNotRunning, saying what to start), a fake a delivery
// needs absent (ErrNoFake), an unreadable devenv.yaml or fluent.conf.
// Samples that do not arrive are the report's, not errors.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	local, err := readLocal(o)
	if err != nil {
		return nil, err
	}
	events := o.Events
	if len(events) == 0 {
		events = local.Verify.Events
	}
	if len(events) == 0 {
		return nil, errorf(ErrNoEvents, "no event types to verify: list them under verify.events in %s, or pass --event TYPE", o.ConfigFile)
	}
	st, err := openStack(ctx, o, local)
	if err != nil {
		return nil, err
	}
	defer st.eng.Close()
	return st.run(ctx, o, local, events)
}

func readLocal(o Options) (config.Local, error) {
	data, err := os.ReadFile(filepath.Join(o.Dir, o.ConfigFile))
	switch {
	case errors.Is(err, fs.ErrNotExist) && !o.ConfigExplicit:
		return config.Default(), nil
	case err != nil:
		return config.Local{}, fmt.Errorf("read settings: %w", err)
	}
	return config.Parse(o.ConfigFile, data)
}

// running is the stack as verify found it.
type running struct {
	eng  *stack.Engine
	p    *types.Project
	ctrs []stack.Container
}

// openStack loads the generated Compose file and lists its containers.
func openStack(ctx context.Context, o Options, local config.Local) (*running, error) {
	file := o.File
	if file == "" {
		file = local.Output
	}
	file = filepath.Join(o.Dir, file)
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return nil, errorf(ErrNotRunning, "no stack to verify: %s does not exist: start the stack with devenv up -d", file)
	}
	eng, err := stack.New(ctx, stack.WithOutput(o.Progress, o.Progress))
	if err != nil {
		return nil, err
	}
	p, err := eng.Load(ctx, file, "")
	if err != nil {
		eng.Close()
		return nil, err
	}
	ctrs, err := eng.Ps(ctx, p)
	if err != nil {
		eng.Close()
		return nil, err
	}
	if !slices.ContainsFunc(ctrs, func(c stack.Container) bool { return c.State == "running" }) {
		eng.Close()
		return nil, errorf(ErrNotRunning, "the stack is not running (project %s has no running container): start it with devenv up -d", p.Name)
	}
	return &running{eng: eng, p: p, ctrs: ctrs}, nil
}

// service returns the running container of a service, or an error saying
// to start the stack.
func (st *running) service(name, what string) (stack.Container, error) {
	for _, c := range st.ctrs {
		if c.Service != name {
			continue
		}
		if c.State != "running" {
			return c, errorf(ErrNotRunning, "%s (service %s) is %s: start the stack with devenv up -d", what, name, c.Status)
		}
		return c, nil
	}
	if _, ok := st.p.Services[name]; ok {
		return stack.Container{}, errorf(ErrNotRunning, "%s (service %s) has no container: start the stack with devenv up -d", what, name)
	}
	return stack.Container{}, errorf(ErrNotRunning, "project %s has no service %s (%s)", st.p.Name, name, what)
}

// standIn returns the running container of stand-in s (a fake), or an
// error saying what to add or start; for what names what needs it.
func (st *running) standIn(s config.StandIn, what string) (stack.Container, error) {
	for _, c := range st.ctrs {
		if c.StandIn != string(s) {
			continue
		}
		if c.State != "running" {
			return c, errorf(ErrNotRunning, "%s (service %s), where %s, is %s: start the stack with devenv up -d", s, c.Service, what, c.Status)
		}
		return c, nil
	}
	hint := fmt.Sprintf("list %s under fakes in devenv.yaml, then run devenv up -d", s)
	if s == config.StandInDatadogStub {
		hint = "give the Datadog agent's image a standIn: datadog-stub rule under images in devenv.yaml (or list datadog-stub under fakes), then run devenv up -d"
	}
	return stack.Container{}, errorf(ErrNoFake, "the stack has no %s, where %s: %s", s, what, hint)
}

// hostAddr returns the host address at which the container publishes
// port/proto, with an unspecified bind address turned into loopback.
func hostAddr(c stack.Container, port int, proto string) (string, bool) {
	for _, hp := range c.Ports {
		if hp.Target != port || hp.Protocol != proto {
			continue
		}
		addr := hp.Host
		if rest, ok := strings.CutPrefix(addr, "0.0.0.0:"); ok {
			addr = "127.0.0.1:" + rest
		} else if rest, ok := strings.CutPrefix(addr, "[::]:"); ok {
			addr = "127.0.0.1:" + rest
		}
		return addr, true
	}
	return "", false
}

// fakeURL is the base URL of a fake's HTTP port on the host.
func fakeURL(c stack.Container, port int) (string, error) {
	addr, ok := hostAddr(c, port, "tcp")
	if !ok {
		return "", errorf(ErrNoFake, "%s (service %s) does not publish its port %d on the host: regenerate the stack with devenv up -d", c.StandIn, c.Service, port)
	}
	return "http://" + addr, nil
}

// logsToFluentd lists the services that log through Docker's fluentd
// driver.
func logsToFluentd(p *types.Project) []string {
	var out []string
	for name, s := range p.Services {
		if s.Logging != nil && s.Logging.Driver == "fluentd" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (st *running) run(ctx context.Context, o Options, local config.Local, events []string) (*Report, error) {
	// The service whose lines carry the samples.
	svc := local.Verify.Endpoint.Service
	if svc == "" {
		names := logsToFluentd(st.p)
		if len(names) != 1 {
			return nil, fmt.Errorf("verify: %d services log through Docker's fluentd driver (%s): name the one that logs the events under verify.endpoint.service in %s", len(names), strings.Join(names, ", "), o.ConfigFile)
		}
		svc = names[0]
	}
	s, ok := st.p.Services[svc]
	if !ok {
		return nil, fmt.Errorf("verify: %s: verify.endpoint.service %s is not a service of project %s", o.ConfigFile, svc, st.p.Name)
	}
	if s.Logging == nil || s.Logging.Driver != "fluentd" {
		driver := "Docker's default"
		if s.Logging != nil && s.Logging.Driver != "" {
			driver = s.Logging.Driver
		}
		return nil, fmt.Errorf("verify: service %s does not log through Docker's fluentd driver (its logging driver is %s), so its lines never reach fluentd", svc, driver)
	}
	src, err := st.source(ctx, svc, s.Logging.Options["tag"], local.Verify.Endpoint.Path != "")
	if err != nil {
		return nil, err
	}

	// The prediction: fluentd's local configuration, environment and
	// hostname, as the running container has them.
	pred, err := st.predictor(ctx, o, local)
	if err != nil {
		return nil, err
	}

	// Where the samples enter.
	var snd sender
	if path := local.Verify.Endpoint.Path; path != "" {
		app, err := st.service(svc, "the service verify.endpoint names")
		if err != nil {
			return nil, err
		}
		addr := ""
		for _, hp := range app.Ports {
			if hp.Protocol == "tcp" {
				addr, _ = hostAddr(app, hp.Target, "tcp")
				break
			}
		}
		if addr == "" {
			return nil, fmt.Errorf("verify: service %s publishes no TCP port on the host, so verify cannot POST to %s: remove verify.endpoint.path to send over the forward protocol", svc, path)
		}
		snd = &httpSender{service: svc, url: "http://" + addr + path, client: &http.Client{}}
	} else {
		fwd, err := st.service(local.Fluentd.Service, "fluentd")
		if err != nil {
			return nil, err
		}
		port := 0
		for _, so := range pred.Router().Sources() {
			if so.Type == "forward" {
				port = so.Port
				break
			}
		}
		addr, ok := hostAddr(fwd, port, "tcp")
		if port == 0 || !ok {
			return nil, fmt.Errorf("verify: fluentd (service %s) does not publish a forward port on the host (its config's forward source: port %d): add verify.endpoint.path to send through the service", local.Fluentd.Service, port)
		}
		if snd, err = newForwardSender(addr, src); err != nil {
			return nil, err
		}
	}
	defer snd.close()

	// Plan every sample.
	fakes := map[string]string{}
	now := o.Now()
	planned := make([]Event, 0, len(events))
	for _, typ := range events {
		id := o.NewID()
		planned = append(planned, plan(pred, src, typ, id, SampleLine(typ, id, now), now))
	}
	ck, err := st.checker(planned, fakes, local, o)
	if err != nil {
		return nil, err
	}
	for i := range planned {
		for j := range planned[i].Deliveries {
			planned[i].Deliveries[j].Fake = fakes[planned[i].Deliveries[j].Type]
		}
	}
	if m := local.Verify.Metric; m != nil && local.Verify.Endpoint.Path != "" {
		for i := range planned {
			var tags []string
			for _, t := range m.Tags {
				tags = append(tags, strings.ReplaceAll(t, config.MetricEventPlaceholder, planned[i].Type))
			}
			planned[i].Metric = &Metric{Name: m.Name, Tags: tags, Stub: fakes["datadog"]}
		}
	}
	ck.fluentdLog = st.fluentdLog(local.Fluentd.Service)
	ck.baseline(ctx, planned)

	// Send, then wait.
	start := o.Now()
	for i := range planned {
		e := &planned[i]
		e.Sent = o.Now()
		if err := snd.send(ctx, e); err != nil {
			e.Stop = &Stop{Hop: HopSend, Where: snd.where(), Reason: ReasonSendFailed, Detail: err.Error()}
		}
	}
	deadline := start.Add(o.Timeout)
	for ck.poll(ctx, planned) && o.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(o.Poll):
		}
	}
	ck.classify(ctx, planned, o.Timeout)

	rep := &Report{Project: st.p.Name, Via: snd.via(), Timeout: o.Timeout, Events: planned, OK: true, Elapsed: o.Now().Sub(start)}
	for i := range rep.Events {
		finish(&rep.Events[i])
		rep.OK = rep.OK && rep.Events[i].OK
	}
	return rep, nil
}

// finish sets an event's OK and latency from its parts.
func finish(e *Event) {
	e.OK = e.Stop == nil && len(e.Deliveries) > 0
	var last time.Duration
	for _, d := range e.Deliveries {
		e.OK = e.OK && d.Arrived
		last = max(last, d.Latency)
	}
	if m := e.Metric; m != nil {
		e.OK = e.OK && m.Arrived
		last = max(last, m.Latency)
	}
	if e.OK {
		e.Latency = last
	}
}

// source is the container identity and tag that Docker's fluentd driver
// gives the service's lines. Without a running container (forward mode
// does not need one), the identity is the service's name.
func (st *running) source(ctx context.Context, svc, tagTemplate string, needRunning bool) (source, error) {
	ctr := docker.Container{ID: strings.Repeat("0", 64), Name: "/" + svc}
	c, err := st.service(svc, "the service that logs the events")
	switch {
	case err == nil:
		info, ierr := st.eng.Docker().ContainerInspect(ctx, c.Name, client.ContainerInspectOptions{})
		if ierr != nil {
			return source{}, fmt.Errorf("inspect %s: %w", c.Name, ierr)
		}
		ctr = docker.Container{ID: info.Container.ID, Name: info.Container.Name}
	case needRunning:
		return source{}, err
	}
	tag, err := predict.DockerTag(tagTemplate, ctr)
	if err != nil {
		return source{}, fmt.Errorf("service %s: logging option tag: %w", svc, err)
	}
	return source{container: ctr, tag: tag}, nil
}

// predictor loads the local copy of fluentd's configuration with the
// running fluentd's environment, hostname and zone.
func (st *running) predictor(ctx context.Context, o Options, local config.Local) (*predict.Predictor, error) {
	f := local.Fluentd
	if f.Config == "" {
		return nil, fmt.Errorf("verify: %s has no fluentd.config: verify predicts where fluentd delivers each sample from the stack's fluent.conf; name it there", o.ConfigFile)
	}
	localConf, _, _ := f.Paths(f.Config)
	if _, err := os.Stat(filepath.Join(o.Dir, localConf)); err != nil {
		return nil, errorf(ErrNotRunning, "%s (the local copy of %s) is missing: run devenv up -d, which writes it", localConf, f.Config)
	}
	c, err := st.service(f.Service, "fluentd")
	if err != nil {
		return nil, err
	}
	info, err := st.eng.Docker().ContainerInspect(ctx, c.Name, client.ContainerInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", c.Name, err)
	}
	env := map[string]string{}
	for k, v := range st.p.Services[f.Service].Environment {
		if v != nil {
			env[k] = *v
		}
	}
	loc := time.UTC
	if tz := env["TZ"]; tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	r, err := predict.Load(predict.Config{FS: os.DirFS(dirOr(o.Dir)), Name: localConf, Env: env, ConfigDir: path.Dir(f.MountPath),
		Hostname: info.Container.Config.Hostname, Location: loc})
	if err != nil {
		return nil, err
	}
	label, err := predict.EntryLabel(r, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", localConf, err)
	}
	return predict.New(r, label), nil
}

func dirOr(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// checker connects to the fakes the planned deliveries go to, and names
// them in fakes (by output type, and "datadog" for the stub).
func (st *running) checker(planned []Event, fakes map[string]string, local config.Local, o Options) (*checker, error) {
	var s3, td, dd string
	need := map[string]bool{}
	for _, e := range planned {
		for _, d := range e.Deliveries {
			need[d.Type] = true
		}
	}
	if need["s3"] {
		c, err := st.standIn(config.StandInFakeS3, "fluentd's S3 outputs write")
		if err != nil {
			return nil, err
		}
		if s3, err = fakeURL(c, config.FakeS3Port); err != nil {
			return nil, err
		}
		fakes["s3"] = c.Service
	}
	if need["tdlog"] {
		c, err := st.standIn(config.StandInFakeTD, "fluentd's Treasure Data outputs write")
		if err != nil {
			return nil, err
		}
		if td, err = fakeURL(c, config.FakeTDPort); err != nil {
			return nil, err
		}
		fakes["tdlog"] = c.Service
	}
	if local.Verify.Metric != nil && local.Verify.Endpoint.Path != "" {
		c, err := st.standIn(config.StandInDatadogStub, "the service counts "+local.Verify.Metric.Name)
		if err != nil {
			return nil, err
		}
		if dd, err = fakeURL(c, config.DatadogAPMPort); err != nil {
			return nil, err
		}
		fakes["datadog"] = c.Service
	}
	ck := newChecker(nil, nil, nil, o.Now)
	if s3 != "" {
		ck.s3 = fakeclient.NewS3(s3)
	}
	if td != "" {
		ck.td = fakeclient.NewTD(td)
	}
	if dd != "" {
		ck.dd = fakeclient.NewDatadog(dd)
	}
	return ck, nil
}

// fluentdLog reads the last lines fluentd logged.
func (st *running) fluentdLog(service string) func(ctx context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		var b strings.Builder
		if err := st.eng.Logs(ctx, st.p, &b, stack.LogOptions{Services: []string{service}, Tail: 500}); err != nil {
			return nil, err
		}
		var out []string
		for line := range strings.Lines(b.String()) {
			if _, rest, ok := strings.Cut(line, "| "); ok {
				out = append(out, strings.TrimRight(rest, "\r\n"))
			}
		}
		return out, nil
	}
}
