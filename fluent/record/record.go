// Package record holds the vocabulary the fluentd pieces share: a record
// as fluentd v0.12 holds it (an ordered Ruby Hash of decoded values), JSON
// read and written as Oj 2.18.3 does, Ruby's to_s and inspect of those
// values, and the kinds of loss (DropKind). The wire protocol
// (fluent/forward), the Docker driver (fluent/docker), the router and the
// outputs all use it; it depends on none of them.
package record

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/devenv-sh/devenv/fluent/config"
)

// Record is a fluentd record (a Ruby Hash): an ordered list of fields. The
// order is the order keys were first set, as in Ruby, so the JSON written
// to S3 has the application's key order with "time" appended last.
//
// Values are nil, bool, int64, uint64, float64, BigInt, string, []byte,
// Record (a nested object) or []any (an array).
type Record []Field

// Field is one key/value pair of a Record.
type Field struct {
	Key   string
	Value any
}

// BigInt is an integer outside int64/uint64 range, kept as its decimal text
// (Oj parses it as a Ruby Bignum).
type BigInt string

// Get returns the value of key and whether it is present.
func (r Record) Get(key string) (any, bool) {
	for i := range r {
		if r[i].Key == key {
			return r[i].Value, true
		}
	}
	return nil, false
}

// Set sets key to v, keeping the key's position if it exists (Ruby Hash
// semantics) and appending it otherwise.
func (r *Record) Set(key string, v any) {
	for i := range *r {
		if (*r)[i].Key == key {
			(*r)[i].Value = v
			return
		}
	}
	*r = append(*r, Field{Key: key, Value: v})
}

// Delete removes key and returns its value and whether it was present.
func (r *Record) Delete(key string) (any, bool) {
	for i := range *r {
		if (*r)[i].Key == key {
			v := (*r)[i].Value
			*r = append((*r)[:i:i], (*r)[i+1:]...)
			return v, true
		}
	}
	return nil, false
}

// Clone returns a shallow copy of r (nested values are shared).
func (r Record) Clone() Record {
	if r == nil {
		return nil
	}
	return append(make(Record, 0, len(r)+1), r...)
}

// RecordFromMap builds a Record from a Go map, with keys in sorted order
// (a Go map has no order). Nested map[string]any values are converted too.
func RecordFromMap(m map[string]any) Record {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	r := make(Record, 0, len(m))
	for _, k := range keys {
		r = append(r, Field{Key: k, Value: fromGo(m[k])})
	}
	return r
}

func fromGo(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return RecordFromMap(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = fromGo(x[i])
		}
		return out
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}

// ---- JSON (Oj 2.18.3 compat mode) ----

// ErrJSONSyntax is returned (wrapped) by ParseJSON for malformed input.
var ErrJSONSyntax = errors.New("invalid JSON")

// ParseJSON parses one JSON value the way Oj.load in compat mode does
// (Oj 2.18.3, the production image's, with fluentd's bigdecimal_load
// :float): objects become Record (duplicate keys: last value wins, first
// position kept), integers int64 (uint64 or BigInt when larger), other
// numbers float64 (past float range: ±Inf). Oj's extensions are accepted:
// `/* */` and `//` comments before the value and between its tokens,
// NaN (also "nan", "Nan", "naN"), Infinity and -Infinity, a form feed as
// whitespace, and raw control characters other than NUL inside strings. A
// \u escape of a UTF-16 surrogate must be followed by another \u escape,
// which Oj combines with it without checking its range; a lone surrogate
// (`"\ud800"`) is a parse error. Surrounding whitespace is allowed;
// anything else after the value, a comment included, is an error.
func ParseJSON(data []byte) (any, error) {
	return ParseJSONString(string(data))
}

// ParseJSONString is ParseJSON on a string; strings in the result may
// share memory with data.
func ParseJSONString(data string) (any, error) {
	d := jsonDec{s: data}
	if err := d.ws(); err != nil {
		return nil, err
	}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.blank()
	if d.i != len(d.s) {
		return nil, fmt.Errorf("%w: unexpected %q after value at offset %d", ErrJSONSyntax, d.s[d.i], d.i)
	}
	return v, nil
}

type jsonDec struct {
	s string
	i int
}

