package output

import (
	"encoding/hex"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakes/td"
	"github.com/devenv-sh/devenv/fluent/router"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// TestTDStoresValuesAsTDLogWritesThem: records as out_tdlog v0.10.29 packs
// them (a float time; a top-level Bignum that stringified every top-level
// integer) are imported and stored byte for byte.
func TestTDStoresValuesAsTDLogWritesThem(t *testing.T) {
	store := td.NewMemStore()
	srv := httptest.NewServer(td.New(store, td.WithAutoCreate(true)))
	t.Cleanup(srv.Close)
	sink := NewTD(&router.TDConfig{APIKey: "k", Endpoint: srv.URL, AutoCreateTable: true})
	assert.NilError(t, sink.Start(t.Context()))

	pack := func(line string, et router.EventTime) []byte {
		v, err := record.ParseJSONString(line)
		assert.NilError(t, err)
		rec := v.(record.Record)
		rec.Set("time", et.RubyValue())
		rec, err = router.TDNormalize(rec)
		assert.NilError(t, err)
		return router.AppendMsgpack(nil, rec)
	}
	floatTime := pack(`{"a":1}`, router.EventTime{Sec: 1704164645, Nsec: 250000000, IsFloat: true, Float: 1704164645.25})
	bignum := pack(`{"id":-123456789012345678901234,"n":-1}`, router.EventTime{Sec: 1704164645})
	assert.Equal(t, hex.EncodeToString(floatTime), hex.EncodeToString([]byte("\x82\xa1a\x01\xa4time\xcb\x41\xd9\x64\xdf\x49\x50\x00\x00")))
	assert.Equal(t, hex.EncodeToString(bignum), hex.EncodeToString([]byte("\x83\xa2id\xb9-123456789012345678901234\xa1n\xa2-1\xa4time\xaa1704164645")))

	key, err := sink.ChunkKey("delish_dev.event_click")
	assert.NilError(t, err)
	b := flushThrough(t, sink, key, floatTime, bignum)
	testsupport.Until(t, 10*time.Second, "import", func() bool { return b.Stats().Flushed == 1 })
	recs, total, err := store.Records("delish_dev", "event_click", 0, 0)
	assert.NilError(t, err)
	assert.Equal(t, total, 2)
	assert.DeepEqual(t, []string{hex.EncodeToString(recs[0]), hex.EncodeToString(recs[1])}, []string{hex.EncodeToString(floatTime), hex.EncodeToString(bignum)})
}
