package td

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

const chunkID = "5e1f3c2a9b8d7e6f5a4b3c2d1e0f9a8b" // 16-byte fluentd chunk id as 32 hex chars

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// TestFluentPluginTDSequence replays what fluent-plugin-td does when its
// table does not exist yet, against the fake as it starts by default (as
// TD does, no auto-create): the import answers 404, the plugin creates the table (404: no database),
// creates the database, creates the table, and imports again.
func TestFluentPluginTDSequence(t *testing.T) {
	ts, _ := newTestServer(t, nil)
	body := fluentdChunk(t, 3)
	importURL := ts.URL + "/v3/table/import_with_id/delish/access_log/" + chunkID + "/msgpack.gz"

	status, js := tdRequest(t, http.MethodPut, importURL, "dummy-key", body)
	assert.Equal(t, status, http.StatusNotFound)
	assert.Equal(t, js["message"], "Couldn't find UserDatabase with name = delish")
	assert.Equal(t, js["error"], "Not Found")

	status, js = tdRequest(t, http.MethodPost, ts.URL+"/v3/table/create/delish/access_log/log", "dummy-key", nil)
	assert.Equal(t, status, http.StatusNotFound)
	assert.Equal(t, js["message"], "Create log table failed: Couldn't find UserDatabase with name = delish")

	status, js = tdRequest(t, http.MethodPost, ts.URL+"/v3/database/create/delish", "dummy-key", nil)
	assert.Equal(t, status, http.StatusOK)
	assert.DeepEqual(t, js, map[string]any{"database": "delish"})

	status, js = tdRequest(t, http.MethodPost, ts.URL+"/v3/table/create/delish/access_log/log", "dummy-key", nil)
	assert.Equal(t, status, http.StatusOK)
	assert.DeepEqual(t, js, map[string]any{"database": "delish", "table": "access_log", "type": "log"})

	status, js = tdRequest(t, http.MethodPut, importURL, "dummy-key", body)
	assert.Equal(t, status, http.StatusOK)
	assert.DeepEqual(t, js, map[string]any{
		"database": "delish", "table": "access_log", "unique_id": chunkID,
		"md5_hex": md5Hex(body), "elapsed_time": 0.0,
	})

	c := newTestClient(ts.URL, "dummy-key")
	recs, err := c.Records(t.Context(), "delish", "access_log")
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 3)
	assert.Equal(t, recs[0]["message"], "GET /recipes")
	assert.Equal(t, recs[2]["time"], jsonNumber("1700000002"))

	imps, err := c.Imports(t.Context())
	assert.NilError(t, err)
	assert.Equal(t, len(imps), 2)
	assert.Equal(t, imps[0].Status, http.StatusNotFound)
	assert.Equal(t, imps[0].UserAgent, "fluent-plugin-td: 1.2.1; TD-Client-Ruby: 1.0.8")
	assert.Equal(t, imps[1].Status, http.StatusOK)
	assert.Equal(t, imps[1].Records, 3)
	assert.Equal(t, imps[1].UniqueID, chunkID)
	assert.Equal(t, imps[1].Size, int64(len(body)))
	assert.Equal(t, imps[1].DecodedBytes, int64(len(gunzip(t, body))))
	assert.Equal(t, imps[1].MD5Hex, md5Hex(body))
	assert.Equal(t, imps[1].At, fixedNow)
}