// blank skips Oj's whitespace: space, \t, \n, \r and \f.
func (d *jsonDec) blank() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r', '\f':
			d.i++
		default:
			return
		}
	}
}

// ws skips whitespace and comments between tokens: `/* … */`, and `//` up
// to a line end (\n, \r or \f) or the end of the input. A '/' starting
// neither, or an unterminated `/*`, is an error.
func (d *jsonDec) ws() error {
	for {
		d.blank()
		if d.i >= len(d.s) || d.s[d.i] != '/' {
			return nil
		}
		if d.i+1 >= len(d.s) {
			return d.errf("invalid comment format")
		}
		switch d.s[d.i+1] {
		case '*':
			end := strings.Index(d.s[d.i+2:], "*/")
			if end < 0 {
				return d.errf("comment not terminated")
			}
			d.i += 2 + end + 2
		case '/':
			d.i += 2
			for d.i < len(d.s) && d.s[d.i] != '\n' && d.s[d.i] != '\r' && d.s[d.i] != '\f' {
				d.i++
			}
		default:
			return d.errf("invalid comment format")
		}
	}
}

func (d *jsonDec) errf(msg string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrJSONSyntax, msg, d.i)
}

func (d *jsonDec) value(depth int) (any, error) {
	if depth > 1000 {
		return nil, d.errf("nesting too deep")
	}
	if d.i >= len(d.s) {
		return nil, d.errf("unexpected end of input")
	}
	switch c := d.s[d.i]; {
	case c == '{':
		d.i++
		rec := make(Record, 0, 8)
		if err := d.ws(); err != nil {
			return nil, err
		}
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return rec, nil
		}
		for {
			if err := d.ws(); err != nil {
				return nil, err
			}
			if d.i >= len(d.s) || d.s[d.i] != '"' {
				return nil, d.errf("expected object key")
			}
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			if err := d.ws(); err != nil {
				return nil, err
			}
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				return nil, d.errf("expected ':'")
			}
			d.i++
			if err := d.ws(); err != nil {
				return nil, err
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			rec.Set(k, v)
			if err := d.ws(); err != nil {
				return nil, err
			}
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == '}' {
				d.i++
				return rec, nil
			}
			return nil, d.errf("expected ',' or '}'")
		}
	case c == '[':
		d.i++
		arr := []any{}
		if err := d.ws(); err != nil {
			return nil, err
		}
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return arr, nil
		}
		for {
			if err := d.ws(); err != nil {
				return nil, err
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			if err := d.ws(); err != nil {
				return nil, err
			}
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == ']' {
				d.i++
				return arr, nil
			}
			return nil, d.errf("expected ',' or ']'")
		}
	case c == '"':
		return d.str()
	case c == 't':
		return d.lit("true", true)
	case c == 'f':
		return d.lit("false", false)
	case c == 'n' && d.i+1 < len(d.s) && d.s[d.i+1] == 'u':
		return d.lit("null", nil)
	case c == 'I' || c == 'N' || c == 'n':
		return d.special(false)
	case c == '-' && d.i+1 < len(d.s) && (d.s[d.i+1] == 'I' || d.s[d.i+1] == 'N' || d.s[d.i+1] == 'n'):
		d.i++
		return d.special(true)
	case c == '-' || c >= '0' && c <= '9':
		return d.num()
	}
	return nil, d.errf(fmt.Sprintf("unexpected character %q", d.s[d.i]))
}

func (d *jsonDec) lit(word string, v any) (any, error) {
	if !strings.HasPrefix(d.s[d.i:], word) {
		return nil, d.errf("invalid literal")
	}
	d.i += len(word)
	return v, nil
}

