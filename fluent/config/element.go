// Package config parses fluentd configuration files into an element tree,
// following fluentd v0.12's default (v1-format) parser.
//
// The grammar is the one in shared/spec/fluentd-semantics.md §1.2: sections
// `<name arg>` … `</name>`, `key value` parameters, non-quoted, single-quoted,
// double-quoted and JSON values, comments, `@include` with globs, and
// `"#{ENV['X']}"` evaluated from an environment map given by the caller
// (any other embedded Ruby is an error). Both `type` and `@type` are kept as
// written; Element.Type reads either.
//
// Every parameter records where its key and value sit in the source (file,
// line, column and byte offsets), so callers can report errors at the right
// place and rewrite single values while leaving every other byte untouched
// (see package localconf).
//
// Parse errors are *Error values rendered as `file:line:col: message`.
// The parser does no I/O except reading through the fs.FS it is given.
package config

import (
	"fmt"
	"strings"
)

// Pos is a position in a config file. Line and Col are 1-based; Col counts
// characters (runes), not bytes. Offset is the 0-based byte offset.
type Pos struct {
	File   string
	Line   int
	Col    int
	Offset int
}

// String renders the position as file:line:col.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Param is one `key value` line of a section.
type Param struct {
	// Key is the parameter name as written (for example "type" or "@type").
	Key string
	// Value is the value after unquoting, escape processing and embedded
	// `#{ENV[...]}` evaluation.
	Value string
	// Raw is the value's source text exactly as written (quotes included),
	// that is File bytes [ValuePos.Offset, ValueEnd).
	Raw string
	// KeyPos is where the key starts.
	KeyPos Pos
	// ValuePos is where the value's text starts. For a key with no value it
	// is the position right after the key.
	ValuePos Pos
	// ValueEnd is the byte offset just past the value's text (before any
	// trailing spaces or comment).
	ValueEnd int
	// EnvRefs names the environment variables the value read through
	// "#{ENV['NAME']}", in order.
	EnvRefs []string
}

// Element is a section (or the root of a file). The root has Name "ROOT".
type Element struct {
	Name string
	Arg  string
	// Pos is where the `<` of the section starts (the file start for ROOT).
	Pos      Pos
	Params   []Param
	Elements []*Element
}

// Get returns the value of the last parameter named key and whether one
// exists. (fluentd keeps the last value of a repeated key.)
func (e *Element) Get(key string) (string, bool) {
	p := e.Param(key)
	if p == nil {
		return "", false
	}
	return p.Value, true
}

// Param returns the last parameter named key, or nil.
func (e *Element) Param(key string) *Param {
	for i := len(e.Params) - 1; i >= 0; i-- {
		if e.Params[i].Key == key {
			return &e.Params[i]
		}
	}
	return nil
}

// Type returns the plugin type: `@type` if present, else `type` (fluentd
// v0.12 reads `e['@type'] || e['type']`), and the parameter it came from.
func (e *Element) Type() (string, *Param) {
	if p := e.Param("@type"); p != nil {
		return p.Value, p
	}
	if p := e.Param("type"); p != nil {
		return p.Value, p
	}
	return "", nil
}

// Children returns the direct child sections named name, in file order.
func (e *Element) Children(name string) []*Element {
	var out []*Element
	for _, c := range e.Elements {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// String renders a section header like `<match delish.event>`.
func (e *Element) String() string {
	if e.Arg == "" {
		return "<" + e.Name + ">"
	}
	return "<" + e.Name + " " + e.Arg + ">"
}

// Dump renders the tree in a stable, indented text form for tests and
// debugging: one line per section and per parameter.
func (e *Element) Dump() string {
	var b strings.Builder
	e.dump(&b, 0)
	return b.String()
}

func (e *Element) dump(b *strings.Builder, depth int) {
	ind := strings.Repeat("  ", depth)
	fmt.Fprintf(b, "%s%s\n", ind, e.String())
	for _, p := range e.Params {
		fmt.Fprintf(b, "%s  %s=%q\n", ind, p.Key, p.Value)
	}
	for _, c := range e.Elements {
		c.dump(b, depth+1)
	}
}

// Error is a config error at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Errorf builds an *Error at pos.
func Errorf(pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
