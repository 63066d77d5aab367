package glob

import "testing"

func TestMatch(t *testing.T) {
	cases := []struct {
		pat  string
		tag  string
		want bool
	}{
		{"**", "", true},
		{"**", "a.b.c", true},
		{"*", "", true},
		{"*", "a", true},
		{"*", "a.b", false},
		{"a.*", "a.", true},
		{"a.*", "a.b", true},
		{"a.*", "a.b.c", false},
		{"a.*", "a", false},
		{"delish.event.**", "delish.event", true},
		{"delish.event.**", "delish.event.", true},
		{"delish.event.**", "delish.event.a.b", true},
		{"delish.event.**", "delish.eventx", false},
		{"delish.event.**", "delish.even", false},
		{"a.**.c", "a.c", true},
		{"a.**.c", "a.b.c", true},
		{"a.**.c", "a.b.d.c", true},
		{"a.**.c", "ac", false},
		{"a.**.c", "a.bc", false},
		{"**.c", "c", true},
		{"**.c", "x.y.c", true},
		{"**.c", "xc", false},
		{"a.{b,c}", "a.b", true},
		{"a.{b,c}", "a.c", true},
		{"a.{b,c}", "a.d", false},
		{"a.{b,c.{d,e}}", "a.c.e", true},
		{"a.{b,c", "a.c", true},
		{"a.{b,c", "a.b", true},
		{"a.{b.*", "a.b.x", false}, // unclosed: the alternative is literal regexp source
		{"a.{b.*", `a.b\.[^\.]*`, true},
		{"{a,b}.*", "b.x", true},
		{"a-b", "a-b", true},
		{"a?c", "abc", false}, // v0.12 has no '?' wildcard
		{"a?c", "a?c", true},
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{"delish.event", "delish.event\n", true},
		{"delish.event", "delish.event\n\n", false},
		{"a.", "a", true},
		{"docker.delish", "docker.delish", true},
		{"docker.delish", "docker.delishx", false},
		{"docker.delish", "xdocker.delish", false},
	}
	for _, c := range cases {
		if got := Compile(c.pat).Match(c.tag); got != c.want {
			t.Errorf("Compile(%q).Match(%q) = %v, want %v", c.pat, c.tag, got, c.want)
		}
	}
}

func TestList(t *testing.T) {
	l := CompileList("a b.**")
	for tag, want := range map[string]bool{"a": true, "b": true, "b.c": true, "c": false} {
		if got := l.Match(tag); got != want {
			t.Errorf("Match(%q) = %v, want %v", tag, got, want)
		}
	}
	if !CompileList("  ").Match("anything.at.all") {
		t.Error("empty pattern list must mean **")
	}
}

func TestCompileListV1(t *testing.T) {
	l, err := CompileListV1(`/^app\.(web|api)$/ b.**`)
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[string]bool{"app.web": true, "app.api": true, "app.db": false, "b.c": true} {
		if got := l.Match(tag); got != want {
			t.Errorf("Match(%q) = %v, want %v", tag, got, want)
		}
	}
	if CompileList(`/a/`).Match("a") {
		t.Error("v0.12 must read /a/ as a literal glob")
	}
	if !CompileList(`/a/`).Match("/a/") {
		t.Error("v0.12 /a/ glob must match the literal tag /a/")
	}
	if _, err := CompileListV1(`/(/`); err == nil || err.Error() != "pattern /(/: error parsing regexp: missing closing ): `(?m)(`" {
		t.Errorf("err = %v", err)
	}
}
