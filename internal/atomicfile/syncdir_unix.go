//go:build unix

package atomicfile

import (
	"fmt"
	"os"
)

// SyncDir makes the entries of dir durable (a file created or renamed in
// it survives a crash): it fsyncs the directory itself.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
