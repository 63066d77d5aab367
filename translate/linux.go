package translate

import (
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

func convertUlimits(l []taskdef.Ulimit) map[string]*types.UlimitsConfig {
	if len(l) == 0 {
		return nil
	}
	m := map[string]*types.UlimitsConfig{}
	for _, u := range l {
		m[u.Name] = &types.UlimitsConfig{Soft: u.SoftLimit, Hard: u.HardLimit}
	}
	return m
}

func (tk *task) convertSystemControls(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) types.Mapping {
	if len(c.SystemControls) == 0 {
		return nil
	}
	m := types.Mapping{}
	for i, sc := range c.SystemControls {
		if sc.Namespace == nil {
			tk.t.fail(tk.def.File, p.Next("systemControls").Index(i).Next("namespace"), fieldpath.Invalidf("missing: name the kernel parameter, e.g. net.core.somaxconn"))
			continue
		}
		if s.netOwner != "" && strings.HasPrefix(*sc.Namespace, "net.") {
			if owner := tk.t.services[s.netOwner]; owner != nil {
				if owner.cfg.Sysctls == nil {
					owner.cfg.Sysctls = types.Mapping{}
				}
				owner.cfg.Sysctls[*sc.Namespace] = deref(sc.Value)
			}
			tk.deviate(c, p.Next("systemControls").Index(i), Rewritten, *sc.Namespace+"="+deref(sc.Value), "set on "+s.netOwner, "network sysctls apply to the task's network namespace, which "+s.netOwner+" holds")
			continue
		}
		m[*sc.Namespace] = deref(sc.Value)
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func capabilities(lp *taskdef.LinuxParameters, add bool) []string {
	if lp == nil || lp.Capabilities == nil {
		return nil
	}
	if add {
		return slices.Clone(lp.Capabilities.Add)
	}
	return slices.Clone(lp.Capabilities.Drop)
}

func convertDevices(lp *taskdef.LinuxParameters) []types.DeviceMapping {
	if lp == nil || len(lp.Devices) == 0 {
		return nil
	}
	var out []types.DeviceMapping
	for _, d := range lp.Devices {
		target := deref(d.ContainerPath)
		if target == "" {
			target = d.HostPath
		}
		perm := ""
		for _, p := range d.Permissions {
			switch p {
			case "read":
				perm += "r"
			case "write":
				perm += "w"
			case "mknod":
				perm += "m"
			}
		}
		if perm == "" {
			perm = "rwm"
		}
		out = append(out, types.DeviceMapping{Source: d.HostPath, Target: target, Permissions: perm})
	}
	return out
}

func initProcess(lp *taskdef.LinuxParameters) *bool {
	if lp == nil || lp.InitProcessEnabled == nil {
		return nil
	}
	v := *lp.InitProcessEnabled
	return &v
}

func sharedMemory(lp *taskdef.LinuxParameters) types.UnitBytes {
	if lp == nil {
		return 0
	}
	return mib(lp.SharedMemorySize)
}

func swappiness(lp *taskdef.LinuxParameters) types.UnitBytes {
	if lp == nil || lp.Swappiness == nil {
		return 0
	}
	return types.UnitBytes(*lp.Swappiness)
}
