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
	f.Add([]byte(`{"family": "a", "registeredAt": "1e5", "deregisteredAt": "-0", "deleteRequestedAt": "01", "containerDefinitions": [{"name": "w", "image": "i", "dockerLabels": {"k": "v", "k": "w"}, "links": [null]}]}`))
	f.Add([]byte(`{"family": "a", "volumes": [{"name": "v", "host": null, "dockerVolumeConfiguration": {"scope": "shared", "labels": {}}}], "containerDefinitions": [{"name": "w", "image": "i", "mountPoints": [{"sourceVolume": "v", "containerPath": "/v", "readOnly": null}], "portMappings": [{"containerPortRange": "1-2"}], "healthCheck": {"command": ["CMD", "x"]}, "ulimits": [{"name": "nofile", "softLimit": -1, "hardLimit": 1}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := taskdef.Decode("fuzz.json", data)
		if err != nil {
			errorLinesFor(t, "fuzz.json", err)
			return
		}
		assertRoundTrip(t, def)
	})
}
