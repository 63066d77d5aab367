package router_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // TestTimezone loads Asia/Tokyo on machines without a zoneinfo database

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/router"
)

func build(t *testing.T, src string, opts ...router.Option) *router.Router {
	t.Helper()
	root, err := config.ParseBytes(nil, "t.conf", []byte(src))
	assert.NilError(t, err)
	r, err := router.New(root, append([]router.Option{router.WithHostname("host-1")}, opts...)...)
	assert.NilError(t, err)
	return r
}

func buildErr(t *testing.T, src string) error {
	t.Helper()
	root, err := config.ParseBytes(nil, "t.conf", []byte(src))
	assert.NilError(t, err)
	_, err = router.New(root)
	return err
}

func rec(kv ...any) record.Record {
	var r record.Record
	for i := 0; i < len(kv); i += 2 {
		r = append(r, record.Field{Key: kv[i].(string), Value: kv[i+1]})
	}
	return r
}

func route(r *router.Router, tag string, record record.Record) router.Journey {
	return r.Route(router.Event{Tag: tag, Time: router.EventTime{Sec: td}, Record: record})
}

func lines(j router.Journey) []string {
	var out []string
	for _, d := range j.Deliveries {
		out = append(out, d.Tag+" "+strings.TrimSuffix(string(d.Line), "\n"))
	}
	return out
}

func TestFirstMatchWinsAndFilterOrder(t *testing.T) {
	r := build(t, `
<filter a.**>
  @type record_transformer
  <record>
    f1 one
  </record>
</filter>
<match a.b>
  @type stdout
  format json
</match>
<filter a.b>
  @type record_transformer
  <record>
    f2 never
  </record>
</filter>
<match a.**>
  @type stdout
  format json
</match>
`)
	j := route(r, "a.b", rec("x", int64(1)))
	assert.DeepEqual(t, lines(j), []string{`a.b 2024-01-02 03:04:05 +0000 a.b: {"x":1,"f1":"one"}`})
	j = route(r, "a.c", rec())
	assert.DeepEqual(t, lines(j), []string{`a.c 2024-01-02 03:04:05 +0000 a.c: {"f1":"one"}`})
	j = route(r, "b", rec())
	assert.Equal(t, len(j.Deliveries), 0)
	assert.Equal(t, j.Drops[0].Kind, record.DropWarning)
	assert.Equal(t, j.Drops[0].Reason, `no patterns matched tag="b"`)
	var kinds []record.DropKind
	for range 4 {
		kinds = append(kinds, route(r, "c", rec()).Drops[0].Kind)
	}
	// occurrences 2..5: logged, not, logged, not
	assert.DeepEqual(t, kinds, []record.DropKind{record.DropWarning, record.DropSilent, record.DropWarning, record.DropSilent})
}

func TestReemitStartsAtTopOfLabel(t *testing.T) {
	r := build(t, `
<source>
  @type forward
  port 24225
  @label @IN
</source>
<match x.**>
  @type null
</match>
<label @IN>
  <match raw>
    @type rewrite_tag_filter
    rewriterule1 k ^(\w+)$ x.$1
  </match>
  <match x.**>
    @type stdout
  </match>
</label>
`)
	assert.DeepEqual(t, r.Sources(), []router.Source{{Type: "forward", Pos: r.Sources()[0].Pos, Port: 24225, Bind: "0.0.0.0", Label: "@IN"}})
	j, err := r.RouteLabel("@IN", router.Event{Tag: "raw", Time: router.EventTime{Sec: td}, Record: rec("k", "v")})
	assert.NilError(t, err)
	assert.DeepEqual(t, lines(j), []string{`x.v 2024-01-02 03:04:05 +0000 x.v: {"k":"v"}`})
	_, err = r.RouteLabel("@NOPE", router.Event{})
	assert.Error(t, err, "route to label @NOPE: no such label")
}

func TestLoopGuard(t *testing.T) {
	r := build(t, `
<match a.**>
  @type rewrite_tag_filter
  rewriterule1 k .+ ${tag}.x
</match>
`)
	j := route(r, "a", rec("k", "v"))
	assert.Equal(t, len(j.Drops), 1)
	assert.Equal(t, j.Drops[0].Kind, record.DropError)
	assert.Assert(t, strings.Contains(j.Drops[0].Reason, "routing loop"))
}

