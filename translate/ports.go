package translate

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
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
		key := tk.td.Family + "/" + c.Name
		if r, ok := tk.t.local.Services[key]; ok && len(r.Ports) > 0 {
			for _, pk := range slices.Sorted(maps.Keys(r.Ports)) {
				tk.t.usedRules[key+" "+pk] = true // reported here, not as unknown
			}
			tk.t.fail(tk.t.local.File, fieldpath.Path{}.Next("services").Next(key).Next("ports"), fieldpath.Invalidf("container %s runs in host network mode, where it listens on the host's ports itself: another host port cannot be chosen; remove the entry", key))
		}
		return nil
	}
	var out []types.ServicePortConfig
	for i, pm := range c.PortMappings {
		pp := p.Index(i)
		proto := cmp.Or(pm.Protocol, "tcp")
		var targets []int
		if pm.ContainerPortRange != nil {
			lo, hi, err := parseRange(*pm.ContainerPortRange)
			if err != nil {
				tk.t.fail(tk.def.File, pp.Next("containerPortRange"), err)
				continue
			}
			for port := lo; port <= hi; port++ {
				targets = append(targets, port)
			}
			tk.deviate(c, pp.Next("containerPortRange"), Rewritten, *pm.ContainerPortRange, fmt.Sprintf("%d ports", len(targets)), "Compose's long port syntax takes one port per entry")
		} else {
			targets = []int{*pm.ContainerPort}
		}
		for _, target := range targets {
			published := ""
			ruleKey := tk.td.Family + "/" + c.Name
			if hp, ok := tk.t.local.Services[ruleKey].Ports[portKey(target, proto)]; ok {
				tk.t.usedRules[ruleKey+" "+portKey(target, proto)] = true
				published = strconv.Itoa(hp)
				prod := "container port " + strconv.Itoa(target)
				if pm.HostPort != nil && *pm.HostPort != 0 {
					prod = strconv.Itoa(*pm.HostPort)
				}
				tk.deviate(c, pp.Next("hostPort"), Rewritten, prod, published, "host port chosen under services in "+tk.t.local.File)
			}
			switch {
			case published != "":
			case tk.mode == taskdef.NetworkModeAWSVPC:
				published = strconv.Itoa(target)
			case pm.HostPort != nil && *pm.HostPort != 0 && pm.ContainerPortRange == nil:
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
		for _, pc := range out {
			owner.portOwner[portKey(int(pc.Target), pc.Protocol)] = c.Name
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

// parseRange expands a containerPortRange ("8000-8010", checked by
// taskdef), refusing ranges longer than maxRange.
func parseRange(s string) (int, int, error) {
	a, b, _ := strings.Cut(s, "-")
	lo, _ := strconv.Atoi(a)
	hi, _ := strconv.Atoi(b)
	if hi-lo+1 > maxRange {
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

// sortPorts orders every service's ports by container port and protocol.
func (t *translator) sortPorts() {
	for _, s := range t.services {
		slices.SortStableFunc(s.cfg.Ports, func(a, b types.ServicePortConfig) int {
			return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.Protocol, b.Protocol))
		})
	}
}

// hostPort is one host port a service takes, and the container port
// (with its task container) behind it.
type hostPort struct {
	key       string // "127.0.0.1:8080/tcp"
	target    string // "8080" or "8125/udp", as devenv.yaml services ports keys
	container string // the task container whose port it is ("" for a fake)
}

// checkPorts finds host ports published by two services (or twice by one).
func (t *translator) checkPorts() {
	seen := map[string]*service{}
	for _, name := range slices.Sorted(maps.Keys(t.services)) {
		s := t.services[name]
		var taken []hostPort
		if s.cfg.NetworkMode == "host" {
			// A host-mode container takes the port on every address.
			for k, v := range s.published {
				taken = append(taken, hostPort{key: t.local.BindAddress + ":" + k, target: v, container: s.container})
			}
		} else {
			for _, pc := range s.cfg.Ports {
				if pc.Published != "" {
					target := strconv.Itoa(int(pc.Target))
					if pc.Protocol == "udp" {
						target += "/udp"
					}
					c := s.container
					if o, ok := s.portOwner[portKey(int(pc.Target), pc.Protocol)]; ok {
						c = o
					}
					taken = append(taken, hostPort{key: pc.HostIP + ":" + pc.Published + "/" + pc.Protocol, target: target, container: c})
				}
			}
		}
		slices.SortFunc(taken, func(a, b hostPort) int { return cmp.Compare(a.key, b.key) })
		for _, hp := range taken {
			prev, ok := seen[hp.key]
			if !ok {
				seen[hp.key] = s
				continue
			}
			who := "service " + prev.cfg.Name + " (" + prev.file + ")"
			if prev == s {
				who = "another of its port mappings"
			}
			fix := "change the task definition's hostPort (0 lets Docker pick one)"
			if hp.container != "" {
				fix = fmt.Sprintf("publish it on another host port under services in %s, e.g. services: {%s/%s: {ports: {%q: <free port>}}}", t.local.File, s.family, hp.container, hp.target)
			}
			t.fail(s.file, s.path.Next("portMappings"), fieldpath.Invalidf("host port %s is also published by %s: %s", hp.key, who, fix))
		}
	}
}
