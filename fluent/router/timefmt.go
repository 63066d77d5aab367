package router

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Strftime formats t with a Ruby strftime format. Supported: %Y %C %y %m
// %d %e %j %H %k %I %l %M %S %L %N %p %P %a %A %b %h %B %z %:z %Z %s %F %T
// %D %R %u %w %n %t %%. An unknown directive is copied as written (Ruby
// does the same). %Y is zero-padded to 4 digits, 5 characters with the
// sign before year 0 (Ruby: year 0 is "0000", 1 BC "-0001"); %C and %y are
// the floored quotient and remainder by 100 (year -1: "-1", "99").
func Strftime(t time.Time, format string) string {
	return string(AppendStrftime(nil, t, format))
}

// AppendStrftime is Strftime appending to dst.
func AppendStrftime(dst []byte, t time.Time, format string) []byte {
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			dst = append(dst, c)
			continue
		}
		i++
		switch format[i] {
		case 'Y':
			dst = appendYear(dst, t.Year())
		case 'C':
			dst = pad(dst, floorDiv(t.Year(), 100), 2, '0')
		case 'y':
			dst = pad(dst, t.Year()-floorDiv(t.Year(), 100)*100, 2, '0')
		case 'm':
			dst = pad(dst, int(t.Month()), 2, '0')
		case 'd':
			dst = pad(dst, t.Day(), 2, '0')
		case 'e':
			dst = pad(dst, t.Day(), 2, ' ')
		case 'j':
			dst = pad(dst, t.YearDay(), 3, '0')
		case 'H':
			dst = pad(dst, t.Hour(), 2, '0')
		case 'k':
			dst = pad(dst, t.Hour(), 2, ' ')
		case 'I', 'l':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			if format[i] == 'I' {
				dst = pad(dst, h, 2, '0')
			} else {
				dst = pad(dst, h, 2, ' ')
			}
		case 'M':
			dst = pad(dst, t.Minute(), 2, '0')
		case 'S':
			dst = pad(dst, t.Second(), 2, '0')
		case 'L':
			dst = pad(dst, t.Nanosecond()/1e6, 3, '0')
		case 'N':
			dst = pad(dst, t.Nanosecond(), 9, '0')
		case 'p':
			if t.Hour() < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'P':
			if t.Hour() < 12 {
				dst = append(dst, "am"...)
			} else {
				dst = append(dst, "pm"...)
			}
		case 'a':
			dst = append(dst, t.Weekday().String()[:3]...)
		case 'A':
			dst = append(dst, t.Weekday().String()...)
		case 'b', 'h':
			dst = append(dst, t.Month().String()[:3]...)
		case 'B':
			dst = append(dst, t.Month().String()...)
		case 'z':
			dst = appendZone(dst, t, false)
		case ':':
			if i+1 < len(format) && format[i+1] == 'z' {
				i++
				dst = appendZone(dst, t, true)
			} else {
				dst = append(dst, '%', ':')
			}
		case 'Z':
			name, _ := t.Zone()
			dst = append(dst, name...)
		case 's':
			dst = strconv.AppendInt(dst, t.Unix(), 10)
		case 'F':
			dst = AppendStrftime(dst, t, "%Y-%m-%d")
		case 'T':
			dst = AppendStrftime(dst, t, "%H:%M:%S")
		case 'D':
			dst = AppendStrftime(dst, t, "%m/%d/%y")
		case 'R':
			dst = AppendStrftime(dst, t, "%H:%M")
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			dst = strconv.AppendInt(dst, int64(wd), 10)
		case 'w':
			dst = strconv.AppendInt(dst, int64(t.Weekday()), 10)
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case '%':
			dst = append(dst, '%')
		default:
			dst = append(dst, '%', format[i])
		}
	}
	return dst
}

// appendYear is Ruby's %Y: at least 4 digits, and the '-' of a year before
// 0 counts toward a width of 5.
func appendYear(dst []byte, y int) []byte {
	if y < 0 {
		return pad(append(dst, '-'), -y, 4, '0')
	}
	return pad(dst, y, 4, '0')
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func pad(dst []byte, n, width int, p byte) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		dst = append(dst, p)
	}
	return append(dst, s...)
}

func appendZone(dst []byte, t time.Time, colon bool) []byte {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	dst = append(dst, sign)
	dst = pad(dst, off/3600, 2, '0')
	if colon {
		dst = append(dst, ':')
	}
	return pad(dst, off/60%60, 2, '0')
}

var errStrptime = errors.New("invalid time format")

