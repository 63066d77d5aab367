// Package stack runs a generated docker-compose.gen.yaml on the local
// Docker engine through the Compose SDK, in process: it makes the images
// devenv builds itself (go: rules, devenv's stand-ins), builds build: rules
// through Compose (falling back to a stand-in where the file says so),
// starts the project, waits for health, and stops, lists and tails it. The
// project it runs is an ordinary Compose project: `docker compose -f
// docker-compose.gen.yaml ps` sees it and `docker compose down` removes it.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/cli/cli-plugins/manager"
	"github.com/docker/cli/cli/command"
	cliflags "github.com/docker/cli/cli/flags"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/docker/compose/v5/pkg/compose"
	"github.com/moby/moby/client"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
)

// Engine runs Compose projects on one Docker engine. It is safe for one
// operation at a time.
type Engine struct {
	compose api.Compose
	docker  client.APIClient
	out     io.Writer // progress and results
	errOut  io.Writer // warnings
	events  *progress
	clock   func() time.Time
	arch    string // the engine's GOARCH
	// version and apiVersion are the engine's, for errors.
	version, apiVersion string
	goDirectory         string // WithGoDir
	// buildLog keeps the end of what Compose's builds print, for the
	// error of a build that fails.
	buildLog tail
}

// Option configures an Engine.
type Option func(*Engine)

// WithOutput sends progress lines to out and warnings to errOut (default:
// both discarded).
func WithOutput(out, errOut io.Writer) Option {
	return func(e *Engine) { e.out, e.errOut = out, errOut }
}

// WithGoDir makes Build run the Go builds (go: rules, devenv's own
// command) in dir, the project's source, rather than in the folder of the
// Compose file: for a stack run from a copy of its project, whose go.mod
// may name modules by relative paths (replace ../x, go.work).
func WithGoDir(dir string) Option { return func(e *Engine) { e.goDirectory = dir } }

// WithClock sets the clock progress times are measured with (default
// time.Now).
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.clock = now } }

// ErrNoEngine is returned by New when no Docker engine answers.
var ErrNoEngine = errors.New("no Docker engine")

// New connects to the Docker engine the environment names (DOCKER_HOST,
// DOCKER_CONTEXT, the docker CLI's config, else the local socket), as the
// docker CLI does, and checks that it answers. The caller calls Close.
func New(ctx context.Context, opts ...Option) (*Engine, error) {
	e := &Engine{out: io.Discard, errOut: io.Discard, clock: time.Now}
	for _, o := range opts {
		o(e)
	}
	// Compose logs through the global logrus; keep its warnings, in
	// devenv's words, on the warning stream.
	logrus.SetOutput(e.errOut)
	logrus.SetLevel(logrus.ErrorLevel)
	dockerCli, err := command.NewDockerCli(command.WithOutputStream(e.out), command.WithErrorStream(e.errOut), command.WithInputStream(io.NopCloser(strings.NewReader(""))))
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	if err := dockerCli.Initialize(cliflags.NewClientOptions()); err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	e.docker = dockerCli.Client()
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := e.docker.ServerVersion(pctx, client.ServerVersionOptions{})
	if err != nil {
		e.docker.Close()
		host := dockerCli.DockerEndpoint().Host
		return nil, fmt.Errorf("%w answers at %s: %v\nStart one (sudo systemctl start docker, or sudo dockerd &), or point DOCKER_HOST at a running engine", ErrNoEngine, host, err)
	}
	e.arch, e.version, e.apiVersion = v.Arch, v.Version, v.APIVersion
	if os.Getenv("DOCKER_BUILDKIT") == "" && !hasBuildx(dockerCli) {
		// Without the buildx plugin Compose builds with the classic
		// builder anyway; say so once instead of on every build.
		os.Setenv("DOCKER_BUILDKIT", "0")
	}
	e.events = &progress{out: e.out, now: e.clock}
	e.compose, err = compose.NewComposeService(dockerCli,
		compose.WithPrompt(compose.AlwaysOkPrompt()),
		compose.WithEventProcessor(e.events),
		compose.WithOutputStream(&e.buildLog),
		compose.WithErrorStream(e.errOut),
	)
	if err != nil {
		e.docker.Close()
		return nil, fmt.Errorf("compose: %w", err)
	}
	return e, nil
}

// goDir is where the Go builds of p run.
func (e *Engine) goDir(p *types.Project) string {
	if e.goDirectory != "" {
		return e.goDirectory
	}
	return p.WorkingDir
}

// Close releases the engine connection.
func (e *Engine) Close() error { return e.docker.Close() }

// Docker returns the engine's API client, for what Compose has no call for.
func (e *Engine) Docker() client.APIClient { return e.docker }

// Load reads the Compose file as `docker compose -f file` does (validated,
// normalised, interpolated, with Compose's project labels), under the
// given project name.
func (e *Engine) Load(ctx context.Context, file, projectName string) (*types.Project, error) {
	p, err := e.compose.LoadProject(ctx, api.ProjectLoadOptions{
		ProjectName: projectName,
		ConfigPaths: []string{file},
		Offline:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", file, err)
	}
	return p, nil
}

// hasBuildx reports whether the docker CLI's buildx plugin is installed,
// which Compose builds with when BuildKit is on.
func hasBuildx(dockerCli command.Cli) bool {
	_, err := manager.GetPlugin("buildx", dockerCli, &cobra.Command{})
	return err == nil
}
