package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// dumpJSON re-serialises a JSON text as fluentd's literal parser does
// (JSON.parse, then JSON.dump): object keys keep their order (a repeated
// key keeps its first position and its last value), nothing is
// HTML-escaped, non-ASCII text stays UTF-8, integers keep every digit and
// other numbers become Floats printed by Float#to_s ("1e2" → 100.0).
func dumpJSON(data []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var b []byte
	b, err := dumpValue(b, dec)
	if err != nil {
		return "", err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", errors.New("unexpected data after the JSON value")
	}
	return string(b), nil
}

type member struct {
	key string
	val []byte
}

func dumpValue(dst []byte, dec *json.Decoder) ([]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		if x == '[' {
			dst = append(dst, '[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					dst = append(dst, ',')
				}
				if dst, err = dumpValue(dst, dec); err != nil {
					return nil, err
				}
			}
			_, err = dec.Token() // ]
			return append(dst, ']'), err
		}
		var ms []member
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := dumpValue(nil, dec)
			if err != nil {
				return nil, err
			}
			k := kt.(string)
			replaced := false
			for i := range ms {
				if ms[i].key == k {
					ms[i].val, replaced = v, true
				}
			}
			if !replaced {
				ms = append(ms, member{k, v})
			}
		}
		if _, err := dec.Token(); err != nil { // }
			return nil, err
		}
		dst = append(dst, '{')
		for i, m := range ms {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendRubyJSONString(dst, m.key)
			dst = append(dst, ':')
			dst = append(dst, m.val...)
		}
		return append(dst, '}'), nil
	case string:
		return appendRubyJSONString(dst, x), nil
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if s == "-0" {
				s = "0"
			}
			return append(dst, s...), nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s is not allowed in JSON (JSON.dump cannot write Infinity)", s)
		}
		return append(dst, RubyFloat(f)...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case nil:
		return append(dst, "null"...), nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// appendRubyJSONString writes s as Ruby's JSON generator does: only '"',
// '\\' and control characters are escaped (\b \f \n \r \t, others
// \u00xx in lower-case hex).
func appendRubyJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		case '\b':
			dst = append(dst, `\b`...)
		case '\f':
			dst = append(dst, `\f`...)
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}

// RubyFloat formats f as Ruby's Float#to_s: "1.0", "9.99", "1.0e+20",
// "1.0e-05", "Infinity", "NaN". fluentd uses it wherever a Float becomes
// text: JSON.dump of config values, to_s of record values, Oj output.
func RubyFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	if math.IsNaN(f) {
		return "NaN"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	neg := strings.HasPrefix(e, "-")
	if neg {
		e = e[1:]
	}
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1
	var out string
	switch {
	case decpt > 0 && decpt <= 16:
		if len(digits) <= decpt {
			out = digits + strings.Repeat("0", decpt-len(digits)) + ".0"
		} else {
			out = digits[:decpt] + "." + digits[decpt:]
		}
	case decpt <= 0 && decpt > -4:
		out = "0." + strings.Repeat("0", -decpt) + digits
	default:
		frac := digits[1:]
		if frac == "" {
			frac = "0"
		}
		out = fmt.Sprintf("%s.%se%+03d", digits[:1], frac, decpt-1)
	}
	if neg {
		out = "-" + out
	}
	return out
}
