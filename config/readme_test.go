package config

import (
	"os"
	"reflect"
	"regexp"
	"testing"

	"gotest.tools/v3/assert"
)

// TestREADMEDocumentsEveryKey keeps the README's devenv.yaml table complete.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	assert.NilError(t, err)
	var keys []string
	for _, typ := range []reflect.Type{reflect.TypeFor[document](), reflect.TypeFor[fluentdDoc](), reflect.TypeFor[imageDoc](), reflect.TypeFor[buildDoc](), reflect.TypeFor[serviceDoc](), reflect.TypeFor[healthCheckDoc](), reflect.TypeFor[verifyDoc](), reflect.TypeFor[endpointDoc](), reflect.TypeFor[metricDoc]()} {
		keys = append(keys, tagNames(typ)...)
	}
	for _, k := range keys {
		// The key as written in a code span: `key`, `key: ...`, `{key, ...}`, `a.key`.
		re := regexp.MustCompile("[`{ .]" + regexp.QuoteMeta(k) + "[`:,}]")
		assert.Assert(t, re.Match(readme), "README.md does not document the devenv.yaml key %q", k)
	}
}
