package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

// TestWatch: devenv watch, started on a stack that runs, must replace the
// container of a go: service whose source changes (a new container,
// running), print a build error with go's file:line and leave the old
// container running, and stop on SIGINT with exit 0 and the stack still
// up.
func TestWatch(t *testing.T) {
	p := newAppProject(t, `{"family": "shop", "containerDefinitions": [{"name": "app", "image": "e2e-app:1", "essential": true}]}`, "")
	p.mustDevenv(2*time.Minute, "up", "-d")
	first := p.containerID("app")

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, devenvBin, "watch")
	cmd.Dir = p.dir
	var out testsupport.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("devenv watch:\n%s", out.String())
		}
	}()
	said := func(what string) func(context.Context) error {
		return func(context.Context) error {
			if cmd.ProcessState != nil {
				return fmt.Errorf("devenv watch exited: %v", cmd.ProcessState)
			}
			if !strings.Contains(out.String(), what) {
				return fmt.Errorf("not printed: %q", what)
			}
			return nil
		}
	}
	testsupport.Eventually(t, time.Minute, "watch ready", said("watching app (./app: 3 files)"))

	main := filepath.Join(p.dir, "app", "main.go")
	source, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	p.writeFile("app/main.go", strings.Replace(string(source), `"app: starting"`, `"app: starting again"`, 1))
	testsupport.Eventually(t, time.Minute, "the edited app's container replaced", said("app/main.go: app rebuilt and replaced in "))
	second := p.containerID("app")
	if second == first {
		t.Fatalf("the app's container is still %s", first)
	}
	if st := p.state("app"); st != "running" {
		t.Fatalf("the new app container is %s", st)
	}

	p.writeFile("app/main.go", strings.Replace(string(source), "func main() {", "func main() {\n\tundefinedCall()", 1))
	testsupport.Eventually(t, time.Minute, "the build error printed", said("app/main.go:20:2: undefined: undefinedCall"))
	if !strings.Contains(out.String(), "app does not build") {
		t.Errorf("the build failure is not said")
	}
	if id, st := p.containerID("app"), p.state("app"); id != second || st != "running" {
		t.Fatalf("after a build error, the app's container is %s (%s), want %s running", id, st, second)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("devenv watch after SIGINT: %v", err)
	}
	if !strings.Contains(out.String(), "stopped watching; the stack is still up") {
		t.Errorf("the stop is not said")
	}
	if id, st := p.containerID("app"), p.state("app"); id != second || st != "running" {
		t.Fatalf("after watch stopped, the app's container is %s (%s), want %s running", id, st, second)
	}
}
