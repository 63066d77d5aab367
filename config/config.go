// Package config reads devenv's local settings file, devenv.yaml, and the
// git-ignored .devenv/secrets.env. It decodes strictly (an unknown key is an
// error naming file, line and key path) and validates into a Local value.
// It never reads files or the process environment itself: callers pass bytes.
package config

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by Parse when devenv.yaml leaves a setting out.
const (
	DefaultFile          = "devenv.yaml"
	DefaultSecretsFile   = ".devenv/secrets.env"
	DefaultOutput        = "docker-compose.gen.yaml"
	DefaultTaskDefs      = "taskdefs"
	DefaultProject       = "devenv"
	DefaultBindAddress   = "127.0.0.1"
	DefaultFlushInterval = time.Second
	DefaultVolumesDir    = ".devenv/volumes"
	// DefaultFluentdService is the service whose fluentd configuration
	// devenv rewrites when devenv.yaml names a config but no service.
	DefaultFluentdService = "fluentd"
	// DefaultFluentdMountPath is where the fluent/fluentd images read their
	// configuration (FLUENTD_CONF under /fluentd/etc).
	DefaultFluentdMountPath = "/fluentd/etc/fluent.conf"
	// FluentdLocalDir holds the local copy of fluentd's configuration
	// (git-ignored, written by devenv generate).
	FluentdLocalDir = ".devenv/fluentd"
)

// StandIn names a service devenv provides in place of a production image or
// cloud endpoint.
type StandIn string

// The stand-ins devenv ships.
const (
	StandInFakeS3      StandIn = "fake-s3"      // fake Amazon S3
	StandInFakeTD      StandIn = "fake-td"      // fake Treasure Data import API
	StandInDatadogStub StandIn = "datadog-stub" // DogStatsD and agent intake stub
	StandInFluentd     StandIn = "fluentd"      // devenv's fluentd emulator
	// StandInPause holds a task's shared namespaces (devenv pause); devenv
	// adds it by itself, so it is not a choice in devenv.yaml.
	StandInPause StandIn = "pause"
)

// Ports the fakes listen on inside the stack, and publish on the bind
// address so that tests on the host can inspect them.
const (
	FakeS3Port        = 4566 // S3 API and /_devenv/ (devenv fake s3)
	FakeTDPort        = 8081 // Treasure Data import and API endpoints, /_devenv/ (devenv fake td)
	DatadogStatsDPort = 8125 // DogStatsD, UDP (devenv fake datadog)
	DatadogAPMPort    = 8126 // trace intake and /_devenv/ (devenv fake datadog)
)

// StandInBinary is where every stand-in image (devenv/<stand-in>:local,
// FROM scratch) holds the devenv binary, which is its ENTRYPOINT. The
// stand-ins' health checks run it too (devenv healthcheck URL): the images
// have no shell or curl.
const StandInBinary = "/devenv"

// StandInDataDir is where the fakes (fake-s3, fake-td, datadog-stub) keep
// what they received inside their containers (--data-dir), on the named
// volume <service>-data: it survives devenv down, and down -v removes it.
const StandInDataDir = "/data"

// StandIns lists every valid StandIn, sorted.
var StandIns = []StandIn{StandInDatadogStub, StandInFakeS3, StandInFakeTD, StandInFluentd}

// ImageAction says what the local stack runs instead of a production image.
type ImageAction string

// The image actions.
const (
	ActionBuild   ImageAction = "build"   // docker build of a local context
	ActionGo      ImageAction = "go"      // a Go main package built into a FROM scratch image
	ActionStandIn ImageAction = "standIn" // a devenv stand-in
	ActionPull    ImageAction = "pull"    // the image itself, pulled or already present
)

// Build is a Dockerfile build: the context folder, relative to the project
// directory, and optionally the Dockerfile, target stage and build args.
type Build struct {
	Context    string
	Dockerfile string
	Target     string
	Args       map[string]string
}

// ImageRule maps production images whose repository matches Match to a local
// image. Exactly one of Build, GoPackage, StandIn applies, per Action.
type ImageRule struct {
	// Match names the images the rule applies to: a repository's last path
	// element ("delish-server"), its path without registry
	// ("datadog/docker-dd-agent") or with it, a whole registry
	// ("123456789012.dkr.ecr.ap-northeast-1.amazonaws.com": every image in
	// it), or a glob over any of these ("shop-*",
	// "*.dkr.ecr.*.amazonaws.com/*"; see MatchImage).
	Match     string
	Action    ImageAction
	Build     *Build  // ActionBuild
	GoPackage string  // ActionGo: a package path relative to the project, e.g. ./cmd/api
	StandIn   StandIn // ActionStandIn
	// Fallback is the stand-in `devenv up` runs when a Build or Go image
	// cannot be built on this machine (for example the fluentd emulator).
	Fallback StandIn
}

