package suggest

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"cloudwatch-agent", "api-server", "log_router", "web"}
	for _, tc := range []struct{ name, want string }{
		{"cloudwatch_agent", "cloudwatch-agent"},
		{"API-SERVER", "api-server"},
		{"apiserver", "api-server"},
		{"log-routr", "log_router"},
		{"wb", "web"},
		{"db", ""},     // one edit allowed for short names; "web" is two away
		{"worker", ""}, // nothing close
		{"api-servers2", "api-server"},
	} {
		if got := Closest(tc.name, names); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestHint(t *testing.T) {
	if got := Hint("cloudwatch_agent", []string{"cloudwatch-agent"}); got != `; did you mean "cloudwatch-agent"?` {
		t.Errorf("Hint = %q", got)
	}
	if got := Hint("x", nil); got != "" {
		t.Errorf("Hint with no candidates = %q", got)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"日本", "日本語", 1}} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
