package router_test

import (
	"strings"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/router"
)

// retag routes record with tag through a config whose only <match t.**>
// is the given rewrite_tag_filter body, and returns the new tag ("" for a
// drop) as seen by a catch-all stdout.
func retag(t *testing.T, body, tag string, record record.Record) string {
	t.Helper()
	r := build(t, "<match "+tag+">\n  @type rewrite_tag_filter\n"+body+"</match>\n<match **>\n  @type stdout\n</match>\n")
	j := route(r, tag, record)
	if len(j.Deliveries) == 0 {
		return ""
	}
	return j.Deliveries[0].Tag
}

func TestRewriteTagFilterRules(t *testing.T) {
	rule := func(key, pattern, tag string, extra ...string) string {
		return "  <rule>\n    key " + key + "\n    pattern " + pattern + "\n    tag " + tag + "\n" + strings.Join(extra, "") + "  </rule>\n"
	}
	cases := []struct {
		name, body string
		rec        record.Record
		want       string
	}{
		{"dollar groups", rule("k", `^(\w+)-(\w+)$`, "x.$2.$1"), rec("k", "a-b"), "x.b.a"},
		{"unknown group empty", rule("k", `^(\w+)$`, "x.$1$5"), rec("k", "a"), "x.a"},
		{"tag_parts", rule("k", `.`, "x.${tag_parts[1]}.${tag_parts[9]}"), rec("k", "v"), "x.b."},
		{"__TAG_PARTS never expanded", rule("k", `.`, "x.__TAG_PARTS[1]__"), rec("k", "v"), "x.__TAG_PARTS[1]__"},
		{"hostname", rule("k", `.`, "x.${hostname}.__HOSTNAME__"), rec("k", "v"), "x.host-1.host-1"},
		{"unknown placeholder", rule("k", `.`, "x.${nope}y"), rec("k", "v"), "x.y"},
		{"invert fires on no match", rule("k", `^a`, "x.inv", "    invert true\n"), rec("k", "b"), "x.inv"},
		{"invert fires on missing key", rule("k", `^a`, "x.inv", "    invert true\n"), rec(), "x.inv"},
		{"missing key skips rule", rule("k", `.*`, "x.any"), rec(), ""},
		{"hash to_s", rule("k", `=>1}$`, "x.hash"), rec("k", rec("a", int64(1))), "x.hash"},
		{"float to_s", rule("k", `^1\.0$`, "x.float"), rec("k", 1.0), "x.float"},
		{"nil inside array", rule("k", `^\[nil, true\]$`, "x.arr"), rec("k", []any{nil, true}), "x.arr"},
		{"same tag dropped", rule("k", `.`, "a.b"), rec("k", "v"), ""},
		{"first rule wins", rule("k", `v`, "x.first") + rule("k", `.`, "x.second"), rec("k", "v"), "x.first"},
		{"legacy after rule sections", "  rewriterule1 k v x.legacy\n" + rule("k", `^v`, "x.section"), rec("k", "v"), "x.section"},
		{"legacy sorted numerically", "  rewriterule10 k v x.ten\n  rewriterule2 k ^v x.two\n", rec("k", "v"), "x.two"},
		{"legacy regex with spaces", "  rewriterule1 k ^a b$ x.space\n", rec("k", "a b"), "x.space"},
		{"legacy invert", "  rewriterule1 k !^a x.notA\n", rec("k", "b"), "x.notA"},
		{"legacy quoted regex", "  rewriterule1 k \"^a$\" x.q\n", rec("k", "a"), "x.q"},
		{"capitalize", "  capitalize_regex_backreference yes\n" + rule("k", `^(\w+)$`, "x.$1"), rec("k", "hello"), "x.Hello"},
		{"remove_tag_prefix", "  remove_tag_prefix a\n" + rule("k", `.`, "x.${tag}"), rec("k", "v"), "x.b"},
		{"ruby dotall flag", rule("k", `(?m)a.b`, "x.dotall"), rec("k", "a\nb"), "x.dotall"},
		{"hex class", rule("k", `^\h+$`, "x.hex"), rec("k", "00fF"), "x.hex"},
		{"line anchors", rule("k", `^b$`, "x.line"), rec("k", "a\nb\nc"), "x.line"},
		// RTF16: rewritetag.gsub(/\$\d+/, {"$1"=>…, "$n"=>…}); a missing key is "".
		{"$0 and $01 empty", rule("k", `^(a)(b)$`, "x.$0$01.$1$2"), rec("k", "ab"), "x..ab"},
		{"non-participating group empty", rule("k", `^(a)|(b)$`, "x.$1$2"), rec("k", "b"), "x.b"},
		{"invert keeps $1", rule("k", `^a`, "x.$1", "    invert true\n"), rec("k", "b"), "x.$1"},
		{"tag_parts[01] unknown", rule("k", `.`, "x.${tag_parts[01]}"), rec("k", "v"), "x."},
		// trim_regex_quote: double quotes only, then a leading "!"; the
		// invert flag comes from the raw text.
		{"legacy single quotes kept", "  rewriterule1 k '^a$' x.sq\n", rec("k", "a"), ""},
		{"legacy lone quote is empty regex", "  rewriterule1 k \" x.lone\n", rec("k", "zzz"), "x.lone"},
		{"legacy inverted keeps quotes", "  rewriterule1 k !\"^a$\" x.nq\n", rec("k", "a"), "x.nq"},
		{"legacy quoted bang not inverted", "  rewriterule1 k \"!a\" x.bang\n", rec("k", "a"), "x.bang"},
		{"rewriterule-1 is not a rule", "  rewriterule-1 k v x.neg\n  rewriterule2 k v x.two\n", rec("k", "v"), "x.two"},
		{"lone range passes", rule("k", `.`, "x.${tag_parts[0..1]}"), rec("k", "v"), "x.${tag_parts[0..1]}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, retag(t, c.body, "a.b", c.rec), c.want)
		})
	}
}

