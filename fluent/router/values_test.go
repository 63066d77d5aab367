package router_test

import (
	"errors"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/router"
)

func TestRubyFloat(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 1.5: "1.5", 9.99: "9.99", 1e20: "1.0e+20", 1e16: "1.0e+16",
		1e15: "1000000000000000.0", 0.0001: "0.0001", 0.00001: "1.0e-05", -2.5: "-2.5", 0: "0.0", 123456.789: "123456.789"} {
		assert.Equal(t, router.RubyFloat(f), want, "%v", f)
	}
}

func TestToS(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, ""}, {"s", "s"}, {int64(123), "123"}, {1.5, "1.5"}, {true, "true"},
		{[]any{"EVENT"}, `["EVENT"]`}, {[]any{"a", int64(1), nil}, `["a", 1, nil]`},
		{rec("k", "EVENT"), `{"k"=>"EVENT"}`}, {[]any{"a\"b\n"}, `["a\"b\n"]`}, {router.BigInt("123456789012345678901234"), "123456789012345678901234"},
	} {
		assert.Equal(t, router.ToS(c.v), c.want)
	}
}

func TestParseJSON(t *testing.T) {
	v, err := router.ParseJSON([]byte(` {"b":1,"a":[1.5,"x\u00e9\n",null,true,false,{"c":{}}],"b":2,"big":123456789012345678901234,"u":18446744073709551615} `))
	assert.NilError(t, err)
	assert.DeepEqual(t, v, rec("b", int64(2), "a", []any{1.5, "xé\n", nil, true, false, rec("c", router.Record{})},
		"big", router.BigInt("123456789012345678901234"), "u", uint64(18446744073709551615)))
	assert.Equal(t, string(router.AppendJSON(nil, v)), `{"b":2,"a":[1.5,"xé\n",null,true,false,{"c":{}}],"big":123456789012345678901234,"u":18446744073709551615}`)
	for _, bad := range []string{``, `{`, `{"a"}`, `[1,]`, `tru`, `1 2`, `"\x"`, `{"a":1,}`, `01x`} {
		_, err := router.ParseJSON([]byte(bad))
		assert.Assert(t, errors.Is(err, router.ErrJSONSyntax), "%q: %v", bad, err)
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

func TestParseTypes(t *testing.T) {
	for in, want := range map[string]time.Duration{"600s": 600 * time.Second, "10m": 10 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour, "1.5": 1500 * time.Millisecond} {
		got, err := router.ParseDuration(in)
		assert.NilError(t, err)
		assert.Equal(t, got, want, in)
	}
	for in, want := range map[string]int64{"128m": 128 << 20, "8k": 8 << 10, "1G": 1 << 30, "100": 100} {
		got, err := router.ParseSize(in)
		assert.NilError(t, err)
		assert.Equal(t, got, want, in)
	}
	_, err := router.ParseDuration("soon")
	assert.Error(t, err, `invalid time value "soon"`)
}
