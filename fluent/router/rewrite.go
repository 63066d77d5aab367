package router

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/devenv-sh/devenv/fluent/config"
)

// rewriteTagFilter is out_rewrite_tag_filter v1.6.0 (spec §4.2).
type rewriteTagFilter struct {
	el              *config.Element
	rules           []*rewriteRule
	removeTagPrefix string
	capitalize      bool
}

// RewriteRule is one rule as configured, for lint and display.
type rewriteRule struct {
	key     string
	pattern string
	re      *regexp.Regexp
	tag     string
	invert  bool
	pos     config.Pos // where the pattern is written
	// usesGroups: tag has $N, so captures are needed.
	usesGroups bool
	detail     string
}

var legacyRule = regexp.MustCompile(`^([^\s]+)\s+(.+?)\s+([^\s]+)$`)

func (r *Router) newRewriteTagFilter(el *config.Element) (*rewriteTagFilter, error) {
	f := &rewriteTagFilter{el: el}
	f.removeTagPrefix, _ = el.Get("remove_tag_prefix")
	if p := el.Param("capitalize_regex_backreference"); p != nil {
		f.capitalize = boolValue(p.Value)
	}
	for _, sec := range el.Elements {
		if sec.Name != "rule" {
			return nil, config.Errorf(sec.Pos, "rewrite_tag_filter: unknown section %s (expected <rule>)", sec)
		}
		rule := &rewriteRule{pos: sec.Pos}
		for _, k := range []string{"key", "pattern", "tag"} {
			if _, ok := sec.Get(k); !ok {
				return nil, config.Errorf(sec.Pos, "rewrite_tag_filter: <rule> needs '%s'", k)
			}
		}
		rule.key, _ = sec.Get("key")
		pp := sec.Param("pattern")
		rule.pattern, rule.pos = pp.Value, pp.ValuePos
		rule.tag, _ = sec.Get("tag")
		if p := sec.Param("invert"); p != nil {
			rule.invert = boolValue(p.Value)
		}
		f.rules = append(f.rules, rule)
	}
	type legacy struct {
		n int
		p *config.Param
	}
	var legacies []legacy
	for i := range el.Params {
		p := &el.Params[i]
		if !strings.HasPrefix(p.Key, "rewriterule") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(p.Key, "rewriterule"))
		if err != nil {
			continue
		}
		legacies = append(legacies, legacy{n, p})
	}
	sort.SliceStable(legacies, func(a, b int) bool { return legacies[a].n < legacies[b].n })
	for _, l := range legacies {
		m := legacyRule.FindStringSubmatch(l.p.Value)
		if m == nil {
			return nil, config.Errorf(l.p.ValuePos, "rewrite_tag_filter: %s: expected 'KEY REGEX TAG', got %q", l.p.Key, l.p.Value)
		}
		rule := &rewriteRule{key: m[1], pattern: m[2], tag: m[3], pos: l.p.ValuePos}
		if strings.HasPrefix(rule.pattern, "!") {
			rule.invert = true
			rule.pattern = rule.pattern[1:]
		}
		if len(rule.pattern) >= 2 && strings.HasPrefix(rule.pattern, `"`) && strings.HasSuffix(rule.pattern, `"`) {
			rule.pattern = rule.pattern[1 : len(rule.pattern)-1]
		}
		f.rules = append(f.rules, rule)
	}
	if len(f.rules) == 0 {
		return nil, config.Errorf(el.Pos, "rewrite_tag_filter: missing rewriterules")
	}
	seen := map[string]bool{}
	for _, rule := range f.rules {
		k := fmt.Sprintf("%s\x00%v\x00%s", rule.key, rule.invert, rule.pattern)
		if seen[k] {
			return nil, config.Errorf(rule.pos, "rewrite_tag_filter: duplicated rewriterules found: key %s, pattern %s", rule.key, rule.pattern)
		}
		seen[k] = true
		re, err := CompileRubyRegexp(rule.pattern)
		if err != nil {
			return nil, config.Errorf(rule.pos, "rewrite_tag_filter: pattern %q: %v", rule.pattern, err)
		}
		rule.re = re
		rule.usesGroups = strings.Contains(rule.tag, "$")
		inv := ""
		if rule.invert {
			inv = "!"
		}
		rule.detail = fmt.Sprintf("%s %s%s → %s", rule.key, inv, rule.pattern, rule.tag)
		if strings.Contains(rule.tag, "${tag_parts[") && strings.Contains(rule.tag, "..") &&
			strings.Contains(rule.tag, "__TAG_PARTS[") {
			return nil, config.Errorf(rule.pos, "rewrite_tag_filter: tag_parts range is not supported in tag %q", rule.tag)
		}
	}
	return f, nil
}

