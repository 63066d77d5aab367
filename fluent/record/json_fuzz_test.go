package record_test

import (
	"testing"

	"github.com/devenv-sh/devenv/fluent/record"
)

// FuzzParseJSON checks Oj's load/dump pair on any input: ParseJSONString
// never panics, what AppendJSON writes for an accepted value loads again,
// and from then on load and dump are a fixed point. (The first dump may
// not be: 1000000000000000.1 is dumped "1e+15" by %0.15g, which loads as
// an integral float and dumps "1000000000000000.0", as Oj does.)
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
		v, err := record.ParseJSONString(s)
		if err != nil {
			return
		}
		out := record.AppendJSON(nil, v)
		out2 := reload(t, s, out)
		if out3 := reload(t, s, out2); string(out3) != string(out2) {
			t.Fatalf("dump of %q is %q, then %q, then %q", s, out, out2, out3)
		}
	})
}

// reload loads a dump of in and dumps it again.
func reload(t *testing.T, in string, dump []byte) []byte {
	t.Helper()
	v, err := record.ParseJSONString(string(dump))
	if err != nil {
		t.Fatalf("dump of %q is %q, which does not load: %v", in, dump, err)
	}
	return record.AppendJSON(nil, v)
}
