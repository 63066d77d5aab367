package taskdef_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

// repoRoot is the module root, two levels above this package's tests.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	assert.NilError(t, err)
	return root
}

func TestLoadReferenceStack(t *testing.T) {
	defs, err := taskdef.Load(os.DirFS(repoRoot(t)), "taskdefs")
	assert.NilError(t, err)
	var got []string
	for _, d := range defs {
		got = append(got, d.File+" "+d.Task.Family+" "+d.Task.ContainerDefinitions[0].Name)
	}
	assert.DeepEqual(t, got, []string{
		"taskdefs/api-server.json delish-server api-server",
		"taskdefs/dd-agent.json dd-agent-task dd-agent",
		"taskdefs/fluentd.json delish-fluentd fluentd",
	})
	fluentd := defs[2].Task.ContainerDefinitions[0]
	assert.Assert(t, fluentd.Memory == nil, "memory: null decodes as absent")
	assert.Equal(t, *fluentd.MemoryReservation, 512)
	assert.Assert(t, fluentd.MountPoints[0].ReadOnly == nil, "readOnly: null decodes as absent")
}

const minimal = `{"family": "f", "containerDefinitions": [{"name": "web", "image": "nginx"}]}`

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"defs/b.json":         {Data: []byte(minimal)},
		"defs/a.json":         {Data: []byte(minimal)},
		"defs/notes.txt":      {Data: []byte("not a task definition")},
		"defs/sub/c.json":     {Data: []byte(`not loaded: subfolders are skipped`)},
		"bad/x.json":          {Data: []byte(`{"family": "f", "containerDefinitions": []}`)},
		"bad/y.json":          {Data: []byte(`{"family": "f"`)},
		"empty/readme.md":     {Data: []byte("")},
		"single/one.json":     {Data: []byte(minimal)},
		"single/two.json.bak": {Data: []byte(minimal)},
	}
	tests := []struct {
		name      string
		paths     []string
		wantFiles []string
		wantErr   string
	}{
		{name: "folder sorted", paths: []string{"defs"}, wantFiles: []string{"defs/a.json", "defs/b.json"}},
		{name: "file as given", paths: []string{"./single/one.json"}, wantFiles: []string{"./single/one.json"}},
		{name: "folder with slash", paths: []string{"./defs/"}, wantFiles: []string{"defs/a.json", "defs/b.json"}},
		{name: "file named twice loads once", paths: []string{"defs/a.json", "defs"}, wantFiles: []string{"defs/a.json", "defs/b.json"}},
		{
			name:  "errors of every file",
			paths: []string{"bad"},
			wantErr: "bad/x.json: containerDefinitions: no containers; a task definition needs at least one container definition\n" +
				"bad/y.json: malformed JSON at line 1, column 15: unexpected end of JSON input; the file ends too early; close every open string, [ and {",
		},
		{name: "missing path", paths: []string{"nope", "defs"}, wantErr: "nope: no such file or folder; check the path"},
		{name: "folder without json", paths: []string{"empty"}, wantErr: "empty: folder holds no *.json files; put task definitions there or name a file"},
		{name: "no paths", wantErr: "load task definitions: no path given; name a task definition file or folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defs, err := taskdef.Load(fsys, tt.paths...)
			if tt.wantErr != "" {
				assert.Error(t, err, tt.wantErr)
				assert.Assert(t, errors.Is(err, fieldpath.ErrInvalid))
				assert.Assert(t, defs == nil)
				return
			}
			assert.NilError(t, err)
			var files []string
			for _, d := range defs {
				files = append(files, d.File)
			}
			assert.DeepEqual(t, files, tt.wantFiles)
		})
	}
}