func TestCompileRubyRegexp(t *testing.T) {
	for src, want := range map[string]string{
		`a(?=b)`:    "lookaround (?=…) cannot be expressed in Go's RE2",
		`(?<=a)b`:   "lookaround (?<=…) cannot be expressed in Go's RE2",
		`(?>a)`:     "atomic group (?>…) cannot be expressed in Go's RE2",
		`a++`:       "possessive quantifier ++ cannot be expressed in Go's RE2",
		`(a)\1`:     `backreference \1 cannot be expressed in Go's RE2`,
		`\k<x>`:     `\k<…> (named backreference or subexpression call) cannot be expressed in Go's RE2`,
		`[a-z&&b]`:  "character class intersection && cannot be expressed in Go's RE2",
		`(unclosed`: "compile regexp: error parsing regexp: missing closing ): `(?m)(unclosed`",
	} {
		_, err := router.CompileRubyRegexp(src)
		assert.Error(t, err, want, src)
	}
	re, err := router.CompileRubyRegexp(`(?<name>\w+)(?# comment)[[:digit:]]`)
	assert.NilError(t, err)
	assert.Equal(t, re.FindStringSubmatch("ab1")[1], "ab")
}

func TestForest(t *testing.T) {
	r := build(t, `
<match app.**>
  @type forest
  subtype stdout
  escape_tag_separator -
  remove_prefix app
  <template>
    format json
    include_tag_key true
    tag_key ${tag_parts[-1]}|${tag_parts[0..1]}|${tag_parts[0...1]}|__ESCAPED_TAG__|${hostname}|${tag_parts[5]}
  </template>
  <case special.**>
    include_tag_key false
  </case>
</match>
`)
	j := route(r, "app.web.api", rec("a", int64(1)))
	assert.Equal(t, len(j.Deliveries), 1)
	d := j.Deliveries[0]
	assert.Equal(t, d.Tag, "web.api") // remove_prefix
	assert.Equal(t, strings.SplitN(string(d.Line), ": ", 2)[1], `{"a":1,"api|web.api|web|web-api|host-1|":"web.api"}`+"\n")
	assert.Equal(t, d.Output.PlantTag, "web.api")
	var plant router.Step
	for _, s := range j.Steps {
		if s.Kind == router.StepPlant {
			plant = s
		}
	}
	assert.Equal(t, plant.Detail, "planted stdout instance for tag web.api (warn: out_forest: missing placeholder ${tag_parts[5]})")

	j = route(r, "app.special.x", rec("a", int64(1)))
	assert.Equal(t, strings.SplitN(string(j.Deliveries[0].Line), ": ", 2)[1], `{"a":1}`+"\n")
	// one instance per tag
	j2 := route(r, "app.web.api", rec())
	assert.Equal(t, j2.Deliveries[0].Output, d.Output)
	assert.Equal(t, len(r.Outputs()), 2)
}

