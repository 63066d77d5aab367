package translate

import (
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/config"
)

// taskNetwork is the name of a task's own network.
func taskNetwork(family string) string { return unsafeVolumeChars.ReplaceAllString(family, "_") }

// joinTaskNetwork puts a service that uses Docker's network stack (not
// host, none or another service's namespace) on its task's own network, so
// that, as on ECS, the containers of a task reach each other by name
// (links) but not the containers of other tasks.
func (tk *task) joinTaskNetwork(s *service) {
	if s.cfg.NetworkMode != "" {
		return
	}
	name := taskNetwork(tk.td.Family)
	s.cfg.Networks = map[string]*types.ServiceNetworkConfig{name: nil}
	tk.t.networks[name] = true
}

// shareServices puts the services that every task must reach by name on
// every task network: the fakes (the local fluent.conf and the containers
// send to http://fake-s3:4566 ...), the targets of devenv.yaml hosts rules
// (a production host name rewritten to a service name) and the task
// containers a datadog-stub stand-in replaces (production's Datadog agent
// runs once per instance, for every task on it). A service of an awsvpc
// task is shared through its namespace holder. Other services of other
// tasks are reachable only through published ports.
func (t *translator) shareServices() {
	shared := map[string]bool{}
	for _, f := range t.local.Fakes {
		shared[string(f)] = true
	}
	for _, h := range t.local.Hosts {
		name := h.Service
		if holder, ok := t.holderOf[name]; ok {
			name = holder
		}
		shared[name] = true
	}
	// agentOf maps a shared service to the datadog-stub task container it is
	// (or whose namespace it holds).
	agentOf := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(t.services)) {
		s := t.services[name]
		if s.container == "" || s.standIn() != config.StandInDatadogStub {
			continue
		}
		target := name
		if holder, ok := t.holderOf[name]; ok {
			target = holder
		}
		shared[target] = true
		agentOf[target] = name
	}
	all := map[string]*types.ServiceNetworkConfig{}
	for n := range t.networks {
		all[n] = nil
	}
	for _, name := range slices.Sorted(maps.Keys(shared)) {
		s := t.services[name]
		if s == nil || s.cfg.NetworkMode != "" || len(all) == 0 {
			continue
		}
		s.cfg.Networks = maps.Clone(all)
		if len(all) < 2 {
			continue
		}
		if agent, ok := agentOf[name]; ok {
			a := t.services[agent]
			local := "every task's network"
			if agent != name {
				local += " (as " + name + ", which holds its network namespace)"
			}
			t.deviate(Deviation{File: a.file, Service: agent, Container: a.container, Path: a.path.String(), Kind: Rewritten, Production: "network of its task", Local: local,
				Why: "in production the Datadog agent runs once per EC2 instance and every container reaches it through the instance's host port; locally every task reaches the datadog-stub stand-in by name, " + name + " (point DD_AGENT_HOST at it under environment in " + t.local.File + ")"})
			continue
		}
		if s.container != "" {
			t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.path.String(), Kind: Rewritten, Production: "network of its task", Local: "every task's network",
				Why: "a hosts rule in " + t.local.File + " maps a production host to it, so every task reaches it by name, as production reaches the host"})
		}
	}
}

// projectNetworks declares the task networks.
func (t *translator) projectNetworks() types.Networks {
	if len(t.networks) == 0 {
		return nil
	}
	n := types.Networks{}
	for name := range t.networks {
		n[name] = types.NetworkConfig{}
	}
	return n
}