// TestTableCheckWithEmptyGzip covers fluent-plugin-td's start-up check
// without auto_create_table: an empty gzip imported without a unique id.
func TestTableCheckWithEmptyGzip(t *testing.T) {
	ts, _ := newTestServer(t, nil)
	empty := gzipBytes(t, nil)
	url := ts.URL + "/v3/table/import/delish/access_log/msgpack.gz"

	status, js := tdRequest(t, http.MethodPut, url, "k", empty)
	assert.Equal(t, status, http.StatusNotFound, "%v", js)

	c := newTestClient(ts.URL, "k")
	assert.NilError(t, c.CreateDatabase(t.Context(), "delish"))
	assert.NilError(t, c.CreateTable(t.Context(), "delish", "access_log"))
	status, js = tdRequest(t, http.MethodPut, url, "k", empty)
	assert.Equal(t, status, http.StatusOK, "%v", js)
	_, hasID := js["unique_id"]
	assert.Assert(t, !hasID, "no unique_id without one: %v", js)

	tables, err := c.Tables(t.Context())
	assert.NilError(t, err)
	assert.Equal(t, len(tables), 1)
	assert.Equal(t, tables[0].Count, int64(0))
}

func TestAutoCreateOnImport(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	c := newTestClient(ts.URL, "k")
	res, err := c.ImportWithID(t.Context(), "delish", "events", chunkID, fluentdChunk(t, 2))
	assert.NilError(t, err)
	assert.Equal(t, res.UniqueID, chunkID)

	tables, err := c.Tables(t.Context())
	assert.NilError(t, err)
	assert.Equal(t, len(tables), 1)
	assert.Equal(t, tables[0].Database, "delish")
	assert.Equal(t, tables[0].Name, "events")
	assert.Equal(t, tables[0].Count, int64(2))
	assert.Equal(t, tables[0].CreatedAt, fixedNow)
}

func TestImportIdempotentPerUniqueID(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	c := newTestClient(ts.URL, "k")
	first := fluentdChunk(t, 4)
	url := ts.URL + "/v3/table/import_with_id/delish/events/" + chunkID + "/msgpack.gz"

	status, js1 := tdRequest(t, http.MethodPut, url, "k", first)
	assert.Equal(t, status, http.StatusOK)
	// fluentd retries a chunk with the same id: TD answers 200 and stores nothing new.
	status, js2 := tdRequest(t, http.MethodPut, url, "k", first)
	assert.Equal(t, status, http.StatusOK)
	assert.DeepEqual(t, js1, js2)
	// Even a different body under the same id stores nothing.
	other := fluentdChunk(t, 1)
	status, js3 := tdRequest(t, http.MethodPut, url, "k", other)
	assert.Equal(t, status, http.StatusOK)
	assert.Equal(t, js3["md5_hex"], md5Hex(other))

	recs, err := c.Records(t.Context(), "delish", "events")
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 4)

	// The same id in another table is another import.
	_, err = c.ImportWithID(t.Context(), "delish", "other", chunkID, first)
	assert.NilError(t, err)
	// Imports without an id are never deduplicated.
	for range 2 {
		_, err = c.Import(t.Context(), "delish", "noid", first)
		assert.NilError(t, err)
	}

	imps, err := c.Imports(t.Context())
	assert.NilError(t, err)
	var dups []bool
	for _, e := range imps {
		dups = append(dups, e.Dup)
	}
	assert.DeepEqual(t, dups, []bool{false, true, true, false, false, false})
	n, err := c.Counts(t.Context())
	assert.NilError(t, err)
	assert.DeepEqual(t, n, fakeclient.TDCounts{Databases: 1, Tables: 3, Records: 16, Imports: 6, Stored: 4, Duplicates: 2})
}

