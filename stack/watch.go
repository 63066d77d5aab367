package stack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// What devenv watch needs: one go: rule's image made again and only its
// containers replaced, one service restarted, readiness measured, and the
// project as it runs.

// GoRule is a go: image rule of a project: a Go main package and the
// services whose image is built from it.
type GoRule struct {
	Package  string   // as the rule names it: "./sample/api-server"
	Services []string // sorted
	Images   []string // the images built from it, sorted
}

// GoRules lists the project's go: rules, sorted by package.
func GoRules(p *types.Project) []GoRule {
	images := goImages(p)
	var out []GoRule
	for _, pkg := range slices.Sorted(maps.Keys(images)) {
		r := GoRule{Package: pkg, Images: slices.Sorted(slices.Values(images[pkg]))}
		for _, name := range slices.Sorted(maps.Keys(p.Services)) {
			if serviceExtension(p.Services[name]).Go == pkg {
				r.Services = append(r.Services, name)
			}
		}
		out = append(out, r)
	}
	return out
}

// GoBuild says what RebuildGo did.
type GoBuild struct {
	// UpToDate: the images already held what the sources make; nothing
	// was built.
	UpToDate bool
	// Build and Image are the time of the go build and of the image load.
	Build, Image time.Duration
	// Sources are the files the binary is made from, read from the Go
	// build list (`go list -deps`): the absolute paths of the files of
	// every package outside the standard library and the module cache,
	// and the go.mod and go.sum of their modules. Set whenever go list
	// ran, even when the build then failed.
	Sources []string
}

// GoSources returns the files the binary of the go: rule pkg is made from
// (see GoBuild.Sources), without building anything.
func (e *Engine) GoSources(ctx context.Context, p *types.Project, pkg string) ([]string, error) {
	_, sources, err := goTarget{dir: p.WorkingDir, pkg: pkg, arch: e.arch}.list(ctx)
	return sources, err
}

// RebuildGo makes the images of the go: rule pkg again, as Build does:
// nothing is built when they hold what the sources make. A build that
// fails leaves the images as they were and returns go's own messages
// (file:line:col for a compile error).
func (e *Engine) RebuildGo(ctx context.Context, p *types.Project, pkg string) (GoBuild, error) {
	images := goImages(p)[pkg]
	if len(images) == 0 {
		return GoBuild{}, fmt.Errorf("no service of the project is built from %s", pkg)
	}
	return e.goImage(ctx, images, goTarget{dir: p.WorkingDir, pkg: pkg, arch: e.arch})
}

// Recreate replaces the containers of the named services, and only them,
// with new ones of their current image and configuration, through
// Compose's Up, as `docker compose up -d --no-deps --force-recreate
// services...` does: the project's other services are left alone, running
// or not. Their anonymous volumes are carried over.
func (e *Engine) Recreate(ctx context.Context, p *types.Project, services ...string) error {
	only, err := p.WithSelectedServices(services, types.IgnoreDependencies)
	if err != nil {
		return err
	}
	err = e.compose.Up(ctx, p, api.UpOptions{
		Create: api.CreateOptions{Services: services, Recreate: api.RecreateForce, RecreateDependencies: api.RecreateNever, Inherit: true},
		Start:  api.StartOptions{Project: only},
	})
	if err != nil {
		return e.explainStart(ctx, err)
	}
	return nil
}

// Restart restarts the named services' containers in place, as `docker
// compose restart` does: the same containers, their bind mounts read again
// (a local config file written since is seen), host folders and volumes
// kept.
func (e *Engine) Restart(ctx context.Context, p *types.Project, services ...string) error {
	timeout := 10 * time.Second
	return e.compose.Restart(ctx, p.Name, api.RestartOptions{Project: p, Services: services, NoDeps: true, Timeout: &timeout})
}

// Ready waits until the container of each named service runs and, for a
// service with a health check, passes it. It runs the check's command in
// the container itself every 100 ms rather than waiting for Docker's next
// scheduled check (seconds away), so it returns as soon as the service
// answers; Docker reports it healthy at its own pace. It fails when a
// container exits, with its exit code and last log lines, or when timeout
// passes.
func (e *Engine) Ready(ctx context.Context, p *types.Project, timeout time.Duration, services ...string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pending := slices.Clone(services)
	for {
		states, err := e.states(ctx, p)
		if err != nil {
			return err
		}
		var still []string
		for _, name := range pending {
			st, ok := states[name]
			s := p.Services[name]
			switch {
			case ok && (st.State == container.StateExited || st.State == container.StateDead):
				return e.exited(ctx, p.Name, name, st)
			case !ok || st.State != container.StateRunning:
				still = append(still, name)
			case hasHealthCheck(s) && st.Health != container.Healthy:
				if pass, err := e.check(ctx, st.ID, s.HealthCheck.Test); err != nil {
					return err
				} else if !pass {
					still = append(still, name)
				}
			}
		}
		pending = still
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("not ready after %s: %s", timeout, strings.Join(pending, ", "))
			}
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// check runs a health check's test (["CMD", args...] or ["CMD-SHELL",
// command]) in the container and reports whether it passed.
func (e *Engine) check(ctx context.Context, id string, test types.HealthCheckTest) (bool, error) {
	var cmd []string
	switch {
	case len(test) > 1 && test[0] == "CMD":
		cmd = test[1:]
	case len(test) > 1 && test[0] == "CMD-SHELL":
		cmd = []string{"/bin/sh", "-c", strings.Join(test[1:], " ")}
	default:
		return false, nil // Docker's own check decides
	}
	ex, err := e.docker.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: cmd})
	if err != nil {
		return false, nil // the container is still starting, or going
	}
	if _, err := e.docker.ExecStart(ctx, ex.ID, client.ExecStartOptions{Detach: true}); err != nil {
		return false, nil
	}
	for {
		info, err := e.docker.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
		if err != nil {
			return false, ctx.Err()
		}
		if !info.Running {
			return info.ExitCode == 0, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Adopt makes p the project that runs: Build runs a fallback's stand-in
// in place of a build: rule that cannot be built here, rewriting its
// service; Adopt rewrites, the same way, each service of p with a fallback
// whose container runs that stand-in. A later Build, Up or Recreate of p
// then sees the running services unchanged.
func (e *Engine) Adopt(ctx context.Context, p *types.Project) error {
	list, err := e.compose.Ps(ctx, p.Name, api.PsOptions{Project: p, All: true})
	if err != nil {
		return err
	}
	for _, c := range list {
		s, ok := p.Services[c.Service]
		if !ok || s.Build == nil {
			continue
		}
		if ext := serviceExtension(s); ext.Fallback != "" && c.Image == standInImage(ext.Fallback) {
			useStandIn(p, c.Service, ext)
		}
	}
	return nil
}

// ContainerIDs returns the ID of each service's container (one a service,
// as devenv's projects run), stopped ones included.
func (e *Engine) ContainerIDs(ctx context.Context, p *types.Project) (map[string]string, error) {
	states, err := e.states(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(states))
	for name, st := range states {
		out[name] = st.ID
	}
	return out, nil
}
