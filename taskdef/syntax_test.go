package taskdef_test

import "testing"

func TestDecodeMalformedJSON(t *testing.T) {
	runErrorCases(t, []errorCase{
		{
			name: "trailing comma",
			in:   "{\n  \"family\": \"app\",\n}",
			want: []string{`x.json: malformed JSON at line 3, column 1: invalid character '}' looking for beginning of object key string; remove the trailing comma before it`},
		},
		{
			name: "trailing comma in array",
			in:   `{"links": ["a",]}`,
			want: []string{`x.json: malformed JSON at line 1, column 16: invalid character ']' looking for beginning of value; remove the trailing comma before it`},
		},
		{
			name: "missing colon",
			in:   "{\n  \"family\" \"app\"\n}",
			want: []string{`x.json: malformed JSON at line 2, column 12: invalid character '"' after object key; fix the JSON syntax there`},
		},
		{
			name: "column counts characters",
			in:   "{\"family\": \"äpp\", x}",
			want: []string{`x.json: malformed JSON at line 1, column 19: invalid character 'x' looking for beginning of object key string; fix the JSON syntax there`},
		},
		{
			name: "cut short",
			in:   "{\n  \"family\": \"app\"",
			want: []string{`x.json: malformed JSON at line 2, column 18: unexpected end of JSON input; the file ends too early; close every open string, [ and {`},
		},
		{
			name: "two objects",
			in:   "{}\n{}",
			want: []string{`x.json: malformed JSON at line 2, column 1: invalid character '{' after top-level value; a file holds exactly one JSON object; remove what follows it`},
		},
		{
			name: "byte order mark",
			in:   "\ufeff{}",
			want: []string{`x.json: malformed JSON at line 1, column 1: the file starts with a UTF-8 byte order mark; save it without one`},
		},
		{
			name: "empty file",
			in:   " \n",
			want: []string{`x.json: file is empty; it must hold one task definition JSON object`},
		},
		{
			name: "not an object",
			in:   `[{"name": "web"}]`,
			want: []string{`x.json: expected a JSON object, got an array; a file holds one task definition: the input of register-task-definition or the output of describe-task-definition`},
		},
		{
			name: "null document",
			in:   `null`,
			want: []string{`x.json: expected a JSON object, got null; a file holds one task definition: the input of register-task-definition or the output of describe-task-definition`},
		},
	})
}
