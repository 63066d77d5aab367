//go:build !unix

package td

import (
	"fmt"
	"os"
)

// lockDir opens dir's lock file; this platform has no advisory lock, so two
// fakes sharing a data dir are not prevented.
func lockDir(dir, name string) (*os.File, error) {
	path := dir + string(os.PathSeparator) + name
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	return f, nil
}
