package watch

import (
	"testing"

	"gotest.tools/v3/assert"
)

func testIndex() *index {
	return newIndex(Files{
		Go: map[string][]string{
			"./cmd/api": {"/p/cmd/api/main.go", "/p/internal/log/log.go", "/p/go.mod", "/p/go.sum"},
			"./cmd/job": {"/p/cmd/job/main.go", "/p/internal/log/log.go", "/p/go.mod", "/p/go.sum"},
		},
		Fluentd:     []string{"/p/fluentd/fluent.conf", "/p/fluentd/conf.d/s3.conf"},
		Stack:       []string{"/p/taskdefs/api.json", "/p/devenv.yaml", "/p/.devenv/secrets.env"},
		TaskDefDirs: []string{"/p/taskdefs"},
	})
}

// TestClassify: each changed file is the input of what it goes into, and
// nothing else; editors' temporary files are nothing.
func TestClassify(t *testing.T) {
	api := Target{Kind: GoSource, Package: "./cmd/api"}
	job := Target{Kind: GoSource, Package: "./cmd/job"}
	fluentd := Target{Kind: FluentdConfig}
	stack := Target{Kind: StackInput}
	for _, tc := range []struct {
		name  string
		path  string
		entry bool // created, removed or renamed
		want  []Target
	}{
		{"a go: rule's own source", "/p/cmd/api/main.go", false, []Target{api}},
		{"a package two rules depend on", "/p/internal/log/log.go", false, []Target{api, job}},
		{"go.mod", "/p/go.mod", false, []Target{api, job}},
		{"saved by rename over", "/p/cmd/api/main.go", true, []Target{api}},
		{"a new file in a rule's package", "/p/cmd/api/routes.go", true, []Target{api}},
		{"a new file in a package depended on", "/p/internal/log/format.go", true, []Target{api, job}},
		{"a write to a file the build leaves out (build tags)", "/p/cmd/api/main_windows.go", false, nil},
		{"a new test", "/p/cmd/api/main_test.go", true, nil},
		{"a new file in a package no rule builds", "/p/internal/db/db.go", true, nil},
		{"vim's swap file", "/p/cmd/api/.main.go.swp", true, nil},
		{"vim's backup", "/p/cmd/api/main.go~", true, nil},
		{"vim's write test", "/p/cmd/api/4913", true, nil},
		{"emacs' lock", "/p/cmd/api/.#main.go", true, nil},
		{"emacs' autosave", "/p/cmd/api/#main.go#", true, nil},
		{"GoLand's safe write", "/p/cmd/api/main.go___jb_tmp___", true, nil},
		{"a file the go tool ignores", "/p/cmd/api/_old.go", true, nil},
		{"the fluentd config", "/p/fluentd/fluent.conf", false, []Target{fluentd}},
		{"an included file", "/p/fluentd/conf.d/s3.conf", false, []Target{fluentd}},
		{"a new .conf an @include glob may take", "/p/fluentd/conf.d/td.conf", true, []Target{fluentd}},
		{"the Dockerfile beside the config", "/p/fluentd/Dockerfile", false, nil},
		{"a task definition", "/p/taskdefs/api.json", false, []Target{stack}},
		{"a new task definition", "/p/taskdefs/worker.json", true, []Target{stack}},
		{"a task definition's temporary file", "/p/taskdefs/.api.json.swp", true, nil},
		{"devenv.yaml", "/p/devenv.yaml", false, []Target{stack}},
		{"the secrets file", "/p/.devenv/secrets.env", false, []Target{stack}},
		{"the generated file", "/p/docker-compose.gen.yaml", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.DeepEqual(t, testIndex().classify(tc.path, tc.entry), tc.want)
		})
	}
}

// TestIndexDirs: folders are watched, not files (a save by rename replaces
// the file), each once.
func TestIndexDirs(t *testing.T) {
	assert.DeepEqual(t, testIndex().dirs(), []string{
		"/p", "/p/.devenv", "/p/cmd/api", "/p/cmd/job", "/p/fluentd", "/p/fluentd/conf.d", "/p/internal/log", "/p/taskdefs",
	})
}
