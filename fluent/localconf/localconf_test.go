package localconf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/router"
)

// -update (rewrite golden files) is gotest.tools/v3/golden's flag.

var local = Settings{S3Endpoint: "http://fake-s3:9000", TDEndpoint: "http://fake-td:8080"}

// changedLines diffs two texts line by line, where b may have extra
// (inserted) lines. It returns the 1-based line numbers in b that are not
// an unchanged line of a, in order.
func changedLines(a, b string) []int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []int
	i := 0
	for j := range bl {
		if i < len(al) && al[i] == bl[j] {
			i++
			continue
		}
		if i < len(al) && j+1 < len(bl) && al[i] != bl[j] && (i+1 >= len(al) || bl[j+1] == al[i] || bl[j+1] == al[i+1]) {
			// either a replacement (consume al[i]) or an insertion
			if bl[j+1] != al[i] {
				i++
			}
		}
		out = append(out, j+1)
	}
	return out
}

func checkGolden(t *testing.T, dir string, files map[string][]byte, changes []Change) {
	t.Helper()
	for name, data := range files {
		g := filepath.Join(dir, "want", name)
		if golden.FlagUpdate() {
			assert.NilError(t, os.MkdirAll(filepath.Dir(filepath.Join("testdata", g)), 0o755))
		}
		golden.Assert(t, string(data), g)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	assert.NilError(t, enc.Encode(changes))
	golden.Assert(t, b.String(), filepath.Join(dir, "want", "changes.json"))
}

func TestRewriteDelish(t *testing.T) {
	fsys := os.DirFS("testdata/delish")
	files, changes, err := Rewrite(fsys, "fluent.conf", local)
	assert.NilError(t, err)
	assert.Equal(t, len(files), 1)
	orig, err := os.ReadFile("testdata/delish/fluent.conf")
	assert.NilError(t, err)
	got := string(files["fluent.conf"])
	// Only the expected lines differ, and each one is a listed change.
	lines := changedLines(string(orig), got)
	var changeLines []int
	for _, c := range changes {
		changeLines = append(changeLines, c.Line)
	}
	assert.DeepEqual(t, lines, changeLines)
	gotLines := strings.Split(got, "\n")
	for _, c := range changes {
		line := strings.TrimSpace(gotLines[c.Line-1])
		assert.Equal(t, line, c.Key+" "+c.Local, "change %+v", c)
	}
	// s3: endpoint + path style inserted after `type s3`, 600s → 1s;
	// tdlog: 3 inserted, 10s → 1s.
	assert.Equal(t, len(changes), 7)
	assert.Assert(t, strings.Contains(got, "      type s3\n      s3_endpoint http://fake-s3:9000\n      force_path_style true\n      format json\n"))
	assert.Assert(t, strings.Contains(got, "      flush_interval 1s\n      buffer_chunk_limit 128m\n"))
	assert.Assert(t, strings.Contains(got, "      type tdlog\n      endpoint http://fake-td:8080\n      api_endpoint http://fake-td:8080\n      use_ssl false\n      database "))
	// Everything else is byte for byte the original: removing the inserted
	// lines and restoring the two replaced values gives the original back.
	var kept []string
	for _, l := range gotLines {
		switch strings.TrimSpace(l) {
		case "s3_endpoint http://fake-s3:9000", "force_path_style true", "endpoint http://fake-td:8080",
			"api_endpoint http://fake-td:8080", "use_ssl false":
			continue
		}
		kept = append(kept, l)
	}
	restored := strings.Join(kept, "\n")
	restored = strings.Replace(restored, "flush_interval 1s", "flush_interval 600s", 1)
	restored = strings.Replace(restored, "flush_interval 1s", "flush_interval 10s", 1)
	assert.Equal(t, restored, string(orig))
	checkGolden(t, "delish", files, changes)
}

func TestRewriteIncludesQuotingAndCRLF(t *testing.T) {
	files, changes, err := Rewrite(os.DirFS("testdata/include"), "fluent.conf", Settings{
		S3Endpoint: local.S3Endpoint, TDEndpoint: local.TDEndpoint, FlushInterval: 1500 * time.Millisecond})
	assert.NilError(t, err)
	_, mainChanged := files["fluent.conf"]
	assert.Assert(t, !mainChanged, "the including file has no outputs to change")
	s3 := string(files["conf.d/10-s3.conf"])
	assert.Assert(t, strings.Contains(s3, "  s3_endpoint http://fake-s3:9000\n"), s3)
	assert.Assert(t, strings.Contains(s3, `  s3_bucket "#{ENV['BUCKET']}"   # production bucket`), s3)
	td := string(files["conf.d/20-td.conf"])
	assert.Assert(t, strings.Contains(td, "\ttype tdlog\r\n\tendpoint http://fake-td:8080\r\n"), "%q", td)
	assert.Assert(t, strings.Contains(td, "\tuse_ssl false\r\n"), "%q", td)
	assert.Assert(t, strings.Contains(td, "  flush_interval 1.5\r\n</match>"), "%q", td)
	checkGolden(t, "include", files, changes)
}

func TestRewriteNeedsEndpoints(t *testing.T) {
	_, _, err := Rewrite(os.DirFS("testdata/delish"), "fluent.conf", Settings{TDEndpoint: "http://td"})
	assert.ErrorIs(t, err, ErrNoEndpoint)
	assert.ErrorContains(t, err, "rewrite s3 output: S3 endpoint not set")
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, Write(dir, map[string][]byte{"fluent.conf": []byte("a\n"), "conf.d/x.conf": []byte("b\n")}))
	b, err := os.ReadFile(filepath.Join(dir, "conf.d", "x.conf"))
	assert.NilError(t, err)
	assert.Equal(t, string(b), "b\n")
	ents, err := os.ReadDir(dir)
	assert.NilError(t, err)
	for _, e := range ents {
		assert.Assert(t, !strings.HasPrefix(e.Name(), ".fluent-"), "temp file left: %s", e.Name())
	}
}

