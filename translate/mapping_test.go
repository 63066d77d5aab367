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
// reflection, nested structures included at any depth: every JSON field
// needs exactly one row in translate.Mapping, unless an enclosing field's
// row drops it whole (dropped or unsupported: nothing under it reaches the
// local stack), and every row must name a real field.
func TestMappingCoversEveryField(t *testing.T) {
	rows := map[string]translate.Rule{}
	for _, r := range translate.Mapping {
		_, dup := rows[r.Field]
		assert.Assert(t, !dup, "%s is listed twice in Mapping", r.Field)
		rows[r.Field] = r
		switch r.Does {
		case "mapped", "rewritten", "defaulted", "dropped", "unsupported", "structural":
		default:
			t.Errorf("%s: unknown Does %q", r.Field, r.Does)
		}
	}
	pkg := reflect.TypeFor[taskdef.TaskDefinition]().PkgPath()
	fields := map[string]bool{}
	var walk func(prefix string, rt reflect.Type, wholeDropped bool)
	walk = func(prefix string, rt reflect.Type, wholeDropped bool) {
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			assert.Assert(t, name != "" && name != "-", "%s.%s has no JSON name", rt.Name(), rt.Field(i).Name)
			field := prefix + name
			fields[field] = true
			r, ok := rows[field]
			if !ok && !wholeDropped {
				t.Errorf("task definition field %s has no row in translate.Mapping: say how it is mapped or reported", field)
			}
			ft, elem := rt.Field(i).Type, ""
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				if ft.Kind() == reflect.Slice {
					elem += "[]"
				}
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.PkgPath() == pkg {
				walk(field+elem+".", ft, wholeDropped || (ok && (r.Does == "dropped" || r.Does == "unsupported")))
			}
		}
	}
	walk("", reflect.TypeFor[taskdef.TaskDefinition](), false)
	for f := range rows {
		assert.Assert(t, fields[f], "Mapping lists %s, which is not a task definition field", f)
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
