package config

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"gotest.tools/v3/assert"
)

func parse(t *testing.T, src string, env map[string]string) *Element {
	t.Helper()
	root, err := ParseBytes(nil, "f.conf", []byte(src), WithEnv(env))
	assert.NilError(t, err)
	return root
}

func TestValues(t *testing.T) {
	src := `<section1>
  k1 foo # comment
  k2 foo#bar
  k3 #x
  k4    spaced value   
  k5 ^([\w_]+)$
  k6 'single \' \\ \n #{x}'
  k7 "dq \" \' \\ \r\n\t \[ #{ENV['HOME_X']}|#{ENV["NOPE"]} \#{lit}"
  k8 "cont\
inued"
  k9 "multi
line"
  k10
  k11 [1, 2, # comment
       {"a": "b#c"}]
  k12 {"x": 1}
  k13 '[not json]'
  k14 "\_\.\$"
  time_format %Y-%m-%d %H:%M:%S
</section1>
`
	root := parse(t, src, map[string]string{"HOME_X": "/home/x"})
	assert.Equal(t, len(root.Elements), 1)
	e := root.Elements[0]
	want := map[string]string{
		"k1":          "foo",
		"k2":          "foo#bar",
		"k3":          "#x",
		"k4":          "spaced value",
		"k5":          `^([\w_]+)$`,
		"k6":          `single ' \ \n #{x}`,
		"k7":          "dq \" ' \\ \r\n\t [ /home/x| #{lit}",
		"k8":          "continued",
		"k9":          "multi\nline",
		"k10":         "",
		"k11":         `[1,2,{"a":"b#c"}]`,
		"k12":         `{"x":1}`,
		"k13":         "[not json]",
		"k14":         "_.$",
		"time_format": "%Y-%m-%d %H:%M:%S",
	}
	for k, v := range want {
		got, ok := e.Get(k)
		assert.Assert(t, ok, k)
		assert.Equal(t, got, v, k)
	}
	p := e.Param("k5")
	assert.Equal(t, p.KeyPos.String(), "f.conf:6:3")
	assert.Equal(t, p.ValuePos.String(), "f.conf:6:6")
	assert.Equal(t, src[p.ValuePos.Offset:p.ValueEnd], `^([\w_]+)$`)
	assert.Equal(t, e.Param("k7").Raw[:4], `"dq `)
	assert.DeepEqual(t, e.Param("k7").EnvRefs, []string{"HOME_X", "NOPE"})
	assert.Assert(t, e.Param("k6").EnvRefs == nil)
}

func TestReferenceConfigTree(t *testing.T) {
	data, err := os.ReadFile("testdata/delish.conf")
	assert.NilError(t, err)
	root, err := ParseBytes(nil, "fluent.conf", data, WithEnv(map[string]string{"AWS_S3_BUCKET": "my-bucket"}))
	assert.NilError(t, err)
	got := root.Dump()
	for _, want := range []string{
		"  <filter docker.delish>\n    @type=\"parser\"\n",
		"  <match delish.event>\n    type=\"rewrite_tag_filter\"\n    <rule>\n      key=\"event_type\"\n      pattern=\"^([\\\\w_]+)$\"\n      tag=\"${tag}.$1\"\n",
		"        aws_key_id=\"\"\n",
		"        s3_bucket=\"my-bucket\"\n",
		"        path=\"logs/delish-event/${tag_parts[2]}/\"\n",
		"        database=\"\"\n        table=\"event_${tag_parts[2]}\"\n",
	} {
		assert.Assert(t, strings.Contains(got, want), "missing %q in\n%s", want, got)
	}
	typ, _ := root.Elements[3].Type()
	assert.Equal(t, typ, "rewrite_tag_filter")
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unclosed section", "<match a>\n  @type null\n", "f.conf:1:1: section <match a> is not closed: expected </match> before end of file"},
		{"unmatched end tag", "<match a>\n</filter>\n", "f.conf:2:1: unmatched end tag </filter>: expected </match> to close <match a> at line 1"},
		{"stray end tag", "</match>\n", "f.conf:1:1: unexpected end tag </match>: no section is open"},
		{"text after tag", "<match a> x\n</match>\n", "f.conf:1:10: expected end of line after tag <match a>"},
		{"unclosed tag", "<match a\n</match>\n", "f.conf:1:9: expected '>' to close section <match"},
		{"text after end tag", "<match a>\n</match> x\n", "f.conf:2:9: expected end of line after end tag </match>"},
		{"bad escape", "<match a>\n  pattern \"^([\\w_]+)$\"\n</match>\n", "f.conf:2:15: unexpected back-slash escape character 'w'"},
		{"unterminated double", "<match a>\n  k \"abc\n", "f.conf:2:5: unterminated double-quoted string"},
		{"unterminated single", "<match a>\n  k 'abc\n'\n</match>\n", "f.conf:2:5: unterminated single-quoted string (a single-quoted value cannot span lines)"},
		{"after quoted value", "<match a>\n  k \"abc\" x\n</match>\n", "f.conf:2:10: expected end of line after the value of k"},
		{"embedded ruby", "<match a>\n  k \"#{Socket.gethostname}\"\n</match>\n", "f.conf:2:6: unsupported embedded Ruby code #{Socket.gethostname}: only #{ENV['NAME']} can be evaluated"},
		{"reserved word", "<match a>\n  @foo bar\n</match>\n", "f.conf:2:3: '@foo' is a reserved parameter name (only @type, @id, @label and @log_level are allowed)"},
		{"bad json", "<match a>\n  k [1, 2\n</match>\n", "f.conf:2:5: unterminated JSON value"},
		{"include without fs", "@include x.conf\n", "f.conf:1:1: cannot @include \"x.conf\": no file system to read from"},
		{"no section name", "< a>\n", "f.conf:1:2: expected a section name after '<'"},
		{"columns count runes", "# 日本\n<match a>\n  k \"日本\\q\"\n</match>\n", "f.conf:3:8: unexpected back-slash escape character 'q'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseBytes(nil, "f.conf", []byte(c.src))
			assert.Error(t, err, c.want)
		})
	}
}

