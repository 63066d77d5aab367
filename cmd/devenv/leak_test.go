package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/composefile"
	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// leakExempt are the strings of the taskdef types that are copied into
// the generated file as they are, on purpose, each with why: names, which
// ECS and taskdef restrict so that no embedded secret (a URL, a flag, a
// header) fits in them; only a bare token-shaped name could. Map keys
// (label and option names) are names too and are not planted in.
var leakExempt = map[string]string{
	"family":                      "names the task's network and its services' x-devenv.task; ECS allows only letters, digits, - and _",
	"containerDefinitions[].name": "is the Compose service name and what links, dependsOn and volumesFrom refer to; letters, digits, - and _ only",
	"containerDefinitions[].environment[].name": "variable names are copied as names: the value is what a secret is",
	"containerDefinitions[].secrets[].name":     "variable names are copied as names: the value (valueFrom) is never fetched nor shown",
}

// leafKind is the shape of a string of the taskdef types.
type leafKind int

const (
	leafString leafKind = iota // a string field (or *string, or a string type)
	leafList                   // a []string
	leafMap                    // a map[string]string
)

// leaf is one string field of the taskdef types, anywhere in
// TaskDefinition: how to reach it and its JSON path (slices as []).
type leaf struct {
	name  string
	kind  leafKind
	steps []leafStep
}

// leafStep is one step from TaskDefinition to a leaf: into a struct
// field, through a pointer, or into a slice element.
type leafStep struct {
	kind  reflect.Kind
	field int
}

// stringLeaves lists every string, []string and map[string]string reached
// from type ty, by reflection, so a field the types gain later is listed
// without anyone adding it.
func stringLeaves(ty reflect.Type, steps []leafStep, name string) []leaf {
	at := func(s leafStep) []leafStep { return append(slices.Clone(steps), s) }
	switch ty.Kind() {
	case reflect.Pointer:
		return stringLeaves(ty.Elem(), at(leafStep{kind: reflect.Pointer}), name)
	case reflect.Struct:
		var out []leaf
		for i := range ty.NumField() {
			f := ty.Field(i)
			js, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || js == "" || js == "-" {
				continue
			}
			out = append(out, stringLeaves(f.Type, at(leafStep{kind: reflect.Struct, field: i}), strings.TrimPrefix(name+"."+js, "."))...)
		}
		return out
	case reflect.Slice:
		if ty.Elem().Kind() == reflect.String {
			return []leaf{{name: name, kind: leafList, steps: steps}}
		}
		return stringLeaves(ty.Elem(), at(leafStep{kind: reflect.Slice}), name+"[]")
	case reflect.Map:
		if ty.Key().Kind() == reflect.String && ty.Elem().Kind() == reflect.String {
			return []leaf{{name: name, kind: leafMap, steps: steps}}
		}
	case reflect.String:
		return []leaf{{name: name, kind: leafString, steps: steps}}
	}
	return nil
}

// reach returns the leaf's value in the task definition td points to,
// creating what is missing on the way: a nil pointer is allocated, and of
// a slice the first element that already holds the rest of the way is
// taken (the baseline has one volume of each kind), else the first, else
// a new one. It also returns the struct holding the leaf.
func (l leaf) reach(v reflect.Value) (value, parent reflect.Value) {
	for i, s := range l.steps {
		switch s.kind {
		case reflect.Pointer:
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		case reflect.Struct:
			parent = v
			v = v.Field(s.field)
		case reflect.Slice:
			if v.Len() == 0 {
				v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
			}
			j := 0
			for k := range v.Len() {
				if holds(v.Index(k), l.steps[i+1:]) {
					j = k
					break
				}
			}
			v = v.Index(j)
		}
	}
	return v, parent
}

// parent is the type of the struct holding the leaf.
func (l leaf) parent() reflect.Type {
	ty, parent := reflect.TypeFor[taskdef.TaskDefinition](), reflect.TypeFor[taskdef.TaskDefinition]()
	for _, s := range l.steps {
		switch s.kind {
		case reflect.Pointer, reflect.Slice:
			ty = ty.Elem()
		case reflect.Struct:
			parent, ty = ty, ty.Field(s.field).Type
		}
	}
	return parent
}

// holds reports whether v already reaches the end of steps, with no nil
// pointer nor empty slice on the way.
func holds(v reflect.Value, steps []leafStep) bool {
	for _, s := range steps {
		switch s.kind {
		case reflect.Pointer:
			if v.IsNil() {
				return false
			}
			v = v.Elem()
		case reflect.Struct:
			v = v.Field(s.field)
		case reflect.Slice:
			if v.Len() == 0 {
				return false
			}
			v = v.Index(0)
		}
	}
	return true
}

