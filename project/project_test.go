package project

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/config"
)

// TestLoadFromAnotherFolder: a project read through Dir translates as it
// does from its own folder: the committed file, byte for byte.
func TestLoadFromAnotherFolder(t *testing.T) {
	st, err := Load(t.Context(), Options{Dir: ".."})
	assert.NilError(t, err)
	got, err := st.Render(t.Context(), "docker-compose.gen.yaml")
	assert.NilError(t, err)
	want, err := os.ReadFile("../docker-compose.gen.yaml")
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(got, want), "Load with Dir .. differs from the committed docker-compose.gen.yaml")
}

// TestOverrideAndSync: Override changes the settings after devenv.yaml is
// read; Sync writes the files into the project folder, and refuses to
// replace a hand edit.
func TestOverrideAndSync(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"devenv.yaml", "taskdefs/api-server.json", "taskdefs/fluentd.json", "taskdefs/dd-agent.json", "fluentd/fluent.conf", "fluentd/Dockerfile", "sample/api-server/main.go"} {
		data, err := os.ReadFile(filepath.Join("..", f))
		assert.NilError(t, err)
		assert.NilError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(dir, f), data, 0o644))
	}
	st, err := Load(t.Context(), Options{Dir: dir, Override: func(l *config.Local) { l.Project, l.BindAddress = "other", "127.0.9.9" }})
	assert.NilError(t, err)
	assert.Equal(t, st.Project.Name, "other")
	var w bytes.Buffer
	assert.NilError(t, st.Sync(t.Context(), "docker-compose.gen.yaml", &w))
	assert.Assert(t, strings.Contains(w.String(), "wrote docker-compose.gen.yaml"), w.String())
	data, err := os.ReadFile(filepath.Join(dir, "docker-compose.gen.yaml"))
	assert.NilError(t, err)
	assert.Assert(t, strings.Contains(string(data), "host_ip: 127.0.9.9"))
	_, err = os.Stat(filepath.Join(dir, config.FluentdLocalDir, "fluent.conf"))
	assert.NilError(t, err, "the local fluentd copy is written in the project folder")

	assert.NilError(t, os.WriteFile(filepath.Join(dir, "docker-compose.gen.yaml"), bytes.Replace(data, []byte("127.0.9.9"), []byte("0.0.0.0"), 1), 0o644))
	st.Local.Project = "changed" // make it stale: the inputs "changed"
	st.Project.Name = "changed"
	err = st.Sync(t.Context(), "docker-compose.gen.yaml", &w)
	assert.ErrorContains(t, err, "docker-compose.gen.yaml was edited by hand since devenv wrote it")
}

// TestTaskDefFile: a service is traced to the task definition file it was
// translated from; a fake devenv adds, or a missing service, to none.
func TestTaskDefFile(t *testing.T) {
	st, err := Load(t.Context(), Options{Dir: ".."})
	assert.NilError(t, err)
	assert.Equal(t, st.TaskDefFile("fluentd"), "taskdefs/fluentd.json")
	assert.Equal(t, st.TaskDefFile("api-server"), "taskdefs/api-server.json")
	assert.Equal(t, st.TaskDefFile("fake-s3"), "")
	assert.Equal(t, st.TaskDefFile("nope"), "")
}

// writeProject writes files (path → contents) into a new project folder.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		assert.NilError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		assert.NilError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	return dir
}

// TestLoadReportsEveryErrorInOneRun: a task definition rejected for a
// dangling link still has its images checked, and a missing build
// folder of devenv.yaml is reported with both, in one run.
func TestLoadReportsEveryErrorInOneRun(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"devenv.yaml": "images:\n  - match: web\n    build: {context: ./missing}\n",
		"taskdefs/app.json": `{"family": "app", "containerDefinitions": [
  {"name": "api", "image": "123456789012.dkr.ecr.<region>.amazonaws.com/api:1", "links": ["nosuch"]},
  {"name": "web", "image": "web:1"}]}`,
	})
	_, err := Load(t.Context(), Options{Dir: dir})
	assert.ErrorContains(t, err, "devenv.yaml: images[0].build.context: folder ./missing does not exist in the project")
	assert.ErrorContains(t, err, "taskdefs/app.json: containerDefinitions[0](api).links[0]")
	assert.ErrorContains(t, err, `taskdefs/app.json: containerDefinitions[0](api).image: "123456789012.dkr.ecr.<region>.amazonaws.com/api:1" is not an image reference Docker can pull`)
	assert.Assert(t, !strings.Contains(err.Error(), "an ECR image"), err)
}

// TestLoadSubsetKeepsTheRestOfTheStack: with --taskdefs naming some of the
// project's files, devenv.yaml entries for the others are not errors, but
// an entry that matches no file of the stack still is, with its line and
// the nearest name.
func TestLoadSubsetKeepsTheRestOfTheStack(t *testing.T) {
	files := map[string]string{
		"devenv.yaml": `secrets:
  worker:
    QUEUE_TOKEN: local-token
volumes:
  spool: ./spool
images:
  - match: worker
    pull: true
`,
		"taskdefs/api.json":    `{"family": "api", "containerDefinitions": [{"name": "api", "image": "api:1"}]}`,
		"taskdefs/worker.json": `{"family": "worker", "volumes": [{"name": "spool"}], "containerDefinitions": [{"name": "worker", "image": "worker:1", "secrets": [{"name": "QUEUE_TOKEN", "valueFrom": "arn:aws:ssm:::parameter/q"}], "mountPoints": [{"sourceVolume": "spool", "containerPath": "/spool"}]}]}`,
	}
	dir := writeProject(t, files)
	_, err := Load(t.Context(), Options{Dir: dir, TaskDefs: []string{"taskdefs/api.json"}})
	assert.NilError(t, err)

	files["devenv.yaml"] = strings.Replace(files["devenv.yaml"], "  worker:\n", "  workr:\n", 1)
	dir = writeProject(t, files)
	_, err = Load(t.Context(), Options{Dir: dir, TaskDefs: []string{"taskdefs/api.json"}})
	assert.Error(t, err, `devenv.yaml:2: secrets.workr: no container workr in the task definitions; did you mean "worker"?: fix the name or remove the entry`)
}
