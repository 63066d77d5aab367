package taskdef_test

import (
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

// errorCase is an input and the exact error lines Decode must report for it.
type errorCase struct {
	name string
	in   string
	want []string // one line per error, file name included; empty means no error
}

// runErrorCases decodes each case as file "x.json" and compares the error lines.
func runErrorCases(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := taskdef.Decode("x.json", []byte(tc.in))
			assert.DeepEqual(t, errorLines(t, err), tc.want)
		})
	}
}

// errorLines splits a joined decode error into its lines, checking that every
// part is a *fieldpath.FieldError naming the file and matching ErrInvalid.
func errorLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var parts []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	} else {
		parts = []error{err}
	}
	for _, p := range parts {
		var fe *fieldpath.FieldError
		assert.Assert(t, errors.As(p, &fe), "%v is not a FieldError", p)
		assert.Equal(t, fe.File, "x.json")
		assert.Assert(t, errors.Is(p, fieldpath.ErrInvalid), "%v does not match ErrInvalid", p)
	}
	return strings.Split(err.Error(), "\n")
}

// task wraps container JSON objects into a bridge-mode task definition.
func task(containers ...string) string {
	return `{"family": "app", "containerDefinitions": [` + strings.Join(containers, ",") + `]}`
}
