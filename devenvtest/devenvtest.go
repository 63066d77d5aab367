// Package devenvtest starts a devenv project's stack inside a Go test, the
// way `devenv up -d` does (the same images, stand-ins, fallbacks, health
// waits and ECS rules, through the Compose SDK), and gives the test typed
// access to what the fakes received, with waits that fail the test at a
// deadline. The stack gets its own Compose project name and loopback
// address, so tests and a developer's own stack never collide, and it is
// removed when the test ends, whether it passed or not.
//
//	func TestEventReachesS3(t *testing.T) {
//		st := devenvtest.Start(t)
//		resp, err := http.Post(st.URL(t, "api-server", 1323)+"/events", "application/json",
//			strings.NewReader(`{"event_type":"click","user_id":1}`))
//		...
//		lines := st.WaitS3Lines(t, "delish-local", "logs/delish-event/click/", 1, 30*time.Second)
//		...
//	}
//
// Importing it links no fake server: the fakes are read through the light
// clients of package fakeclient. The test machine needs Go and a Docker
// engine; no registry.
package devenvtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/project"
	"github.com/devenv-sh/devenv/stack"
)

// Option configures Start.
type Option func(*options)

type options struct {
	dir         string        // WithDir
	bind        string        // WithBindAddress
	waitTimeout time.Duration // WithWaitTimeout
}

// WithDir names the project folder (default: the nearest folder holding
// devenv.yaml, from the test's working directory up).
func WithDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithBindAddress sets the loopback address the stack publishes its ports
// on (default: a random one in 127.0.0.0/8, so that stacks never collide).
func WithBindAddress(addr string) Option { return func(o *options) { o.bind = addr } }

// WithWaitTimeout bounds the wait for every service to be healthy
// (default 3 minutes).
func WithWaitTimeout(d time.Duration) Option { return func(o *options) { o.waitTimeout = d } }

// Stack is a running stack of a devenv project.
type Stack struct {
	// Name is the Compose project name.
	Name string
	// Dir is the copy of the project the stack runs from.
	Dir string
	// Bind is the address the stack's ports are published on.
	Bind string
	// S3, TD and Datadog read what the fakes received; nil when the stack
	// has no such fake.
	S3      *fakeclient.S3
	TD      *fakeclient.TD
	Datadog *fakeclient.Datadog

	eng        *stack.Engine
	project    *types.Project
	containers []stack.Container
}

// Start starts the stack of the project (see WithDir) and waits until
// every service is healthy or running; it fails the test, with the error
// devenv up would print, when the stack does not start. The stack runs from
// a copy of the project (so that its generated files, buffers and volumes
// are its own) and is removed, volumes included, when the test ends.
func Start(t testing.TB, opts ...Option) *Stack {
	t.Helper()
	o := options{waitTimeout: 3 * time.Minute}
	for _, opt := range opts {
		opt(&o)
	}
	s, err := start(t, o, t.Cleanup)
	if err != nil {
		t.Fatalf("devenvtest: %v", err)
	}
	return s
}

