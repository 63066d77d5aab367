package router

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/devenv-sh/devenv/fluent/record"
)

// errToIRange is returned by rubyToI for a value Ruby would turn into a
// Bignum (outside int64): fluentd would carry it on as the event time,
// which no output can format, so the caller reports it.
var errToIRange = fmt.Errorf("integer out of range for an event time")

// rubyToI is Ruby's `value.to_i` for a value decoded from JSON or msgpack:
// Integer → itself, Float → truncated toward zero (NaN and Infinity raise
// FloatDomainError), String → String#to_i (see rubyStringToI), anything else
// (true, Hash, Array) has no to_i and raises NoMethodError. The error text is
// "ErrorClass: message" as fluentd logs it.
func rubyToI(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, errToIRange
		}
		return int64(x), nil
	case record.BigInt:
		return 0, errToIRange
	case float64:
		if math.IsNaN(x) {
			return 0, fmt.Errorf("FloatDomainError: NaN")
		}
		if math.IsInf(x, 0) {
			if x > 0 {
				return 0, fmt.Errorf("FloatDomainError: Infinity")
			}
			return 0, fmt.Errorf("FloatDomainError: -Infinity")
		}
		t := math.Trunc(x)
		if t < math.MinInt64 || t >= math.MaxInt64 {
			return 0, errToIRange
		}
		return int64(t), nil
	case string:
		return rubyStringToI(x)
	case []byte:
		return rubyStringToI(string(x))
	case nil:
		return 0, nil // NilClass#to_i
	}
	return 0, fmt.Errorf("NoMethodError: undefined method `to_i' for %s:%s", rubyInspect(v), rubyClassName(v))
}

// rubyStringToI is Ruby's String#to_i (base 10, rb_cstr_to_inum without
// badcheck): leading whitespace (space, \t, \n, \v, \f, \r) is skipped, then
// an optional sign, an optional "0d"/"0D" prefix, then decimal digits where
// a single underscore may separate two digits. Scanning stops at the first
// other character; no digits at all gives 0. "2024-01-02T03:04:05Z" → 2024,
// "  -12_3abc" → -123, "1__2" → 1, "_1" → 0, "abc" → 0.
func rubyStringToI(s string) (int64, error) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'd' || s[i+1] == 'D') {
		i += 2
	}
	digits := make([]byte, 0, 20)
	for i < len(s) {
		c := s[i]
		if c >= '0' && c <= '9' {
			digits = append(digits, c)
			i++
			continue
		}
		// An underscore counts only between two digits.
		if c == '_' && len(digits) > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	if len(digits) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil || (!neg && n > math.MaxInt64) || (neg && n > 1<<63) {
		return 0, errToIRange
	}
	if neg {
		return int64(-n), nil
	}
	return int64(n), nil
}

// rubyInspect is Ruby's inspect for a decoded value (strings quoted).
func rubyInspect(v any) string {
	return string(record.AppendInspect(nil, v))
}

// rubyClassName is the Ruby class name of a decoded value.
func rubyClassName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NilClass"
	case bool:
		if x {
			return "TrueClass"
		}
		return "FalseClass"
	case record.Record:
		return "Hash"
	}
	return rubyClass(v)
}

// rubySplit is Ruby's String#split(sep) with a non-space string separator:
// pieces are not trimmed, empty pieces are kept except trailing ones, and
// "" splits into no pieces. "a.b." → [a b], "a,,b" → [a "" b].
func rubySplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// rubyStringToF is Ruby's String#to_f: leading whitespace, then the longest
// prefix of the form [+-]digits[.digits][e[+-]digits] (single underscores
// between digits allowed, the integer part may be empty before a fraction)
// is read; nothing readable gives 0. "1.5" → 1.5, ".5" → 0.5, "1e3x" →
// 1000, "1." → 1, "abc" → 0.
func rubyStringToF(s string) float64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	var b []byte
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		b = append(b, s[i])
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) {
			if s[i] >= '0' && s[i] <= '9' {
				b = append(b, s[i])
				i++
				n++
				continue
			}
			if s[i] == '_' && n > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				i++
				continue
			}
			break
		}
		return n
	}
	intDigits := digits()
	fracDigits := 0
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		b = append(b, '.')
		i++
		fracDigits = digits()
	}
	if intDigits+fracDigits == 0 {
		return 0
	}
	if i+1 < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			b = append(b, 'e')
			b = append(b, s[i+1:j]...)
			i = j
			digits()
		}
	}
	f, _ := strconv.ParseFloat(string(b), 64) // out of range: ±Inf or 0, as Ruby
	return f
}
