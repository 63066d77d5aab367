package translate

import (
	"maps"
	"slices"
	"strings"

	"github.com/devenv-sh/devenv/internal/fieldpath"
)

// serviceRefs lists the services s waits for in the Compose project:
// depends_on, network_mode/pid/ipc service:, volumes_from and links.
func serviceRefs(s *service) []string {
	var refs []string
	refs = append(refs, slices.Sorted(maps.Keys(s.cfg.DependsOn))...)
	for _, mode := range []string{s.cfg.NetworkMode, s.cfg.Pid, s.cfg.Ipc} {
		if name, ok := strings.CutPrefix(mode, "service:"); ok {
			refs = append(refs, name)
		}
	}
	for _, v := range s.cfg.VolumesFrom {
		if !strings.HasPrefix(v, "container:") {
			name, _, _ := strings.Cut(v, ":")
			refs = append(refs, name)
		}
	}
	for _, l := range s.cfg.Links {
		name, _, _ := strings.Cut(l, ":")
		refs = append(refs, name)
	}
	return refs
}

// checkCycles fails on every cycle of services waiting for each other in
// the finished project, which docker compose would reject ("dependency
// cycle detected"): the task definitions are acyclic (taskdef checks), but
// devenv adds references of its own, such as a log collector started
// before the containers that log to it. Each cycle is reported once, at
// its first service in name order.
func (t *translator) checkCycles() {
	const (
		unseen = iota
		onStack
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = onStack
		stack = append(stack, name)
		for _, ref := range serviceRefs(t.services[name]) {
			if t.services[ref] == nil || ref == name {
				continue
			}
			switch state[ref] {
			case unseen:
				visit(ref)
			case onStack:
				start := slices.Index(stack, ref)
				cycle := append(slices.Clone(stack[start:]), ref)
				s := t.services[ref]
				t.fail(s.file, s.path, fieldpath.Invalidf("service %s: dependency cycle %s in the Compose project (depends_on, network_mode, volumes_from and links, including the log collector dependencies devenv adds): docker compose cannot start it; remove one of these references or map the log driver's host to another collector in %s", ref, strings.Join(cycle, " → "), t.local.File))
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
	}
	for _, name := range slices.Sorted(maps.Keys(t.services)) {
		if state[name] == unseen {
			visit(name)
		}
	}
}
