package stack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/config"
)

// UpOptions say how Up starts a project.
type UpOptions struct {
	// WaitTimeout bounds the wait for every service to be healthy (those
	// with a health check) or running (the others). Zero means 2 minutes.
	WaitTimeout time.Duration
}

// ErrInterrupted is returned when the context ends while Up starts the
// project; what Up had created is removed by then.
var ErrInterrupted = errors.New("interrupted")

// Up creates and starts p (already built: see Build; its ports checked:
// see CheckPorts) as `docker compose up --detach` does, recreating only the
// containers whose configuration changed, and waits until every service
// with a health check is healthy and every other one runs. It fails,
// naming the service, when an image cannot be pulled, an essential
// container exits (its exit code and last log lines) or a health check
// keeps failing (its last output). If ctx ends first, Up removes the
// project's containers and networks (not its volumes) and returns
// ErrInterrupted: nothing half-created is left running.
func (e *Engine) Up(ctx context.Context, p *types.Project, o UpOptions) error {
	if o.WaitTimeout == 0 {
		o.WaitTimeout = 2 * time.Minute
	}
	if err := e.pull(ctx, p); err != nil {
		return e.interrupted(ctx, p, err)
	}
	err := e.compose.Up(ctx, p, api.UpOptions{
		Create: api.CreateOptions{RemoveOrphans: true, Recreate: api.RecreateDiverged, RecreateDependencies: api.RecreateDiverged},
		Start:  api.StartOptions{Project: p},
	})
	if err != nil {
		return e.interrupted(ctx, p, e.explainStart(ctx, err))
	}
	return e.interrupted(ctx, p, e.wait(ctx, p, o.WaitTimeout))
}

// interrupted turns err into ErrInterrupted, removing what Up created, when
// ctx has ended.
func (e *Engine) interrupted(ctx context.Context, p *types.Project, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if derr := e.compose.Down(cctx, p.Name, api.DownOptions{Project: p, RemoveOrphans: true}); derr != nil {
		return fmt.Errorf("%w, and removing what was created failed: %v (run devenv down)", ErrInterrupted, derr)
	}
	return ErrInterrupted
}

// pull pulls the images of services Compose would pull (pull: true image
// rules keep pull_policy missing), one service at a time, so that each
// failure names its service and what to do.
func (e *Engine) pull(ctx context.Context, p *types.Project) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		if s.Build != nil || s.PullPolicy == types.PullPolicyNever || s.PullPolicy == types.PullPolicyBuild {
			continue
		}
		if s.PullPolicy == types.PullPolicyMissing || s.PullPolicy == "" || s.PullPolicy == types.PullPolicyIfNotPresent {
			if _, err := e.docker.ImageInspect(ctx, s.Image); err == nil {
				continue
			}
		}
		one, err := p.WithSelectedServices([]string{name}, types.IgnoreDependencies)
		if err != nil {
			return err
		}
		if err := e.compose.Pull(ctx, one, api.PullOptions{Quiet: true}); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: pull %s: %v\n%s", name, s.Image, lastLine(err.Error()), pullHint(s.Image)))
		}
	}
	return errors.Join(errs...)
}

// pullHint says what to do when image cannot be pulled.
func pullHint(image string) string {
	if login, ok := config.ECRLogin(image); ok {
		return "This is an ECR image: log in first (" + login + "), or give it a build, go or standIn rule under images in devenv.yaml."
	}
	return "Check the name and your network (docker pull " + image + "), or give it a build, go or standIn rule under images in devenv.yaml."
}

// CheckPorts fails when a host port the project publishes is held by
// something other than the project's own containers, naming the port, the
// service and the devenv.yaml key that moves it. Run it before Build, so
// that a taken port fails in a second, not after the builds.
func (e *Engine) CheckPorts(ctx context.Context, p *types.Project) error {
	ours := map[string]bool{}
	list, err := e.docker.ContainerList(ctx, client.ContainerListOptions{Filters: projectFilter(p.Name)})
	if err != nil {
		return err
	}
	for _, c := range list.Items {
		for _, pt := range c.Ports {
			if pt.PublicPort != 0 {
				ours[net.JoinHostPort(pt.IP.String(), strconv.Itoa(int(pt.PublicPort)))+"/"+pt.Type] = true
			}
		}
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		for _, pc := range s.Ports {
			if pc.Published == "" {
				continue
			}
			ip := pc.HostIP
			if ip == "" {
				ip = "0.0.0.0"
			}
			addr := net.JoinHostPort(ip, pc.Published)
			proto := pc.Protocol
			if proto == "" {
				proto = "tcp"
			}
			if ours[addr+"/"+proto] || portFree(addr, proto) {
				continue
			}
			errs = append(errs, fmt.Errorf("%s: host port %s/%s is taken by another program: stop it, or %s", name, addr, proto, movePortHint(s, pc)))
		}
	}
	return errors.Join(errs...)
}

// movePortHint names the devenv.yaml setting that publishes pc elsewhere.
func movePortHint(s types.ServiceConfig, pc types.ServicePortConfig) string {
	ext := serviceExtension(s)
	if ext.Task == "" {
		return "set bindAddress in devenv.yaml to another loopback address (127.0.0.2) to publish the stack there"
	}
	return fmt.Sprintf("publish it on another host port with services: {%s/%s: {ports: {\"%d/%s\": <free port>}}} in devenv.yaml (or set bindAddress to another loopback address)", ext.Task, s.Name, pc.Target, pc.Protocol)
}

