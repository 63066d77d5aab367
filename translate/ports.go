package translate

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

// maxRange bounds a containerPortRange expansion.
const maxRange = 1000

// convertPortMappings publishes ports on the local bind address. A fixed
// hostPort stays fixed; hostPort 0 or absent in bridge mode leaves the host
// port to Docker, as ECS does; awsvpc publishes each containerPort as
// itself; ranges are expanded. In awsvpc tasks the namespace owner publishes
// the ports of every container of the task.
func (tk *task) convertPortMappings(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) []types.ServicePortConfig {
	if len(c.PortMappings) == 0 {
		return nil
	}
	p = p.Next("portMappings")
	switch {
	case tk.mode == taskdef.NetworkModeNone || derefBool(c.DisableNetworking):
		tk.deviate(c, p, Dropped, portList(c.PortMappings), "", "the container has no network")
		return nil
	case tk.mode == taskdef.NetworkModeHost:
		for _, pm := range c.PortMappings {
			if pm.ContainerPort != nil {
				s.published[portKey(*pm.ContainerPort, pm.Protocol)] = strconv.Itoa(*pm.ContainerPort)
			}
		}
		return nil
	}
	var out []types.ServicePortConfig
	for i, pm := range c.PortMappings {
		pp := p.Index(i)
		proto := strings.ToLower(pm.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" {
			tk.t.fail(tk.def.File, pp.Next("protocol"), fieldpath.Invalidf("unknown protocol %q: use tcp or udp", pm.Protocol))
			continue
		}
		var targets []int
		switch {
		case pm.ContainerPort != nil:
			targets = []int{*pm.ContainerPort}
		case pm.ContainerPortRange != nil:
			lo, hi, err := parseRange(*pm.ContainerPortRange)
			if err != nil {
				tk.t.fail(tk.def.File, pp.Next("containerPortRange"), err)
				continue
			}
			for port := lo; port <= hi; port++ {
				targets = append(targets, port)
			}
			tk.deviate(c, pp.Next("containerPortRange"), Rewritten, *pm.ContainerPortRange, fmt.Sprintf("%d ports", len(targets)), "Compose's long port syntax takes one port per entry")
		default:
			tk.t.fail(tk.def.File, pp, fieldpath.Invalidf("give containerPort or containerPortRange"))
			continue
		}
		for _, target := range targets {
			if target < 1 || target > 65535 {
				tk.t.fail(tk.def.File, pp.Next("containerPort"), fieldpath.Invalidf("%d is not a port (1-65535)", target))
				continue
			}
			published := ""
			switch {
			case tk.mode == taskdef.NetworkModeAWSVPC:
				published = strconv.Itoa(target)
			case pm.HostPort != nil && *pm.HostPort != 0 && pm.ContainerPortRange == nil:
				if *pm.HostPort < 0 || *pm.HostPort > 65535 {
					tk.t.fail(tk.def.File, pp.Next("hostPort"), fieldpath.Invalidf("%d is not a port (1-65535)", *pm.HostPort))
					continue
				}
				published = strconv.Itoa(*pm.HostPort)
			}
			pc := types.ServicePortConfig{Target: uint32(target), Published: published, Protocol: proto, HostIP: tk.t.local.BindAddress, Mode: "ingress", Name: deref(pm.Name), AppProtocol: pm.AppProtocol}
			if pm.ContainerPortRange != nil {
				pc.Name = "" // one name cannot label many entries
			}
			if published != "" {
				s.published[portKey(target, proto)] = published
			}
			out = append(out, pc)
		}
	}
	tk.deviate(c, p, Rewritten, "0.0.0.0", tk.t.local.BindAddress, "published ports bind to the local address from devenv.yaml (bindAddress) so the stack is not exposed to the network")
	if s.netOwner != "" {
		tk.deviate(c, p, Rewritten, portList(c.PortMappings), "published by "+s.netOwner, "in an awsvpc task the namespace holder publishes every container's ports")
		owner := tk.t.services[s.netOwner]
		if owner == nil {
			return nil // the holder could not be added; that error is reported
		}
		owner.cfg.Ports = append(owner.cfg.Ports, out...)
		for k, v := range s.published {
			owner.published[k] = v
		}
		return nil
	}
	return out
}

func portKey(port int, proto string) string {
	if proto == "" {
		proto = "tcp"
	}
	return strconv.Itoa(port) + "/" + strings.ToLower(proto)
}

func parseRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case !ok || err1 != nil || err2 != nil:
		return 0, 0, fieldpath.Invalidf("%q is not a port range like 8000-8010", s)
	case lo < 1 || hi > 65535 || lo > hi:
		return 0, 0, fieldpath.Invalidf("%q: ports must be 1-65535, low to high", s)
	case hi-lo+1 > maxRange:
		return 0, 0, fieldpath.Unsupportedf("%q spans %d ports; devenv publishes at most %d per range", s, hi-lo+1, maxRange)
	}
	return lo, hi, nil
}

func portList(pms []taskdef.PortMapping) string {
	var l []string
	for _, pm := range pms {
		var s string
		switch {
		case pm.ContainerPort != nil:
			s = strconv.Itoa(*pm.ContainerPort)
		case pm.ContainerPortRange != nil:
			s = *pm.ContainerPortRange
		}
		if pm.HostPort != nil {
			s = strconv.Itoa(*pm.HostPort) + ":" + s
		}
		if pm.Protocol != "" {
			s += "/" + pm.Protocol
		}
		l = append(l, s)
	}
	return strings.Join(l, ", ")
}

// checkPorts finds host ports published by two services (or twice by one).
func (t *translator) checkPorts() {
	seen := map[string]*service{}
	for _, name := range slices.Sorted(maps.Keys(t.services)) {
		s := t.services[name]
		sort.SliceStable(s.cfg.Ports, func(i, j int) bool {
			a, b := s.cfg.Ports[i], s.cfg.Ports[j]
			if a.Target != b.Target {
				return a.Target < b.Target
			}
			return a.Protocol < b.Protocol
		})
		var keys []string
		if s.cfg.NetworkMode == "host" {
			// A host-mode container takes the port on every address.
			for k := range s.published {
				keys = append(keys, t.local.BindAddress+":"+k)
			}
		} else {
			for _, pc := range s.cfg.Ports {
				if pc.Published != "" {
					keys = append(keys, pc.HostIP+":"+pc.Published+"/"+pc.Protocol)
				}
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if prev, ok := seen[k]; ok {
				who := "service " + prev.cfg.Name + " (" + prev.file + ")"
				if prev == s {
					who = "another of its port mappings"
				}
				t.fail(s.file, s.path.Next("portMappings"), fieldpath.Invalidf("host port %s is also published by %s: change one hostPort (0 lets Docker pick one)", k, who))
				continue
			}
			seen[k] = s
		}
	}
}
