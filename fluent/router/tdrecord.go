package router

import (
	"fmt"
	"strings"

	"github.com/devenv-sh/devenv/fluent/record"
)

// RubyValue is the event time as the Ruby object fluentd v0.12 carries: the
// Float the client sent (IsFloat), otherwise the Integer seconds. It is
// what out_tdlog v0.10.29's format_stream stores as record['time'] (the
// time itself, not time.to_i).
func (t EventTime) RubyValue() any {
	if t.IsFloat {
		return t.Float
	}
	return t.Sec
}

// TDRecordError is the RangeError msgpack-ruby raises for a Bignum that is
// not a top-level value: out_tdlog's format_stream does not rescue it, so
// the emit raises into in_forward ("forward error", connection closed) and
// nothing of the event is buffered.
type TDRecordError struct {
	// Key is the top-level key whose value holds the Bignum.
	Key string
	// Value is the Bignum's digits.
	Value record.BigInt
}

func (e *TDRecordError) Error() string {
	target := "unsigned long long"
	if strings.HasPrefix(string(e.Value), "-") {
		target = "long long"
	}
	return fmt.Sprintf("RangeError: bignum too big to convert into `%s' (the integer %s nested in %q: td-client only stringifies top-level Bignums)", target, e.Value, e.Key)
}

// TDNormalize is what out_tdlog v0.10.29 does after setting "time" when it
// serialises rec: record.to_msgpack, and on RangeError (an integer outside
// int64 and uint64: a BigInt) td-client 0.8.85's normalized_msgpack, which
// replaces every top-level value that is kind_of?(Bignum) with its to_s
// before packing again. Under Ruby 2.4 and later (production runs 2.5)
// Bignum is Integer, so every top-level integer becomes a string, "time"
// included; floats, strings and nested values are kept. A BigInt inside a
// nested object or array is still unpackable: the *TDRecordError. rec is
// changed in place, as the Ruby hash is; a record without a BigInt is
// returned untouched.
func TDNormalize(rec record.Record) (record.Record, error) {
	top := false
	for _, f := range rec {
		switch x := f.Value.(type) {
		case record.BigInt:
			top = true
		case record.Record, []any:
			if b, ok := findBigInt(x); ok {
				// The first pack raises on it, and so does the second.
				return rec, &TDRecordError{Key: f.Key, Value: b}
			}
		}
	}
	if !top {
		return rec, nil
	}
	for i := range rec {
		switch x := rec[i].Value.(type) {
		case int64, uint64, int:
			rec[i].Value = record.ToS(x)
		case record.BigInt:
			rec[i].Value = string(x)
		}
	}
	return rec, nil
}

// findBigInt returns the first BigInt inside v (a Record or []any).
func findBigInt(v any) (record.BigInt, bool) {
	switch x := v.(type) {
	case record.BigInt:
		return x, true
	case record.Record:
		for _, f := range x {
			if b, ok := findBigInt(f.Value); ok {
				return b, true
			}
		}
	case []any:
		for _, e := range x {
			if b, ok := findBigInt(e); ok {
				return b, true
			}
		}
	}
	return "", false
}