// portFree reports whether addr can be bound for proto now.
func portFree(addr, proto string) bool {
	if proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// explainStart adds to a Compose start error what the user needs to
// know to act on it.
func (e *Engine) explainStart(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	return explain(err, e.version, e.apiVersion)
}

// explain adds what to do to the errors of an engine that cannot run the
// project: an image that is not there with a pull_policy that forbids a
// pull, or an engine too old for a setting of the file.
func explain(err error, version, apiVersion string) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "No such image"):
		return fmt.Errorf("%w: the image is not on this engine and its pull_policy forbids pulling it; run devenv up (which makes every image devenv builds) rather than docker compose up, or give it a pull: true rule under images in devenv.yaml", err)
	case strings.Contains(msg, "Docker Engine") && strings.Contains(msg, "or later"),
		strings.Contains(msg, "client version") && strings.Contains(msg, "too old"),
		strings.Contains(msg, "requires API version"):
		return fmt.Errorf("%w: this engine is Docker %s (API %s), too old for a setting of the file; upgrade Docker Engine, or change what sets it (devenv plan shows where each setting comes from)", err, version, apiVersion)
	}
	return err
}

// projectFilter selects a Compose project's containers.
func projectFilter(project string) client.Filters {
	return make(client.Filters).Add("label", api.ProjectLabel+"="+project)
}

// wait polls the project's containers until every service is healthy or
// running, an essential one exits, a health check fails for good, or
// timeout passes.
func (e *Engine) wait(ctx context.Context, p *types.Project, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	announced := map[string]bool{}
	for {
		states, err := e.states(ctx, p)
		if err != nil {
			return err
		}
		pending := []string{}
		for _, name := range slices.Sorted(maps.Keys(p.Services)) {
			st, ok := states[name]
			s := p.Services[name]
			switch {
			case !ok:
				pending = append(pending, name+" (no container)")
			case st.State == container.StateExited || st.State == container.StateDead:
				if serviceExtension(s).Essential {
					return e.exited(ctx, p.Name, name, st)
				}
			case st.Health == container.Unhealthy:
				return e.unhealthy(ctx, p.Name, name, st)
			case st.State != container.StateRunning:
				pending = append(pending, name+" ("+string(st.State)+")")
			case hasHealthCheck(s) && st.Health != container.Healthy:
				pending = append(pending, name+" (health: "+string(st.Health)+")")
			default:
				if hasHealthCheck(s) && !announced[name] {
					announced[name] = true
					e.events.done("Container "+st.Name, "Healthy")
				}
			}
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("not healthy after %s: %s", timeout, strings.Join(pending, ", "))
		case <-tick.C:
		}
	}
}

func hasHealthCheck(s types.ServiceConfig) bool {
	return s.HealthCheck != nil && !s.HealthCheck.Disable && len(s.HealthCheck.Test) > 0 && s.HealthCheck.Test[0] != "NONE"
}

// containerState is what wait reads of a service's container.
type containerState struct {
	ID     string
	Name   string
	State  container.ContainerState
	Health container.HealthStatus
}

// states returns the state of each service's container.
func (e *Engine) states(ctx context.Context, p *types.Project) (map[string]containerState, error) {
	list, err := e.compose.Ps(ctx, p.Name, api.PsOptions{Project: p, All: true})
	if err != nil {
		return nil, err
	}
	out := map[string]containerState{}
	for _, c := range list {
		out[c.Service] = containerState{ID: c.ID, Name: c.Name, State: c.State, Health: c.Health}
	}
	return out, nil
}

// exited is the error for an essential container that stopped.
func (e *Engine) exited(ctx context.Context, project, service string, st containerState) error {
	info, err := e.docker.ContainerInspect(ctx, st.ID, client.ContainerInspectOptions{})
	code := -1
	if err == nil && info.Container.State != nil {
		code = info.Container.State.ExitCode
	}
	logs := e.lastLogs(ctx, project, service, tailLines)
	msg := fmt.Sprintf("%s exited with code %d; it is essential, so ECS would stop its task", service, code)
	if logs != "" {
		msg += "\nlast log lines of " + service + ":\n" + indent(logs)
	} else {
		msg += " (it logged nothing)"
	}
	return errors.New(msg)
}

// unhealthy is the error for a container whose health check failed.
func (e *Engine) unhealthy(ctx context.Context, project, service string, st containerState) error {
	out := ""
	info, err := e.docker.ContainerInspect(ctx, st.ID, client.ContainerInspectOptions{})
	if err == nil && info.Container.State != nil && info.Container.State.Health != nil {
		if l := info.Container.State.Health.Log; len(l) > 0 {
			last := l[len(l)-1]
			out = fmt.Sprintf(" (exit %d): %s", last.ExitCode, strings.TrimSpace(last.Output))
		}
	}
	msg := fmt.Sprintf("%s is unhealthy: its health check keeps failing; last check%s", service, out)
	if logs := e.lastLogs(ctx, project, service, tailLines); logs != "" {
		msg += "\nlast log lines of " + service + ":\n" + indent(logs)
	}
	return errors.New(msg)
}
