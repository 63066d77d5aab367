package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Option configures Parse.
type Option func(*options)

type options struct {
	env       map[string]string // WithEnv
	v1        bool              // WithV1
	hostname  string            // WithV1
	configDir string            // WithConfigDir
	mainFile  string            // the file Parse was given
	maxDepth  int
}

// WithV1 parses with fluentd v1's differences from v0.12 (spec §1.2,
// §1.6): a quoted section argument is unquoted (`<match "a.b">`), and
// embedded Ruby may also use `#{hostname}` (the given hostname) and
// `#{worker_id}` ("0"). Without it the parser follows v0.12, the version
// production runs.
func WithV1(hostname string) Option {
	return func(o *options) { o.v1, o.hostname = true, hostname }
}

// WithConfigDir tells the parser the absolute directory fluentd reads the
// main config file from (for the fluentd image, "/fluentd/etc"). An
// absolute `@include` path under it is read from the fsys folder of the
// main file; any other absolute path is an error naming it, since devenv
// reads only the files given with the config.
func WithConfigDir(dir string) Option { return func(o *options) { o.configDir = dir } }

// WithEnv sets the environment that `"#{ENV['X']}"` reads. A variable that
// is not in env evaluates to "" (Ruby's nil interpolated into a string).
func WithEnv(env map[string]string) Option { return func(o *options) { o.env = env } }

// Parse reads the config file name from fsys (and any files it includes)
// and returns the root element. As in fluentd v0.12, an include is a
// Dir.glob pattern resolved relative to the including file's directory
// (absolute paths: see WithConfigDir), its matches are spliced in sorted
// order, and a pattern or plain path that matches nothing includes nothing,
// without an error.
func Parse(fsys fs.FS, name string, opts ...Option) (*Element, error) {
	o := newOptions(opts)
	o.mainFile = name
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	return parseFile(fsys, name, data, o, 0)
}

// ParseBytes parses data as a config file named name. `@include` is an
// error unless fsys is non-nil.
func ParseBytes(fsys fs.FS, name string, data []byte, opts ...Option) (*Element, error) {
	o := newOptions(opts)
	o.mainFile = name
	return parseFile(fsys, name, data, o, 0)
}

func newOptions(opts []Option) *options {
	o := &options{}
	for _, f := range opts {
		f(o)
	}
	if o.maxDepth == 0 {
		o.maxDepth = 16
	}
	return o
}

func parseFile(fsys fs.FS, name string, data []byte, o *options, depth int) (*Element, error) {
	p := &parser{src: data, file: name, fsys: fsys, o: o, depth: depth}
	p.lines = append(p.lines, 0)
	for i, c := range data {
		if c == '\n' {
			p.lines = append(p.lines, i+1)
		}
	}
	root := &Element{Name: "ROOT", Pos: Pos{File: name, Line: 1, Col: 1}}
	if err := p.body(root, nil); err != nil {
		return nil, err
	}
	return root, nil
}

type parser struct {
	src   []byte
	file  string
	off   int
	lines []int
	fsys  fs.FS
	o     *options
	depth int
	// envRefs collects the ENV names read by the value being parsed.
	envRefs []string
}

// reserved are the `@` parameters fluentd v0.12 accepts.
var reserved = map[string]bool{"@type": true, "@id": true, "@label": true, "@log_level": true}

// strictReserved are the sections where an unknown `@xxx` key is an error.
var strictReserved = map[string]bool{"ROOT": true, "match": true, "source": true, "filter": true, "system": true}

func (p *parser) pos(off int) Pos {
	i := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off }) - 1
	ls := p.lines[i]
	return Pos{File: p.file, Line: i + 1, Col: utf8.RuneCount(p.src[ls:off]) + 1, Offset: off}
}

func (p *parser) errf(off int, format string, args ...any) error {
	return Errorf(p.pos(off), format, args...)
}