func TestForestCaseReplacesSectionWithArg(t *testing.T) {
	r := build(t, `
<match **>
  @type forest
  subtype copy
  <template>
    <store x>
      @type stdout
      format json
    </store>
    <store>
      @type null
    </store>
  </template>
  <case b>
    <store x>
      @type stdout
      format single_value
      message_key m
    </store>
  </case>
</match>
`)
	j := route(r, "b", rec("m", "hello"))
	assert.Equal(t, len(j.Deliveries), 1)
	assert.Equal(t, strings.SplitN(string(j.Deliveries[0].Line), ": ", 2)[1], "hello\n")
	assert.Equal(t, j.Drops[0].Plugin, "null")
	assert.Equal(t, j.Drops[0].Kind, record.DropSilent)
}

func TestCopyDeepCopy(t *testing.T) {
	src := `
<match **>
  @type copy
  deep_copy %s
  <store>
    @type stdout
    format json
    include_time_key true
    time_format %H
  </store>
  <store>
    @type stdout
    format json
  </store>
</match>
`
	shared := build(t, strings.Replace(src, "%s", "false", 1))
	j := route(shared, "a", rec("k", "v"))
	assert.Assert(t, strings.HasSuffix(string(j.Deliveries[1].Line), `{"k":"v","time":"03"}`+"\n"), string(j.Deliveries[1].Line))
	deep := build(t, strings.Replace(src, "%s", "true", 1))
	j = route(deep, "a", rec("k", "v"))
	assert.Assert(t, strings.HasSuffix(string(j.Deliveries[1].Line), `{"k":"v"}`+"\n"), string(j.Deliveries[1].Line))
}

func TestFilterParserVariants(t *testing.T) {
	conf := func(extra string) *router.Router {
		return build(t, "<filter **>\n  @type parser\n  format json\n  key_name log\n"+extra+"</filter>\n<match **>\n  @type stdout\n</match>\n")
	}
	body := func(j router.Journey) string {
		if len(j.Deliveries) == 0 {
			return "drop:" + string(j.Drops[0].Kind) + ":" + j.Drops[0].Reason
		}
		return strings.SplitN(strings.TrimSpace(string(j.Deliveries[0].Line)), ": ", 2)[1]
	}
	assert.Equal(t, body(route(conf(""), "a", rec("x", "1"))), "drop:warning:log does not exist")
	assert.Equal(t, body(route(conf("  reserve_data true\n"), "a", rec("x", "1"))), `{"x":"1"}`)
	assert.Equal(t, body(route(conf("  reserve_data true\n"), "a", rec("x", "1", "log", `{"y":2}`))), `{"x":"1","log":"{\"y\":2}","y":2}`)
	assert.Equal(t, body(route(conf("  reserve_data true\n"), "a", rec("log", "nope"))), `{"log":"nope"}`)
	assert.Equal(t, body(route(conf("  ignore_key_not_exist true\n"), "a", rec())), "drop:silent:log does not exist (ignore_key_not_exist)")
	assert.Equal(t, body(route(conf("  suppress_parse_error_log true\n"), "a", rec("log", "x"))), "drop:silent:(suppress_parse_error_log) pattern not match with data 'x'")
	assert.Equal(t, body(route(conf("  inject_key_prefix p_\n"), "a", rec("log", `{"y":2}`))), `{"p_y":2}`)
	assert.Equal(t, body(route(conf("  hash_value_field h\n"), "a", rec("log", `{"y":2}`))), `{"h":{"y":2}}`)
	j := route(conf("  time_format %s\n"), "a", rec("log", `{"time":"1700000000","v":1}`))
	assert.Equal(t, j.Deliveries[0].Time.Sec, int64(1700000000))
	j = route(conf("  time_parse false\n"), "a", rec("log", `{"time":"junk","v":1}`))
	assert.Equal(t, body(j), `{"v":1}`)
	assert.Equal(t, body(route(conf("  emit_invalid_record_to_error true\n"), "a", rec("log", "x"))),
		`drop:warning:sent to @ERROR (no <label @ERROR>: logged as "dump an error event"): pattern not match with data 'x'`)
}

