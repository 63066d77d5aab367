package router

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/config"
)

// rewriteTagFilter is out_rewrite_tag_filter v1.6.0 (spec §4.2).
type rewriteTagFilter struct {
	el              *config.Element
	rules           []*rewriteRule
	removeTagPrefix *regexp.Regexp // /^prefix\.?/, nil when unset
	capitalize      bool
}

// rewriteRule is one rule as configured, for lint and display.
type rewriteRule struct {
	key     string
	pattern string
	re      *regexp.Regexp
	tag     string
	invert  bool
	pos     config.Pos // where the pattern is written
	// usesGroups: tag has $N, so captures are needed.
	usesGroups bool
	name       string // key + "!"? + pattern, for the duplicate check
	detail     string
}

var (
	legacyRule      = regexp.MustCompile(`^([^\s]+)\s+(.+?)\s+([^\s]+)$`)
	rangeDollar     = regexp.MustCompile(`\$\{tag_parts\[\d+\.\.\.?\d+\]\}`)
	rangeUnderscore = regexp.MustCompile(`__TAG_PARTS\[\d+\.\.\.?\d+\]__`)
)

func invertMark(invert bool) string {
	if invert {
		return "!"
	}
	return ""
}

// trimRegexQuote is RTF16's trim_regex_quote: a regexp wrapped in double
// quotes loses them (Ruby's s[1..-2], so a lone quote becomes ""), then a
// leading "!" is removed. `"!a"` is therefore the non-inverted pattern a,
// and `!"a"` the inverted pattern "a" with its quotes.
func trimRegexQuote(s string) string {
	if strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) {
		if len(s) < 2 {
			s = ""
		} else {
			s = s[1 : len(s)-1]
		}
	}
	return strings.TrimPrefix(s, "!")
}

func (r *Router) newRewriteTagFilter(el *config.Element) (*rewriteTagFilter, error) {
	f := &rewriteTagFilter{el: el}
	if v, ok := el.Get("remove_tag_prefix"); ok {
		f.removeTagPrefix = regexp.MustCompile("^" + regexp.QuoteMeta(v) + `\.?`)
	}
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
		rule.name = rule.key + invertMark(rule.invert) + rule.pattern
		f.rules = append(f.rules, rule)
	}
	type legacy struct {
		n int
		p *config.Param
	}
	var legacies []legacy
	for i := range el.Params {
		p := &el.Params[i]
		// conf.keys.select { |k| k =~ /^rewriterule(\d+)$/ }: digits only
		// ("rewriterule-1" is not a rule), sorted by to_i.
		digits, ok := strings.CutPrefix(p.Key, "rewriterule")
		if !ok || digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
			continue
		}
		n, _ := rubyStringToI(digits)
		legacies = append(legacies, legacy{int(n), p})
	}
	sort.SliceStable(legacies, func(a, b int) bool { return legacies[a].n < legacies[b].n })
	for _, l := range legacies {
		m := legacyRule.FindStringSubmatch(l.p.Value)
		if m == nil {
			return nil, config.Errorf(l.p.ValuePos, "rewrite_tag_filter: %s: expected 'KEY REGEX TAG', got %q", l.p.Key, l.p.Value)
		}
		// get_match_operator(regexp) reads the raw text; the duplicate
		// check uses key + raw regexp; the pattern is trim_regex_quote'd.
		raw := m[2]
		rule := &rewriteRule{key: m[1], pattern: trimRegexQuote(raw), tag: m[3], pos: l.p.ValuePos,
			invert: strings.HasPrefix(raw, "!"), name: m[1] + raw}
		f.rules = append(f.rules, rule)
	}
	if len(f.rules) == 0 {
		return nil, config.Errorf(el.Pos, "rewrite_tag_filter: missing rewriterules")
	}
	seen := map[string]bool{}
	for _, rule := range f.rules {
		// rewriterule_names: key + invert + pattern, concatenated as is.
		if seen[rule.name] {
			return nil, config.Errorf(rule.pos, "rewrite_tag_filter: duplicated rewriterules found: key %s, pattern %s", rule.key, rule.pattern)
		}
		seen[rule.name] = true
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
		// `unless a.nil? or b.nil?`: an error only when both forms have a range.
		if rangeDollar.MatchString(rule.tag) && rangeUnderscore.MatchString(rule.tag) {
			return nil, config.Errorf(rule.pos, "rewrite_tag_filter: ${tag_parts[n]} and __TAG_PARTS[n]__ placeholder does not support range specify in tag %q", rule.tag)
		}
	}
	return f, nil
}