// HostRule maps a production host name (and optionally port) to a local
// service (and optionally its container port).
type HostRule struct {
	Host        string
	Port        int // 0: any port
	Service     string
	ServicePort int // 0: the same port as production
}

// Local is the validated content of devenv.yaml, possibly merged with
// .devenv/secrets.env (see WithSecretsEnv).
type Local struct {
	// File is the name devenv.yaml was read from, for messages.
	File string
	// Project is the Compose project name.
	Project string
	// TaskDefs lists task definition files or folders, relative to the project.
	TaskDefs []string
	// Output is the generated Compose file, relative to the project.
	Output string
	// BindAddress is the host address published ports bind to.
	BindAddress string
	// Fluentd says which service runs fluentd with which configuration,
	// and how the local copy of that configuration differs.
	Fluentd Fluentd
	// Images are tried in order; the first match wins.
	Images []ImageRule
	// Hosts, sorted by Host then Port.
	Hosts []HostRule
	// Secrets holds stand-in values for secrets and secret-looking variables.
	Secrets Secrets
	// Environment overrides plain environment values: container name (or
	// "*" for every container) → variable → value.
	Environment map[string]map[string]string
	// NotSecret lists, per container name (or "*"), plain environment
	// variables whose names look secret but whose values are not (say
	// S3_KEY_PREFIX): they keep their production value. Values that look
	// like credentials themselves (AWS access key ids, JWTs, PEM private
	// keys, Slack tokens) are replaced whatever the name.
	NotSecret map[string]map[string]bool
	// Volumes maps a task volume name, or a production host path, to a
	// local host path: a bind of that folder stands in for the task volume,
	// whatever its kind.
	Volumes map[string]string
	// Fakes are stand-ins added to the stack as services of their own.
	Fakes []StandIn
	// Services holds per-container local choices, keyed by
	// "<family>/<container>": another service name (to resolve names used
	// by two task definitions), other host ports (to resolve host port
	// collisions, including awsvpc tasks, whose host port is their
	// container port in production) and a health check.
	Services map[string]ServiceRule
	// Verify says what devenv verify sends through the running stack.
	Verify Verify
	// lines maps key paths of devenv.yaml (joined by lineSep) to their
	// line, for errors found after parsing (see Line).
	lines map[string]int
}

const lineSep = "\x00"

// Line returns the line of the devenv.yaml key at keys ("secrets", "api",
// "DB_PASSWORD"; "images", "[1]"), or 0 when it is unknown: no file, or
// no such key in it.
func (l Local) Line(keys ...string) int { return l.lines[strings.Join(keys, lineSep)] }

// Verify is the verify section of devenv.yaml: the event types devenv
// verify sends one sample of each through the running stack, how it sends
// them, and the metric the application counts them with.
type Verify struct {
	// Events are the event types, in order (none: devenv verify needs
	// --event).
	Events []string
	// Endpoint is where samples are sent.
	Endpoint Endpoint
	// Metric is the metric the application counts each event with, in
	// the Datadog stub (nil: none is checked).
	Metric *Metric
}

// Endpoint is the application service that logs the events and, with Path,
// the HTTP path it takes them on (POST, the sample as a JSON body).
type Endpoint struct {
	// Service is the Compose service ("": the one service that logs
	// through Docker's fluentd driver).
	Service string
	// Path is the HTTP path ("": the samples go straight to fluentd over
	// the forward protocol, as Docker's fluentd driver sends the
	// service's lines).
	Path string
}

// Metric names a DogStatsD metric and its tags; "{event}" in a tag stands
// for the event type.
type Metric struct {
	Name string
	Tags []string
}

// MetricEventPlaceholder is what a Metric tag's event type is written as.
const MetricEventPlaceholder = "{event}"

// ServiceRule is one entry of the services section of devenv.yaml.
type ServiceRule struct {
	Family    string
	Container string
	// Name is the Compose service name ("" keeps the container name).
	Name string
	// Ports maps "containerPort/protocol" ("8080/tcp") to the host port
	// published locally.
	Ports map[string]int
	// HealthCheck replaces the container's health check, or adds one
	// where production has none (nil: production's).
	HealthCheck *HealthCheck
}

// HealthCheck is a health check in the shape of an ECS task definition's
// healthCheck, validated as ECS does: Command starts with CMD, CMD-SHELL or
// NONE; times are seconds (interval 5-300, timeout 2-60, startPeriod
// 0-300) and retries 1-10, nil meaning ECS's default.
type HealthCheck struct {
	Command     []string
	Interval    *int
	Timeout     *int
	Retries     *int
	StartPeriod *int
	// Line is the line of the healthCheck key in devenv.yaml, for the
	// deviation report.
	Line int
}

