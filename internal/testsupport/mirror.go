package testsupport

// CheckMirror checks that a client's types mirror a server's JSON exactly,
// so that package fakeclient, which copies the fakes' answer types rather
// than importing them, cannot drift from them; Fetch and Get fetch the raw
// answers to check.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"gotest.tools/v3/assert"
)

// Fetch sends GET url with http.DefaultClient and returns the status and
// the body: for a fake's answers that no client method asks for (a bad
// query, a raw body). A transport error fails t.
func Fetch(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	assert.NilError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	return resp.StatusCode, string(body)
}

// Get is [Fetch] for an answer that must be 200: any other status fails t.
func Get(t testing.TB, url string) []byte {
	t.Helper()
	status, body := Fetch(t, url)
	assert.Equal(t, status, http.StatusOK, "GET %s: %s", url, body)
	return []byte(body)
}

// CheckMirror decodes raw, a server's JSON answer, into v (a pointer to the
// client's type) and fails t unless the type mirrors it exactly: every
// field of raw is known to the type (none is dropped), and v encodes back
// to the same JSON (no field renamed, retyped, or omitted differently).
// Numbers decoded into an interface are json.Number, and all numbers are
// compared as written.
func CheckMirror(t testing.TB, raw []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	assert.NilError(t, dec.Decode(v), "the client's %T lacks a field of the server's JSON:\n%s", v, raw)
	back, err := json.Marshal(v)
	assert.NilError(t, err)
	assert.DeepEqual(t, generic(t, back), generic(t, raw))
}

func generic(t testing.TB, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	assert.NilError(t, dec.Decode(&v))
	return v
}