// secretShapes are the ways a secret sits in a value, each around
// sentinel s: credential-shaped tokens, and secrets embedded in free text.
func secretShapes(s string) []string {
	return []string{
		"AKIA" + s + strings.Repeat("Q", 16-len(s)),
		"eyJ" + s + ".eyJzdWIiOiIxIn0.c2ln",
		"postgres://app:" + s + "@db.example.com:5432/app",
		"--password=" + s,
		"run --token " + s + " --port 80",
		"-Xmx1g -Dpassword=" + s + " -Dfile.encoding=UTF-8",
		"Server=db;User Id=sa;Password=" + s + ";Encrypt=true",
		"curl -fs -H 'Authorization: Bearer " + s + "' http://localhost/",
		"curl -u probe:" + s + " http://localhost/",
		`{"db": {"password": "` + s + `"}}`,
	}
}

// planting is one way of planting sentinels in a leaf.
type planting struct {
	what      string
	sentinels []string
	plant     func(v, parent reflect.Value)
}

// plantings are the ways of planting sentinels (SNTL<leaf><case>, unique)
// in leaf l: each secret shape alone; for a list also a --password flag
// followed by its value; for a map a secret-looking key; for the value of
// a name/value pair (environment, properties), a secret-looking name.
func plantings(l leaf, li int) []planting {
	var out []planting
	sentinel := func() string { return fmt.Sprintf("SNTL%03d%02d", li, len(out)) }
	for si := range secretShapes("") {
		s := sentinel()
		v := secretShapes(s)[si]
		out = append(out, planting{what: "shape " + secretShapes("…")[si], sentinels: []string{s}, plant: func(f, _ reflect.Value) {
			switch l.kind {
			case leafString:
				f.SetString(v)
			case leafList:
				f.Set(reflect.ValueOf(append(slices.Clone(f.Interface().([]string)), v)))
			case leafMap:
				mapOf(f)["opts"] = v
			}
		}})
	}
	s := sentinel()
	switch l.kind {
	case leafList:
		out = append(out, planting{what: "--password and its value", sentinels: []string{s}, plant: func(f, _ reflect.Value) {
			f.Set(reflect.ValueOf(append(slices.Clone(f.Interface().([]string)), "--password", s)))
		}})
	case leafMap:
		out = append(out, planting{what: "a secret-looking key", sentinels: []string{s}, plant: func(f, _ reflect.Value) {
			mapOf(f)["db-password"] = s
		}})
	case leafString:
		if _, named := l.parent().FieldByName("Name"); named && (strings.HasSuffix(l.name, "].value") || strings.HasSuffix(l.name, "].valueFrom")) {
			out = append(out, planting{what: "a secret-looking name", sentinels: []string{s}, plant: func(f, parent reflect.Value) {
				name := parent.FieldByName("Name")
				if name.Kind() == reflect.Pointer {
					name.Set(reflect.ValueOf(new("DB_PASSWORD")))
				} else {
					name.SetString("DB_PASSWORD")
				}
				f.SetString(s)
			}})
		}
	}
	return out
}

// mapOf returns the map f holds, made if nil.
func mapOf(f reflect.Value) map[string]string {
	if f.IsNil() {
		f.Set(reflect.ValueOf(map[string]string{}))
	}
	return f.Interface().(map[string]string)
}

// leakOutputs translates the task definition data as devenv generate and
// plan do, in process, and returns what they would write: the Compose
// file, the report as text and as JSON; or the decoding or translation
// error.
func leakOutputs(t *testing.T, data []byte) (map[string]string, error) {
	t.Helper()
	def, err := taskdef.Decode("taskdefs/leak.json", data)
	if err != nil {
		return nil, err
	}
	p, report, err := translate.Translate([]taskdef.Def{def}, config.Default())
	if err != nil {
		return nil, err
	}
	out, err := composefile.Render(p, []string{"taskdefs/leak.json"})
	assert.NilError(t, err)
	js, err := json.Marshal(report)
	assert.NilError(t, err)
	return map[string]string{"the Compose file": string(out), "the report": report.Text(), "the JSON report": string(js)}, nil
}