func TestRewrittenConfigRoutesToFakes(t *testing.T) {
	files, _, err := Rewrite(os.DirFS("testdata/delish"), "fluent.conf", local)
	assert.NilError(t, err)
	root, err := config.ParseBytes(nil, "fluent.conf", files["fluent.conf"], config.WithEnv(map[string]string{"TD_DATABASE": "delish_dev", "AWS_S3_BUCKET": "b"}))
	assert.NilError(t, err)
	r, err := router.New(root)
	assert.NilError(t, err)
	j := r.Route(router.Event{Tag: "delish.event.click", Time: router.EventTime{Sec: 1}, Record: record.Record{{Key: "a", Value: int64(1)}}})
	assert.Equal(t, len(j.Deliveries), 2, "%+v", j.Drops)
	s3, td := j.Deliveries[0].Output, j.Deliveries[1].Output
	assert.Equal(t, s3.S3.Endpoint, "http://fake-s3:9000")
	assert.Equal(t, s3.S3.ForcePathStyle, true)
	assert.Equal(t, s3.FlushInterval, time.Second)
	assert.Equal(t, td.TD.ImportBaseURL(), "http://fake-td:8080")
	assert.Equal(t, td.TD.APIBaseURL(), "http://fake-td:8080")
	assert.Equal(t, td.FlushInterval, time.Second)
}

func TestRewriteForestSubtypeInLabel(t *testing.T) {
	files, changes, err := Rewrite(os.DirFS("testdata"), "forest-s3.conf", local)
	assert.NilError(t, err)
	got := string(files["forest-s3.conf"])
	assert.Equal(t, got, `<label @APP>
  <match app.**>
    @type forest
    subtype s3
    <template>
      s3_endpoint http://fake-s3:9000
      force_path_style true
      flush_interval 1s
      s3_bucket logs
      path app/${tag_parts[1]}/
      buffer_path /var/log/fluent/s3-${tag}
    </template>
    <case app.slow>
      flush_interval 1s
    </case>
  </match>
</label>
`)
	var where []string
	for _, c := range changes {
		where = append(where, fmt.Sprintf("%d(%d) %s %s %q→%q", c.Line, c.ProductionLine, c.Path, c.Key, c.Production, c.Local))
	}
	assert.DeepEqual(t, where, []string{
		`6(5) <label @APP>/<match app.**>/<template> (s3) s3_endpoint ""→"http://fake-s3:9000"`,
		`7(5) <label @APP>/<match app.**>/<template> (s3) force_path_style ""→"true"`,
		`8(5) <label @APP>/<match app.**>/<template> (s3) flush_interval ""→"1s"`,
		`14(11) <label @APP>/<match app.**>/<case app.slow> (s3) flush_interval "15m"→"1s"`,
	})
}

