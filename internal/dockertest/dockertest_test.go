package dockertest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/devenv-sh/devenv/internal/dockertest"
)

func TestBuildGoImageRunsTheProgram(t *testing.T) {
	cli := dockertest.Client(t)
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module app\n\ngo 1.26\n")
	write("main.go", "package main\n\nimport \"os\"\n\nfunc main() { os.Exit(7) }\n")
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
