package fakeclient_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
)

// TestLinksNoServerCode: what a user's test links through fakeclient,
// every dependency as `go list -deps` resolves them, is the standard
// library, and none of the fakes' servers or echo.
func TestLinksNoServerCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("go list -deps: %v: %s", err, ee.Stderr)
	}
	assert.NilError(t, err, "go list -deps (the go command must be on PATH)")
	const self = "github.com/devenv-sh/devenv/fakeclient"
	deps := strings.Fields(string(out))
	assert.Assert(t, len(deps) > 1 && deps[len(deps)-1] == self, "go list -deps printed %q", out)
	for _, dep := range deps {
		for _, server := range []string{"github.com/devenv-sh/devenv/fakes/", "github.com/labstack/echo"} {
			assert.Check(t, !strings.HasPrefix(dep, server), "fakeclient links %s", dep)
		}
		first, _, _ := strings.Cut(dep, "/")
		assert.Check(t, dep == self || !strings.Contains(first, "."), "fakeclient links %s, outside the standard library", dep)
	}
}

// tdCall is one request a Treasure Data API test server received.
type tdCall struct {
	Method, Path, ContentType, Auth, Agent, Date, Body string
}

// tdServer answers the i-th request with answers[i] (the last one after
// that) and records every request.
func tdServer(t *testing.T, answers ...func(http.ResponseWriter)) (*httptest.Server, func() []tdCall) {
	t.Helper()
	var mu sync.Mutex
	var calls []tdCall
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		n := len(calls)
		calls = append(calls, tdCall{r.Method, r.URL.EscapedPath(), r.Header.Get("Content-Type"), r.Header.Get("Authorization"),
			r.Header.Get("User-Agent"), r.Header.Get("Date"), string(body)})
		mu.Unlock()
		answers[min(n, len(answers)-1)](w)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []tdCall {
		mu.Lock()
		defer mu.Unlock()
		return append([]tdCall(nil), calls...)
	}
}

// importAnswer is the fake's (and Treasure Data's) answer to a stored
// import of body.
func importAnswer(body []byte, uniqueID string) func(http.ResponseWriter) {
	sum := md5.Sum(body)
	js, _ := json.Marshal(map[string]any{"database": "d b", "table": "t", "md5_hex": hex.EncodeToString(sum[:]), "elapsed_time": 0.25, "unique_id": uniqueID})
	return func(w http.ResponseWriter) { w.Write(js) }
}

func TestTDAPIRequests(t *testing.T) {
	body, err := fakeclient.EncodeTDRecords(map[string]any{"time": 1700000000, "message": "hello"})
	assert.NilError(t, err)
	srv, calls := tdServer(t, importAnswer(body, "id/1"), importAnswer(body, ""), answer(200, `{}`))
	c := fakeclient.NewTDAPI(srv.URL+"/", "key-1")
	ctx := t.Context()
	res, err := c.ImportWithID(ctx, "d b", "t", "id/1", body)
	assert.NilError(t, err)
	sum := md5.Sum(body)
	assert.DeepEqual(t, res, fakeclient.TDImportResult{Database: "d b", Table: "t", UniqueID: "id/1", MD5Hex: hex.EncodeToString(sum[:]), ElapsedTime: 0.25})
	_, err = c.Import(ctx, "d b", "t", body)
	assert.NilError(t, err)
	assert.NilError(t, c.CreateDatabase(ctx, "d b"))
	assert.NilError(t, c.CreateTable(ctx, "d b", "t"))
	assert.NilError(t, c.DeleteTable(ctx, "d b", "t"))
	assert.NilError(t, c.DeleteDatabase(ctx, "d b"))

	got := calls()
	for i, call := range got {
		assert.Check(t, call.Auth == "TD1 key-1", "call %d: Authorization %q", i, call.Auth)
		assert.Check(t, call.Agent == "devenv-td-client", "call %d: User-Agent %q", i, call.Agent)
		_, err := time.Parse(time.RFC1123, call.Date)
		assert.Check(t, err, "call %d: Date", i)
		got[i].Auth, got[i].Agent, got[i].Date = "", "", ""
	}
	const octet, form = "application/octet-stream", "application/x-www-form-urlencoded"
	assert.DeepEqual(t, got, []tdCall{
		{Method: "PUT", Path: "/v3/table/import_with_id/d%20b/t/id%2F1/msgpack.gz", ContentType: octet, Body: string(body)},
		{Method: "PUT", Path: "/v3/table/import/d%20b/t/msgpack.gz", ContentType: octet, Body: string(body)},
		{Method: "POST", Path: "/v3/database/create/d%20b", ContentType: form},
		{Method: "POST", Path: "/v3/table/create/d%20b/t/log", ContentType: form},
		{Method: "POST", Path: "/v3/table/delete/d%20b/t", ContentType: form},
		{Method: "POST", Path: "/v3/database/delete/d%20b", ContentType: form},
	})
}

