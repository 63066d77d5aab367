package translate_test

import (
	"errors"
	"testing"

	"github.com/devenv-sh/devenv/composefile"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// FuzzTranslate checks, for any bytes: decoding never panics; what decodes
// translates or fails with located errors; what translates renders, and
// loads back through compose-go with validation on into the same project.
// The seed corpus (testdata/fuzz/FuzzTranslate) holds the shared corpus of
// real task definitions and the golden cases.
func FuzzTranslate(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := taskdef.Decode("fuzz.json", data)
		if err != nil {
			return
		}
		p, _, err := translate.Translate([]taskdef.Def{def}, buildEveryImage(def))
		if err != nil {
			var fe *fieldpath.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("translate error without a location: %v", err)
			}
			return
		}
		out, err := composefile.Render(p, []string{"fuzz.json"})
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		if err := composefile.RoundTrip(t.Context(), "fuzz.yaml", out, p); err != nil {
			t.Fatalf("round trip: %v\n%s", err, out)
		}
	})
}
