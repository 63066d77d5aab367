package taskdef_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/taskdef"
)

// TestDecodeTypeConfusion replaces, one at a time, every value of every corpus
// file with a value of each other JSON type, and checks that Decode still
// either fails with FieldErrors naming the file or decodes to a value that
// round-trips. It walks systematically what FuzzDecode finds by chance.
func TestDecodeTypeConfusion(t *testing.T) {
	names, data := corpusFiles(t)
	replacements := []any{nil, true, json.Number("-1.5"), "web", []any{nil}, map[string]any{}}
	for _, name := range names {
		var doc any
		dec := json.NewDecoder(bytes.NewReader(data[name]))
		dec.UseNumber()
		assert.NilError(t, dec.Decode(&doc))
		tries := 0
		mutateEach(doc, replacements, func() {
			tries++
			out, err := json.Marshal(doc)
			assert.NilError(t, err)
			def, err := taskdef.Decode(name, out)
			if err != nil {
				errorLinesFor(t, name, err)
				return
			}
			assertRoundTrip(t, def)
		})
		assert.Assert(t, tries > 0)
	}
}

// mutateEach sets every value below v (in arrays, the first two), in turn, to each replacement, calls
// try, and restores it.
func mutateEach(v any, replacements []any, try func()) {
	switch x := v.(type) {
	case map[string]any:
		for k, old := range x {
			for _, r := range replacements {
				x[k] = r
				try()
			}
			x[k] = old
			mutateEach(old, replacements, try)
		}
	case []any:
		for i, old := range x[:min(len(x), 2)] { // the first two elements stand for the rest
			for _, r := range replacements {
				x[i] = r
				try()
			}
			x[i] = old
			mutateEach(old, replacements, try)
		}
	}
}
