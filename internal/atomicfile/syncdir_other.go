//go:build !unix

package atomicfile

// SyncDir does nothing: directories cannot be synced on this platform, and
// a rename is as durable as it gets.
func SyncDir(string) error { return nil }
