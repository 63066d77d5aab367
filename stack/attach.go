package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Attach streams every service's logs to logs, each line prefixed with its
// service, until ctx ends or no container of the project runs. It carries
// out what ECS does and Compose does not: when an essential container
// exits, ECS stops its whole task, so Attach stops the other containers of
// that task and says why on the warning stream. When ctx ends, Attach
// stops the project's containers (they stay, as after `docker compose
// stop`) and returns nil.
func (e *Engine) Attach(ctx context.Context, p *types.Project, logs io.Writer) error {
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	logsDone := make(chan error, 1)
	go func() {
		logsDone <- e.compose.Logs(streamCtx, p.Name, newPrefixer(logs, p), api.LogOptions{Project: p, Follow: true, Tail: "all"})
	}()
	events := e.docker.Events(streamCtx, client.EventsListOptions{Filters: projectFilter(p.Name).Add("type", "container").Add("event", "die")})
	stopping := map[string]bool{} // services being stopped by Attach
	var stopped error
	for stopped == nil {
		select {
		case <-ctx.Done():
			fmt.Fprintln(e.errOut, "stopping the stack (devenv up starts it again, devenv down removes it)")
			sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			err := e.Stop(sctx, p)
			scancel()
			cancel()
			<-logsDone
			return err
		case err := <-events.Err:
			if ctx.Err() != nil {
				continue
			}
			return fmt.Errorf("watch the stack's containers: %w", err)
		case m := <-events.Messages:
			service := m.Actor.Attributes[api.ServiceLabel]
			if s, ok := p.Services[service]; ok && !stopping[service] {
				ext := serviceExtension(s)
				code := m.Actor.Attributes["exitCode"]
				if ext.Essential {
					task := taskServices(p, ext.Task)
					for _, name := range task {
						stopping[name] = true
					}
					fmt.Fprintf(e.errOut, "%s exited with code %s; it is essential, so ECS stops its task %s: stopping %s\n", service, code, ext.Task, strings.Join(task, ", "))
					if err := e.Stop(ctx, p, task...); err != nil {
						if ctx.Err() != nil {
							continue // Ctrl-C: the stack stops
						}
						return fmt.Errorf("stop task %s: %w", ext.Task, err)
					}
				} else {
					fmt.Fprintf(e.errOut, "%s exited with code %s; it is not essential, so the rest of its task %s runs on\n", service, code, ext.Task)
				}
			}
			running, err := e.anyRunning(ctx, p)
			switch {
			case ctx.Err() != nil:
				continue // Ctrl-C: the stack stops
			case err != nil:
				return err
			case !running:
				stopped = errors.New("every container of the stack has stopped")
			}
		}
	}
	cancel()
	<-logsDone
	return stopped
}

// taskServices lists the services of the ECS task family, sorted.
func taskServices(p *types.Project, family string) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		if serviceExtension(p.Services[name]).Task == family {
			out = append(out, name)
		}
	}
	return out
}

// anyRunning reports whether a container of the project runs.
func (e *Engine) anyRunning(ctx context.Context, p *types.Project) (bool, error) {
	states, err := e.states(ctx, p)
	if err != nil {
		return false, err
	}
	for _, st := range states {
		if st.State == container.StateRunning || st.State == container.StateRestarting {
			return true, nil
		}
	}
	return false, nil
}
