package testsupport_test

import (
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

// checkMirror runs testsupport.CheckMirror against a recorder and returns
// what it logged when it failed, or "" when it passed.
func checkMirror(t *testing.T, raw string, v any) string {
	return run(t, func(tb testing.TB) { testsupport.CheckMirror(tb, []byte(raw), v) })
}

type mirror struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags,omitempty"`
	Any   any      `json:"any,omitempty"`
}

func TestCheckMirror(t *testing.T) {
	assert.Equal(t, checkMirror(t, `{"name":"a","count":1,"tags":["x"],"any":18446744073709551615}`, &mirror{}), "", "an exact mirror passes, integers exact")
	for _, tc := range []struct{ name, raw, want string }{
		{"a field the client lacks", `{"name":"a","count":1,"size":3}`, `unknown field "size"`},
		{"a field the client has and the server does not send", `{"name":"a"}`, `count`},
		{"a retyped field", `{"name":"a","count":"1"}`, "cannot unmarshal string"},
		{"omitempty that differs", `{"name":"a","count":1,"tags":[]}`, "tags"},
	} {
		got := checkMirror(t, tc.raw, &mirror{})
		assert.Check(t, got != "", "%s must fail", tc.name)
		assert.Check(t, strings.Contains(got, tc.want), "%s: %s", tc.name, got)
	}
}
