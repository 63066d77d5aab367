package translate

import (
	"maps"
	"slices"
	"strings"

	"github.com/devenv-sh/devenv/internal/cycles"
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
	names := slices.Sorted(maps.Keys(t.services))
	index := make(map[string]int, len(names))
	for i, name := range names {
		index[name] = i
	}
	for _, c := range cycles.Find(len(names), func(i int) []int {
		var to []int
		for _, ref := range serviceRefs(t.services[names[i]]) {
			if j, ok := index[ref]; ok && j != i {
				to = append(to, j)
			}
		}
		return to
	}) {
		cycle := make([]string, len(c.Nodes))
		for k, i := range c.Nodes {
			cycle[k] = names[i]
		}
		s := t.services[cycle[0]]
		t.fail(s.file, s.path, fieldpath.Invalidf("service %s: dependency cycle %s in the Compose project (depends_on, network_mode, volumes_from and links, including the log collector dependencies devenv adds): docker compose cannot start it; remove one of these references or map the log driver's host to another collector in %s", cycle[0], strings.Join(cycle, " → "), t.local.File))
	}
}
