package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/devenvtest"
	"github.com/devenv-sh/devenv/internal/dockertest"
)

// devenvBin is the devenv binary under test, built by TestMain as users
// build it for CI: static (CGO_ENABLED=0), so devenv up copies it into its
// stand-in images as it is.
var devenvBin string

// repoRoot is the devenv checkout the tests run from.
var repoRoot string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = root
	dir, err := os.MkdirTemp("", "devenv-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	devenvBin = filepath.Join(dir, "devenv")
	build := exec.Command("go", "build", "-o", devenvBin, "./cmd/devenv")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build devenv: %v\n%s", err, out)
		return 1
	}
	// The images the tests make (devenv's stand-ins, the Go services,
	// builds) go too, so that a run leaves the engine as it found it.
	return dockertest.RunRemovingImages(m)
}

// project is a copy of a devenv project in a temporary folder, with its
// own Compose project name and loopback bind address.
type project struct {
	t      *testing.T
	dir    string
	name   string // Compose project name
	bind   string // bindAddress, 127.0.0.x
	docker *client.Client
}

// newProject copies src (a folder, the repository root for the reference
// stack) to a temporary folder, sets devenv.yaml's project and
// bindAddress to fresh values, and registers the removal of everything the
// project starts.
func newProject(t *testing.T, src string) *project {
	t.Helper()
	dir := t.TempDir()
	if err := devenvtest.CopyProject(src, dir); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	p := &project{
		t:    t,
		dir:  dir,
		name: "e2e-" + hex.EncodeToString(rnd[:]),
		bind: fmt.Sprintf("127.0.%d.%d", 1+int(rnd[0])%250, 2+int(rnd[1])%250),
	}
	p.setConfig("project", p.name)
	p.setConfig("bindAddress", p.bind)
	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	p.docker = cli
	t.Cleanup(p.cleanup)
	return p
}

// setConfig sets a top-level key of the copy's devenv.yaml.
func (p *project) setConfig(key, value string) {
	p.t.Helper()
	file := filepath.Join(p.dir, "devenv.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		p.t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `:.*$`)
	line := key + ": " + value
	if re.Match(data) {
		data = re.ReplaceAll(data, []byte(line))
	} else {
		data = append([]byte(line+"\n"), data...)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// result is what one devenv run did.
type result struct {
	code   int
	stdout string
	stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// devenv runs the binary in the project folder and returns what it did;
// it fails the test only when the binary cannot run or overruns timeout.
func (p *project) devenv(timeout time.Duration, args ...string) result {
	p.t.Helper()
	return p.devenvEnv(timeout, nil, args...)
}

func (p *project) devenvEnv(timeout time.Duration, env []string, args ...string) result {
	p.t.Helper()
	// Not t.Context(): cleanup runs devenv too, after it is canceled.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, devenvBin, args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatalf("devenv %s: %v\n%s", strings.Join(args, " "), err, r)
	}
	if ctx.Err() != nil {
		p.t.Fatalf("devenv %s: still running after %s\n%s", strings.Join(args, " "), timeout, r)
	}
	return r
}

// mustDevenv is devenv that fails the test unless the run exits 0.
func (p *project) mustDevenv(timeout time.Duration, args ...string) result {
	p.t.Helper()
	r := p.devenv(timeout, args...)
	if r.code != 0 {
		p.t.Fatalf("devenv %s:\n%s", strings.Join(args, " "), r)
	}
	return r
}

// cleanup removes the project's containers, networks and volumes: with
// devenv down -v, then directly through the engine in case that failed.
// On failure it first logs what the containers said.
func (p *project) cleanup() {
	if p.t.Failed() {
		if _, err := os.Stat(filepath.Join(p.dir, "docker-compose.gen.yaml")); err == nil {
			r := p.devenv(time.Minute, "logs", "--tail", "30")
			p.t.Logf("logs of project %s:\n%s%s", p.name, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(p.dir, "docker-compose.gen.yaml")); err == nil {
		p.devenv(2*time.Minute, "down", "-v")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	filter := make(client.Filters).Add("label", "com.docker.compose.project="+p.name)
	if list, err := p.docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter}); err == nil {
		for _, c := range list.Items {
			p.docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}) //nolint:errcheck // best effort
		}
	}
	if list, err := p.docker.NetworkList(ctx, client.NetworkListOptions{Filters: filter}); err == nil {
		for _, n := range list.Items {
			p.docker.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}) //nolint:errcheck // best effort
		}
	}
	if list, err := p.docker.VolumeList(ctx, client.VolumeListOptions{Filters: filter}); err == nil {
		for _, v := range list.Items {
			p.docker.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}) //nolint:errcheck // best effort
		}
	}
	p.docker.Close()
}

// leftovers lists the project's containers, networks and volumes.
func (p *project) leftovers() []string {
	p.t.Helper()
	ctx := p.t.Context()
	filter := make(client.Filters).Add("label", "com.docker.compose.project="+p.name)
	var out []string
	cs, err := p.docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		p.t.Fatal(err)
	}
	for _, c := range cs.Items {
		out = append(out, "container "+strings.Join(c.Names, ","))
	}
	ns, err := p.docker.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		p.t.Fatal(err)
	}
	for _, n := range ns.Items {
		out = append(out, "network "+n.Name)
	}
	vs, err := p.docker.VolumeList(ctx, client.VolumeListOptions{Filters: filter})
	if err != nil {
		p.t.Fatal(err)
	}
	for _, v := range vs.Items {
		out = append(out, "volume "+v.Name)
	}
	return out
}

// containerID returns the ID of service's container.
func (p *project) containerID(service string) string {
	p.t.Helper()
	filter := make(client.Filters).Add("label", "com.docker.compose.project="+p.name).Add("label", "com.docker.compose.service="+service)
	list, err := p.docker.ContainerList(p.t.Context(), client.ContainerListOptions{All: true, Filters: filter})
	if err != nil || len(list.Items) != 1 {
		p.t.Fatalf("container of service %s: %v (%d found)", service, err, len(list.Items))
	}
	return list.Items[0].ID
}

// writeFile writes content to name, relative to the project.
func (p *project) writeFile(name, content string) {
	p.t.Helper()
	path := filepath.Join(p.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}