func TestAuth(t *testing.T) {
	body := fluentdChunk(t, 1)
	t.Run("any key", func(t *testing.T) {
		ts, _ := newTestServer(t, nil, WithAutoCreate(true))
		url := ts.URL + "/v3/table/import/delish/events/msgpack.gz"
		status, js := tdRequest(t, http.MethodPut, url, "", body)
		assert.Equal(t, status, http.StatusUnauthorized)
		assert.Assert(t, is.Contains(js["message"], "Authentication failed"))
		assert.Equal(t, js["error"], "Unauthorized")

		status, _ = tdRequest(t, http.MethodPut, url, "   ", body)
		assert.Equal(t, status, http.StatusUnauthorized)
		status, _ = tdRequest(t, http.MethodGet, ts.URL+"/v3/database/list", "", nil)
		assert.Equal(t, status, http.StatusUnauthorized)

		status, _ = tdRequest(t, http.MethodPut, url, "whatever", body)
		assert.Equal(t, status, http.StatusOK)
		// The server status needs no key.
		status, js = tdRequest(t, http.MethodGet, ts.URL+"/v3/system/server_status", "", nil)
		assert.Equal(t, status, http.StatusOK)
		assert.DeepEqual(t, js, map[string]any{"status": "ok"})

		// Nothing unauthenticated reached the import log.
		imps, err := newTestClient(ts.URL, "").Imports(t.Context())
		assert.NilError(t, err)
		assert.Equal(t, len(imps), 1)
	})
	t.Run("configured keys", func(t *testing.T) {
		ts, _ := newTestServer(t, nil, WithAPIKeys("key-a", "key-b"), WithAutoCreate(true))
		url := ts.URL + "/v3/table/import/delish/events/msgpack.gz"
		status, js := tdRequest(t, http.MethodPut, url, "key-c", body)
		assert.Equal(t, status, http.StatusUnauthorized)
		assert.Equal(t, js["message"], "Authentication failed: unknown API key")
		status, _ = tdRequest(t, http.MethodPut, url, "key-b", body)
		assert.Equal(t, status, http.StatusOK)

		err := newTestClient(ts.URL, "nope").CreateDatabase(t.Context(), "delish2")
		assert.Equal(t, fakeclient.TDStatusOf(err), http.StatusUnauthorized)
	})
	t.Run("other scheme", func(t *testing.T) {
		ts, _ := newTestServer(t, nil, WithAutoCreate(true))
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+"/v3/database/list", nil)
		assert.NilError(t, err)
		req.Header.Set("Authorization", "Bearer abc")
		resp, err := http.DefaultClient.Do(req)
		assert.NilError(t, err)
		resp.Body.Close()
		assert.Equal(t, resp.StatusCode, http.StatusUnauthorized)
	})
}

func TestTimeValidation(t *testing.T) {
	var p rubyPacker
	p.fluentdRecord(1700000000, "message", "ok")
	p.mapHeader(1) // no time
	p.str("message")
	p.str("no time")
	p.mapHeader(2) // time as a string
	p.str("message")
	p.str("string time")
	p.str("time")
	p.str("1700000000")
	p.mapHeader(1) // time as a float
	p.str("time")
	p.WriteByte(0xcb)
	p.Write([]byte{0x41, 0xd9, 0x54, 0xfc, 0x40, 0x00, 0x00, 0x00})
	body := gzipBytes(t, p.Bytes())

	t.Run("flagged by default", func(t *testing.T) {
		ts, _ := newTestServer(t, nil, WithAutoCreate(true))
		c := newTestClient(ts.URL, "k")
		_, err := c.ImportWithID(t.Context(), "delish", "events", chunkID, body)
		assert.NilError(t, err)
		recs, err := c.Records(t.Context(), "delish", "events")
		assert.NilError(t, err)
		assert.Equal(t, len(recs), 4)
		imps, err := c.Imports(t.Context())
		assert.NilError(t, err)
		v := imps[0].Validation
		assert.Equal(t, v.TimeMissing, 1)
		assert.Equal(t, v.TimeNotInt, 2)
		assert.DeepEqual(t, v.Findings, []fakeclient.TDFinding{
			{Record: 1, Problem: "time_missing", Detail: "record has no time key"},
			{Record: 2, Problem: "time_not_int", Detail: "time is a string, want an integer"},
			{Record: 3, Problem: "time_not_int", Detail: "time is a float, want an integer"},
		})
		n, err := c.Counts(t.Context())
		assert.NilError(t, err)
		assert.Equal(t, n.TimeMissing, 1)
		assert.Equal(t, n.TimeNotInt, 2)
	})
	t.Run("rejected in strict mode", func(t *testing.T) {
		ts, _ := newTestServer(t, nil, WithStrictTime(true), WithAutoCreate(true))
		status, js := tdRequest(t, http.MethodPut, ts.URL+"/v3/table/import_with_id/delish/events/"+chunkID+"/msgpack.gz", "k", body)
		assert.Equal(t, status, http.StatusBadRequest)
		assert.Equal(t, js["message"], "record 1: record has no time key (3 of the records lack an integer time)")
		c := newTestClient(ts.URL, "k")
		tables, err := c.Tables(t.Context())
		assert.NilError(t, err)
		assert.Equal(t, len(tables), 0, "a rejected import creates nothing")

		_, err = c.ImportWithID(t.Context(), "delish", "events", chunkID, fluentdChunk(t, 2))
		assert.NilError(t, err, "integer times pass in strict mode")
	})
}