// TestRewriteChangesOnlyListedParams parses the original and the rewrite
// and compares the trees: the only differences are the listed keys.
func TestRewriteChangesOnlyListedParams(t *testing.T) {
	orig, err := config.Parse(os.DirFS("testdata/delish"), "fluent.conf")
	assert.NilError(t, err)
	files, changes, err := Rewrite(os.DirFS("testdata/delish"), "fluent.conf", local)
	assert.NilError(t, err)
	rewritten, err := config.ParseBytes(nil, "fluent.conf", files["fluent.conf"])
	assert.NilError(t, err)
	changed := map[string]string{}
	for _, c := range changes {
		changed[c.Key] = c.Local
	}
	strip := func(root *config.Element) string {
		var lines []string
		for _, l := range strings.Split(root.Dump(), "\n") {
			k, _, ok := strings.Cut(strings.TrimSpace(l), "=")
			if _, isChanged := changed[k]; ok && isChanged {
				continue
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	}
	assert.Equal(t, strip(rewritten), strip(orig))
	assert.Assert(t, strip(orig) != orig.Dump(), "the production config must contain some of the changed keys")
}

// TestFlushIntervalOnlyShortened: fluentd v0.12 reads flush_interval with
// time_value, whose unanchored /([0-9]+)s/ makes "0.5s" 5 seconds; so the
// local value is written as bare float seconds when it is not whole, and a
// production value fluentd reads as the local interval or shorter is kept.
func TestFlushIntervalOnlyShortened(t *testing.T) {
	for _, d := range []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond, 250 * time.Millisecond, 2 * time.Second, time.Minute} {
		got, err := router.ParseDuration(formatDuration(d))
		assert.NilError(t, err)
		assert.Equal(t, got, d, formatDuration(d))
	}
	conf := func(v string) string {
		return "<match a>\n  @type file\n  path /tmp/a\n  flush_interval " + v + "\n</match>\n"
	}
	for _, c := range []struct {
		prod, local string // local "" = unchanged
	}{
		{"0.5", ""},    // 0.5 s ≤ 1 s: kept
		{"1s", ""},     // equal: kept
		{"0", ""},      // flush on every loop: kept
		{"0.5s", "1s"}, // fluentd reads 5 s
		{"1.5", "1s"},
		{"10ms", "1s"}, // fluentd reads 10 minutes
	} {
		files, changes, err := Rewrite(fstest.MapFS{"f.conf": {Data: []byte(conf(c.prod))}}, "f.conf", local)
		assert.NilError(t, err)
		if c.local == "" {
			assert.Equal(t, len(files), 0, c.prod)
			assert.Equal(t, len(changes), 0, c.prod)
			continue
		}
		assert.Equal(t, string(files["f.conf"]), conf(c.local), c.prod)
		assert.DeepEqual(t, changes, []Change{{File: "f.conf", Line: 4, ProductionLine: 4, Path: "<match a> (file)", Key: "flush_interval",
			Production: c.prod, Local: c.local, Why: changes[0].Why}})
	}
	files, _, err := Rewrite(fstest.MapFS{"f.conf": {Data: []byte(conf("1s"))}}, "f.conf", Settings{FlushInterval: 500 * time.Millisecond})
	assert.NilError(t, err)
	assert.Equal(t, string(files["f.conf"]), conf("0.5"))
}

func TestFiles(t *testing.T) {
	assert.DeepEqual(t, Files("main.conf", map[string][]byte{"z.conf": nil, "main.conf": nil, "a/b.conf": nil}), []string{"main.conf", "a/b.conf", "z.conf"})
	assert.DeepEqual(t, Files("main.conf", map[string][]byte{"x.conf": nil}), []string{"main.conf", "x.conf"})
}