func TestParserErrorLabel(t *testing.T) {
	r := build(t, "<filter **>\n  @type parser\n  format json\n  key_name log\n  emit_invalid_record_to_error true\n</filter>\n<match **>\n  @type null\n</match>\n<label @ERROR>\n  <match **>\n    @type stdout\n  </match>\n</label>\n")
	j := route(r, "a", rec("log", "not json"))
	assert.DeepEqual(t, lines(j), []string{`a 2024-01-02 03:04:05 +0000 a: {"log":"not json"}`})
	assert.Equal(t, j.Steps[0].Kind, router.StepErrorEvent)
}

func TestRecordTransformer(t *testing.T) {
	r := build(t, `
<filter app.**>
  @type record_transformer
  remove_keys drop_me
  <record>
    host ${hostname}
    tag ${tag}
    part ${tag_parts[1]}
    prefix ${tag_prefix[0]}
    suffix ${tag_suffix[1]}
    copied ${v}
    mixed v=${v} ${unknown}
    when ${time}
  </record>
</filter>
<match **>
  @type stdout
</match>
`)
	j := route(r, "app.web.x", rec("v", int64(5), "drop_me", true))
	assert.Equal(t, strings.SplitN(strings.TrimSpace(string(j.Deliveries[0].Line)), ": ", 2)[1],
		`{"v":5,"host":"host-1","tag":"app.web.x","part":"web","prefix":"app","suffix":"web.x","copied":"5","mixed":"v=5 ","when":"2024-01-02 03:04:05 +0000"}`)
	r = build(t, "<filter **>\n  @type record_transformer\n  renew_record true\n  auto_typecast true\n  keep_keys a\n  <record>\n    n ${v}\n  </record>\n</filter>\n<match **>\n  @type stdout\n</match>\n")
	j = route(r, "t", rec("a", "x", "b", "y", "v", int64(5)))
	assert.Equal(t, strings.SplitN(strings.TrimSpace(string(j.Deliveries[0].Line)), ": ", 2)[1], `{"a":"x","n":5}`)
}

func s3Config(t *testing.T, body string) *router.S3Config {
	t.Helper()
	r := build(t, "<match **>\n  @type s3\n  s3_bucket b\n  buffer_path /b\n"+body+"</match>\n")
	j := route(r, "a.b", rec("k", "v"))
	assert.Equal(t, len(j.Deliveries), 1)
	return j.Deliveries[0].Output.S3
}

func TestS3ObjectKey(t *testing.T) {
	now := time.Date(2024, 1, 2, 5, 6, 7, 0, time.UTC)
	c := s3Config(t, "")
	assert.Equal(t, c.KeyFormat, "%{path}%{time_slice}_%{index}.%{file_extension}")
	assert.Equal(t, c.ObjectKey(now, "20240102", 3, nil), "20240102_3.gz")
	assert.Equal(t, c.TimeSliceFormat, "%Y%m%d")
	assert.Equal(t, c.ContentType, "application/x-gzip")

	c = s3Config(t, "  path logs/%Y/%{hostname}/\n  s3_object_key_format %{path}%{time_slice}_%{index}_%{hex_random}_%{nope}.%{file_extension}\n  index_format %03d\n  store_as lzo\n")
	assert.Equal(t, c.ObjectKey(now, "S", 1, []byte{0x01, 0xab, 0x0f}), "logs/2024/host-1/S_001_fba1_.txt")
	assert.DeepEqual(t, c.Warnings, []string{"'lzo' not supported. Use 'text' instead", `%{hostname} will be removed in the future. Use "\#{Socket.gethostname}" instead`})

	c = s3Config(t, "  check_object false\n")
	assert.Equal(t, c.ObjectKey(now, "S", 0, nil), "/20240102_050607.gz")

	existing := map[string]bool{"20240102_0.gz": true, "20240102_1.gz": true}
	c = s3Config(t, "")
	key, err := c.NextObjectKey(now, "20240102", nil, func(k string) (bool, error) { return existing[k], nil })
	assert.NilError(t, err)
	assert.Equal(t, key, "20240102_2.gz")

	c = s3Config(t, "  s3_object_key_format %{path}%{time_slice}.gz\n")
	_, err = c.NextObjectKey(now, "20240102", nil, func(string) (bool, error) { return true, nil })
	assert.ErrorIs(t, err, router.ErrDuplicatedPath)
	c = s3Config(t, "  s3_object_key_format %{path}%{time_slice}.gz\n  overwrite true\n")
	key, err = c.NextObjectKey(now, "20240102", nil, func(string) (bool, error) { return true, nil })
	assert.NilError(t, err)
	assert.Equal(t, key, "20240102.gz")

	root, err := config.ParseBytes(nil, "t.conf", []byte("<match **>\n  @type s3\n  s3_bucket b\n  buffer_path /b\n  s3_object_key_format %{uuid}\n</match>\n"))
	assert.NilError(t, err)
	_, err = router.New(root)
	assert.Error(t, err, "t.conf:5:24: s3: %{uuid} placeholder in s3_object_key_format is removed")
}