// TestNoSecretReachesAnyOutput plants sentinels shaped as secrets in every
// string of the taskdef types (found by reflection: a field added later is
// planted in too), one field and one shape at a time, and fails naming the
// field if one reaches the Compose file or the report (text or JSON); then
// every shape at once per field through devenv generate, plan and plan
// --json, whose output and written files must not hold one either. A
// planting the task definition cannot hold (an enumeration, a reference
// to nothing) must be refused with an error naming the field.
func TestNoSecretReachesAnyOutput(t *testing.T) {
	base, err := os.ReadFile("testdata/leak/taskdef.json")
	assert.NilError(t, err)
	assert.Assert(t, !strings.Contains(string(base), "SNTL"))
	_, err = leakOutputs(t, base)
	assert.NilError(t, err, "the baseline must translate, so that a refused planting is refused for what was planted")
	fresh := func() *taskdef.TaskDefinition {
		var td taskdef.TaskDefinition
		assert.NilError(t, json.Unmarshal(base, &td))
		return &td
	}
	leaves := stringLeaves(reflect.TypeFor[taskdef.TaskDefinition](), nil, "")
	dir := t.TempDir()
	t.Chdir(dir)
	assert.NilError(t, os.Mkdir("taskdefs", 0o755))
	translated, refused := 0, 0
	for li, l := range leaves {
		why, exempt := leakExempt[l.name]
		if exempt {
			t.Logf("%s: exempt: %s", l.name, why)
			continue
		}
		var all []planting
		for _, pl := range plantings(l, li) {
			all = append(all, pl)
			td := fresh()
			f, parent := l.reach(reflect.ValueOf(td).Elem())
			pl.plant(f, parent)
			data, err := json.Marshal(td)
			assert.NilError(t, err)
			outs, err := leakOutputs(t, data)
			if err != nil {
				refused++
				last := l.name[strings.LastIndex(l.name, ".")+1:]
				if !strings.Contains(err.Error(), strings.TrimSuffix(last, "[]")) {
					t.Errorf("%s (%s): refused with an error that does not name the field: %v", l.name, pl.what, err)
				}
				continue
			}
			translated++
			for where, text := range outs {
				for _, s := range pl.sentinels {
					if strings.Contains(text, s) {
						t.Errorf("%s (%s): the production secret reaches %s:\n%s", l.name, pl.what, where, excerpt(text, s))
					}
				}
			}
		}
		leakThroughCLI(t, fresh(), l, all)
	}
	t.Logf("%d fields, %d plantings translated, %d refused", len(leaves), translated, refused)
}

// leakThroughCLI plants every planting of l at once in td and runs devenv
// generate, plan and plan --json on it: when they succeed, neither their
// output nor a file they write holds a sentinel.
func leakThroughCLI(t *testing.T, td *taskdef.TaskDefinition, l leaf, plantings []planting) {
	t.Helper()
	var sentinels []string
	f, parent := l.reach(reflect.ValueOf(td).Elem())
	var shapes []string
	for _, pl := range plantings {
		sentinels = append(sentinels, pl.sentinels...)
		if l.kind == leafString && strings.HasPrefix(pl.what, "shape") {
			pl.plant(f, parent)
			shapes = append(shapes, f.String())
			continue
		}
		pl.plant(f, parent)
	}
	if l.kind == leafString {
		f.SetString(strings.Join(shapes, " "))
	}
	data, err := json.Marshal(td)
	assert.NilError(t, err)
	assert.NilError(t, os.WriteFile("taskdefs/leak.json", data, 0o644))
	os.RemoveAll(".devenv")
	os.Remove("docker-compose.gen.yaml")
	var outputs []string
	for _, args := range [][]string{{"generate", "--taskdefs", "taskdefs/leak.json"}, {"plan", "--taskdefs", "taskdefs/leak.json"}, {"plan", "--json", "--taskdefs", "taskdefs/leak.json"}} {
		code, stdout, stderr := devenvRun(t, args...)
		if code != 0 {
			return // refused, as the in-process plantings show
		}
		outputs = append(outputs, strings.Join(args, " ")+" output:\n"+stdout+stderr)
	}
	assert.NilError(t, filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path, "taskdefs") {
			return err
		}
		data, err := os.ReadFile(path)
		outputs = append(outputs, path+":\n"+string(data))
		return err
	}))
	for _, out := range outputs {
		for _, s := range sentinels {
			if strings.Contains(out, s) {
				where, _, _ := strings.Cut(out, "\n")
				t.Errorf("%s (every shape at once): the production secret reaches %s\n%s", l.name, where, excerpt(out, s))
			}
		}
	}
}

// excerpt shows text around s.
func excerpt(text, s string) string {
	i := strings.Index(text, s)
	return text[max(0, i-200):min(len(text), i+len(s)+100)]
}