// special reads Oj's Infinity (exact case) and NaN (the 'a' lower-case,
// either case for the N's); neg is a '-' already consumed, which makes
// -Infinity and leaves NaN a NaN.
func (d *jsonDec) special(neg bool) (any, error) {
	rest := d.s[d.i:]
	if strings.HasPrefix(rest, "Infinity") {
		d.i += len("Infinity")
		if neg {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	}
	if len(rest) >= 3 && (rest[0] == 'N' || rest[0] == 'n') && rest[1] == 'a' && (rest[2] == 'N' || rest[2] == 'n') {
		d.i += 3
		return math.NaN(), nil
	}
	return nil, d.errf("not a number or other value")
}

// num reads a number. As Oj decides Integer or Float by the fraction and
// the exponent's value, not by their presence, a number without a fraction
// whose exponent is zero ("5e0", "5E+00") is the Integer of its digits.
func (d *jsonDec) num() (any, error) {
	start := d.i
	if d.s[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	if d.i == digits {
		return nil, d.errf("invalid number")
	}
	mantEnd := d.i
	frac, exp := false, false
	if d.i < len(d.s) && d.s[d.i] == '.' {
		frac = true
		d.i++
		fs := d.i
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			d.i++
		}
		if d.i == fs {
			return nil, d.errf("invalid number")
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		es := d.i
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			exp = exp || d.s[d.i] != '0'
			d.i++
		}
		if d.i == es {
			return nil, d.errf("invalid number")
		}
	}
	text := d.s[start:d.i]
	if frac || exp {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, d.errf("invalid number")
		}
		return f, nil
	}
	text = d.s[start:mantEnd]
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	if n, err := strconv.ParseUint(text, 10, 64); err == nil {
		return n, nil
	}
	return BigInt(text), nil
}

func (d *jsonDec) str() (string, error) {
	d.i++ // opening quote
	start := d.i
	// fast path: no escapes
	for d.i < len(d.s) {
		c := d.s[d.i]
		if c == '"' {
			s := d.s[start:d.i]
			d.i++
			return s, nil
		}
		if c == '\\' || c == 0 {
			break
		}
		d.i++
	}
	var b strings.Builder
	b.WriteString(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return b.String(), nil
		case c == 0:
			return "", d.errf("NULL byte in string")
		case c == '\\':
			if d.i+1 >= len(d.s) {
				return "", d.errf("unterminated string")
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.errf("invalid hex character")
				}
				if r >= 0xD800 && r <= 0xDFFF {
					// Oj: a surrogate must be followed by \u; the two are
					// combined as a pair without checking the second's range.
					if d.i+1 >= len(d.s) || d.s[d.i] != '\\' || d.s[d.i+1] != 'u' {
						return "", d.errf("invalid escaped character (lone surrogate)")
					}
					d.i += 2
					r2, ok := d.hex4()
					if !ok {
						return "", d.errf("invalid hex character")
					}
					r = ((r-0xD800)&0x3FF)<<10 | (r2-0xDC00)&0x3FF + 0x10000
				}
				b.WriteRune(r)
			default:
				return "", d.errf("invalid escape")
			}
		default:
			b.WriteByte(c)
			d.i++
		}
	}
	return "", d.errf("unterminated string")
}

func (d *jsonDec) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

// AppendJSON appends v as compact JSON as Oj.dump in compat mode writes it
// (Oj 2.18.3, fluentd's JSONFormatter: `format json` of out_s3 and
// out_stdout): non-ASCII kept as UTF-8, floats as OjFloat, Bignums as
// their digits. Key order is the Record's order.
func AppendJSON(dst []byte, v any) []byte { return appendJSON(dst, v, false) }

// AppendYajlJSON appends v as Yajl.dump writes it (out_file's formatter):
// as AppendJSON, but floats are Ruby's Float#to_s ("1.0e+16"). Yajl raises
// on NaN and Infinity; those are written null here.
func AppendYajlJSON(dst []byte, v any) []byte { return appendJSON(dst, v, true) }

func appendJSON(dst []byte, v any, yajl bool) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, x)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case uint64:
		return strconv.AppendUint(dst, x, 10)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case float64:
		if !yajl {
			return AppendOjFloat(dst, x)
		}
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return append(dst, "null"...)
		}
		return append(dst, RubyFloat(x)...)
	case BigInt:
		return append(dst, x...)
	case string:
		return appendJSONString(dst, x)
	case []byte:
		return appendJSONString(dst, string(x))
	case Record:
		dst = append(dst, '{')
		for i, f := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.Key)
			dst = append(dst, ':')
			dst = appendJSON(dst, f.Value, yajl)
		}
		return append(dst, '}')
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, e, yajl)
		}
		return append(dst, ']')
	case map[string]any:
		return appendJSON(dst, RecordFromMap(x), yajl)
	}
	return appendJSONString(dst, fmt.Sprint(v))
}