// TestTDAPIChecksImportAnswer makes sure the client rejects answers that
// td-client-go would reject, so the fake's answers are really checked.
func TestTDAPIChecksImportAnswer(t *testing.T) {
	body, err := fakeclient.EncodeTDRecords(map[string]any{"time": 1700000000})
	assert.NilError(t, err)
	cases := []struct {
		name, answer, err string
	}{
		{"missing md5", `{"database":"d","table":"t","elapsed_time":0.1}`, `lacks required key "md5_hex"`},
		{"missing elapsed", `{"database":"d","table":"t","md5_hex":""}`, `lacks required key "elapsed_time"`},
		{"wrong type", `{"database":"d","table":1,"md5_hex":"","elapsed_time":0}`, `key "table": want a string`},
		{"elapsed not a number", `{"database":"d","table":"t","md5_hex":"","elapsed_time":"1"}`, `key "elapsed_time": want a number`},
		{"unique_id not a string", `{"database":"d","table":"t","md5_hex":"","elapsed_time":0,"unique_id":1}`, `key "unique_id": want a string`},
		{"bad md5", `{"database":"d","table":"t","md5_hex":"00000000000000000000000000000000","elapsed_time":0}`, "import into d.t: checksum mismatch"},
		{"not json", `OK`, "unexpected API response"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := tdServer(t, answer(200, tc.answer))
			_, err := fakeclient.NewTDAPI(srv.URL, "k").Import(t.Context(), "d", "t", body)
			assert.ErrorContains(t, err, tc.err)
		})
	}
}

func TestTDAPIErrorsAndRetries(t *testing.T) {
	var waits []time.Duration
	record := fakeclient.WithSleep(func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	})

	// 5xx and 429 are retried, doubling the wait, until the retries run out.
	srv, calls := tdServer(t, answer(503, `{"error":"Service Unavailable","message":"busy"}`), answer(429, "slow down\n"), answer(200, "{}"))
	c := fakeclient.NewTDAPI(srv.URL, "k", fakeclient.WithRetries(2, 10*time.Millisecond), record)
	assert.NilError(t, c.CreateDatabase(t.Context(), "d"))
	assert.Equal(t, len(calls()), 3)
	assert.DeepEqual(t, waits, []time.Duration{10 * time.Millisecond, 20 * time.Millisecond})

	waits = nil
	srv, calls = tdServer(t, answer(503, `{"error":"Service Unavailable","message":"busy"}`))
	err := fakeclient.NewTDAPI(srv.URL, "k", fakeclient.WithRetries(1, time.Second), record).CreateDatabase(t.Context(), "d")
	var ae *fakeclient.TDAPIError
	assert.Assert(t, errors.As(err, &ae), "%v", err)
	assert.DeepEqual(t, *ae, fakeclient.TDAPIError{Op: "Create database failed", Status: 503, Code: "Service Unavailable", Message: "busy"})
	assert.Error(t, err, "Create database failed: 503: busy")
	assert.Equal(t, len(calls()), 2)
	assert.DeepEqual(t, waits, []time.Duration{time.Second})

	// A 4xx is not retried; a body that is not TD's JSON is quoted.
	waits = nil
	srv, calls = tdServer(t, answer(404, "no such table\n"))
	err = fakeclient.NewTDAPI(srv.URL, "k", record).CreateTable(t.Context(), "d", "t")
	assert.Error(t, err, `Create log table failed: 404: "no such table"`)
	assert.Equal(t, fakeclient.TDStatusOf(err), 404)
	assert.Equal(t, fakeclient.TDStatusOf(errors.New("other")), 0)
	assert.Equal(t, len(calls()), 1)
	assert.Equal(t, len(waits), 0)

	// POSTs need 200 exactly, as td-client demands; an import takes any 2xx.
	srv, _ = tdServer(t, answer(201, "{}"))
	err = fakeclient.NewTDAPI(srv.URL, "k", fakeclient.WithRetries(0, 0)).DeleteTable(t.Context(), "d", "t")
	assert.Equal(t, fakeclient.TDStatusOf(err), 201, "%v", err)

	// A transport failure is retried; a failing sleep ends the retries.
	srv, _ = tdServer(t, answer(200, "{}"))
	srv.Close()
	stop := errors.New("stop waiting")
	err = fakeclient.NewTDAPI(srv.URL, "k", fakeclient.WithSleep(func(context.Context, time.Duration) error { return stop })).DeleteDatabase(t.Context(), "d")
	assert.Assert(t, errors.Is(err, stop), "%v", err)
	assert.ErrorContains(t, err, "Delete database failed: POST /v3/database/delete/d: ")
}

