package e2e

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

// newAppProject is a project of one task definition (taskdef, JSON) whose
// e2e-app images are the test app (testdata/app) built by a go: rule, with
// more image rules in extra. The go: rule is there only when taskdef uses
// e2e-app: a rule that matches no image is an error.
func newAppProject(t *testing.T, taskdef, extra string) *project {
	t.Helper()
	src := t.TempDir()
	rules := extra
	if strings.Contains(taskdef, `"e2e-app:`) {
		rules = "  - match: e2e-app\n    go: ./app\n" + extra
	}
	files := map[string]string{
		"taskdefs/task.json": taskdef,
		"devenv.yaml":        "project: e2e\nimages:\n" + rules,
	}
	for _, f := range []string{"main.go", "go.mod"} {
		data, err := os.ReadFile(filepath.Join("testdata", "app", f))
		if err != nil {
			t.Fatal(err)
		}
		name := "app/" + f
		if f == "go.mod" {
			name = f
		}
		files[name] = string(data)
	}
	for name, content := range files {
		path := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return newProject(t, src)
}

// wantFailure checks that r is a failure with exit code code whose stderr
// holds every one of want.
func wantFailure(t *testing.T, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d", r.code, code)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("%s", r)
	}
}

// TestUpPortTaken: a host port held by another program must fail up
// before anything is built or created, naming the port, the service and
// the devenv.yaml key that moves it.
func TestUpPortTaken(t *testing.T) {
	p := newProject(t, repoRoot)
	l, err := net.Listen("tcp", p.bind+":1323")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := p.devenv(time.Minute, "up", "-d")
	wantFailure(t, r, 1,
		"api-server: host port "+p.bind+":1323/tcp is taken by another program",
		`services: {delish-server/api-server: {ports: {"1323/tcp": <free port>}}}`)
	if strings.Contains(r.stderr, "Built") {
		t.Errorf("up built images before failing on the port:\n%s", r)
	}
	if left := p.leftovers(); len(left) > 0 {
		t.Errorf("left behind: %q", left)
	}
}

// TestUpUnhealthy: a service whose health check keeps failing must fail
// up with the check's last output.
func TestUpUnhealthy(t *testing.T) {
	p := newAppProject(t, `{"family": "shop", "containerDefinitions": [{
		"name": "app", "image": "e2e-app:1", "essential": true,
		"healthCheck": {"command": ["CMD", "/app", "-fail-health"], "interval": 5, "timeout": 2, "retries": 1}
	}]}`, "")
	r := p.devenv(2*time.Minute, "up", "-d")
	wantFailure(t, r, 1, "app is unhealthy", "(exit 1): health: the database does not answer", "app: starting")
}

