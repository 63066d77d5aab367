package taskdef_test

import (
	"testing"

	"github.com/devenv-sh/devenv/taskdef"
)

// FuzzDecode checks, for any input, that Decode never panics, that every
// error is a FieldError naming the file, and that what decodes re-encodes to
// JSON that decodes again to an equal value. Seeds: testdata/fuzz/FuzzDecode
// (the shared corpus and the reference stack's task definitions).
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"taskDefinition": {"family": "app", "containerDefinitions": [{"name": "web", "image": "nginx"}]}, "tags": [{"key": "k"}]}`))
	f.Add([]byte(`{"family": "app", "registeredAt": 1.5e9, "containerDefinitions": [{"name": "web", "image": "nginx", "links": ["db:d"]}, {"name": "db", "image": "x", "essential": false}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := taskdef.Decode("fuzz.json", data)
		if err != nil {
			errorLinesFor(t, "fuzz.json", err)
			return
		}
		assertRoundTrip(t, def)
	})
}
