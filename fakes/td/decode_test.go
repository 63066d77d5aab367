package td

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

func TestDecodeImportCutsRecords(t *testing.T) {
	var p rubyPacker
	p.fluentdRecord(1700000000, "message", "one")
	first := p.Len()
	p.fluentdRecord(1700000001, "message", "two", "long", string(bytes.Repeat([]byte("x"), 300)))
	stream := append([]byte(nil), p.Bytes()...)

	for _, tc := range []struct {
		format string
		body   []byte
	}{{FormatMsgpack, stream}, {FormatMsgpackGz, gzipBytes(t, stream)}} {
		b, err := DecodeImport(bytes.NewReader(tc.body), tc.format, 0)
		assert.NilError(t, err)
		assert.Equal(t, b.Len(), 2)
		assert.Equal(t, b.Size(), len(stream))
		assert.DeepEqual(t, b.Record(0), stream[:first])
		assert.DeepEqual(t, b.Record(1), stream[first:])
		assert.DeepEqual(t, b.Validation, Validation{})
	}
}

func TestDecodeImportTooManyKeys(t *testing.T) {
	var p rubyPacker
	p.mapHeader(MaxRecordKeys + 1)
	p.str("time")
	p.uint(1)
	for i := range MaxRecordKeys {
		p.str(fmt.Sprintf("k%d", i))
		p.uint(uint64(i))
	}
	b, err := DecodeImport(bytes.NewReader(p.Bytes()), FormatMsgpack, 0)
	assert.NilError(t, err)
	assert.Equal(t, b.Validation.TooManyKeys, 1)
	assert.Equal(t, b.Validation.Findings[0].Detail, "513 keys, over the limit of 512")
}

// FuzzImportDecode feeds arbitrary bodies to the import decoder: it must
// never panic, must fail only with ErrBadBody or ErrTooLarge, and the
// records of every accepted body must decode to JSON and re-decode to the
// same batch.
func FuzzImportDecode(f *testing.F) {
	f.Add(fluentdChunk(f, 3), true)
	f.Add(gzipBytes(f, nil), true)
	f.Add([]byte{0x81, 0xa4, 't', 'i', 'm', 'e', 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1}, false) // NaN time
	f.Fuzz(func(t *testing.T, body []byte, gz bool) {
		format := FormatMsgpack
		if gz {
			format = FormatMsgpackGz
		}
		b, err := DecodeImportBytes(body, format, 1<<20)
		streamed, serr := DecodeImport(bytes.NewReader(body), format, 1<<20)
		if (err == nil) != (serr == nil) || (err == nil && streamed.Len() != b.Len()) {
			t.Fatalf("DecodeImportBytes: %v; DecodeImport: %v", err, serr)
		}
		if err != nil {
			if !errors.Is(err, ErrBadBody) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error is neither ErrBadBody nor ErrTooLarge: %v", err)
			}
			return
		}
		for i := range b.Len() {
			rec, err := decodeRecord(b.Record(i))
			if err != nil {
				t.Fatalf("accepted record %d does not decode: %v", i, err)
			}
			if _, err := json.Marshal(rec); err != nil {
				t.Fatalf("record %d is not JSON: %v", i, err)
			}
		}
		again, err := DecodeImport(bytes.NewReader(b.stream), FormatMsgpack, 0)
		if err != nil {
			t.Fatalf("stored stream does not decode again: %v", err)
		}
		if again.Len() != b.Len() || again.Validation.TimeProblems() != b.Validation.TimeProblems() {
			t.Fatalf("decoded again: %d records, %d time problems; first: %d, %d",
				again.Len(), again.Validation.TimeProblems(), b.Len(), b.Validation.TimeProblems())
		}
	})
}

// BenchmarkImportDecode decodes fluentd chunks of 8096 records (the
// chunk_limit_records default of fluent-plugin-td) from msgpack.gz.
func BenchmarkImportDecode(b *testing.B) {
	var p rubyPacker
	const n = 8096
	for i := range n {
		p.mapHeader(9)
		for _, kv := range [][2]string{
			{"event", "recipe_view"}, {"user_id", fmt.Sprintf("u%08d", i)}, {"recipe_id", fmt.Sprintf("%d", 100000+i)},
			{"path", "/api/v1/recipes/12345"}, {"ua", "DelishKitchen/3.1 (iPhone; iOS 18.1)"}, {"ip", "203.0.113.7"},
			{"referer", "https://delishkitchen.tv/"},
		} {
			p.str(kv[0])
			p.str(kv[1])
		}
		p.str("status")
		p.uint(200)
		p.str("time")
		p.uint(uint64(1700000000 + i))
	}
	body := gzipBytes(b, p.Bytes())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu0 := testsupport.CPUTime(b)
	for b.Loop() {
		batch, err := DecodeImportBytes(body, FormatMsgpackGz, 0)
		if err != nil || batch.Len() != n {
			b.Fatalf("decode: %v (%d records)", err, batch.Len())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	// On a shared machine wall time includes waiting for a core; records
	// per CPU second (user+system time of the process) does not.
	b.ReportMetric(float64(n)*float64(b.N)/(testsupport.CPUTime(b)-cpu0).Seconds(), "records/cpu-s")
}