// start starts the stack, registering its removal with cleanup as soon as
// there is something to remove.
func start(t testing.TB, o options, cleanup func(func())) (*Stack, error) {
	src := o.dir
	if src == "" {
		dir, err := findProject()
		if err != nil {
			return nil, err
		}
		src = dir
	}
	src, err := filepath.Abs(src)
	if err != nil {
		return nil, err
	}
	if o.bind == "" {
		o.bind = randomLoopback()
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	s := &Stack{Name: fmt.Sprintf("devenvtest-%x", rnd), Dir: t.TempDir(), Bind: o.bind}
	if err := CopyProject(src, s.Dir); err != nil {
		return nil, fmt.Errorf("copy the project %s: %w", src, err)
	}
	ctx := context.Background()
	progress := &logWriter{t: t}
	st, err := project.Load(ctx, project.Options{Dir: s.Dir, Override: func(l *config.Local) {
		l.Project, l.BindAddress = s.Name, s.Bind
	}})
	if err != nil {
		return nil, err
	}
	if err := st.Sync(ctx, st.Local.Output, progress); err != nil {
		return nil, err
	}
	// Go builds run in the project itself: its go.mod may name modules by
	// relative paths.
	if s.eng, err = stack.New(ctx, stack.WithOutput(progress, progress), stack.WithGoDir(src)); err != nil {
		return nil, err
	}
	if s.project, err = s.eng.Load(ctx, filepath.Join(s.Dir, st.Local.Output), ""); err != nil {
		s.eng.Close()
		return nil, err
	}
	cleanup(s.remove)
	if err := s.eng.CheckPorts(ctx, s.project); err != nil {
		return nil, err
	}
	if err := s.eng.Build(ctx, s.project); err != nil {
		return nil, err
	}
	if err := s.eng.Up(ctx, s.project, stack.UpOptions{WaitTimeout: o.waitTimeout}); err != nil {
		return nil, err
	}
	if s.containers, err = s.eng.Ps(ctx, s.project); err != nil {
		return nil, err
	}
	for _, c := range s.containers {
		switch c.StandIn {
		case string(config.StandInFakeS3):
			s.S3 = fakeclient.NewS3("http://" + s.hostPort(c, config.FakeS3Port))
		case string(config.StandInFakeTD):
			s.TD = fakeclient.NewTD("http://" + s.hostPort(c, config.FakeTDPort))
		case string(config.StandInDatadogStub):
			s.Datadog = fakeclient.NewDatadog("http://" + s.hostPort(c, config.DatadogAPMPort))
		}
	}
	return s, nil
}

// remove takes the stack down, its volumes with it.
func (s *Stack) remove() {
	defer s.eng.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.eng.Down(ctx, s.project, stack.DownOptions{Volumes: true}); err != nil {
		fmt.Fprintf(os.Stderr, "devenvtest: remove stack %s: %v (docker compose -p %s down -v removes it)\n", s.Name, err, s.Name)
	}
}

// hostPort is where container port port of c is published, or "" when it
// is not.
func (s *Stack) hostPort(c stack.Container, port int) string {
	for _, p := range c.Ports {
		if p.Target == port && p.Protocol == "tcp" {
			return p.Host
		}
	}
	return ""
}

// Addr returns the host address ("127.0.3.4:1323") where service's
// container port port is published; it fails the test when it is not.
func (s *Stack) Addr(t testing.TB, service string, port int) string {
	t.Helper()
	for _, c := range s.containers {
		if c.Service == service {
			if a := s.hostPort(c, port); a != "" {
				return a
			}
			t.Fatalf("devenvtest: service %s publishes no tcp port %d", service, port)
		}
	}
	t.Fatalf("devenvtest: the stack has no service %s", service)
	return ""
}

// URL returns "http://" + Addr(service, port).
func (s *Stack) URL(t testing.TB, service string, port int) string {
	t.Helper()
	return "http://" + s.Addr(t, service, port)
}

// Logs returns what service's container logged so far.
func (s *Stack) Logs(t testing.TB, service string) string {
	t.Helper()
	var b bytes.Buffer
	if err := s.eng.Logs(context.Background(), s.project, &b, stack.LogOptions{Services: []string{service}, Tail: -1}); err != nil {
		t.Fatalf("devenvtest: logs of %s: %v", service, err)
	}
	return b.String()
}

// logWriter sends what devenv prints while it starts the stack to the test
// log, a line at a time.
type logWriter struct {
	t    testing.TB
	part []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.t.Log(string(w.part[:i]))
		w.part = w.part[i+1:]
	}
}

// findProject returns the nearest folder, from the working directory up,
// that holds devenv.yaml.
func findProject() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, config.DefaultFile)); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no " + config.DefaultFile + " in the working directory or above it: give the project with WithDir")
		}
		dir = parent
	}
}

// randomLoopback returns an address of 127.0.0.0/8 other than 127.0.0.1.
func randomLoopback() string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return "127." + strconv.Itoa(1+int(b[0])%250) + "." + strconv.Itoa(1+int(b[1])%250) + ".1"
}

// CopyProject copies the project in src into dst: the files git lists
// (tracked, and new ones it does not ignore) when src is in a checkout,
// else every regular file but version control and devenv's runtime
// folder (.devenv).
func CopyProject(src, dst string) error {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = src
	if out, err := cmd.Output(); err == nil {
		for name := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
			if err := copyFile(filepath.Join(src, name), filepath.Join(dst, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err // a file deleted but not yet staged is skipped
			}
		}
		return nil
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".devenv") {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
}

// copyFile copies a regular file, keeping its permission bits.
func copyFile(src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, info.Mode().Perm())
}