func TestNameRules(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	cases := []struct {
		name string
		ok   bool
		msg  string
	}{
		{name: "abc", ok: true},
		{name: "a_1", ok: true},
		{name: strings.Repeat("x", 255), ok: true},
		{name: "ab", msg: "database name must be 3 to 255 characters, got 2 characters. name = 'ab'"},
		{name: strings.Repeat("x", 256), msg: "database name must be 3 to 255 characters, got 256 characters"},
		{name: "Delish", msg: "database name must consist only of lower-case alphabets, numbers and '_'. name = 'Delish'"},
		{name: "de-lish", msg: "lower-case alphabets"},
		{name: "de.lish", msg: "lower-case alphabets"},
		{name: "de%20lish", msg: "name = 'de lish'"},
	}
	for _, tc := range cases {
		t.Run(tc.name[:min(len(tc.name), 12)], func(t *testing.T) {
			status, js := tdRequest(t, http.MethodPost, ts.URL+"/v3/database/create/"+tc.name, "k", nil)
			if tc.ok {
				assert.Equal(t, status, http.StatusOK, "%v", js)
				return
			}
			assert.Equal(t, status, http.StatusBadRequest, "%v", js)
			assert.Assert(t, is.Contains(js["message"], tc.msg))

			status, js = tdRequest(t, http.MethodPut, ts.URL+"/v3/table/import/"+tc.name+"/events/msgpack.gz", "k", fluentdChunk(t, 1))
			assert.Equal(t, status, http.StatusBadRequest, "%v", js)
			status, js = tdRequest(t, http.MethodPut, ts.URL+"/v3/table/import/delish/"+tc.name+"/msgpack.gz", "k", fluentdChunk(t, 1))
			assert.Equal(t, status, http.StatusBadRequest, "%v", js)
			assert.Assert(t, is.Contains(js["message"], "table name"))
			status, _ = tdRequest(t, http.MethodPost, ts.URL+"/v3/table/create/abc/"+tc.name+"/log", "k", nil)
			assert.Equal(t, status, http.StatusBadRequest)
		})
	}
}

