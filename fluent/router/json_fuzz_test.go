package router_test

import (
	"testing"

	"github.com/devenv-sh/devenv/fluent/router"
)

// FuzzParseJSON checks Oj's load/dump pair on any input: ParseJSONString
// never panics, and what AppendJSON writes for an accepted value parses
// again to a value written with the same bytes (15 significant digits
// survive a round trip through a double, "0.0", NaN and the infinities are
// read back as written, Bignums stay digits).
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[1.5,"x",null,true,false,{"c":{}}]}`,
		"/* c */ {\"a\" /* k */ : // v\n NaN}",
		`[Infinity,-Infinity,nan,-NaN,1e400,-1e400,1e-400,-0.0,1e16,0.30000000000000004]`,
		`["\ud83d\ude00","\ud800\u0041","\udc00\udc00","\ud800"]`,
		`{"big":123456789012345678901234,"neg":-99999999999999999999,"u":18446744073709551615}`,
		"[\"a\tb\x01\", \f 1]",
		`{"a":1} // trailing`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := router.ParseJSONString(s)
		if err != nil {
			return
		}
		out := router.AppendJSON(nil, v)
		v2, err := router.ParseJSONString(string(out))
		if err != nil {
			t.Fatalf("dump of %q is %q, which does not load: %v", s, out, err)
		}
		if out2 := router.AppendJSON(nil, v2); string(out2) != string(out) {
			t.Fatalf("dump of %q is %q, reloaded and dumped %q", s, out, out2)
		}
	})
}
