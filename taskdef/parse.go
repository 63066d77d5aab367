package taskdef

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/devenv-sh/devenv/internal/fieldpath"
)

// kind is the JSON type of a node.
type kind byte

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// node is a parsed JSON value that keeps object members in document order and
// numbers as written, so that the walker can report every problem with its path.
type node struct {
	kind    kind
	text    string // string value, or number as written
	boolean bool
	items   []*node
	members []member
}

type member struct {
	key   string
	value *node
}

// parse checks the syntax of data and returns its tree. A syntax error is a
// FieldError naming the line and column.
func parse(file string, data []byte) (*node, error) {
	if !json.Valid(data) {
		var raw json.RawMessage
		err := json.Unmarshal(data, &raw) // for the error's offset and text
		return nil, fieldpath.At(file, fieldpath.Path{}, syntaxError(data, err))
	}
	p := parser{data: data}
	return p.value(), nil
}

// parser builds the tree of syntactically valid JSON (json.Valid holds, so it
// never meets an unexpected byte or the end of data mid-value).
type parser struct {
	data []byte
	pos  int
}

func (p *parser) value() *node {
	p.skipSpace()
	switch p.data[p.pos] {
	case '{':
		p.pos++
		n := &node{kind: kindObject}
		if p.skipSpace(); p.data[p.pos] == '}' {
			p.pos++
			return n
		}
		for {
			p.skipSpace()
			key := p.string()
			p.skipSpace()
			p.pos++ // ':'
			n.members = append(n.members, member{key: key, value: p.value()})
			p.skipSpace()
			p.pos++ // ',' or '}'
			if p.data[p.pos-1] == '}' {
				return n
			}
		}
	case '[':
		p.pos++
		n := &node{kind: kindArray}
		if p.skipSpace(); p.data[p.pos] == ']' {
			p.pos++
			return n
		}
		for {
			n.items = append(n.items, p.value())
			p.skipSpace()
			p.pos++ // ',' or ']'
			if p.data[p.pos-1] == ']' {
				return n
			}
		}
	case '"':
		return &node{kind: kindString, text: p.string()}
	case 't':
		p.pos += len("true")
		return &node{kind: kindBool, boolean: true}
	case 'f':
		p.pos += len("false")
		return &node{kind: kindBool}
	case 'n':
		p.pos += len("null")
		return &node{kind: kindNull}
	}
	start := p.pos
	for p.pos < len(p.data) && strings.IndexByte("+-0123456789.eE", p.data[p.pos]) >= 0 {
		p.pos++
	}
	return &node{kind: kindNumber, text: string(p.data[start:p.pos])}
}

// string reads the string starting at p.pos, decoding escapes and replacing
// invalid UTF-8 with U+FFFD as encoding/json does.
func (p *parser) string() string {
	start := p.pos + 1
	i, escaped := start, false
	for p.data[i] != '"' {
		if p.data[i] == '\\' {
			escaped = true
			i++
		}
		i++
	}
	p.pos = i + 1
	raw := p.data[start:i]
	if !escaped && utf8.Valid(raw) {
		return string(raw)
	}
	var s string
	_ = json.Unmarshal(p.data[start-1:i+1], &s) // a valid JSON string: cannot fail
	return s
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// syntaxError turns a JSON syntax error into a message with line and column
// (1-based; columns count characters) and a hint of what to do.
func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return fieldpath.Invalidf("malformed JSON: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fieldpath.Invalidf("file is empty; it must hold one task definition JSON object")
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return fieldpath.Invalidf("malformed JSON at line 1, column 1: the file starts with a UTF-8 byte order mark; save it without one")
	}
	off := int(se.Offset) - 1 // the offending byte
	if se.Offset >= int64(len(data)) && se.Error() == "unexpected end of JSON input" {
		off = len(data)
	}
	off = max(0, min(off, len(data)))
	line, col := lineCol(data, off)
	hint := "fix the JSON syntax there"
	switch {
	case off == len(data):
		hint = "the file ends too early; close every open string, [ and {"
	case before(data, off) == ',' && (data[off] == '}' || data[off] == ']'):
		hint = "remove the trailing comma before it"
	case strings.Contains(se.Error(), "after top-level value"):
		hint = "a file holds exactly one JSON object; remove what follows it"
	}
	return fieldpath.Invalidf("malformed JSON at line %d, column %d: %s; %s", line, col, se.Error(), hint)
}

// lineCol returns the 1-based line and character column of byte offset off.
func lineCol(data []byte, off int) (line, col int) {
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, 1 + utf8.RuneCount(data[start:off])
}

// before returns the last non-space byte before off, or 0.
func before(data []byte, off int) byte {
	for i := off - 1; i >= 0; i-- {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return data[i]
	}
	return 0
}
