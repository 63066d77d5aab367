package secretpolicy_test

import (
	"testing"

	"github.com/devenv-sh/devenv/secretpolicy"
)

// FuzzRedact checks, for any text: Redact never panics; it changes the
// text exactly when it says it found something; what it returns holds no
// credential-shaped value and nothing more to redact (redaction is
// idempotent), also as an argument list and a map entry. The seed corpus
// (testdata/fuzz/FuzzRedact) holds one value of each shape.
func FuzzRedact(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		out, found := secretpolicy.Redact(v)
		if (out != v) != (found != nil) {
			t.Fatalf("Redact(%q) = %q but found %v", v, out, found)
		}
		if secretpolicy.Value(out) {
			t.Fatalf("Redact(%q) = %q keeps a credential", v, out)
		}
		if again, more := secretpolicy.Redact(out); again != out || more != nil {
			t.Fatalf("Redact(%q) = %q, then %q (%v)", v, out, again, more)
		}
		args, _ := secretpolicy.RedactArgs([]string{"--password", v})
		if a, more := secretpolicy.RedactArgs(args); a[1] != args[1] || more[1] != nil {
			t.Fatalf("RedactArgs is not idempotent on %q: %q then %q", v, args[1], a[1])
		}
		e, _ := secretpolicy.RedactEntry("o", v)
		if e != out {
			t.Fatalf("RedactEntry(o, %q) = %q, Redact gives %q", v, e, out)
		}
	})
}