func TestTDNames(t *testing.T) {
	for name, ok := range map[string]bool{"event_click": true, "event_": true, "ab": false, "event_Click": false,
		strings.Repeat("a", 255): true, strings.Repeat("a", 256): false, "a-b": false, "": false} {
		err := router.ValidateTDName("table", name)
		assert.Equal(t, err == nil, ok, "%q: %v", name, err)
	}
	for in, want := range map[string]string{"Ab": "ab_", "a.b-C": "a_b_c", strings.Repeat("x", 300): strings.Repeat("x", 253) + "__"} {
		got, err := router.NormalizeTDName(in)
		assert.NilError(t, err)
		assert.Equal(t, got, want)
	}
	r := build(t, "<match **>\n  @type tdlog\n  apikey k\n  buffer_path /td\n  endpoint fake-td:8080\n  use_ssl false\n</match>\n")
	j := route(r, "Web.Access-Log", rec("time", "x"))
	c := j.Deliveries[0].Output.TD
	db, table, err := c.Target("Web.Access-Log")
	assert.NilError(t, err)
	assert.Equal(t, db+"."+table, "web.access_log")
	assert.Equal(t, c.APIBaseURL(), "http://fake-td:8080")
	assert.Equal(t, c.ImportBaseURL(), "http://fake-td:8080")
	assert.Equal(t, router.TDImportPath("d", "t", "abc"), "/v3/table/import_with_id/d/t/abc/msgpack.gz")
	assert.DeepEqual(t, j.Deliveries[0].Record, rec("time", int64(td)))
	j = route(r, "single", rec())
	assert.Equal(t, j.Drops[0].Kind, record.DropConnectionClosed)

	r = build(t, "<match **>\n  @type tdlog\n  apikey k\n  buffer_path /td\n</match>\n")
	c = route(r, "a.b", rec()).Deliveries[0].Output.TD
	assert.Equal(t, c.ImportBaseURL(), "https://api-import.treasuredata.com")
	assert.Equal(t, c.APIBaseURL(), "https://api.treasuredata.com")
}

func TestAppendMsgpack(t *testing.T) {
	got := router.AppendMsgpack(nil, rec("a", int64(1), "b", []any{"x", nil, true, -1.5}, "c", int64(-40), "d", int64(300)))
	want := []byte{0x84, 0xa1, 'a', 0x01, 0xa1, 'b', 0x94, 0xa1, 'x', 0xc0, 0xc3, 0xcb, 0xbf, 0xf8, 0, 0, 0, 0, 0, 0,
		0xa1, 'c', 0xd0, 0xd8, 0xa1, 'd', 0xcd, 0x01, 0x2c}
	assert.DeepEqual(t, got, want)
}

func TestFileOutput(t *testing.T) {
	r := build(t, "<match **>\n  @type file\n  path /var/log/app.*.txt\n  compress gzip\n</match>\n<match never>\n  @type file\n  path /var/log/b\n  append true\n</match>\n")
	j := route(r, "a", rec("k", "v"))
	d := j.Deliveries[0]
	assert.Equal(t, d.Output.BufferPath, "/var/log/app.*.txt.*")
	assert.Equal(t, d.TimeSlice, "20240102")
	assert.Equal(t, d.Output.File.FilePath(d.TimeSlice, 2), "/var/log/app.20240102_2.txt.gz")
	assert.Equal(t, string(d.Line), "2024-01-02T03:04:05+00:00\ta\t{\"k\":\"v\"}\n")
	outs := r.Outputs()
	assert.Equal(t, outs[1].File.FilePath("20240102", 0), "/var/log/b.20240102.log")
}

