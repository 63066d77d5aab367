package taskdef

import (
	"strings"

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
	const (
		unseen = iota
		onStack
		done
	)
	state := make([]int, n)
	var stack []int
	var via []fieldpath.Path
	var visit func(i int)
	visit = func(i int) {
		state[i] = onStack
		stack = append(stack, i)
		for _, e := range edges[i] {
			switch state[e.to] {
			case unseen:
				via = append(via, e.field)
				visit(e.to)
				via = via[:len(via)-1]
			case onStack:
				start := 0
				for stack[start] != e.to {
					start++
				}
				cycle := make([]string, 0, len(stack)-start+1)
				for _, k := range stack[start:] {
					cycle = append(cycle, t.ContainerDefinitions[k].Name)
				}
				cycle = append(cycle, t.ContainerDefinitions[e.to].Name)
				field := e.field
				if start < len(via) {
					field = via[start]
				}
				d.check(field, fieldpath.Invalidf("dependency cycle %s (through dependsOn, links and volumesFrom): containers cannot wait for each other; remove one of these references", strings.Join(cycle, " → ")))
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
	}
	for i := range n {
		if state[i] == unseen {
			visit(i)
		}
	}
}
