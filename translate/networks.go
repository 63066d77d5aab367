package translate

import (
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
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
// send to http://fake-s3:4566 ...) and the targets of devenv.yaml hosts
// rules (a production host name rewritten to a service name). Other
// services of other tasks are reachable only through published ports.
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
	all := map[string]*types.ServiceNetworkConfig{}
	for n := range t.networks {
		all[n] = nil
	}
	for _, name := range slices.Sorted(maps.Keys(shared)) {
		s := t.services[name]
		if s == nil || s.cfg.NetworkMode != "" || len(all) == 0 {
			continue
		}
		if s.container != "" && len(all) > 1 {
			t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.path.String(), Kind: Rewritten, Production: "network of its task", Local: "every task's network",
				Why: "a hosts rule in " + t.local.File + " maps a production host to it, so every task reaches it by name, as production reaches the host"})
		}
		s.cfg.Networks = maps.Clone(all)
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
