package router_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/router"
)

// s3LineOf routes one Docker line through the production config and
// returns the S3 line (without its newline) and the TD record, or the drops.
func s3LineOf(t *testing.T, line string) (string, record.Record, []router.Drop) {
	t.Helper()
	j := newDelishRouter(t, delishEnv()).Route(dockerEvent(line))
	var s3 string
	var tdRec record.Record
	for _, d := range j.Deliveries {
		switch d.Output.Type {
		case "s3":
			s3 = strings.TrimSuffix(string(d.Line), "\n")
		case "tdlog":
			tdRec = d.Record
		}
	}
	return s3, tdRec, j.Drops
}

// TestOjLoadExtensions: what Oj 2.18.3 (compat mode) accepts beyond JSON
// reaches the outputs, and what it refuses is "pattern not match" (class
// 4 of issue 10). The S3 lines are Oj.dump's bytes.
func TestOjLoadExtensions(t *testing.T) {
	const head = `"log_type":"EVENT","event_type":"click"`
	for _, c := range []struct{ name, line, s3 string }{
		{"block comments", `/* app v2 */{` + head + `/* k */,"n" : /* v */ 1}`,
			`{"log_type":"EVENT","event_type":"click","n":1,"time":"2024-01-02 03:04:05"}`},
		{"line comment", "{" + head + ", // user\n\"u\":2}",
			`{"log_type":"EVENT","event_type":"click","u":2,"time":"2024-01-02 03:04:05"}`},
		{"NaN and infinities", `{` + head + `,"a":NaN,"b":Infinity,"c":-Infinity,"d":[nan,-NaN]}`,
			`{"log_type":"EVENT","event_type":"click","a":NaN,"b":Infinity,"c":-Infinity,"d":[NaN,NaN],"time":"2024-01-02 03:04:05"}`},
		{"past float range", `{` + head + `,"big":1e400,"neg":-1e400,"tiny":1e-400}`,
			`{"log_type":"EVENT","event_type":"click","big":Infinity,"neg":-Infinity,"tiny":0.0,"time":"2024-01-02 03:04:05"}`},
		{"surrogate pair", `{` + head + `,"e":"\ud83d\ude00"}`,
			`{"log_type":"EVENT","event_type":"click","e":"😀","time":"2024-01-02 03:04:05"}`},
		{"zero exponent is an Integer", `{` + head + `,"i":5e0,"j":-7E+00,"k":123456789012345678901234e0,"f":5.0e0,"g":5e1}`,
			`{"log_type":"EVENT","event_type":"click","i":5,"j":-7,"k":123456789012345678901234,"f":5.0,"g":50.0,"time":"2024-01-02 03:04:05"}`},
		{"raw tab and form feed", "{" + head + ",\f\"m\":\"a\tb\"}",
			`{"log_type":"EVENT","event_type":"click","m":"a\tb","time":"2024-01-02 03:04:05"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s3, _, drops := s3LineOf(t, c.line)
			assert.Equal(t, len(drops), 0, "%+v", drops)
			assert.Equal(t, s3, c.s3)
		})
	}
	for _, bad := range []string{
		`{` + head + `,"s":"\ud800"}`,        // lone high surrogate
		`{` + head + `,"s":"\udc00x"}`,       // lone low surrogate
		`{` + head + `,"s":"\ud800\u12"}`,    // second escape not hex
		`{` + head + `} // trailing comment`, // nothing may follow the document
		`{` + head + `,/x*/"a":1}`,           // neither /* nor //
		`{` + head + `/* open`,
		`{` + head + `,"a":Inf}`,
		`{` + head + `,"a":infinity}`,
	} {
		_, _, drops := s3LineOf(t, bad)
		assert.Equal(t, len(drops), 1, bad)
		assert.Equal(t, drops[0].Kind, record.DropWarning, bad)
		assert.Assert(t, strings.HasPrefix(drops[0].Reason, "pattern not match with data '"), "%s: %s", bad, drops[0].Reason)
	}
}

// TestOjDumpFloats: floats in S3 lines digit for digit as Oj 2.18.3's
// dump_float prints them (0.0 for both zeros, %.1f for values a long long
// holds, %0.15g otherwise).
func TestOjDumpFloats(t *testing.T) {
	for in, want := range map[string]string{
		"-0.0":                   "0.0",
		"0.0":                    "0.0",
		"1e16":                   "10000000000000000.0",
		"1.0":                    "1.0",
		"-2.5":                   "-2.5",
		"9.99":                   "9.99",
		"0.30000000000000004":    "0.3",
		"0.1":                    "0.1",
		"123456.789":             "123456.789",
		"1234567890.123456789":   "1234567890.12346",
		"0.3333333333333333":     "0.333333333333333",
		"1e20":                   "1e+20",
		"1.5e300":                "1.5e+300",
		"0.0001":                 "0.0001",
		"0.00001":                "1e-05",
		"2.5e-7":                 "2.5e-07",
		"1e15":                   "1000000000000000.0",
		"1000000000000000.1":     "1e+15",                // not integral: %0.15g
		"9223372036854775807.0":  "9.22337203685478e+18", // 2^63: past long long
		"-9223372036854775808.0": "-9223372036854775808.0",
		"123456789012345680.0":   "123456789012345680.0",
	} {
		s3, _, drops := s3LineOf(t, `{"log_type":"EVENT","event_type":"click","f":`+in+`}`)
		assert.Equal(t, len(drops), 0, in)
		assert.Equal(t, s3, `{"log_type":"EVENT","event_type":"click","f":`+want+`,"time":"2024-01-02 03:04:05"}`, in)
	}
}

func TestParseJSONOjEdges(t *testing.T) {
	v, err := record.ParseJSONString(" // lead\n /* x */ [Infinity, -Infinity, NaN, 1e400, \"\\udbff\\udfff\", \"\\ud800\\u0041\"]")
	assert.NilError(t, err)
	a := v.([]any)
	assert.Assert(t, math.IsInf(a[0].(float64), 1))
	assert.Assert(t, math.IsInf(a[1].(float64), -1))
	assert.Assert(t, math.IsNaN(a[2].(float64)))
	assert.Assert(t, math.IsInf(a[3].(float64), 1))
	assert.Equal(t, a[4], "\U0010FFFF")
	// Oj does not check the second escape's range: (0<<10 | (0x41-0xDC00)&0x3FF) + 0x10000.
	assert.Equal(t, a[5], "\U00010041")
	for _, bad := range []string{`"\ud800"`, `"\ud800\n"`, `"a` + "\x00" + `"`, `/`, `NaX`, `-Inf`, `[1]/**/`} {
		_, err := record.ParseJSONString(bad)
		assert.Assert(t, errors.Is(err, record.ErrJSONSyntax), "%q: %v", bad, err)
	}
}

// TestYajlFloatsInOutFile: out_file's formatter is Yajl.dump, whose floats
// are Float#to_s, unlike format json's Oj.
func TestYajlFloatsInOutFile(t *testing.T) {
	r := build(t, "<match **>\n  @type file\n  path /tmp/x/out\n  utc\n</match>\n")
	j := route(r, "a", rec("f", 1e16, "g", 0.30000000000000004))
	assert.Equal(t, len(j.Deliveries), 1)
	assert.Equal(t, string(j.Deliveries[0].Line), "2024-01-02T03:04:05Z\ta\t{\"f\":1.0e+16,\"g\":0.30000000000000004}\n")
}

// TestYearZero: an application time in year 0 is formatted with Ruby's
// %Y, four digits: "0000" in the S3 key's time slice and in the "time"
// string (class 6 of issue 10).
func TestYearZero(t *testing.T) {
	j := newDelishRouter(t, delishEnv()).Route(dockerEvent(`{"log_type":"EVENT","event_type":"click","time":"0000-01-01T00:00:00Z"}`))
	assert.Equal(t, len(j.Drops), 0, "%+v", j.Drops)
	var got []string
	for _, d := range j.Deliveries {
		if d.Output.Type == "s3" {
			got = append(got, d.Output.S3.ObjectKey(time.Unix(td, 0), d.TimeSlice, 0, nil), string(d.Line))
		}
		if d.Output.Type == "tdlog" {
			v, _ := d.Record.Get("time")
			got = append(got, fmt.Sprint(v))
		}
	}
	assert.DeepEqual(t, got, []string{
		"logs/delish-event/click/0000/01/01/00_0_fluentd01.gz",
		`{"log_type":"EVENT","event_type":"click","time":"0000-01-01 00:00:00"}` + "\n",
		"-62167219200",
	})
}

func TestStrftimeYears(t *testing.T) {
	for y, want := range map[int]string{0: "0000 00 00", 5: "0005 00 05", 999: "0999 09 99", 12345: "12345 123 45", -1: "-0001 -1 99", -12345: "-12345 -124 55"} {
		assert.Equal(t, router.Strftime(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), "%Y %C %y"), want, "%d", y)
	}
}

// TestOjBlankLine: Oj.load of a blank line (a form feed is Oj whitespace)
// returns nil, so filter_parser fails on nil.delete, not on the JSON.
func TestOjBlankLine(t *testing.T) {
	_, _, drops := s3LineOf(t, " \f\t")
	assert.Equal(t, len(drops), 1)
	assert.Equal(t, drops[0].Reason, "parse failed undefined method `delete' for nil:NilClass")
}