// Strptime parses s with a Ruby strptime format as Ruby's Time.strptime
// does: numeric fields accept fewer digits than their width (no zero
// padding needed), a space in the format matches any run of whitespace,
// literal characters must match exactly, and text after the format is
// ignored. Without %z/%Z/%s the time is read in loc.
func Strptime(s, format string, loc *time.Location) (time.Time, error) {
	year, mon, day, hour, min, sec, nsec := 1970, 1, 1, 0, 0, 0, 0
	haveYear := false
	var zone *time.Location
	var epoch *int64
	pm := -1
	j := 0
	num := func(maxw int, signed bool) (int, bool) {
		st := j
		neg := false
		if signed && j < len(s) && (s[j] == '-' || s[j] == '+') {
			neg = s[j] == '-'
			j++
		}
		ds := j
		for j < len(s) && j-ds < maxw && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == ds {
			j = st
			return 0, false
		}
		n, _ := strconv.Atoi(s[ds:j])
		if neg {
			n = -n
		}
		return n, true
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == ' ' || c == '\t' || c == '\n' {
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r' || s[j] == '\f' || s[j] == '\v') {
				j++
			}
			continue
		}
		if c != '%' || i+1 >= len(format) {
			if j >= len(s) || s[j] != c {
				return time.Time{}, errStrptime
			}
			j++
			continue
		}
		i++
		var ok bool
		switch format[i] {
		case 'Y':
			w := 10
			if i+1 < len(format) && format[i+1] == '%' {
				w = 4
			}
			year, ok = num(w, true)
			haveYear = ok
		case 'y':
			var y int
			y, ok = num(2, false)
			if y < 69 {
				year = 2000 + y
			} else {
				year = 1900 + y
			}
			haveYear = ok
		case 'm':
			mon, ok = num(2, false)
			ok = ok && mon >= 1 && mon <= 12
		case 'd', 'e':
			if format[i] == 'e' && j < len(s) && s[j] == ' ' {
				j++
			}
			day, ok = num(2, false)
			ok = ok && day >= 1 && day <= 31
		case 'H', 'k':
			hour, ok = num(2, false)
			ok = ok && hour <= 24
		case 'I', 'l':
			hour, ok = num(2, false)
			ok = ok && hour >= 1 && hour <= 12
		case 'M':
			min, ok = num(2, false)
			ok = ok && min <= 59
		case 'S':
			sec, ok = num(2, false)
			ok = ok && sec <= 60
		case 'L', 'N':
			st := j
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			ok = j > st
			if ok {
				frac := s[st:j]
				if len(frac) > 9 {
					frac = frac[:9]
				}
				n, _ := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
				nsec = n
			}
		case 'p', 'P':
			if j+1 < len(s) {
				switch strings.ToLower(s[j : j+2]) {
				case "am":
					pm, ok = 0, true
				case "pm":
					pm, ok = 1, true
				}
				j += 2
			}
		case 'b', 'h', 'B':
			for m := time.January; m <= time.December; m++ {
				name := m.String()
				if len(s)-j >= len(name) && strings.EqualFold(s[j:j+len(name)], name) {
					mon, ok = int(m), true
					j += len(name)
					break
				}
				if len(s)-j >= 3 && strings.EqualFold(s[j:j+3], name[:3]) {
					mon, ok = int(m), true
					j += 3
					break
				}
			}
		case 'a', 'A':
			for d := time.Sunday; d <= time.Saturday; d++ {
				name := d.String()
				if len(s)-j >= len(name) && strings.EqualFold(s[j:j+len(name)], name) {
					ok = true
					j += len(name)
					break
				}
				if len(s)-j >= 3 && strings.EqualFold(s[j:j+3], name[:3]) {
					ok = true
					j += 3
					break
				}
			}
		case 'j':
			var yd int
			yd, ok = num(3, false)
			if ok {
				mon, day = 1, yd
			}
		case 'z', 'Z':
			zone, ok = parseZone(s, &j)
		case 's':
			var n int
			n, ok = num(20, true)
			e := int64(n)
			epoch = &e
		case 'F':
			t, err := Strptime(s[j:], "%Y-%m-%d", time.UTC)
			ok = err == nil
			if ok {
				year, mon, day, haveYear = t.Year(), int(t.Month()), t.Day(), true
				j += consumed(s[j:], "%Y-%m-%d")
			}
		case 'T':
			t, err := Strptime(s[j:], "%H:%M:%S", time.UTC)
			ok = err == nil
			if ok {
				hour, min, sec = t.Hour(), t.Minute(), t.Second()
				j += consumed(s[j:], "%H:%M:%S")
			}
		case '%':
			ok = j < len(s) && s[j] == '%'
			j++
		default:
			return time.Time{}, fmt.Errorf("%w: unsupported directive %%%c", errStrptime, format[i])
		}
		if !ok {
			return time.Time{}, errStrptime
		}
	}
	if epoch != nil {
		return time.Unix(*epoch, 0).In(loc), nil
	}
	if pm == 1 && hour < 12 {
		hour += 12
	} else if pm == 0 && hour == 12 {
		hour = 0
	}
	_ = haveYear
	if zone != nil {
		loc = zone
	}
	return time.Date(year, time.Month(mon), day, hour, min, sec, nsec, loc), nil
}

