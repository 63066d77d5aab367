package testsupport

import (
	"strings"
	"sync"
	"testing"
)

// TestBufferConcurrentWriteAndRead: writes from several goroutines while the
// test reads all arrive whole (run with -race, a plain bytes.Buffer fails).
func TestBufferConcurrentWriteAndRead(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				if _, err := b.Write([]byte("line\n")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for range 50 {
		_ = b.String()
	}
	wg.Wait()
	if got, want := b.String(), strings.Repeat("line\n", 400); got != want {
		t.Errorf("buffer holds %d bytes, want %d", len(got), len(want))
	}
}
