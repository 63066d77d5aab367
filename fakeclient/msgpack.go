package fakeclient

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// maxDepth bounds the nesting of a record's values, so a map that contains
// itself is an error rather than a stack overflow. The fake Treasure Data
// refuses records nested deeper than 100.
const maxDepth = 1000

// EncodeTDRecords builds an import body for [TDAPI.Import] the way
// fluent-plugin-td does: the records msgpack-encoded one after another (no
// array around them), then gzip'd. Give each record an integer "time".
//
// Values are encoded as msgpack-ruby encodes fluentd's records: integers in
// their smallest form (non-negative ones unsigned), strings as str, and map
// keys sorted, so the same records give the same bytes. A value is nil, a
// bool, any integer or float type, a json.Number (so a [TDRecord] read back
// can be imported again), a string, a []byte (bin), a []any or []string
// (array), or a map[string]any or [TDRecord] (map); any other type is an
// error naming the record and the key.
func EncodeTDRecords(records ...map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	var p packer
	for i, r := range records {
		p.b = p.b[:0]
		if err := p.value(r, 0); err != nil {
			return nil, fmt.Errorf("encode record %d: %w", i, err)
		}
		if _, err := zw.Write(p.b); err != nil {
			return nil, fmt.Errorf("gzip record %d: %w", i, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip records: %w", err)
	}
	return buf.Bytes(), nil
}

// packer appends msgpack to b.
type packer struct{ b []byte }

func (p *packer) value(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nested deeper than %d", maxDepth)
	}
	switch v := v.(type) {
	case nil:
		p.b = append(p.b, 0xc0)
	case bool:
		if v {
			p.b = append(p.b, 0xc3)
		} else {
			p.b = append(p.b, 0xc2)
		}
	case int:
		p.int(int64(v))
	case int8:
		p.int(int64(v))
	case int16:
		p.int(int64(v))
	case int32:
		p.int(int64(v))
	case int64:
		p.int(v)
	case uint:
		p.uint(uint64(v))
	case uint8:
		p.uint(uint64(v))
	case uint16:
		p.uint(uint64(v))
	case uint32:
		p.uint(uint64(v))
	case uint64:
		p.uint(v)
	case float32:
		p.b = append(p.b, 0xca)
		p.b = binary.BigEndian.AppendUint32(p.b, math.Float32bits(v))
	case float64:
		p.float64(v)
	case json.Number:
		return p.number(v)
	case string:
		p.str(v)
	case []byte:
		p.bin(v)
	case []string:
		p.header(len(v), 0x90, 16, 0xdc)
		for _, s := range v {
			p.str(s)
		}
	case []any:
		p.header(len(v), 0x90, 16, 0xdc)
		for i, e := range v {
			if err := p.value(e, depth+1); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
	case TDRecord:
		return p.mapOf(v, depth)
	case map[string]any:
		return p.mapOf(v, depth)
	default:
		return fmt.Errorf("unsupported type %T (use nil, bool, a number, a string, []byte, []any or map[string]any)", v)
	}
	return nil
}

func (p *packer) mapOf(m map[string]any, depth int) error {
	p.header(len(m), 0x80, 16, 0xde)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.str(k)
		if err := p.value(m[k], depth+1); err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
	}
	return nil
}

// header appends an array or map header: the fix form (fix|n) below
// fixMax, else the 16-bit form (code16) or the 32-bit one (code16+1).
func (p *packer) header(n int, fix byte, fixMax int, code16 byte) {
	switch {
	case n < fixMax:
		p.b = append(p.b, fix|byte(n))
	case n <= math.MaxUint16:
		p.b = append(p.b, code16)
		p.b = binary.BigEndian.AppendUint16(p.b, uint16(n))
	default:
		p.b = append(p.b, code16+1)
		p.b = binary.BigEndian.AppendUint32(p.b, uint32(n))
	}
}

func (p *packer) str(s string) {
	switch n := len(s); {
	case n < 32:
		p.b = append(p.b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		p.b = append(p.b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		p.b = append(p.b, 0xda)
		p.b = binary.BigEndian.AppendUint16(p.b, uint16(n))
	default:
		p.b = append(p.b, 0xdb)
		p.b = binary.BigEndian.AppendUint32(p.b, uint32(n))
	}
	p.b = append(p.b, s...)
}

func (p *packer) bin(b []byte) {
	switch n := len(b); {
	case n <= math.MaxUint8:
		p.b = append(p.b, 0xc4, byte(n))
	case n <= math.MaxUint16:
		p.b = append(p.b, 0xc5)
		p.b = binary.BigEndian.AppendUint16(p.b, uint16(n))
	default:
		p.b = append(p.b, 0xc6)
		p.b = binary.BigEndian.AppendUint32(p.b, uint32(n))
	}
	p.b = append(p.b, b...)
}

// uint appends v in its smallest form: positive fixint, uint 8, 16, 32 or
// 64.
func (p *packer) uint(v uint64) {
	switch {
	case v <= 0x7f:
		p.b = append(p.b, byte(v))
	case v <= math.MaxUint8:
		p.b = append(p.b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		p.b = append(p.b, 0xcd)
		p.b = binary.BigEndian.AppendUint16(p.b, uint16(v))
	case v <= math.MaxUint32:
		p.b = append(p.b, 0xce)
		p.b = binary.BigEndian.AppendUint32(p.b, uint32(v))
	default:
		p.b = append(p.b, 0xcf)
		p.b = binary.BigEndian.AppendUint64(p.b, v)
	}
}

// int appends v in its smallest form, as msgpack-ruby does: a
// non-negative v as [packer.uint], a negative one as negative fixint, int
// 8, 16, 32 or 64.
func (p *packer) int(v int64) {
	switch {
	case v >= 0:
		p.uint(uint64(v))
	case v >= -32:
		p.b = append(p.b, byte(v))
	case v >= math.MinInt8:
		p.b = append(p.b, 0xd0, byte(v))
	case v >= math.MinInt16:
		p.b = append(p.b, 0xd1)
		p.b = binary.BigEndian.AppendUint16(p.b, uint16(v))
	case v >= math.MinInt32:
		p.b = append(p.b, 0xd2)
		p.b = binary.BigEndian.AppendUint32(p.b, uint32(v))
	default:
		p.b = append(p.b, 0xd3)
		p.b = binary.BigEndian.AppendUint64(p.b, uint64(v))
	}
}

func (p *packer) float64(v float64) {
	p.b = append(p.b, 0xcb)
	p.b = binary.BigEndian.AppendUint64(p.b, math.Float64bits(v))
}

// number appends a json.Number as an integer when it is one that fits 64
// bits, else as a float 64.
func (p *packer) number(n json.Number) error {
	s := string(n)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		p.int(i)
		return nil
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		p.uint(u)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("json.Number %q: not a number", s)
	}
	p.float64(f)
	return nil
}
