package router_test

import (
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

func hazards(t *testing.T, src string) []string {
	t.Helper()
	var out []string
	for _, h := range build(t, src).Lint() {
		out = append(out, h.Pos.String()+" "+h.Code+": "+h.Message)
	}
	return out
}

func codes(t *testing.T, src string) []string {
	t.Helper()
	var out []string
	for _, h := range build(t, src).Lint() {
		out = append(out, h.Code)
	}
	return out
}

func TestLintAnchoringPerAlternative(t *testing.T) {
	rule := func(pattern string) string {
		return "<match a>\n  @type rewrite_tag_filter\n  <rule>\n    key k\n    pattern " + pattern + "\n    tag b\n  </rule>\n</match>\n"
	}
	for pattern, want := range map[string][]string{
		`\Afoo\z`:         nil,
		`\Afoo\z|\Abar\z`: nil,
		`\A(foo|bar)\z`:   nil,
		`^foo|bar$`:       {"unanchored-pattern", "line-anchors"},
		`\Afoo\z|bar`:     {"unanchored-pattern"},
		`\Afoo\z|\Abar`:   {"unanchored-pattern"},
		`\A[|]\z`:         nil,                    // | inside a class
		`\Afoo\$`:         {"unanchored-pattern"}, // an escaped $ is a literal
		`\Afoo\\z`:        {"unanchored-pattern"}, // a literal backslash, then z
		`foo`:             {"unanchored-pattern"},
	} {
		assert.DeepEqual(t, codes(t, rule(pattern)), want)
	}
	assert.Assert(t, strings.Contains(hazards(t, rule(`^foo|bar$`))[0], "is not anchored in every alternative"))
}

func TestLintSliceFlushWithoutFlushInterval(t *testing.T) {
	got := hazards(t, "<match a>\n  @type s3\n  s3_bucket b\n  buffer_path /b\n</match>\n")
	assert.DeepEqual(t, got, []string{"t.conf:1:1 long-flush: s3 output without flush_interval flushes a time slice only after it ends plus time_slice_wait (time_slice_format %Y%m%d: 24h slices, time_slice_wait 10m): records reach s3 up to 24h10m after they arrive, and file buffers are not flushed at shutdown; devenv's local config sets flush_interval"})
	got = hazards(t, "<match a>\n  @type file\n  path /f\n  time_slice_format %Y%m%d%H\n  time_slice_wait 1m\n</match>\n")
	assert.Equal(t, len(got), 1)
	assert.Assert(t, strings.Contains(got[0], "(time_slice_format %Y%m%d%H: 1h slices, time_slice_wait 1m): records reach file up to 1h1m after"), got[0])
	// flush_interval set: only a long one is reported.
	assert.DeepEqual(t, codes(t, "<match a>\n  @type s3\n  s3_bucket b\n  buffer_path /b\n  flush_interval 10s\n</match>\n"), []string(nil))
	// forest: the template without flush_interval, and a case that sets it.
	src := `<match app.**>
  @type forest
  subtype copy
  <template>
    <store>
      @type s3
      s3_bucket b
      buffer_path /b/${tag}
    </store>
  </template>
  <case app.fast>
    <store>
      @type file
      path /f/${tag}
      flush_interval 1s
    </store>
  </case>
</match>
`
	got = hazards(t, src)
	assert.Equal(t, len(got), 1, "%v", got)
	assert.Assert(t, strings.HasPrefix(got[0], "t.conf:5:5 long-flush: s3 output without flush_interval"), got[0])
}

func TestLintBufferPathCollisionExact(t *testing.T) {
	forest := func(pattern, bufferPath string) string {
		return "<match " + pattern + ">\n  @type forest\n  subtype tdlog\n  <template>\n    apikey k\n    buffer_path " + bufferPath + "\n  </template>\n</match>\n"
	}
	for _, c := range []struct {
		pattern, path string
		collide       bool
	}{
		{"a.b.**", "/b/${tag_parts[2]}", true}, // a.b.x and a.b.x.y
		{"a.b.*", "/b/${tag_parts[2]}", false}, // one part only
		{"a.*.*", "/b/${tag_parts[2]}", true},  // a.x.z and a.y.z
		{"a.*.*", "/b/${tag_parts[1]}-${tag_parts[-1]}", false},
		{"a.{x,y}", "/b/${tag_parts[0]}", true}, // a.x and a.y
		{"a.{x,y}", "/b/${tag}", false},
		{"a.b a.c", "/b/${tag_parts[0]}", true},
	} {
		got := codes(t, forest(c.pattern, c.path))
		if c.collide {
			assert.DeepEqual(t, got, []string{"buffer-path-collision"})
		} else {
			assert.DeepEqual(t, got, []string(nil))
		}
	}
}

func TestLintQuirkyValues(t *testing.T) {
	got := hazards(t, "<match a>\n  @type file\n  path /f\n  flush_interval 0.5s\n  retry_wait 1.5\n  buffer_chunk_limit 8MB\n</match>\n<match b>\n  @type file\n  path /g\n  flush_interval 10ms\n  buffer_chunk_limit 1.5k\n</match>\n")
	assert.DeepEqual(t, got, []string{
		`t.conf:4:18 quirky-value: flush_interval 0.5s: fluentd v0.12 reads this as 5s (its unit regexps are unanchored: "0.5s" is 5s, "10ms" is 10m, "1.5h" is 5h); write whole units or bare seconds ("0.5")`,
		`t.conf:6:22 quirky-value: buffer_chunk_limit 8MB: fluentd v0.12 reads this as 8388608 bytes (its unit regexps are unanchored: "0.5s" is 5s, "10ms" is 10m, "1.5h" is 5h); write whole units or bare seconds ("0.5")`,
		`t.conf:11:18 quirky-value: flush_interval 10ms: fluentd v0.12 reads this as 10m0s (its unit regexps are unanchored: "0.5s" is 5s, "10ms" is 10m, "1.5h" is 5h); write whole units or bare seconds ("0.5")`,
		`t.conf:11:18 long-flush: file flush_interval 10ms: records reach file up to 10m0s after they arrive (counted from when the instance was planted, not from the hour), and file buffers are not flushed at shutdown; devenv's local config shortens it`,
		`t.conf:12:22 quirky-value: buffer_chunk_limit 1.5k: fluentd v0.12 reads this as 5120 bytes (its unit regexps are unanchored: "0.5s" is 5s, "10ms" is 10m, "1.5h" is 5h); write whole units or bare seconds ("0.5")`,
	})
}

// TestLintLongBufferNames: the production config with the reference
// stack's TD_DATABASE (delish_local) names the event types whose chunk
// file names are over 255 bytes: 100 characters and more for the TD store
// (td-buf-delish-<e>.delish_local.event_<e>.b<id>.log), 197 and more for
// the S3 store, up to 249 (from 250 TD rejects the table name, reported as
// invalid-td-name). A value TD never sees in a name is too long from some
// length on ("or more"); a pattern that bounds the length is fine.
func TestLintLongBufferNames(t *testing.T) {
	var got []string
	for _, h := range newDelishRouter(t, map[string]string{"AWS_S3_BUCKET": bucket, "TD_DATABASE": "delish_local"}).Lint() {
		if h.Code == "long-buffer-name" {
			got = append(got, h.Pos.String()+" "+h.Message)
		}
	}
	assert.DeepEqual(t, got, []string{
		`fluent.conf:31:13 event_type values of 100 to 249 characters captured by ^([\w_]+)$ (e.g. tag delish.event.aaaaaaaaaaaaaaaaa…) give the store at fluent.conf:57:5 (buffer_path /fluentd/log/td-buf-delish-${tag_parts[2]}) a chunk file name over 255 bytes (256 at 100 characters): its emit raises Errno::ENAMETOOLONG on every event, so the stores before it in the copy write nothing either and in_forward closes the connection; keep such values shorter or shorten buffer_path`,
		`fluent.conf:31:13 event_type values of 197 to 249 characters captured by ^([\w_]+)$ (e.g. tag delish.event.aaaaaaaaaaaaaaaaa…) give the store at fluent.conf:41:5 (buffer_path /fluentd/log/buf-delish-event-${tag_parts[2]}) a chunk file name over 255 bytes (256 at 197 characters): its emit raises Errno::ENAMETOOLONG on every event, so the stores before it in the copy write nothing either and in_forward closes the connection; keep such values shorter or shorten buffer_path`,
	})

	conf := func(pattern string) string {
		return `<match app>
  @type rewrite_tag_filter
  <rule>
    key kind
    pattern ` + pattern + `
    tag ev.$1
  </rule>
</match>
<match ev.*>
  @type forest
  subtype tdlog
  <template>
    apikey k
    database db_a
    table tbl_a
    buffer_path /var/log/td-${tag_parts[1]}
  </template>
</match>
`
	}
	// td-<v>.db_a.tbl_a.b<16>.log: 3 + v + 1 + 10 + 2 + 16 + 4 = 36 + v bytes.
	assert.DeepEqual(t, hazards(t, conf(`\A(\w+)\z`)), []string{
		`t.conf:5:13 long-buffer-name: kind values of 220 characters or more captured by \A(\w+)\z (e.g. tag ev.aaaaaaaaaaaaaaaaaaaaaaaaaaa…) give the store at t.conf:9:1 (buffer_path /var/log/td-${tag_parts[1]}) a chunk file name over 255 bytes (256 at 220 characters): its emit raises Errno::ENAMETOOLONG on every event, so the stores before it in the copy write nothing either and in_forward closes the connection; keep such values shorter or shorten buffer_path`,
	})
	assert.DeepEqual(t, hazards(t, conf(`\A(\w{1,219})\z`)), []string(nil))
}
