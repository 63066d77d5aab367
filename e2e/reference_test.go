package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// The reference stack's local settings (devenv.yaml), which the
// predictions of devenv routes need too.
const (
	localBucket   = "delish-local"
	localDatabase = "delish_local"
)

// eventTypes are the event types the test's requests log, besides the
// API server's own recipe_view.
var eventTypes = []string{"click", "search", "bookmark", "share", "purchase"}

// TestReferenceStack: devenv up -d must start the DELISH KITCHEN stack
// from its production task definitions, and every event the API server
// logs must reach fake S3 and fake Treasure Data exactly where, and as,
// devenv routes predicts, with the request metrics in the Datadog stub;
// killing fluentd must lose nothing it had taken into its buffer; down
// must leave nothing behind.
func TestReferenceStack(t *testing.T) {
	p := newProject(t, repoRoot)
	up := p.mustDevenv(5*time.Minute, "up", "-d")
	for _, want := range []string{
		"docker-compose.gen.yaml is stale", // the copy's devenv.yaml changed
		"fluentd: cannot build fluentd/Dockerfile: base image fluent/fluentd:v0.12 cannot be pulled here",
		"running devenv's fluentd stand-in (devenv/fluentd:local) instead",
		"Healthy",
	} {
		if !strings.Contains(up.stderr, want) {
			t.Errorf("devenv up -d: stderr lacks %q\n%s", want, up)
		}
	}
	for _, want := range []string{p.bind + ":1323->1323/tcp", p.bind + ":4566->4566/tcp", p.bind + ":8081->8081/tcp", p.bind + ":24224->24224/tcp"} {
		if !strings.Contains(up.stdout, want) {
			t.Errorf("devenv up -d: the table of host addresses lacks %s\n%s", want, up)
		}
	}

	api := "http://" + p.bind + ":1323"
	fakeS3 := fakeclient.NewS3("http://" + p.bind + ":4566")
	fakeTD := fakeclient.NewTD("http://" + p.bind + ":8081")
	stub := fakeclient.NewDatadog("http://" + p.bind + ":8126")

	t.Run("ps lists every service running, healthy where it has a health check", func(t *testing.T) {
		r := p.mustDevenv(time.Minute, "ps", "--json")
		var ctrs []struct{ Service, State, Health string }
		if err := json.Unmarshal([]byte(r.stdout), &ctrs); err != nil {
			t.Fatalf("ps --json: %v\n%s", err, r)
		}
		var got []string
		for _, c := range ctrs {
			got = append(got, c.Service+" "+c.State+" "+c.Health)
		}
		want := []string{"api-server running healthy", "dd-agent running healthy", "fake-s3 running healthy", "fake-td running healthy", "fluentd running "}
		if !slices.Equal(got, want) {
			t.Fatalf("ps --json: got %q, want %q", got, want)
		}
	})

	// 300 requests: five event types posted, recipe views, and the access
	// line every request logs (which fluentd drops: not an EVENT).
	requests := 0
	for i := range 300 {
		var resp *http.Response
		var err error
		if i%6 == 5 {
			resp, err = http.Get(fmt.Sprintf("%s/recipes/%d", api, i))
		} else {
			body := fmt.Sprintf(`{"event_type":%q,"seq":%d,"user_id":%d}`, eventTypes[i%6], i, i%17)
			resp, err = http.Post(api+"/events", "application/json", strings.NewReader(body))
		}
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("request %d: %s", i, resp.Status)
		}
		requests++
	}

	lines := p.apiServerLines(t, requests*2)
	want := p.predict(t, lines)
	if len(want.s3) != 300 || len(want.td) != 300 {
		t.Fatalf("devenv routes predicts %d S3 lines and %d TD records for 300 events", len(want.s3), len(want.td))
	}

	t.Run("every event is in fake S3 and fake TD as devenv routes predicts", func(t *testing.T) {
		testsupport.Eventually(t, 30*time.Second, "S3 objects", func(context.Context) error {
			got := s3Lines(t, fakeS3)
			return diffMultiset("S3", want.s3, got)
		})
		testsupport.Eventually(t, 30*time.Second, "TD records", func(context.Context) error {
			got := tdRecords(t, fakeTD, want.tables())
			return diffMultiset("TD", want.td, got)
		})
	})

	t.Run("the API server's request metrics are in the Datadog stub", func(t *testing.T) {
		// Docker's health checks of the API server count as GET requests
		// too: the posts and the per-type event counts are exact.
		for _, q := range []struct {
			query fakeclient.MetricQuery
			want  float64
		}{
			{fakeclient.MetricQuery{Name: "delish.api.request", Tags: []string{"method:POST", "status:202"}}, 250},
			{fakeclient.MetricQuery{Name: "delish.api.request", Tags: []string{"method:GET"}}, 50}, // at least
			{fakeclient.MetricQuery{Name: "delish.api.event", Tags: []string{"event_type:click"}}, 50},
			{fakeclient.MetricQuery{Name: "delish.api.event", Tags: []string{"event_type:purchase"}}, 50},
		} {
			r, err := stub.WaitMetrics(t.Context(), q.query, 15*time.Second, func(r fakeclient.MetricsResult) bool { return r.Total.Sum >= q.want })
			if err != nil {
				t.Fatalf("%s %v: %v", q.query.Name, q.query.Tags, err)
			}
			if r.Total.Sum != q.want && q.query.Tags[0] != "method:GET" {
				t.Errorf("%s %v: sum %v, want %v", q.query.Name, q.query.Tags, r.Total.Sum, q.want)
			}
		}
	})

	t.Run("logs api-server shows its access lines", func(t *testing.T) {
		r := p.mustDevenv(time.Minute, "logs", "--tail", "5", "api-server")
		if !regexp.MustCompile(`(?m)^api-server\s+\| \{.*"log_type":"ACCESS"`).MatchString(r.stdout) {
			t.Fatalf("devenv logs api-server:\n%s", r)
		}
	})

	t.Run("fluentd killed: what it had buffered arrives once; up -d starts it again", func(t *testing.T) {
		p.killFluentd(t, api, fakeS3, fakeTD)
	})

	t.Run("down keeps the fakes' data; down -v removes it; nothing is left", func(t *testing.T) {
		p.mustDevenv(time.Minute, "down")
		left := p.leftovers()
		if len(left) == 0 || !slices.ContainsFunc(left, func(s string) bool { return strings.HasPrefix(s, "volume ") && strings.Contains(s, "fake-s3-data") }) {
			t.Fatalf("after down, want only the data volumes, got %q", left)
		}
		for _, l := range left {
			if !strings.HasPrefix(l, "volume ") {
				t.Fatalf("after down: %s is left", l)
			}
		}
		p.mustDevenv(time.Minute, "down", "-v")
		if left := p.leftovers(); len(left) > 0 {
			t.Fatalf("after down -v: %q", left)
		}
	})
}

