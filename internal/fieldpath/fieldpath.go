// Package fieldpath names places in a task definition and the errors found
// there. A Path renders like
//
//	containerDefinitions[1](web).portMappings[0].hostPort
//
// and a FieldError like
//
//	taskdefs/x.json: containerDefinitions[1](web).portMappings[0].hostPort: <what is wrong>
//
// Errors carry one of two sentinels, ErrInvalid (the input is wrong) or
// ErrUnsupported (the input is valid but devenv cannot honour it), matched with
// errors.Is.
package fieldpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinels matched with errors.Is on any error built by this package.
var (
	// ErrInvalid marks input that is wrong: malformed, mistyped, missing, dangling.
	ErrInvalid = errors.New("invalid")
	// ErrUnsupported marks valid input that devenv cannot reproduce locally.
	ErrUnsupported = errors.New("unsupported")
)

// Path is a location in a JSON document. The zero value is the document root.
// Paths are immutable: Next, Index and Named return new paths sharing their
// parent, so extending a path costs one small allocation.
type Path struct {
	tip *elem
}

type elem struct {
	parent *elem
	key    string // object key; empty for an index
	index  int    // array index, when isIdx
	name   string // optional label of an indexed element, e.g. a container name
	isIdx  bool
}

// Next returns the path of the object member key below p.
func (p Path) Next(key string) Path {
	return Path{tip: &elem{parent: p.tip, key: key}}
}

// Index returns the path of array element i below p.
func (p Path) Index(i int) Path {
	return Path{tip: &elem{parent: p.tip, index: i, isIdx: true}}
}

// Named labels the last element of p, rendering it as "[i](name)" (quoted
// when name is not a valid container name). It is meant for container
// definitions, so that a path says which container it is in. Named on a path
// not ending in an index, or with an empty name, returns p.
func (p Path) Named(name string) Path {
	if name == "" || p.tip == nil || !p.tip.isIdx {
		return p
	}
	e := *p.tip
	e.name = name
	return Path{tip: &e}
}

// Container returns the first name given with Named along p, or "".
func (p Path) Container() string {
	name := ""
	for e := p.tip; e != nil; e = e.parent {
		if e.name != "" {
			name = e.name
		}
	}
	return name
}

// IsRoot reports whether p is the document root.
func (p Path) IsRoot() bool { return p.tip == nil }

// String renders p: keys joined with ".", indexes as "[i]", named indexes as
// "[i](name)"; a key that is not a plain identifier is rendered quoted in
// brackets (`dockerLabels["com.example.team"]`). The root renders as "".
func (p Path) String() string {
	var elems []*elem
	for e := p.tip; e != nil; e = e.parent {
		elems = append(elems, e)
	}
	var b strings.Builder
	for i := len(elems) - 1; i >= 0; i-- {
		e := elems[i]
		switch {
		case e.isIdx:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.index))
			b.WriteByte(']')
			if e.name != "" {
				b.WriteByte('(')
				if plainName(e.name) {
					b.WriteString(e.name)
				} else {
					b.WriteString(strconv.Quote(e.name))
				}
				b.WriteByte(')')
			}
		case plainKey(e.key):
			if i < len(elems)-1 {
				b.WriteByte('.')
			}
			b.WriteString(e.key)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(e.key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// plainName reports whether a name can be shown unquoted: a valid ECS
// container name (letters, digits, hyphens, underscores) of at most 255 bytes.
func plainName(n string) bool {
	if len(n) > 255 {
		return false
	}
	for _, r := range n {
		if r != '_' && r != '-' && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// plainKey reports whether k can be written after a dot without ambiguity.
func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && (r == '-' || (r >= '0' && r <= '9')):
		default:
			return false
		}
	}
	return true
}

// FieldError is an error at a place in a file.
type FieldError struct {
	// File is the file as the user named it; may be empty.
	File string
	// Line is the line in File, when the error is located by line too
	// (devenv.yaml); 0 when unknown.
	Line int
	// Container is the name of the container the error is in, or "".
	Container string
	// Path is where in the document the error is; the root for whole-file errors.
	Path Path
	// Err says what is wrong and what to do. Problems with the input wrap
	// ErrInvalid or ErrUnsupported; I/O failures wrap their cause instead.
	Err error
}

// At returns a FieldError for err at path p of file, taking Container from p.
func At(file string, p Path, err error) *FieldError {
	return &FieldError{File: file, Container: p.Container(), Path: p, Err: err}
}

// AtLine is At with the line of the path in file (0: unknown).
func AtLine(file string, line int, p Path, err error) *FieldError {
	e := At(file, p, err)
	e.Line = line
	return e
}

// Error renders "file:line: path: message", leaving out an empty file, an
// unknown line or a root path.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if s := e.Path.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// kindError is a message that matches a sentinel without repeating its text.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// Invalidf returns an error with the formatted message that matches ErrInvalid.
func Invalidf(format string, args ...any) error {
	return &kindError{kind: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

// Unsupportedf returns an error with the formatted message that matches ErrUnsupported.
func Unsupportedf(format string, args ...any) error {
	return &kindError{kind: ErrUnsupported, msg: fmt.Sprintf(format, args...)}
}
