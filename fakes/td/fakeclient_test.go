package td

import (
	"encoding/json"
	"net/http"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// TestFakeclientReadsBackWhatWasStored imports records as fluent-plugin-td
// does (msgpack-ruby's encoding, gzip'd, PUT import_with_id with
// td-client-ruby's headers), once more under the same unique id, and checks
// that package fakeclient, which mirrors the inspection API's JSON rather
// than importing this package, reads back exactly those records, with
// integers exact, and that its types know every field the fake answers.
func TestFakeclientReadsBackWhatWasStored(t *testing.T) {
	ts, _ := newTestServer(t, nil, WithAutoCreate(true))
	var p rubyPacker
	p.fluentdRecord(1700000000, "event_type", "click", "user", "ann")
	p.mapHeader(3)
	p.str("time")
	p.uint(1700000001)
	p.str("user_id")
	p.Write([]byte{0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) // uint64 max: not exact as a float64
	p.str("ratio")
	p.Write([]byte{0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}) // 1.5
	// No time: stored, and counted.
	p.mapHeader(1)
	p.str("message")
	p.str("late")
	body := gzipBytes(t, p.Bytes())
	url := ts.URL + "/v3/table/import_with_id/delish/events/" + chunkID + "/msgpack.gz"
	for range 2 { // fluentd retries a chunk under its id: stored once
		status, js := tdRequest(t, http.MethodPut, url, "k", body)
		assert.Equal(t, status, http.StatusOK, "%v", js)
	}

	c := fakeclient.NewTD(ts.URL)
	ctx := t.Context()
	recs, err := c.Records(ctx, "delish", "events")
	assert.NilError(t, err)
	assert.DeepEqual(t, recs, []fakeclient.TDRecord{
		{"time": json.Number("1700000000"), "event_type": "click", "user": "ann"},
		{"time": json.Number("1700000001"), "user_id": json.Number("18446744073709551615"), "ratio": json.Number("1.5")},
		{"message": "late"},
	})
	waited, err := c.WaitRecords(ctx, "delish", "events", 3)
	assert.NilError(t, err)
	assert.DeepEqual(t, waited, recs)
	page, err := c.RecordsPage(ctx, "delish", "events", 1, 1)
	assert.NilError(t, err)
	assert.DeepEqual(t, page, fakeclient.TDRecordsPage{Database: "delish", Table: "events", Total: 3, Since: 1, NextSince: 2, Records: recs[1:2]})

	tables, err := c.Tables(ctx)
	assert.NilError(t, err)
	assert.DeepEqual(t, tables, []fakeclient.TDTable{{Database: "delish", Name: "events", Type: "log", CreatedAt: fixedNow, UpdatedAt: fixedNow, Count: 3, Imports: 1}})
	imps, err := c.Imports(ctx)
	assert.NilError(t, err)
	assert.Assert(t, is.Len(imps, 2))
	assert.DeepEqual(t, imps[0], fakeclient.TDImport{
		Seq: 1, At: fixedNow, Database: "delish", Table: "events", UniqueID: chunkID, Format: "msgpack.gz",
		Status: http.StatusOK, Size: int64(len(body)), DecodedBytes: int64(len(p.Bytes())), Records: 3,
		MD5Hex: md5Hex(body), UserAgent: "fluent-plugin-td: 1.2.1; TD-Client-Ruby: 1.0.8",
		Validation: fakeclient.TDValidation{TimeMissing: 1, Findings: []fakeclient.TDFinding{{Record: 2, Problem: "time_missing", Detail: "record has no time key"}}},
	})
	assert.Check(t, imps[1].Dup)
	n, err := c.Counts(ctx)
	assert.NilError(t, err)
	assert.DeepEqual(t, n, fakeclient.TDCounts{Databases: 1, Tables: 1, Records: 3, Imports: 2, Stored: 1, Duplicates: 1, TimeMissing: 1})

	// What the client decoded is all the fake answered, field for field.
	base := ts.URL + "/_devenv"
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/records?db=delish&table=events"), &fakeclient.TDRecordsPage{})
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/tables"), &[]fakeclient.TDTable{})
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/imports"), &[]fakeclient.TDImport{})
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/counts"), &fakeclient.TDCounts{})
}
