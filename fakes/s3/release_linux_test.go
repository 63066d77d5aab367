//go:build linux

package s3

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

func TestCleanFileMappings(t *testing.T) {
	const exe = "/usr/local/bin/devenv"
	smaps := `00400000-01644000 r-xp 00000000 fe:00 9986804                            /usr/local/bin/devenv
Size:              18704 kB
Rss:               12304 kB
Private_Dirty:      1200 kB
Anonymous:             0 kB
Swap:                  0 kB
VmFlags: rd ex mr mw me
01644000-02915000 r--p 01244000 fe:00 9986804                            /usr/local/bin/devenv
Rss:               11844 kB
Anonymous:             4 kB
Swap:                  0 kB
02915000-029d6000 rw-p 02515000 fe:00 9986804                            /usr/local/bin/devenv
Rss:                 644 kB
Anonymous:           644 kB
029d6000-04c47000 rw-p 00000000 00:00 0 
Rss:                 136 kB
Anonymous:           136 kB
7f34e7efa000-7f34e8050000 r-xp 00026000 fe:00 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 920 kB
Anonymous:             0 kB
7f0000000000-7f0000001000 r--s 00000000 fe:00 1                          /usr/local/bin/devenv
Rss:                   4 kB
Anonymous:             0 kB
`
	// Only the executable's read-only private mappings without anonymous
	// (copied-on-write) pages; Private_Dirty (page cache not yet written
	// back) does not matter.
	assert.DeepEqual(t, cleanFileMappings([]byte(smaps), exe), [][2]uintptr{{0x400000, 0x1644000}})
}

func rssFileKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	assert.NilError(t, err)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			assert.NilError(t, err)
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}

// Releasing drops the executable's resident pages, and the process goes on
// serving (its code faulting back in).
func TestReleaseStartupMemory(t *testing.T) {
	ts := httptest.NewServer(New(NewMemStore()).Handler())
	t.Cleanup(ts.Close)
	resp, err := http.Get(ts.URL + "/_devenv/health")
	assert.NilError(t, err)
	resp.Body.Close()
	before := rssFileKB(t)
	ReleaseStartupMemory()
	after := rssFileKB(t)
	assert.Assert(t, after < before, "RssFile %d kB before, %d kB after", before, after)
	for _, put := range [][2]string{{"/logs", ""}, {"/logs/k", "x"}} {
		path := put[0]
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, ts.URL+path, strings.NewReader(put[1]))
		assert.NilError(t, err)
		resp, err := http.DefaultClient.Do(req)
		assert.NilError(t, err)
		resp.Body.Close()
		assert.Equal(t, resp.StatusCode, http.StatusOK, path)
	}
}
