package e2e

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/fakeclient"
)

// verifyEvents are the reference devenv.yaml's verify.events.
var verifyEvents = []string{"recipe_view", "click", "search", "bookmark", "share", "purchase"}

// TestVerify: devenv verify must prove, on the reference stack devenv up
// -d started, that every event type arrives in fake S3, fake TD and the
// Datadog stub; with fake S3 answering every PutObject 503 it must exit 1
// naming the S3 output as the hop where the event stopped; with a fake
// stopped, or no stack, it must say what to start.
func TestVerify(t *testing.T) {
	p := newProject(t, repoRoot)
	p.mustDevenv(5*time.Minute, "up", "-d")

	t.Run("every event type's row is complete", func(t *testing.T) {
		start := time.Now()
		r := p.devenv(time.Minute, "verify")
		t.Logf("devenv verify: %s wall for %d event types", time.Since(start).Round(time.Millisecond), len(verifyEvents))
		if r.code != 0 {
			t.Fatalf("devenv verify:\n%s", r)
		}
		for _, typ := range verifyEvents {
			row := regexp.MustCompile(`(?m)^` + typ + `\s+delish-local/logs/delish-event/` + typ + `/\d{4}/\d{2}/\d{2}/\d{2}_\d+_[0-9a-f]{12}\.gz\s+delish_local\.event_` + typ + `\s+delish\.api\.event 1\s+\d+(\.\d+)?m?s$`)
			if !row.MatchString(r.stdout) {
				t.Errorf("devenv verify: no complete row for %s\n%s", typ, r)
			}
		}
		if !strings.Contains(r.stdout, "6 event types arrived everywhere, as predicted") {
			t.Errorf("devenv verify: no summary\n%s", r)
		}
	})

	t.Run("fake S3 answering 503 stops the event at the S3 output", func(t *testing.T) {
		fakeS3 := fakeclient.NewS3("http://" + p.bind + ":4566")
		if err := fakeS3.InjectFault(t.Context(), fakeclient.Fault{Times: 100000, Status: 503, Method: "PUT"}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fakeS3.ClearFaults(t.Context()) }) //nolint:errcheck // the stack goes next
		r := p.devenv(time.Minute, "verify", "--event", "click", "--timeout", "5s", "--json")
		if r.code != 1 {
			t.Fatalf("devenv verify with PutObject failing: want exit 1\n%s", r)
		}
		var rep struct {
			OK     bool
			Events []struct {
				Event      string
				OK         bool
				Deliveries []struct {
					Type    string
					Arrived bool
					Stop    *struct{ Hop, Where, Reason, Detail string }
				}
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("devenv verify --json: %v\n%s", err, r)
		}
		if rep.OK || len(rep.Events) != 1 || rep.Events[0].OK {
			t.Fatalf("devenv verify --json: want click not OK\n%s", r)
		}
		var s3, td bool
		for _, d := range rep.Events[0].Deliveries {
			switch d.Type {
			case "s3":
				s3 = true
				if d.Arrived || d.Stop == nil || d.Stop.Hop != "output" || d.Stop.Reason != "output failing" ||
					!strings.Contains(d.Stop.Where, "s3 output") || !strings.Contains(d.Stop.Detail, "503 SlowDown") {
					t.Errorf("the S3 delivery: want stopped at the s3 output, failing with 503\n%s", r)
				}
			case "tdlog":
				td = true
				if !d.Arrived {
					t.Errorf("the TD delivery: want arrived\n%s", r)
				}
			}
		}
		if !s3 || !td {
			t.Fatalf("devenv verify --json: want an S3 and a TD delivery\n%s", r)
		}
		if !strings.Contains(r.stderr, "devenv: verify: click did not arrive everywhere (1 of 1 event type)") {
			t.Errorf("devenv verify: stderr does not name the event\n%s", r)
		}
	})

	t.Run("a fake stopped: verify says what to start", func(t *testing.T) {
		if _, err := p.docker.ContainerStop(t.Context(), p.containerID("fake-td"), client.ContainerStopOptions{}); err != nil {
			t.Fatal(err)
		}
		r := p.devenv(time.Minute, "verify", "--event", "click")
		if r.code != 1 || !regexp.MustCompile(`fake-td \(service fake-td\), where fluentd's Treasure Data outputs write, is Exited .*: start the stack with devenv up -d`).MatchString(r.stderr) {
			t.Fatalf("devenv verify with fake-td stopped:\n%s", r)
		}
	})

	t.Run("no stack running: verify says to run devenv up -d", func(t *testing.T) {
		p.mustDevenv(2*time.Minute, "down")
		r := p.devenv(time.Minute, "verify")
		want := "devenv: the stack is not running (project " + p.name + " has no running container): start it with devenv up -d\n"
		if r.code != 1 || r.stderr != want || r.stdout != "" {
			t.Fatalf("devenv verify with no stack: want exit 1 and %q\n%s", want, r)
		}
		if slices.ContainsFunc(p.leftovers(), func(s string) bool { return strings.HasPrefix(s, "container ") }) {
			t.Fatalf("verify must not start anything: %q", p.leftovers())
		}
	})
}