// consumed returns how many bytes of s a simple numeric format consumes.
func consumed(s, format string) int {
	n := 0
	for i := 0; i < len(format); i++ {
		if format[i] == '%' {
			i++
			for k := 0; n < len(s) && s[n] >= '0' && s[n] <= '9' && k < 4; k++ {
				n++
			}
			continue
		}
		if n < len(s) && s[n] == format[i] {
			n++
		}
	}
	return n
}

func parseZone(s string, j *int) (*time.Location, bool) {
	rest := s[*j:]
	if strings.HasPrefix(rest, "Z") || strings.HasPrefix(rest, "z") {
		*j++
		return time.UTC, true
	}
	if strings.HasPrefix(rest, "UTC") || strings.HasPrefix(rest, "GMT") {
		*j += 3
		return time.UTC, true
	}
	if len(rest) < 3 || (rest[0] != '+' && rest[0] != '-') {
		return nil, false
	}
	sign := 1
	if rest[0] == '-' {
		sign = -1
	}
	k := 1
	hh, err := strconv.Atoi(rest[k : k+2])
	if err != nil {
		return nil, false
	}
	k += 2
	if k < len(rest) && rest[k] == ':' {
		k++
	}
	mm := 0
	if k+2 <= len(rest) {
		if v, err := strconv.Atoi(rest[k : k+2]); err == nil {
			mm = v
			k += 2
		}
	}
	*j += k
	return time.FixedZone("", sign*(hh*3600+mm*60)), true
}

// ParseDuration reads a :time parameter as fluentd v0.12 does
// (Config.time_value, FD012 lib/fluent/config/types.rb): the first of the
// unanchored regexps /([0-9]+)s/, /([0-9]+)m/, /([0-9]+)h/, /([0-9]+)d/
// that matches anywhere in the text gives digits × unit; otherwise the
// text's String#to_f is a number of seconds. So "600s" is 600 s and "1.5" is
// 1.5 s, but "0.5s" is 5 s, "1.5h" is 5 h, "10ms" is 10 minutes and "soon"
// is 0. fluentd never rejects a value, so the error is always nil (the
// signature is kept for callers that check it).
func ParseDuration(v string) (time.Duration, error) {
	return timeValue(v), nil
}

// ParseSize reads a :size parameter as fluentd v0.12 does
// (Config.size_value): the first of /([0-9]+)k/i, /([0-9]+)m/i,
// /([0-9]+)g/i, /([0-9]+)t/i matching anywhere gives digits × 1024^n;
// otherwise String#to_i. "128m" and "128mb" are 134217728, "1.5k" is 5120,
// "8 MB" is 8 (no digit directly before the M). The error is always nil.
func ParseSize(v string) (int64, error) {
	return sizeValue(v), nil
}

// ParseBool reads a :bool parameter as fluentd v0.12 does
// (Config.bool_value): "true", "yes" and "" (a bare flag) are true; "false",
// "no" and anything else (nil in Ruby, falsy) are false. The comparison is
// exact: "True" is false. The error is always nil.
func ParseBool(v string) (bool, error) {
	return boolValue(v), nil
}

func boolValue(v string) bool {
	return v == "true" || v == "yes" || v == ""
}

func timeValue(v string) time.Duration {
	for _, u := range []struct {
		c    byte
		unit time.Duration
	}{{'s', time.Second}, {'m', time.Minute}, {'h', time.Hour}, {'d', 24 * time.Hour}} {
		if n, ok := digitsBefore(v, u.c, false); ok {
			if n > math.MaxInt64/int64(u.unit) {
				return math.MaxInt64
			}
			return time.Duration(n) * u.unit
		}
	}
	return time.Duration(rubyStringToF(v) * float64(time.Second))
}

func sizeValue(v string) int64 {
	for i, c := range []byte{'k', 'm', 'g', 't'} {
		if n, ok := digitsBefore(v, c, true); ok {
			shift := 10 * (i + 1)
			if n > math.MaxInt64>>shift {
				return math.MaxInt64
			}
			return n << shift
		}
	}
	n, _ := rubyStringToI(v)
	return n
}

// digitsBefore finds Ruby's first match of /([0-9]+)c/ (or /…/i) in s and
// returns the captured digits' value. The leftmost match starts at the first
// digit of the first digit run that is directly followed by c.
func digitsBefore(s string, c byte, fold bool) (int64, bool) {
	start := -1
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= '0' && b <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && (b == c || (fold && b|0x20 == c)) {
			n, err := strconv.ParseInt(s[start:i], 10, 64)
			if err != nil {
				return math.MaxInt64, true // a Bignum in Ruby: saturate
			}
			return n, true
		}
		start = -1
	}
	return 0, false
}
