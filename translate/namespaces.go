package translate

import (
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

// convertNetworkMode implements the task's network mode: bridge and absent
// use the project network; host and none carry over; awsvpc puts every
// container into the namespace holder's network namespace.
func (tk *task) convertNetworkMode(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) string {
	if derefBool(c.DisableNetworking) {
		return "none"
	}
	switch tk.mode {
	case taskdef.NetworkModeHost:
		return "host"
	case taskdef.NetworkModeNone:
		return "none"
	case taskdef.NetworkModeAWSVPC:
		if s.netOwner != "" {
			tk.deviate(c, tk.def.Root().Next("networkMode"), Rewritten, "awsvpc", "service:"+s.netOwner, "the containers of an awsvpc task share one network namespace and reach each other on localhost")
			return "service:" + s.netOwner
		}
	}
	return ""
}

func (tk *task) convertPidMode() string {
	switch tk.td.PidMode {
	case "host":
		return "host"
	case "task":
		if tk.owner != "" {
			return "service:" + tk.owner
		}
	}
	return ""
}

func (tk *task) convertIpcMode() string {
	switch tk.td.IpcMode {
	case "host":
		return "host"
	case "none":
		return "none"
	case "task":
		if tk.owner != "" {
			return "service:" + tk.owner
		}
	}
	return ""
}
