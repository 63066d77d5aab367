package devenvtest

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/internal/dockertest"
)

// TestReferenceStack: Start must bring up the repository's own project in
// the test, reach its API server, and show an event in fake S3 and fake
// TD and the request in the Datadog stub; the stack is gone once the test
// that started it ends.
func TestReferenceStack(t *testing.T) {
	cli := dockertest.Client(t)
	var name string
	t.Run("start", func(t *testing.T) {
		st := Start(t, WithDir(".."))
		name = st.Name
		id := fmt.Sprintf("devenvtest-%d", time.Now().UnixNano())
		resp, err := http.Post(st.URL(t, "api-server", 1323)+"/events", "application/json",
			strings.NewReader(`{"event_type":"click","id":"`+id+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		line := st.WaitS3Line(t, "delish-local", "logs/delish-event/click/", id, 30*time.Second)
		if !strings.Contains(line, `"log_type":"EVENT"`) {
			t.Errorf("S3 line: %s", line)
		}
		recs := st.WaitTDRecords(t, "delish_local", "event_click", 1, 30*time.Second)
		if recs[0]["id"] != id {
			t.Errorf("TD record: %v", recs[0])
		}
		st.WaitMetric(t, fakeclient.MetricQuery{Name: "delish.api.event", Tags: []string{"event_type:click"}}, 15*time.Second,
			func(r fakeclient.MetricsResult) bool { return r.Total.Sum >= 1 })
		if logs := st.Logs(t, "api-server"); !strings.Contains(logs, id) {
			t.Errorf("api-server's logs lack the event:\n%s", logs)
		}
	})
	filter := make(client.Filters).Add("label", "com.docker.compose.project="+name)
	list, err := cli.ContainerList(t.Context(), client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		t.Fatal(err)
	}
	vols, err := cli.VolumeList(t.Context(), client.VolumeListOptions{Filters: filter})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) > 0 || len(vols.Items) > 0 {
		t.Fatalf("after the test: %d containers and %d volumes of %s are left", len(list.Items), len(vols.Items), name)
	}
}

// fatalRecorder is a testing.TB whose Fatal ends the calling goroutine
// and keeps the message, to see what Start reports.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.msg = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *fatalRecorder) Helper() {}

// TestStartFailsClearly: a stack that cannot start fails the test with
// devenv up's own error, here a port taken on the bind address.
func TestStartFailsClearly(t *testing.T) {
	bind := randomLoopback()
	l, err := net.Listen("tcp", bind+":1323")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(r, WithDir(".."), WithBindAddress(bind))
	}()
	<-done
	want := "devenvtest: api-server: host port " + bind + ":1323/tcp is taken by another program"
	if !strings.HasPrefix(r.msg, want) {
		t.Fatalf("Start's failure: %q, want it to start with %q", r.msg, want)
	}
}

// BenchmarkStart measures Start of the reference stack, its images made
// (as bench/up.sh measures devenv up -d; target: no more than 10 % slower),
// each stack taken down outside the timing.
func BenchmarkStart(b *testing.B) {
	o := options{dir: "..", waitTimeout: 3 * time.Minute}
	startAndRemove := func(timed bool) {
		var removes []func()
		defer func() {
			if timed {
				b.StopTimer()
				defer b.StartTimer()
			}
			for _, f := range removes {
				f()
			}
		}()
		if _, err := start(b, o, func(f func()) { removes = append(removes, f) }); err != nil {
			b.Fatal(err)
		}
	}
	startAndRemove(false) // makes the images
	for b.Loop() {
		startAndRemove(true)
	}
}

// TestLinksNoFakeServer: a user's test that imports devenvtest links none
// of the fake servers (nor echo): it reads them through fakeclient.
func TestLinksNoFakeServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for dep := range strings.Lines(string(out)) {
		dep = strings.TrimSpace(dep)
		if strings.HasPrefix(dep, "github.com/devenv-sh/devenv/fakes/") || strings.HasPrefix(dep, "github.com/labstack/echo") {
			t.Errorf("devenvtest links %s", dep)
		}
	}
}
