package router_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/router"
)

// tdBytes is the record as out_tdlog writes it into the chunk (and the
// fake TD stores it): "time" set to the event time's Ruby value, then
// TDNormalize, then msgpack.
func tdBytes(t *testing.T, r record.Record, et router.EventTime) (string, error) {
	t.Helper()
	r = r.Clone()
	r.Set("time", et.RubyValue())
	n, err := router.TDNormalize(r)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(router.AppendMsgpack(nil, n)), nil
}

// TestTDBignumRecord: a record holding an integer outside int64/uint64
// is sent as td 0.10.29 + td-client 0.8.85 under Ruby 2.5 send it: every
// top-level Integer (time included) as a string, floats and nested values
// unchanged (class 5 of issue 10).
func TestTDBignumRecord(t *testing.T) {
	v, err := record.ParseJSONString(`{"id":123456789012345678901234,"n":7,"u":18446744073709551615,"f":1.5,"s":"x","a":[1]}`)
	assert.NilError(t, err)
	got, err := tdBytes(t, v.(record.Record), router.EventTime{Sec: 1704164645})
	assert.NilError(t, err)
	assert.Equal(t, got, hex.EncodeToString([]byte(
		"\x87"+
			"\xa2id\xb8123456789012345678901234"+
			"\xa1n\xa17"+
			"\xa1u\xb418446744073709551615"+
			"\xa1f\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"+
			"\xa1s\xa1x"+
			"\xa1a\x91\x01"+
			"\xa4time\xaa1704164645")))

	// Without a Bignum, integers stay integers (uint64 packs as uint 64).
	v, err = record.ParseJSONString(`{"n":7,"u":18446744073709551615}`)
	assert.NilError(t, err)
	got, err = tdBytes(t, v.(record.Record), router.EventTime{Sec: 1704164645})
	assert.NilError(t, err)
	assert.Equal(t, got, hex.EncodeToString([]byte("\x83\xa1n\x07\xa1u\xcf\xff\xff\xff\xff\xff\xff\xff\xff\xa4time\xce\x65\x93\x7d\x25")))
}

// TestTDNestedBignumRaises: a Bignum inside an object (or array) is not
// stringified by normalized_msgpack, so packing raises RangeError out of
// format_stream: the emit fails and nothing of the event is stored.
func TestTDNestedBignumRaises(t *testing.T) {
	for in, msg := range map[string]string{
		`{"a":{"b":123456789012345678901234}}`:  "RangeError: bignum too big to convert into `unsigned long long' (the integer 123456789012345678901234 nested in \"a\": td-client only stringifies top-level Bignums)",
		`{"x":1,"a":[1,-99999999999999999999]}`: "RangeError: bignum too big to convert into `long long' (the integer -99999999999999999999 nested in \"a\": td-client only stringifies top-level Bignums)",
	} {
		v, err := record.ParseJSONString(in)
		assert.NilError(t, err)
		_, err = tdBytes(t, v.(record.Record), router.EventTime{Sec: 1704164645})
		var re *router.TDRecordError
		assert.Assert(t, errorsAs(err, &re), in)
		assert.Equal(t, err.Error(), msg)
	}
}

// TestTDFloatTime: a float forward time is the Ruby Float fluentd keeps,
// and out_tdlog's record['time'] = time stores it as a msgpack float 64
// (class 6 of issue 10); a Bignum elsewhere leaves a float time a float.
func TestTDFloatTime(t *testing.T) {
	et := router.EventTime{Sec: 1704164645, Nsec: 500000000, IsFloat: true, Float: 1704164645.5}
	got, err := tdBytes(t, record.Record{{Key: "a", Value: int64(1)}}, et)
	assert.NilError(t, err)
	assert.Equal(t, got, hex.EncodeToString([]byte("\x82\xa1a\x01\xa4time\xcb\x41\xd9\x64\xdf\x49\x60\x00\x00")))
	got, err = tdBytes(t, record.Record{{Key: "b", Value: record.BigInt("99999999999999999999")}}, et)
	assert.NilError(t, err)
	assert.Equal(t, got, hex.EncodeToString([]byte("\x82\xa1b\xb499999999999999999999\xa4time\xcb\x41\xd9\x64\xdf\x49\x60\x00\x00")))
}

func errorsAs(err error, target **router.TDRecordError) bool { return errors.As(err, target) }