func TestReservedDeeperIsAccepted(t *testing.T) {
	root := parse(t, "<match a>\n  <store>\n    @foo bar\n  </store>\n</match>\n", nil)
	v, ok := root.Elements[0].Elements[0].Get("@foo")
	assert.Assert(t, ok)
	assert.Equal(t, v, "bar")
}

func TestInclude(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/fluent.conf":       {Data: []byte("<source>\n  @type forward\n</source>\n@include conf.d/*.conf\ninclude extra.conf\n<match **>\n  @type null\n</match>\n")},
		"etc/conf.d/20-b.conf":  {Data: []byte("<match b>\n  @type stdout\n</match>\n")},
		"etc/conf.d/10-a.conf":  {Data: []byte("<match a>\n  @type stdout\n</match>\n")},
		"etc/extra.conf":        {Data: []byte("<match c>\n  @type stdout\n</match>\n")},
		"etc/bad.conf":          {Data: []byte("@include nope.conf\n")},
		"etc/broken.conf":       {Data: []byte("@include conf.d/broken.inc\n")},
		"etc/conf.d/broken.inc": {Data: []byte("<match a>\n")},
	}
	root, err := Parse(fsys, "etc/fluent.conf")
	assert.NilError(t, err)
	var args []string
	for _, e := range root.Elements {
		args = append(args, e.Name+":"+e.Arg)
	}
	assert.DeepEqual(t, args, []string{"source:", "match:a", "match:b", "match:c", "match:**"})
	assert.Equal(t, root.Elements[1].Pos.File, "etc/conf.d/10-a.conf")

	// eval_include runs Dir.glob even on a plain path: a missing file
	// includes nothing, without an error.
	root, err = Parse(fsys, "etc/bad.conf")
	assert.NilError(t, err)
	assert.Equal(t, len(root.Elements), 0)
	_, err = Parse(fsys, "etc/broken.conf")
	assert.Error(t, err, "etc/conf.d/broken.inc:1:1: section <match a> is not closed: expected </match> before end of file")
}

func TestIncludeGlobAndAbsolute(t *testing.T) {
	fsys := fstest.MapFS{
		"cfg/fluent.conf":      {Data: []byte("@include /fluentd/etc/conf.d/{b,a}.conf\n@include conf.d/*.conf\n")},
		"cfg/conf.d/a.conf":    {Data: []byte("<match a>\n  @type null\n</match>\n")},
		"cfg/conf.d/b.conf":    {Data: []byte("<match b>\n  @type null\n</match>\n")},
		"cfg/conf.d/.hid.conf": {Data: []byte("<match hidden>\n  @type null\n</match>\n")},
		"cfg/abs.conf":         {Data: []byte("@include /etc/other.conf\n")},
	}
	root, err := Parse(fsys, "cfg/fluent.conf", WithConfigDir("/fluentd/etc/"))
	assert.NilError(t, err)
	var args []string
	for _, e := range root.Elements {
		args = append(args, e.Arg)
	}
	// {b,a} expands, then the whole match list is sorted; * skips .hid.conf.
	assert.DeepEqual(t, args, []string{"a", "b", "a", "b"})
	_, err = Parse(fsys, "cfg/abs.conf", WithConfigDir("/fluentd/etc"))
	assert.Error(t, err, `cfg/abs.conf:1:10: cannot @include "/etc/other.conf": an absolute path is read relative to the config's directory, and this one is not under the config's directory /fluentd/etc`)
	_, err = Parse(fsys, "cfg/fluent.conf")
	assert.ErrorContains(t, err, "no WithConfigDir given")
	assert.DeepEqual(t, expandBraces("x{a,b{c,d}}y{1,2}"), []string{"xay1", "xay2", "xbcy1", "xbcy2", "xbdy1", "xbdy2"})
	assert.DeepEqual(t, expandBraces("x{a"), []string{"x{a"})
}

func TestIncludeLoop(t *testing.T) {
	fsys := fstest.MapFS{"a.conf": {Data: []byte("@include a.conf\n")}}
	_, err := Parse(fsys, "a.conf")
	assert.ErrorContains(t, err, "@include nested more than 16 levels deep")
}

func TestLabelAndSystem(t *testing.T) {
	root := parse(t, "<system>\n  log_level warn\n</system>\n<label @X>\n  <match **>\n    @type null\n  </match>\n</label>\n", nil)
	assert.Equal(t, root.Elements[0].Name, "system")
	assert.Equal(t, root.Elements[1].Arg, "@X")
	assert.Equal(t, root.Elements[1].Elements[0].Arg, "**")
}

func TestV1Syntax(t *testing.T) {
	src := "<match \"a.b c\">\n  k \"#{hostname}-#{worker_id}\"\n</match>\n<match 'x'>\n</match>\n"
	root, err := ParseBytes(nil, "f.conf", []byte(src), WithV1("fluentd01"))
	assert.NilError(t, err)
	assert.Equal(t, root.Elements[0].Arg, "a.b c")
	assert.Equal(t, root.Elements[1].Arg, "x")
	v, _ := root.Elements[0].Get("k")
	assert.Equal(t, v, "fluentd01-0")
	// v0.12 keeps the quotes in the argument and has no hostname helper.
	_, err = ParseBytes(nil, "f.conf", []byte(src))
	assert.Error(t, err, "f.conf:2:6: unsupported embedded Ruby code #{hostname}: only #{ENV['NAME']} can be evaluated")
	root = parse(t, "<match \"a.b\">\n</match>\n", nil)
	assert.Equal(t, root.Elements[0].Arg, `"a.b"`)
}

// TestJSONValuesDumpedAsRuby: the literal parser stores JSON.dump of the
// parsed value (FD012 lib/fluent/config/literal_parser.rb scan_json): key
// order kept, a repeated key keeps its first place and last value, no HTML
// escaping, UTF-8 kept, Floats printed by Float#to_s, integers exact.
func TestJSONValuesDumpedAsRuby(t *testing.T) {
	for in, want := range map[string]string{
		`{"b":1,"a":2}`:                     `{"b":1,"a":2}`,
		`{"a":1,"b":2,"a":3}`:               `{"a":3,"b":2}`,
		`["<&>", "日本", "\u003c", "a/b"]`:    `["<&>","日本","<","a/b"]`,
		`["\u0001\n\"\\"]`:                  `["\u0001\n\"\\"]`,
		`[1e2, 1.0, 1.5e-7, 2.5E+20, -0.0]`: `[100.0,1.0,1.5e-07,2.5e+20,-0.0]`,
		`[-0, 12345678901234567890123]`:     `[0,12345678901234567890123]`,
		`{"n":{"z":null,"y":[true,false]}}`: `{"n":{"z":null,"y":[true,false]}}`,
	} {
		root := parse(t, "<s>\n  k "+in+"\n</s>\n", nil)
		got, _ := root.Elements[0].Get("k")
		assert.Equal(t, got, want, in)
	}
	_, err := ParseBytes(nil, "f.conf", []byte("<s>\n  k [1e400]\n</s>\n"))
	assert.ErrorContains(t, err, "f.conf:2:5: invalid JSON value: 1e400 is not allowed in JSON")
}

func TestIncludeBraceBomb(t *testing.T) {
	fsys := fstest.MapFS{"f.conf": {Data: []byte("@include x" + strings.Repeat("{a,b}", 40) + "\n")}}
	_, err := Parse(fsys, "f.conf")
	assert.ErrorContains(t, err, "more than 1024 {…} alternatives")
}