// TestFilterParserTimeToI: without time_format, v0.12's JSONParser does
// `time = value.to_i` (FD012 lib/fluent/parser.rb JSONParser#parse), so the
// event time follows Ruby's Integer/Float/String#to_i, and a value without
// to_i raises NoMethodError → ParserError → warning + drop.
func TestFilterParserTimeToI(t *testing.T) {
	r := build(t, "<filter **>\n  @type parser\n  format json\n  key_name log\n</filter>\n<match **>\n  @type stdout\n</match>\n")
	const td = 1704164645
	for _, c := range []struct {
		time string
		want int64
	}{
		{`1700000000`, 1700000000},
		{`1700000000.9`, 1700000000},
		{`-1.9`, -1},
		{`"2024-01-02T03:04:05Z"`, 2024},
		{`"  \t\n-12_3abc"`, -123},
		{`"+42"`, 42},
		{`"1__2"`, 1},
		{`"1_"`, 1},
		{`"_1"`, 0},
		{`"0d19"`, 19},
		{`"0x1A"`, 0},
		{`"abc"`, 0},
		{`""`, 0},
		{`null`, td},  // falsy: the event time is kept
		{`false`, td}, // falsy too
	} {
		j := r.Route(router.Event{Tag: "a", Time: router.EventTime{Sec: td}, Record: rec("log", `{"time":`+c.time+`,"v":1}`)})
		assert.Equal(t, len(j.Deliveries), 1, c.time)
		assert.Equal(t, j.Deliveries[0].Time.Sec, c.want, c.time)
		assert.DeepEqual(t, j.Deliveries[0].Record, rec("v", int64(1)))
	}
	for time, reason := range map[string]string{
		`true`:                   "invalid time value: value = true, error = NoMethodError: undefined method `to_i' for true:TrueClass",
		`{"a":1}`:                "invalid time value: value = {\"a\"=>1}, error = NoMethodError: undefined method `to_i' for {\"a\"=>1}:Hash",
		`[1]`:                    "invalid time value: value = [1], error = NoMethodError: undefined method `to_i' for [1]:Array",
		`99999999999999999999`:   "invalid time value: value = 99999999999999999999, error = integer out of range for an event time",
		`"99999999999999999999"`: "invalid time value: value = 99999999999999999999, error = integer out of range for an event time",
	} {
		j := route(r, "a", rec("log", `{"time":`+time+`}`))
		assert.Equal(t, len(j.Deliveries), 0, time)
		assert.Equal(t, j.Drops[0].Kind, record.DropWarning, time)
		assert.Equal(t, j.Drops[0].Reason, reason, time)
	}
}

