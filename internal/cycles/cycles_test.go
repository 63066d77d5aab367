package cycles

import (
	"reflect"
	"testing"
)

func TestFind(t *testing.T) {
	for name, tc := range map[string]struct {
		edges [][]int
		want  []Cycle
	}{
		"none":                        {[][]int{{1}, {2}, {}}, nil},
		"two":                         {[][]int{{1}, {0}}, []Cycle{{Nodes: []int{0, 1, 0}, Edges: []int{0, 0}}}},
		"three, entered from outside": {[][]int{{1}, {2}, {3}, {1}}, []Cycle{{Nodes: []int{1, 2, 3, 1}, Edges: []int{0, 0, 0}}}},
		"second edge closes it":       {[][]int{{2, 1}, {0}, {}}, []Cycle{{Nodes: []int{0, 1, 0}, Edges: []int{1, 0}}}},
		"two cycles":                  {[][]int{{1}, {0}, {3}, {2}}, []Cycle{{Nodes: []int{0, 1, 0}, Edges: []int{0, 0}}, {Nodes: []int{2, 3, 2}, Edges: []int{0, 0}}}},
		"diamond is not a cycle":      {[][]int{{1, 2}, {3}, {3}, {}}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			got := Find(len(tc.edges), func(i int) []int { return tc.edges[i] })
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Find = %+v, want %+v", got, tc.want)
			}
		})
	}
}