// apiServerLines returns the lines the API server wrote, waiting until
// there are at least n.
func (p *project) apiServerLines(t *testing.T, n int) []string {
	t.Helper()
	var lines []string
	testsupport.Eventually(t, 30*time.Second, "API server log lines", func(context.Context) error {
		r := p.mustDevenv(time.Minute, "logs", "api-server")
		lines = lines[:0]
		sc := bufio.NewScanner(strings.NewReader(r.stdout))
		for sc.Scan() {
			_, line, ok := strings.Cut(sc.Text(), "| ")
			if ok && strings.HasPrefix(line, "{") {
				lines = append(lines, line)
			}
		}
		if len(lines) < n {
			return fmt.Errorf("%d lines, want %d", len(lines), n)
		}
		return nil
	})
	return lines
}

// prediction is what devenv routes says fluentd delivers.
type prediction struct {
	s3 []string // "bucket key-with-index-N line"
	td []string // "db.table canonical-JSON-record"
}

func (w prediction) tables() []string {
	var out []string
	for _, r := range w.td {
		table, _, _ := strings.Cut(r, " ")
		if !slices.Contains(out, table) {
			out = append(out, table)
		}
	}
	return out
}

// predict asks devenv routes where fluentd, with the stack's local
// fluent.conf and environment, delivers lines sent by Docker's fluentd
// driver.
func (p *project) predict(t *testing.T, lines []string) prediction {
	t.Helper()
	host := p.fluentdHostname(t)
	cmd := exec.CommandContext(t.Context(), devenvBin, "routes", "--config", ".devenv/fluentd/fluent.conf", "--docker-tag", "docker.delish",
		"--env", "TD_DATABASE="+localDatabase, "--env", "AWS_S3_BUCKET="+localBucket, "--hostname", host, "--json")
	cmd.Dir = p.dir
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("devenv routes: %v\n%s", err, out)
	}
	var w prediction
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var rec struct {
			Deliveries []struct {
				Type, Bucket, Key, Line, Database, Table string
				Record                                   map[string]any
			}
		}
		if err := dec.Decode(&rec); err != nil {
			t.Fatalf("devenv routes --json: %v", err)
		}
		for _, d := range rec.Deliveries {
			switch d.Type {
			case "s3":
				w.s3 = append(w.s3, localBucket+" "+anyIndex(d.Key)+" "+strings.TrimSuffix(d.Line, "\n"))
			case "tdlog":
				w.td = append(w.td, d.Database+"."+d.Table+" "+canonical(t, d.Record))
			}
		}
	}
	return w
}

