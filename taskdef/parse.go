package taskdef

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fieldpath.At(file, fieldpath.Path{}, syntaxError(data, err))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return readNode(dec)
}

// readNode reads one value from dec, which holds syntactically valid JSON.
func readNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("read JSON token: %w", err)
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case bool:
		return &node{kind: kindBool, boolean: t}, nil
	case json.Number:
		return &node{kind: kindNumber, text: string(t)}, nil
	case string:
		return &node{kind: kindString, text: t}, nil
	case json.Delim:
		n := &node{kind: kindArray}
		if t == '{' {
			n.kind = kindObject
		}
		for dec.More() {
			if n.kind == kindArray {
				item, err := readNode(dec)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, item)
				continue
			}
			key, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("read JSON key: %w", err)
			}
			value, err := readNode(dec)
			if err != nil {
				return nil, err
			}
			n.members = append(n.members, member{key: key.(string), value: value})
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, fmt.Errorf("read JSON delimiter: %w", err)
		}
		return n, nil
	}
	return nil, fmt.Errorf("read JSON: unexpected token %v", tok)
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
