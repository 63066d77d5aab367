package td

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// decodeRecord turns the msgpack encoding of one record (as checked by
// DecodeImport) into a Record.
func decodeRecord(raw []byte) (Record, error) {
	dec := msgpack.NewDecoder(bytes.NewReader(raw))
	v, err := jsonValue(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("decode stored record: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decode stored record: not a map")
	}
	return Record(m), nil
}

func jsonValue(dec *msgpack.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("values nested deeper than %d levels", maxDepth)
	}
	c, err := dec.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case isMap(c):
		n, err := dec.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, min(n, 64))
		for range n {
			k, err := jsonValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			v, err := jsonValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			m[keyString(k)] = v
		}
		return m, nil
	case isArray(c):
		n, err := dec.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		s := make([]any, 0, min(n, 64))
		for range n {
			v, err := jsonValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case msgpcode.IsBin(c):
		b, err := dec.DecodeBytes()
		if err != nil {
			return nil, err
		}
		if utf8.Valid(b) {
			return string(b), nil
		}
		return b, nil
	case msgpcode.IsExt(c):
		id, n, err := dec.DecodeExtHeader()
		if err != nil {
			return nil, err
		}
		data := make([]byte, n)
		if err := dec.ReadFull(data); err != nil {
			return nil, err
		}
		if t, ok := timestampExt(id, data); ok {
			return t.UTC().Format(time.RFC3339Nano), nil
		}
		return map[string]any{"ext_type": id, "data": data}, nil
	case isInt(c):
		if c >= msgpcode.Uint8 && c <= msgpcode.Uint64 {
			return dec.DecodeUint64()
		}
		return dec.DecodeInt64()
	}
	v, err := dec.DecodeInterface()
	if err != nil {
		return nil, err
	}
	return jsonFloat(v), nil
}

// jsonFloat turns the floats JSON cannot carry (NaN, ±Inf) into strings.
func jsonFloat(v any) any {
	var f float64
	switch x := v.(type) {
	case float32:
		f = float64(x)
	case float64:
		f = x
	default:
		return v
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return v
}

// timestampExt decodes the msgpack timestamp extension (type -1).
func timestampExt(id int8, b []byte) (time.Time, bool) {
	if id != -1 {
		return time.Time{}, false
	}
	be := func(b []byte) uint64 {
		var v uint64
		for _, x := range b {
			v = v<<8 | uint64(x)
		}
		return v
	}
	switch len(b) {
	case 4:
		return time.Unix(int64(be(b)), 0), true
	case 8:
		v := be(b)
		return time.Unix(int64(v&(1<<34-1)), int64(v>>34)), true
	case 12:
		return time.Unix(int64(be(b[4:])), int64(be(b[:4]))), true
	}
	return time.Time{}, false
}

func keyString(k any) string {
	switch k := k.(type) {
	case string:
		return k
	case []byte:
		return base64.StdEncoding.EncodeToString(k)
	case int64:
		return strconv.FormatInt(k, 10)
	case uint64:
		return strconv.FormatUint(k, 10)
	}
	return fmt.Sprint(k)
}
