//go:build linux

package s3

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// ReleaseStartupMemory gives back to the kernel what a process serving only
// the fake no longer needs once it listens: the heap garbage of package
// initialisation, and the executable's pages that initialisation touched.
//
// Where the memory goes: devenv is one binary (Compose, BuildKit, gRPC,
// OpenTelemetry, JSON Schema ...) and the init functions of its ~400
// packages fault in, 64 KiB at a time, about 24 MB of its 37 MB of code and
// read-only data, and allocate about 4 MB, none of which `devenv fake s3`
// uses again. The file-backed pages of read-only mappings that hold no
// privately modified page are dropped from the page tables (MADV_DONTNEED): they are
// clean copies of the file, still in the page cache, and fault back in
// when code runs again, so nothing is lost and serving is unchanged.
//
// It is best effort: errors (no /proc) leave the memory where it is.
func ReleaseStartupMemory() {
	debug.FreeOSMemory()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return
	}
	for _, m := range cleanFileMappings(smaps, exe) {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, m[0], m[1]-m[0], syscall.MADV_DONTNEED)
	}
}

// cleanFileMappings returns the [start, end) ranges of the read-only
// private mappings of path in a /proc/PID/smaps listing that hold no
// anonymous page (a page of a private mapping once written is a private
// anonymous copy, counted under Anonymous; Private_Dirty also counts page
// cache pages not yet written back, as a freshly built binary's are): the
// ones whose pages can be dropped and read again from the file.
func cleanFileMappings(smaps []byte, path string) [][2]uintptr {
	var out [][2]uintptr
	var cur [2]uintptr
	candidate, dirty := false, false
	flush := func() {
		if candidate && !dirty {
			out = append(out, cur)
		}
		candidate, dirty = false, false
	}
	sc := bufio.NewScanner(bytes.NewReader(smaps))
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") { // a mapping's header line
			flush()
			if len(fields) < 6 || fields[5] != path || len(fields[1]) != 4 || fields[1][1] != '-' || fields[1][3] != 'p' {
				continue
			}
			lo, hi, ok := strings.Cut(fields[0], "-")
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			if !ok || err1 != nil || err2 != nil || end <= start {
				continue
			}
			cur, candidate = [2]uintptr{uintptr(start), uintptr(end)}, true
			continue
		}
		switch fields[0] {
		case "Anonymous:", "Swap:":
			if len(fields) < 2 || fields[1] != "0" {
				dirty = true
			}
		}
	}
	flush()
	return out
}
