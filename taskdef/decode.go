package taskdef

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/internal/suggest"
)

// Decode decodes one task definition file: the input of
// `aws ecs register-task-definition --cli-input-json` or the output of
// `aws ecs describe-task-definition` ({"taskDefinition": …, "tags": […]}).
// file names the file in errors and in the returned Def.
//
// Decoding is strict and reports every problem of the file at once, as a
// *fieldpath.FieldError or an errors.Join of them, each matching
// fieldpath.ErrInvalid:
// malformed JSON (with line and column), unknown fields (with the closest
// known name), wrong types, missing required fields, duplicate container
// names, references to containers or volumes that do not exist, and values
// ECS does not accept. On error the returned Def is the zero value; when
// the file decoded but failed validation, the error carries the decoded
// Def for checks that do not depend on what failed (see Rejected).
func Decode(file string, data []byte) (Def, error) {
	root, err := parse(file, data)
	if err != nil {
		return Def{}, err
	}
	d := &decoder{file: file}
	task, base := d.top(root)
	decoded := len(d.errs) == 0 && task != nil
	if task != nil {
		d.validate(task, base)
	}
	def := Def{File: file}
	if task != nil {
		def.Task = *task
	}
	if !base.IsRoot() {
		def.Wrapper = "taskDefinition"
	}
	if len(d.errs) > 0 {
		if decoded {
			return Def{}, &invalidDef{def: def, errs: d.errs}
		}
		return Def{}, errors.Join(d.errs...)
	}
	return def, nil
}

// invalidDef is the error of a file that decoded into the typed model but
// failed validation: its problems, and the Def as decoded.
type invalidDef struct {
	def  Def
	errs []error
}

func (e *invalidDef) Error() string   { return errors.Join(e.errs...).Error() }
func (e *invalidDef) Unwrap() []error { return e.errs }