// ServiceName returns the Compose service name of a task's container.
func (l Local) ServiceName(family, container string) string {
	if r, ok := l.Services[family+"/"+container]; ok && r.Name != "" {
		return r.Name
	}
	return container
}

// Default returns the settings used when there is no devenv.yaml.
func Default() Local {
	return Local{
		File:        DefaultFile,
		Project:     DefaultProject,
		TaskDefs:    []string{DefaultTaskDefs},
		Output:      DefaultOutput,
		BindAddress: DefaultBindAddress,
		Fluentd: Fluentd{
			Service:       DefaultFluentdService,
			MountPath:     DefaultFluentdMountPath,
			FlushInterval: DefaultFlushInterval,
		},
	}
}

// Fluentd is the fluentd section of devenv.yaml: the production
// configuration file that the local stack runs a rewritten copy of (S3 and
// Treasure Data outputs pointed at the fakes, flush intervals shortened).
type Fluentd struct {
	// Config is the production fluent.conf, relative to the project
	// ("fluentd/fluent.conf"); "" means no local copy is made.
	Config string
	// Service is the Compose service (ECS container) running fluentd.
	Service string
	// MountPath is where that container reads Config; the local copy is
	// mounted there read-only.
	MountPath string
	// FlushInterval replaces the flush intervals of the local copy.
	FlushInterval time.Duration
}

// Paths returns, for file (a path relative to the project, Config itself or
// a file it includes), where devenv writes its local copy (under
// FluentdLocalDir, at its path relative to Config's folder) and where the
// container reads it (MountPath for Config, the same relative path from
// MountPath's folder for an included file). ok
// is false for a file outside Config's folder, which devenv cannot place.
func (f Fluentd) Paths(file string) (local, container string, ok bool) {
	if f.Config == "" {
		return "", "", false
	}
	rel := file
	if dir := path.Dir(f.Config); dir != "." {
		var found bool
		rel, found = strings.CutPrefix(file, dir+"/")
		if !found {
			return "", "", false
		}
	}
	if !fs.ValidPath(rel) {
		return "", "", false
	}
	if file == f.Config {
		// The container reads the config at MountPath, whatever its name here.
		return path.Join(FluentdLocalDir, rel), f.MountPath, true
	}
	return path.Join(FluentdLocalDir, rel), path.Join(path.Dir(f.MountPath), rel), true
}

// FakeURL returns the URL at which the stack's containers reach fake f
// (fake-s3 or fake-td), or "" when f is not listed under fakes.
func (l Local) FakeURL(f StandIn) string {
	if !slices.Contains(l.Fakes, f) {
		return ""
	}
	switch f {
	case StandInFakeS3:
		return "http://" + string(f) + ":" + strconv.Itoa(FakeS3Port)
	case StandInFakeTD:
		return "http://" + string(f) + ":" + strconv.Itoa(FakeTDPort)
	}
	return ""
}

// ImageRule returns the first rule matching image, a Docker image reference
// (see MatchImage).
func (l Local) ImageRule(image string) (ImageRule, bool) {
	for _, r := range l.Images {
		if MatchImage(r.Match, image) {
			return r, true
		}
	}
	return ImageRule{}, false
}

// MatchImage reports whether an images rule's match applies to image, a
// Docker image reference; its tag or digest never matters. A match without
// glob characters is the repository's last path element, its path, its
// registry and path, or its registry alone (every image of that registry).
// A match with *, ? or [ is a glob over those same names but the registry
// alone: * is any run of characters, / included
// ("*.dkr.ecr.*.amazonaws.com/*" is every ECR image), ? one character other
// than /, [a-z] or [!a-z] one character of a set or not in it. A bad glob
// (see CheckGlob) matches nothing.
func MatchImage(match, image string) bool {
	repo := Repository(image)
	names := []string{repo.Name, repo.Path}
	if repo.Registry != "" {
		names = append(names, repo.Registry+"/"+repo.Path)
	}
	if !isGlob(match) {
		return slices.Contains(names, match) || (repo.Registry != "" && match == repo.Registry)
	}
	re, err := globRegexp(match)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(names, re.MatchString)
}

func isGlob(match string) bool { return strings.ContainsAny(match, "*?[") }

// CheckGlob returns what is wrong with match as a glob of MatchImage, or
// nil (also when it has no glob characters).
func CheckGlob(match string) error {
	if !isGlob(match) {
		return nil
	}
	_, err := globRegexp(match)
	return err
}