func TestLoopGuardDoublingTag(t *testing.T) {
	r := build(t, "<match **>\n  @type rewrite_tag_filter\n  rewriterule1 k ^(.*)$ x.$1\n</match>\n")
	j := route(r, "a", rec("k", "__TAG__"))
	assert.Equal(t, len(j.Drops), 1)
	assert.Assert(t, strings.Contains(j.Drops[0].Reason, "routing loop"), j.Drops[0].Reason)
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown output", "<match **>\n  @type kafka\n</match>\n", `t.conf:2:9: unsupported output plugin "kafka" (supported: rewrite_tag_filter, forest, copy, s3, tdlog, stdout, null, file)`},
		{"unknown filter", "<filter **>\n  type grep\n</filter>\n", `t.conf:2:8: unsupported filter plugin "grep" (supported: parser, record_transformer)`},
		{"unknown input", "<source>\n  @type tail\n</source>\n", `t.conf:2:9: unsupported input plugin "tail" (supported: forward)`},
		{"missing type", "<match **>\n</match>\n", `t.conf:1:1: missing '@type' parameter on <match> directive`},
		{"unknown directive", "<matches **>\n</matches>\n", `t.conf:1:1: unknown directive <matches>: expected <source>, <match>, <filter>, <label> or <system>`},
		{"forest subtype", "<match **>\n  @type forest\n  subtype kafka\n</match>\n", `t.conf:3:11: forest: unsupported subtype "kafka" (supported: copy, s3, tdlog, file, stdout, null)`},
		{"copy store", "<match **>\n  @type copy\n  <store>\n    @type kafka\n  </store>\n</match>\n", `t.conf:4:11: unsupported output plugin "kafka" (supported: rewrite_tag_filter, forest, copy, s3, tdlog, stdout, null, file)`},
		{"forest template store", "<match **>\n  @type forest\n  subtype copy\n  <template>\n    <store>\n      @type kafka\n    </store>\n  </template>\n</match>\n", `t.conf:6:13: unsupported output plugin "kafka" in <template>/<store> (supported: rewrite_tag_filter, forest, copy, s3, tdlog, stdout, null, file)`},
		{"forest case store", "<match **>\n  @type forest\n  subtype copy\n  <case a.**>\n    <store>\n      type copy\n      <store>\n        type es\n      </store>\n    </store>\n  </case>\n</match>\n", `t.conf:8:14: unsupported output plugin "es" in <store>/<store> (supported: rewrite_tag_filter, forest, copy, s3, tdlog, stdout, null, file)`},
		{"forest store without type", "<match **>\n  @type forest\n  subtype copy\n  <case a.**>\n    <store>\n    </store>\n  </case>\n</match>\n", `t.conf:5:5: Missing 'type' parameter on <store> directive`},
		{"lookahead", "<match **>\n  @type rewrite_tag_filter\n  <rule>\n    key k\n    pattern ^(?!x)\n    tag y\n  </rule>\n</match>\n", `t.conf:5:13: rewrite_tag_filter: pattern "^(?!x)": lookaround (?!…) cannot be expressed in Go's RE2`},
		{"backslash Z", "<match **>\n  @type rewrite_tag_filter\n  rewriterule1 k a\\Z y\n</match>\n", `t.conf:3:16: rewrite_tag_filter: pattern "a\\Z": \Z (end of string before a final newline) cannot be expressed in Go's RE2; use \z or $`},
		{"no rules", "<match **>\n  @type rewrite_tag_filter\n</match>\n", `t.conf:1:1: rewrite_tag_filter: missing rewriterules`},
		{"duplicate rules", "<match **>\n  @type rewrite_tag_filter\n  rewriterule1 k a x\n  rewriterule2 k a y\n</match>\n", `t.conf:4:16: rewrite_tag_filter: duplicated rewriterules found: key k, pattern a`},
		{"td fixed name", "<match **>\n  @type tdlog\n  apikey k\n  buffer_path /td\n  database Bad\n  table ok_table\n</match>\n", `t.conf:5:12: tdlog: database name must only consist of lower-case alpha-numeric characters and '_': "Bad"`},
		{"buffer path twice", "<match a>\n  @type tdlog\n  apikey k\n  buffer_path /b\n</match>\n<match b>\n  @type s3\n  s3_bucket x\n  buffer_path /b\n</match>\n", `t.conf:6:1: Other 'tdlog' plugin already use same buffer_path: type = tdlog, buffer_path = /b`},
		{"s3 endpoint aws", "<match a>\n  @type s3\n  s3_bucket x\n  buffer_path /b\n  s3_endpoint s3.amazonaws.com\n</match>\n", `t.conf:5:15: s3: s3_endpoint parameter is not supported for S3, use s3_region instead. This parameter is for S3 compatible services`},
		{"enable_ruby", "<filter **>\n  @type record_transformer\n  enable_ruby true\n</filter>\n", `t.conf:3:15: record_transformer: enable_ruby is not supported (devenv cannot run Ruby)`},
		{"parser format", "<filter **>\n  @type parser\n  format ltsv\n  key_name log\n</filter>\n", `t.conf:3:10: filter parser: unsupported format "ltsv" (supported: json)`},
		{"label name", "<label X>\n</label>\n", `t.conf:1:1: label name "X" must start with '@'`},
		{"undefined label", "<source>\n  @type forward\n  @label @X\n</source>\n", `t.conf:1:1: @label @X: no <label @X> is defined`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Error(t, buildErr(t, c.src), c.want)
		})
	}
}