// Rejected returns the task definitions that err (from Decode or Load)
// rejected although they decoded: well-typed, but breaking a rule such as
// a reference to a container that does not exist. They do not hold Decode's
// guarantees; callers use them only to report more problems of the same
// run (an image no rule covers, say), never to translate.
func Rejected(err error) []Def {
	var out []Def
	var walk func(error)
	walk = func(err error) {
		if e, ok := err.(*invalidDef); ok {
			out = append(out, e.def)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// decoder walks a parsed document into the typed model, collecting errors.
type decoder struct {
	file string
	errs []error
	// bad holds the paths already reported, so that validation does not
	// report a second, derived problem at or below them.
	bad map[string]bool
}

func (d *decoder) fail(p fieldpath.Path, err error) {
	d.errs = append(d.errs, fieldpath.At(d.file, p, err))
	if d.bad == nil {
		d.bad = map[string]bool{}
	}
	d.bad[p.String()] = true
}

// reported reports whether a problem was already reported at p or above it.
func (d *decoder) reported(p fieldpath.Path) bool {
	if len(d.bad) == 0 {
		return false
	}
	s := p.String()
	if d.bad[""] || d.bad[s] {
		return true
	}
	for i := 1; i < len(s); i++ {
		if (s[i] == '.' || s[i] == '[') && d.bad[s[:i]] {
			return true
		}
	}
	return false
}

// top decodes the document root: a register input, or a describe output
// whose task definition is returned with the base path "taskDefinition".
func (d *decoder) top(n *node) (*TaskDefinition, fieldpath.Path) {
	var root fieldpath.Path
	const shapes = "a file holds one task definition: the input of register-task-definition or the output of describe-task-definition"
	if n.kind != kindObject {
		d.fail(root, fieldpath.Invalidf("expected a JSON object, got %s; %s", describe(n), shapes))
		return nil, root
	}
	inner, ok := n.member("taskDefinition")
	if !ok {
		var task TaskDefinition
		d.walk(n, reflect.ValueOf(&task).Elem(), root)
		return &task, root
	}
	base := root.Next("taskDefinition")
	if inner.kind != kindObject {
		d.fail(base, fieldpath.Invalidf("expected a task definition object, got %s; put the task definition there", describe(inner)))
		return nil, base
	}
	var task TaskDefinition
	var tags []Tag
	seen := map[string]bool{}
	for _, m := range n.members {
		p := root.Next(m.key)
		if seen[m.key] {
			d.fail(p, fieldpath.Invalidf("duplicate field; keep only one"))
			continue
		}
		seen[m.key] = true
		switch m.key {
		case "taskDefinition":
			d.walk(m.value, reflect.ValueOf(&task).Elem(), p)
		case "tags":
			if m.value.kind != kindNull {
				d.walk(m.value, reflect.ValueOf(&tags).Elem(), p)
			}
		default:
			d.fail(p, fieldpath.Invalidf(`unknown field; describe-task-definition output holds only "taskDefinition" and "tags": remove it`))
		}
	}
	if len(task.Tags) == 0 {
		task.Tags = tags
	}
	return &task, base
}

// member returns the first member named key of an object node.
func (n *node) member(key string) (*node, bool) {
	for _, m := range n.members {
		if m.key == key {
			return m.value, true
		}
	}
	return nil, false
}

var (
	timestampType = reflect.TypeFor[Timestamp]()
	containerType = reflect.TypeFor[ContainerDefinition]()
)

// walk decodes n into rv, reporting problems at p. It returns false when n
// has the wrong JSON type for rv (rv is then left unchanged).
func (d *decoder) walk(n *node, rv reflect.Value, p fieldpath.Path) bool {
	t := rv.Type()
	if t == timestampType {
		if n.kind != kindString && n.kind != kindNumber {
			return d.typeError(p, t, n)
		}
		rv.SetString(n.text)
		return true
	}
	switch t.Kind() {
	case reflect.Pointer:
		v := reflect.New(t.Elem())
		if !d.walk(n, v.Elem(), p) {
			return false
		}
		rv.Set(v)
	case reflect.String:
		if n.kind != kindString {
			return d.typeError(p, t, n)
		}
		rv.SetString(n.text)
	case reflect.Int:
		if n.kind != kindNumber {
			return d.typeError(p, t, n)
		}
		i, err := strconv.ParseInt(n.text, 10, 32)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				d.fail(p, fieldpath.Invalidf("%s is out of range; ECS integers lie between -2147483648 and 2147483647", n.text))
				return false
			}
			d.fail(p, fieldpath.Invalidf("expected an integer, got number %s; write a whole number", n.text))
			return false
		}
		rv.SetInt(i)
	case reflect.Bool:
		if n.kind != kindBool {
			return d.typeError(p, t, n)
		}
		rv.SetBool(n.boolean)
	case reflect.Slice:
		if n.kind != kindArray {
			return d.typeError(p, t, n)
		}
		if len(n.items) == 0 {
			return true
		}
		s := reflect.MakeSlice(t, len(n.items), len(n.items))
		for i, item := range n.items {
			ip := p.Index(i)
			if t.Elem() == containerType {
				ip = ip.Named(containerName(item))
			}
			if item.kind == kindNull {
				d.fail(ip, fieldpath.Invalidf("null is not allowed in an array; remove it"))
				continue
			}
			d.walk(item, s.Index(i), ip)
		}
		rv.Set(s)
	case reflect.Map:
		if n.kind != kindObject {
			return d.typeError(p, t, n)
		}
		if len(n.members) == 0 {
			return true
		}
		m := reflect.MakeMapWithSize(t, len(n.members))
		seen := make(map[string]bool, len(n.members))
		for _, mem := range n.members {
			mp := p.Next(mem.key)
			if seen[mem.key] {
				d.fail(mp, fieldpath.Invalidf("duplicate key; keep only one"))
				continue
			}
			seen[mem.key] = true
			k := reflect.ValueOf(mem.key)
			v := reflect.New(t.Elem()).Elem()
			if d.walk(mem.value, v, mp) {
				m.SetMapIndex(k, v)
			}
		}
		rv.Set(m)
	case reflect.Struct:
		if n.kind != kindObject {
			return d.typeError(p, t, n)
		}
		d.walkStruct(n, rv, p)
	default:
		panic(fmt.Sprintf("taskdef: no decoding for %s", t)) // unreachable: the model has no other kinds
	}
	return true
}

// walkStruct decodes the members of object n into struct rv.
func (d *decoder) walkStruct(n *node, rv reflect.Value, p fieldpath.Path) {
	info := fieldsOf(rv.Type())
	set := make(map[string]bool, len(n.members))
	seen := make(map[string]bool, len(n.members))
	for _, m := range n.members {
		mp := p.Next(m.key)
		if seen[m.key] {
			d.fail(mp, fieldpath.Invalidf("duplicate field; keep only one"))
			continue
		}
		seen[m.key] = true
		f, ok := info.byName[m.key]
		if !ok {
			d.fail(mp, info.unknown(m.key))
			continue
		}
		if m.value.kind == kindNull {
			continue // null means absent
		}
		set[m.key] = true
		d.walk(m.value, rv.Field(f.index), mp)
	}
	for _, f := range info.fields {
		if !f.required || set[f.name] {
			continue
		}
		if seen[f.name] {
			d.fail(p.Next(f.name), fieldpath.Invalidf("required field is null; give it a value"))
		} else {
			d.fail(p.Next(f.name), fieldpath.Invalidf("required field is missing; add it"))
		}
	}
}

// containerName is the label of a container definition in paths: its first
// "name" member when that is a string.
func containerName(n *node) string {
	if n.kind != kindObject {
		return ""
	}
	if v, ok := n.member("name"); ok && v.kind == kindString {
		return v.text
	}
	return ""
}

// typeError reports that n does not have the JSON type t needs, and returns false.
func (d *decoder) typeError(p fieldpath.Path, t reflect.Type, n *node) bool {
	want := expected(t)
	msg := fmt.Sprintf("expected %s, got %s", want, describe(n))
	switch {
	case t == timestampType:
		msg += `; write it like "2024-06-21T19:04:43Z"`
	case t.Kind() == reflect.Int && n.kind == kindString && isInteger(n.text):
		msg += fmt.Sprintf("; write %s without quotes", n.text)
	case t.Kind() == reflect.Bool && n.kind == kindString && (n.text == "true" || n.text == "false"):
		msg += fmt.Sprintf("; write %s without quotes", n.text)
	case t.Kind() == reflect.String && (n.kind == kindNumber || n.kind == kindBool):
		msg += fmt.Sprintf("; put it in quotes: \"%s\"", scalarText(n))
	case t.Kind() == reflect.Slice && n.kind != kindArray && n.kind != kindNull:
		msg += "; wrap the value in [ ]"
	default:
		msg += "; replace it with " + want
	}
	d.fail(p, fieldpath.Invalidf("%s", msg))
	return false
}

// expected describes the JSON a Go type decodes from.
func expected(t reflect.Type) string {
	if t == timestampType {
		return "a timestamp (a string or epoch seconds)"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return expected(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.String:
			return "an array of strings"
		case reflect.Int:
			return "an array of integers"
		}
		return "an array of objects"
	case reflect.Map:
		return "an object of string values"
	}
	return "an object"
}

// describe names the JSON type and, for scalars, the value of n.
func describe(n *node) string {
	switch n.kind {
	case kindNull:
		return "null"
	case kindBool:
		return strconv.FormatBool(n.boolean)
	case kindNumber:
		return "number " + truncate(n.text)
	case kindString:
		return "string " + strconv.Quote(truncate(n.text))
	case kindArray:
		return "an array"
	}
	return "an object"
}

func scalarText(n *node) string {
	if n.kind == kindBool {
		return strconv.FormatBool(n.boolean)
	}
	return n.text
}

// truncate shortens s to 40 characters for messages.
func truncate(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit]) + "…"
}