// globRegexp compiles a glob of MatchImage into an anchored regexp.
func globRegexp(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString("[^/]")
		case '[':
			end := strings.IndexByte(glob[i+1:], ']')
			if end < 0 {
				return nil, fmt.Errorf("the [ at character %d has no closing ]", i+1)
			}
			set := glob[i+1 : i+1+end]
			negate := strings.HasPrefix(set, "!") || strings.HasPrefix(set, "^")
			if negate {
				set = set[1:]
			}
			if set == "" {
				return nil, fmt.Errorf("the set at character %d is empty: name its characters, e.g. [a-z]", i+1)
			}
			for j := 0; j < len(set); j++ {
				if j+2 < len(set) && set[j+1] == '-' && set[j] > set[j+2] {
					return nil, fmt.Errorf("the range %s at character %d runs backwards: write %c-%c", set[j:j+3], i+1, set[j+2], set[j])
				}
			}
			b.WriteString("[")
			if negate {
				b.WriteString("^")
			}
			b.WriteString(strings.NewReplacer(`\`, `\\`, "[", `\[`, "^", `\^`).Replace(set))
			b.WriteString("]")
			i += end + 1
		case ']':
			return nil, fmt.Errorf("the ] at character %d closes no [", i+1)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// ECRLogin returns the command that logs Docker in to the ECR registry of
// image (aws ecr get-login-password --region R | docker login ...), and
// false when image is not in an ECR registry.
func ECRLogin(image string) (string, bool) {
	if !IsECR(image) {
		return "", false
	}
	registry := Repository(image).Registry
	parts := strings.Split(registry, ".")
	region := parts[min(3, len(parts)-1)]
	return "aws ecr get-login-password --region " + region + " | docker login --username AWS --password-stdin " + registry, true
}

// HostRule returns the rule for host:port, preferring a rule naming the port.
func (l Local) HostRule(host string, port int) (HostRule, bool) {
	var any HostRule
	found := false
	for _, r := range l.Hosts {
		if !strings.EqualFold(r.Host, host) {
			continue
		}
		if r.Port == port && port != 0 {
			return r, true
		}
		if r.Port == 0 && !found {
			any, found = r, true
		}
	}
	return any, found
}

// Env returns the environment override for container and name, if any.
func (l Local) Env(container, name string) (string, bool) {
	if v, ok := l.Environment[container][name]; ok {
		return v, true
	}
	v, ok := l.Environment["*"][name]
	return v, ok
}

// IsNotSecret reports whether devenv.yaml's notSecret lists a container's variable.
func (l Local) IsNotSecret(container, name string) bool {
	return l.NotSecret[container][name] || l.NotSecret["*"][name]
}

// Volume returns the local host path for a task volume, looked up by the
// volume's name first, then by its production source path.
func (l Local) Volume(name, sourcePath string) (string, bool) {
	if v, ok := l.Volumes[name]; ok {
		return v, true
	}
	if sourcePath != "" {
		if v, ok := l.Volumes[sourcePath]; ok {
			return v, true
		}
	}
	return "", false
}

// Ref is a parsed image reference.
type Ref struct {
	Registry string // "1234.dkr.ecr.ap-northeast-1.amazonaws.com", "" for Docker Hub
	Path     string // "delish-server", "datadog/docker-dd-agent"
	Name     string // last element of Path
	Tag      string // tag or digest, without separator
}

// Repository splits an image reference into registry, path and tag.
func Repository(image string) Ref {
	var r Ref
	rest := image
	if i := strings.Index(rest, "@"); i >= 0 {
		r.Tag, rest = rest[i+1:], rest[:i]
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i:], "/") {
		if r.Tag == "" {
			r.Tag = rest[i+1:]
		}
		rest = rest[:i]
	}
	if i := strings.Index(rest, "/"); i >= 0 {
		first := rest[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			r.Registry, rest = first, rest[i+1:]
		}
	}
	r.Path = rest
	r.Name = rest[strings.LastIndex(rest, "/")+1:]
	return r
}

// IsECR reports whether image lives in an Amazon ECR registry.
func IsECR(image string) bool {
	reg := Repository(image).Registry
	return strings.Contains(reg, ".dkr.ecr.") && strings.Contains(reg, ".amazonaws.com")
}

func parseHostPort(s string) (string, int, error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return s, 0, nil
	}
	p, err := strconv.Atoi(s[i+1:])
	if err != nil || p < 1 || p > 65535 {
		return "", 0, fmt.Errorf("port %q must be a number from 1 to 65535", s[i+1:])
	}
	return s[:i], p, nil
}

func sortHosts(h []HostRule) {
	sort.Slice(h, func(i, j int) bool {
		if h[i].Host != h[j].Host {
			return h[i].Host < h[j].Host
		}
		return h[i].Port < h[j].Port
	})
}

func validStandIn(s string) bool { return slices.Contains(StandIns, StandIn(s)) }