// rewriteTag returns the new tag for rec, or "" when no rule fires. It
// also returns the rule that fired.
func (f *rewriteTagFilter) rewriteTag(tag string, rec Record, hostname string) (string, *rewriteRule) {
	for _, rule := range f.rules {
		v, _ := rec.Get(rule.key)
		s := ToS(v)
		if s == "" && !rule.invert {
			continue
		}
		s = strings.ToValidUTF8(s, "\uFFFD")
		var m []int
		matched := false
		if rule.usesGroups && !rule.invert {
			m = rule.re.FindStringSubmatchIndex(s)
			matched = m != nil
		} else {
			matched = rule.re.MatchString(s)
		}
		if matched == rule.invert {
			continue
		}
		newTag := rule.tag
		if rule.usesGroups {
			newTag = f.substituteGroups(rule.tag, s, m)
		}
		return f.expand(newTag, tag, hostname), rule
	}
	return "", nil
}

// substituteGroups replaces each $N in tmpl with capture N of s (m from
// FindStringSubmatchIndex; nil for an inverted rule), "" when absent.
func (f *rewriteTagFilter) substituteGroups(tmpl, s string, m []int) string {
	var b strings.Builder
	b.Grow(len(tmpl) + len(s))
	for i := 0; i < len(tmpl); i++ {
		if tmpl[i] != '$' || i+1 >= len(tmpl) || tmpl[i+1] < '0' || tmpl[i+1] > '9' {
			b.WriteByte(tmpl[i])
			continue
		}
		j := i + 1
		for j < len(tmpl) && tmpl[j] >= '0' && tmpl[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(tmpl[i+1 : j])
		if 2*n+1 < len(m) && m[2*n] >= 0 {
			g := s[m[2*n]:m[2*n+1]]
			if f.capitalize {
				g = capitalize(g)
			}
			b.WriteString(g)
		}
		i = j - 1
	}
	return b.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	rs := []rune(strings.ToLower(s))
	rs[0] = unicode.ToUpper(rs[0])
	return string(rs)
}

func (f *rewriteTagFilter) expand(s, tag, hostname string) string {
	if !strings.Contains(s, "${") && !strings.Contains(s, "__") {
		return s
	}
	if f.removeTagPrefix != "" {
		re := regexp.MustCompile("^" + regexp.QuoteMeta(f.removeTagPrefix) + `\.?`)
		tag = re.ReplaceAllString(tag, "")
	}
	var parts []string
	var b strings.Builder
	b.Grow(len(s) + len(tag))
	for i := 0; i < len(s); {
		n := placeholderAt(s, i)
		if n == 0 {
			b.WriteByte(s[i])
			i++
			continue
		}
		ph := s[i : i+n]
		i += n
		switch ph {
		case "${tag}", "__TAG__":
			b.WriteString(tag)
		case "${hostname}", "__HOSTNAME__":
			b.WriteString(hostname)
		default:
			if strings.HasPrefix(ph, "${tag_parts[") {
				if parts == nil {
					parts = rubySplit(tag, ".")
				}
				k, _ := strconv.Atoi(ph[len("${tag_parts[") : len(ph)-2])
				if k < len(parts) {
					b.WriteString(parts[k])
				}
			}
			// anything else: unknown placeholder → "" (fluentd warns)
		}
	}
	return b.String()
}

// placeholderAt returns the length of the rewrite_tag_filter placeholder
// (`\${[a-z_]+(\[[0-9]+\])?}` or `__[A-Z_]+__`, leftmost-longest as Ruby's
// regexp finds it) starting at s[i], or 0.
func placeholderAt(s string, i int) int {
	if strings.HasPrefix(s[i:], "${") {
		j := i + 2
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] == '_') {
			j++
		}
		if j == i+2 {
			return 0
		}
		if j < len(s) && s[j] == '[' {
			k := j + 1
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			if k > j+1 && k < len(s) && s[k] == ']' {
				j = k + 1
			}
		}
		if j < len(s) && s[j] == '}' {
			return j + 1 - i
		}
		return 0
	}
	if strings.HasPrefix(s[i:], "__") {
		j := i + 2
		for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] == '_') {
			j++
		}
		// the run s[i+2:j] must end with "__" after at least one character
		for end := j; end >= i+5; end-- {
			if s[end-2:end] == "__" {
				return end - i
			}
		}
	}
	return 0
}

func (f *rewriteTagFilter) emit(c *emitCtx, e *event) {
	if c.nonHash(e, "rewrite_tag_filter", f.el.Pos) {
		return
	}
	newTag, rule := f.rewriteTag(e.tag, e.rec, c.r.hostname)
	if newTag == "" {
		c.drop(DropSilent, e.tag, "rewrite_tag_filter", f.el.Pos, "no rule matched")
		return
	}
	if newTag == e.tag {
		c.drop(DropSilent, e.tag, "rewrite_tag_filter", rule.pos, "rewritten tag equals the current tag %q", newTag)
		return
	}
	c.step(Step{Kind: StepRetag, Plugin: "rewrite_tag_filter", Pos: rule.pos, Tag: e.tag, NewTag: newTag, Detail: rule.detail})
	c.reemit(&event{tag: newTag, time: e.time, rec: e.rec})
}

