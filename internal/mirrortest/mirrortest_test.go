package mirrortest_test

import (
	"runtime"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/mirrortest"
)

// recorder is a testing.TB whose failures are recorded, not reported.
type recorder struct {
	*testing.T
	failed bool
	logs   []string
}

func (r *recorder) Log(args ...any) {
	for _, a := range args {
		if s, ok := a.(string); ok {
			r.logs = append(r.logs, s)
		}
	}
}
func (r *recorder) Fail()    { r.failed = true }
func (r *recorder) FailNow() { r.failed = true; runtime.Goexit() }

// check runs mirrortest.Check against a recorder and returns what it logged
// when it failed, or "" when it passed.
func check(t *testing.T, raw string, v any) string {
	r := &recorder{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		mirrortest.Check(r, []byte(raw), v)
	}()
	<-done
	if !r.failed {
		return ""
	}
	return strings.Join(r.logs, "\n") + " "
}

type mirror struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags,omitempty"`
	Any   any      `json:"any,omitempty"`
}

func TestCheck(t *testing.T) {
	assert.Equal(t, check(t, `{"name":"a","count":1,"tags":["x"],"any":18446744073709551615}`, &mirror{}), "", "an exact mirror passes, integers exact")
	for _, tc := range []struct{ name, raw, want string }{
		{"a field the client lacks", `{"name":"a","count":1,"size":3}`, `unknown field "size"`},
		{"a field the client has and the server does not send", `{"name":"a"}`, `count`},
		{"a retyped field", `{"name":"a","count":"1"}`, "cannot unmarshal string"},
		{"omitempty that differs", `{"name":"a","count":1,"tags":[]}`, "tags"},
	} {
		got := check(t, tc.raw, &mirror{})
		assert.Check(t, got != "", "%s must fail", tc.name)
		assert.Check(t, strings.Contains(got, tc.want), "%s: %s", tc.name, got)
	}
}
