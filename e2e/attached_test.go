package e2e

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

// TestUpAttachedStopsTask: attached up must do what ECS does and Compose
// does not: when an essential container exits, the other containers of
// its task stop, up says why, and other tasks run on; Ctrl-C then stops
// the stack and leaves its containers for the next up.
func TestUpAttachedStopsTask(t *testing.T) {
	p := newAppProject(t, `{"family": "shop", "containerDefinitions": [
		{"name": "app", "image": "e2e-app:1", "essential": true, "command": ["-exit-after", "4s", "-code", "0"]},
		{"name": "sidecar", "image": "e2e-app:1", "essential": false}
	]}`, "")
	// A second task, in a file of its own.
	p.writeFile("taskdefs/other.json", `{"family": "other", "containerDefinitions": [{"name": "worker", "image": "e2e-app:1"}]}`)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, devenvBin, "up")
	cmd.Dir = p.dir
	var stdout, stderr testsupport.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // the test may end early
	report := func() string { return fmt.Sprintf("--- stdout\n%s--- stderr\n%s", stdout.String(), stderr.String()) }

	testsupport.Eventually(t, time.Minute, "the stop of task shop", func(context.Context) error {
		if !strings.Contains(stderr.String(), "app exited with code 0; it is essential, so ECS stops its task shop: stopping app, sidecar") {
			return errors.New("not said yet\n" + report())
		}
		return nil
	})
	testsupport.Eventually(t, 30*time.Second, "sidecar stopped, worker running", func(context.Context) error {
		if s := p.state("sidecar"); s != "exited" {
			return fmt.Errorf("sidecar is %s", s)
		}
		if s := p.state("worker"); s != "running" {
			return fmt.Errorf("worker is %s", s)
		}
		return nil
	})
	if !strings.Contains(stdout.String(), "app") || !strings.Contains(stdout.String(), "| app: giving up: cannot reach the database") {
		t.Errorf("up did not stream app's log lines\n%s", report())
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("up after SIGINT: exit %d (%v), want 130\n%s", code, err, report())
	}
	if s := p.state("worker"); s != "exited" {
		t.Fatalf("after Ctrl-C, worker is %s, want exited (stopped, kept)", s)
	}
}

// state returns the state of service's container (running, exited, ...).
func (p *project) state(service string) string {
	p.t.Helper()
	info, err := p.docker.ContainerInspect(p.t.Context(), p.containerID(service), client.ContainerInspectOptions{})
	if err != nil {
		p.t.Fatal(err)
	}
	return string(info.Container.State.Status)
}
