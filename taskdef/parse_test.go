package taskdef

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse checks the tree builder against encoding/json: for valid JSON,
// the tree (with the last of duplicate keys winning, as encoding/json does)
// equals what encoding/json decodes. Seeds: the task definitions of this
// repository (../taskdefs) and the tricky documents of the committed corpus
// testdata/fuzz/FuzzParse (escapes and duplicate keys, invalid UTF-8,
// whitespace around nested arrays, a negative exponent).
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "taskdefs", "*.json"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		var want any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json rejects valid JSON: %v", err)
		}
		n, err := parse("fuzz.json", data)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		if got := toAny(n); !reflect.DeepEqual(got, want) {
			t.Fatalf("parse(%q) = %#v, encoding/json gives %#v", data, got, want)
		}
	})
}

// toAny converts a tree to what encoding/json decodes with UseNumber.
func toAny(n *node) any {
	switch n.kind {
	case kindBool:
		return n.boolean
	case kindNumber:
		return json.Number(n.text)
	case kindString:
		return n.text
	case kindArray:
		items := make([]any, len(n.items))
		for i, item := range n.items {
			items[i] = toAny(item)
		}
		return items
	case kindObject:
		m := make(map[string]any, len(n.members))
		for _, mem := range n.members {
			m[mem.key] = toAny(mem.value)
		}
		return m
	}
	return nil
}