// AppendOjFloat appends f as Oj 2.18.3's dump_float writes it in compat
// mode with the default float_prec of 15: 0.0 (and -0.0) as "0.0";
// Infinity, -Infinity and NaN as those words; a value a C long long holds
// exactly (d == (double)(long long)d on x86-64, where an out-of-range
// conversion gives INT64_MIN) with printf "%.1f" ("10000000000000000.0" for
// 1e16); anything else with printf "%0.15g" ("9.99", "0.3" for
// 0.30000000000000004, "1e+20", "1e-05").
func AppendOjFloat(dst []byte, f float64) []byte {
	switch {
	case f == 0:
		return append(dst, "0.0"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case f >= -(1<<63) && f < 1<<63 && float64(int64(f)) == f:
		return strconv.AppendFloat(dst, f, 'f', 1, 64)
	}
	// Go's 'g' with precision 15 is C's %.15g: 15 significant digits,
	// trailing zeros dropped, exponent form when the exponent is < -4 or
	// >= 15, at least two exponent digits.
	return strconv.AppendFloat(dst, f, 'g', 15, 64)
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// RubyFloat formats f as Ruby's Float#to_s: "1.0", "9.99", "1.0e+20",
// "1.0e-05" (it is config.RubyFloat).
func RubyFloat(f float64) string { return config.RubyFloat(f) }

// ToS renders v as Ruby's `to_s` does (Ruby 2.5): nil → "", numbers as
// digits, floats as Float#to_s, booleans "true"/"false", arrays and hashes
// in inspect form (`["EVENT"]`, `{"k"=>"v"}`).
func ToS(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	}
	return string(AppendInspect(nil, v))
}

func AppendInspect(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "nil"...)
	case bool:
		return strconv.AppendBool(dst, x)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case uint64:
		return strconv.AppendUint(dst, x, 10)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case float64:
		return append(dst, RubyFloat(x)...)
	case BigInt:
		return append(dst, x...)
	case string:
		return appendRubyInspectString(dst, x)
	case []byte:
		return appendRubyInspectString(dst, string(x))
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = AppendInspect(dst, e)
		}
		return append(dst, ']')
	case Record:
		dst = append(dst, '{')
		for i, f := range x {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendRubyInspectString(dst, f.Key)
			dst = append(dst, "=>"...)
			dst = AppendInspect(dst, f.Value)
		}
		return append(dst, '}')
	}
	return append(dst, fmt.Sprint(v)...)
}

func appendRubyInspectString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i, r := range s {
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '#' && i+1 < len(s) && (s[i+1] == '{' || s[i+1] == '$' || s[i+1] == '@'):
			dst = append(dst, '\\', '#')
		case r == '\n':
			dst = append(dst, `\n`...)
		case r == '\t':
			dst = append(dst, `\t`...)
		case r == '\r':
			dst = append(dst, `\r`...)
		case r == '\f':
			dst = append(dst, `\f`...)
		case r == '\v':
			dst = append(dst, `\v`...)
		case r == '\b':
			dst = append(dst, `\b`...)
		case r == 0x07:
			dst = append(dst, `\a`...)
		case r == 0x1b:
			dst = append(dst, `\e`...)
		case r == utf8.RuneError:
			dst = append(dst, fmt.Sprintf(`\x%02X`, s[i])...)
		case r < 0x20 || r == 0x7f:
			dst = append(dst, fmt.Sprintf(`\x%02X`, r)...)
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}

// DropKind says how visible a drop is in fluentd's operation.
type DropKind string

// Drop kinds, from invisible to loud (spec §5 simulator note 1).
const (
	// DropSilent: gone with no log line (rewrite_tag_filter with no rule
	// firing, out_null).
	DropSilent DropKind = "silent"
	// DropWarning: gone with a warn-level log line (filter_parser errors,
	// "no patterns matched", TD's skipped broken record).
	DropWarning DropKind = "warning"
	// DropError: gone with an error-level log line on every event (forest
	// plant failures, re-emit loops).
	DropError DropKind = "error"
	// DropConnectionClosed: the emit raised into in_forward, which logs
	// "forward error" and closes the client's TCP connection; later events
	// in the same read buffer are lost too.
	DropConnectionClosed DropKind = "connection closed"
)
