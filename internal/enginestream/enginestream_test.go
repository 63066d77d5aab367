package enginestream

import (
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

func TestErr(t *testing.T) {
	assert.NilError(t, Err(strings.NewReader(`{"stream":"Step 1/2 : FROM scratch\n"}{"aux":{"ID":"sha256:1"}}`)))
	assert.Error(t, Err(strings.NewReader(`{"stream":"Step 2/2"}{"errorDetail":{"message":"COPY failed: no file"},"error":"COPY failed"}`)), "COPY failed: no file")
	assert.Error(t, Err(strings.NewReader(`{"error":"pull access denied"}`)), "pull access denied")
	assert.ErrorContains(t, Err(strings.NewReader(`{"stream":`)), "unexpected EOF")
}
