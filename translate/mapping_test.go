package translate_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// TestMappingCoversEveryField enumerates the task definition types by
// reflection: every JSON field needs exactly one row in translate.Mapping,
// and every row must name a real field.
func TestMappingCoversEveryField(t *testing.T) {
	want := map[string]bool{}
	add := func(prefix string, v any) {
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			assert.Assert(t, name != "" && name != "-", "%s.%s has no JSON name", rt.Name(), rt.Field(i).Name)
			want[prefix+name] = true
		}
	}
	add("", taskdef.TaskDefinition{})
	add("volumes[].", taskdef.Volume{})
	add("containerDefinitions[].", taskdef.ContainerDefinition{})
	add("containerDefinitions[].portMappings[].", taskdef.PortMapping{})
	add("containerDefinitions[].linuxParameters.", taskdef.LinuxParameters{})
	add("containerDefinitions[].healthCheck.", taskdef.HealthCheck{})
	add("containerDefinitions[].logConfiguration.", taskdef.LogConfiguration{})

	seen := map[string]bool{}
	for _, r := range translate.Mapping {
		assert.Assert(t, !seen[r.Field], "%s is listed twice in Mapping", r.Field)
		seen[r.Field] = true
		assert.Assert(t, want[r.Field], "Mapping lists %s, which is not a task definition field", r.Field)
		switch r.Does {
		case "mapped", "rewritten", "defaulted", "dropped", "unsupported", "structural":
		default:
			t.Errorf("%s: unknown Does %q", r.Field, r.Does)
		}
	}
	for f := range want {
		if !seen[f] {
			t.Errorf("task definition field %s has no row in translate.Mapping: say how it is mapped or reported", f)
		}
	}
}

// TestMappingDoc keeps docs/mapping.md in sync with translate.Mapping and
// checks it lists every field.
func TestMappingDoc(t *testing.T) {
	const doc = "../docs/mapping.md"
	md := translate.MappingMarkdown()
	golden(t, doc, []byte(md))
	have, err := os.ReadFile(doc)
	assert.NilError(t, err)
	for _, r := range translate.Mapping {
		assert.Assert(t, strings.Contains(string(have), "| `"+r.Field+"` |"), "docs/mapping.md does not list %s", r.Field)
	}
}
