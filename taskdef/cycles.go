package taskdef

import (
	"strings"

	"github.com/devenv-sh/devenv/internal/cycles"
	"github.com/devenv-sh/devenv/internal/fieldpath"
)

// edge is a reference from one container to another that makes the first
// wait for the second: a dependsOn, a link or a volumesFrom.
type edge struct {
	to    int
	field fieldpath.Path // the referring field
}

// validateCycles reports every cycle of containers waiting for each other
// through dependsOn, links and volumesFrom: neither ECS nor Compose can
// start such containers. Each cycle is reported once, at the reference that
// leaves its first container. References already reported as dangling or
// to self are skipped.
func (d *decoder) validateCycles(t *TaskDefinition, containers fieldpath.Path, names map[string]int) {
	n := len(t.ContainerDefinitions)
	edges := make([][]edge, n)
	for i, c := range t.ContainerDefinitions {
		cp := containers.Index(i).Named(c.Name)
		add := func(name string, field fieldpath.Path) {
			if j, ok := names[name]; ok && j != i {
				edges[i] = append(edges[i], edge{to: j, field: field})
			}
		}
		for k, dep := range c.DependsOn {
			add(dep.ContainerName, cp.Next("dependsOn").Index(k).Next("containerName"))
		}
		for k, l := range c.Links {
			name, _, _ := strings.Cut(l, ":")
			add(name, cp.Next("links").Index(k))
		}
		for k, vf := range c.VolumesFrom {
			add(vf.SourceContainer, cp.Next("volumesFrom").Index(k).Next("sourceContainer"))
		}
	}
	for _, c := range cycles.Find(n, func(i int) []int {
		to := make([]int, len(edges[i]))
		for k, e := range edges[i] {
			to[k] = e.to
		}
		return to
	}) {
		names := make([]string, len(c.Nodes))
		for k, i := range c.Nodes {
			names[k] = t.ContainerDefinitions[i].Name
		}
		field := edges[c.Nodes[0]][c.Edges[0]].field
		d.check(field, fieldpath.Invalidf("dependency cycle %s (through dependsOn, links and volumesFrom): containers cannot wait for each other; remove one of these references", strings.Join(names, " → ")))
	}
}