// CompileRubyRegexp compiles a Ruby (Onigmo) regexp source, as
// rewrite_tag_filter's Regexp.compile(value) sees it, into Go RE2:
// unanchored, with `^`/`$` as line anchors ((?m)). Ruby's inline `(?m)`
// (dot matches newline) becomes Go's `(?s)`, `\h` becomes a hex class.
// Constructs RE2 cannot express (`\Z`, lookaround, atomic groups,
// possessive quantifiers, backreferences, `\G`, `\K`, conditionals) are
// an error naming the construct.
func CompileRubyRegexp(src string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?m)")
	inClass := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src):
			n := src[i+1]
			switch {
			case n == 'Z':
				return nil, fmt.Errorf(`\Z (end of string before a final newline) cannot be expressed in Go's RE2; use \z or $`)
			case n == 'G' || n == 'K' || n == 'R' || n == 'X':
				return nil, fmt.Errorf(`\%c cannot be expressed in Go's RE2`, n)
			case n >= '1' && n <= '9' && inClass == 0:
				return nil, fmt.Errorf(`backreference \%c cannot be expressed in Go's RE2`, n)
			case n == 'k' || n == 'g':
				return nil, fmt.Errorf(`\%c<…> (named backreference or subexpression call) cannot be expressed in Go's RE2`, n)
			case n == 'h':
				if inClass > 0 {
					b.WriteString(`0-9a-fA-F`)
				} else {
					b.WriteString(`[0-9a-fA-F]`)
				}
			case n == 'H':
				if inClass > 0 {
					return nil, fmt.Errorf(`\H inside a character class cannot be expressed in Go's RE2`)
				}
				b.WriteString(`[^0-9a-fA-F]`)
			default:
				b.WriteByte(c)
				b.WriteByte(n)
			}
			i++
		case c == '[':
			if inClass > 0 && i+1 < len(src) && src[i+1] == ':' {
				end := strings.Index(src[i:], ":]")
				if end > 0 {
					b.WriteString(src[i : i+end+2])
					i += end + 1
					continue
				}
			}
			inClass++
			b.WriteByte(c)
			if i+1 < len(src) && src[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(src) && src[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == ']' && inClass > 0:
			inClass--
			b.WriteByte(c)
		case inClass > 0:
			if c == '&' && i+1 < len(src) && src[i+1] == '&' {
				return nil, fmt.Errorf("character class intersection && cannot be expressed in Go's RE2")
			}
			b.WriteByte(c)
		case c == '(' && i+1 < len(src) && src[i+1] == '?':
			rest := src[i+2:]
			switch {
			case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"),
				strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
				opener := rest[:1]
				if rest[0] == '<' {
					opener = rest[:2]
				}
				return nil, fmt.Errorf("lookaround (?%s…) cannot be expressed in Go's RE2", opener)
			case strings.HasPrefix(rest, ">"):
				return nil, fmt.Errorf("atomic group (?>…) cannot be expressed in Go's RE2")
			case strings.HasPrefix(rest, "("):
				return nil, fmt.Errorf("conditional (?(…)…) cannot be expressed in Go's RE2")
			case strings.HasPrefix(rest, "#"):
				end := strings.IndexByte(rest, ')')
				if end < 0 {
					return nil, fmt.Errorf("unterminated comment group")
				}
				i += 2 + end
				continue
			case strings.HasPrefix(rest, "<") || strings.HasPrefix(rest, "P<") || strings.HasPrefix(rest, ":"):
				b.WriteString("(?")
				i++
			default:
				// inline flags: Ruby's m is Go's s; i and x carry over.
				j := 0
				for j < len(rest) && rest[j] != ')' && rest[j] != ':' {
					j++
				}
				if j >= len(rest) {
					return nil, fmt.Errorf("unterminated group")
				}
				flags := strings.NewReplacer("m", "s").Replace(rest[:j])
				if strings.Contains(flags, "x") {
					return nil, fmt.Errorf("extended mode (?x) is not supported")
				}
				b.WriteString("(?" + flags)
				i += 1 + j
			}
		case (c == '+' || c == '?' || c == '*') && i+1 < len(src) && src[i+1] == '+':
			return nil, fmt.Errorf("possessive quantifier %c+ cannot be expressed in Go's RE2", c)
		default:
			b.WriteByte(c)
		}
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("compile regexp: %w", err)
	}
	return re, nil
}
