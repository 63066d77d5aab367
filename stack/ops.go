package stack

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/compose/v5/pkg/api"
)

// DownOptions say what Down removes besides containers and networks.
type DownOptions struct {
	// Volumes removes the project's named volumes too (the fakes' data).
	Volumes bool
}

// Down stops and removes the project's containers and networks, as
// `docker compose down` does, and with Volumes its named volumes. Host
// folders (fluentd's buffer under .devenv/volumes) are the caller's.
func (e *Engine) Down(ctx context.Context, p *types.Project, o DownOptions) error {
	timeout := 10 * time.Second
	return e.compose.Down(ctx, p.Name, api.DownOptions{Project: p, RemoveOrphans: true, Volumes: o.Volumes, Timeout: &timeout})
}

// Stop stops the named services' containers (all when none is named),
// leaving them in place, as `docker compose stop` does.
func (e *Engine) Stop(ctx context.Context, p *types.Project, services ...string) error {
	return e.compose.Stop(ctx, p.Name, api.StopOptions{Project: p, Services: services})
}

// Container is one container of the project, as Ps reports it.
type Container struct {
	Service string     `json:"service"`
	Name    string     `json:"name"`
	Image   string     `json:"image"`
	State   string     `json:"state"`            // running, exited, ...
	Health  string     `json:"health,omitempty"` // healthy, unhealthy, starting; "" without a health check
	Status  string     `json:"status"`           // Docker's words: "Up 3 seconds (healthy)"
	Exit    int        `json:"exitCode"`
	Task    string     `json:"task,omitempty"`    // the ECS task family
	StandIn string     `json:"standIn,omitempty"` // the devenv stand-in it runs
	Ports   []HostPort `json:"ports,omitempty"`
}

// HostPort is a container port published on the host.
type HostPort struct {
	Host     string `json:"host"` // 127.0.0.1:4566
	Target   int    `json:"target"`
	Protocol string `json:"protocol"`
}

// Ps lists the project's containers, stopped ones included, sorted by
// service.
func (e *Engine) Ps(ctx context.Context, p *types.Project) ([]Container, error) {
	list, err := e.compose.Ps(ctx, p.Name, api.PsOptions{Project: p, All: true})
	if err != nil {
		return nil, err
	}
	out := make([]Container, 0, len(list))
	for _, c := range list {
		ctr := Container{Service: c.Service, Name: c.Name, Image: c.Image, State: string(c.State), Health: string(c.Health), Status: c.Status, Exit: c.ExitCode}
		if s, ok := p.Services[c.Service]; ok {
			ext := serviceExtension(s)
			ctr.Task, ctr.StandIn = ext.Task, ext.StandIn
			if ctr.StandIn == "" && s.Image == standInImage(ext.Fallback) {
				ctr.StandIn = ext.Fallback
			}
		}
		seen := map[HostPort]bool{}
		for _, pub := range c.Publishers {
			if pub.PublishedPort == 0 {
				continue
			}
			hp := HostPort{Host: pub.HostPort(), Target: pub.TargetPort, Protocol: pub.Protocol}
			if !seen[hp] {
				seen[hp] = true
				ctr.Ports = append(ctr.Ports, hp)
			}
		}
		slices.SortFunc(ctr.Ports, func(a, b HostPort) int { return strings.Compare(a.Host+a.Protocol, b.Host+b.Protocol) })
		out = append(out, ctr)
	}
	slices.SortFunc(out, func(a, b Container) int { return strings.Compare(a.Service+"/"+a.Name, b.Service+"/"+b.Name) })
	return out, nil
}

// LogOptions say which logs Logs prints.
type LogOptions struct {
	Services []string // none: every service
	Tail     int      // lines from the end of each container's log; negative: all
	Follow   bool     // keep printing until ctx ends
}

// Logs writes the project's container logs to w, each line prefixed with
// its service, as `docker compose logs` does. With Follow it returns when
// ctx ends.
func (e *Engine) Logs(ctx context.Context, p *types.Project, w io.Writer, o LogOptions) error {
	tail := "all"
	if o.Tail >= 0 {
		tail = strconv.Itoa(o.Tail)
	}
	err := e.compose.Logs(ctx, p.Name, newPrefixer(w, p), api.LogOptions{Project: p, Services: o.Services, Tail: tail, Follow: o.Follow})
	if o.Follow && ctx.Err() != nil {
		return nil
	}
	return err
}

// lastLogs returns the last n lines service logged ("" when none).
func (e *Engine) lastLogs(ctx context.Context, project, service string, n int) string {
	var t tail
	_ = e.compose.Logs(ctx, project, logLines{w: &t}, api.LogOptions{Services: []string{service}, Tail: strconv.Itoa(n)})
	return t.String()
}

// logLines writes log messages without prefixes.
type logLines struct{ w io.Writer }

func (l logLines) Log(_, msg string)    { fmt.Fprintln(l.w, msg) }
func (l logLines) Err(_, msg string)    { fmt.Fprintln(l.w, msg) }
func (l logLines) Status(_, msg string) {}

// prefixer writes each log line as "service  | line", the service name
// padded to the longest one of the project, as docker compose does.
type prefixer struct {
	mu      sync.Mutex
	w       io.Writer
	width   int
	project string
}

func newPrefixer(w io.Writer, p *types.Project) *prefixer {
	width := 0
	for _, name := range slices.Collect(maps.Keys(p.Services)) {
		width = max(width, len(name))
	}
	return &prefixer{w: w, width: width, project: p.Name}
}

// service turns a container name (<project>-<service>-<n>, or
// <service>-<n> as Compose's log stream names it) into its service.
func (l *prefixer) service(container string) string {
	s := strings.TrimPrefix(container, l.project+api.Separator)
	if i := strings.LastIndex(s, api.Separator); i > 0 {
		if _, err := strconv.Atoi(s[i+1:]); err == nil {
			return s[:i]
		}
	}
	return s
}

func (l *prefixer) line(container, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%-*s | %s\n", l.width, l.service(container), msg)
}

func (l *prefixer) Log(container, msg string)    { l.line(container, msg) }
func (l *prefixer) Err(container, msg string)    { l.line(container, msg) }
func (l *prefixer) Status(container, msg string) {}