func isInteger(s string) bool {
	_, err := strconv.ParseInt(s, 10, 32)
	return err == nil
}

// structInfo describes the JSON fields of a model struct.
type structInfo struct {
	name   string
	fields []fieldInfo
	byName map[string]fieldInfo
}

type fieldInfo struct {
	name     string
	index    int
	required bool // no omitempty: ECS requires the field
}

var structInfos sync.Map // reflect.Type → *structInfo

func fieldsOf(t reflect.Type) *structInfo {
	if v, ok := structInfos.Load(t); ok {
		return v.(*structInfo)
	}
	info := &structInfo{name: t.Name(), byName: map[string]fieldInfo{}}
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		f := fieldInfo{name: name, index: i, required: opts != "omitempty"}
		info.fields = append(info.fields, f)
		info.byName[name] = f
	}
	v, _ := structInfos.LoadOrStore(t, info)
	return v.(*structInfo)
}

// unknown returns the error for an unknown field key, suggesting the closest
// known field when key looks like a misspelling of it.
func (s *structInfo) unknown(key string) error {
	if best := s.closest(key); best != "" {
		return fieldpath.Invalidf("unknown field; did you mean %q? (field names are case-sensitive)", best)
	}
	return fieldpath.Invalidf("unknown field; ECS %s has no such field: remove it", s.name)
}

// closest returns the known field key is probably a misspelling of, or "".
func (s *structInfo) closest(key string) string {
	names := make([]string, len(s.fields))
	for i, f := range s.fields {
		names[i] = f.name
	}
	return suggest.Closest(key, names)
}
