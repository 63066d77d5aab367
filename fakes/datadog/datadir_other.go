//go:build !unix

package datadog

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir opens dir's lock file; this platform has no advisory lock, so two
// stubs sharing a data dir are not prevented.
func lockDir(dir, name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	return f, nil
}
