package devenvtest

import (
	"os"
	"testing"

	"github.com/devenv-sh/devenv/internal/dockertest"
)

// TestMain removes the images the tests make, as the e2e tests do.
func TestMain(m *testing.M) { os.Exit(dockertest.RunRemovingImages(m)) }