// TestUpHealthCheckOfUnknownKind: a health check whose command starts with
// neither CMD nor CMD-SHELL, which ECS registers and Docker never runs, must
// not fail up nor keep it waiting: locally no check runs either.
func TestUpHealthCheckOfUnknownKind(t *testing.T) {
	p := newAppProject(t, `{"family": "shop", "containerDefinitions": [{
		"name": "app", "image": "e2e-app:1", "essential": true,
		"healthCheck": {"command": ["/app", "-fail-health"], "interval": 5, "timeout": 2, "retries": 1}
	}]}`, "")
	p.mustDevenv(2*time.Minute, "up", "-d")
	info, err := p.docker.ContainerInspect(t.Context(), p.containerID("app"), client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := info.Container.State.Health; h != nil && len(h.Log) > 0 {
		t.Errorf("a health check ran: %+v", h.Log)
	}
	if s := p.state("app"); s != "running" {
		t.Errorf("app is %s, want running", s)
	}
}

// TestUpEssentialExits: an essential container that exits while up waits
// must fail up with its exit code and last log lines.
func TestUpEssentialExits(t *testing.T) {
	p := newAppProject(t, `{"family": "shop", "containerDefinitions": [
		{"name": "app", "image": "e2e-app:1", "essential": true, "command": ["-exit-after", "1s", "-code", "3"]},
		{"name": "db", "image": "e2e-app:1", "essential": true, "command": ["-ready-after", "60s"],
		 "healthCheck": {"command": ["CMD", "/app", "-check-ready"], "interval": 5, "timeout": 2, "retries": 10}}
	]}`, "")
	r := p.devenv(2*time.Minute, "up", "-d")
	wantFailure(t, r, 1, "app exited with code 3; it is essential, so ECS would stop its task",
		"last log lines of app:", "app: giving up: cannot reach the database")
}

// TestUpBuildFails: an image that does not build must fail up with the
// build's own words: the end of a Dockerfile build's output, go's
// file:line for a Go service.
func TestUpBuildFails(t *testing.T) {
	t.Run("Dockerfile", func(t *testing.T) {
		p := newAppProject(t, `{"family": "shop", "containerDefinitions": [{"name": "web", "image": "e2e-web:1"}]}`,
			"  - match: e2e-web\n    build:\n      context: web\n")
		if err := os.MkdirAll(filepath.Join(p.dir, "web"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p.dir, "web", "Dockerfile"), []byte("FROM scratch\nCOPY missing.txt /\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := p.devenv(2*time.Minute, "up", "-d")
		wantFailure(t, r, 1, "build web (web/Dockerfile):", "missing.txt", "last lines of the build:", ": COPY missing.txt /")
	})
	t.Run("Go", func(t *testing.T) {
		p := newAppProject(t, `{"family": "shop", "containerDefinitions": [{"name": "app", "image": "e2e-app:1"}]}`, "")
		main := filepath.Join(p.dir, "app", "main.go")
		data, err := os.ReadFile(main)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(main, bytes.Replace(data, []byte("func main() {"), []byte("func main() {\n\tundefinedCall()"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		r := p.devenv(2*time.Minute, "up", "-d")
		wantFailure(t, r, 1, "build devenv.local/app:dev from ./app", "app/main.go:20:2:", "undefined: undefinedCall")
	})
}

// TestUpNoEngine: with no Docker engine at DOCKER_HOST, up must say so and
// how to start one.
func TestUpNoEngine(t *testing.T) {
	p := newAppProject(t, `{"family": "shop", "containerDefinitions": [{"name": "app", "image": "e2e-app:1"}]}`, "")
	sock := "unix://" + filepath.Join(t.TempDir(), "docker.sock")
	for _, args := range [][]string{{"up", "-d"}, {"ps"}} {
		r := p.devenvEnv(time.Minute, []string{"DOCKER_HOST=" + sock, "DOCKER_CONTEXT="}, args...)
		wantFailure(t, r, 1, "no Docker engine answers at "+sock, "Start one")
	}
}

// TestUpInterrupted: Ctrl-C while up waits must remove what up created:
// nothing half-created is left running.
func TestUpInterrupted(t *testing.T) {
	p := newAppProject(t, `{"family": "shop", "containerDefinitions": [{
		"name": "app", "image": "e2e-app:1", "essential": true,
		"healthCheck": {"command": ["CMD", "/app", "-fail-health"], "interval": 30, "timeout": 2, "retries": 10}
	}]}`, "")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, devenvBin, "up", "-d")
	cmd.Dir = p.dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	filter := make(client.Filters).Add("label", "com.docker.compose.project="+p.name).Add("status", "running")
	testsupport.Eventually(t, time.Minute, "the app container running", func(context.Context) error {
		list, err := p.docker.ContainerList(t.Context(), client.ContainerListOptions{Filters: filter})
		if err == nil && len(list.Items) == 0 {
			err = os.ErrNotExist
		}
		return err
	})
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code != 130 || !strings.Contains(stderr.String(), "interrupted: removed the containers and networks up had created") {
		t.Fatalf("up after SIGINT: exit %d (%v), want 130 and the removal said:\n%s", code, err, stderr.String())
	}
	if left := p.leftovers(); len(left) > 0 {
		t.Fatalf("left behind: %q", left)
	}
}

// TestUpPullFails: an image that must be pulled and cannot be must fail up
// naming the service, the image and what to do (for ECR: log in). An ECR
// image no images rule matches must be pulled, as one under pull: true.
func TestUpPullFails(t *testing.T) {
	p := newAppProject(t, `{"family": "shop", "containerDefinitions": [
		{"name": "cache", "image": "example.invalid/devenv-e2e/cache:7"},
		{"name": "api", "image": "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/devenv-e2e-api:1"},
		{"name": "jobs", "image": "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/devenv-e2e-jobs:1"}
	]}`, "  - match: devenv-e2e-api\n    pull: true\n")
	r := p.devenv(2*time.Minute, "up", "-d")
	wantFailure(t, r, 1, "cache: pull example.invalid/devenv-e2e/cache:7", "Check the name and your network (docker pull example.invalid/devenv-e2e/cache:7)",
		"api: pull 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/devenv-e2e-api:1",
		"This is an ECR image: log in first (aws ecr get-login-password --region ap-northeast-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com)",
		"jobs: pull 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/devenv-e2e-jobs:1")
	if left := p.leftovers(); len(left) > 0 {
		t.Errorf("left behind: %q", left)
	}
}

// TestUpAwsvpcAndBuildRule: an awsvpc task must run as on ECS, its
// containers in the namespace of devenv's pause container (the devenv
// pause command in devenv/pause:local), and a build: rule that builds must
// run the image Compose built.
func TestUpAwsvpcAndBuildRule(t *testing.T) {
	p := newAppProject(t, `{"family": "shop", "networkMode": "awsvpc", "containerDefinitions": [
		{"name": "app", "image": "e2e-app:1", "essential": true},
		{"name": "web", "image": "e2e-web:1", "essential": true}
	]}`, "  - match: e2e-web\n    build:\n      context: web\n")
	// The build starts from the go: rule's image, which up makes first.
	p.writeFile("web/Dockerfile", "FROM devenv.local/app:dev\nLABEL e2e.built=yes\n")
	p.mustDevenv(2*time.Minute, "up", "-d")
	for _, svc := range []string{"shop-pause", "app", "web"} {
		if s := p.state(svc); s != "running" {
			t.Errorf("%s is %s, want running", svc, s)
		}
	}
	info, err := p.docker.ContainerInspect(t.Context(), p.containerID("web"), client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Container.Config.Labels["e2e.built"] != "yes" {
		t.Errorf("web does not run the image its build: rule built: labels %v", info.Container.Config.Labels)
	}
	if mode := string(info.Container.HostConfig.NetworkMode); !strings.HasPrefix(mode, "container:") {
		t.Errorf("web's network mode is %q, want the pause container's namespace", mode)
	}
	r := p.mustDevenv(time.Minute, "down")
	if left := p.leftovers(); len(left) > 0 {
		t.Errorf("after down: %q\n%s", left, r)
	}
}
