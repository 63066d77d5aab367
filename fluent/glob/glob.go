// Package glob matches fluentd tags against `<match>`/`<filter>` patterns
// exactly as fluentd v0.12's GlobMatchPattern does (spec §1.4).
//
// fluentd compiles a glob into a Ruby regexp `\A…\Z` with a lookahead for
// `.**`; Go's RE2 has neither, so this package compiles the glob into a small
// node list with the same structure and matches it by backtracking:
//
//   - `*` matches zero or more non-dot characters (so `a.*` matches `a.`);
//   - `**` alone matches every tag, including the empty one;
//   - `X.**` matches `X`, `X.`, `X.y…` but not `Xy`;
//   - `**.X` matches `X` and `….X`;
//   - `{a,b}` is alternation (nestable; an unclosed `{` is closed at the end);
//   - `\c` escapes c; every other character (`?` and `[` included) is
//     literal; a trailing `.` is dropped (fluentd never emits it);
//   - like Ruby's `\Z`, the end also accepts one trailing "\n".
package glob

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

type kind uint8

const (
	kLit      kind = iota // literal text
	kStar                 // [^.]*
	kAnyStar              // .*
	kRecDot               // (?:.*\.|\A)
	kNoNonDot             // (?![^.])
	kAlt                  // (?:alt1|alt2|…)
)

type node struct {
	kind kind
	lit  string
	alts [][]node
}

// Pattern is one compiled glob (or, in v1, a /regexp/).
type Pattern struct {
	src string
	all bool
	seq []node
	re  *regexp.Regexp
}

// String returns the glob as written.
func (p *Pattern) String() string { return p.src }

// Compile compiles one glob (no whitespace splitting). It never fails:
// fluentd accepts every string as a glob.
func Compile(pat string) *Pattern {
	if pat == "**" {
		return &Pattern{src: pat, all: true}
	}
	var stack [][][]node // each entry: finished alternatives of an open brace
	regex := [][]node{nil}
	escape, dot := false, false
	add := func(n node) {
		last := len(regex) - 1
		if n.kind == kLit {
			if l := len(regex[last]); l > 0 && regex[last][l-1].kind == kLit {
				regex[last][l-1].lit += n.lit
				return
			}
		}
		regex[last] = append(regex[last], n)
	}
	for i := 0; i < len(pat); {
		r, size := utf8.DecodeRuneInString(pat[i:])
		c := pat[i : i+size]
		if escape {
			add(node{kind: kLit, lit: c})
			escape = false
			i += size
			continue
		}
		if strings.HasPrefix(pat[i:], "**") {
			if dot {
				add(node{kind: kNoNonDot})
				dot = false
			}
			if i+2 < len(pat) && pat[i+2] == '.' {
				add(node{kind: kRecDot})
				i += 3
			} else {
				add(node{kind: kAnyStar})
				i += 2
			}
			continue
		}
		if dot {
			add(node{kind: kLit, lit: "."})
			dot = false
		}
		switch {
		case r == '\\':
			escape = true
		case r == '.':
			dot = true
		case r == '*':
			add(node{kind: kStar})
		case r == '{':
			stack = append(stack, nil)
			regex = append(regex, nil)
		case r == '}' && len(stack) > 0:
			stack[len(stack)-1] = append(stack[len(stack)-1], regex[len(regex)-1])
			regex = regex[:len(regex)-1]
			alts := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			add(node{kind: kAlt, alts: alts})
		case r == ',' && len(stack) > 0:
			stack[len(stack)-1] = append(stack[len(stack)-1], regex[len(regex)-1])
			regex[len(regex)-1] = nil
		default:
			add(node{kind: kLit, lit: c})
		}
		i += size
	}
	for len(stack) > 0 {
		stack[len(stack)-1] = append(stack[len(stack)-1], regex[len(regex)-1])
		regex = regex[:len(regex)-1]
		alts := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		// fluentd closes an unclosed `{` with Regexp.union of the
		// alternatives' regexp SOURCE strings, which matches them as
		// literal text: `{a.*` matches "a\.[^\.]*" verbatim.
		lits := make([][]node, len(alts))
		for i, alt := range alts {
			lits[i] = []node{{kind: kLit, lit: source(alt)}}
		}
		add(node{kind: kAlt, alts: lits})
	}
	return &Pattern{src: pat, seq: regex[0]}
}