// fluentdHostname is the hostname fluentd's S3 keys carry: its
// container's.
func (p *project) fluentdHostname(t *testing.T) string {
	t.Helper()
	info, err := p.docker.ContainerInspect(t.Context(), p.containerID("fluentd"), client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return info.Container.Config.Hostname
}

// indexRe is the %{index} of an S3 key: which object of its time slice
// it is, which depends on how many flushes came before.
var indexRe = regexp.MustCompile(`_[0-9]+_([^/_]+)\.gz$`)

func anyIndex(key string) string { return indexRe.ReplaceAllString(key, "_N_$1.gz") }

// s3Lines returns every line of every object in the local bucket, as
// prediction.s3 holds them.
func s3Lines(t *testing.T, c *fakeclient.S3) []string {
	t.Helper()
	objs, err := c.Objects(t.Context(), localBucket, "")
	if err != nil {
		return nil
	}
	var out []string
	for _, o := range objs {
		lines, err := c.Lines(t.Context(), localBucket, o.Key)
		if err != nil {
			t.Fatalf("object %s: %v", o.Key, err)
		}
		for _, line := range lines {
			out = append(out, localBucket+" "+anyIndex(o.Key)+" "+line)
		}
	}
	return out
}

// tdRecords returns the records of the tables, as prediction.td holds
// them.
func tdRecords(t *testing.T, c *fakeclient.TD, tables []string) []string {
	t.Helper()
	var out []string
	for _, table := range tables {
		db, tbl, _ := strings.Cut(table, ".")
		recs, err := c.Records(t.Context(), db, tbl)
		if err != nil {
			continue // not created yet
		}
		for _, r := range recs {
			out = append(out, table+" "+canonical(t, r))
		}
	}
	return out
}

// canonical is v as JSON with sorted keys and JSON numbers.
func canonical(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	data, err = json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// diffMultiset says how got differs from want, counting duplicates.
func diffMultiset(what string, want, got []string) error {
	counts := map[string]int{}
	for _, w := range want {
		counts[w]++
	}
	for _, g := range got {
		counts[g]--
	}
	var missing, extra []string
	for k, n := range counts {
		for ; n > 0; n-- {
			missing = append(missing, k)
		}
		for ; n < 0; n++ {
			extra = append(extra, k)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return fmt.Errorf("%s: %d of %d missing (first: %q), %d unexpected or repeated (first: %q)", what, len(missing), len(want), first(missing), len(extra), first(extra))
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
