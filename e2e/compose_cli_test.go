package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// composeCLI builds the docker compose CLI from the Compose module devenv
// links (go.mod's tool), named docker-compose as the standalone binary is.
func composeCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "docker-compose")
	build := exec.Command("go", "build", "-o", bin, "github.com/docker/compose/v5/cmd")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as devenv is built: the compiled packages are shared
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the compose CLI: %v\n%s", err, out)
	}
	return bin
}

// TestComposeCLISeesTheStack: what devenv up starts must be a plain
// Compose project: docker compose -f docker-compose.gen.yaml ps lists it
// and docker compose down removes it.
func TestComposeCLISeesTheStack(t *testing.T) {
	cli := composeCLI(t)
	p := newAppProject(t, `{"family": "shop", "containerDefinitions": [
		{"name": "app", "image": "e2e-app:1", "essential": true},
		{"name": "db", "image": "e2e-app:1", "essential": true}
	]}`, "")
	p.mustDevenv(2*time.Minute, "up", "-d")
	compose := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), cli, append([]string{"-f", "docker-compose.gen.yaml"}, args...)...)
		cmd.Dir = p.dir
		cmd.Env = os.Environ()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("docker compose %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out)
	}
	var services []string
	for line := range strings.Lines(compose("ps", "--format", "json")) {
		var c struct{ Service, State string }
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("docker compose ps --format json: %v: %q", err, line)
		}
		services = append(services, c.Service+" "+c.State)
	}
	slices.Sort(services)
	if want := []string{"app running", "db running"}; !slices.Equal(services, want) {
		t.Fatalf("docker compose ps: %q, want %q", services, want)
	}
	compose("down")
	if left := p.leftovers(); len(left) > 0 {
		t.Fatalf("after docker compose down: %q", left)
	}
}