func TestStaticStartFailure(t *testing.T) {
	root, err := config.ParseBytes(nil, "t.conf", []byte("<match **>\n  @type s3\n  s3_bucket b\n  buffer_path /x\n</match>\n"))
	assert.NilError(t, err)
	_, err = router.New(root, router.WithStart(func(o *router.Output) error { return errFake }))
	assert.Error(t, err, "t.conf:1:1: start s3 output: fake")
}

type fakeErr string

func (e fakeErr) Error() string { return string(e) }

const errFake = fakeErr("fake")

func TestCallerRecordNotMutated(t *testing.T) {
	r := newDelishRouter(t, delishEnv())
	in := rec("a", int64(1))
	j := route(r, "delish.event.x", in)
	assert.Equal(t, len(j.Deliveries), 2)
	assert.DeepEqual(t, in, rec("a", int64(1)))
	assert.DeepEqual(t, j.Input.Record, rec("a", int64(1)))
}

func TestOutputsAndIDs(t *testing.T) {
	r := newDelishRouter(t, delishEnv())
	route(r, "delish.event.x", rec())
	outs := r.Outputs()
	assert.Equal(t, len(outs), 2)
	assert.Equal(t, outs[0].ID, "/fluentd/log/buf-delish-event-x")
	assert.Equal(t, outs[0].PlantTag, "delish.event.x")
	assert.Equal(t, outs[0].FlushInterval, 600*time.Second)
	assert.Equal(t, outs[0].ChunkLimit, int64(128<<20))
	assert.Equal(t, outs[1].ID, "/fluentd/log/td-buf-delish-x")
	assert.Equal(t, outs[1].FlushInterval, 10*time.Second)
	assert.Equal(t, outs[1].ChunkLimit, int64(32<<20))
	assert.Equal(t, outs[1].BufferType, "file")
}

func TestTimezone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	assert.NilError(t, err)
	r := newDelishRouter(t, delishEnv(), router.WithLocation(tokyo))
	// The app's time is read in local time: 9 hours earlier in UTC.
	j := r.Route(dockerEvent(`{"log_type":"EVENT","event_type":"click","time":"2024-01-02T12:00:00Z"}`))
	assert.Equal(t, len(j.Deliveries), 2)
	assert.Equal(t, j.Deliveries[0].Time.Sec, int64(1704164400)) // 03:00Z
	assert.Equal(t, j.Deliveries[0].TimeSlice, "2024/01/02/12")
	assert.Equal(t, string(j.Deliveries[0].Line), `{"log_type":"EVENT","event_type":"click","time":"2024-01-02 12:00:00"}`+"\n")
}

func TestConcurrentRoute(t *testing.T) {
	r := newDelishRouter(t, delishEnv())
	done := make(chan int)
	for g := range 4 {
		go func() {
			n := 0
			for i := range 200 {
				j := r.Route(dockerEvent(`{"log_type":"EVENT","event_type":"e` + string(rune('a'+(g+i)%5)) + `"}`))
				n += len(j.Deliveries)
			}
			done <- n
		}()
	}
	total := 0
	for range 4 {
		total += <-done
	}
	assert.Equal(t, total, 4*200*2)
	assert.Equal(t, len(r.Outputs()), 10) // 5 tags × (s3 + tdlog), planted once each
}

func TestV1RegexpPatterns(t *testing.T) {
	root, err := config.ParseBytes(nil, "t.conf", []byte("<match \"/^app\\\\.(web|api)$/\">\n  @type stdout\n</match>\n<match **>\n  @type null\n</match>\n"), config.WithV1("h"))
	assert.NilError(t, err)
	r, err := router.New(root, router.WithV1())
	assert.NilError(t, err)
	assert.Equal(t, len(route(r, "app.web", rec()).Deliveries), 1)
	assert.Equal(t, len(route(r, "app.db", rec()).Deliveries), 0)
	r, err = router.New(root)
	assert.NilError(t, err)
	assert.Equal(t, len(route(r, "app.web", rec()).Deliveries), 0) // v0.12: a literal glob
}
