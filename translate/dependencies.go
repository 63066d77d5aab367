package translate

import (
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

func (tk *task) convertRestartPolicy(c *taskdef.ContainerDefinition, p fieldpath.Path) string {
	rp := c.RestartPolicy
	if rp == nil || !rp.Enabled {
		return ""
	}
	tk.deviate(c, p.Next("restartPolicy"), Rewritten, "enabled", "unless-stopped", "ECS restarts the container in place when it exits; Docker does the same, also after a daemon restart, until the container is stopped")
	if len(rp.IgnoredExitCodes) > 0 {
		codes := make([]string, len(rp.IgnoredExitCodes))
		for i, code := range rp.IgnoredExitCodes {
			codes[i] = itoa(code)
		}
		tk.deviate(c, p.Next("restartPolicy").Next("ignoredExitCodes"), Dropped, joinList(codes), "", "Compose restarts on every exit, these codes included")
	}
	if rp.RestartAttemptPeriod != nil {
		tk.deviate(c, p.Next("restartPolicy").Next("restartAttemptPeriod"), Dropped, itoa(*rp.RestartAttemptPeriod)+"s", "", "Compose has no attempt period: it restarts however soon the container exits again")
	}
	return "unless-stopped"
}

func (tk *task) convertLinks(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) []string {
	if len(c.Links) == 0 {
		return nil
	}
	if tk.mode != taskdef.NetworkModeBridge {
		tk.deviate(c, p.Next("links"), Dropped, joinList(c.Links), "", "links only apply in bridge mode")
		return nil
	}
	var out []string
	for _, l := range c.Links {
		name, alias, hasAlias := strings.Cut(l, ":")
		svc := tk.svc(name)
		switch {
		case hasAlias:
			out = append(out, svc+":"+alias)
		case svc != name:
			out = append(out, svc+":"+name) // the production name stays reachable
		default:
			out = append(out, l)
		}
	}
	return out
}

var conditions = map[string]string{
	taskdef.ConditionStart:    types.ServiceConditionStarted,
	taskdef.ConditionHealthy:  types.ServiceConditionHealthy,
	taskdef.ConditionSuccess:  types.ServiceConditionCompletedSuccessfully,
	taskdef.ConditionComplete: types.ServiceConditionCompletedSuccessfully,
}

func (tk *task) convertDependsOn(c *taskdef.ContainerDefinition, p fieldpath.Path) types.DependsOnConfig {
	if c.StartTimeout != nil {
		tk.deviate(c, p.Next("startTimeout"), Dropped, itoa(*c.StartTimeout)+"s", "", "Compose has no dependency timeout")
	}
	if len(c.DependsOn) == 0 {
		return nil
	}
	d := types.DependsOnConfig{}
	for i, dep := range c.DependsOn {
		if dep.Condition == taskdef.ConditionComplete {
			tk.deviate(c, p.Next("dependsOn").Index(i).Next("condition"), Rewritten, "COMPLETE", conditions[dep.Condition], "Compose cannot wait for an exit with any code; locally the dependency must exit 0")
		}
		d[tk.svc(dep.ContainerName)] = types.ServiceDependency{Condition: conditions[dep.Condition], Required: true}
	}
	return d
}

func (tk *task) convertVolumesFrom(c *taskdef.ContainerDefinition, p fieldpath.Path) []string {
	var out []string
	for _, v := range c.VolumesFrom {
		s := tk.svc(v.SourceContainer)
		if derefBool(v.ReadOnly) {
			s += ":ro"
		}
		out = append(out, s)
	}
	return out
}