func (p *parser) eof() bool { return p.off >= len(p.src) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func isNameChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// skipBlank skips whitespace, newlines and comments between statements.
func (p *parser) skipBlank() {
	for !p.eof() {
		c := p.src[p.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			p.off++
		case c == '#':
			for !p.eof() && p.src[p.off] != '\n' {
				p.off++
			}
		default:
			return
		}
	}
}

// lineEnd consumes optional spaces, an optional comment and a newline (or
// EOF). It reports whether that succeeded.
func (p *parser) lineEnd() bool {
	i := p.off
	for i < len(p.src) && isSpace(p.src[i]) {
		i++
	}
	if i < len(p.src) && p.src[i] == '#' {
		for i < len(p.src) && p.src[i] != '\n' {
			i++
		}
	}
	if i < len(p.src) && p.src[i] == '\r' {
		i++
	}
	if i >= len(p.src) {
		p.off = i
		return true
	}
	if p.src[i] == '\n' {
		p.off = i + 1
		return true
	}
	return false
}

// body parses statements into e until the matching end tag (or EOF for the
// root, where open is nil).
func (p *parser) body(e *Element, open *Element) error {
	for {
		p.skipBlank()
		if p.eof() {
			if open != nil {
				return Errorf(open.Pos, "section %s is not closed: expected </%s> before end of file", open, open.Name)
			}
			return nil
		}
		start := p.off
		if bytes.HasPrefix(p.src[p.off:], []byte("</")) {
			p.off += 2
			nameStart := p.off
			for !p.eof() && isNameChar(p.src[p.off]) {
				p.off++
			}
			name := string(p.src[nameStart:p.off])
			for !p.eof() && isSpace(p.src[p.off]) {
				p.off++
			}
			if p.eof() || p.src[p.off] != '>' {
				return p.errf(p.off, "expected '>' to close end tag </%s", name)
			}
			p.off++
			if open == nil {
				return p.errf(start, "unexpected end tag </%s>: no section is open", name)
			}
			if name != open.Name {
				return p.errf(start, "unmatched end tag </%s>: expected </%s> to close %s at line %d", name, open.Name, open, open.Pos.Line)
			}
			if !p.lineEnd() {
				return p.errf(p.off, "expected end of line after end tag </%s>", name)
			}
			return nil
		}
		if p.src[p.off] == '<' {
			child, err := p.section()
			if err != nil {
				return err
			}
			e.Elements = append(e.Elements, child)
			continue
		}
		if err := p.param(e); err != nil {
			return err
		}
	}
}

func (p *parser) section() (*Element, error) {
	start := p.off
	p.off++ // '<'
	nameStart := p.off
	for !p.eof() && isNameChar(p.src[p.off]) {
		p.off++
	}
	if p.off == nameStart {
		return nil, p.errf(nameStart, "expected a section name after '<'")
	}
	el := &Element{Name: string(p.src[nameStart:p.off]), Pos: p.pos(start)}
	if p.o.v1 {
		// v1 reads the argument with scan_string: quotes are removed.
		q := p.off
		for q < len(p.src) && isSpace(p.src[q]) {
			q++
		}
		if q > p.off && q < len(p.src) && (p.src[q] == '"' || p.src[q] == '\'') {
			p.off = q
			var arg string
			var err error
			if p.src[q] == '"' {
				arg, err = p.doubleQuoted()
			} else {
				arg, err = p.singleQuoted()
			}
			if err != nil {
				return nil, err
			}
			for !p.eof() && isSpace(p.src[p.off]) {
				p.off++
			}
			if p.eof() || p.src[p.off] != '>' {
				return nil, p.errf(p.off, "expected '>' to close section <%s", el.Name)
			}
			p.off++
			el.Arg = arg
			if !p.lineEnd() {
				return nil, p.errf(p.off, "expected end of line after tag %s", el)
			}
			if err := p.body(el, el); err != nil {
				return nil, err
			}
			return el, nil
		}
	}
	argStart := p.off
	for !p.eof() && p.src[p.off] != '>' && p.src[p.off] != '\n' {
		p.off++
	}
	if p.eof() || p.src[p.off] != '>' {
		return nil, p.errf(p.off, "expected '>' to close section <%s", el.Name)
	}
	if argStart < p.off && !isSpace(p.src[argStart]) {
		return nil, p.errf(argStart, "invalid character %q in section name <%s", p.src[argStart], el.Name)
	}
	el.Arg = strings.Trim(string(p.src[argStart:p.off]), " \t\r")
	p.off++
	if !p.lineEnd() {
		return nil, p.errf(p.off, "expected end of line after tag %s", el)
	}
	if err := p.body(el, el); err != nil {
		return nil, err
	}
	return el, nil
}

func (p *parser) param(e *Element) error {
	keyStart := p.off
	for !p.eof() && !isSpace(p.src[p.off]) && p.src[p.off] != '\n' && p.src[p.off] != '\r' {
		p.off++
	}
	key := string(p.src[keyStart:p.off])
	keyEnd := p.off
	for !p.eof() && (isSpace(p.src[p.off]) || p.src[p.off] == '\r') {
		p.off++
	}
	prm := Param{Key: key, KeyPos: p.pos(keyStart)}
	if p.eof() || p.src[p.off] == '\n' {
		prm.ValuePos = p.pos(keyEnd)
		prm.ValueEnd = keyEnd
		if !p.eof() {
			p.off++
		}
	} else {
		vs := p.off
		p.envRefs = nil
		v, err := p.value()
		if err != nil {
			return err
		}
		prm.Value, prm.ValuePos, prm.ValueEnd, prm.Raw = v, p.pos(vs), p.off, string(p.src[vs:p.off])
		prm.EnvRefs = p.envRefs
		if !p.lineEnd() {
			return p.errf(p.off, "expected end of line after the value of %s", key)
		}
	}
	if e.Name == "ROOT" && (key == "@include" || key == "include") {
		return p.include(e, prm)
	}
	if strings.HasPrefix(key, "@") && !reserved[key] && strictReserved[e.Name] {
		return p.errf(keyStart, "'%s' is a reserved parameter name (only @type, @id, @label and @log_level are allowed)", key)
	}
	e.Params = append(e.Params, prm)
	return nil
}

// value scans a value starting at p.off and leaves p.off just past its text.
func (p *parser) value() (string, error) {
	switch p.src[p.off] {
	case '"':
		return p.doubleQuoted()
	case '\'':
		return p.singleQuoted()
	case '[', '{':
		return p.jsonValue()
	}
	// Non-quoted: to end of line; a '#' preceded by whitespace starts a
	// comment (a leading '#' is literal); trailing spaces are dropped.
	start := p.off
	end := start
	for end < len(p.src) && p.src[end] != '\n' {
		if p.src[end] == '#' && end > start && isSpace(p.src[end-1]) {
			break
		}
		end++
	}
	for end > start && (isSpace(p.src[end-1]) || p.src[end-1] == '\r') {
		end--
	}
	p.off = end
	return string(p.src[start:end]), nil
}

func (p *parser) singleQuoted() (string, error) {
	start := p.off
	p.off++
	var b strings.Builder
	for {
		if p.eof() || p.src[p.off] == '\n' {
			return "", p.errf(start, "unterminated single-quoted string (a single-quoted value cannot span lines)")
		}
		c := p.src[p.off]
		switch {
		case c == '\'':
			p.off++
			return b.String(), nil
		case c == '\\' && p.off+1 < len(p.src) && (p.src[p.off+1] == '\'' || p.src[p.off+1] == '\\'):
			b.WriteByte(p.src[p.off+1])
			p.off += 2
		default:
			b.WriteByte(c)
			p.off++
		}
	}
}

func (p *parser) doubleQuoted() (string, error) {
	start := p.off
	p.off++
	var b strings.Builder
	for {
		if p.eof() {
			return "", p.errf(start, "unterminated double-quoted string")
		}
		c := p.src[p.off]
		switch c {
		case '"':
			p.off++
			return b.String(), nil
		case '\\':
			if p.off+1 >= len(p.src) {
				return "", p.errf(start, "unterminated double-quoted string")
			}
			n := p.src[p.off+1]
			switch n {
			case '"', '\'', '\\':
				b.WriteByte(n)
			case 'r':
				b.WriteByte('\r')
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'f':
				b.WriteByte('\f')
			case 'b':
				b.WriteByte('\b')
			case '0':
				b.WriteByte(0)
			case '\n':
				// line continuation: both dropped
			default:
				if n != '_' && isNameChar(n) {
					return "", p.errf(p.off, "unexpected back-slash escape character '%c'", n)
				}
				r, size := utf8.DecodeRune(p.src[p.off+1:])
				b.WriteRune(r)
				p.off += size - 1
			}
			p.off += 2
		case '#':
			if p.off+1 < len(p.src) && p.src[p.off+1] == '{' {
				v, err := p.embedded()
				if err != nil {
					return "", err
				}
				b.WriteString(v)
				continue
			}
			b.WriteByte(c)
			p.off++
		default:
			b.WriteByte(c)
			p.off++
		}
	}
}

var envRef = regexp.MustCompile(`^\s*ENV\s*\[\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*\]\s*$`)

// embedded evaluates `#{...}` at p.off. Only ENV['NAME'] is supported.
func (p *parser) embedded() (string, error) {
	start := p.off
	i := p.off + 2
	depth := 1
	var quote byte
	for ; i < len(p.src) && depth > 0; i++ {
		c := p.src[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '{':
			depth++
		case c == '}':
			depth--
		}
	}
	if depth > 0 {
		return "", p.errf(start, "unterminated embedded Ruby code #{...}")
	}
	code := string(p.src[start+2 : i-1])
	if p.o.v1 {
		switch strings.TrimSpace(code) {
		case "hostname":
			p.off = i
			return p.o.hostname, nil
		case "worker_id":
			p.off = i
			return "0", nil
		}
	}
	m := envRef.FindStringSubmatch(code)
	if m == nil {
		return "", p.errf(start, "unsupported embedded Ruby code #{%s}: only #{ENV['NAME']} can be evaluated", code)
	}
	name := m[1] + m[2]
	p.off = i
	p.envRefs = append(p.envRefs, name)
	return p.o.env[name], nil
}

// jsonValue reads a JSON array or object that may span lines and contain
// `#` comments outside strings; the value is the re-serialised JSON
// (dumpJSON: Ruby's JSON.dump).
func (p *parser) jsonValue() (string, error) {
	start := p.off
	var clean []byte
	depth := 0
	inStr := false
	i := p.off
	for ; i < len(p.src); i++ {
		c := p.src[i]
		if inStr {
			clean = append(clean, c)
			if c == '\\' && i+1 < len(p.src) {
				i++
				clean = append(clean, p.src[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '#':
			for i < len(p.src) && p.src[i] != '\n' {
				i++
			}
			clean = append(clean, '\n')
			continue
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		}
		clean = append(clean, c)
		if depth == 0 {
			i++
			break
		}
	}
	if depth != 0 {
		return "", p.errf(start, "unterminated JSON value")
	}
	out, err := dumpJSON(clean)
	if err != nil {
		return "", p.errf(start, "invalid JSON value: %v", err)
	}
	p.off = i
	return out, nil
}

func (p *parser) include(root *Element, prm Param) error {
	if p.fsys == nil {
		return Errorf(prm.KeyPos, "cannot @include %q: no file system to read from", prm.Value)
	}
	if p.depth >= p.o.maxDepth {
		return Errorf(prm.KeyPos, "@include nested more than %d levels deep", p.o.maxDepth)
	}
	target := prm.Value
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		return Errorf(prm.ValuePos, "cannot @include %q: URLs are not supported", target)
	}
	if strings.HasPrefix(target, "/") {
		rel, ok := p.underConfigDir(target)
		if !ok {
			where := "no WithConfigDir given"
			if p.o.configDir != "" {
				where = "not under the config's directory " + p.o.configDir
			}
			return Errorf(prm.ValuePos, "cannot @include %q: an absolute path is read relative to the config's directory, and this one is %s", target, where)
		}
		target = rel
	} else {
		target = path.Join(path.Dir(p.file), target)
	}
	// eval_include: Dir.glob(pattern).sort, for plain paths too, so a file
	// that does not exist includes nothing (no error).
	files, err := rubyGlob(p.fsys, target)
	if err != nil {
		return Errorf(prm.ValuePos, "expand @include %q: %v", prm.Value, err)
	}
	for _, f := range files {
		data, err := fs.ReadFile(p.fsys, f)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return Errorf(prm.ValuePos, "read included file %s: %v", f, err)
		}
		sub, err := parseFile(p.fsys, f, data, p.o, p.depth+1)
		if err != nil {
			return err
		}
		root.Params = append(root.Params, sub.Params...)
		root.Elements = append(root.Elements, sub.Elements...)
	}
	return nil
}

// underConfigDir maps an absolute include path under the WithConfigDir
// directory to its path in fsys, next to the main config file.
func (p *parser) underConfigDir(abs string) (string, bool) {
	dir := p.o.configDir
	if dir == "" {
		return "", false
	}
	rel, ok := strings.CutPrefix(path.Clean(abs), strings.TrimSuffix(path.Clean(dir), "/")+"/")
	if !ok {
		return "", false
	}
	return path.Join(path.Dir(p.o.mainFile), rel), true
}

// rubyGlob is Ruby's Dir.glob(pattern).sort on fsys: {a,b} alternatives are
// expanded, *, ? and [set] match within a path element, a wildcard does not
// match a leading "." (hidden files), and a pattern without wildcards
// yields the path only when it exists.
func rubyGlob(fsys fs.FS, pattern string) ([]string, error) {
	pats := expandBraces(pattern)
	if len(pats) > maxBraceExpansion {
		return nil, fmt.Errorf("more than %d {…} alternatives", maxBraceExpansion)
	}
	seen := map[string]bool{}
	var out []string
	for _, pat := range pats {
		m, err := fs.Glob(fsys, pat)
		if err != nil {
			return nil, err
		}
		pcs := strings.Split(pat, "/")
		for _, f := range m {
			fcs := strings.Split(f, "/")
			hidden := false
			for i := range min(len(pcs), len(fcs)) {
				if strings.ContainsAny(pcs[i], "*?[") && !strings.HasPrefix(pcs[i], ".") && strings.HasPrefix(fcs[i], ".") {
					hidden = true
				}
			}
			if !hidden && !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// maxBraceExpansion bounds the patterns one include's braces expand to.
const maxBraceExpansion = 1024

// expandBraces expands {a,b,…} groups left to right, nested ones too, as
// Dir.glob does; an unclosed brace is literal.
func expandBraces(s string) []string {
	start := strings.IndexByte(s, '{')
	if start < 0 {
		return []string{s}
	}
	depth, end := 0, -1
	var commas []int
	for i := start; i < len(s) && end < 0; i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				end = i
			}
		case ',':
			if depth == 1 {
				commas = append(commas, i)
			}
		}
	}
	if end < 0 {
		return []string{s}
	}
	var out []string
	prev := start + 1
	for _, c := range append(commas, end) {
		out = append(out, expandBraces(s[:start]+s[prev:c]+s[end+1:])...)
		prev = c + 1
		if len(out) > maxBraceExpansion {
			break // rubyGlob reports it
		}
	}
	return out
}