// errCapitalizeNil is get_backreference_table calling nil.capitalize for a
// group that did not participate in the match (capitalize_regex_backreference).
var errCapitalizeNil = errors.New("NoMethodError: undefined method `capitalize' for nil:NilClass")

// rewriteTag returns the new tag for rec, or "" when no rule fires. It
// also returns the rule that fired. An error is what the plugin raises
// from emit.
func (f *rewriteTagFilter) rewriteTag(tag string, rec record.Record, hostname string) (string, *rewriteRule, error) {
	for _, rule := range f.rules {
		v, _ := rec.Get(rule.key)
		s := record.ToS(v)
		if s == "" && !rule.invert {
			continue
		}
		s = strings.ToValidUTF8(s, "\uFFFD")
		if rule.invert {
			if rule.re.MatchString(s) {
				continue
			}
			// An inverted rule has no captures: $N stays as written.
			return f.expand(rule.tag, tag, hostname), rule, nil
		}
		if !rule.usesGroups && !f.capitalize {
			if !rule.re.MatchString(s) {
				continue
			}
			return f.expand(rule.tag, tag, hostname), rule, nil
		}
		m := rule.re.FindStringSubmatchIndex(s)
		if m == nil {
			continue
		}
		newTag, err := f.substituteGroups(rule.tag, s, m)
		if err != nil {
			return "", rule, err
		}
		return f.expand(newTag, tag, hostname), rule, nil
	}
	return "", nil, nil
}

// substituteGroups is rewritetag.gsub(/\$\d+/, backreference_table): the
// table holds "$1" … "$n" for the n captures (capitalised with
// capitalize_regex_backreference), so "$0", "$01" and "$N" beyond n
// become "", as does a group that did not participate (nil).
func (f *rewriteTagFilter) substituteGroups(tmpl, s string, m []int) (string, error) {
	groups := len(m)/2 - 1
	if f.capitalize {
		for g := 1; g <= groups; g++ {
			if m[2*g] < 0 {
				return "", errCapitalizeNil
			}
		}
	}
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
		ref := tmpl[i+1 : j]
		i = j - 1
		n, err := strconv.Atoi(ref)
		if err != nil || strconv.Itoa(n) != ref || n < 1 || n > groups || m[2*n] < 0 {
			continue
		}
		g := s[m[2*n]:m[2*n+1]]
		if f.capitalize {
			g = capitalize(g)
		}
		b.WriteString(g)
	}
	return b.String(), nil
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
	if f.removeTagPrefix != nil {
		tag = f.removeTagPrefix.ReplaceAllString(tag, "")
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
				// Only "${tag_parts[i]}" with i as Integer#to_s is in the table.
				idx := ph[len("${tag_parts[") : len(ph)-2]
				if k, err := strconv.Atoi(idx); err == nil && strconv.Itoa(k) == idx && k < len(parts) {
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
	newTag, rule, err := f.rewriteTag(e.tag, e.rec, c.r.hostname)
	if err != nil {
		c.drop(record.DropConnectionClosed, e.tag, "rewrite_tag_filter", rule.pos,
			"emit transaction failed: %v; in_forward logs \"forward error\" and closes the connection", err)
		return
	}
	if newTag == "" {
		c.drop(record.DropSilent, e.tag, "rewrite_tag_filter", f.el.Pos, "no rule matched")
		return
	}
	if newTag == e.tag {
		c.drop(record.DropSilent, e.tag, "rewrite_tag_filter", rule.pos, "rewritten tag equals the current tag %q", newTag)
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
