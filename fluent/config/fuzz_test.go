package config

import (
	"os"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that the parser never panics and that every position it
// records points into the source: the value text at [ValuePos.Offset,
// ValueEnd) is Raw, and line/column agree with the offset.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/delish.conf"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"<match a>\n  @type null\n</match>\n",
		"<a>\n k \"x\\\ny #{ENV['A']}\"\n k2 '\\''\n k3 [1,\n 2]\n</a>\n",
		"<a>\n  k {\"a\": [1, {\"b\": \"#\"}]} # c\n</a>",
		"<a>\r\n\tk v # c\r\n</a>\r\n",
		"<match a>\n</filter>\n",
		"k \"#{x}\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := ParseBytes(nil, "f.conf", data, WithEnv(map[string]string{"A": "a"}))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error is %T, want *Error: %v", err, err)
			}
			return
		}
		var walk func(e *Element)
		walk = func(e *Element) {
			for _, p := range e.Params {
				if p.ValuePos.Offset < 0 || p.ValueEnd > len(data) || p.ValuePos.Offset > p.ValueEnd {
					t.Fatalf("param %s: value span [%d,%d) outside source of %d bytes", p.Key, p.ValuePos.Offset, p.ValueEnd, len(data))
				}
				if string(data[p.ValuePos.Offset:p.ValueEnd]) != p.Raw {
					t.Fatalf("param %s: Raw %q != source %q", p.Key, p.Raw, data[p.ValuePos.Offset:p.ValueEnd])
				}
				checkPos(t, data, p.KeyPos)
				checkPos(t, data, p.ValuePos)
			}
			for _, c := range e.Elements {
				checkPos(t, data, c.Pos)
				walk(c)
			}
		}
		walk(root)
	})
}

func checkPos(t *testing.T, data []byte, p Pos) {
	t.Helper()
	line, col := 1, 1
	for i := 0; i < p.Offset; {
		if data[i] == '\n' {
			line, col = line+1, 1
			i++
			continue
		}
		_, size := utf8.DecodeRune(data[i:])
		i += size
		col++
	}
	if line != p.Line || col != p.Col {
		t.Fatalf("pos %v: offset %d is line %d col %d", p, p.Offset, line, col)
	}
}