func TestCorruptBodies(t *testing.T) {
	good := fluentdChunk(t, 5)
	badCRC := append([]byte(nil), good...)
	badCRC[len(badCRC)-6] ^= 0xff // gzip trailer CRC32
	var nested rubyPacker
	nested.mapHeader(2)
	nested.str("time")
	nested.uint(1)
	nested.str("deep")
	for range 200 {
		nested.WriteByte(0x91) // array of one
	}
	nested.WriteByte(0xc0)
	cases := []struct {
		name, format string
		body         []byte
		msg          string
	}{
		{"not gzip", "msgpack.gz", []byte("hello, world"), "read gzip header"},
		{"empty body", "msgpack.gz", nil, "read gzip header"},
		{"truncated gzip", "msgpack.gz", good[:len(good)/2], "unexpected EOF"},
		{"gzip checksum", "msgpack.gz", badCRC, "checksum"},
		{"reserved code", "msgpack.gz", gzipBytes(t, []byte{0xc1}), "record 0"},
		{"truncated record", "msgpack.gz", gzipBytes(t, []byte{0x82, 0xa4, 't', 'i', 'm', 'e', 0x01}), "unexpected EOF"},
		{"array record", "msgpack.gz", gzipBytes(t, []byte{0x91, 0x01}), "record is an array, want a map"},
		{"integer key", "msgpack.gz", gzipBytes(t, []byte{0x81, 0x01, 0x01}), "key 0 is an integer, want a string"},
		{"too deep", "msgpack.gz", gzipBytes(t, nested.Bytes()), "nested deeper than 100"},
		{"second record bad", "msgpack", append(append([]byte(nil), gunzip(t, good)...), 0xa1), "record 5"},
		{"unknown format", "json", []byte(`{"time":1}`), "unsupported import format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, _ := newTestServer(t, nil, WithAutoCreate(true))
			status, js := tdRequest(t, http.MethodPut, ts.URL+"/v3/table/import_with_id/delish/events/"+chunkID+"/"+tc.format, "k", tc.body)
			assert.Equal(t, status, http.StatusBadRequest, "%v", js)
			assert.Equal(t, js["error"], "Bad Request")
			assert.Assert(t, is.Contains(js["message"], tc.msg))

			c := newTestClient(ts.URL, "k")
			tables, err := c.Tables(t.Context())
			assert.NilError(t, err)
			assert.Equal(t, len(tables), 0, "nothing is created or stored")
			imps, err := c.Imports(t.Context())
			assert.NilError(t, err)
			assert.Equal(t, len(imps), 1)
			assert.Equal(t, imps[0].Status, http.StatusBadRequest)

			// The id of a rejected import is still free.
			_, err = c.ImportWithID(t.Context(), "delish", "events", chunkID, good)
			assert.NilError(t, err)
			recs, err := c.Records(t.Context(), "delish", "events")
			assert.NilError(t, err)
			assert.Equal(t, len(recs), 5)
		})
	}
}

func TestOversizeImport(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithMaxImportBytes(4096), WithAutoCreate(true))
	big := make([]byte, 5000)
	status, js := tdRequest(t, http.MethodPut, ts.URL+"/v3/table/import/delish/events/msgpack.gz", "k", big)
	assert.Equal(t, status, http.StatusRequestEntityTooLarge, "%v", js)

	// A small gzip that decompresses beyond the limit.
	var p rubyPacker
	p.mapHeader(2)
	p.str("time")
	p.uint(1)
	p.str("pad")
	p.str(strings.Repeat("x", 60000))
	bomb := gzipBytes(t, p.Bytes())
	assert.Assert(t, len(bomb) < 4096)
	status, js = tdRequest(t, http.MethodPut, ts.URL+"/v3/table/import/delish/events/msgpack.gz", "k", bomb)
	assert.Equal(t, status, http.StatusRequestEntityTooLarge, "%v", js)
	assert.Assert(t, is.Contains(js["message"], "more than 4096 bytes decompressed"))
}