func TestTDAPIWithHTTPClient(t *testing.T) {
	srv, _ := tdServer(t, answer(200, "{}"))
	rt := &roundTripper{}
	assert.NilError(t, fakeclient.NewTDAPI(srv.URL, "k", fakeclient.WithHTTPClient(&http.Client{Transport: rt})).CreateDatabase(t.Context(), "d"))
	assert.Equal(t, rt.n.Load(), int32(1))
}

func gunzipAll(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	assert.NilError(t, err)
	out, err := io.ReadAll(zr)
	assert.NilError(t, err)
	return out
}

// TestEncodeTDRecordsBytes checks the encoding of each kind of value at the
// boundaries of its forms, against the msgpack specification's formats.
func TestEncodeTDRecordsBytes(t *testing.T) {
	str := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name string
		v    any
		want []byte // after the record's map header and the key "v"
	}{
		{"nil", nil, []byte{0xc0}},
		{"false", false, []byte{0xc2}},
		{"true", true, []byte{0xc3}},
		{"0", 0, []byte{0x00}},
		{"127", int64(127), []byte{0x7f}},
		{"128", 128, []byte{0xcc, 0x80}},
		{"255", uint8(255), []byte{0xcc, 0xff}},
		{"256", int16(256), []byte{0xcd, 0x01, 0x00}},
		{"65536", uint32(65536), []byte{0xce, 0, 1, 0, 0}},
		{"1<<32", int64(1 << 32), []byte{0xcf, 0, 0, 0, 1, 0, 0, 0, 0}},
		{"max uint64", uint64(math.MaxUint64), []byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"-1", -1, []byte{0xff}},
		{"-32", int8(-32), []byte{0xe0}},
		{"-33", -33, []byte{0xd0, 0xdf}},
		{"-129", int32(-129), []byte{0xd1, 0xff, 0x7f}},
		{"-32769", -32769, []byte{0xd2, 0xff, 0xff, 0x7f, 0xff}},
		{"min int64", int64(math.MinInt64), []byte{0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"float32", float32(1.5), []byte{0xca, 0x3f, 0xc0, 0, 0}},
		{"float64", 1.5, []byte{0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}},
		{"json integer", json.Number("18446744073709551615"), []byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"json negative", json.Number("-33"), []byte{0xd0, 0xdf}},
		{"json float", json.Number("1.5"), []byte{0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}},
		{"fixstr", "ab", []byte{0xa2, 'a', 'b'}},
		{"str8", str(32), append([]byte{0xd9, 32}, str(32)...)},
		{"str16", str(256), append([]byte{0xda, 1, 0}, str(256)...)},
		{"str32", str(65536), append([]byte{0xdb, 0, 1, 0, 0}, str(65536)...)},
		{"bin8", []byte{1, 2}, []byte{0xc4, 2, 1, 2}},
		{"bin16", make([]byte, 256), append([]byte{0xc5, 1, 0}, make([]byte, 256)...)},
		{"array", []any{1, "a"}, []byte{0x92, 0x01, 0xa1, 'a'}},
		{"strings", []string{"a"}, []byte{0x91, 0xa1, 'a'}},
		{"array16", make([]any, 16), append([]byte{0xdc, 0, 16}, bytes.Repeat([]byte{0xc0}, 16)...)},
		{"map sorted", map[string]any{"b": 1, "a": nil}, []byte{0x82, 0xa1, 'a', 0xc0, 0xa1, 'b', 0x01}},
		{"record", fakeclient.TDRecord{"a": 1}, []byte{0x81, 0xa1, 'a', 0x01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := fakeclient.EncodeTDRecords(map[string]any{"v": tc.v})
			assert.NilError(t, err)
			assert.DeepEqual(t, gunzipAll(t, body), append([]byte{0x81, 0xa1, 'v'}, tc.want...))
		})
	}

	big := make(map[string]any, 16)
	for i := range 16 {
		big[string(rune('a'+i))] = i
	}
	body, err := fakeclient.EncodeTDRecords(big)
	assert.NilError(t, err)
	assert.DeepEqual(t, gunzipAll(t, body)[:3], []byte{0xde, 0, 16})
}

