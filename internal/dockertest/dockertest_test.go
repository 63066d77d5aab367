package dockertest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/internal/dockertest"
)

// TestBuildGoImageRunsTheProgram builds a program into an image, runs a
// container of it and checks what the program did: its stdout, its stderr
// and its exit code (and the image's label and entrypoint).
func TestBuildGoImageRunsTheProgram(t *testing.T) {
	cli := dockertest.Client(t)
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module app\n\ngo 1.26\n")
	write("main.go", `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("out", os.Args[1:])
	fmt.Fprintln(os.Stderr, "err")
	os.Exit(7)
}
`)
	tag := dockertest.BuildGoImage(t, cli, "devenv-test-dockertest", dir)

	inspect, err := cli.ImageInspect(t.Context(), tag)
	if err != nil {
		t.Fatalf("inspect %s: %v", tag, err)
	}
	if got := inspect.Config.Labels[dockertest.Label]; got != "1" {
		t.Errorf("label %s = %q, want 1", dockertest.Label, got)
	}
	if got := inspect.Config.Entrypoint; len(got) != 1 || got[0] != "/app" {
		t.Errorf("entrypoint = %q, want [/app]", got)
	}

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: tag, Cmd: []string{"a", "b"}, Labels: map[string]string{dockertest.Label: "1"}},
	})
	if err != nil {
		t.Fatalf("create a container of %s: %v", tag, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Errorf("remove container %s (remove it with docker rm -f): %v", created.ID, err)
		}
	})
	wait := cli.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("start container of %s: %v", tag, err)
	}
	select {
	case res := <-wait.Result:
		if res.StatusCode != 7 {
			t.Errorf("exit code = %d, want 7 (the program's os.Exit)", res.StatusCode)
		}
	case err := <-wait.Error:
		t.Fatalf("wait for container of %s: %v", tag, err)
	}
	logs, err := cli.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatalf("logs of container of %s: %v", tag, err)
	}
	defer logs.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, logs); err != nil {
		t.Fatalf("read logs of container of %s: %v", tag, err)
	}
	if got, want := stdout.String(), "out [a b]\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got, want := stderr.String(), "err\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

func TestBuildGoImageAtPlacesTheBinary(t *testing.T) {
	cli := dockertest.Client(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module app\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tag := dockertest.BuildGoImageAt(t, cli, "devenv-test-dockertest", dir, "/devenv")
	inspect, err := cli.ImageInspect(t.Context(), tag)
	if err != nil {
		t.Fatalf("inspect %s: %v", tag, err)
	}
	if got := inspect.Config.Entrypoint; len(got) != 1 || got[0] != "/devenv" {
		t.Errorf("entrypoint = %q, want [/devenv]", got)
	}
}

func TestBuildGoImageReportsCompileErrors(t *testing.T) {
	ft := &fatalRecorder{TB: t}
	cli := dockertest.Client(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module app\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { x }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		dockertest.BuildGoImage(ft, cli, "devenv-test-dockertest", dir)
	}()
	<-done
	if !strings.Contains(ft.msg, "go build "+dir) || !strings.Contains(ft.msg, "undefined: x") {
		t.Fatalf("a package that does not compile must fail the test naming the error; got %q", ft.msg)
	}
}

// fatalRecorder records Fatalf instead of stopping the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
