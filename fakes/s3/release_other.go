//go:build !linux

package s3

import "runtime/debug"

// ReleaseStartupMemory gives back to the operating system the heap garbage
// of package initialisation. (On Linux it also drops the executable's pages
// that initialisation touched.)
func ReleaseStartupMemory() { debug.FreeOSMemory() }