// source is the Ruby regexp source fluentd built for seq.
func source(seq []node) string {
	var b strings.Builder
	for _, n := range seq {
		switch n.kind {
		case kLit:
			for _, r := range n.lit {
				if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
					b.WriteRune(r)
				} else {
					b.WriteByte('\\')
					b.WriteRune(r)
				}
			}
		case kStar:
			b.WriteString(`[^\.]*`)
		case kAnyStar:
			b.WriteString(`.*`)
		case kRecDot:
			b.WriteString(`(?:.*\.|\A)`)
		case kNoNonDot:
			b.WriteString(`(?![^\.])`)
		case kAlt:
			b.WriteString("(?-mix:")
			for i, a := range n.alts {
				if i > 0 {
					b.WriteByte('|')
				}
				b.WriteString("(?-mix:" + source(a) + ")")
			}
			b.WriteString(")")
		}
	}
	return b.String()
}

// Match reports whether tag matches the pattern.
func (p *Pattern) Match(tag string) bool {
	if p.all {
		return true
	}
	if p.re != nil {
		return p.re.MatchString(tag)
	}
	return match(p.seq, tag, 0, atEnd)
}

func atEnd(s string, i int) bool { return i == len(s) || (i == len(s)-1 && s[i] == '\n') }

func match(seq []node, s string, i int, k func(string, int) bool) bool {
	if len(seq) == 0 {
		return k(s, i)
	}
	n, tail := seq[0], seq[1:]
	switch n.kind {
	case kLit:
		if !strings.HasPrefix(s[i:], n.lit) {
			return false
		}
		return match(tail, s, i+len(n.lit), k)
	case kStar:
		end := i
		for end < len(s) && s[end] != '.' {
			end++
		}
		for j := end; j >= i; j-- {
			if match(tail, s, j, k) {
				return true
			}
		}
		return false
	case kAnyStar:
		end := i
		for end < len(s) && s[end] != '\n' {
			end++
		}
		for j := end; j >= i; j-- {
			if match(tail, s, j, k) {
				return true
			}
		}
		return false
	case kRecDot:
		end := i
		for end < len(s) && s[end] != '\n' {
			end++
		}
		for j := end - 1; j >= i; j-- {
			if s[j] == '.' && match(tail, s, j+1, k) {
				return true
			}
		}
		return i == 0 && match(tail, s, i, k)
	case kNoNonDot:
		if i < len(s) && s[i] != '.' {
			return false
		}
		return match(tail, s, i, k)
	case kAlt:
		for _, alt := range n.alts {
			if match(alt, s, i, func(s string, j int) bool { return match(tail, s, j, k) }) {
				return true
			}
		}
		return false
	}
	return false
}

// List is the pattern list of a `<match>`/`<filter>` argument: any one of
// its whitespace-separated globs may match.
type List []*Pattern

// CompileList splits arg on whitespace and compiles each glob. An empty arg
// means `**` (fluentd's default for `<match>` and `<filter>`).
func CompileList(arg string) List {
	f := strings.Fields(arg)
	if len(f) == 0 {
		f = []string{"**"}
	}
	l := make(List, len(f))
	for i, s := range f {
		l[i] = Compile(s)
	}
	return l
}

// Match reports whether any pattern matches tag.
func (l List) Match(tag string) bool {
	for _, p := range l {
		if p.Match(tag) {
			return true
		}
	}
	return false
}

// CompileListV1 is CompileList with fluentd v1's addition: a pattern
// written `/…/` is an unanchored regular expression (Ruby's `^`/`$` are
// line anchors, hence (?m)). It fails only for a regexp Go cannot compile.
func CompileListV1(arg string) (List, error) {
	l := CompileList(arg)
	for i, p := range l {
		s := p.src
		if len(s) >= 2 && strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/") {
			re, err := regexp.Compile("(?m)" + s[1:len(s)-1])
			if err != nil {
				return nil, fmt.Errorf("pattern %s: %w", s, err)
			}
			l[i] = &Pattern{src: s, re: re}
		}
	}
	return l, nil
}
