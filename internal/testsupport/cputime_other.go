//go:build !unix

package testsupport

import (
	"testing"
	"time"
)

// CPUTime is not measured without getrusage: it is always 0, and callers
// report wall-clock figures only (see the unix CPUTime).
func CPUTime(testing.TB) time.Duration { return 0 }