func TestDatabaseAndTableAPI(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	c := newTestClient(ts.URL, "k")
	ctx := t.Context()
	assert.NilError(t, c.CreateDatabase(ctx, "delish"))
	err := c.CreateDatabase(ctx, "delish")
	assert.Equal(t, fakeclient.TDStatusOf(err), http.StatusConflict)
	assert.ErrorContains(t, err, "Database delish already exists")
	assert.NilError(t, c.CreateTable(ctx, "delish", "events"))
	err = c.CreateTable(ctx, "delish", "events")
	assert.Equal(t, fakeclient.TDStatusOf(err), http.StatusConflict)
	assert.ErrorContains(t, err, "Table events already exists")
	_, err = c.ImportWithID(ctx, "delish", "events", chunkID, fluentdChunk(t, 3))
	assert.NilError(t, err)

	status, js := tdRequest(t, http.MethodGet, ts.URL+"/v3/database/list", "k", nil)
	assert.Equal(t, status, http.StatusOK)
	assert.DeepEqual(t, js, map[string]any{"databases": []any{map[string]any{
		"name": "delish", "count": 3.0, "created_at": "2026-11-26 12:00:00 UTC", "updated_at": "2026-11-26 12:00:00 UTC",
		"organization": nil, "permission": "administrator",
	}}})
	status, js = tdRequest(t, http.MethodGet, ts.URL+"/v3/database/show/delish", "k", nil)
	assert.Equal(t, status, http.StatusOK)
	assert.Equal(t, js["name"], "delish")
	status, js = tdRequest(t, http.MethodGet, ts.URL+"/v3/table/list/delish", "k", nil)
	assert.Equal(t, status, http.StatusOK)
	assert.DeepEqual(t, js, map[string]any{"database": "delish", "tables": []any{map[string]any{
		"name": "events", "type": "log", "count": 3.0, "schema": "[]",
		"created_at": "2026-11-26 12:00:00 UTC", "updated_at": "2026-11-26 12:00:00 UTC",
	}}})
	status, js = tdRequest(t, http.MethodGet, ts.URL+"/v3/table/show/delish/events", "k", nil)
	assert.Equal(t, status, http.StatusOK)
	assert.Equal(t, js["database"], "delish")
	assert.Equal(t, js["count"], 3.0)

	status, js = tdRequest(t, http.MethodGet, ts.URL+"/v3/table/list/nodb", "k", nil)
	assert.Equal(t, status, http.StatusNotFound)
	assert.Equal(t, js["message"], "List tables failed: Couldn't find UserDatabase with name = nodb")
	status, js = tdRequest(t, http.MethodGet, ts.URL+"/v3/table/show/delish/nope", "k", nil)
	assert.Equal(t, status, http.StatusNotFound)
	assert.Equal(t, js["message"], "Show table failed: Couldn't find UserTable with name = delish.nope")
	status, _ = tdRequest(t, http.MethodPost, ts.URL+"/v3/table/create/delish/items/item", "k", nil)
	assert.Equal(t, status, http.StatusBadRequest)
	status, js = tdRequest(t, http.MethodGet, ts.URL+"/v3/no/such/route", "k", nil)
	assert.Equal(t, status, http.StatusNotFound)
	assert.Equal(t, js["error"], "Not Found")

	status, js = tdRequest(t, http.MethodPost, ts.URL+"/v3/table/delete/delish/events", "k", nil)
	assert.Equal(t, status, http.StatusOK)
	assert.DeepEqual(t, js, map[string]any{"database": "delish", "table": "events", "type": "log"})
	assert.Equal(t, fakeclient.TDStatusOf(c.DeleteTable(ctx, "delish", "events")), http.StatusNotFound)
	assert.NilError(t, c.DeleteDatabase(ctx, "delish"))
	assert.Equal(t, fakeclient.TDStatusOf(c.DeleteDatabase(ctx, "delish")), http.StatusNotFound)
}

