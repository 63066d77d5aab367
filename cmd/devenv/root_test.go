package main

import (
	"bytes"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// TestUsageErrorsExitTwo: scripts tell a mistyped command line (exit 2)
// from a failed run (exit 1).
func TestUsageErrorsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `devenv: unknown command "frobnicate" for "devenv" (see 'devenv --help')` + "\n"},
		{[]string{"lgos"}, `devenv: unknown command "lgos" for "devenv"; did you mean logs? (see 'devenv --help')` + "\n"},
		{[]string{"plan", "--bogus"}, "devenv: plan: unknown flag: --bogus (see 'devenv plan --help')\n"},
		{[]string{"generate", "--taskdefs"}, "devenv: generate: flag needs an argument: --taskdefs (see 'devenv generate --help')\n"},
		{[]string{"fake", "s3", "--nope"}, "devenv: fake s3: unknown flag: --nope (see 'devenv fake s3 --help')\n"},
	} {
		var stderr bytes.Buffer
		err := run(t.Context(), tc.args, strings.NewReader(""), &bytes.Buffer{}, &stderr)
		assert.Equal(t, exitCode(err, &stderr), 2, "devenv %s", strings.Join(tc.args, " "))
		assert.Equal(t, stderr.String(), tc.want)
	}
}

func TestExtraArgumentIsUsageError(t *testing.T) {
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"plan", "extra"}, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	assert.Equal(t, exitCode(err, &stderr), 2)
	assert.Equal(t, stderr.String(), `devenv: unknown command "extra" for "devenv plan" (see 'devenv --help')`+"\n")
}
