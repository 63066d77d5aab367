package router_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/router"
)

func TestRubyFloat(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 1.5: "1.5", 9.99: "9.99", 1e20: "1.0e+20", 1e16: "1.0e+16",
		1e15: "1000000000000000.0", 0.0001: "0.0001", 0.00001: "1.0e-05", -2.5: "-2.5", 0: "0.0", 123456.789: "123456.789"} {
		assert.Equal(t, record.RubyFloat(f), want, "%v", f)
	}
}

func TestToS(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, ""}, {"s", "s"}, {int64(123), "123"}, {1.5, "1.5"}, {true, "true"},
		{[]any{"EVENT"}, `["EVENT"]`}, {[]any{"a", int64(1), nil}, `["a", 1, nil]`},
		{rec("k", "EVENT"), `{"k"=>"EVENT"}`}, {[]any{"a\"b\n"}, `["a\"b\n"]`}, {record.BigInt("123456789012345678901234"), "123456789012345678901234"},
	} {
		assert.Equal(t, record.ToS(c.v), c.want)
	}
}

func TestParseJSON(t *testing.T) {
	v, err := record.ParseJSON([]byte(` {"b":1,"a":[1.5,"x\u00e9\n",null,true,false,{"c":{}}],"b":2,"big":123456789012345678901234,"u":18446744073709551615} `))
	assert.NilError(t, err)
	assert.DeepEqual(t, v, rec("b", int64(2), "a", []any{1.5, "xé\n", nil, true, false, rec("c", record.Record{})},
		"big", record.BigInt("123456789012345678901234"), "u", uint64(18446744073709551615)))
	assert.Equal(t, string(record.AppendJSON(nil, v)), `{"b":2,"a":[1.5,"xé\n",null,true,false,{"c":{}}],"big":123456789012345678901234,"u":18446744073709551615}`)
	for _, bad := range []string{``, `{`, `{"a"}`, `[1,]`, `tru`, `1 2`, `"\x"`, `{"a":1,}`, `01x`} {
		_, err := record.ParseJSON([]byte(bad))
		assert.Assert(t, errors.Is(err, record.ErrJSONSyntax), "%q: %v", bad, err)
	}
}

func TestStrptime(t *testing.T) {
	const f = "%Y-%m-%dT%H:%M:%SZ"
	for s, want := range map[string]int64{
		"2024-01-02T03:04:05Z":       1704164645,
		"2024-01-02T03:04:05Z extra": 1704164645,
		"2024-1-2T3:4:5Z":            1704164645,
	} {
		got, err := router.Strptime(s, f, time.UTC)
		assert.NilError(t, err, s)
		assert.Equal(t, got.Unix(), want, s)
	}
	for _, s := range []string{"2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05+09:00", "2024-01-02T03:04:05", "2024-01-02 03:04:05Z", "", "2024-13-02T03:04:05Z"} {
		_, err := router.Strptime(s, f, time.UTC)
		assert.Assert(t, err != nil, s)
	}
	got, err := router.Strptime("02/Jan/2024:03:04:05 +0900", "%d/%b/%Y:%H:%M:%S %z", time.UTC)
	assert.NilError(t, err)
	assert.Equal(t, got.Unix(), int64(1704164645-9*3600))
	got, err = router.Strptime("1704164645", "%s", time.UTC)
	assert.NilError(t, err)
	assert.Equal(t, got.Unix(), int64(1704164645))
}

func TestStrftime(t *testing.T) {
	tm := time.Date(2024, 1, 2, 3, 4, 5, 6000000, time.FixedZone("", 9*3600))
	assert.Equal(t, router.Strftime(tm, "%Y/%m/%d/%H %M:%S.%L %z %:z %j %a %b %e %s %% %Q"),
		"2024/01/02/03 04:05.006 +0900 +09:00 002 Tue Jan  2 1704132245 % %Q")
}

// TestParseTypes follows FD012 lib/fluent/config/types.rb: time_value is
//
//	case str.to_s
//	when /([0-9]+)s/ then $~[1].to_i
//	when /([0-9]+)m/ then $~[1].to_i * 60
//	when /([0-9]+)h/ then $~[1].to_i * 60 * 60
//	when /([0-9]+)d/ then $~[1].to_i * 24 * 60 * 60
//	else str.to_f
//
// size_value the same with /([0-9]+)k/i … /([0-9]+)t/i (× 1024^n) and
// str.to_i, and bool_value 'true'/'yes'/” → true, 'false'/'no' → false,
// else nil (falsy).
func TestParseTypes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"600s", 600 * time.Second},
		{"10m", 10 * time.Minute},
		{"1h", time.Hour},
		{"1d", 24 * time.Hour},
		{"1.5", 1500 * time.Millisecond},
		{"0.5", 500 * time.Millisecond},
		{"0.5s", 5 * time.Second},   // /([0-9]+)s/ captures "5"
		{"1.5h", 5 * time.Hour},     // "5h"
		{"10ms", 10 * time.Minute},  // no digit right before the s; "10m"
		{"1h30m", 30 * time.Minute}, // m is tried before h
		{"2d3s", 3 * time.Second},   // s first
		{"5 s", 5 * time.Second},    // no match: "5 s".to_f
		{"soon", 0},                 // "soon".to_f
		{" 1e1x", 10 * time.Second}, // to_f reads "1e1"
		{"1_0", 10 * time.Second},   // to_f: underscore between digits
		{"", 0},
		{"99999999999999999999s", math.MaxInt64},
	} {
		got, err := router.ParseDuration(c.in)
		assert.NilError(t, err)
		assert.Equal(t, got, c.want, c.in)
	}
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"128m", 128 << 20},
		{"128mb", 128 << 20}, // unanchored
		{"128MB", 128 << 20}, // /i
		{"8k", 8 << 10},
		{"1G", 1 << 30},
		{"2t", 2 << 40},
		{"1.5k", 5 << 10}, // "5k"
		{"1m2k", 2 << 10}, // k is tried first
		{"8 MB", 8},       // no match: "8 MB".to_i
		{"100", 100},
		{"-5", -5},
		{"-1k", 1 << 10}, // the sign is outside the capture
		{"abc", 0},
	} {
		got, err := router.ParseSize(c.in)
		assert.NilError(t, err)
		assert.Equal(t, got, c.want, c.in)
	}
	for in, want := range map[string]bool{"true": true, "yes": true, "": true, "false": false, "no": false, "True": false, "1": false, "maybe": false, " true": false} {
		got, err := router.ParseBool(in)
		assert.NilError(t, err)
		assert.Equal(t, got, want, in)
	}
}