func TestInspection(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	c := newTestClient(ts.URL, "k")
	ctx := t.Context()
	_, err := c.ImportWithID(ctx, "delish", "events", chunkID, fluentdChunk(t, 10))
	assert.NilError(t, err)
	_, err = c.Import(ctx, "delish", "access", fluentdChunk(t, 1))
	assert.NilError(t, err)

	page, err := c.RecordsPage(ctx, "delish", "events", 4, 3)
	assert.NilError(t, err)
	assert.Equal(t, page.Total, 10)
	assert.Equal(t, page.Since, 4)
	assert.Equal(t, page.NextSince, 7)
	assert.Equal(t, len(page.Records), 3)
	assert.Equal(t, page.Records[0]["time"], jsonNumber("1700000004"))
	page, err = c.RecordsPage(ctx, "delish", "events", 20, 0)
	assert.NilError(t, err)
	assert.Equal(t, len(page.Records), 0)
	assert.Equal(t, page.NextSince, 10)

	tables, err := c.Tables(ctx)
	assert.NilError(t, err)
	assert.Equal(t, len(tables), 2)
	assert.Equal(t, tables[0].Name, "access")
	assert.Equal(t, tables[1].Count, int64(10))

	status, body := testsupport.Fetch(t, ts.URL+"/_devenv/imports?table=access")
	assert.Equal(t, status, http.StatusOK, body)
	var filtered []fakeclient.TDImport
	assert.NilError(t, json.Unmarshal([]byte(body), &filtered))
	assert.Equal(t, len(filtered), 1)

	_, err = c.Records(ctx, "delish", "missing")
	assert.ErrorContains(t, err, "404")
	status, body = testsupport.Fetch(t, ts.URL+"/_devenv/records?db=delish")
	assert.Equal(t, status, http.StatusBadRequest, body)
	status, body = testsupport.Fetch(t, ts.URL+"/_devenv/records?db=delish&table=events&limit=-1")
	assert.Equal(t, status, http.StatusBadRequest, body)
	// A misspelt filter is an error, not ignored (which would widen the answer).
	status, body = testsupport.Fetch(t, ts.URL+"/_devenv/imports?tbl=access")
	assert.Equal(t, status, http.StatusBadRequest, body)
	assert.Check(t, is.Contains(body, "unknown query parameter tbl (known: db, table)"))
	status, body = testsupport.Fetch(t, ts.URL+"/_devenv/records?db=delish&table=events&offset=2")
	assert.Equal(t, status, http.StatusBadRequest, body)
	assert.Check(t, is.Contains(body, "unknown query parameter offset (known: db, table, since, limit)"))

	assert.NilError(t, c.Health(ctx))
	assert.NilError(t, c.Reset(ctx))
	tables, err = c.Tables(ctx)
	assert.NilError(t, err)
	assert.Equal(t, len(tables), 0)
	n, err := c.Counts(ctx)
	assert.NilError(t, err)
	assert.DeepEqual(t, n, fakeclient.TDCounts{})
}

func TestRecordValuesAsJSON(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	c := newTestClient(ts.URL, "k")
	var p rubyPacker
	p.mapHeader(6)
	p.str("time")
	p.uint(1700000000)
	p.str("bin")
	p.Write([]byte{0xc4, 3, 'a', 'b', 'c'})
	p.str("raw")
	p.Write([]byte{0xc4, 2, 0xff, 0xfe})
	p.str("nested")
	p.Write([]byte{0x82, 0xa1, 'a', 0x92, 0x01, 0xff, 0x02, 0xc3}) // {"a":[1,-1], 2:true}
	p.str("ts")
	p.Write([]byte{0xd6, 0xff, 0x65, 0x53, 0xf1, 0x00}) // timestamp ext 1700000000
	p.str("ext")
	p.Write([]byte{0xd4, 0x05, 0x07})
	_, err := c.Import(t.Context(), "delish", "values", gzipBytes(t, p.Bytes()))
	assert.NilError(t, err)
	recs, err := c.Records(t.Context(), "delish", "values")
	assert.NilError(t, err)
	assert.DeepEqual(t, recs[0], fakeclient.TDRecord{
		"time":   jsonNumber("1700000000"),
		"bin":    "abc",
		"raw":    "//4=",
		"nested": map[string]any{"a": []any{jsonNumber("1"), jsonNumber("-1")}, "2": true},
		"ts":     "2023-11-14T22:13:20Z",
		"ext":    map[string]any{"ext_type": jsonNumber("5"), "data": "Bw=="},
	})
}

func TestConcurrentImports(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	c := newTestClient(ts.URL, "k")
	body := fluentdChunk(t, 7)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			// Half of the requests repeat an id.
			_, err := c.ImportWithID(t.Context(), "delish", "events", strings.Repeat(string(rune('a'+i%8)), 32), body)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NilError(t, err)
	}
	recs, err := c.Records(t.Context(), "delish", "events")
	assert.NilError(t, err)
	assert.Equal(t, len(recs), 8*7)
}
