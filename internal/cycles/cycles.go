// Package cycles finds the cycles of a directed graph, for the checks that
// containers or services do not wait for each other in a circle.
package cycles

// Cycle is one cycle found: Nodes from its first node round to the first
// node again (so len(Nodes) >= 3 for two nodes), and Edges[k], the index in
// out(Nodes[k]) of the edge taken from Nodes[k] to Nodes[k+1].
type Cycle struct {
	Nodes []int
	Edges []int
}

// Find walks the graph of nodes 0..n-1 depth first, starting nodes and
// following each node's edges out(i) (target nodes) in order, and returns
// every cycle closed by an edge back to a node on the current path, once
// each, in the order found. Its first node is the one the walk reached
// first. Edges to the node itself are the caller's to leave out.
func Find(n int, out func(i int) []int) []Cycle {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, n)
	var path, taken []int // taken[k]: the edge index followed from path[k]
	var found []Cycle
	var visit func(i int)
	visit = func(i int) {
		state[i] = onPath
		path = append(path, i)
		for k, to := range out(i) {
			switch state[to] {
			case unseen:
				taken = append(taken, k)
				visit(to)
				taken = taken[:len(taken)-1]
			case onPath:
				start := len(path) - 1
				for path[start] != to {
					start--
				}
				c := Cycle{Nodes: append(append([]int(nil), path[start:]...), to)}
				c.Edges = append(append([]int(nil), taken[start:]...), k)
				found = append(found, c)
			}
		}
		path = path[:len(path)-1]
		state[i] = done
	}
	for i := range n {
		if state[i] == unseen {
			visit(i)
		}
	}
	return found
}