// TestRecordTransformerV012 follows PlaceholderExpander in FD012
// lib/fluent/plugin/filter_record_transformer.rb: ${time}, then record keys,
// then tag/tag_parts/tag_prefix/tag_suffix/hostname (later wins); unknown
// placeholders are nil (→ "" in gsub, null with auto_typecast); <record>
// values starting with { or [ are JSON (parse_value).
func TestRecordTransformerV012(t *testing.T) {
	out := func(t *testing.T, body string, record record.Record) string {
		t.Helper()
		r := build(t, "<filter **>\n  @type record_transformer\n"+body+"</filter>\n<match **>\n  @type stdout\n</match>\n")
		j := route(r, "app.web.", record)
		assert.Equal(t, len(j.Deliveries), 1, "%+v", j.Drops)
		return strings.SplitN(strings.TrimSpace(string(j.Deliveries[0].Line)), ": ", 2)[1]
	}
	cases := []struct {
		name, body string
		rec        record.Record
		want       string
	}{
		{"underscore names unknown", "  <record>\n    x <__TAG__|__HOSTNAME__|__TIME__>\n  </record>\n", rec(), `{"x":"<||>"}`},
		{"unknown and out of range", "  <record>\n    x <${nope}|${tag_parts[2]}|${tag_parts[01]}|${tag_parts[-3]}|${tag_parts[-1]}|${tag_suffix[-2]}>\n  </record>\n", rec(), `{"x":"<||||web|app.web>"}`},
		{"record time overrides ${time}", "  <record>\n    x ${time}\n  </record>\n", rec("time", "mine"), `{"time":"mine","x":"mine"}`},
		{"built-ins override record keys", "  <record>\n    x ${tag}/${hostname}\n  </record>\n", rec("tag", "r", "hostname", "h"), `{"tag":"r","hostname":"h","x":"app.web./host-1"}`},
		{"record key beyond tag parts", "  <record>\n    x ${tag_parts[5]}\n  </record>\n", rec("tag_parts[5]", "v"), `{"tag_parts[5]":"v","x":"v"}`},
		{"json value", "  <record>\n    x {\"${tag_parts[0]}\":[\"${v}\",1,null]}\n    y \"[broken\"\n  </record>\n", rec("v", int64(2)), `{"v":2,"x":{"app":["2",1,null]},"y":"[broken"}`},
		{"auto_typecast unknown is null", "  auto_typecast true\n  <record>\n    x ${nope}\n    y ${v}\n  </record>\n", rec("v", []any{int64(1)}), `{"v":[1],"x":null,"y":[1]}`},
		{"keep_keys missing key is null", "  renew_record true\n  keep_keys a,b\n", rec("a", "x"), `{"a":"x","b":null}`},
		{"remove_keys not trimmed", "  remove_keys a, b,,c\n", rec("a", 1, " b", 2, "b", 3, "c", 4), `{"b":3}`},
		{"renew_time_key to_i", "  renew_time_key t\n", rec("t", "12abc"), `{"t":"12abc"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, out(t, c.body, c.rec), c.want)
		})
	}
	r := build(t, "<filter **>\n  @type record_transformer\n  renew_time_key t\n</filter>\n<match **>\n  @type stdout\n</match>\n")
	j := route(r, "a", rec("t", "12abc"))
	assert.Equal(t, j.Deliveries[0].Time.Sec, int64(12))
	err := buildErr(t, "<filter **>\n  @type record_transformer\n  keep_keys a\n</filter>\n")
	assert.ErrorContains(t, err, "`renew_record` must be true to use `keep_keys`")
}

func TestRewriteTagFilterConfigEdges(t *testing.T) {
	// rewriterule_names are key + invert + pattern concatenated: "ab"+"c"
	// and "a"+"bc" are duplicates for RTF16.
	assert.ErrorContains(t, buildErr(t, "<match a>\n  @type rewrite_tag_filter\n  rewriterule1 ab c x\n  rewriterule2 a bc y\n</match>\n"), "duplicated rewriterules")
	assert.ErrorContains(t, buildErr(t, "<match a>\n  @type rewrite_tag_filter\n  rewriterule1 k . ${tag_parts[0..1]}.__TAG_PARTS[0...1]__\n</match>\n"), "does not support range")
	assert.ErrorContains(t, buildErr(t, "<match a>\n  @type rewrite_tag_filter\n  rewriterule+1 k . x\n</match>\n"), "missing rewriterules")
	// capitalize_regex_backreference calls nil.capitalize for a group that
	// did not take part: NoMethodError raised from emit.
	r := build(t, "<match a>\n  @type rewrite_tag_filter\n  capitalize_regex_backreference yes\n  rewriterule1 k ^(a)|(b)$ x.$2\n</match>\n<match **>\n  @type stdout\n</match>\n")
	j := route(r, "a", rec("k", "b"))
	assert.Equal(t, len(j.Deliveries), 0)
	assert.Equal(t, j.Drops[0].Kind, record.DropConnectionClosed)
	assert.Assert(t, strings.Contains(j.Drops[0].Reason, "undefined method `capitalize' for nil:NilClass"), j.Drops[0].Reason)
}

// TestFilterParserReserveDataWarnings: with reserve_data the record passes
// on, but fluentd still logs "… does not exist" / "pattern not match"
// (FD012 lib/fluent/plugin/filter_parser.rb filter_stream), so the journey
// shows the warning.
func TestFilterParserReserveDataWarnings(t *testing.T) {
	conf := func(extra string) *router.Router {
		return build(t, "<filter **>\n  @type parser\n  format json\n  key_name log\n  reserve_data true\n"+extra+"</filter>\n<match **>\n  @type stdout\n</match>\n<label @ERROR>\n  <match **>\n    @type file\n    path /err\n  </match>\n</label>\n")
	}
	warnings := func(j router.Journey) []string {
		var out []string
		for _, s := range j.Steps {
			if s.Kind == router.StepWarning || s.Kind == router.StepErrorEvent {
				out = append(out, string(s.Kind)+": "+s.Detail)
			}
		}
		return out
	}
	body := func(j router.Journey) string {
		return strings.SplitN(strings.TrimSpace(string(j.Deliveries[0].Line)), ": ", 2)[1]
	}
	j := route(conf(""), "a", rec("x", "1"))
	assert.Equal(t, body(j), `{"x":"1"}`)
	assert.Equal(t, len(j.Drops), 0)
	assert.DeepEqual(t, warnings(j), []string{"warning: log does not exist (reserve_data: the record passes on unchanged)"})

	j = route(conf(""), "a", rec("log", "nope"))
	assert.Equal(t, body(j), `{"log":"nope"}`)
	assert.DeepEqual(t, warnings(j), []string{"warning: pattern not match with data 'nope' (reserve_data: the record passes on unchanged)"})

	// suppress_parse_error_log hides the pattern warning, not the missing key.
	assert.DeepEqual(t, warnings(route(conf("  suppress_parse_error_log true\n"), "a", rec("log", "nope"))), []string(nil))
	assert.Equal(t, len(warnings(route(conf("  suppress_parse_error_log true\n"), "a", rec()))), 1)
	// ignore_key_not_exist: nothing logged, the record still passes.
	j = route(conf("  ignore_key_not_exist true\n"), "a", rec("x", "1"))
	assert.Equal(t, body(j), `{"x":"1"}`)
	assert.DeepEqual(t, warnings(j), []string(nil))
	// hash_value_field: handle_parsed(…, {}) adds an empty hash.
	assert.Equal(t, body(route(conf("  hash_value_field h\n"), "a", rec("x", "1"))), `{"x":"1","h":{}}`)
	// emit_invalid_record_to_error: the record goes to @ERROR and passes on.
	j = route(conf("  emit_invalid_record_to_error true\n"), "a", rec("log", "nope"))
	assert.Equal(t, len(j.Deliveries), 2)
	assert.Equal(t, j.Deliveries[0].Output.Type, "file")
	assert.Equal(t, j.Deliveries[1].Output.Type, "stdout")
	assert.DeepEqual(t, warnings(j), []string{"error_event: pattern not match with data 'nope'"})
	// A time that fails to parse is a rescued ParserError: dropped even
	// with reserve_data.
	j = route(conf("  time_format %Y\n"), "a", rec("log", `{"time":"x"}`))
	assert.Equal(t, len(j.Deliveries), 0)
	assert.Equal(t, j.Drops[0].Kind, record.DropWarning)
}

func TestLowImpactRubyDetails(t *testing.T) {
	// TimeFormatter without time_format: Time#iso8601, "Z" for a UTC Time
	// (utc true / localtime false), the offset for local time.
	line := func(extra string) string {
		r := build(t, "<match **>\n  @type stdout\n  format json\n  include_time_key true\n"+extra+"</match>\n")
		return strings.SplitN(strings.TrimSpace(string(route(r, "a", rec()).Deliveries[0].Line)), ": ", 2)[1]
	}
	assert.Equal(t, line("  utc true\n"), `{"time":"2024-01-02T03:04:05Z"}`)
	assert.Equal(t, line("  localtime false\n"), `{"time":"2024-01-02T03:04:05Z"}`)
	assert.Equal(t, line(""), `{"time":"2024-01-02T03:04:05+00:00"}`)
	assert.Equal(t, line("  timezone +09:00\n"), `{"time":"2024-01-02T12:04:05+09:00"}`)

	// TD: tag.split('.')[-2, 2] drops trailing empty parts; names count
	// characters.
	r := build(t, "<match **>\n  @type tdlog\n  apikey k\n  buffer_path /td\n</match>\n")
	c := route(r, "a.b", rec()).Deliveries[0].Output.TD
	db, table, err := c.Target("web.access.")
	assert.NilError(t, err)
	assert.Equal(t, db+"."+table, "web.access")
	for in, want := range map[string]string{"é": "___", "éé": "___", strings.Repeat("é", 300): strings.Repeat("_", 255)} {
		got, err := router.NormalizeTDName(in)
		assert.NilError(t, err)
		assert.Equal(t, got, want, in)
	}

	// forest: `matched_case + conf` puts the case's children before the
	// template's; only the last <template> is used.
	r = build(t, `<match **>
  @type forest
  subtype copy
  <template>
    <store>
      @type null
    </store>
  </template>
  <template>
    <store>
      @type stdout
    </store>
  </template>
  <case a.**>
    <store>
      @type file
      path /f
    </store>
  </case>
</match>
`)
	var types []string
	for _, d := range route(r, "a.b", rec()).Deliveries {
		types = append(types, d.Output.Type)
	}
	assert.DeepEqual(t, types, []string{"file", "stdout"})
}