// TestEncodeTDRecordsDecodes reads the body back with a msgpack decoder
// that is not the encoder: the records one after another, no array.
func TestEncodeTDRecordsDecodes(t *testing.T) {
	records := []map[string]any{
		{"time": int64(1700000000), "message": "GET /recipes", "tags": []any{"a", int64(-5), 2.5, nil, true}},
		{"time": int64(1700000001), "nested": map[string]any{"bin": []byte{0, 1}, "deep": map[string]any{"x": uint64(math.MaxUint64)}}},
		{},
	}
	body, err := fakeclient.EncodeTDRecords(records...)
	assert.NilError(t, err)
	dec := msgpack.NewDecoder(bytes.NewReader(gunzipAll(t, body)))
	dec.UseLooseInterfaceDecoding(true) // every integer as int64 or uint64, bin as string
	var got []map[string]any
	for {
		var r map[string]any
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else {
			assert.NilError(t, err)
		}
		got = append(got, r)
	}
	assert.DeepEqual(t, got, []map[string]any{
		{"time": uint64(1700000000), "message": "GET /recipes", "tags": []any{"a", int64(-5), 2.5, nil, true}},
		{"time": uint64(1700000001), "nested": map[string]any{"bin": "\x00\x01", "deep": map[string]any{"x": uint64(math.MaxUint64)}}},
		{},
	})
}

func TestEncodeTDRecordsRefuses(t *testing.T) {
	_, err := fakeclient.EncodeTDRecords(map[string]any{"time": 1}, map[string]any{"at": map[string]any{"t": time.Time{}}})
	assert.Error(t, err, `encode record 1: key "at": key "t": unsupported type time.Time (use nil, bool, a number, a string, []byte, []any or map[string]any)`)
	_, err = fakeclient.EncodeTDRecords(map[string]any{"n": []any{1, json.Number("x")}})
	assert.Error(t, err, `encode record 0: key "n": element 1: json.Number "x": not a number`)
	loop := map[string]any{}
	loop["self"] = loop
	_, err = fakeclient.EncodeTDRecords(loop)
	assert.ErrorContains(t, err, "nested deeper than 1000")
}

// FuzzEncodeTDRecords: whatever the values, a decoder that is not the
// encoder reads back the record that was encoded.
func FuzzEncodeTDRecords(f *testing.F) {
	f.Fuzz(func(t *testing.T, key, s string, i int64, u uint64, fl float64, b []byte) {
		if math.IsNaN(fl) {
			fl = 0 // NaN != NaN would fail the comparison, not the encoder
		}
		r := map[string]any{"time": i, "u": u, "f": fl, "b": b, "a": []any{s, i}}
		r[key] = s // last, as in want
		body, err := fakeclient.EncodeTDRecords(r)
		assert.NilError(t, err)
		dec := msgpack.NewDecoder(bytes.NewReader(gunzipAll(t, body)))
		dec.UseLooseInterfaceDecoding(true)
		var got map[string]any
		assert.NilError(t, dec.Decode(&got))
		_, err = dec.DecodeInterface()
		assert.Equal(t, err, io.EOF, "one record")
		// The loose decoder reads a fixint or an int as int64, a uint as
		// uint64, and bin as a string; the encoder writes an integer of 0
		// to 127 as a positive fixint and a larger one as a uint.
		loose := func(i int64) any {
			if i > 127 {
				return uint64(i)
			}
			return i
		}
		looseU := func(u uint64) any {
			if u > 127 {
				return u
			}
			return int64(u)
		}
		want := map[string]any{"time": loose(i), "u": looseU(u), "f": fl, "b": string(b), "a": []any{s, loose(i)}}
		want[key] = s
		assert.DeepEqual(t, got, want)
	})
}
